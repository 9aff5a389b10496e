"""Which of a teacher's boxes on one radiograph become training boxes, and which regions are ignored.

Two rules, both over the teacher's raw boxes (cross-class duplicates removed, no anatomy yet):
- "complete": only a whole, plausible left hand: exactly the 17 expected areas, each scored at
  least min_score, every joint assigned to its digit, and no anatomy warning. Anything less is
  rejected, so young, turned and unusual hands never enter training.
- "partial": the hand's confident areas (score >= min_score) are kept as they are; every other box
  the teacher saw (score >= ignore_score: uncertain areas, strays, duplicates) and every area it
  did not see at all (placed by the average left hand fitted to the areas found) becomes an ignored
  region, neither an area nor background in training (ignore_regions.py). A hand is rejected only
  when too few areas are confident to trust the fit, or when it is not a left hand.
"""
import math
from typing import List, NamedTuple, Optional

from ..core.boxes import Box
from ..core.taxonomy import DIGITS_OF_CLASS, EXPECTED_COUNTS, EXPECTED_TOTAL

RULES = ("partial", "complete")
# The lowest score of a kept area. Of the 500 unannotated RSNA radiographs, the default model (v2)
# found 476 complete, consistent left hands: 473 with every area >= 0.6, 464 >= 0.7, 448 >= 0.8,
# 376 >= 0.9; the weakest area is mostly the ulna.
DEFAULT_MIN_SCORE = 0.7
# Partial rule: boxes scored from here up to min_score are ignored regions, lower ones unseen.
DEFAULT_IGNORE_SCORE = 0.3
# The detector's usual threshold: the complete rule reads the hand from these boxes, as detect does.
DETECTION_THRESHOLD = 0.5
# A partial hand needs this many confident areas: fewer fit a wrong hand layout too.
MIN_CONFIDENT_AREAS = 9
# Around an area placed by the average hand: this many of the area's spreads in the training hands.
PLACED_AREA_MARGIN = 1.0


class HandLabels(NamedTuple):
    """The training boxes and ignored regions of one radiograph, or why it is rejected."""

    boxes: List[Box]
    ignored: List[Box]
    reason: Optional[str] = None  # None when kept

    @property
    def complete(self):
        """Kept with all 17 areas confident."""
        return self.reason is None and len(self.boxes) == EXPECTED_TOTAL


def rejected(reason):
    return HandLabels([], [], reason)


def rejection_reason(boxes, width, height, min_score=DEFAULT_MIN_SCORE):
    """Why one radiograph's post-processed boxes are not a complete hand; None when they are."""
    from ..detection.anatomy import hand_warnings

    if not boxes:
        return "no ossification areas found"
    counts = {label: sum(b.label == label for b in boxes) for label in EXPECTED_COUNTS}
    if counts != EXPECTED_COUNTS:
        wrong = ", ".join(f"{counts[c]} of {n} {c}" for c, n in EXPECTED_COUNTS.items() if counts[c] != n)
        return f"{len(boxes)} of {EXPECTED_TOTAL} areas ({wrong})"
    weak = [b for b in boxes if b.score is not None and b.score < min_score]
    if weak:
        listed = ", ".join(f"{b.name} {b.score:.2f}" for b in sorted(weak, key=lambda b: b.score))
        return f"{len(weak)} area(s) scored below {min_score:g}: {listed}"
    if any(b.label in DIGITS_OF_CLASS and b.digit is None for b in boxes):
        return "joints not assigned to digits"
    warnings = hand_warnings(boxes, width, height)
    if warnings:
        return "; ".join(warnings)
    return None


def complete_hand(raw, width, height, min_score=DEFAULT_MIN_SCORE, threshold=DETECTION_THRESHOLD):
    """The complete rule: the hand as `detect` reads it from boxes >= threshold, kept only when whole."""
    from ..detection.anatomy import postprocess

    boxes = postprocess([b for b in raw if _score(b) >= threshold], width, height)
    reason = rejection_reason(boxes, width, height, min_score)
    return HandLabels(boxes, [], None) if reason is None else rejected(reason)


def partial_hand(raw, width, height, min_score=DEFAULT_MIN_SCORE, ignore_score=DEFAULT_IGNORE_SCORE):
    """The partial rule: confident areas kept, the rest of the hand ignored (see the module's text)."""
    from ..core.hand_template import SLOTS, default_template
    from ..detection.anatomy import analyse_hand

    seen = [c for c in (b.clipped(width, height) for b in raw if _score(b) >= ignore_score) if c is not None]
    if not seen:
        return rejected("no ossification areas found")
    analysis = analyse_hand(seen, width, height)
    if not analysis.fitted:
        return rejected(f"too few areas to place a hand: {len(seen)} scored >= {ignore_score:g}")
    if analysis.side != "left":
        return rejected("this looks like a right hand or a mirrored image" if analysis.side == "right"
                        else "cannot tell whether this is a left or a right hand from the areas found")
    confident = [b for b in analysis.boxes if _score(b) >= min_score]
    if len(confident) < MIN_CONFIDENT_AREAS:
        return rejected(f"only {len(confident)} of {EXPECTED_TOTAL} areas scored >= {min_score:g} "
                        f"(a partial hand needs {MIN_CONFIDENT_AREAS})")
    kept = {_key(b) for b in confident}
    ignored = [b for b in seen if _key(b) not in kept]
    found = {(b.label, b.digit) for b in analysis.boxes}
    template = default_template()
    for slot in SLOTS:
        if slot not in found:
            region = placed_area(slot, analysis.transform, template, width, height)
            if region is not None:
                ignored.append(region)
    return HandLabels(confident, ignored, None)


def placed_area(slot, transform, template, width, height):
    """The box where the average left hand, fitted by `transform` (image -> hand frame), puts `slot`,
    widened by its spread; None when it lies outside the image."""
    to_image = transform.inverse()
    centre = complex(to_image.apply(template.centers[slot]))
    margin = PLACED_AREA_MARGIN * template.spreads[slot]
    half_w, half_h = ((size / 2 + margin) * to_image.scale for size in template.sizes[slot])
    # The box of the turned ellipse: as augment.rotate turns boxes.
    turn = math.radians(to_image.angle_degrees)
    cos, sin = abs(math.cos(turn)), abs(math.sin(turn))
    reach_x = math.hypot(half_w * cos, half_h * sin)
    reach_y = math.hypot(half_w * sin, half_h * cos)
    label, digit = slot
    box = Box(label, centre.real - reach_x, centre.imag - reach_y, centre.real + reach_x, centre.imag + reach_y,
              digit=digit)
    return box.clipped(width, height)


def hand_labels(raw, width, height, rule="partial", min_score=DEFAULT_MIN_SCORE,
                ignore_score=DEFAULT_IGNORE_SCORE, threshold=DETECTION_THRESHOLD):
    """HandLabels of one radiograph's raw boxes under `rule` ("partial" or "complete")."""
    if rule == "complete":
        return complete_hand(raw, width, height, min_score, threshold)
    if rule == "partial":
        return partial_hand(raw, width, height, min_score, ignore_score)
    raise ValueError(f"rule={rule!r}: use one of {', '.join(RULES)}")


def _score(box):
    return 1.0 if box.score is None else box.score


def _key(box):
    return box.label, box.x1, box.y1, box.x2, box.y2
