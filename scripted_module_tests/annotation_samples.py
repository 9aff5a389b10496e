"""Annotations for the format and dataset tests: awkward synthetic boxes, blank images to go with them and a
comparison within a tolerance (YOLO_TOLERANCE_PX: why YOLO is not exact, see test_formats.py).
"""
import random

from OssificationDetectorLib.core.boxes import AnnotatedImage, Box
from OssificationDetectorLib.core.taxonomy import CLASSES

YOLO_TOLERANCE_PX = 1e-9


def synthetic_images(seed=7, count=3):
    """Images with awkward float boxes: many digits, thirds, tiny and edge boxes, scores and digits."""
    rng = random.Random(seed)
    images = []
    for i in range(count):
        width, height = rng.randint(300, 1200), rng.randint(300, 1600)
        boxes = [Box("DIP", 0.1, 1 / 3, 0.3 + 1e-7, 2 / 3, score=0.987654321012345, digit=3)]
        for label in CLASSES:
            x1, y1 = rng.uniform(0, width - 50), rng.uniform(0, height - 50)
            boxes.append(Box(label, x1, y1, x1 + rng.uniform(0.01, 49), y1 + rng.uniform(0.01, 49),
                             score=rng.random() if rng.random() < 0.5 else None))
        boxes.append(Box("Wrist", width - 10.125, height - 20.5, float(width), float(height)))
        boxes.append(Box("MCP", 43.6, 10, 125.3, 50.5))  # 43.6 + (125.3 - 43.6) != 125.3 in floats
        images.append(AnnotatedImage(f"synthetic_{i}.png", width, height, boxes))
    return images


def write_blank_pngs(images, folder):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for ann in images:
        Image.new("L", (ann.width, ann.height), 0).save(folder / ann.file)


def assert_same_within(got, expected, tolerance, keep_digits=True):
    assert [g.file for g in got] == [e.file for e in expected]
    for g, e in zip(got, expected):
        assert (g.width, g.height) == (e.width, e.height)
        assert [b.label for b in g.boxes] == [b.label for b in e.boxes]
        assert [b.score for b in g.boxes] == [b.score for b in e.boxes]
        if keep_digits:
            assert [b.digit for b in g.boxes] == [b.digit for b in e.boxes]
        for gb, eb in zip(g.boxes, e.boxes):
            assert max(abs(a - b) for a, b in zip(gb.coords, eb.coords)) <= tolerance


def by_name(images):
    return sorted(images, key=lambda a: a.file)
