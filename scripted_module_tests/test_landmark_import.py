"""Importing Digital Hand Atlas landmarks (37 points a hand) as finger-joint boxes, cropped for training.

Landmark files are made here from the average hand, plus checks on ../shared/data/dha-landmarks
when it is there."""
import math

import numpy as np
import pytest
from PIL import Image

from OssificationDetectorLib.annotations.datasets import load_dataset
from OssificationDetectorLib.core.hand_template import default_template
from OssificationDetectorLib.importers.folders import import_dataset, write_training_folder
from OssificationDetectorLib.importers.keypoints import AREA_KEYPOINTS
from OssificationDetectorLib.importers.landmarks import LANDMARK_KEYPOINTS, read_hand_landmarks

from conftest import SHARED
from test_importers import HAND, HEIGHT, WIDTH, flip, template_point

DHA = SHARED / "data" / "dha-landmarks"


def landmark_row(key, hand=HAND, mirror=False, count=37):
    """A CSV row: joints where the average hand has them, the other landmarks at the image's centre."""
    points = [complex(WIDTH / 2, HEIGHT / 2)] * 37
    for area, name in AREA_KEYPOINTS.items():
        point = template_point(area, hand)
        points[LANDMARK_KEYPOINTS[name]] = flip(point) if mirror else point
    return ",".join([key] + [f"{v:.2f}" for p in points[:count] for v in (p.real, p.imag)])


def landmark_folder(folder, rows, images=("1", "2", "3", "4")):
    (folder / "images").mkdir(parents=True)
    for key in images:
        Image.new("L", (WIDTH, HEIGHT), 80).save(folder / "images" / f"{key}.jpg")
    (folder / "landmarks37.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_landmarks_become_the_fourteen_joint_boxes_of_the_average_hand(tmp_path):
    folder = landmark_folder(tmp_path / "dha", [landmark_row("1"), landmark_row("2", mirror=True)])
    result = read_hand_landmarks(folder)
    assert result.skipped == [] and [i.file for i in result.images] == ["images/1.jpg", "images/2.jpg"]
    left, right = result.images
    assert (left.side, right.side) == ("left", "right") and left.source == "dha-landmarks"
    assert set(left.annotated_classes) == {"DIP", "PIP", "MCP"} and not left.complete
    boxes = {(b.label, b.digit): b for b in left.boxes}
    assert len(left.boxes) == 14 and set(boxes) == set(AREA_KEYPOINTS)
    for slot, box in boxes.items():
        assert abs(complex(*box.center) - template_point(slot)) < 0.01  # the CSV holds 2 decimals
    # Each box has the average hand's size for its area, at this hand's scale (200 px a unit).
    template = default_template()
    for slot, box in boxes.items():
        width, height = (200 * v for v in template.sizes[slot])
        assert box.width == pytest.approx(width, rel=1e-3) and box.height == pytest.approx(height, rel=1e-3)


def test_rows_that_cannot_be_converted_are_left_out_with_reasons(tmp_path):
    rng = np.random.default_rng(0)
    scattered = "4," + ",".join(f"{v:.1f}" for v in rng.uniform(0, 600, 74))  # joints of no hand
    folder = landmark_folder(tmp_path / "dha", [
        "id," + ",".join(f"x{i},y{i}" for i in range(37)),     # a header is skipped silently
        landmark_row("1"),
        landmark_row("2", count=30),                             # too few points
        "3," + ",".join(["a"] * 74),                             # text
        landmark_row("9"),                                       # no image
        scattered,
    ])
    result = read_hand_landmarks(folder / "landmarks37.csv")
    assert [i.file for i in result.images] == ["images/1.jpg"]
    reasons = dict(result.skipped)
    assert "74 numbers" in reasons["images/2.jpg"] and "text where numbers" in reasons["images/3.jpg"]
    assert "no image 9.jpg" in reasons["images/9.jpg"] and "one hand" in reasons["images/4.jpg"]
    with pytest.raises(Exception, match="landmarks37.csv"):
        read_hand_landmarks(tmp_path)


def test_import_command_writes_cropped_finger_training_images(tmp_path, capsys):
    from OssificationDetectorLib.cli.main import main

    folder = landmark_folder(tmp_path / "dha", [landmark_row("1"), landmark_row("2", count=3)])
    out = tmp_path / "out"
    assert main(["import", str(folder), "--kind", "dha-landmarks", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 images written as Pascal VOC, 1 left out" in printed and "left out images/2.jpg" in printed
    ann = load_dataset(out).images[0]
    lowest = max(b.y2 for b in read_hand_landmarks(folder).images[0].boxes)
    # Cropped below the MCP row: the radius, ulna and wrist are not annotated.
    assert ann.height == math.ceil(lowest + 0.01 * HEIGHT) < HEIGHT and len(ann.boxes) == 14


def test_digital_hand_atlas_converts_as_left_hands():
    if not (DHA / "landmarks37.csv").is_file():
        pytest.skip(f"{DHA} not found (optional shared data)")
    dataset = import_dataset(DHA, "dha-landmarks")
    assert len(dataset.images) == 129 and dataset.skipped == []
    assert all(i.side == "left" and len(i.boxes) == 14 for i in dataset.images)
    first = dataset.images[0]
    assert dataset.image_path(first).is_file()
    # Joint boxes of a half-resolution adult-size hand: tens of pixels, smaller than the hand's width / 5.
    assert all(10 < b.width < first.width / 5 for b in first.boxes)
