"""Boxes of the six classes from known area centres (joints from keypoints, bones, ...).

Box sizes come from the average hand (hand_template.py): the template is fitted to the known
centres by a similarity transform, and each box gets its area's average size times the fitted
scale. With the centres of the 20 annotated hands, these sizes overlap the annotators' boxes with
an IoU of 0.84 (DIP), 0.85 (PIP) and 0.89 (MCP) on average, 0.55 at worst (scripts/measure_importers.py).
"""
import math
from dataclasses import dataclass

import numpy as np

from ..core.boxes import Box
from ..core.hand_template import default_template, fit_similarity

# Below this turn the template's upright sizes fit best; beyond it a box is the upright box around
# the turned one.
TURN_FOR_TURNED_SIZES = 20.0
# Centres further from the fitted average hand than this (RMS, hand-frame units) are not one hand's:
# the 20 annotated hands and the keypoint and bone sets lie at 0.04-0.22; a bone set whose boxes
# belong to another image lies at 0.34.
MAX_LAYOUT_RESIDUAL = 0.3


class TooFewPointsError(ValueError):
    """Too few known centres to place a hand."""


class LayoutError(ValueError):
    """Centres that do not lie like the areas of one hand."""


@dataclass(frozen=True)
class HandPlacement:
    """Where the average hand lies in one image: template -> image similarity."""

    transform: object
    template: object

    @property
    def distal(self):
        """Unit vector (complex) from the forearm towards the fingertips in the image."""
        # The template's fingers point up (-y); a mirror leaves the vertical as it is.
        up = self.transform.a * -1j
        return up / abs(up)

    def position(self, slot):
        return complex(self.transform.apply(np.array([self.template.centers[slot]]))[0])

    def size(self, slot):
        """(width, height) in image pixels of the box of one area."""
        width, height = (v * self.transform.scale for v in self.template.sizes[slot])
        turn = math.radians(self.transform.angle_degrees)
        if abs(math.degrees(turn)) > TURN_FOR_TURNED_SIZES:
            c, s = abs(math.cos(turn)), abs(math.sin(turn))
            width, height = c * width + s * height, s * width + c * height
        return width, height

    def residual(self, centers):
        """RMS distance of centres {slot: complex} from where the fitted hand puts them, hand-frame units."""
        squares = [abs(self.position(s) - complex(c)) ** 2 for s, c in centers.items()]
        return math.sqrt(sum(squares) / len(squares)) / self.transform.scale

    def check_layout(self, centers, what="the points"):
        residual = self.residual(centers)
        if residual > MAX_LAYOUT_RESIDUAL:
            raise LayoutError(
                f"{what} do not lie like the joints of one hand (fit residual {residual:.2f}, more than "
                f"{MAX_LAYOUT_RESIDUAL}): check that the annotation belongs to this image.")

    def box(self, slot, center=None):
        """The box of an area, at a given centre (complex x + iy) or where the template puts it."""
        center = self.position(slot) if center is None else complex(center)
        width, height = self.size(slot)
        return Box(slot[0], center.real - width / 2, center.imag - height / 2,
                   center.real + width / 2, center.imag + height / 2, digit=slot[1])


def place_hand(centers, weights=None, template=None, mirrored=False):
    """Fit the average hand to known centres {slot: complex}; needs three or more."""
    template = template or default_template()
    slots = list(centers)
    if len(slots) < 3:
        raise TooFewPointsError(f"{len(slots)} known areas: placing a hand needs at least three.")
    source = template.center_array(slots)
    target = np.array([complex(centers[s]) for s in slots])
    w = None if weights is None else [weights.get(s, 1.0) for s in slots]
    # The template is the left hand; a right hand is its mirror image.
    transform = fit_similarity(source, target, w, mirrored)
    return HandPlacement(transform, template)


def best_placement(centers, weights=None, template=None):
    """place_hand as a left or a right hand, whichever fits the centres better."""
    placements = [place_hand(centers, weights, template, mirrored) for mirrored in (False, True)]
    return min(placements, key=lambda placement: placement.residual(centers))
