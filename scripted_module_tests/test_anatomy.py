"""Anatomy after detection on the real VOC boxes of the sample radiographs, flipped and turned."""
from dataclasses import replace

import pytest

from OssificationDetectorLib.detection.anatomy import hand_side, hand_warnings, postprocess, remove_duplicates
from OssificationDetectorLib.core.box_transforms import flipped_and_turned
from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.core.hand_template import (
    IncompleteHandError, Similarity, default_template, fit_similarity, learn_template,
)
from OssificationDetectorLib.core.taxonomy import EXPECTED_COUNTS, expected_area_names
from OssificationDetectorLib.annotations.voc import read_voc


@pytest.fixture
def sample_hands(sample_voc_dir):
    """The samples are upright left hands (checked by eye): digits follow the left-right order."""
    hands = []
    for path in sorted(sample_voc_dir.glob("*.xml")):
        ann = read_voc(path)
        for label in ("DIP", "PIP", "MCP"):
            row = sorted((b for b in ann.boxes if b.label == label), key=lambda b: -b.center[0])
            first = 2 if label == "DIP" else 1
            for digit, box in enumerate(row, start=first):
                box.digit = digit
        hands.append(ann)
    assert len(hands) == 3
    return hands


def moved(boxes, width, height, mirror=False, degrees=0.0, seen_turned=True):
    return flipped_and_turned(boxes, width, height, mirror, degrees, enclose=seen_turned)


def names_by_place(boxes):
    return {(b.label, round(b.x1, 2), round(b.y1, 2)): b.name for b in boxes}


def without_digits(boxes):
    return [replace(b, digit=None) for b in boxes]


def test_upright_samples_get_all_seventeen_names(sample_hands):
    for hand in sample_hands:
        result = postprocess(without_digits(hand.boxes), hand.width, hand.height)
        assert sorted(b.name for b in result) == sorted(expected_area_names())
        assert names_by_place(result) == names_by_place(hand.boxes)
        assert hand_side(hand.boxes) == "left"
        assert hand_warnings(result, hand.width, hand.height) == []


@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("degrees", [-90, -60, -35, -10, 20, 45, 75, 90])
def test_digits_survive_flips_and_turns(sample_hands, mirror, degrees):
    for hand in sample_hands:
        for seen_turned in (False, True):
            truth = moved(hand.boxes, hand.width, hand.height, mirror, degrees, seen_turned)
            result = postprocess(without_digits(truth))
            assert names_by_place(result) == names_by_place(truth), (hand.file, mirror, degrees)
        assert hand_side(truth) == ("right" if mirror else "left")


def test_turn_is_reported(sample_hands):
    hand = sample_hands[0]
    upright = hand_warnings(hand.boxes)
    assert not any("turned" in w for w in upright)
    turned = hand_warnings(moved(hand.boxes, hand.width, hand.height, degrees=70))
    assert any("turned about" in w and " clockwise" in w for w in turned), turned
    back = hand_warnings(moved(hand.boxes, hand.width, hand.height, degrees=-70))
    assert any("counter-clockwise" in w for w in back), back


def test_right_hand_is_flagged(sample_hands):
    hand = sample_hands[1]
    warnings = hand_warnings(moved(hand.boxes, hand.width, hand.height, mirror=True))
    assert any("right hand or a mirrored image" in w for w in warnings), warnings


def shifted(box, fx, fy, score):
    dx, dy = fx * box.width, fy * box.height
    return replace(box, x1=box.x1 + dx, x2=box.x2 + dx, y1=box.y1 + dy, y2=box.y2 + dy, score=score, digit=None)


def test_shifted_copies_are_removed_and_the_better_box_kept(sample_hands):
    hand = sample_hands[0]
    truth = [replace(b, score=0.9) for b in hand.boxes]
    mcps = [b for b in truth if b.label == "MCP"]
    copies = [shifted(mcps[0], 0.0, 0.4, 0.6), shifted(mcps[1], 0.35, 0.0, 0.7), shifted(mcps[2], 0.1, 0.1, 0.5)]
    result = postprocess(without_digits(truth + copies), hand.width, hand.height)
    assert len([b for b in result if b.label == "MCP"]) == 5
    assert names_by_place(result) == names_by_place(truth)
    # When the copy scores higher, it is the one kept, under the same name.
    better = shifted(mcps[0], 0.0, 0.3, 0.99)
    result = postprocess(without_digits(truth + [better]))
    kept = [b for b in result if b.name == mcps[0].name]
    assert len(kept) == 1 and kept[0].score == 0.99


def test_remove_duplicates_keeps_neighbouring_joints(sample_hands):
    for hand in sample_hands:
        assert len(remove_duplicates(hand.boxes)) == 17
        turned = moved(hand.boxes, hand.width, hand.height, degrees=45)
        assert len(remove_duplicates(turned)) == 17


