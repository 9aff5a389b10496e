"""detections.json, the file other tools read (format version 2):

{"format": "ossification-detector-detections", "format_version": 2,
 "images": [{"file": PATH, "width": W, "height": H,
             "detections": [{"label": "PIP", "name": "PIP III", "digit": 3, "score": 0.98,
                             "box": [x1, y1, x2, y2]}],
             "warnings": ["the hand is turned about 90 degrees clockwise"]},
            {"file": PATH, "error": "the file is empty (0 bytes). Copy or export it again."}]}

Boxes in pixels of the input image, x right, y down, origin at the top-left corner of the first pixel.
"name" is the area with its digit (I thumb to V little finger) where the joint was assigned one,
"digit" 1-5 or null. An image that could not be read has "error" (one line) and no detections.
Numbers are written in full (JSON floats round-trip exactly). Version 1 files (no "format", no
"name", "warnings" or "error") are read as well.
"""
import json
from pathlib import Path

from ..annotations.common import AnnotationFormatError, image_dimension, make_box
from ..core.atomic import atomic_write_text
from ..core.boxes import AnnotatedImage

FORMAT = "ossification-detector-detections"
FORMAT_VERSION = 2


def detections_entry(file, width, height, boxes, warnings=(), error=None):
    """One image's entry; every box needs a score (these are detections, not annotations). An image that
    could not be read has an error instead of a size and detections."""
    if error is not None:
        return {"file": str(file), "error": str(error)}
    detections = []
    for box in boxes:
        if box.score is None:
            raise ValueError(
                f"The {box.label} box in {file} has no score: detections.json holds scored detections."
            )
        detections.append({"label": box.label, "name": box.name, "digit": box.digit, "score": box.score,
                           "box": box.coords})
    return {"file": str(file), "width": int(width), "height": int(height), "detections": detections,
            "warnings": [str(w) for w in warnings]}


def detections_document(entries):
    """The whole file as a dict. `entries`: AnnotatedImage objects, dicts of detections_entry's arguments,
    or tuples (file, width, height, boxes[, warnings[, error]])."""
    images = []
    for entry in entries:
        if isinstance(entry, AnnotatedImage):
            entry = (entry.file, entry.width, entry.height, entry.boxes)
        images.append(detections_entry(**entry) if isinstance(entry, dict) else detections_entry(*entry))
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "images": images}


def write_detections_json(path, entries):
    """Write detections atomically (see detections_document for the entries)."""
    return atomic_write_text(path, json.dumps(detections_document(entries), indent=2) + "\n")


def is_detections_file(path):
    """True for a detections.json this tool wrote (a file that may be replaced by a new run)."""
    try:
        with open(path, "rb") as stream:
            data = json.loads(stream.read(64 << 20))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("images"), list) and \
        data.get("format", FORMAT) == FORMAT


def _read_detection(detection, where):
    if not isinstance(detection, dict) or not {"label", "score", "box"} <= detection.keys():
        raise AnnotationFormatError(f"{where}: a detection needs \"label\", \"score\" and \"box\".")
    box = detection["box"]
    if not isinstance(box, list) or len(box) != 4:
        raise AnnotationFormatError(f"{where}: \"box\" must be [x1, y1, x2, y2].")
    return make_box(detection["label"], *box, where=where, score=detection["score"], digit=detection.get("digit"))


def read_detections_json(path):
    """detections.json -> list of AnnotatedImage whose boxes carry scores (images with an error left out)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AnnotationFormatError(f"{path} is not valid JSON ({error}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise AnnotationFormatError(f"{path} is not a detections file: it needs an \"images\" list.")
    if int(data.get("format_version", 1) or 1) > FORMAT_VERSION:
        raise AnnotationFormatError(f"{path} was written by a newer OssificationDetector (detections format "
                                    f"{data['format_version']}): update OssificationDetector to read it.")
    images = []
    for i, entry in enumerate(data["images"]):
        where = f"{path} images[{i}]"
        if isinstance(entry, dict) and "error" in entry and "detections" not in entry:
            continue  # an image that could not be read: nothing was detected on it
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
