"""Anatomy after detection: one box per area, each joint named by its digit, warnings about the hand.

The detector's boxes are matched to the 17 areas of an average left hand (hand_template.py) by
fitting a similarity transform, tried both as it is and mirrored, from several starting turns so
that right hands, flipped and rotated images are handled too. Within each row of joints the
matching keeps the digits' order across the hand (thumb, index, middle, ring, little), so a row
can never be read with two digits swapped; boxes that fit no area are left out.

Measured with scripts/measure_anatomy.py: every digit and side right on the 20 annotated hands,
mirrored and turned -90..90 degrees (1040 cases), 98 % with shifted copies, gaps and strays added,
53 of 54 keypoint hands and 76 of 76 bone-box hands; about 10-15 ms of CPU a hand.
"""
import cmath
import math
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional

import numpy as np

from ..core.hand_template import SLOTS, Similarity, default_template, fit_similarity
from ..core.taxonomy import CLASSES, DIGIT_CLASSES, EXPECTED_COUNTS, area_name

DUPLICATE_IOU = 0.5
# Centres closer than this fraction of the smaller box's side (square root of its area) are one
# area seen twice; neighbouring joints of a row lie about one box width apart.
DUPLICATE_CENTER_DISTANCE = 0.5
FOREARM_CLASSES = ("Radius", "Ulna", "Wrist")
MIN_SPREAD = 0.06          # hand-frame units; floor for the tolerance of each area's position
GATE_SIGMAS = 3.5          # a box further than this from an area (in its spreads) cannot be it
MIN_BOXES_TO_FIT = 3
SIDE_MARGIN = 0.05         # relative difference of fit quality needed to call left or right
ROTATION_WARNING_DEGREES = 30.0
GOOD_ENOUGH_SHARE = 0.9    # of the boxes that can be placed, for the first fit to be kept
GOOD_ENOUGH_BOXES = 12     # ... when there are this many: fewer boxes fit a wrong turn too
ROW_ADJUSTMENTS = 2        # rounds of fitting each row's own width and place after the hand's fit
ROW_STRETCH = (0.6, 1.5)   # how much a row may narrow (fingers together) or widen (spread)
ROW_SHIFT = 0.15           # how far a row may move along the hand, in hand-frame units


def _score(box):
    return 1.0 if box.score is None else float(box.score)


def is_duplicate(box, other):
    """Two boxes of one class that mark the same area (overlapping or shifted copies)."""
    if box.label != other.label:
        return False
    if box.iou(other) > DUPLICATE_IOU:
        return True
    (x, y), (ox, oy) = box.center, other.center
    side = math.sqrt(min(box.area, other.area))
    return math.hypot(x - ox, y - oy) < DUPLICATE_CENTER_DISTANCE * side


def remove_duplicates(boxes):
    """Drop boxes that repeat a better-scored box of the same class."""
    kept = []
    for box in sorted(boxes, key=_score, reverse=True):
        if not any(is_duplicate(box, other) for other in kept):
            kept.append(box)
    return kept


@dataclass
class HandAnalysis:
    """What postprocess found: the kept boxes (digits set) and how the hand lies in the image."""

    boxes: List = field(default_factory=list)
    fitted: bool = False                      # a hand layout was fitted to the boxes
    side: str = "unknown"                     # "left", "right" or "unknown"
    rotation_degrees: Optional[float] = None  # the hand's turn from upright, clockwise positive
    dropped: Dict[str, int] = field(default_factory=dict)  # class -> boxes left out (not duplicates)
    duplicates: int = 0
    transform: Optional[Similarity] = None    # image -> hand frame


