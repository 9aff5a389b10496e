"""Importing hand keypoints and bone boxes as boxes of the six classes, and writing them for training.

Inputs are made here from the average hand (no third-party annotation files), plus larger checks
on the RSNA sets in ../shared when they are there.
"""
import json
import math
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from OssificationDetectorLib.importers.folders import (
    crop_window, import_annotations, import_dataset, write_training_folder,
)
from OssificationDetectorLib.importers.bones import (
    JOINT_BONES, Bone, bones_by_digit, boxes_from_bones, joint_position, read_bone_folder,
)
from OssificationDetectorLib.annotations.datasets import load_dataset
from OssificationDetectorLib.core.hand_template import Similarity, default_template
from OssificationDetectorLib.importers.imported import AnnotationImportError
from OssificationDetectorLib.importers.keypoints import AREA_KEYPOINTS, KEYPOINT_NAMES, read_hand_keypoints
from OssificationDetectorLib.core.taxonomy import CLASSES

WIDTH, HEIGHT = 600, 800
# An average left hand, 200 px a hand-frame unit, turned 8 degrees, in a 600 x 800 image.
HAND = Similarity(200 * complex(math.cos(math.radians(8)), math.sin(math.radians(8))), complex(300, 380))


def template_point(slot, hand=HAND):
    return complex(hand.apply(np.array([default_template().centers[slot]]))[0])


def flip(z, width=WIDTH):
    return complex(width - z.real, z.imag)


def hand_keypoints(hand=HAND, mirror=False):
    """{name: point}: joints where the average hand has them; the other points somewhere plausible."""
    points = {name: template_point(area, hand) for area, name in AREA_KEYPOINTS.items()}
    points["wrist"] = template_point(("Radius", None), hand)
    points["thumb1"] = (points["thumb2"] + points["wrist"]) / 2
    for finger in ("thumb", "forefinger", "middle_finger", "ring_finger", "pinky_finger"):
        last, before = (points[f"{finger}3"], points[f"{finger}2"])
        points[f"{finger}4"] = last + 0.6 * (last - before)
    return {k: flip(v) if mirror else v for k, v in points.items()}


def coco_keypoints_file(path, hands_per_image, names=KEYPOINT_NAMES):
    images, annotations = [], []
    for index, hands in enumerate(hands_per_image):
        images.append({"id": index + 1, "file_name": f"{index + 1}.png", "width": WIDTH, "height": HEIGHT})
        for hand in hands:
            flat = []
            for name in names:
                point = hand.get(name)
                flat += [point.real, point.imag, 2] if point is not None else [0, 0, 0]
            annotations.append({"id": len(annotations) + 1, "image_id": index + 1, "category_id": 1,
                                "keypoints": flat, "num_keypoints": len(hand)})
    path.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": [{"id": 1, "name": "hand", "keypoints": list(names)}]}))
    return path


def by_name(boxes):
    return {b.name: b for b in boxes}


def test_keypoints_become_joint_boxes_of_the_average_size(tmp_path):
    points = hand_keypoints()
    path = coco_keypoints_file(tmp_path / "k.json", [[points], [hand_keypoints(mirror=True)]])
    result = read_hand_keypoints(path)
    assert result.skipped == [] and len(result.images) == 2
    left, right = result.images
    assert left.annotated_classes == ("DIP", "PIP", "MCP") and not left.complete
    assert (left.side, right.side) == ("left", "right")
    assert len(left.boxes) == 14
    template = default_template()
    for area, name in AREA_KEYPOINTS.items():
        box = by_name(left.boxes)[f"{area[0]} {['', 'I', 'II', 'III', 'IV', 'V'][area[1]]}"]
        assert abs(complex(*box.center) - points[name]) < 1e-6
        assert box.width == pytest.approx(template.sizes[area][0] * 200, rel=1e-6)
        assert box.height == pytest.approx(template.sizes[area][1] * 200, rel=1e-6)
    # The mirror image of the hand gives the mirror image of every box, under the same name.
    for name, box in by_name(left.boxes).items():
        mirrored = by_name(right.boxes)[name]
        assert mirrored.x1 == pytest.approx(WIDTH - box.x2) and mirrored.y1 == pytest.approx(box.y1)


