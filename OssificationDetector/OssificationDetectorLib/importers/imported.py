"""Annotations converted from another scheme (hand keypoints, bone boxes) into the six classes.

A converted image may not mark every class: hand keypoints say nothing of the radius, ulna and
wrist boxes. `annotated_classes` says which classes are complete on it; a detector must not be
trained to see the others as background there (crop them away: import_export.py).
"""
from dataclasses import dataclass, field
from typing import List, Tuple

from ..core.boxes import AnnotatedImage
from ..core.taxonomy import CLASSES


class AnnotationImportError(ValueError):
    """An annotation file of another scheme that cannot be converted; the message says why."""


@dataclass
class ImportedImage(AnnotatedImage):
    annotated_classes: Tuple[str, ...] = CLASSES
    source: str = ""  # the scheme it came from, e.g. "hand-keypoints"
    side: str = "unknown"  # "left" or "right" (or a left hand's mirror image), as the source shows it

    @property
    def complete(self):
        return set(self.annotated_classes) == set(CLASSES)


@dataclass
class ImportResult:
    """Converted images, and the images left out with the reason."""

    images: List[ImportedImage] = field(default_factory=list)
    skipped: List[Tuple[str, str]] = field(default_factory=list)
    kind: str = ""

    def summary(self):
        complete = sum(image.complete for image in self.images)
        return (f"{self.kind}: {len(self.images)} images converted ({complete} with all six classes), "
                f"{len(self.skipped)} left out")
