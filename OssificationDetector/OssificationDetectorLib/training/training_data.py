"""Training and validation images from one or more datasets, as torch samples.

Images are identified by their file name without extension (the RSNA id), across datasets:
a validation image is left out of every training set, so boxes converted from another
annotation scheme of the same radiograph cannot leak it into training. Its ground truth comes
from the first dataset that has it (the primary annotations).
"""
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np

from .augment import AugmentConfig, augment
from ..core.boxes import AnnotatedImage
from ..core.taxonomy import CLASSES, class_index


class TrainingDataError(ValueError):
    """Datasets or a validation list that cannot be used for training."""


@dataclass
class Item:
    key: str  # the image's id: file name without extension
    path: Path
    annotation: AnnotatedImage
    dataset: int  # index of the dataset it came from


def image_key(ann):
    return Path(ann.file).stem


def load_items(dataset_paths):
    """(items, summary) of all annotated images of the datasets, in order."""
    from ..annotations.datasets import load_dataset

    if not dataset_paths:
        raise TrainingDataError("No training dataset given: pass at least one dataset folder or annotation file.")
    items, summary = [], []
    for index, source in enumerate(dataset_paths):
        dataset = load_dataset(source)
        if not dataset.images:
            raise TrainingDataError(f"The dataset {source} holds no annotated images.")
        for ann in dataset.images:
            items.append(Item(image_key(ann), dataset.image_path(ann), ann, index))
        summary.append({"path": str(source), "format": dataset.format, "images": len(dataset.images)})
    return items, summary


def split_items(items, val_list=None, val_fraction=0.0, seed=0):
    """(train, validation): validation from `val_list` ids, or a seeded fraction of the first dataset."""
    if val_list:
        wanted = [str(v).strip() for v in val_list if str(v).strip()]
        found = {item.key for item in items}
        missing = [key for key in wanted if key not in found]
        if missing:
            raise TrainingDataError(
                f"Validation image(s) {', '.join(missing)} are in none of the datasets: give ids (file names "
                "without extension) of annotated images, or use a validation fraction.")
        val_keys = set(wanted)
    elif val_fraction and val_fraction > 0:
        if not 0 < val_fraction < 1:
            raise TrainingDataError(f"The validation fraction must be between 0 and 1, not {val_fraction}.")
        primary = sorted({item.key for item in items if item.dataset == 0})
        count = max(1, round(val_fraction * len(primary))) if len(primary) > 1 else 0
        rng = np.random.default_rng(seed)
        val_keys = set(rng.choice(primary, size=count, replace=False).tolist()) if count else set()
    else:
        val_keys = set()
    validation, seen = [], set()
    for item in items:
        if item.key in val_keys and item.key not in seen:
            validation.append(item)
            seen.add(item.key)
    train = [item for item in items if item.key not in val_keys]
    if not train:
        raise TrainingDataError("Every image is in the validation set: nothing is left to train on.")
    return train, validation


def class_counts(items):
    counts = Counter(box.label for item in items for box in item.annotation.boxes)
    return {name: counts.get(name, 0) for name in CLASSES}


def read_normalized(path):
    """THE preprocessing of training and detection: the radiograph as float32 [0, 1]."""
    from ..io.images import normalized, read_radiograph

    return normalized(read_radiograph(path))


# The label that an ignored region (AnnotatedImage.ignored) carries through resizing and augmentation,
# which move it like any box; the sample's target then holds it apart, as "ignore_boxes".
IGNORED_LABEL = -1


def boxes_array(ann):
    """(boxes N x 4, class indices N) of the areas, then of the ignored regions with IGNORED_LABEL."""
    regions = list(ann.boxes) + list(ann.ignored)
    boxes = np.array([b.coords for b in regions], dtype=np.float64).reshape(-1, 4)
    labels = np.array([class_index(b.label) for b in ann.boxes] + [IGNORED_LABEL] * len(ann.ignored),
                      dtype=np.int64)
    return boxes, labels


def sample_target(boxes, labels):
    """The torchvision target of a sample: areas in "boxes"/"labels", ignored regions apart."""
    import torch

    from .ignore_regions import IGNORE_KEY

    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    labels = np.asarray(labels, dtype=np.int64)
    areas = labels != IGNORED_LABEL
    target = {"boxes": torch.as_tensor(boxes[areas]), "labels": torch.as_tensor(labels[areas])}
    if not areas.all():
        target[IGNORE_KEY] = torch.as_tensor(boxes[~areas])
    return target


def resize_to_fit(image, boxes, scale):
    """Downscale once for training speed (the detector resizes to its own size anyway)."""
    import torch
    import torch.nn.functional as F

    height, width = image.shape
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    if (new_h, new_w) == (height, width):
        return image, boxes
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    resized = F.interpolate(tensor, size=(new_h, new_w), mode="bilinear", align_corners=False, antialias=True)
    factors = np.array([new_w / width, new_h / height, new_w / width, new_h / height])
    return resized[0, 0].numpy(), boxes * factors


class TrainingImages:
    """A torch-style dataset of augmented samples; randomness depends on (seed, epoch, index) only,
    so a resumed run sees exactly the images an uninterrupted one would."""

    def __init__(self, items: List[Item], max_short_side: int, max_long_side: int,
                 augment_config: Optional[AugmentConfig] = None, seed: int = 0):
        self.items = items
        self.max_short_side = max_short_side
        self.max_long_side = max_long_side
        self.augment_config = augment_config
        self.seed = int(seed)
        self.epoch = 0
        self._cache = {}

    def __len__(self):
        return len(self.items)

    def set_epoch(self, epoch):
        self.epoch = int(epoch)

    def _prepared(self, index):
        if index not in self._cache:
            item = self.items[index]
            image = read_normalized(item.path)
            height, width = image.shape
            ann = item.annotation
            if ann.width and ann.height and (abs(ann.width - width) > 1 or abs(ann.height - height) > 1):
                raise TrainingDataError(
                    f"{item.path} is {width} x {height} px but its annotation says {ann.width} x {ann.height}: "
                    "rescale the boxes to the image or use the matching image.")
            boxes, labels = boxes_array(ann)
            scale = min(1.0, self.max_short_side / min(height, width), self.max_long_side / max(height, width))
            image, boxes = resize_to_fit(image, boxes, scale)
            self._cache[index] = (image, boxes, labels)
        return self._cache[index]

    def __getitem__(self, index):
        import torch

        image, boxes, labels = self._prepared(index)
        if self.augment_config is not None:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            image, boxes, labels = augment(image, boxes, labels, rng, self.augment_config)
        return torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None], sample_target(boxes, labels)


def epoch_order(count, seed, epoch):
    """The shuffled order of one epoch, the same for the same (seed, epoch)."""
    return np.random.default_rng([int(seed), int(epoch), 7]).permutation(count).tolist()


def iterations_per_epoch(count, batch_size):
    return max(1, math.ceil(count / batch_size))
