"""Views turned back by any angle: exact point maps both ways, pixels that agree with them (checked
against an independent rendering by Pillow), the sizes of boxes brought back, and how turns compose."""
import random

import numpy as np
import pytest

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.detection.orientation import (
    ALL_ORIENTATIONS, Orientation, box_from_view, composed,
)
from OssificationDetectorLib.detection.turned_view import TurnedView, view_around
from turned_radiographs import turned_image

TURNS = [(m, t) for m in (False, True) for t in (-170.0, -100.0, -44.0, -20.0, 13.0, 30.0, 45.0, 61.0, 135.0, 200.0)]


@pytest.mark.parametrize("mirrored,degrees", TURNS)
def test_points_go_to_the_view_and_back_exactly(mirrored, degrees):
    rng = random.Random(int(degrees))
    view = view_around(Orientation.from_turn(mirrored, degrees), 300, 200, [(40, 30), (250, 180)])
    for _ in range(20):
        x, y = rng.uniform(0, 300), rng.uniform(0, 200)
        assert view.point_from_view(*view.point_to_view(x, y)) == pytest.approx((x, y), abs=1e-9)


@pytest.mark.parametrize("mirrored,degrees", TURNS)
def test_the_view_undoes_the_turn_of_an_independently_turned_image(mirrored, degrees):
    """A radiograph turned (and flipped) by Pillow, then viewed back: points keep their distances and
    directions as in the upright image, and the pixels under them are the upright image's."""
    rng = np.random.default_rng(7)
    upright = np.zeros((90, 70), np.float32)
    points = [(15.5, 20.5), (52.5, 24.5), (30.5, 70.5)]
    for x, y in points:
        upright[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3] = rng.uniform(0.5, 1.0)
    image, forward = turned_image(upright, degrees, mirrored)
    moved = [forward(x, y) for x, y in points]
    view = view_around(Orientation.from_turn(mirrored, degrees), image.shape[1], image.shape[0], moved)
    in_view = np.array([view.point_to_view(x, y) for x, y in moved])
    assert in_view - in_view[0] == pytest.approx(np.array(points) - points[0], abs=1e-6)
    pixels = view.pixels(image)
    assert pixels.shape == (view.size[1], view.size[0]) and pixels.dtype == np.float32
    for (x, y), (vx, vy) in zip(points, in_view):
        assert pixels[int(vy), int(vx)] == pytest.approx(upright[int(y), int(x)], abs=0.03)


@pytest.mark.parametrize("orientation", ALL_ORIENTATIONS)
def test_a_quarter_turn_view_is_the_exact_view(orientation):
    view = TurnedView(orientation, 7, 5)
    pixels = np.arange(35, dtype=np.float32).reshape(5, 7)
    assert view.pixels(pixels).shape == (view.size[1], view.size[0])
    box = Box("DIP", 1, 2, 3, 4, score=0.9, digit=2)
    assert view.box_from_view(box) == box_from_view(box, 7, 5, orientation)


def test_a_box_comes_back_as_the_box_around_its_turned_ellipse():
    view = TurnedView(Orientation.from_turn(False, 30.0), 400, 300)
    centre = view.point_to_view(200.0, 150.0)
    round_joint = Box("PIP", centre[0] - 10, centre[1] - 10, centre[0] + 10, centre[1] + 10, score=0.8, digit=3)
    back = view.box_from_view(round_joint)
    assert back.center == pytest.approx((200.0, 150.0))
    assert (back.width, back.height) == pytest.approx((20.0, 20.0))  # a circle looks alike at any turn
    long_joint = Box("MCP", centre[0] - 20, centre[1] - 10, centre[0] + 20, centre[1] + 10)
    back = view.box_from_view(long_joint)
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    assert (back.width, back.height) == pytest.approx((2 * np.hypot(20 * c, 10 * s), 2 * np.hypot(20 * s, 10 * c)))
    assert (back.label, back.score, back.digit) == ("MCP", None, None)


def test_a_box_outside_the_image_comes_back_as_none():
    view = view_around(Orientation.from_turn(False, 45.0), 100, 100)
    assert view.box_from_view(Box("DIP", 0, 0, 3, 3)) is None  # the corner of the canvas: no image there


def test_turns_compose_with_flips():
    mirrored_then = composed(Orientation.from_turn(True, 30.0), Orientation.from_turn(False, 20.0))
    assert mirrored_then.mirrored and mirrored_then.turn_degrees == pytest.approx(10.0)
    plain_then = composed(Orientation.from_turn(False, 30.0), Orientation.from_turn(True, 20.0))
    assert plain_then.mirrored and plain_then.turn_degrees == pytest.approx(50.0)
    assert composed(Orientation(1), Orientation(2)) == Orientation(3)


def test_from_turn_and_descriptions():
    assert Orientation.from_turn(False, 100.0) == Orientation(1, False, pytest.approx(10.0))
    assert Orientation.from_turn(False, -135.0).turn_degrees == pytest.approx(-135.0)
    assert Orientation.from_turn(False, 20.0).is_upright and Orientation.from_turn(False, 20.0).describe() == []
    assert Orientation.from_turn(False, 8.0).snapped() == Orientation()
    assert Orientation.from_turn(False, 40.0).describe() == ["the hand is turned about 40 degrees clockwise"]
    assert "counter-clockwise" in Orientation.from_turn(False, -127.0).describe()[0]
    assert "180 degrees (upside down)" in Orientation.from_turn(False, 190.0).describe()[0]
    mirrored = Orientation.from_turn(True, 5.0)
    assert not mirrored.is_upright and len(mirrored.describe()) == 1 and "right hand" in mirrored.describe()[0]
