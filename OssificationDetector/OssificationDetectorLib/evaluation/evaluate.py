"""Evaluate detections against truth boxes: AP@0.5 per class and mAP (Pascal VOC, all points),
and the paper's centre criterion (precision, recall, F1 per class and over all boxes)."""
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Dict, Optional

from .average_precision import PrecisionRecallCurve, precision_recall_curve
from ..core.boxes import AnnotatedImage
from .centre_criterion import RADIUS_FRACTION, SCORE_THRESHOLD, MatchCounts, centre_criterion
from ..core.taxonomy import CLASSES

IOU_THRESHOLD = 0.5


@dataclass
class EvaluationResult:
    n_images: int
    curves: Dict[str, PrecisionRecallCurve]
    centre: Dict[str, MatchCounts]
    settings: dict = field(default_factory=dict)

    @property
    def ap(self):
        """Per class AP, None for a class with no truth box."""
        return {label: curve.ap for label, curve in self.curves.items()}

    @property
    def mean_ap(self) -> Optional[float]:
        """Mean AP over the classes that have truth boxes (None when none has)."""
        values = [v for v in self.ap.values() if v is not None]
        return sum(values) / len(values) if values else None

    @property
    def centre_overall(self):
        """Counts summed over classes, so precision/recall/F1 here are micro averages."""
        return sum(self.centre.values(), MatchCounts())

    def to_dict(self):
        classes = {}
        for label, curve in self.curves.items():
            classes[label] = {
                "ap": curve.ap,
                "truths": curve.n_truths,
                "detections": curve.n_detections,
                "centre": self.centre[label].to_dict() if label in self.centre else None,
            }
        return {
            "images": self.n_images,
            "settings": dict(self.settings),
            "mAP": self.mean_ap,
            "centre_overall": self.centre_overall.to_dict(),
            "classes": classes,
            "curves": {label: {"recall": c.recall, "precision": c.precision, "scores": c.scores}
                       for label, c in self.curves.items()},
        }


def _boxes(image):
    return image.boxes if isinstance(image, AnnotatedImage) else list(image)


def evaluate(detections, truths, iou_threshold=IOU_THRESHOLD, score_threshold=SCORE_THRESHOLD,
             radius_fraction=RADIUS_FRACTION):
    """detections: per image a list of Box (or an AnnotatedImage), in the order of `truths`."""
    if len(detections) != len(truths):
        raise ValueError(
            f"{len(detections)} detection lists for {len(truths)} truth images: give one per image."
        )
    detected = [_boxes(d) for d in detections]
    truth_boxes = [t.boxes for t in truths]
    curves = {label: precision_recall_curve(detected, truth_boxes, label, iou_threshold) for label in CLASSES}
    centres = [{label: [b.center for b in boxes if b.label == label] for label in CLASSES}
               for boxes in truth_boxes]
    counts = centre_criterion(detected, centres, [t.height for t in truths], score_threshold, radius_fraction)
    # A class with neither truths nor detections has no centre-criterion figures at all.
    counts = {label: counts[label] for label in CLASSES if label in counts and counts[label] != MatchCounts()}
    settings = {"iou_threshold": iou_threshold, "score_threshold": score_threshold,
                "radius_fraction": radius_fraction, "centre_radius": f"H * {radius_fraction * 256:g} / 256"}
    return EvaluationResult(len(truths), curves, counts, settings)


class EvaluationError(ValueError):
    """Detections that cannot be compared with the dataset; the message says what to do."""


def align_by_file(detected_images, truths, missing="error"):
    """(detections, truths) for evaluate(): per truth image, the boxes of the detected image with the
    same file (full path, else name). An image detected at another size is an error (its boxes would be
    misplaced). An image with no detections entry is an error, or with missing="skip" left out of both
    lists (detections of part of a dataset evaluate that part); none in common is always an error.
    """
    by_path = {PurePath(d.file).as_posix(): d for d in detected_images}
    by_name = {PurePath(d.file).name: d for d in detected_images}
    aligned, kept = [], []
    for truth in truths:
        found = by_path.get(PurePath(truth.file).as_posix()) or by_name.get(PurePath(truth.file).name)
        if found is None:
            if missing == "skip":
                continue
            raise EvaluationError(f"No detections for {truth.file}: run detection on every image of the dataset.")
        if (found.width, found.height) != (truth.width, truth.height):
            raise EvaluationError(
                f"{truth.file} was detected at {found.width} x {found.height} px but annotated at "
                f"{truth.width} x {truth.height} px: detect on the dataset's own images."
            )
        aligned.append(found.boxes)
        kept.append(truth)
    if not kept and truths:
        raise EvaluationError("None of the dataset's images has detections in the detections file (matched by "
                              "path, then by file name): detect on the dataset's images first.")
    return aligned, kept
