"""Detection: a Detector loads a model once and finds the ossification areas of radiographs.

Boxes come back in the pixels of the input image: torchvision's transform resizes each image
(short side min_size, long side at most max_size) and scales the boxes back by the exact
ratio of the sizes, which is exact for pixel-edge coordinates (x right, y down, origin at the
top-left corner of the first pixel).
"""
from pathlib import Path

import numpy as np

from .boxes import Box
from .taxonomy import class_of_index

# Two boxes of different classes overlapping this much are one area seen twice (e.g. one joint
# called both DIP and PIP); the lower-scored one is dropped. Same-class duplicates are removed
# by the detector's own per-class NMS (IoU 0.5).
CROSS_CLASS_IOU = 0.7


def outputs_to_boxes(output, width, height, threshold=0.0):
    """One torchvision detection output -> Boxes clipped to the image, best first."""
    boxes = output["boxes"].detach().float().cpu().numpy()
    labels = output["labels"].detach().cpu().numpy()
    scores = output["scores"].detach().float().cpu().numpy()
    result = []
    for (x1, y1, x2, y2), label, score in zip(boxes, labels, scores):
        if score < threshold or label < 1:
            continue
        x1, x2 = np.clip([x1, x2], 0, width)
        y1, y2 = np.clip([y1, y2], 0, height)
        if x2 <= x1 or y2 <= y1:
            continue
        result.append(Box(class_of_index(label), x1, y1, x2, y2, score=float(score)))
    result.sort(key=lambda b: -b.score)
    return result


def suppress_cross_class_duplicates(boxes, iou=CROSS_CLASS_IOU):
    """Keep the best-scored box where boxes of different classes cover the same area."""
    kept = []
    for box in sorted(boxes, key=lambda b: -(b.score or 0.0)):
        if all(box.iou(other) <= iou for other in kept):
            kept.append(box)
    return kept


def run_model(model, images, device, threshold=0.0):
    """Raw detections (list of Box lists) for 1 x H x W float tensors in [0, 1]."""
    import torch

    from .devices import mixed_precision_dtype
    from .model import autocast_backbone

    sizes = [(int(im.shape[-1]), int(im.shape[-2])) for im in images]
    with torch.inference_mode(), autocast_backbone(model, mixed_precision_dtype(device)):
        outputs = model([im.to(device) for im in images])
    return [outputs_to_boxes(out, w, h, threshold) for out, (w, h) in zip(outputs, sizes)]


def as_pixels(radiograph):
    """A Radiograph, a 2D array or an image path as the detector's float32 [0, 1] input."""
    from .images import normalized, read_radiograph

    if isinstance(radiograph, (str, Path)):
        radiograph = read_radiograph(radiograph)
    return np.ascontiguousarray(normalized(radiograph), dtype=np.float32)


def anatomy_postprocess():
    """anatomy.postprocess when that module is installed, else None."""
    try:
        from .anatomy import postprocess
    except ImportError:
        return None
    return postprocess


class Detector:
    """Loads a model once; `detect` / `detect_batch` return Boxes in input-image pixels.

    model: a registered model name ("default"), a model file path, or a (torch model, metadata)
    pair. device: "auto" (cuda, then mps, else cpu), "cpu", "cuda" or "mps". threshold: the
    lowest score kept. postprocess: anatomy-aware clean-up (at most the expected count per class,
    digits assigned) when available.
    """

    def __init__(self, model="default", device="auto", threshold=0.5, postprocess=True, threads=None,
                 batch_size=4):
        from .checkpoints import load_model
        from .devices import limit_cpu_threads, resolve_device

        if isinstance(model, tuple):
            self.model, self.metadata = model
            self.source = "in memory"
        else:
            from .registry import resolve_model

            path, sha256 = resolve_model(model)
            self.model, self.metadata = load_model(path, sha256)
            self.source = str(path)
        self.device = resolve_device(device)
        if self.device.type == "cpu":
            limit_cpu_threads(threads)
        self.model.to(self.device).eval()
        self.threshold = float(threshold)
        self.batch_size = max(1, int(batch_size))
        self._postprocess = anatomy_postprocess() if postprocess else None

    def detect(self, radiograph):
        return self.detect_batch([radiograph])[0]

    def detect_batch(self, radiographs):
        import torch

        results = []
        for start in range(0, len(radiographs), self.batch_size):
            chunk = [as_pixels(r) for r in radiographs[start:start + self.batch_size]]
            tensors = [torch.from_numpy(pixels)[None] for pixels in chunk]
            for pixels, boxes in zip(chunk, run_model(self.model, tensors, self.device, self.threshold)):
                results.append(self._clean(boxes, pixels.shape[1], pixels.shape[0]))
        return results

    def _clean(self, boxes, width, height):
        boxes = suppress_cross_class_duplicates(boxes)
        if self._postprocess is not None:
            boxes = self._postprocess(boxes, width, height)
        return boxes
