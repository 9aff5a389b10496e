"""COCO detection JSON: a whole dataset in one file.

Boxes are COCO's [x, y, width, height]. Because x + (x2 - x) is not always exactly x2 in floating
point, each annotation written here also carries its corners in "xyxy" (other COCO tools ignore the
key); reading prefers those corners when they agree with "bbox", so our own files round-trip
exactly and files from other tools come back within about 1e-12 px. Scores travel in "score" (as in
COCO results files) and digits in "digit". Annotations with "iscrowd": 1 are the image's ignored
regions (AnnotatedImage.ignored), as COCO's own evaluation treats crowd regions.
"""
import json
from pathlib import Path

from .common import AnnotationFormatError, image_dimension, make_box, finite_number
from ..core.atomic import atomic_write_text
from ..core.boxes import AnnotatedImage
from ..core.taxonomy import CLASSES, class_index

# Corners and bbox that disagree by more than this (px) mean the bbox was edited by another tool.
_CORNER_AGREEMENT = 1e-6


def _load(path):
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except json.JSONDecodeError as error:
        raise AnnotationFormatError(f"{path} is not valid JSON ({error}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise AnnotationFormatError(
            f"{path} is not a COCO detection file: it needs an \"images\" list "
            "(and \"annotations\", \"categories\")."
        )
    return data


def _corners(annotation, where):
    bbox = annotation.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4:
        raise AnnotationFormatError(f"{where}: \"bbox\" must be a list [x, y, width, height].")
    x, y, w, h = (finite_number(v, f"{where} bbox") for v in bbox)
    corners = [x, y, x + w, y + h]
    carried = annotation.get("xyxy")
    if isinstance(carried, list) and len(carried) == 4:
        carried = [finite_number(v, f"{where} xyxy") for v in carried]
        if all(abs(a - b) <= _CORNER_AGREEMENT for a, b in zip(carried, corners)):
            return carried
    return corners


def read_coco(path):
    """A COCO detection file -> one AnnotatedImage per entry of "images" (in file order)."""
    path = Path(path)
    data = _load(path)
    names = {c.get("id"): c.get("name") for c in data.get("categories", []) if isinstance(c, dict)}
    images, by_id = [], {}
    for i, entry in enumerate(data["images"]):
        where = f"{path} images[{i}]"
        if not isinstance(entry, dict) or "file_name" not in entry or "id" not in entry:
            raise AnnotationFormatError(f"{where}: each image needs \"id\" and \"file_name\".")
        image = AnnotatedImage(
            str(entry["file_name"]),
            image_dimension(entry.get("width"), f"{where} width"),
            image_dimension(entry.get("height"), f"{where} height"),
        )
        if entry["id"] in by_id:
            raise AnnotationFormatError(f"{where}: image id {entry['id']!r} is used twice.")
        by_id[entry["id"]] = image
        images.append(image)
    for i, annotation in enumerate(data.get("annotations", [])):
        where = f"{path} annotations[{i}]"
        image = by_id.get(annotation.get("image_id"))
        if image is None:
            raise AnnotationFormatError(
                f"{where}: image_id {annotation.get('image_id')!r} is not in \"images\"."
            )
        category = annotation.get("category_id")
        if category not in names:
            raise AnnotationFormatError(f"{where}: category_id {category!r} is not in \"categories\".")
        (image.ignored if annotation.get("iscrowd") == 1 else image.boxes).append(make_box(
            names[category], *_corners(annotation, where), where=where,
            score=annotation.get("score"), digit=annotation.get("digit"),
        ))
    return images


def coco_dict(images):
    """The COCO document of a dataset: image ids and annotation ids count from 1, categories 1..6."""
    document = {
        "info": {"description": "Ossification areas of hand radiographs (Koitka et al. 2018 taxonomy)"},
        "licenses": [],
        "categories": [
            {"id": class_index(c), "name": c, "supercategory": "ossification area"} for c in CLASSES
        ],
        "images": [],
        "annotations": [],
    }
    for image_id, image in enumerate(images, start=1):
        document["images"].append(
            {"id": image_id, "file_name": str(image.file), "width": image.width, "height": image.height}
        )
        for box, crowd in [(b, 0) for b in image.boxes] + [(b, 1) for b in image.ignored]:
            annotation = {
                "id": len(document["annotations"]) + 1,
                "image_id": image_id,
                "category_id": class_index(box.label),
                "bbox": [box.x1, box.y1, box.width, box.height],
                "area": box.area,
                "iscrowd": crowd,
                "xyxy": box.coords,
            }
            if box.score is not None:
                annotation["score"] = box.score
            if box.digit is not None:
                annotation["digit"] = box.digit
            document["annotations"].append(annotation)
    return document


def write_coco(images, path):
    """Write a whole dataset as one COCO detection file (atomically)."""
    return atomic_write_text(path, json.dumps(coco_dict(images), indent=1) + "\n")
