"""The orientation search: from the first pass's areas, the one view that shows the hand upright.

The first pass runs on the radiograph as it is, or, where the model's orientation probe is sure the
hand lies a quarter turn or upside down, on the view that turns it back (orientation_probe.py). Anatomy fits the average hand to its areas at any
angle and either side (anatomy.py), which says how the hand lies: turned by how much, and whether
its thumb lies where a left hand's does. A hand read as a nearly complete left hand near upright,
or as a complete hand of either side, needs nothing more. Otherwise the next pass runs on the view
that undoes that reading (turned back by any angle, flipped for a right hand), cut to the hand; a
nearly complete right hand near upright first gets a look at its missing areas only (second_look.py);
only when no pass gives a reading, or the view a reading points to was tried and found less, are
the quarter turns tried. Left or right is always the
chirality of the hand's fitted layout in the view kept, never which view scored higher.
"""
from dataclasses import replace
from typing import NamedTuple, Optional

import numpy as np

from ..core.hand_template import default_template
from ..core.taxonomy import DIGIT_CLASSES
from .orientation import UPRIGHT, Orientation, composed, confident_areas, ranking
from .orientation_probe import Turned
from .second_look import looked
from .turned_view import TurnedView, view_around

MAX_VIEWS = 4                # the first pass and at most three more
COMPLETE_AREAS = 14          # of 17: a nearly complete hand
SETTLED_DEGREES = 20.0       # a nearly complete left hand turned at most this needs no other view
COMPLETE_HAND_DEGREES = 45.0  # a complete hand (all 17, either side) turned at most this needs none
GUIDE_AREAS = 6              # areas a reading needs to point to a view (4 or 5 of a sideways hand mislead)
HALF_HAND = 9                # areas a reading needs to say the hand is upright with nothing to turn
SAME_VIEW_DEGREES = 10.0     # views closer than this show the hand alike
HAND_MARGIN = 0.7            # hand-frame units around the areas: fingertips, skin, the forearm
# Quarter turns tried when no pass gives a reading. A hand radiograph is taken portrait: one wider
# than tall was most likely saved a quarter turn off, so its quarter turns come before upside down.
FALLBACK_TURNS = (2, 1, 3)
LANDSCAPE_FALLBACK_TURNS = (1, 3, 2)
# Where the fingertips point in the input for a hand lying turned clockwise by 1, 2 or 3 quarter turns.
FINGERS_POINT = {1: (1.0, 0.0), 2: (0.0, 1.0), 3: (-1.0, 0.0)}


class Candidate(NamedTuple):
    """One pass: the view it ran on, its boxes (view pixels), anatomy's analysis of them; first: the
    search's first pass (the image as it is, or the probe's view of it)."""

    view: TurnedView
    boxes: list
    analysis: Optional[object]
    first: bool = False


class Found(NamedTuple):
    """The pass kept, and how the hand lies in the input."""

    view: TurnedView
    boxes: list
    analysis: Optional[object]
    orientation: Orientation


def _reading(analysis):
    return analysis is not None and analysis.fitted and analysis.rotation_degrees is not None


def hand_orientation(candidate):
    """How the hand lies in the input: the view's turn and flip composed with anatomy's reading in it."""
    if not _reading(candidate.analysis):
        return candidate.view.orientation
    within = Orientation.from_turn(candidate.analysis.side == "right", candidate.analysis.rotation_degrees)
    return composed(candidate.view.orientation, within)


def settled(candidate):
    """Nothing to gain from another view: a complete hand, or a nearly complete left hand upright.

    In a view of the search, upright means turned back within SAME_VIEW_DEGREES: a view read from a
    hand detected far turned can be off by more, and a closer one finds what this one missed. The
    first pass's view (the image, or the probe's quarter turn of it) is taken as it was given.
    """
    analysis = candidate.analysis
    if not _reading(analysis) or analysis.side == "unknown":
        return False
    found, turn = confident_areas(analysis.boxes), abs(analysis.rotation_degrees)
    if found == 17:
        return turn <= COMPLETE_HAND_DEGREES
    return found >= COMPLETE_AREAS and analysis.side == "left" and turn <= _upright_within(candidate)


def _upright_within(candidate):
    """How far a hand may lie turned in the candidate's view and count as upright."""
    return SETTLED_DEGREES if candidate.first or candidate.view.orientation == UPRIGHT else SAME_VIEW_DEGREES


def _same_view(a, b):
    gap = abs((a.turn_degrees - b.turn_degrees + 180.0) % 360.0 - 180.0)
    return a.mirrored == b.mirrored and gap < SAME_VIEW_DEGREES


def hand_outline(candidate):
    """Corners of the hand's extent (the average hand's areas and a margin) in the input's pixels."""
    centers = list(default_template().centers.values())
    xs, ys = [z.real for z in centers], [z.imag for z in centers]
    corners = [complex(x, y) for x in (min(xs) - HAND_MARGIN, max(xs) + HAND_MARGIN)
               for y in (min(ys) - HAND_MARGIN, max(ys) + HAND_MARGIN)]
    in_view = candidate.analysis.transform.inverse().apply(np.array(corners))
    return [candidate.view.point_from_view(z.real, z.imag) for z in in_view]


