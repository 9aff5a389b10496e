"""Import annotations of other schemes as datasets of the six classes, and write them for training.

Kinds:
- "hand-keypoints": a COCO keypoints JSON file of hands (21 points) -> DIP, PIP, MCP boxes.
- "rus-bones": a folder of Pascal VOC files of the 21 RUS bones -> all 17 boxes.
- "dha-landmarks": Digital Hand Atlas landmarks (landmarks37.csv, 37 points) -> DIP, PIP, MCP boxes.

A converted image that lacks some classes (keypoints, landmarks: radius, ulna, wrist) is written for training
cropped to the part of the hand that its boxes cover, so that the unmarked forearm is not learned
as background.
"""
import math
import os
import shutil
from dataclasses import replace
from pathlib import Path

from ..core.atomic import atomic_writer
from .bones import read_bone_folder
from ..core.boxes import AnnotatedImage
from ..annotations.datasets import Dataset, MissingImageError
from ..annotations.image_files import image_size
from .imported import AnnotationImportError
from .joint_boxes import TooFewPointsError, best_placement
from .keypoints import read_hand_keypoints
from .landmarks import read_hand_landmarks
from ..annotations.voc import write_voc

KINDS = {"hand-keypoints": read_hand_keypoints, "rus-bones": read_bone_folder,
         "dha-landmarks": read_hand_landmarks}
CROP_MARGIN = 0.01            # of the image's size, kept beyond the last box
MAX_TURN_FOR_CROP = 30.0      # degrees from an image axis; a hand turned more is not cropped


def import_annotations(source, kind):
    """ImportResult of one annotation source of a given kind (see KINDS)."""
    if kind not in KINDS:
        raise AnnotationImportError(f"Unknown annotation kind {kind!r}: use one of {', '.join(KINDS)}.")
    if not Path(source).exists():
        raise AnnotationImportError(f"{source} does not exist: give the {kind} annotation file or folder.")
    return KINDS[kind](source)


def import_dataset(source, kind, image_root=None):
    """A Dataset of ImportedImage (AnnotatedImage with .annotated_classes) from another scheme.

    image_root: the folder of the images (default: next to the annotations, as datasets look).
    """
    result = import_annotations(source, kind)
    source = Path(source)
    root = source if source.is_dir() else source.parent
    dataset = Dataset(root, result.images, kind, [Path(image_root)] if image_root else [])
    dataset.skipped = result.skipped
    return dataset


def _distal_axis(ann):
    """(axis, sign): the image axis (0 x, 1 y) the fingers point along and its direction, or None."""
    centers = {(b.label, b.digit): complex(*b.center) for b in ann.boxes if b.digit is not None}
    try:
        distal = best_placement(centers).distal
    except (TooFewPointsError, ValueError):
        return None
    axis = 0 if abs(distal.real) > abs(distal.imag) else 1
    along = (distal.real, distal.imag)[axis]
    if abs(along) < math.cos(math.radians(MAX_TURN_FOR_CROP)):
        return None
    return axis, 1 if along > 0 else -1


def crop_window(ann):
    """(x1, y1, x2, y2) in whole pixels: the boxes and all beyond them towards the fingertips,
    or None when the hand is turned too far from an image axis to crop straight."""
    found = _distal_axis(ann)
    if found is None:
        return None
    axis, sign = found
    size = (ann.width, ann.height)[axis]
    margin = CROP_MARGIN * size
    window = [0, 0, ann.width, ann.height]
    if sign < 0:  # fingertips towards 0: keep up to just past the most proximal box
        window[2 + axis] = min(size, math.ceil(max((b.x2, b.y2)[axis] for b in ann.boxes) + margin))
    else:
        window[axis] = max(0, math.floor(min((b.x1, b.y1)[axis] for b in ann.boxes) - margin))
    return tuple(window)


