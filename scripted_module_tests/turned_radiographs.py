"""Radiographs turned by any angle and mirrored, rendered independently of the detector's own views.

Pillow renders the image from an explicit affine map (its AFFINE data: each output point's source
point), on a canvas that holds the whole turned image, as a scanner or a viewer would save it; the
same map, written out forwards, moves annotated points. Used by the tests and by
scripts/measure_orientation.py.
"""
import re

import numpy as np

TURN_TOLERANCE = 30.0  # degrees: a stated turn this far from the true one is a wrong remark


def turned_image(pixels, degrees, mirrored=False):
    """(image, point map): 2D pixels flipped left-right (when mirrored), then turned clockwise by degrees;
    the map takes (x, y) of the input (pixel edges, y down) to the turned image."""
    from PIL import Image

    height, width = pixels.shape
    image = np.fliplr(pixels) if mirrored else pixels
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    out_w = int(np.ceil(abs(c) * width + abs(s) * height - 1e-6))
    out_h = int(np.ceil(abs(s) * width + abs(c) * height - 1e-6))

    def forward(x, y):
        x = width - x if mirrored else x
        dx, dy = x - width / 2, y - height / 2
        return out_w / 2 + c * dx - s * dy, out_h / 2 + s * dx + c * dy  # clockwise with y down

    # The inverse turn, from each output point to its source point.
    a, b, d, e = c, s, -s, c
    cx, cy = width / 2 - a * out_w / 2 - b * out_h / 2, height / 2 - d * out_w / 2 - e * out_h / 2
    rendered = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32), mode="F").transform(
        (out_w, out_h), Image.Transform.AFFINE, (a, b, cx, d, e, cy), resample=Image.Resampling.BILINEAR)
    return np.asarray(rendered, dtype=np.float32), forward


def stated_turn(warnings):
    """The clockwise turn the warnings state (summed), or None when none is stated."""
    total, stated = 0.0, False
    for warning in warnings:
        if "upside down" in warning:
            total, stated = total + 180.0, True
            continue
        for number, direction in re.findall(r"turned (?:about )?(\d+) degrees (counter-clockwise|clockwise)", warning):
            total += float(number) if direction == "clockwise" else -float(number)
            stated = True
    return total if stated else None


def angle_gap(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def warnings_right(warnings, degrees, mirrored, own_turn=0.0):
    """A mirror remark exactly for mirrored hands, a turn remark (if any) near the true turn, and one
    whenever the true turn is beyond the tolerance. own_turn: the upright hand's own slant."""
    said_mirrored = any("right hand" in w for w in warnings)
    truth = degrees + (-own_turn if mirrored else own_turn)
    stated = stated_turn(warnings)
    if stated is None:
        return said_mirrored == mirrored and angle_gap(truth, 0.0) <= TURN_TOLERANCE
    return said_mirrored == mirrored and angle_gap(stated, truth) <= TURN_TOLERANCE


def named_right(found, expected, radius):
    """How many expected areas ({(label, digit): centre}) have a found box of that name within radius."""
    by_name = {(b.label, b.digit): b for b in found}
    return sum(name in by_name and np.hypot(*np.subtract(by_name[name].center, centre)) <= radius
               for name, centre in expected.items())
