"""How a hand lies in a radiograph (mirrored or not, turned by any angle), and exact box maps for quarter turns.

The detector was trained on upright left hands. A hand turned by a quarter turn or more is detected
on a view turned back upright: its quarter turns by np.rot90 (no resampling: a pixel box maps
exactly onto a pixel box), the rest of the turn resampled (turned_view.py). Whether the hand is a
left or a right one (or a mirrored image) is read from the anatomy of its areas: the thumb's side.

Coordinates: x right, y down, origin at the top-left corner of the first pixel; an image of
width W and height H spans [0, W] x [0, H].
"""
from dataclasses import dataclass, replace

import numpy as np

# A detection counts as a found area from this score (the centre criterion's score too).
CONFIDENT_SCORE = 0.5
# A hand turned no more than this is not remarked on (hands lie up to about 20 degrees turned on
# radiographs taken as they should be).
ROTATION_REMARK_DEGREES = 30.0
# A turn this close to a quarter turn is told as the quarter turn (a radiograph saved turned).
QUARTER_TURN_SLACK = 15.0
# A fine turn smaller than this is left to the detector, which finds hands turned that much: the
# view is then an exact quarter turn, with no resampling.
FINE_TURN_DEGREES = 10.0


@dataclass(frozen=True)
class Orientation:
    """How a hand lies in a radiograph, from an upright left hand: mirrored left-right (a right hand,
    or a left hand's image flipped) first, then turned clockwise by quarter_turns x 90 degrees and
    a further `degrees` (-45..45)."""

    quarter_turns: int = 0  # clockwise, 0..3
    mirrored: bool = False
    degrees: float = 0.0

    @classmethod
    def from_turn(cls, mirrored, degrees):
        """The orientation of a hand mirrored (or not), then turned clockwise by any angle."""
        quarter_turns = int(round(degrees / 90.0))
        return cls(quarter_turns % 4, bool(mirrored), float(degrees - 90.0 * quarter_turns))

    @property
    def turn_degrees(self):
        """The whole clockwise turn, -180..180."""
        return (90.0 * self.quarter_turns + self.degrees + 180.0) % 360.0 - 180.0

    @property
    def is_upright(self):
        """A left hand turned no more than a hand lies turned on a radiograph taken as it should be."""
        return not self.mirrored and abs(self.turn_degrees) <= ROTATION_REMARK_DEGREES

    def snapped(self):
        """The same orientation with a small fine turn left out: a view that needs no resampling."""
        if abs(self.degrees) < FINE_TURN_DEGREES:
            return replace(self, degrees=0.0)
        return self

    def describe(self):
        """Plain-language remarks for the user (empty for an upright left hand)."""
        remarks = []
        if self.mirrored:
            remarks.append("this is a right hand or a mirrored image (the thumb is on the other side): "
                           "the areas are named as on a left hand")
        turn = self.turn_degrees
        if abs(turn) > ROTATION_REMARK_DEGREES:
            quarter = {90: "90 degrees clockwise", 180: "180 degrees (upside down)", -180: "180 degrees (upside down)",
                       -90: "90 degrees counter-clockwise"}
            nearest = int(round(turn / 90.0)) * 90
            if nearest in quarter and abs(turn - nearest) <= QUARTER_TURN_SLACK:
                remarks.append(f"the radiograph is turned {quarter[nearest]}: the areas were found on it turned "
                               "back upright")
            else:
                direction = "clockwise" if turn > 0 else "counter-clockwise"
                remarks.append(f"the hand is turned about {abs(turn):.0f} degrees {direction}")
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


def composed(outer, inner):
    """How a hand lies in an image when it lies as `inner` in a view that lies as `outer` in the image."""
    inner_turn = 90.0 * inner.quarter_turns + inner.degrees
    turn = 90.0 * outer.quarter_turns + outer.degrees + (-inner_turn if outer.mirrored else inner_turn)
    if not (outer.degrees or inner.degrees):  # quarter turns stay exact
        return Orientation(int(round(turn / 90.0)) % 4, outer.mirrored != inner.mirrored)
    return Orientation.from_turn(outer.mirrored != inner.mirrored, (turn + 180.0) % 360.0 - 180.0)


def confident_areas(boxes):
    return sum((b.score is None or b.score >= CONFIDENT_SCORE) for b in boxes)


def ranking(boxes):
    """Which view's detections are best: most areas found, then the highest summed score."""
    return confident_areas(boxes), sum(b.score or 0.0 for b in boxes)
