"""A view of a radiograph that shows its hand upright, for any turn, with exact point maps both ways.

The view undoes an Orientation: its quarter turns and flip exactly (np.rot90 / np.fliplr), then the
rest of its turn (`degrees`) by bilinear resampling onto a canvas large enough for the whole turned
image, cut to a window around the hand so that the detector sees the hand at the scale of the
input. Points map exactly both ways; a box found in the view comes back as the upright box around
the ellipse inscribed in it, turned with the image: the joint's own size at any angle, the exact
box for quarter turns.

Coordinates: x right, y down, origin at the top-left corner of the first pixel.
"""
import math
from dataclasses import dataclass, replace
from typing import Optional, Tuple

import numpy as np

from .orientation import Orientation, box_from_view as quarter_box_from_view, upright_view

MIN_WINDOW = 0.5  # of the image's width and height: the smallest window around a hand


def _quarter_point_to_view(x, y, width, height, orientation):
    """A point of the input (width x height) in upright_view's pixels."""
    for _ in range(orientation.quarter_turns):
        x, y = y, width - x  # one np.rot90 step
        width, height = height, width
    return (width - x if orientation.mirrored else x), y


def _quarter_point_from_view(x, y, width, height, orientation):
    view_width, view_height = (height, width) if orientation.quarter_turns % 2 else (width, height)
    if orientation.mirrored:
        x = view_width - x
    for _ in range((4 - orientation.quarter_turns) % 4):
        x, y = y, view_width - x
        view_width, view_height = view_height, view_width
    return x, y


@dataclass(frozen=True)
class TurnedView:
    """The view of an input image (width x height) that undoes `orientation`.

    window: (x, y, width, height) of the view in the canvas of the fine turn (None: all of it);
    only a view with a fine turn has a canvas larger than the image.
    """

    orientation: Orientation
    width: int
    height: int
    window: Optional[Tuple[int, int, int, int]] = None

    @property
    def _quarter(self):
        return Orientation(self.orientation.quarter_turns, self.orientation.mirrored)

    @property
    def _quarter_size(self):
        odd = self.orientation.quarter_turns % 2
        return (self.height, self.width) if odd else (self.width, self.height)

    @property
    def _cos_sin(self):
        """Of the fine turn as seen in the quarter-turned view: flipped, a clockwise turn is counter-clockwise."""
        angle = math.radians(-self.orientation.degrees if self.orientation.mirrored else self.orientation.degrees)
        return math.cos(angle), math.sin(angle)

    @property
    def canvas_size(self):
        """(width, height) of the whole fine-turned canvas."""
        w, h = self._quarter_size
        if not self.orientation.degrees:
            return w, h
        c, s = (abs(v) for v in self._cos_sin)
        return int(math.ceil(w * c + h * s - 1e-6)), int(math.ceil(w * s + h * c - 1e-6))

    @property
    def size(self):
        """(width, height) of the view."""
        return self.window[2:] if self.window else self.canvas_size

    def _offset(self):
        canvas_w, canvas_h = self.canvas_size
        x0, y0 = self.window[:2] if self.window else (0, 0)
        return canvas_w / 2.0 - x0, canvas_h / 2.0 - y0

    def point_to_view(self, x, y):
        x, y = _quarter_point_to_view(x, y, self.width, self.height, self._quarter)
        if not self.orientation.degrees:
            return x, y
        (w, h), (c, s), (ox, oy) = self._quarter_size, self._cos_sin, self._offset()
        dx, dy = x - w / 2.0, y - h / 2.0
        # Turned back counter-clockwise (y down) by the hand's clockwise turn.
        return c * dx + s * dy + ox, -s * dx + c * dy + oy

    def _fine_from_view(self, x, y):
        """A point of the view in the quarter-turned image."""
        if not self.orientation.degrees:
            return x, y
        (w, h), (c, s), (ox, oy) = self._quarter_size, self._cos_sin, self._offset()
        dx, dy = x - ox, y - oy
        return c * dx - s * dy + w / 2.0, s * dx + c * dy + h / 2.0

    def point_from_view(self, x, y):
        return _quarter_point_from_view(*self._fine_from_view(x, y), self.width, self.height, self._quarter)

    def box_from_view(self, box):
        """A box of the view in the input's pixels (None when it lies where the view shows no image)."""
        if self.orientation.degrees:
            (w, h), (c, s) = self._quarter_size, self._cos_sin
            x, y = self._fine_from_view(*box.center)
            half_w, half_h = box.width / 2.0, box.height / 2.0
            reach_x = math.hypot(half_w * c, half_h * s)
            reach_y = math.hypot(half_w * s, half_h * c)
            box = replace(box, x1=x - reach_x, y1=y - reach_y, x2=x + reach_x, y2=y + reach_y).clipped(w, h)
            if box is None:
                return None
        return quarter_box_from_view(box, self.width, self.height, self._quarter)

    def pixels(self, pixels):
        """The view's float32 pixels of the input's 2D pixels."""
        quarter = np.ascontiguousarray(upright_view(pixels, self._quarter), dtype=np.float32)
        if not self.orientation.degrees:
            return quarter
        import torch
        import torch.nn.functional as F

        (w, h), (c, s), (ox, oy) = self._quarter_size, self._cos_sin, self._offset()
        view_w, view_h = self.size
        vx = torch.arange(view_w, dtype=torch.float32) + 0.5 - ox
        vy = torch.arange(view_h, dtype=torch.float32) + 0.5 - oy
        dy, dx = torch.meshgrid(vy, vx, indexing="ij")
        # Normalised source positions of the pixel centres (align_corners=False: -1 and 1 are the edges).
        gx = (c * dx - s * dy + w / 2.0) * (2.0 / w) - 1.0
        gy = (s * dx + c * dy + h / 2.0) * (2.0 / h) - 1.0
        grid = torch.stack((gx, gy), dim=-1)[None]
        source = torch.from_numpy(quarter if quarter.flags.writeable else quarter.copy())[None, None]
        turned = F.grid_sample(source, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return turned[0, 0].numpy()


def view_around(orientation, width, height, hand_points=None):
    """The TurnedView undoing `orientation`, its window the box around the hand's outline (points of the
    input), as a radiograph frames a hand: the detector sees the hand at the scale it was trained on.

    The window is at least MIN_WINDOW of the quarter-turned image's size (a misread outline cannot
    shrink it to a few joints); without points it is the canvas's middle, the image's size.
    """
    view = TurnedView(orientation, width, height)
    if not orientation.degrees:
        return view
    canvas_w, canvas_h = view.canvas_size
    w, h = view._quarter_size
    if hand_points:
        xs, ys = zip(*(view.point_to_view(x, y) for x, y in hand_points))
        left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
        w, h = max(right - left, MIN_WINDOW * w), max(bottom - top, MIN_WINDOW * h)
    else:
        left, right, top, bottom = canvas_w / 2.0, canvas_w / 2.0, canvas_h / 2.0, canvas_h / 2.0
    window_w, window_h = min(canvas_w, int(math.ceil(w))), min(canvas_h, int(math.ceil(h)))
    x0 = int(round(min(max((left + right - window_w) / 2.0, 0), canvas_w - window_w)))
    y0 = int(round(min(max((top + bottom - window_h) / 2.0, 0), canvas_h - window_h)))
    return TurnedView(orientation, width, height, (x0, y0, window_w, window_h))
