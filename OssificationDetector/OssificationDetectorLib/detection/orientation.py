"""The eight ways a radiograph can lie (quarter turns, mirrored or not) and exact box maps between them.

The detector was trained on upright left hands. A right hand, a flipped or a turned image is
detected on a view turned back upright (np.rot90 / np.fliplr: no resampling), and its boxes are
mapped back into the input's pixels. A quarter turn maps a pixel box exactly onto a pixel box.

Coordinates: x right, y down, origin at the top-left corner of the first pixel; an image of
width W and height H spans [0, W] x [0, H].
"""
from dataclasses import dataclass, replace

import numpy as np

# A detection counts as a found area from this score (the centre criterion's score too).
CONFIDENT_SCORE = 0.5
# An upright pass with at least this many of the 17 areas, read as a left hand turned at most
# UPRIGHT_DEGREES, needs no other orientation.
COMPLETE_AREAS = 14
UPRIGHT_DEGREES = 45.0


@dataclass(frozen=True)
class Orientation:
    """How a hand lies in a radiograph, from an upright left hand: mirrored left-right (a right hand,
    or a left hand's image flipped) first, then turned clockwise by quarter_turns x 90 degrees."""

    quarter_turns: int = 0  # clockwise, 0..3
    mirrored: bool = False

    @property
    def is_upright(self):
        return self.quarter_turns == 0 and not self.mirrored

    def describe(self):
        """Plain-language remarks for the user (empty for an upright left hand)."""
        remarks = []
        if self.mirrored:
            remarks.append("this is a right hand or a mirrored image: the areas were found on it flipped "
                           "left-right and named as on a left hand")
        turn = {1: "90 degrees clockwise", 2: "180 degrees (upside down)", 3: "90 degrees counter-clockwise"}
        if self.quarter_turns:
            remarks.append(f"the radiograph is turned {turn[self.quarter_turns]}: the areas were found on it "
                           "turned back upright")
        return remarks


UPRIGHT = Orientation()
ALL_ORIENTATIONS = tuple(Orientation(q, m) for m in (False, True) for q in range(4))


def upright_view(pixels, orientation):
    """The pixels turned back to an upright left hand: turned counter-clockwise, then flipped."""
    view = np.rot90(pixels, orientation.quarter_turns)
    return np.fliplr(view) if orientation.mirrored else view


def _turn_box_counter_clockwise(box, width):
    """One np.rot90 step of an image `width` wide: the point (x, y) goes to (y, width - x)."""
    return replace(box, x1=box.y1, y1=width - box.x2, x2=box.y2, y2=width - box.x1)


def _flip_box(box, width):
    return replace(box, x1=width - box.x2, x2=width - box.x1)


def box_to_view(box, width, height, orientation):
    """A box of the input image (width x height) in upright_view's pixels."""
    for _ in range(orientation.quarter_turns):
        box = _turn_box_counter_clockwise(box, width)
        width, height = height, width
    return _flip_box(box, width) if orientation.mirrored else box


def box_from_view(box, width, height, orientation):
    """A box of upright_view's pixels back in the input image (width x height, the input's size)."""
    view_width, view_height = (height, width) if orientation.quarter_turns % 2 else (width, height)
    if orientation.mirrored:
        box = _flip_box(box, view_width)
    # Turning clockwise q times is turning counter-clockwise 4 - q times.
    for _ in range((4 - orientation.quarter_turns) % 4):
        box = _turn_box_counter_clockwise(box, view_width)
        view_width, view_height = view_height, view_width
    return box


def orientation_guess(analysis):
    """The orientation anatomy read from a hand's boxes (side and turn), rounded to quarter turns."""
    if analysis is None or not analysis.fitted or analysis.rotation_degrees is None:
        return UPRIGHT
    return Orientation(int(round(analysis.rotation_degrees / 90.0)) % 4, analysis.side == "right")


def composed(outer, inner):
    """How a hand lies in an image when it lies as `inner` in a view that lies as `outer` in the image."""
    turns = -inner.quarter_turns if outer.mirrored else inner.quarter_turns  # a flip reverses a turn
    return Orientation((outer.quarter_turns + turns) % 4, outer.mirrored != inner.mirrored)


def confident_areas(boxes):
    return sum((b.score is None or b.score >= CONFIDENT_SCORE) for b in boxes)


def looks_upright_left(analysis):
    """A nearly complete left hand, turned at most UPRIGHT_DEGREES: no other orientation is needed."""
    return (analysis is not None and analysis.side == "left" and analysis.rotation_degrees is not None
            and abs(analysis.rotation_degrees) <= UPRIGHT_DEGREES
            and confident_areas(analysis.boxes) >= COMPLETE_AREAS)


def ranking(boxes):
    """Which orientation's detections are best: most areas found, then the highest summed score."""
    return confident_areas(boxes), sum(b.score or 0.0 for b in boxes)
