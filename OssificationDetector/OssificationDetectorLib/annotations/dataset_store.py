"""A dataset folder that annotation adds to, one radiograph at a time, without losing anything.

Layout:
    images/<name>.png          the radiograph, lossless (16-bit when its values need more than 8)
    Annotations/<name>.xml     its boxes as Pascal VOC
    annotations.json           every image's boxes as one COCO file (what training reads)
    sources.json               for each name: the source file (e.g. the DICOM), pixel hashes, size

Every file is written atomically (a temporary file renamed into place). A name already used by a
different image is never overwritten: saving raises AnnotationConflictError, or picks a new
unique name when asked. Saving an image that is already in the dataset (same source file or same
pixels, under any name) updates that image's boxes.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import numpy as np

from ..core.atomic import atomic_write_text
from ..core.boxes import AnnotatedImage, Box
from .coco import read_coco, write_coco
from ..io.images import Radiograph, read_radiograph, write_png
from .voc import read_voc, write_voc

IMAGES = "images"
ANNOTATIONS = "Annotations"  # the Pascal VOC layout, so every tool (and load_dataset) reads it as VOC
COCO_FILE = "annotations.json"
SOURCES_FILE = "sources.json"
_INDEX_VERSION = 1
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


class DatasetStoreError(ValueError):
    """A dataset folder or a save request that cannot be used; the message says what to do."""


class AnnotationConflictError(DatasetStoreError):
    """The name is taken by a different image; its annotations are left as they are."""


@dataclass
class StoredImage:
    """One radiograph of the dataset: its name, files, where it came from and its boxes."""

    name: str
    image_path: Path
    annotation_path: Path
    source: Optional[str]
    width: int
    height: int
    boxes: List[Box] = field(default_factory=list)
    updated: bool = False  # True when a save replaced the boxes of an image already stored


# ---------------------------------------------------------------------------- small helpers


def pixel_hash(image):
    """SHA-256 of a gray image's values (as float32) and shape: equal pixels, equal hash."""
    pixels = image.pixels if isinstance(image, Radiograph) else np.asarray(image)
    pixels = np.ascontiguousarray(pixels, dtype="<f4")
    digest = hashlib.sha256(f"{pixels.shape[0]}x{pixels.shape[1]}:".encode())
    digest.update(pixels.tobytes())
    return digest.hexdigest()


def safe_name(name):
    """A file-name stem made of letters, digits, '.', '_' and '-' ('Hand 01/L' -> 'Hand_01_L')."""
    cleaned = _UNSAFE_NAME_CHARACTERS.sub("_", str(name).strip()).strip("._")
    if not cleaned:
        raise DatasetStoreError(f"{name!r} cannot name an image: use letters or digits.")
    return cleaned


def _normalized_source(source):
    if source is None:
        return None
    source = str(source)
    path = Path(source)
    return str(path.resolve()) if path.exists() else source


def _bits_needed(radiograph):
    """8 when every value is a whole number within 0..255 and the source says no more; else 16."""
    declared = radiograph.metadata.get("bits_stored") or radiograph.metadata.get("bits") or 0
    pixels = radiograph.pixels
    fits_8 = pixels.min() >= 0 and pixels.max() <= 255 and bool(np.all(np.mod(pixels, 1) == 0))
    return 8 if fits_8 and int(declared) <= 8 else 16


def stored_pixels(radiograph):
    """(array to write, bits, mapping): the PNG's values and how they map back to the radiograph's.

    Whole numbers that fit 8 or 16 bits are kept as they are (mapping None). Other values (floats,
    negative numbers, VOI-windowed DICOM) are stretched linearly from their minimum and maximum to
    0..65535, and `mapping` {"offset", "scale"} gives value = offset + scale * png_value.
    """
    bits = _bits_needed(radiograph)
    pixels = radiograph.pixels
    top = 2 ** bits - 1
    if pixels.min() >= 0 and pixels.max() <= top and bool(np.all(np.mod(pixels, 1) == 0)):
        return pixels, bits, None
    low, high = float(pixels.min()), float(pixels.max())
    scale = (high - low) / 65535.0
    stretched = np.rint((pixels.astype(np.float64) - low) / scale).astype(np.float32)
    return stretched, 16, {"offset": low, "scale": scale}


# ---------------------------------------------------------------------------- the store


