"""The second look at a right hand's missing or doubtful areas: which hands get one, where its windows
lie and how what it finds comes back (no network: the image's pixels encode their own position, so
the stand-in for the detector knows which window it was shown; the model's part is in
test_orientation.py)."""
from dataclasses import replace

import numpy as np
import pytest

from OssificationDetectorLib.annotations.voc import read_voc
from OssificationDetectorLib.core.box_transforms import flipped_and_turned
from OssificationDetectorLib.detection.anatomy import analyse_hand
from OssificationDetectorLib.detection.orientation import UPRIGHT
from OssificationDetectorLib.detection.orientation_search import Candidate, wants_a_look
from OssificationDetectorLib.detection.second_look import looked
from OssificationDetectorLib.detection.turned_view import TurnedView

WIDTH = HEIGHT = 1000
# Each pixel holds x + WIDTH * y of its top-left corner (exact in float32 at this size).
PIXELS = (np.arange(WIDTH, dtype=np.float32)[None, :] + WIDTH * np.arange(HEIGHT, dtype=np.float32)[:, None])


@pytest.fixture
def right_hand(sample_voc_dir):
    """6470's annotated boxes, sure of themselves, centred on the canvas and mirrored: a right hand."""
    annotation = read_voc(sample_voc_dir / "6470.xml")
    dx, dy = (WIDTH - annotation.width) / 2, (HEIGHT - annotation.height) / 2
    moved = [replace(b, x1=b.x1 + dx, x2=b.x2 + dx, y1=b.y1 + dy, y2=b.y2 + dy, score=0.99) for b in annotation.boxes]
    return analyse_hand(flipped_and_turned(moved, WIDTH, HEIGHT, mirror=True), WIDTH, HEIGHT).boxes


def detector_showing(truth, shown):
    """A stand-in for the detector at the first pass's scale: the true boxes inside each window it is
    shown (flipped windows of PIXELS, one batch of one size), in that window's pixels; each window is
    recorded in `shown`."""
    def detect_one(image):
        height, width = image.shape
        right, top = int(image[0, 0]) % WIDTH + 1, int(image[0, 0]) // WIDTH  # flipped: column 0 is the right edge
        left = right - width
        shown.append((left, top, right, top + height))
        inside = [b for b in truth if left <= b.center[0] <= right and top <= b.center[1] <= top + height]
        return [replace(b, x1=right - b.x2, x2=right - b.x1, y1=b.y1 - top, y2=b.y2 - top, digit=None) for b in inside]

    def detect_windows(images):
        assert len({image.shape for image in images}) == 1  # one batch needs one size
        return [detect_one(image) for image in images]
    return detect_windows


def first_pass(boxes):
    return Candidate(TurnedView(UPRIGHT, WIDTH, HEIGHT), boxes, analyse_hand(boxes, WIDTH, HEIGHT))


def without(boxes, label, digit):
    return [b for b in boxes if (b.label, b.digit) != (label, digit)]


def test_a_right_hand_missing_an_area_gets_a_look_at_it_only(right_hand):
    first = first_pass(without(right_hand, "PIP", 1))
    assert wants_a_look(first)
    shown = []
    completed = looked(PIXELS, first.analysis, detector_showing(right_hand, shown))
    assert completed is not None and completed.side == "right" and len(completed.boxes) == 17
    (left, top, right, bottom), = shown
    assert (right - left) * (bottom - top) < 0.1 * WIDTH * HEIGHT  # a window, not the radiograph
    thumb_ip = next(b for b in right_hand if (b.label, b.digit) == ("PIP", 1))
    found = next(b for b in completed.boxes if (b.label, b.digit) == ("PIP", 1))
    assert np.allclose(found.coords, thumb_ip.coords)


def test_a_doubtful_box_is_replaced_by_the_one_the_look_finds(right_hand):
    true_ulna = next(b for b in right_hand if b.label == "Ulna")
    wrong_ulna = replace(true_ulna, x1=true_ulna.x1 + 40, x2=true_ulna.x2 + 40, score=0.7)
    first = first_pass(without(without(right_hand, "Ulna", None), "DIP", 5) + [wrong_ulna])
    assert wants_a_look(first)
    shown = []
    completed = looked(PIXELS, first.analysis, detector_showing(right_hand, shown))
    assert len(shown) == 2  # the missing DIP V and the doubtful Ulna
    ulna = next(b for b in completed.boxes if b.label == "Ulna")
    assert np.allclose(ulna.coords, true_ulna.coords)


def test_a_look_that_finds_nothing_leaves_the_search_to_go_on(right_hand):
    first = first_pass(without(right_hand, "MCP", 1))
    assert looked(PIXELS, first.analysis, lambda images: [[] for _ in images]) is None


def test_left_hands_complete_hands_and_fragments_get_no_look(right_hand, sample_voc_dir):
    assert not wants_a_look(first_pass(right_hand))  # complete: nothing to look for
    left = analyse_hand(flipped_and_turned(right_hand, WIDTH, HEIGHT, mirror=True), WIDTH, HEIGHT).boxes
    assert not wants_a_look(first_pass(without(left, "PIP", 1)))  # a left hand is settled as it is
    fragment = [b for b in right_hand if b.label in ("MCP", "PIP")]
    assert not wants_a_look(first_pass(fragment))  # too few areas: the whole flipped view is needed
