"""Draw the module/extension icon (128x128) and the Sample Data thumbnail of the sample radiograph.

    .venv/bin/python scripts/draw_icons.py

The icon is a stylised left hand with boxes in the class colours over its joints; the thumbnail
is the sample radiograph itself, scaled to the size Slicer's Sample Data module shows.
"""
from pathlib import Path

from PIL import Image, ImageDraw

from OssificationDetectorLib.core.taxonomy import CLASS_COLORS

REPO = Path(__file__).resolve().parents[1]
ICONS = REPO / "OssificationDetector" / "Resources" / "Icons"
SAMPLE = REPO / "Testing" / "Data" / "radiographs" / "6470.png"
SCALE = 4  # drawn at 4x and scaled down, for smooth edges
SIZE = 128


def rgb(label):
    return tuple(int(round(255 * c)) for c in CLASS_COLORS[label])


def s(*values):
    return [v * SCALE for v in values]


def draw_icon(path):
    image = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(s(2, 2, 126, 126), radius=22 * SCALE, fill=(28, 40, 66, 255))
    bone = (226, 230, 236, 255)
    # Forearm, palm, then the fingers of a left hand seen palm down (thumb on the right).
    draw.rounded_rectangle(s(44, 96, 84, 127), radius=6 * SCALE, fill=bone)
    draw.rounded_rectangle(s(36, 58, 90, 102), radius=14 * SCALE, fill=bone)
    fingers = [(38, 22, 48, 66), (51, 12, 61, 64), (64, 14, 74, 64), (77, 24, 86, 66)]  # V, IV, III, II
    for x1, y1, x2, y2 in fingers:
        draw.rounded_rectangle(s(x1, y1, x2, y2), radius=5 * SCALE, fill=bone)
    draw.polygon(s(86, 70, 98, 52, 108, 46, 112, 52, 100, 72, 90, 86), fill=bone)  # thumb
    width = 3 * SCALE
    for x1, _, x2, _ in fingers:  # DIP, PIP and MCP of each long finger
        for label, y in (("DIP", 28), ("PIP", 42), ("MCP", 62)):
            top = y + (6 if x1 in (38, 77) else 0)
            draw.rectangle(s(x1 - 2, top - 4, x2 + 2, top + 4), outline=rgb(label), width=width)
    draw.rectangle(s(92, 56, 104, 66), outline=rgb("PIP"), width=width)  # thumb IP
    draw.rectangle(s(46, 88, 80, 100), outline=rgb("Wrist"), width=width)
    draw.rectangle(s(64, 104, 82, 116), outline=rgb("Radius"), width=width)
    draw.rectangle(s(46, 104, 60, 116), outline=rgb("Ulna"), width=width)
    image.resize((SIZE, SIZE), Image.LANCZOS).save(path)


def draw_thumbnail(path, size=(260, 280)):
    with Image.open(SAMPLE) as radiograph:
        picture = radiograph.convert("L")
    picture.thumbnail(size, Image.LANCZOS)
    canvas = Image.new("L", size, 0)
    canvas.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    canvas.save(path)


if __name__ == "__main__":
    ICONS.mkdir(parents=True, exist_ok=True)
    draw_icon(ICONS / "OssificationDetector.png")
    draw_thumbnail(ICONS / "HandRadiograph6470.png")
    print("written to", ICONS)