class DatasetStore:
    """The dataset folder and its index of names, sources and pixel hashes."""

    def __init__(self, folder):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise DatasetStoreError(f"{self.folder} is a file, not a folder: choose a dataset folder.")
        self.index = self._read_index()

    # paths
    def image_path(self, name):
        return self.folder / IMAGES / f"{name}.png"

    def annotation_path(self, name):
        return self.folder / ANNOTATIONS / f"{name}.xml"

    @property
    def coco_path(self):
        return self.folder / COCO_FILE

    @property
    def index_path(self):
        return self.folder / SOURCES_FILE

    @property
    def names(self):
        return sorted(self.index)

    def _read_index(self):
        path = self.folder / SOURCES_FILE
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            images = data["images"]
            if not isinstance(images, dict):
                raise TypeError("images is not an object")
        except (ValueError, KeyError, TypeError) as error:
            raise DatasetStoreError(
                f"{path} is damaged ({error}); restore it from a backup, or move it away to rebuild the "
                "index (images already saved are then matched by their pixels)."
            ) from None
        return images

    def _write_index(self):
        text = json.dumps({"version": _INDEX_VERSION, "images": self.index}, indent=1, sort_keys=True)
        atomic_write_text(self.index_path, text + "\n")

    # finding
    def find(self, radiograph=None, source=None, pixel_sha256=None):
        """The name of a stored image with this source file or these pixels, or None."""
        hashes = {pixel_sha256} if pixel_sha256 else set()
        if radiograph is not None:
            hashes.add(pixel_hash(radiograph))
        source = _normalized_source(source)
        for name in self.names:
            entry = self.index[name]
            if hashes & {entry.get("pixel_sha256"), entry.get("image_sha256")}:
                return name
        for name in self.names:
            if source is not None and self.index[name].get("source") == source:
                return name
        return None

    def load(self, name):
        """The stored image `name` with the boxes of its VOC file."""
        if name not in self.index:
            raise DatasetStoreError(f"{self.folder} has no image named {name!r}.")
        entry = self.index[name]
        annotation_path = self.annotation_path(name)
        boxes = read_voc(annotation_path).boxes if annotation_path.is_file() else []
        return StoredImage(name, self.image_path(name), annotation_path, entry.get("source"),
                           entry["width"], entry["height"], boxes)

    def _unused_name(self, name):
        candidate, number = name, 2
        while candidate in self.index or self.image_path(candidate).exists() \
                or self.annotation_path(candidate).exists():
            candidate, number = f"{name}-{number}", number + 1
        return candidate

    def _claimed_by_other_image(self, name, image_hash):
        """True when `name` holds a different image (in the index, or as files a crash left behind)."""
        entry = self.index.get(name)
        if entry is not None:
            return entry.get("image_sha256") != image_hash
        path = self.image_path(name)
        if path.exists():
            return pixel_hash(read_radiograph(path)) != image_hash
        return self.annotation_path(name).exists()

    # saving
    def save(self, name, radiograph, boxes, source=None, on_conflict="error", write_coco_file=True,
             replace_boxes=True):
        """Save one radiograph and its boxes; returns the StoredImage (its name may differ from `name`).

        on_conflict: "error" raises AnnotationConflictError when `name` holds another image;
        "rename" saves under `name-2`, `name-3`, ... instead. replace_boxes=False: an image already
        stored with other boxes keeps them (AnnotationConflictError), for writes that did not start
        from the stored boxes (exporting reviewed detections).
        """
        if on_conflict not in ("error", "rename"):
            raise ValueError(f"on_conflict must be 'error' or 'rename', not {on_conflict!r}.")
        boxes = checked_boxes(boxes, radiograph.width, radiograph.height)
        pixels, bits, mapping = stored_pixels(radiograph)
        image_hash = pixel_hash(pixels)
        source = _normalized_source(source)
        existing = self.find(radiograph, pixel_sha256=image_hash)
        if existing is None and source is not None:
            existing = self.find(source=source)
            if existing is not None and self.index[existing].get("image_sha256") != image_hash:
                raise AnnotationConflictError(
                    f"{self.folder} already holds {source} as {existing!r}, with different pixels: the file "
                    "changed since it was saved. Save it under a new name, or delete the old entry first."
                )
        if existing is not None and not replace_boxes:
            stored = self.load(existing)
            if sorted(map(_box_key, stored.boxes)) != sorted(map(_box_key, boxes)):
                raise AnnotationConflictError(
                    f"{self.folder} already holds this radiograph as {existing!r} with {len(stored.boxes)} other "
                    "boxes; they were left as they are. Open it in Annotate to change them, or choose another folder."
                )
        if existing is not None:
            name = existing
        else:
            name = safe_name(name)
            if self._claimed_by_other_image(name, image_hash):
                if on_conflict == "error":
                    raise AnnotationConflictError(
                        f"{self.folder} already holds a different image named {name!r}; its annotations "
                        "were left as they are. Choose another name for this radiograph."
                    )
                name = self._unused_name(name)
        image_path, annotation_path = self.image_path(name), self.annotation_path(name)
        if existing is None or not image_path.is_file():
            write_png(pixels, image_path, bits=bits, rescale=False)
        annotated = AnnotatedImage(image_path.name, radiograph.width, radiograph.height, boxes)
        write_voc(annotated, annotation_path, image_path=image_path)
        entry = dict(self.index.get(name, {}))
        entry.update({
            "image": f"{IMAGES}/{image_path.name}", "annotation": f"{ANNOTATIONS}/{annotation_path.name}",
            "width": radiograph.width, "height": radiograph.height, "bits": bits,
            "pixel_sha256": pixel_hash(radiograph), "image_sha256": image_hash,
        })
        if source is not None:
            entry["source"] = source
        if mapping is not None:
            entry["value_mapping"] = mapping
        self.index[name] = entry
        self._write_index()
        if write_coco_file:
            self.write_coco(changed={name})
        return StoredImage(name, image_path, annotation_path, entry.get("source"), radiograph.width,
                           radiograph.height, boxes, updated=existing is not None)

    def write_coco(self, changed=None):
        """Rewrite annotations.json for the index. Images in `changed` (all when None) take their
        boxes from their VOC files; the others keep the boxes the COCO file already has."""
        previous = {}
        if changed is not None and self.coco_path.is_file():
            previous = {img.file: img.boxes for img in read_coco(self.coco_path)}
        images = []
        for name in self.names:
            entry = self.index[name]
            file = Path(entry["image"]).name
            if (changed is None or name in changed or file not in previous) \
                    and self.annotation_path(name).is_file():
                boxes = read_voc(self.annotation_path(name)).boxes
            else:
                boxes = previous.get(file, [])
            images.append(AnnotatedImage(file, entry["width"], entry["height"], boxes))
        write_coco(images, self.coco_path)
        return self.coco_path

    def import_dataset(self, source, format=None, image_root=None):
        """Add every image of a VOC, COCO or YOLO dataset with its boxes (see import_dataset)."""
        from .datasets import load_dataset

        dataset = load_dataset(source, format=format, image_root=image_root)  # every image checked first
        result = ImportResult()
        try:
            for ann in dataset.images:
                path = dataset.image_path(ann)
                radiograph = read_radiograph(path)
                present = self.find(radiograph, source=path)
                if present is not None:
                    result.already_present.append(present)
                    continue
                stored = self.save(Path(ann.file).stem, radiograph, ann.boxes, source=path,
                                   on_conflict="rename", write_coco_file=False)
                result.imported.append(stored.name)
        finally:
            if result.imported:
                self.write_coco(changed=set(result.imported))
        return result


