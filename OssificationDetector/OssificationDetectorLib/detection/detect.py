"""Detection: a Detector loads a model once and finds the ossification areas of radiographs.

Boxes come back in the pixels of the input image: torchvision's transform resizes each image
(short side min_size, long side at most max_size) and scales the boxes back by the exact
ratio of the sizes, which is exact for pixel-edge coordinates (x right, y down, origin at the
top-left corner of the first pixel). A radiograph whose hand is not found upright is detected
again on a view that shows it upright (orientation_search.py); its boxes are mapped back.
"""
from dataclasses import replace
from pathlib import Path
from typing import List, NamedTuple

import numpy as np

from ..core.boxes import Box
from .orientation import CONFIDENT_SCORE, UPRIGHT, Orientation
from ..core.taxonomy import class_of_index

ORIENTATION_MODES = ("auto", "upright")

# Two boxes of different classes overlapping this much are one area seen twice (e.g. one joint
# called both DIP and PIP); the lower-scored one is dropped. Same-class duplicates are removed
# by the detector's own per-class NMS (IoU 0.5).
CROSS_CLASS_IOU = 0.7
# Region proposals for a window of a few areas (the second look): the box head's cost is per
# proposal, and a whole hand's 300 would cost a window as much as a radiograph.
WINDOW_PROPOSALS = 20


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


def run_model(model, images, device, threshold=0.0, probe=None):
    """Raw detections (list of Box lists) for 1 x H x W float tensors in [0, 1]; with an orientation
    probe, its Turned for an image whose hand it is sure lies turned (that pass stops after the backbone)."""
    import torch

    from ..model.devices import mixed_precision_dtype
    from ..model.architectures import autocast_backbone
    from .model_pass import run_in_stages

    sizes = [(int(im.shape[-1]), int(im.shape[-2])) for im in images]
    with torch.inference_mode(), autocast_backbone(model, mixed_precision_dtype(device)):
        outputs = run_in_stages(model, to_device(images, device), probe)
    return [out if not isinstance(out, dict) else outputs_to_boxes(out, w, h, threshold)
            for out, (w, h) in zip(outputs, sizes)]


def to_device(images, device):
    """Tensors on `device`; to a GPU through pinned memory, without waiting for each copy."""
    if device.type != "cuda":
        return [im.to(device) for im in images]
    return [im.pin_memory().to(device, non_blocking=True) for im in images]


def as_pixels(radiograph):
    """A Radiograph, a 2D array or an image path as the detector's float32 [0, 1] input."""
    from ..io.images import normalized, read_radiograph

    if isinstance(radiograph, (str, Path)):
        radiograph = read_radiograph(radiograph)
    return np.ascontiguousarray(normalized(radiograph), dtype=np.float32)


def prepared_model(model, device, in_memory):
    """The model made fast for inference (model/inference.py); a model handed over in memory is
    copied first, so that its owner (training, a test) keeps a trainable one."""
    from ..model.inference import PREPARED_FLAG, prepare_for_inference

    if in_memory and not getattr(model, PREPARED_FLAG, False):
        import copy

        model = copy.deepcopy(model)
    return prepare_for_inference(model, device)


def anatomy_postprocess():
    """anatomy.postprocess when that module is installed, else None."""
    try:
        from .anatomy import postprocess
    except ImportError:
        return None
    return postprocess


class DetectionResult(NamedTuple):
    """One radiograph's detections with what the user should know about them.

    boxes: in the input image's pixels. warnings: plain-language remarks (how the hand lay, areas
    missing), one line each. orientation: how the hand lay (see orientation.py).
    """

    boxes: List[Box]
    warnings: List[str]
    orientation: Orientation


