"""Boxes of an image flipped left-right and turned about its centre (checks and augmentation)."""
import math
from dataclasses import replace


def flipped_and_turned(boxes, width, height, mirror=False, degrees=0.0, enclose=True):
    """The boxes after flipping the image left-right (first) and turning it clockwise by degrees.

    The image keeps its size and centre. enclose: each box becomes the upright box around the turned
    one (as an annotator would draw it on the turned image); else it keeps its width and height.
    """
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    result = []
    for box in boxes:
        x, y = box.center
        x = width - x if mirror else x
        dx, dy = x - width / 2, y - height / 2
        # Clockwise on screen, where y points down.
        nx, ny = width / 2 + c * dx - s * dy, height / 2 + s * dx + c * dy
        w, h = box.width, box.height
        if enclose:
            w, h = abs(c) * box.width + abs(s) * box.height, abs(s) * box.width + abs(c) * box.height
        result.append(replace(box, x1=nx - w / 2, y1=ny - h / 2, x2=nx + w / 2, y2=ny + h / 2))
    return result