def test_counts_are_capped_and_stray_boxes_left_out(sample_hands):
    hand = sample_hands[2]
    truth = [replace(b, score=0.8) for b in hand.boxes]
    wrist = next(b for b in truth if b.label == "Wrist")
    dip = next(b for b in truth if b.label == "DIP")
    strays = [
        replace(dip, label="MCP", score=0.6),          # a DIP also called MCP: not in the MCP row
        shifted(wrist, 0.0, -1.2, 0.7),                # a second wrist over the metacarpals
        Box("MCP", 1, 1, 20, 20, score=0.5),           # far outside the hand
        Box("Radius", hand.width - 40, 1, hand.width - 1, 40, score=0.95),
    ]
    result = postprocess(without_digits(truth + strays), hand.width, hand.height)
    for label, count in EXPECTED_COUNTS.items():
        assert sum(b.label == label for b in result) == count
    assert names_by_place(result) == names_by_place(truth)
    warnings = hand_warnings(truth + strays, hand.width, hand.height)
    assert "7 MCP boxes where a hand has 5" in warnings
    assert any("did not fit the layout of a hand" in w for w in warnings)


def test_incomplete_hand_warnings(sample_hands):
    hand = sample_hands[0]
    partial = [b for b in hand.boxes if b.name not in ("MCP II", "MCP IV", "Wrist")]
    result = postprocess(without_digits(partial), hand.width, hand.height)
    assert names_by_place(result) == names_by_place(partial)
    warnings = hand_warnings(result, hand.width, hand.height)
    assert "incomplete hand: 3 of 5 MCP found" in warnings
    assert "incomplete hand: 0 of 1 Wrist found" in warnings
    assert "missing: MCP II, MCP IV, Wrist" in warnings
    assert hand_warnings([]) == ["no ossification areas found: is this a hand radiograph?"]


def test_few_boxes_are_kept_without_guessing(sample_hands):
    hand = sample_hands[0]
    two = [b for b in hand.boxes if b.label == "Radius" or b.name == "DIP III"]
    result = postprocess(without_digits(two))
    assert len(result) == 2 and all(b.digit is None for b in result)
    assert hand_side(two) == "unknown"


def test_boxes_outside_the_image_are_dropped(sample_hands):
    hand = sample_hands[0]
    outside = Box("DIP", hand.width + 5, 10, hand.width + 40, 50, score=1.0)
    result = postprocess(hand.boxes + [outside], hand.width, hand.height)
    assert len(result) == 17


def test_similarity_fit_and_inverse():
    points = [complex(0, 0), complex(10, 0), complex(0, 20), complex(7, 3)]
    for mirrored in (False, True):
        truth = Similarity(complex(0.3, 1.2), complex(5, -7), mirrored)
        targets = truth.apply(__import__("numpy").array(points))
        fitted = fit_similarity(points, targets, mirrored=mirrored)
        assert abs(fitted.a - truth.a) < 1e-9 and abs(fitted.t - truth.t) < 1e-9
        back = fitted.inverse().apply(targets)
        assert max(abs(b - p) for b, p in zip(back, points)) < 1e-9
    with pytest.raises(ValueError, match="two distinct points"):
        fit_similarity([1j, 1j], [0, 1])


def test_template_learned_from_the_samples_resembles_the_shipped_one(sample_hands):
    learned = learn_template(sample_hands)
    shipped = default_template()
    for slot, center in shipped.centers.items():
        assert abs(learned.centers[slot] - center) < 0.25, slot
    # Upright left hand: thumb on the right, fingertips up, forearm down.
    assert shipped.centers[("MCP", 1)].real > shipped.centers[("MCP", 5)].real
    assert shipped.centers[("DIP", 3)].imag < shipped.centers[("MCP", 3)].imag < shipped.centers[("Wrist", None)].imag
    incomplete = replace(sample_hands[0], boxes=sample_hands[0].boxes[1:])
    with pytest.raises(IncompleteHandError, match="complete hand"):
        learn_template([incomplete, sample_hands[1]])


def test_flipped_and_turned_boxes():
    box = Box("DIP", 8, 19, 12, 21)  # centre (10, 20) in a 100 x 200 image
    (flipped,) = flipped_and_turned([box], 100, 200, mirror=True)
    assert flipped.center == (90, 20) and (flipped.width, flipped.height) == (4, 2)
    # Clockwise on screen: up-left of the centre goes to up-right; the upright box turns with it.
    (turned,) = flipped_and_turned([box], 100, 200, degrees=90)
    assert turned.center == pytest.approx((130, 60)) and (turned.width, turned.height) == pytest.approx((2, 4))
    (kept,) = flipped_and_turned([box], 100, 200, degrees=45, enclose=False)
    assert (kept.width, kept.height) == pytest.approx((4, 2))
