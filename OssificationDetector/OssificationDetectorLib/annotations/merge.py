"""Writing into a folder that already holds a dataset: what is there is kept, never silently replaced.

Images new to the folder are added; an image annotated the same way already is left alone; an image
annotated differently is a clash: with existing="error" (the default) nothing is written and the
clash is reported; "overwrite" replaces those annotations; "keep" keeps them and reports them
(pseudo-labels never replace a person's annotation). A YOLO classes.txt in another order than ours
would change the meaning of every label file there: that is a clash too.
"""
from pathlib import Path

from ..core.taxonomy import CLASSES
from .common import DatasetError

EXISTING_POLICIES = ("error", "overwrite", "keep")
SAME_BOX_TOLERANCE = 0.5  # px: formats that round coordinates still read as the same box


def _same_box_lists(a, b):
    if len(a) != len(b):
        return False
    key = lambda box: (box.label, box.x1, box.y1)  # noqa: E731
    return all(x.label == y.label and all(abs(p - q) <= SAME_BOX_TOLERANCE for p, q in zip(x.coords, y.coords))
               for x, y in zip(sorted(a, key=key), sorted(b, key=key)))


def same_boxes(a, b):
    return ((a.width, a.height) == (b.width, b.height) and _same_box_lists(a.boxes, b.boxes)
            and _same_box_lists(a.ignored, b.ignored))


def image_key(file, fmt):
    """What names an image's annotation in a format: VOC and YOLO files are named by the stem."""
    path = Path(file)
    return path.as_posix() if fmt == "coco" else path.with_suffix("").as_posix()


def check_class_list(folder, fmt, existing="error"):
    """A YOLO folder whose classes.txt lists other classes, or ours in another order, is a clash."""
    folder = Path(folder)
    if fmt != "yolo" or existing == "overwrite" or not (folder / "classes.txt").is_file():
        return
    from .yolo import read_classes

    classes = read_classes(folder)
    if classes != list(CLASSES):
        raise DatasetError(f"{folder / 'classes.txt'} lists the classes as {', '.join(classes)}, not "
                           f"{', '.join(CLASSES)}: writing ours would change the meaning of the label files there. "
                           "Convert into an empty folder, or add --overwrite to rewrite every label in our order.")


class MergePlan:
    """write: the images whose annotations are (re)written; index: every image the folder's index
    (COCO file, YOLO labels) lists afterwards; kept: [(file, reason)] left as they were."""

    def __init__(self, write, index, kept):
        self.write, self.index, self.kept = write, index, kept


def plan_merge(images, there, folder, fmt, existing="error"):
    """How to write `images` (AnnotatedImage, files relative to the images folder) into `folder`, which
    holds `there` ({image_key: AnnotatedImage}, datasets.existing_images)."""
    if existing not in EXISTING_POLICIES:
        raise ValueError(f"existing={existing!r}: use one of {', '.join(EXISTING_POLICIES)}")
    folder = Path(folder)
    check_class_list(folder, fmt, existing)
    write, clashes, kept = [], [], []
    for ann in images:
        old = there.get(image_key(ann.file, fmt))
        if old is None:
            write.append(ann)
        elif same_boxes(old, ann):
            continue
        elif existing == "overwrite":
            write.append(ann)
        elif existing == "keep":
            kept.append((ann.file, "already annotated in the folder: the existing annotation is kept"))
        else:
            clashes.append(ann.file)
    if clashes:
        shown = ", ".join(clashes[:3]) + (f" and {len(clashes) - 3} more" if len(clashes) > 3 else "")
        raise DatasetError(f"{folder} already holds other annotations for {len(clashes)} of these images ({shown}): "
                           "nothing was written. Add --overwrite to replace them, or write into an empty folder.")
    written = {image_key(ann.file, fmt) for ann in write}
    index = [ann for key, ann in there.items() if key not in written] + write
    return MergePlan(write, index, kept)