class Detector:
    """Loads a model once; `detect` / `detect_batch` return Boxes in input-image pixels.

    model: a registered model name ("default"), a model file path, or a (torch model, metadata)
    pair. device: "auto" (cuda, then mps, else cpu), "cpu", "cuda" or "mps". threshold: the
    lowest score kept. postprocess: anatomy-aware clean-up (at most the expected count per class,
    digits assigned); False gives the model's own boxes on the image as it is. orientations
    (with postprocess): "auto" detects again on a view turned back upright (and flipped for a right
    hand) when the first pass does not find a nearly complete hand near upright, and keeps the
    best; "upright" detects on the image as it is only. prepare: make the model fast for inference
    (batch norms folded, channels-last on the CPU: model/inference.py); False runs it as loaded.
    probe: with "auto", use the model file's orientation probe where it has one (orientation_probe.py:
    a hand it is sure lies turned skips the first pass's heads); False searches without it.
    """

    def __init__(self, model="default", device="auto", threshold=0.5, postprocess=True, threads=None,
                 batch_size=4, orientations="auto", prepare=True, probe=True):
        from ..model.checkpoints import load_model
        from ..model.devices import limit_cpu_threads, resolve_device

        if orientations not in ORIENTATION_MODES:
            raise ValueError(f"orientations={orientations!r}: use 'auto' (also try the radiograph turned and "
                             "mirrored when the hand is not found upright) or 'upright' (the image as it is).")
        self.probe = None
        if isinstance(model, tuple):
            self.model, self.metadata = model
            self.source = "in memory"
        else:
            from ..model.registry import resolve_model
            from .orientation_probe import probe_for_model

            path, sha256 = resolve_model(model)
            self.model, self.metadata = load_model(path, sha256)
            self.source = str(path)
            if probe and orientations == "auto" and postprocess:
                self.probe = probe_for_model(path, sha256)
        self.device = resolve_device(device)
        if self.device.type == "cpu":
            limit_cpu_threads(threads)
        self.model.to(self.device).eval()
        if prepare:
            self.model = prepared_model(self.model, self.device, in_memory=isinstance(model, tuple))
        self.threshold = float(threshold)
        self.batch_size = max(1, int(batch_size))
        self.postprocess = bool(postprocess)
        self.orientations = orientations

    def detect(self, radiograph):
        return self.detect_batch([radiograph])[0]

    def detect_batch(self, radiographs):
        return [result.boxes for result in self._detect(radiographs, with_warnings=False)]

    def detect_with_report(self, radiograph):
        """DetectionResult(boxes, warnings, orientation) for one radiograph."""
        return self._detect([radiograph], with_warnings=True)[0]

    def detect_batch_with_report(self, radiographs):
        return self._detect(radiographs, with_warnings=True)

    def _detect(self, radiographs, with_warnings):
        results = []
        for start in range(0, len(radiographs), self.batch_size):
            given = radiographs[start:start + self.batch_size]
            chunk = [as_pixels(r) for r in given]
            for radiograph, pixels, first in zip(given, chunk, self._detect_views(chunk, self.probe)):
                result, analysis = self._result(pixels, first, with_warnings)
                if with_warnings:  # what is wrong with the image itself comes first
                    from .image_checks import image_warnings

                    result.warnings[:0] = image_warnings(radiograph, pixels, analysis)
                results.append(result)
        return results

    def _detect_views(self, views, probe=None):
        """(boxes, anatomy analysis or None) for each float32 image, in its own pixels; with a probe, its
        Turned for an image whose hand it is sure lies turned (orientation_probe.py)."""
        import torch

        found = []
        for start in range(0, len(views), self.batch_size):
            chunk = [np.ascontiguousarray(v) for v in views[start:start + self.batch_size]]
            tensors = [torch.from_numpy(v)[None] for v in chunk]
            for view, boxes in zip(chunk, run_model(self.model, tensors, self.device, self.threshold, probe)):
                found.append(self._clean(boxes, view.shape[1], view.shape[0]) if isinstance(boxes, list) else boxes)
        return found

    def _detect_at_scale(self, images, scale):
        """Boxes of float32 images of one size, resized by `scale` instead of to the model's input
        size, in one batch."""
        import torch

        from ..model.inference import fewer_proposals, resized_by

        with resized_by(self.model.transform, scale, *images[0].shape), \
                fewer_proposals(self.model.rpn, WINDOW_PROPOSALS):
            found = run_model(self.model, [torch.from_numpy(im)[None] for im in images], self.device, self.threshold)
        return [suppress_cross_class_duplicates(boxes) for boxes in found]

    def _input_scale(self, height, width):
        """How the model's own resize scales an image of this size."""
        transform = self.model.transform
        return min(transform.min_size[-1] / min(height, width), transform.max_size / max(height, width))

    def _clean(self, boxes, width, height):
        boxes = suppress_cross_class_duplicates(boxes)
        analysis = None
        if self.postprocess:
            from .anatomy import analyse_hand

            analysis = analyse_hand(boxes, width, height)
            boxes = analysis.boxes
        return boxes, analysis

    def _result(self, pixels, first, with_warnings):
        """(DetectionResult, anatomy's reading of the first whole pass for the image checks) of one image
        from its first pass: (boxes, analysis), or the probe's Turned (the search then starts there)."""
        height, width = pixels.shape
        orientation, view = UPRIGHT, None
        searching = self.orientations == "auto" and self.postprocess
        # The search needs anatomy's reading of each view: it runs with the post-processing only.
        if searching:
            from .orientation_probe import Turned
            from .orientation_search import search

            scale = self._input_scale(height, width)
            view, boxes, kept, orientation = search(pixels, first, self._detect_views,
                                                    lambda windows: self._detect_at_scale(windows, scale))
            analysis = kept if isinstance(first, Turned) else first[1]
        else:
            (boxes, analysis), kept = first, None
        warnings = []
        if with_warnings:
            from .anatomy import hand_warnings

            view_width, view_height = view.size if view else (width, height)
            confident = [b for b in boxes if b.score is None or b.score >= CONFIDENT_SCORE]
            # When every kept box is confident, the warnings describe the search's own fit, the one whose
            # boxes and digits are returned, instead of fitting those boxes again (a second fit cost ~5 ms
            # and, on 3 of 231 validation and benchmark hands upright, turned and mirrored, named the
            # digits of an incomplete hand otherwise than the boxes returned).
            own_fit = searching and kept is not None and kept.fitted and len(confident) == len(kept.boxes)
            warnings = orientation.describe() + hand_warnings(
                confident, view_width, view_height, about_orientation=not searching,
                analysis=replace(kept, dropped={}) if own_fit else None)
        if view:
            boxes = [b for b in (view.box_from_view(b) for b in boxes) if b is not None]
        return DetectionResult(boxes, warnings, orientation), analysis
