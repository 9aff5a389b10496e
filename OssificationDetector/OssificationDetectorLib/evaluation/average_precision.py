"""Average precision at an IoU threshold, as in Pascal VOC (2010 onwards, all-point interpolation).

Detections of one class, from all images, are taken in descending score; each is a true positive when
its best-overlapping truth box in the same image (IoU >= threshold) is not matched yet, else a false
positive (a second box on a matched truth is a duplicate). A box without a score counts as score 1.
"""
from dataclasses import dataclass, field
from typing import List, Optional


def score_of(box):
    return 1.0 if box.score is None else box.score


@dataclass
class PrecisionRecallCurve:
    label: str
    n_truths: int
    recall: List[float] = field(default_factory=list)
    precision: List[float] = field(default_factory=list)
    scores: List[float] = field(default_factory=list)
    ap: Optional[float] = None  # None when the class has no truth boxes

    @property
    def n_detections(self):
        return len(self.scores)


def voc_average_precision(recall, precision):
    """Area under the precision-recall curve after making precision non-increasing (all points)."""
    recalls = [0.0] + list(recall) + [1.0]
    precisions = [0.0] + list(precision) + [0.0]
    for i in range(len(precisions) - 2, -1, -1):
        precisions[i] = max(precisions[i], precisions[i + 1])
    return sum(
        (recalls[i + 1] - recalls[i]) * precisions[i + 1]
        for i in range(len(recalls) - 1)
        if recalls[i + 1] != recalls[i]
    )


def _best_truth(box, truths):
    best_iou, best_index = 0.0, None
    for index, truth in enumerate(truths):
        overlap = box.iou(truth)
        if overlap > best_iou:
            best_iou, best_index = overlap, index
    return best_iou, best_index


def precision_recall_curve(detections, truths, label, iou_threshold=0.5):
    """detections: per image a list of Box; truths: per image a list of Box (same order)."""
    truth_boxes = [[b for b in image if b.label == label] for image in truths]
    matched = [[False] * len(boxes) for boxes in truth_boxes]
    n_truths = sum(len(boxes) for boxes in truth_boxes)
    ranked = [(image, box) for image, boxes in enumerate(detections) for box in boxes if box.label == label]
    ranked.sort(key=lambda item: -score_of(item[1]))  # stable: ties keep image and box order
    curve = PrecisionRecallCurve(label, n_truths)
    true_positives = 0
    for rank, (image, box) in enumerate(ranked, start=1):
        overlap, index = _best_truth(box, truth_boxes[image])
        if index is not None and overlap >= iou_threshold and not matched[image][index]:
            matched[image][index] = True
            true_positives += 1
        curve.scores.append(score_of(box))
        curve.precision.append(true_positives / rank)
        curve.recall.append(true_positives / n_truths if n_truths else 0.0)
    if n_truths:
        curve.ap = voc_average_precision(curve.recall, curve.precision)
    return curve
