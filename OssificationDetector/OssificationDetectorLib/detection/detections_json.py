"""detections.json, the file other tools read:

{"images": [{"file": PATH, "width": W, "height": H,
             "detections": [{"label": "DIP", "score": 0.98, "box": [x1, y1, x2, y2]}]}]}

Boxes in pixels of the input image, x right, y down, origin at the top-left corner of the first pixel.
Exactly these keys are written; numbers are written in full (JSON floats round-trip exactly).
"""
import json
from pathlib import Path

from ..annotations.common import AnnotationFormatError, image_dimension, make_box
from ..core.atomic import atomic_write_text
from ..core.boxes import AnnotatedImage


def detections_entry(file, width, height, boxes):
    """One image's entry; every box needs a score (these are detections, not annotations)."""
    detections = []
    for box in boxes:
        if box.score is None:
            raise ValueError(
                f"The {box.label} box in {file} has no score: detections.json holds scored detections."
            )
        detections.append({"label": box.label, "score": box.score, "box": box.coords})
    return {"file": str(file), "width": int(width), "height": int(height), "detections": detections}


def write_detections_json(path, entries):
    """Write detections atomically. `entries`: AnnotatedImage objects or (file, width, height, boxes)."""
    images = []
    for entry in entries:
        if isinstance(entry, AnnotatedImage):
            entry = (entry.file, entry.width, entry.height, entry.boxes)
        images.append(detections_entry(*entry))
    return atomic_write_text(path, json.dumps({"images": images}, indent=2) + "\n")


def _read_detection(detection, where):
    if not isinstance(detection, dict) or not {"label", "score", "box"} <= detection.keys():
        raise AnnotationFormatError(f"{where}: a detection needs \"label\", \"score\" and \"box\".")
    box = detection["box"]
    if not isinstance(box, list) or len(box) != 4:
        raise AnnotationFormatError(f"{where}: \"box\" must be [x1, y1, x2, y2].")
    return make_box(detection["label"], *box, where=where, score=detection["score"])


def read_detections_json(path):
    """detections.json -> list of AnnotatedImage whose boxes carry scores."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AnnotationFormatError(f"{path} is not valid JSON ({error}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise AnnotationFormatError(f"{path} is not a detections file: it needs an \"images\" list.")
    images = []
    for i, entry in enumerate(data["images"]):
        where = f"{path} images[{i}]"
        if not (isinstance(entry, dict) and "file" in entry and isinstance(entry.get("detections"), list)):
            raise AnnotationFormatError(
                f"{where}: each image needs \"file\", \"width\", \"height\" and \"detections\"."
            )
        boxes = [_read_detection(d, f"{where} detections[{j}]") for j, d in enumerate(entry["detections"])]
        images.append(AnnotatedImage(
            str(entry["file"]),
            image_dimension(entry.get("width"), f"{where} width"),
            image_dimension(entry.get("height"), f"{where} height"),
            boxes,
        ))
    return images