@dataclass
class ImportResult:
    imported: List[str] = field(default_factory=list)  # names of the images added
    already_present: List[str] = field(default_factory=list)  # names of images the store had (kept as they were)


def checked_boxes(boxes, width, height):
    """Boxes clipped to the image; a box entirely outside it is an error (it cannot be trained on)."""
    kept = []
    for box in boxes:
        if not isinstance(box, Box):
            raise TypeError(f"Expected Box objects, got {type(box).__name__}.")
        clipped = box.clipped(width, height)
        if clipped is None:
            raise DatasetStoreError(
                f"The {box.name} box ({box.x1:.1f}, {box.y1:.1f}, {box.x2:.1f}, {box.y2:.1f}) lies outside the "
                f"{width} x {height} image: move it onto the radiograph or delete it, then save again."
            )
        kept.append(clipped)
    return kept


# ---------------------------------------------------------------------------- module-level API


def _box_key(box):
    return box.label, round(box.x1, 3), round(box.y1, 3), round(box.x2, 3), round(box.y2, 3)


def save_radiograph_annotations(folder, name, radiograph, boxes, source=None, on_conflict="error",
                                replace_boxes=True):
    """Save a radiograph (lossless PNG), its boxes (VOC) and update the dataset's COCO file and index.

    Returns the StoredImage; see DatasetStore.save for how names and conflicts are handled.
    """
    return DatasetStore(folder).save(name, radiograph, boxes, source=source, on_conflict=on_conflict,
                                     replace_boxes=replace_boxes)


def find_in_dataset(folder, radiograph=None, source=None, pixel_sha256=None):
    """The StoredImage (with its boxes) of a radiograph already in the dataset, or None.

    Matched by pixels (the radiograph, or a pixel hash) first, then by source file path.
    """
    if not (Path(folder) / SOURCES_FILE).is_file():
        return None
    if isinstance(radiograph, (str, Path)):
        radiograph, source = read_radiograph(radiograph), source or radiograph
    store = DatasetStore(folder)
    name = store.find(radiograph, source=source, pixel_sha256=pixel_sha256)
    return store.load(name) if name is not None else None


def training_file(folder):
    """The file to train on: the store's COCO file (unambiguous whatever else the folder holds)."""
    path = Path(folder) / COCO_FILE
    if not path.is_file():
        raise DatasetStoreError(f"{folder} holds no {COCO_FILE}: save some annotated radiographs into it first.")
    return path


def import_dataset(folder, source, format=None, image_root=None):
    """Import an existing VOC, COCO or YOLO dataset (anything load_dataset reads) into the store.

    Images the store already has (same pixels or same source file) keep their annotations and are
    listed in ImportResult.already_present; names taken by other images get a -2, -3... suffix.
    """
    return DatasetStore(folder).import_dataset(source, format=format, image_root=image_root)
