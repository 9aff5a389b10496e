"""A labelled box in the pixels of an image, and a radiograph's set of them.

Coordinates: x to the right, y down, origin at the top-left corner of the first pixel,
(x1, y1, x2, y2) with x1 < x2 and y1 < y2.
"""
from dataclasses import dataclass, field, replace
from typing import List, Optional

from .taxonomy import area_name, check_label


class BoxError(ValueError):
    """A box with impossible coordinates."""


@dataclass
class Box:
    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    score: Optional[float] = None
    digit: Optional[int] = None  # 1 thumb .. 5 little finger, for DIP/PIP/MCP when known

    def __post_init__(self):
        self.label = check_label(self.label)
        self.x1, self.y1, self.x2, self.y2 = (float(v) for v in (self.x1, self.y1, self.x2, self.y2))
        if not (self.x2 > self.x1 and self.y2 > self.y1):
            raise BoxError(
                f"Box {self.label} ({self.x1}, {self.y1}, {self.x2}, {self.y2}) is empty or inverted: "
                "x2 must exceed x1 and y2 must exceed y1."
            )
        if self.score is not None:
            self.score = float(self.score)

    @property
    def coords(self):
        return [self.x1, self.y1, self.x2, self.y2]

    @property
    def width(self):
        return self.x2 - self.x1

    @property
    def height(self):
        return self.y2 - self.y1

    @property
    def area(self):
        return self.width * self.height

    @property
    def center(self):
        return ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)

    @property
    def name(self):
        return area_name(self.label, self.digit)

    def iou(self, other):
        iw = min(self.x2, other.x2) - max(self.x1, other.x1)
        ih = min(self.y2, other.y2) - max(self.y1, other.y1)
        if iw <= 0 or ih <= 0:
            return 0.0
        inter = iw * ih
        return inter / (self.area + other.area - inter)

    def scaled(self, sx, sy=None):
        sy = sx if sy is None else sy
        return replace(self, x1=self.x1 * sx, y1=self.y1 * sy, x2=self.x2 * sx, y2=self.y2 * sy)

    def clipped(self, width, height):
        """The box limited to an image of this size (None when nothing is left)."""
        x1, y1 = max(0.0, self.x1), max(0.0, self.y1)
        x2, y2 = min(float(width), self.x2), min(float(height), self.y2)
        if x2 <= x1 or y2 <= y1:
            return None
        return replace(self, x1=x1, y1=y1, x2=x2, y2=y2)


@dataclass
class AnnotatedImage:
    """One radiograph's boxes. `file` is relative to its dataset folder where it has one.

    `ignored`: regions that are neither an area nor background in training (where a teacher was
    unsure), stored as VOC's `difficult` and COCO's `iscrowd` objects; metrics and the anatomy
    never see them."""

    file: str
    width: int
    height: int
    boxes: List[Box] = field(default_factory=list)
    ignored: List[Box] = field(default_factory=list)
