"""The average left hand: where each of the 17 ossification areas lies, and how big its box is.

Positions are complex numbers x + iy in a normalised hand frame: origin at the centroid of the
17 box centres, unit length the root-mean-square distance of the centres from it, oriented like
an upright left hand in a posterior-anterior radiograph (fingers up, thumb on the image's right,
y down as in images). A hand in an image relates to the template by a similarity transform
(rotation, scale, shift), mirrored for a right hand or a flipped image.

The shipped template (hand_template_data.py) is learned from annotated radiographs with
scripts/learn_hand_template.py; learn_template() does the same on any set of complete hands.
"""
import cmath
import math
from dataclasses import dataclass

import numpy as np

from .taxonomy import DIGIT_CLASSES, DIGITS_OF_CLASS, EXPECTED_COUNTS

# One slot per expected area: (class, digit), digit None for Radius, Ulna and Wrist.
SLOTS = tuple((c, d) for c in DIGIT_CLASSES for d in DIGITS_OF_CLASS[c]) + (
    ("Radius", None), ("Ulna", None), ("Wrist", None))


class IncompleteHandError(ValueError):
    """A hand that lacks some of the 17 areas where a complete one is needed."""


@dataclass(frozen=True)
class Similarity:
    """z -> a * z + t, or a * m(z) + t when mirrored, m(x + iy) = -x + iy the left-right flip."""

    a: complex
    t: complex
    mirrored: bool = False

    def apply(self, z):
        z = -np.conj(z) if self.mirrored else z
        return self.a * z + self.t

    def inverse(self):
        if self.mirrored:
            # w = a m(z) + t  <=>  z = m((w - t) / a) = conj(1/a) m(w) + conj(t/a)
            return Similarity(np.conj(1 / self.a), np.conj(self.t / self.a), True)
        return Similarity(1 / self.a, -self.t / self.a, False)

    @property
    def scale(self):
        return abs(self.a)

    @property
    def angle_degrees(self):
        """The turn this transform applies, clockwise positive in image coordinates (y down)."""
        return math.degrees(cmath.phase(self.a))


def fit_similarity(src, dst, weights=None, mirrored=False):
    """Least-squares similarity taking the points src to dst (complex arrays, at least 2 points)."""
    src = -np.conj(np.asarray(src, complex)) if mirrored else np.asarray(src, complex)
    dst = np.asarray(dst, complex)
    w = np.ones(len(src)) if weights is None else np.asarray(weights, float)
    src_mean = (w * src).sum() / w.sum()
    dst_mean = (w * dst).sum() / w.sum()
    spread = (w * np.abs(src - src_mean) ** 2).sum()
    if spread <= 0:
        raise ValueError("fit_similarity needs at least two distinct points")
    a = (w * np.conj(src - src_mean) * (dst - dst_mean)).sum() / spread
    return Similarity(complex(a), complex(dst_mean - a * src_mean), mirrored)


@dataclass(frozen=True)
class HandTemplate:
    centers: dict      # slot -> complex position in the hand frame
    spreads: dict      # slot -> RMS distance of the training centres from the mean position
    sizes: dict        # slot -> (width, height) of the box in hand-frame units (upright hand)
    source: str = ""

    def center_array(self, slots):
        return np.array([self.centers[s] for s in slots], complex)

    def to_dict(self):
        return {
            "source": self.source,
            "slots": [
                {"label": c, "digit": d, "center": [self.centers[(c, d)].real, self.centers[(c, d)].imag],
                 "spread": self.spreads[(c, d)], "size": list(self.sizes[(c, d)])}
                for c, d in SLOTS
            ],
        }

    @classmethod
    def from_dict(cls, data):
        centers, spreads, sizes = {}, {}, {}
        for slot in data["slots"]:
            key = (slot["label"], slot["digit"])
            centers[key] = complex(*slot["center"])
            spreads[key] = float(slot["spread"])
            sizes[key] = tuple(float(v) for v in slot["size"])
        return cls(centers, spreads, sizes, data.get("source", ""))


def upright_left_hand_slots(ann):
    """Slot -> Box for a complete, upright left hand (digits by left-right order in each row).

    Only for learning from curated images: a rotated or right hand gets wrong digits here.
    """
    by_slot = {}
    for label, count in EXPECTED_COUNTS.items():
        boxes = [b for b in ann.boxes if b.label == label]
        if len(boxes) != count:
            raise IncompleteHandError(
                f"{ann.file}: {len(boxes)} {label} boxes where a complete hand has {count}; "
                "learning the hand template needs complete hands."
            )
        if label in DIGITS_OF_CLASS:
            # Thumb on the image's right: the rightmost box of a row is the lowest digit.
            boxes.sort(key=lambda b: -b.center[0])
            for box, digit in zip(boxes, DIGITS_OF_CLASS[label]):
                by_slot[(label, digit)] = box
        else:
            by_slot[(label, None)] = boxes[0]
    return by_slot


def _normalised(z):
    z = z - z.mean()
    return z / np.sqrt(np.mean(np.abs(z) ** 2))


def learn_template(images, iterations=20, source=""):
    """Generalised Procrustes analysis of complete upright left hands -> HandTemplate."""
    hands = [upright_left_hand_slots(ann) for ann in images]
    if len(hands) < 2:
        raise IncompleteHandError("learning a hand template needs at least two annotated hands")
    points = [np.array([complex(*h[s].center) for s in SLOTS]) for h in hands]
    reference = _normalised(points[0])
    for _ in range(iterations):
        aligned = [fit_similarity(z, reference).apply(z) for z in points]
        reference = _normalised(np.mean(aligned, axis=0))
    # Turn the frame so that the training images are upright on average.
    mean_turn = np.mean([cmath.phase(fit_similarity(z, reference).a) for z in points])
    reference = reference * cmath.exp(-1j * mean_turn)
    fits = [fit_similarity(z, reference) for z in points]
    aligned = np.array([f.apply(z) for f, z in zip(fits, points)])
    spreads = np.sqrt(np.mean(np.abs(aligned - reference) ** 2, axis=0))
    sizes = {}
    for i, slot in enumerate(SLOTS):
        w = [h[slot].width * f.scale for h, f in zip(hands, fits)]
        hgt = [h[slot].height * f.scale for h, f in zip(hands, fits)]
        sizes[slot] = (float(np.mean(w)), float(np.mean(hgt)))
    centers = {s: complex(reference[i]) for i, s in enumerate(SLOTS)}
    return HandTemplate(centers, {s: float(spreads[i]) for i, s in enumerate(SLOTS)}, sizes, source)


_DEFAULT = None


def default_template():
    """The template shipped with the package (learned from the annotated RSNA radiographs)."""
    global _DEFAULT
    if _DEFAULT is None:
        from .hand_template_data import TEMPLATE
        _DEFAULT = HandTemplate.from_dict(TEMPLATE)
    return _DEFAULT