def _matches_in_row(positions, scores, slot_positions, sigmas):
    """Best order-keeping matching of boxes to the areas of one class.

    positions: hand-frame points of the boxes, slot_positions: the class's areas, both sorted
    left to right. Returns (total gain, [(box index, slot index, gain)]).
    """
    n, m = len(positions), len(slot_positions)
    dist = np.abs(positions[:, None] - slot_positions[None, :])
    closeness = np.exp(-0.5 * (dist / sigmas[None, :]) ** 2)
    # A box's score counts first; being near the area's usual place counts half as much again.
    gain = scores[:, None] * (1.0 + closeness) / 2.0
    gain[dist > GATE_SIGMAS * sigmas[None, :]] = 0.0
    g, c = gain.tolist(), closeness.tolist()  # plain floats: this loop runs often
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        row, previous, gi = best[i], best[i - 1], g[i - 1]
        for j in range(1, m + 1):
            take = previous[j - 1] + gi[j - 1] if gi[j - 1] > 0 else -1.0
            row[j] = max(previous[j], row[j - 1], take)
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        if best[i][j] == best[i - 1][j]:
            i -= 1
        elif best[i][j] == best[i][j - 1]:
            j -= 1
        else:
            pairs.append((i - 1, j - 1, g[i - 1][j - 1], c[i - 1][j - 1]))
            i, j = i - 1, j - 1
    return pairs[::-1]


def _row_adjusted(positions, pairs, targets):
    """Hand-frame positions of one row after stretching it sideways and moving it along the hand.

    Fingers held together or spread wide change a row's width more than a similarity can follow.
    """
    x = np.array([positions[i].real for i, _, _, _ in pairs])
    tx = np.array([targets[j].real for _, j, _, _ in pairs])
    dy = np.mean([targets[j].imag - positions[i].imag for i, j, _, _ in pairs])
    xc = x - x.mean()
    spread = float(xc @ xc)
    stretch = float(xc @ (tx - tx.mean())) / spread if spread > 0 else 1.0
    stretch = min(max(stretch, ROW_STRETCH[0]), ROW_STRETCH[1])
    shift = np.mean(tx - stretch * x)
    return stretch * positions.real + shift + 1j * (positions.imag + np.clip(dy, -ROW_SHIFT, ROW_SHIFT))