def test_keypoint_gaps_aliases_and_bad_records(tmp_path):
    missing_one = {k: v for k, v in hand_keypoints().items() if k != "ring_finger3"}
    aliases = [n.replace("forefinger", "index_finger").replace("pinky_finger", "little") for n in KEYPOINT_NAMES]
    renamed = {a: p for a, p in zip(aliases, (hand_keypoints()[n] for n in KEYPOINT_NAMES))}
    too_few = {k: hand_keypoints()[k] for k in ("wrist", "thumb2", "forefinger1")}
    two_hands = [hand_keypoints(), hand_keypoints()]
    path = coco_keypoints_file(tmp_path / "k.json", [[missing_one], two_hands, [], [too_few]])
    result = read_hand_keypoints(path)
    assert [i.file for i in result.images] == ["1.png"]
    assert result.images[0].annotated_classes == ("PIP", "MCP") and len(result.images[0].boxes) == 13
    reasons = dict(result.skipped)
    assert "2 labelled hands" in reasons["2.png"] and "0 labelled hands" in reasons["3.png"]
    assert "2 labelled joints" in reasons["4.png"]
    aliased = read_hand_keypoints(coco_keypoints_file(tmp_path / "a.json", [[renamed]], aliases))
    assert len(aliased.images[0].boxes) == 14
    scrambled = dict(hand_keypoints())
    scrambled["thumb2"], scrambled["pinky_finger3"] = scrambled["pinky_finger3"], scrambled["thumb2"]
    bad_layout = read_hand_keypoints(coco_keypoints_file(tmp_path / "s.json", [[scrambled]]))
    assert "do not lie like the joints of one hand" in dict(bad_layout.skipped)["1.png"]
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(AnnotationImportError, match="not a readable JSON"):
        read_hand_keypoints(tmp_path / "bad.json")
    (tmp_path / "plain.json").write_text(json.dumps({"images": [], "annotations": [], "categories": [{"id": 1}]}))
    with pytest.raises(AnnotationImportError, match="not a COCO keypoints file"):
        read_hand_keypoints(tmp_path / "plain.json")


def synthetic_bones(hand=HAND, mirror=False):
    """Bone boxes around a hand whose joints lie where the average hand has them.

    Each bone's box is centred between the joints at its ends (the thumb's metacarpal below its
    MCP joint), 0.12 hand units wide: not the RUS set's style, but a hand all the same.
    """
    joint = {area: template_point(area, hand) for area in AREA_KEYPOINTS}
    size = 0.12 * abs(hand.a)
    tips = {d: joint[("DIP", d)] + 0.5 * (joint[("DIP", d)] - joint[("PIP", d)]) for d in (2, 3, 4, 5)}
    tips[1] = joint[("PIP", 1)] + 0.6 * (joint[("PIP", 1)] - joint[("MCP", 1)])
    centres = {("MCPFirst", 1): joint[("MCP", 1)] - 0.5 * (joint[("PIP", 1)] - joint[("MCP", 1)]),
               ("ProximalPhalanx", 1): (joint[("MCP", 1)] + joint[("PIP", 1)]) / 2,
               ("DistalPhalanx", 1): (joint[("PIP", 1)] + tips[1]) / 2,
               ("Radius", None): template_point(("Radius", None), hand),
               ("Ulna", None): template_point(("Ulna", None), hand)}
    for d in (2, 3, 4, 5):
        centres[("MCP", d)] = joint[("MCP", d)] - 0.4 * (joint[("PIP", d)] - joint[("MCP", d)])
        centres[("ProximalPhalanx", d)] = (joint[("MCP", d)] + joint[("PIP", d)]) / 2
        centres[("MiddlePhalanx", d)] = (joint[("PIP", d)] + joint[("DIP", d)]) / 2
        centres[("DistalPhalanx", d)] = (joint[("DIP", d)] + tips[d]) / 2
    bones = []
    for (label, _), c in centres.items():
        c = flip(c) if mirror else c
        bones.append(Bone(label, c.real - size / 2, c.imag - size, c.real + size / 2, c.imag + size))
    return bones, centres


