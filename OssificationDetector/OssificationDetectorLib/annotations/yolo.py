"""YOLO txt labels: classes.txt plus one txt per image, lines `class cx cy w h [score]`.

Layout written: FOLDER/classes.txt and FOLDER/labels/<image path relative to the images>.txt; the
images themselves live in FOLDER/images (datasets.save_dataset puts them there). Read also accepts
LabelImg's layout, where the txt files and classes.txt sit next to the images.
Values are normalised by the image size and written with `repr`, so corners come back within about
1e-12 px. YOLO has no place for a digit: digits are not kept (anatomy.postprocess assigns them again).
"""
from pathlib import Path

from .common import AnnotationFormatError, finite_number, make_box
from ..core.atomic import atomic_write_text
from ..core.boxes import AnnotatedImage
from .image_files import image_size, is_image_file
from ..core.taxonomy import CLASSES

def read_classes(folder):
    classes_file = Path(folder) / "classes.txt"
    if not classes_file.is_file():
        raise AnnotationFormatError(
            f"{folder} has no classes.txt: a YOLO dataset needs one, with the class names one a line "
            f"({', '.join(CLASSES)})."
        )
    return [line.strip() for line in classes_file.read_text(encoding="utf-8").splitlines() if line.strip()]


def _parse_line(line, where, classes, width, height):
    values = line.split()
    if len(values) not in (5, 6):
        raise AnnotationFormatError(f"{where}: expected `class cx cy w h [score]`, got {line!r}.")
    index = finite_number(values[0], where)
    if index != int(index) or not 0 <= index < len(classes):
        raise AnnotationFormatError(
            f"{where}: class {values[0]} is not a line of classes.txt (0..{len(classes) - 1})."
        )
    cx, cy, w, h = (finite_number(v, where) for v in values[1:5])
    score = values[5] if len(values) == 6 else None
    return make_box(
        classes[int(index)],
        (cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height,
        where=where, score=score,
    )


def read_labels(label_path, classes, width, height):
    """The boxes of one YOLO txt file, in pixels of a width x height image."""
    lines = Path(label_path).read_text(encoding="utf-8").splitlines()
    return [
        _parse_line(line, f"{label_path} line {number}", classes, width, height)
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]


def yolo_layout(folder, image_root=None):
    """(labels folder, images folder) of a YOLO dataset folder."""
    folder = Path(folder)
    labels = folder / "labels" if (folder / "labels").is_dir() else folder
    if image_root is None:
        image_root = folder / "images" if (folder / "images").is_dir() else folder
    return labels, Path(image_root)


def read_yolo(folder, image_root=None):
    """Every image under the images folder -> AnnotatedImage (no txt file means no boxes).

    `file` is the image's path relative to the images folder. Sizes come from the image files.
    """
    classes = read_classes(folder)
    labels, image_root = yolo_layout(folder, image_root)
    image_files = sorted(p for p in image_root.rglob("*") if is_image_file(p))
    images, used = [], set()
    for image_file in image_files:
        relative = image_file.relative_to(image_root)
        label_path = labels / relative.with_suffix(".txt")
        width, height = image_size(image_file)
        boxes = []
        if label_path.is_file():
            boxes = read_labels(label_path, classes, width, height)
            used.add(label_path.resolve())
        images.append(AnnotatedImage(relative.as_posix(), width, height, boxes))
    orphans = [p for p in labels.rglob("*.txt") if p.name != "classes.txt" and p.resolve() not in used]
    if orphans:
        raise AnnotationFormatError(
            f"{len(orphans)} YOLO label file(s) have no image in {image_root}, for example {orphans[0]}: "
            "put the images there (same name, an image suffix) or remove the labels."
        )
    return images


def label_line(box, width, height):
    values = [
        CLASSES.index(box.label),
        (box.x1 + box.x2) / 2 / width, (box.y1 + box.y2) / 2 / height,
        box.width / width, box.height / height,
    ]
    if box.score is not None:
        values.append(box.score)
    return " ".join(repr(v) for v in values)


def label_relative_path(ann, image_root=None):
    """Where an image's txt goes below labels/: its path relative to the images, suffix .txt."""
    file = Path(ann.file)
    if file.is_absolute():
        file = file.relative_to(image_root) if image_root is not None else Path(file.name)
    return file.with_suffix(".txt")


def write_yolo(images, folder, image_root=None):
    """Write classes.txt and labels/<image>.txt for each image (atomically); returns the label paths.

    `image_root` is needed only for images whose `file` is absolute: labels mirror their path below it.
    """
    folder = Path(folder)
    atomic_write_text(folder / "classes.txt", "\n".join(CLASSES) + "\n")
    written = []
    for ann in images:
        path = folder / "labels" / label_relative_path(ann, image_root)
        text = "".join(label_line(box, ann.width, ann.height) + "\n" for box in ann.boxes)
        written.append(atomic_write_text(path, text))
    return written