class _Fitter:
    """Fits the template to one image's boxes."""

    def __init__(self, boxes, template):
        self.boxes = boxes
        self.template = template
        self.points = np.array([complex(*b.center) for b in boxes])
        self.scores = np.array([_score(b) for b in boxes])
        self.by_class = {}
        for i, b in enumerate(boxes):
            self.by_class.setdefault(b.label, []).append(i)
        self.slots_of = {c: [s for s in SLOTS if s[0] == c] for c in CLASSES}
        for c in DIGIT_CLASSES:
            self.slots_of[c].sort(key=lambda s: template.centers[s].real)

    def _class_mean(self, labels, in_template):
        if in_template:
            pts = [self.template.centers[s] for c in labels for s in self.slots_of[c]]
        else:
            pts = [self.points[i] for c in labels for i in self.by_class.get(c, [])]
        return np.mean(pts) if pts else None

    def _axis_pairs(self):
        """Class groups whose centroids give the direction from the forearm to the fingertips."""
        present = set(self.by_class)
        joints = [c for c in DIGIT_CLASSES if c in present]
        forearm = [c for c in FOREARM_CLASSES if c in present]
        if forearm and joints:
            return forearm, joints
        for proximal, distal in (("MCP", "DIP"), ("MCP", "PIP"), ("PIP", "DIP")):
            if proximal in present and distal in present:
                return [proximal], [distal]
        return None

    def initial_transforms(self, mirrored):
        sizes = [math.sqrt(b.area) for b in self.boxes]
        template_sizes = [
            math.sqrt(np.mean([w * h for s in self.slots_of[b.label] for w, h in [self.template.sizes[s]]]))
            for b in self.boxes
        ]
        scale = float(np.median(np.array(template_sizes) / np.array(sizes)))
        # Without a direction from the forearm to the fingertips, try the four quarter turns.
        turns = [0.0, 90.0, 180.0, 270.0]
        pairs = self._axis_pairs()
        self.guided = False
        if pairs is not None:
            image_axis = self._class_mean(pairs[1], False) - self._class_mean(pairs[0], False)
            template_axis = self._class_mean(pairs[1], True) - self._class_mean(pairs[0], True)
            if abs(image_axis) > 0:
                if mirrored:
                    image_axis = -np.conj(image_axis)
                base = math.degrees(cmath.phase(template_axis) - cmath.phase(image_axis))
                turns = [base, base + 40.0, base - 40.0]
                self.guided = True
        present = list(self.by_class)
        weights = [min(len(self.by_class[c]), EXPECTED_COUNTS[c]) for c in present]
        image_mean = sum(w * self._class_mean([c], False) for w, c in zip(weights, present)) / sum(weights)
        template_mean = sum(w * self._class_mean([c], True) for w, c in zip(weights, present)) / sum(weights)
        for turn in turns:
            a = scale * cmath.exp(1j * math.radians(turn))
            moved = -np.conj(image_mean) if mirrored else image_mean
            yield Similarity(a, template_mean - a * moved, mirrored), scale

    def match(self, transform, widen=1.0, adjust_rows=False):
        mapped = transform.apply(self.points)
        result = []
        for label, indices in self.by_class.items():
            slots = self.slots_of[label]
            order = sorted(indices, key=lambda i: mapped[i].real)
            sigmas = np.array([max(self.template.spreads[s], MIN_SPREAD) for s in slots]) * widen
            targets = self.template.center_array(slots)
            scores = self.scores[order]
            starts = [_matches_in_row(mapped[order], scores, targets, sigmas)]
            if adjust_rows and len(order) == len(slots) > 1:
                # A full row: its boxes in order are the digits in order, however close together.
                by_order = [(i, i, 0.0, 0.0) for i in range(len(order))]
                starts.append(_matches_in_row(_row_adjusted(mapped[order], by_order, targets),
                                              scores, targets, sigmas))
            best = []
            for pairs in starts:
                for _ in range(ROW_ADJUSTMENTS if adjust_rows and len(slots) > 1 else 0):
                    if len(pairs) < 2:
                        break
                    pairs = _matches_in_row(_row_adjusted(mapped[order], pairs, targets), scores, targets, sigmas)
                if sum(p[2] for p in pairs) > sum(p[2] for p in best):
                    best = pairs
            result.extend((order[i], slots[j], gain, close) for i, j, gain, close in best)
        return result

    def fit(self, start, scale, iterations=15):
        transform, matches = start, []
        for iteration in range(iterations):
            widen = max(1.0, 3.0 - 0.5 * iteration)
            new_matches = self.match(transform, widen)
            if len(new_matches) < 2:
                break
            settled = widen == 1.0 and [m[:2] for m in new_matches] == [m[:2] for m in matches]
            matches = new_matches
            if settled:
                break
            src = self.points[[m[0] for m in matches]]
            dst = np.array([self.template.centers[m[1]] for m in matches])
            try:
                candidate = fit_similarity(src, dst, [m[2] for m in matches], transform.mirrored)
            except ValueError:
                break
            # Keep the scale near what the box sizes say, so that few boxes cannot shrink the hand.
            if not 0.5 * scale <= candidate.scale <= 2.0 * scale:
                break
            transform = candidate
        matches = self.match(transform, adjust_rows=True)
        quality = sum(m[2] for m in matches)
        return quality, transform, matches

    def best_fit(self, mirrored, first_only=False):
        """(quality, transform, matches, good): the best of the fits from several starts.

        The first start follows the hand's direction; when it places nearly every box that can be
        placed (good), the other starts are not needed. first_only: try that start alone.
        """
        placeable = sum(min(len(i), EXPECTED_COUNTS[c]) for c, i in self.by_class.items())
        best, good = None, False
        for start, scale in self.initial_transforms(mirrored):
            result = self.fit(start, scale)
            if best is None or result[0] > best[0]:
                best = result
            good = self.guided and placeable >= GOOD_ENOUGH_BOXES and len(best[2]) >= GOOD_ENOUGH_SHARE * placeable
            if good or (first_only and self.guided):
                break
        return best + (good,)


def _cap_by_score(boxes):
    kept, counts = [], {}
    for box in sorted(boxes, key=_score, reverse=True):
        if counts.get(box.label, 0) < EXPECTED_COUNTS[box.label]:
            counts[box.label] = counts.get(box.label, 0) + 1
            kept.append(box)
    return kept


def _reading_order(box):
    digit = box.digit if box.digit is not None else 9
    return CLASSES.index(box.label), digit, -_score(box)