def cropped(ann, window):
    """The annotation of the image cut to window (x1, y1, x2, y2)."""
    x1, y1, x2, y2 = window
    boxes = []
    for box in ann.boxes:
        moved = replace(box, x1=box.x1 - x1, y1=box.y1 - y1, x2=box.x2 - x1, y2=box.y2 - y1)
        moved = moved.clipped(x2 - x1, y2 - y1)
        if moved is not None:
            boxes.append(moved)
    return AnnotatedImage(ann.file, x2 - x1, y2 - y1, boxes)


def _place_copy(source, target, link):
    import filecmp

    if target.exists() and filecmp.cmp(source, target, shallow=False):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if link and not target.exists():
        try:
            os.link(source, target)
            return
        except OSError:
            pass  # another file system: copy instead
    with open(source, "rb") as src, atomic_writer(target, "wb") as dst:
        shutil.copyfileobj(src, dst)


def _write_crop(source, target, window):
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image, atomic_writer(target, "wb") as dst:
        image.crop(window).save(dst, format="PNG")


def _planned(dataset, folder, skipped):
    """[(source, target, annotation to write, crop window or None)], nothing written yet."""
    plans = []
    for ann in dataset.images:
        try:
            source = dataset.image_path(ann)
        except MissingImageError as error:
            skipped.append((ann.file, str(error)))
            continue
        size = image_size(source)
        if size != (ann.width, ann.height):
            skipped.append((ann.file, f"the image is {size[0]} x {size[1]} px, the annotation says "
                                      f"{ann.width} x {ann.height}"))
            continue
        name = Path(ann.file).name
        if getattr(ann, "complete", True):
            plans.append((source, folder / "JPEGImages" / name, AnnotatedImage(name, ann.width, ann.height,
                                                                                 list(ann.boxes)), None))
            continue
        window = crop_window(ann)
        if window is None:
            skipped.append((ann.file, "the hand is turned too far to crop away its unannotated part"))
            continue
        name = Path(name).with_suffix(".png").name
        out = cropped(ann, window)
        out.file = name
        plans.append((source, folder / "JPEGImages" / name, out, window))
    return plans


def _clashes(plans, folder):
    """The planned images whose annotation or image file already in `folder` differs from the new one."""
    import filecmp

    from ..annotations.datasets import existing_images
    from ..annotations.merge import image_key, same_boxes

    there = existing_images(folder, "voc")
    clashes = []
    for source, target, out, window in plans:
        old = there.get(image_key(out.file, "voc"))
        xml = folder / "Annotations" / Path(out.file).with_suffix(".xml")
        if old is not None or xml.exists():
            if old is None or not same_boxes(old, out):
                clashes.append(out.file)
                continue
        if target.exists() and window is None and not filecmp.cmp(source, target, shallow=False):
            clashes.append(out.file)
        elif target.exists() and window is not None and old is None:
            clashes.append(out.file)
    return clashes


def write_training_folder(dataset, folder, link=True, overwrite=False):
    """Write imported images as a Pascal VOC folder (Annotations/, JPEGImages/) for training.

    Images with every class annotated are linked (or copied); the others are cropped to their
    boxes' side of the hand and saved as PNG. Annotations and images already in the folder are never
    replaced by different ones unless overwrite: a clash stops the import before anything is written.
    Returns (written file names, [(file, reason)] left out).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise AnnotationImportError(f"{folder} is a file: give a folder to write the training data into.")
    skipped = list(getattr(dataset, "skipped", []))
    plans = _planned(dataset, folder, skipped)
    clashes = [] if overwrite else _clashes(plans, folder)
    if clashes:
        shown = ", ".join(clashes[:3]) + (f" and {len(clashes) - 3} more" if len(clashes) > 3 else "")
        raise AnnotationImportError(
            f"{folder} already holds other annotations or images for {len(clashes)} of these images ({shown}): "
            "nothing was written. Add --overwrite to replace them, or import into an empty folder.")
    written = []
    for source, target, out, window in plans:
        if window is None:
            _place_copy(source, target, link)
        else:
            _write_crop(source, target, window)
        write_voc(out, folder / "Annotations" / Path(out.file).with_suffix(".xml"), image_path=target)
        written.append(out.file)
    return written, skipped
