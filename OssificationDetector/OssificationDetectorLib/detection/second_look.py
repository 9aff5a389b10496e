"""A second look, on a small window, at the areas a first pass missed on a right hand (or a mirrored image).

The detector learned left hands. On a right hand near upright it still finds nearly every area,
and anatomy reads the hand as mirrored from their layout; what it misses there it finds on the
flipped image. Instead of detecting the whole flipped radiograph again (a second full pass), only
a window around where the missing areas should lie (the average hand fitted to the areas found)
is flipped and detected, at the first pass's scale: a fraction of a pass. When the window does
not complete the hand, the orientation search goes on as without it (orientation_search.py).

Coordinates: x right, y down, origin at the top-left corner of the first pixel.
"""
from dataclasses import replace

import numpy as np

from ..core.hand_template import SLOTS, default_template
from .anatomy import analyse_hand
from .orientation import confident_areas

LOOK_MARGIN = 0.5       # hand-frame units around each missing area's expected centre
SAME_AREA_IOU = 0.3     # a window box overlapping a first-pass box this much is that area again
# Below this score a first-pass box on a mirrored hand is looked at again: there the detector
# sometimes puts the Ulna on the wrong bone, at scores 0.65-0.75.
SURE_SCORE = 0.9
MAX_LOOKS = 4           # more windows than this cost about as much as the whole flipped view


def slots_to_look_at(analysis):
    """(slots, kept boxes): the areas the fitted hand lacks or found with doubt, and its sure boxes."""
    sure = [b for b in analysis.boxes if b.score is None or b.score >= SURE_SCORE]
    present = {(b.label, b.digit) for b in sure}
    return [slot for slot in SLOTS if slot not in present], sure


def look_window(analysis, slot, width, height):
    """(x0, y0, x1, y1): whole pixels of the input around the expected centre of `slot`, or None
    when that lies outside the image. The windows of one hand are all one size (moved, not cut, at
    the image's edges): they are detected in one batch."""
    centre = complex(analysis.transform.inverse().apply(np.array([default_template().centers[slot]]))[0])
    if not (0 <= centre.real <= width and 0 <= centre.imag <= height):
        return None
    size = int(np.ceil(2 * LOOK_MARGIN / analysis.transform.scale))
    w, h = min(size, width), min(size, height)
    x0 = int(min(max(round(centre.real - w / 2), 0), width - w))
    y0 = int(min(max(round(centre.imag - h / 2), 0), height - h))
    return (x0, y0, x0 + w, y0 + h) if w >= 8 and h >= 8 else None


def flipped_window(pixels, window):
    """The window's pixels flipped left-right (a right hand's window as a left hand's)."""
    x0, y0, x1, y1 = window
    return np.ascontiguousarray(pixels[y0:y1, x0:x1][:, ::-1], dtype=np.float32)


def from_flipped_window(box, window):
    """A box found on flipped_window(...) in the input's pixels."""
    x0, y0, x1, _ = window
    return replace(box, x1=x1 - box.x2, x2=x1 - box.x1, y1=box.y1 + y0, y2=box.y2 + y0)


def looked(pixels, analysis, detect_windows):
    """The analysis of the first pass's boxes completed by a look at the missing areas, or None
    when the look cannot be made or does not complete the hand.

    analysis: anatomy's reading of the first pass (a right hand, fitted): its missing and doubtful
    areas are looked for, one window each. detect_windows: float32 images of one size -> their Boxes
    (in each image's pixels), detected at the first pass's scale.
    """
    height, width = pixels.shape
    slots, kept = slots_to_look_at(analysis)
    windows = [look_window(analysis, slot, width, height) for slot in slots]
    if not slots or len(slots) > MAX_LOOKS or None in windows:
        return None
    first = {(b.label, b.digit): b for b in analysis.boxes}
    seen = detect_windows([flipped_window(pixels, window) for window in windows])
    for (label, digit), window, boxes in zip(slots, windows, seen):
        found = [from_flipped_window(b, window) for b in boxes]
        found = [b for b in found if b.label == label and all(b.iou(k) < SAME_AREA_IOU for k in kept)]
        # The window's best box of the class, else the first pass's doubtful one.
        best = max(found, key=lambda b: b.score, default=first.get((label, digit)))
        kept += [best] if best is not None else []
    completed = analyse_hand(kept, width, height)
    if not completed.fitted or completed.side != "right" or confident_areas(completed.boxes) < len(SLOTS):
        return None
    return completed