def analyse_hand(boxes, width=None, height=None, template=None):
    """Fit the hand layout to detected boxes: HandAnalysis with the boxes to keep (digits set)."""
    template = template or default_template()
    if width is not None and height is not None:
        boxes = [c for c in (b.clipped(width, height) for b in boxes) if c is not None]
    unique = remove_duplicates(boxes)
    analysis = HandAnalysis(duplicates=len(boxes) - len(unique))
    if len({b.center for b in unique}) < MIN_BOXES_TO_FIT:
        analysis.boxes = sorted(_cap_by_score(unique), key=_reading_order)
    else:
        fitter = _Fitter(unique, template)
        fits = {False: fitter.best_fit(False)}
        # A left hand placed well: the mirrored reading needs only its guided start for comparison.
        fits[True] = fitter.best_fit(True, first_only=fits[False][3])
        # Most radiographs show a left hand: read the hand as mirrored only when that fits clearly better.
        left, right = fits[False][0], fits[True][0]
        mirrored = right > left * (1.0 + SIDE_MARGIN)
        _, transform, matches, _ = fits[mirrored]
        if mirrored:
            analysis.side = "right"
        elif left > right * (1.0 + SIDE_MARGIN):
            analysis.side = "left"
        analysis.fitted = True
        analysis.transform = transform
        # The hand's turn in the image undoes the turn that brings it upright; a flip reverses it.
        turn = transform.angle_degrees if mirrored else -transform.angle_degrees
        analysis.rotation_degrees = (turn + 180.0) % 360.0 - 180.0
        analysis.boxes = sorted(
            (replace(unique[i], digit=slot[1]) for i, slot, _, _ in matches), key=_reading_order)
    kept_per_class = {c: sum(b.label == c for b in analysis.boxes) for c in CLASSES}
    for label in CLASSES:
        left_out = sum(b.label == label for b in unique) - kept_per_class[label]
        if left_out:
            analysis.dropped[label] = left_out
    return analysis


def postprocess(boxes, width=None, height=None):
    """At most the expected boxes per class, duplicates removed, DIP/PIP/MCP digits assigned."""
    return analyse_hand(boxes, width, height).boxes


def hand_side(boxes):
    """'left', 'right' (a right hand, or a left hand's image flipped) or 'unknown'."""
    return analyse_hand(boxes).side


def hand_warnings(boxes, width=None, height=None, about_orientation=True, analysis=None):
    """Plain-language remarks about a hand's boxes (empty when it looks like a complete left hand).

    about_orientation=False leaves out the remarks on a right hand and on a turn, for a caller that
    tells how the hand lies itself (the orientation search). analysis: anatomy's fit whose kept boxes
    are exactly `boxes`, when the caller has it (no second fit)."""
    if not boxes:
        return ["no ossification areas found: is this a hand radiograph?"]
    analysis = analysis or analyse_hand(boxes, width, height)
    warnings = []
    for label in CLASSES:
        given = sum(b.label == label for b in boxes)
        if given > EXPECTED_COUNTS[label]:
            warnings.append(f"{given} {label} boxes where a hand has {EXPECTED_COUNTS[label]}")
    for label in CLASSES:
        found = sum(b.label == label for b in analysis.boxes)
        if found < EXPECTED_COUNTS[label]:
            warnings.append(f"incomplete hand: {found} of {EXPECTED_COUNTS[label]} {label} found")
    missing = _missing_areas(analysis.boxes) if analysis.fitted else []
    if missing:
        warnings.append("missing: " + ", ".join(missing))
    if analysis.side == "right" and about_orientation:
        warnings.append("this looks like a right hand or a mirrored image (the thumb is on the other side)")
    elif analysis.side == "unknown":
        warnings.append("cannot tell whether this is a left or a right hand from the areas found")
    turned = analysis.rotation_degrees is not None and abs(analysis.rotation_degrees) > ROTATION_WARNING_DEGREES
    if turned and about_orientation:
        direction = "clockwise" if analysis.rotation_degrees > 0 else "counter-clockwise"
        warnings.append(f"the hand is turned about {abs(analysis.rotation_degrees):.0f} degrees {direction}")
    not_fitting = sum(analysis.dropped.values())
    if not_fitting:
        plural = "es" if not_fitting > 1 else ""
        warnings.append(f"{not_fitting} box{plural} did not fit the layout of a hand: left out")
    return warnings


def _missing_areas(kept):
    present = {(b.label, b.digit) for b in kept}
    return [area_name(label, digit) for label, digit in SLOTS if (label, digit) not in present]