def test_bones_get_digits_from_the_thumb_side_in_any_orientation():
    bones, centres = synthetic_bones()
    for mirror in (False, True):
        turned = Similarity(complex(0, 1), complex(WIDTH, 0)) if mirror else None  # 90 degrees as well
        moved = synthetic_bones(mirror=mirror)[0]
        if turned is not None:
            moved = [Bone(b.label, *_turned_corners(b, turned)) for b in moved]
        by_digit, mirrored = bones_by_digit(moved)
        assert mirrored == mirror
        for slot, centre in centres.items():
            expected = flip(centre) if mirror else centre
            if turned is not None:
                expected = complex(turned.apply(np.array([expected]))[0])
            assert abs(by_digit[slot].center - expected) < 1e-6, slot


def _turned_corners(bone, turn):
    corners = turn.apply(np.array([complex(bone.x1, bone.y1), complex(bone.x2, bone.y2)]))
    return (min(c.real for c in corners), min(c.imag for c in corners),
            max(c.real for c in corners), max(c.imag for c in corners))


def test_joints_lie_between_the_bones_and_mirror_with_the_hand():
    bones, _ = synthetic_bones()
    by_digit, _ = bones_by_digit(bones)
    mirrored_digits, mirrored = bones_by_digit(synthetic_bones(mirror=True)[0])
    for joint, (proximal, distal) in JOINT_BONES.items():
        position = joint_position(joint, by_digit, False)
        p, d = by_digit[proximal].center, by_digit[distal].center
        along = ((position - p) / (d - p)).real
        assert 0.5 < along < 1.0, joint  # between the two bones' centres, nearer the distal one
        assert abs(joint_position(joint, mirrored_digits, mirrored) - flip(position)) < 1e-6


def test_bone_boxes_become_all_seventeen_areas():
    bones, centres = synthetic_bones()
    image = boxes_from_bones(bones, WIDTH, HEIGHT, "hand.png")
    assert image.complete and image.annotated_classes == CLASSES and image.side == "left"
    assert boxes_from_bones(synthetic_bones(mirror=True)[0], WIDTH, HEIGHT).side == "right"
    names = sorted(b.name for b in image.boxes)
    assert len(names) == 17 == len(set(names))
    radius_bone = next(b for b in bones if b.label == "Radius")
    radius = by_name(image.boxes)["Radius"]
    # The hand is turned 8 degrees: the epiphysis box's distal reach matches the bone box's.
    assert radius.y1 == pytest.approx(radius_bone.y1, abs=0.2 * radius.height)
    wrist = complex(*by_name(image.boxes)["Wrist"].center)
    mcp_row = np.mean([complex(*b.center) for b in image.boxes if b.label == "MCP"])
    assert mcp_row.imag < wrist.imag < complex(*radius.center).imag


def test_bones_that_do_not_make_a_hand_are_refused(tmp_path):
    bones, _ = synthetic_bones()
    with pytest.raises(AnnotationImportError, match="0 Radius .expected 1."):
        boxes_from_bones([b for b in bones if b.label != "Radius"], WIDTH, HEIGHT)
    relabelled = [replace(b, label="Radius") if b.label == "MiddlePhalanx" else b for b in bones]
    with pytest.raises(AnnotationImportError, match="5 Radius"):
        boxes_from_bones(relabelled, WIDTH, HEIGHT)
    thumb = next(b for b in bones if b.label == "MCPFirst")
    far = replace(thumb, x1=thumb.x1 - 500, x2=thumb.x2 - 500, y1=thumb.y1 - 300, y2=thumb.y2 - 300)
    with pytest.raises(AnnotationImportError, match="do not lie like the joints of one hand"):
        boxes_from_bones([far if b is thumb else b for b in bones], WIDTH, HEIGHT)
    with pytest.raises(AnnotationImportError, match="no .xml files"):
        read_bone_folder(tmp_path)


def write_bone_voc(path, bones, file="1.png"):
    objects = "".join(
        f"<object><name>{b.label}</name><bndbox><xmin>{b.x1}</xmin><ymin>{b.y1}</ymin>"
        f"<xmax>{b.x2}</xmax><ymax>{b.y2}</ymax></bndbox></object>" for b in bones)
    path.write_text(f"<annotation><filename>{file}</filename><size><width>{WIDTH}</width>"
                    f"<height>{HEIGHT}</height><depth>1</depth></size>{objects}</annotation>")


