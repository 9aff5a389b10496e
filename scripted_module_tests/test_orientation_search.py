"""Which view the orientation search runs next, read by anatomy from real annotated boxes of a sample
hand moved as a turned or mirrored radiograph would show them (no network: the model's part is in
test_orientation.py)."""
from dataclasses import replace

import pytest

from OssificationDetectorLib.annotations.voc import read_voc
from OssificationDetectorLib.core.box_transforms import flipped_and_turned
from OssificationDetectorLib.detection.anatomy import analyse_hand
from OssificationDetectorLib.detection.orientation import UPRIGHT, Orientation
from OssificationDetectorLib.detection.orientation_search import Candidate, hand_orientation, next_view, settled
from OssificationDetectorLib.detection.turned_view import TurnedView

WIDTH = HEIGHT = 1000  # a square canvas: the sample hand stays inside at any turn


@pytest.fixture
def hand(sample_voc_dir):
    """6470's annotated boxes, scored, moved to the middle of a square canvas."""
    annotation = read_voc(sample_voc_dir / "6470.xml")
    dx, dy = (WIDTH - annotation.width) / 2, (HEIGHT - annotation.height) / 2
    return [replace(b, x1=b.x1 + dx, x2=b.x2 + dx, y1=b.y1 + dy, y2=b.y2 + dy, score=0.9) for b in annotation.boxes]


def first_pass(boxes):
    return Candidate(TurnedView(UPRIGHT, WIDTH, HEIGHT), boxes, analyse_hand(boxes, WIDTH, HEIGHT))


def turn_gap(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def test_an_upright_left_hand_is_settled(hand):
    candidate = first_pass(hand)
    assert settled(candidate)
    assert hand_orientation(candidate).is_upright


@pytest.mark.parametrize("mirrored", [False, True])
@pytest.mark.parametrize("degrees", [60, 90, 135, 180, 250])
def test_a_turned_hand_points_to_the_view_that_turns_it_back(hand, mirrored, degrees):
    candidate = first_pass(flipped_and_turned(hand, WIDTH, HEIGHT, mirrored, degrees))
    assert not settled(candidate)
    lies = hand_orientation(candidate)
    own = hand_orientation(first_pass(hand)).turn_degrees  # the sample hand's own slant
    assert lies.mirrored == mirrored
    assert turn_gap(lies.turn_degrees, degrees + (-own if mirrored else own)) < 5
    view = next_view([candidate], WIDTH, HEIGHT)
    assert view.orientation.mirrored == mirrored
    assert turn_gap(view.orientation.turn_degrees, lies.turn_degrees) < 10
    # Its window holds every area of the hand.
    width, height = view.size
    for box in candidate.boxes:
        x, y = view.point_to_view(*box.center)
        assert 0 < x < width and 0 < y < height


def test_a_mirrored_view_of_a_left_hand_is_read_as_a_left_hand(hand):
    """Left or right is the chirality of the layout in the view, composed with the view's flip."""
    flipped_view = TurnedView(Orientation(0, True), WIDTH, HEIGHT)
    in_view = flipped_and_turned(hand, WIDTH, HEIGHT, mirror=True)
    candidate = Candidate(flipped_view, in_view, analyse_hand(in_view, WIDTH, HEIGHT))
    assert candidate.analysis.side == "right"
    assert not hand_orientation(candidate).mirrored


def test_an_incomplete_hand_near_upright_is_not_turned_but_one_turned_further_is(hand):
    few = [b for b in hand if b.label in ("DIP", "PIP", "Radius")]  # incomplete, readable
    candidate = first_pass(few)  # the sample's own slant: about 10 degrees
    assert not settled(candidate)
    # Not turned; flipped once: a right hand turned about 30 degrees can read as a left one upright.
    flipped = next_view([candidate], WIDTH, HEIGHT)
    assert flipped.orientation == Orientation(0, True)
    assert next_view([candidate, Candidate(flipped, [], None)], WIDTH, HEIGHT) is None
    turned = first_pass(flipped_and_turned(few, WIDTH, HEIGHT, degrees=25))
    assert turn_gap(next_view([turned], WIDTH, HEIGHT).orientation.turn_degrees, 35) < 5


def test_a_reading_whose_view_found_less_leads_to_the_quarter_turns(hand):
    """A misread first pass (its view found nothing) does not end the search."""
    candidate = first_pass(flipped_and_turned(hand, WIDTH, HEIGHT, degrees=60))
    view = next_view([candidate], WIDTH, HEIGHT)
    tried = [candidate, Candidate(view, [], None)]
    assert next_view(tried, WIDTH, HEIGHT).orientation.quarter_turns in (1, 2, 3)
    tried += [Candidate(TurnedView(Orientation(turns), WIDTH, HEIGHT), [], None) for turns in (1, 2, 3)]
    assert next_view(tried, WIDTH, HEIGHT) is None


def test_without_a_reading_or_finger_joints_the_quarter_turns_are_tried(hand):
    forearm = [b for b in hand if b.label in ("Radius", "Ulna")]
    candidate = first_pass(forearm)
    assert next_view([candidate], WIDTH, HEIGHT).orientation == Orientation(2)
    tried = [candidate, Candidate(TurnedView(Orientation(2), WIDTH, HEIGHT), [], None)]
    assert next_view(tried, WIDTH, HEIGHT).orientation == Orientation(1)


def test_a_landscape_radiograph_without_a_reading_tries_the_quarter_turns_first(hand):
    """A hand radiograph is portrait: one saved landscape was most likely turned a quarter turn."""
    width, height = 1200, 900
    forearm = [b for b in hand if b.label in ("Radius", "Ulna")]
    candidate = Candidate(TurnedView(UPRIGHT, width, height), forearm, analyse_hand(forearm, width, height))
    assert next_view([candidate], width, height).orientation == Orientation(1)
    tried = [candidate, Candidate(TurnedView(Orientation(1), width, height), [], None)]
    assert next_view(tried, width, height).orientation == Orientation(3)


@pytest.mark.parametrize("degrees,first_turn", [(90, 1), (-90, 3), (180, 2)])
def test_the_few_finger_joints_of_a_turned_hand_say_which_quarter_turn_comes_first(hand, degrees, first_turn):
    """A sideways hand's first pass finds a few joints, and they lie toward its fingertips."""
    few = [b for b in flipped_and_turned(hand, WIDTH, HEIGHT, degrees=degrees) if b.label == "PIP"][:3]
    candidate = Candidate(TurnedView(UPRIGHT, WIDTH, HEIGHT), few, None)  # too few to read
    assert next_view([candidate], WIDTH, HEIGHT).orientation == Orientation(first_turn)


def test_a_few_areas_read_as_upright_do_not_end_the_search(hand):
    """Four stray areas of a quarter-turned hand can fit an upright hand: fewer than half a hand does
    not say there is nothing to turn, nine or more does."""
    few = [b for b in hand if b.label == "MCP"][:4]
    candidate = first_pass(few)
    assert candidate.analysis.side != "right" and abs(candidate.analysis.rotation_degrees) < 20
    assert next_view([candidate], WIDTH, HEIGHT) is not None
    nine = first_pass([b for b in hand if b.label in ("PIP", "MCP")][:9])
    flipped = next_view([nine], WIDTH, HEIGHT)
    assert flipped.orientation == Orientation(0, True)  # no quarter turn: the other side only
    assert next_view([nine, Candidate(flipped, [], None)], WIDTH, HEIGHT) is None