def next_view(tried, width, height):
    """The view to try next, or None when there is nothing left to try."""
    readable = [c for c in tried if _reading(c.analysis) and confident_areas(c.analysis.boxes) >= GUIDE_AREAS]
    if readable:
        guide = max(readable, key=lambda c: ranking(c.analysis.boxes))
        upright = guide.analysis.side != "right" and abs(guide.analysis.rotation_degrees) <= _upright_within(guide)
        found = confident_areas(guide.analysis.boxes)
        if upright and found >= HALF_HAND:
            flipped = replace(guide.view.orientation, mirrored=not guide.view.orientation.mirrored)
            if found < COMPLETE_AREAS and not any(_same_view(flipped, c.view.orientation) for c in tried):
                # An incomplete hand read as a left one near upright can be a right one turned: a right
                # hand turned 30 degrees fits a left hand's layout about as well. Its flipped view, once.
                return TurnedView(flipped, width, height)
            return None  # the hand is as upright in its view as the detector has learned: nothing to turn
        # A few areas read as upright can be a turned hand's stray finds: the quarter turns below.
        lies = hand_orientation(guide)
        target = Orientation.from_turn(lies.mirrored, lies.turn_degrees).snapped()
        if not any(_same_view(target, c.view.orientation) for c in tried):
            return view_around(target, width, height, hand_outline(guide))
        # The reading's view was tried and found less: the reading was wrong, try the quarter turns.
    for turns in fallback_turns(tried[0], width, height):
        target = Orientation(turns)
        if not any(_same_view(target, c.view.orientation) for c in tried):
            return TurnedView(target, width, height)
    return None



def fallback_turns(first, width, height):
    """The quarter turns to try, likeliest first. The few finger joints a first pass finds on a sideways
    or upside-down hand lie toward its fingertips: the side of the image they lie on comes first.
    Without two of them, a radiograph wider than tall tries its quarter turns before upside down.
    After a first pass on the probe's view, the image as it is comes first."""
    if first.view.orientation != UPRIGHT:
        return (0,) + FALLBACK_TURNS
    joints = [b.center for b in first.boxes if b.label in DIGIT_CLASSES]
    if len(joints) < 2:
        return LANDSCAPE_FALLBACK_TURNS if width > height else FALLBACK_TURNS
    dx = float(np.mean([x for x, _ in joints])) / width - 0.5
    dy = float(np.mean([y for _, y in joints])) / height - 0.5
    return tuple(sorted(FINGERS_POINT, key=lambda q: -(dx * FINGERS_POINT[q][0] + dy * FINGERS_POINT[q][1])))


def wants_a_look(candidate):
    """A nearly complete right hand near upright: its missing areas are looked for on a window."""
    analysis = candidate.analysis
    return (_reading(analysis) and analysis.side == "right" and not settled(candidate)
            and confident_areas(analysis.boxes) >= COMPLETE_AREAS
            and abs(analysis.rotation_degrees) <= SETTLED_DEGREES)


def first_candidate(pixels, first, detect_views):
    """The search's first Candidate: the first pass (boxes, analysis) on `pixels`, or, for the probe's
    Turned, a pass on the view that turns the hand back."""
    height, width = pixels.shape
    if isinstance(first, Turned):
        view = TurnedView(Orientation(first.quarter_turns), width, height)
        return Candidate(view, *detect_views([view.pixels(pixels)])[0], first=True)
    return Candidate(TurnedView(UPRIGHT, width, height), *first, first=True)


def search(pixels, first, detect_views, detect_windows=None):
    """Found: the best pass of the search, starting from the first pass on `pixels`: (boxes, analysis),
    or the orientation probe's Turned when it stopped that pass after the backbone.

    detect_views: float32 images -> [(boxes, analysis)], one model pass each. detect_windows: float32
    images of one size -> their Boxes at the first pass's scale, for a second look at a right hand's
    missing areas (second_look.py); None looks at whole views only.
    """
    height, width = pixels.shape
    tried = [first_candidate(pixels, first, detect_views)]
    if detect_windows is not None and wants_a_look(tried[0]):
        view_pixels = pixels if tried[0].view.orientation == UPRIGHT else tried[0].view.pixels(pixels)
        completed = looked(view_pixels, tried[0].analysis, detect_windows)
        if completed is not None:
            kept = Candidate(tried[0].view, completed.boxes, completed)
            return Found(kept.view, kept.boxes, completed, hand_orientation(kept))
    while not settled(tried[-1]) and len(tried) < MAX_VIEWS:
        view = next_view(tried, width, height)
        if view is None:
            break
        tried.append(Candidate(view, *detect_views([view.pixels(pixels)])[0]))
    # max keeps the first of equals: the image as it is.
    best = max(tried, key=lambda c: ranking(c.boxes))
    return Found(best.view, best.boxes, best.analysis, hand_orientation(best))
