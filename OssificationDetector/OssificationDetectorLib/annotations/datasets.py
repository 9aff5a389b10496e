"""A dataset: radiographs plus their boxes in Pascal VOC, COCO or YOLO, found, loaded, saved, converted.

Layouts written by save_dataset:
- voc:  Annotations/<name>.xml and JPEGImages/<image>   (the Pascal VOC layout)
- coco: annotations.json and images/<image>
- yolo: classes.txt, labels/<name>.txt and images/<image>
An AnnotatedImage's `file` is the image's path relative to the images folder.
"""
import filecmp
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

from ..core.atomic import atomic_writer
from ..core.boxes import AnnotatedImage
from .coco import read_coco, write_coco
from .common import DatasetError  # noqa: F401  (defined beside the other format errors; importable from here)
from .image_files import image_size
from .voc import read_voc, write_voc
from .yolo import read_yolo, write_yolo

FORMATS = ("voc", "coco", "yolo")
IMAGE_FOLDER_NAMES = ("images", "JPEGImages")
COCO_FILE_NAMES = ("annotations.json", "coco.json")


class MissingImageError(FileNotFoundError):
    """An annotation whose image file cannot be found."""


@dataclass
class Dataset:
    root: Path
    images: List[AnnotatedImage]
    format: str
    image_dirs: List[Path] = field(default_factory=list)  # searched first (an explicit image folder)

    def __post_init__(self):
        self.root = Path(self.root)
        self.image_dirs = [Path(p) for p in self.image_dirs]

    def _search_folders(self):
        """Where images of an annotation folder usually are: beside it, in images/, in a sibling folder."""
        root, parent = self.root, self.root.parent
        folders = list(self.image_dirs) + [root] + [root / n for n in IMAGE_FOLDER_NAMES]
        folders += [parent / n for n in IMAGE_FOLDER_NAMES]
        if parent.is_dir():
            folders += sorted(p for p in parent.iterdir() if p.is_dir() and p != root)
        folders += [parent.parent / n for n in IMAGE_FOLDER_NAMES]
        return list(dict.fromkeys(folders))

    def image_path(self, ann):
        """The image file of one annotation, or MissingImageError saying where it was looked for."""
        file = Path(ann.file)
        if file.is_absolute():
            if file.is_file():
                return file
            file = Path(file.name)
        folders = self._search_folders()
        for folder in folders:
            for candidate in (folder / file, folder / file.name):
                if candidate.is_file():
                    return candidate
        raise MissingImageError(
            f"The image {ann.file!r} of the dataset at {self.root} was not found (looked in "
            f"{', '.join(str(f) for f in folders[:4])} and nearby folders). Put it in {self.root / 'images'} "
            "or pass the folder that holds the images as image_root."
        )

    def check_images(self):
        """Every image exists and has the size its annotation says (boxes would be misplaced otherwise)."""
        for ann in self.images:
            path = self.image_path(ann)
            size = image_size(path)
            if size != (ann.width, ann.height):
                raise DatasetError(
                    f"{path} is {size[0]} x {size[1]} px but its annotation says {ann.width} x {ann.height}: "
                    "the boxes would be misplaced. Rescale the boxes to the image or use the matching image."
                )


def _coco_file_in(folder):
    candidates = sorted(folder.glob("*.json")) + sorted((folder / "annotations").glob("*.json"))
    named = [p for p in candidates if p.name in COCO_FILE_NAMES]
    if len(named) == 1 or len(candidates) == 1:
        return (named or candidates)[0]
    if candidates:
        raise DatasetError(
            f"{folder} holds several JSON files ({', '.join(p.name for p in candidates[:5])}): "
            "pass the COCO file itself."
        )
    return None


def _voc_files_in(folder):
    # LabelImg's Annotations/, or annotations/ beside images/ (koitka-240 and other published sets).
    for name in ("Annotations", "annotations"):
        if (folder / name).is_dir() and any((folder / name).rglob("*.xml")):
            return sorted((folder / name).rglob("*.xml"))
    return sorted(folder.glob("*.xml"))


def _load_folder(folder, fmt, image_root):
    voc_files = _voc_files_in(folder) if fmt in (None, "voc") else []
    if voc_files:
        return Dataset(folder, [read_voc(p) for p in voc_files], "voc")
    coco_file = _coco_file_in(folder) if fmt in (None, "coco") else None
    if coco_file is not None:
        return Dataset(coco_file.parent, read_coco(coco_file), "coco")
    if fmt in (None, "yolo") and (folder / "classes.txt").is_file():
        return Dataset(folder, read_yolo(folder, image_root), "yolo")
    wanted = {"voc": "Pascal VOC .xml files (here or in Annotations/)", "coco": "a COCO .json file",
              "yolo": "a YOLO classes.txt with labels/ and images/"}
    expected = [wanted[fmt]] if fmt else list(wanted.values())
    raise DatasetError(f"{folder} holds no annotations: expected {' or '.join(expected)}.")


def _check_format(fmt):
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise DatasetError(f"Unknown dataset format {fmt!r}: use one of {', '.join(FORMATS)}.")
    return fmt


