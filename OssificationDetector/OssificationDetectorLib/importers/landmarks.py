"""Digital Hand Atlas landmarks (37 points a hand, landmarks37.csv) -> boxes of the DIP, PIP and MCP joints.

The CSV has one row per image: id, then x0, y0, ... x36, y36 in the image's pixels. The joint
landmarks (the data's README, checked by drawing them): 18 thumb MCP, 19 thumb IP (PIP I in the
taxonomy), 20 thumb tip; the index, middle, ring and little fingers start at 21, 25, 29, 33 with
MCP, PIP, DIP, tip. They sit on the joint line, where an ossification-area box is centred, so they
are turned into the hand-keypoint names and boxed like those (keypoints.py: sizes from the average
hand fitted to the 14 joints). Landmarks 0-17 lie in the wrist but their order is not documented,
so the radius, ulna and wrist areas are not made: the images are written cropped to the fingers,
as for hand keypoints.
"""
import csv
from pathlib import Path

from .imported import AnnotationImportError, ImportResult
from .keypoints import FINGERS, boxes_from_keypoints
from ..annotations.image_files import image_size

LANDMARK_COUNT = 37
CSV_NAME = "landmarks37.csv"
IMAGE_FOLDER = "images"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# Landmark index of each hand keypoint name that marks an area (keypoints.AREA_KEYPOINTS).
LANDMARK_KEYPOINTS = {"thumb2": 18, "thumb3": 19}
for _start, _finger in zip((21, 25, 29, 33), FINGERS):
    LANDMARK_KEYPOINTS.update({f"{_finger}1": _start, f"{_finger}2": _start + 1, f"{_finger}3": _start + 2})


def _csv_and_images(source):
    source = Path(source)
    table = source / CSV_NAME if source.is_dir() else source
    if not table.is_file():
        raise AnnotationImportError(f"{source} holds no {CSV_NAME}: give the dha-landmarks folder or its CSV file.")
    return table, table.parent / IMAGE_FOLDER


def _image_file(images, key):
    for suffix in IMAGE_SUFFIXES:
        if (images / f"{key}{suffix}").is_file():
            return images / f"{key}{suffix}"
    return None


def joint_points(values):
    """{hand keypoint name: x + iy} of the joint landmarks of one row's 74 coordinates."""
    return {name: complex(values[2 * i], values[2 * i + 1]) for name, i in LANDMARK_KEYPOINTS.items()}


def read_hand_landmarks(source, template=None):
    """landmarks37.csv (or the folder holding it and images/) -> ImportResult of the finger joints.

    An image is left out, with the reason, when its file is missing or unreadable, its row does not
    hold 37 numeric points, or its joints do not lie like one hand's.
    """
    table, images = _csv_and_images(source)
    result = ImportResult(kind="dha-landmarks")
    try:
        rows = list(csv.reader(table.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError) as error:
        raise AnnotationImportError(f"{table} is not a readable CSV file ({error}).") from None
    for row in rows:
        if not row or not row[0].strip() or not any(c.strip() for c in row[1:]):
            continue
        key = row[0].strip()
        path = _image_file(images, key)
        name = f"{IMAGE_FOLDER}/{path.name}" if path else f"{IMAGE_FOLDER}/{key}.jpg"
        try:
            values = [float(v) for v in row[1:]]
        except ValueError:
            if not result.images and not result.skipped:
                continue  # a header row
            result.skipped.append((name, "the landmark row holds text where numbers belong"))
            continue
        if len(values) != 2 * LANDMARK_COUNT:
            result.skipped.append((name, f"{len(values)} coordinates; 37 points (74 numbers) are needed"))
            continue
        if path is None:
            result.skipped.append((name, f"no image {key}.jpg or .png in {images}"))
            continue
        try:
            width, height = image_size(path)
        except (OSError, ValueError) as error:
            result.skipped.append((name, f"the image cannot be read ({error})"))
            continue
        try:
            image = boxes_from_keypoints(joint_points(values), width, height, name, template)
        except AnnotationImportError as error:
            result.skipped.append((name, str(error)))
            continue
        image.source = "dha-landmarks"
        result.images.append(image)
    return result
