"""The centre criterion of Koitka et al. (2018): a detection with score >= 0.5 is right when the centre
of a truth box of its class lies within H * 6 / 256 px of its own centre (H the image height).

Matching is one to one, per image and class: detections in descending score each take the nearest
still-unmatched truth centre within the radius. Unmatched detections are false positives,
unmatched truths false negatives.
"""
import math
from dataclasses import dataclass

from .average_precision import score_of
from ..core.taxonomy import check_label

SCORE_THRESHOLD = 0.5
RADIUS_FRACTION = 6 / 256


def centre_radius(height, radius_fraction=RADIUS_FRACTION):
    return height * radius_fraction


@dataclass
class MatchCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other):
        return MatchCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self):
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self):
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self):
        """2TP / (2TP + FP + FN), the harmonic mean of precision and recall (0 when both are 0)."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0

    def to_dict(self):
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


def matched_truths(boxes, centres, radius, score_threshold=SCORE_THRESHOLD):
    """(indices of the truth centres found, number of detections that found none) for one image and
    one class: `boxes` detections, `centres` truth (x, y) points."""
    kept = sorted((b for b in boxes if score_of(b) >= score_threshold), key=lambda b: -score_of(b))
    free = list(range(len(centres)))
    found, unmatched = [], 0
    for box in kept:
        cx, cy = box.center
        distances = [math.hypot(centres[i][0] - cx, centres[i][1] - cy) for i in free]
        nearest = min(range(len(free)), key=distances.__getitem__, default=None)
        if nearest is not None and distances[nearest] <= radius:
            found.append(free.pop(nearest))
        else:
            unmatched += 1
    return found, unmatched


def match_centres(boxes, centres, radius, score_threshold=SCORE_THRESHOLD):
    """Counts for one image and one class: `boxes` detections, `centres` truth (x, y) points."""
    found, unmatched = matched_truths(boxes, centres, radius, score_threshold)
    return MatchCounts(len(found), unmatched, len(centres) - len(found))


def centre_criterion(detections, truth_centres_by_class, heights, score_threshold=SCORE_THRESHOLD,
                     radius_fraction=RADIUS_FRACTION):
    """Per-class MatchCounts over images.

    detections: per image a list of Box; truth_centres_by_class: per image a dict label -> [(x, y)]
    (truth boxes' centres, or joint positions from keypoints); heights: per image its height in px.
    Only classes that have a detection or a truth appear in the result.
    """
    if not len(detections) == len(truth_centres_by_class) == len(heights):
        raise ValueError("detections, truth centres and heights need one entry per image each.")
    totals = {}
    for boxes, centres_by_class, height in zip(detections, truth_centres_by_class, heights):
        radius = centre_radius(height, radius_fraction)
        centres_by_class = {check_label(label): centres for label, centres in centres_by_class.items()}
        for label in set(centres_by_class) | {b.label for b in boxes}:
            counts = match_centres([b for b in boxes if b.label == label], centres_by_class.get(label, []),
                                   radius, score_threshold)
            totals[label] = totals.get(label, MatchCounts()) + counts
    return totals