def load_dataset(path, format=None, image_root=None, check_images=True):
    """Load a VOC folder, a COCO file (or a folder holding one) or a YOLO folder; the format is
    detected (VOC, then COCO, then YOLO) unless given. `image_root` names the images' folder when it
    is not next to the annotations. With check_images, every image must exist and match its size."""
    path = Path(path)
    fmt = _check_format(format) if format is not None else None
    if not path.exists():
        raise DatasetError(f"{path} does not exist: give a dataset folder or a COCO .json file.")
    if path.is_dir():
        dataset = _load_folder(path, fmt, image_root)
    elif path.suffix.lower() == ".json":
        dataset = Dataset(path.parent, read_coco(path), "coco")
    elif path.suffix.lower() == ".xml":
        dataset = Dataset(path.parent, [read_voc(path)], "voc")
    elif path.name == "classes.txt":
        dataset = Dataset(path.parent, read_yolo(path.parent, image_root), "yolo")
    else:
        raise DatasetError(f"{path} is neither a dataset folder nor a COCO .json / VOC .xml file.")
    if image_root is not None:
        dataset.image_dirs = [Path(image_root)]
    if not dataset.images:
        raise DatasetError(f"{path} holds no images: add images and their annotations.")
    if check_images:
        dataset.check_images()
    return dataset


def _relative_image_name(ann):
    """The image's path below the new images folder: its own relative path, never outside it."""
    file = Path(ann.file)
    if file.is_absolute() or ".." in file.parts:
        return Path(file.name)
    return file


def _check_image_target(source, target, overwrite=False):
    """Raise DatasetError when `target` holds a different file than `source` (and overwrite is not asked)."""
    if target.is_dir():
        raise DatasetError(f"{target} is a folder where the image {source} would go: move it away.")
    if target.exists() and not overwrite and not (os.path.samefile(source, target)
                                                  or filecmp.cmp(source, target, shallow=False)):
        raise DatasetError(
            f"{target} exists and is a different image than {source}: nothing was written. Save into an empty "
            "folder, rename one of the images, or add --overwrite to replace it."
        )


def _place_image(source, target, link, overwrite=False):
    """Copy (or hard-link) one image; never replace a different file that is already there (unless overwrite)."""
    if target.exists():
        if os.path.samefile(source, target) or filecmp.cmp(source, target, shallow=False):
            return
        _check_image_target(source, target, overwrite)
        with open(source, "rb") as src, atomic_writer(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(source, target)
            return
        except OSError:
            pass  # another file system or no hard links: copy instead
    with open(source, "rb") as src, atomic_writer(target, "wb") as dst:
        shutil.copyfileobj(src, dst)


def save_dataset(dataset, folder, fmt, link=False, existing="error"):
    """Write the dataset to `folder` in `fmt` (voc, coco, yolo) with its images; returns the new Dataset
    (its `kept`: [(file, reason)] of annotations already there and left as they were).

    Every image is located, and every clash with what the folder holds is found, before anything is
    written: a missing image or a clash leaves nothing half done. A dataset already in the folder is
    merged with (merge.py: existing="error", "overwrite" or "keep").
    """
    from .merge import check_class_list, plan_merge

    fmt = _check_format(fmt)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DatasetError(f"{folder} is a file: give a folder to write the dataset into.")
    sources = [dataset.image_path(ann) for ann in dataset.images]
    names = [_relative_image_name(ann) for ann in dataset.images]
    keys = [n.with_suffix("").as_posix() if fmt != "coco" else n.as_posix() for n in names]
    if len(set(keys)) != len(keys):
        clash = next(k for k in keys if keys.count(k) > 1)
        raise DatasetError(f"Two images would be saved as {clash!r} in {folder}: rename one of them.")
    image_folder = folder / ("JPEGImages" if fmt == "voc" else "images")
    if fmt == "yolo" and any(a.ignored for a in dataset.images):
        raise DatasetError(f"{dataset.root} marks regions to ignore in training, which YOLO labels cannot hold: "
                           "convert to voc or coco instead.")
    images = [AnnotatedImage(n.as_posix(), a.width, a.height, list(a.boxes), list(a.ignored))
              for n, a in zip(names, dataset.images)]
    check_class_list(folder, fmt, existing)  # before the labels there are read with that list
    plan = plan_merge(images, existing_images(folder, fmt), folder, fmt, existing)
    kept_files = {file for file, _ in plan.kept}
    placed = [(source, name) for source, name in zip(sources, names) if name.as_posix() not in kept_files]
    for source, name in placed:
        _check_image_target(source, image_folder / name, overwrite=existing == "overwrite")
    for source, name in placed:
        _place_image(source, image_folder / name, link, overwrite=existing == "overwrite")
    if fmt == "voc":
        for ann in plan.write:
            name = Path(ann.file)
            write_voc(ann, folder / "Annotations" / name.with_suffix(".xml"), image_path=image_folder / name)
    elif fmt == "coco":
        write_coco(plan.index, folder / COCO_FILE_NAMES[0])
    else:
        write_yolo(plan.index, folder)
    saved = Dataset(folder, [i for i in images if i.file not in kept_files], fmt)
    saved.kept = plan.kept
    return saved


def existing_images(folder, fmt):
    """The annotations already in `folder` in format `fmt`, by image key (merge.image_key); {} when none."""
    from .merge import image_key

    folder = Path(folder)
    if not folder.is_dir():
        return {}
    try:
        dataset = load_dataset(folder, format=fmt, check_images=False)
    except DatasetError:
        return {}
    return {image_key(ann.file, fmt): ann for ann in dataset.images}


def convert_dataset(source, destination, fmt, link=False, image_root=None, existing="error"):
    """Load a dataset in any format and save it, with its images, in `fmt` at `destination` (merged with
    a dataset already there: see save_dataset)."""
    return save_dataset(load_dataset(source, image_root=image_root), destination, fmt, link=link, existing=existing)
