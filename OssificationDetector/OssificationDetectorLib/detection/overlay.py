"""Overlay pictures: a radiograph with its boxes drawn in the class colours, named and scored."""
import io

import numpy as np

from ..core.taxonomy import CLASS_COLORS


def _font(size):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow < 10.1 or without FreeType
        return ImageFont.load_default()


def overlay_image(radiograph, boxes):
    """A PIL RGB image of the radiograph (normalised gray) with each box, its name and score."""
    from PIL import Image, ImageDraw

    from ..io.images import normalized

    gray = np.rint(normalized(radiograph) * 255).astype(np.uint8)
    image = Image.fromarray(gray).convert("RGB")
    draw = ImageDraw.Draw(image)
    height = gray.shape[0]
    line = max(1, round(height / 400))
    font = _font(max(10, round(height / 60)))
    for box in boxes:
        colour = tuple(round(255 * c) for c in CLASS_COLORS[box.label])
        draw.rectangle([box.x1, box.y1, box.x2, box.y2], outline=colour, width=line)
        text = box.name if box.score is None else f"{box.name} {box.score:.2f}"
        left, top, right, bottom = draw.textbbox((box.x1, box.y1), text, font=font, anchor="lb")
        draw.rectangle([left - 1, top - 1, right + 1, bottom + 1], fill=(0, 0, 0))
        draw.text((box.x1, box.y1), text, fill=colour, font=font, anchor="lb")
    return image


# A PNG text chunk marks overlays, so that a later run replaces its own overlays and never a radiograph.
MARK_KEY, MARK_VALUE = "Software", "OssificationDetector overlay"


def is_overlay_file(path):
    """True for a PNG this module wrote (safe to replace with a new overlay)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.format == "PNG" and image.info.get(MARK_KEY) == MARK_VALUE
    except (OSError, ValueError):
        return False


def write_overlay(radiograph, boxes, path):
    """Write the overlay PNG atomically; returns its path."""
    from PIL import PngImagePlugin

    from ..core.atomic import atomic_write_bytes

    mark = PngImagePlugin.PngInfo()
    mark.add_text(MARK_KEY, MARK_VALUE)
    buffer = io.BytesIO()
    overlay_image(radiograph, boxes).save(buffer, format="PNG", pnginfo=mark)
    return atomic_write_bytes(path, buffer.getvalue())