def test_training_folders_crop_what_keypoints_do_not_mark(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for name in ("1.png", "2.png"):
        Image.new("L", (WIDTH, HEIGHT), 90).save(images / name)
    coco_keypoints_file(tmp_path / "k.json", [[hand_keypoints()]])
    bone_folder = tmp_path / "bones"
    bone_folder.mkdir()
    write_bone_voc(bone_folder / "2.xml", synthetic_bones()[0], "2.png")
    write_bone_voc(bone_folder / "3.xml", synthetic_bones()[0][1:], "3.png")

    keypoints = import_dataset(tmp_path / "k.json", "hand-keypoints", image_root=images)
    written, skipped = write_training_folder(keypoints, tmp_path / "out-k")
    assert written == ["1.png"] and skipped == []
    out = load_dataset(tmp_path / "out-k")
    ann = out.images[0]
    lowest = max(b.y2 for b in keypoints.images[0].boxes)
    assert ann.height == math.ceil(lowest + 0.01 * HEIGHT) < HEIGHT and ann.width == WIDTH
    assert Image.open(out.image_path(ann)).size == (ann.width, ann.height)
    assert {b.label for b in ann.boxes} == {"DIP", "PIP", "MCP"} and len(ann.boxes) == 14

    bones = import_dataset(bone_folder, "rus-bones", image_root=images)
    assert [f for f, _ in bones.skipped] == ["3.png"]
    written, skipped = write_training_folder(bones, tmp_path / "out-b")
    assert written == ["2.png"] and [f for f, _ in skipped] == ["3.png"]
    whole = load_dataset(tmp_path / "out-b").images[0]
    assert (whole.width, whole.height) == (WIDTH, HEIGHT) and len(whole.boxes) == 17

    with pytest.raises(AnnotationImportError, match="Unknown annotation kind"):
        import_annotations(tmp_path / "k.json", "openpose")
    with pytest.raises(AnnotationImportError, match="does not exist"):
        import_annotations(tmp_path / "none.json", "hand-keypoints")


def test_crop_follows_the_fingers_and_refuses_diagonal_hands(tmp_path):
    coco = coco_keypoints_file(tmp_path / "k.json", [
        [hand_keypoints(Similarity(HAND.a * 1j, complex(300, 400)))],            # fingers pointing right
        [hand_keypoints(Similarity(HAND.a * complex(0.7, 0.7), complex(300, 400)))],  # 45 degrees
    ])
    pointing_right, diagonal = read_hand_keypoints(coco).images
    x1, y1, x2, y2 = crop_window(pointing_right)
    assert (y1, x2, y2) == (0, WIDTH, HEIGHT)
    assert x1 == math.floor(min(b.x1 for b in pointing_right.boxes) - 0.01 * WIDTH) > 0
    assert crop_window(diagonal) is None


def test_rsna_keypoints_and_bones_agree(rsna_dir):
    keypoints = import_annotations(rsna_dir / "annotations" / "hand-keypoints-coco.json", "hand-keypoints")
    bones = import_annotations(rsna_dir / "annotations" / "rus-bones-voc", "rus-bones")
    assert len(keypoints.images) == 54 and len(bones.images) >= 76
    from_bones = {i.file: by_name(i.boxes) for i in bones.images}
    heights = {i.file: i.height for i in keypoints.images}
    distances = []
    for image in keypoints.images:
        if image.file in from_bones:
            for name, box in by_name(image.boxes).items():
                other = from_bones[image.file][name]
                distances.append(abs(complex(*box.center) - complex(*other.center)) / (heights[image.file] * 6 / 256))
    assert len(distances) >= 30 * 14
    # Joints from bones land within the centre criterion's radius of the keypoints.
    assert np.mean(np.array(distances) <= 1.0) >= 0.97


def test_import_command(tmp_path, capsys):
    from OssificationDetectorLib.cli.main import main

    images = tmp_path / "images"
    images.mkdir()
    Image.new("L", (WIDTH, HEIGHT), 90).save(images / "1.png")
    coco_keypoints_file(tmp_path / "k.json", [[hand_keypoints()], []])
    out = tmp_path / "out"
    assert main(["import", str(tmp_path / "k.json"), "--kind", "hand-keypoints", "--output", str(out),
                 "--image-root", str(images), "--copy"]) == 0
    printed = capsys.readouterr().out
    assert "1 images written as Pascal VOC, 1 left out" in printed and "left out 2.png" in printed
    assert len(load_dataset(out).images[0].boxes) == 14
    assert main(["import", str(tmp_path / "missing.json"), "--kind", "hand-keypoints", "--output", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
