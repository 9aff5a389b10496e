"""The held-out validation split: deterministic, disjoint from the training folders written for it,
and the evaluation of its three parts wired to the right images (checked with the truth as detector:
no torch inference)."""
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from OssificationDetectorLib.importers.folders import import_dataset
from OssificationDetectorLib.evaluation.heldout import (
    BONES_VOC, KEYPOINTS_COCO, OSSIFICATION_HELD_OUT, held_out_ids_in, image_id, ossification_truths,
    rsna_split, split_ids,
)
from OssificationDetectorLib.evaluation.heldout_evaluation import evaluate_held_out, keypoint_joint_centres

REPO = Path(__file__).resolve().parents[1]

# The protocol's split of the RSNA folder, fixed once: a change here changes what "held out" means.
BONES_HELD_OUT = ("1548 1661 1707 1816 1855 1880 1947 1980 2053 2163 2232 2283 2402 2492 6879 6922 6954 "
                  "14719 14743 14762 14815").split()
KEYPOINTS_ONLY_HELD_OUT = "1377 1417 1555 1604 1737 1944".split()


def test_split_sorts_numerically_and_holds_out_every_fourth():
    bones = ["10", "9", "100", "2", "11", "3", "9"]  # duplicates and any order
    keypoints = ["3", "40", "5", "41", "6", "7", "8"]  # 3 is a bone image: not keypoint-only
    split = split_ids(bones, keypoints)
    assert split.bones == ("2", "11") and split.bones_train == ("3", "9", "10", "100")
    assert split.keypoints_only == ("5", "40") and split.keypoints_only_train == ("6", "7", "8", "41")
    assert split_ids(list(reversed(bones)), sorted(keypoints)) == split
    assert split.ossification == OSSIFICATION_HELD_OUT


def test_rsna_split_is_the_protocols(rsna_dir):
    split = rsna_split(rsna_dir)
    assert list(split.bones) == BONES_HELD_OUT and list(split.keypoints_only) == KEYPOINTS_ONLY_HELD_OUT
    counts = split.to_dict()["counts"]
    assert (counts["bones_train"], counts["keypoints_only_train"]) == (60, 16)
    everything = split.bones + split.bones_train + split.keypoints_only + split.keypoints_only_train
    assert len(set(everything)) == len(everything) and not set(everything) & set(split.ossification)


def test_training_folders_hold_no_held_out_image(rsna_dir, tmp_path):
    out = tmp_path / "train"
    command = [sys.executable, str(REPO / "scripts" / "evaluate_default_model.py"), "--data", str(rsna_dir),
               "--write-train-folders", str(out)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    split = rsna_split(rsna_dir)
    for name, allowed in split.training_ids().items():
        written = {image_id(p) for p in (out / name / "Annotations").glob("*.xml")}
        assert written and written <= allowed and not held_out_ids_in(out / name, split)
    # A folder left from an earlier run may hold held-out images: the script will not write into it.
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode != 0 and "already hold files" in again.stderr


def test_keypoint_centres_are_the_imported_joints(rsna_dir):
    split = rsna_split(rsna_dir)
    found, left_out = keypoint_joint_centres(rsna_dir / KEYPOINTS_COCO, set(split.keypoints_only))
    assert set(found) == set(split.keypoints_only) and not left_out
    imported = import_dataset(rsna_dir / KEYPOINTS_COCO, "hand-keypoints")
    for ann in imported.images:
        if image_id(ann.file) in found:
            centres = found[image_id(ann.file)][1]
            for box in ann.boxes:  # boxes are centred on their keypoint unless cut by the image edge
                if box.x1 > 0 and box.y1 > 0 and box.x2 < ann.width and box.y2 < ann.height:
                    assert any(abs(box.center[0] - x) < 1e-6 and abs(box.center[1] - y) < 1e-6
                               for x, y in centres[box.label])


def _truth_boxes(rsna):
    """{image id: truth boxes} of every part: a detector that is always right."""
    images = list(ossification_truths(rsna).images)
    images += import_dataset(rsna / BONES_VOC, "rus-bones").images
    images += import_dataset(rsna / KEYPOINTS_COCO, "hand-keypoints").images
    return {image_id(a.file): [replace(b, score=0.9) for b in a.boxes] for a in images}


def test_evaluation_with_the_truth_as_detector(rsna_dir):
    truth, seen = _truth_boxes(rsna_dir), []

    def detect(paths):
        seen.extend(image_id(p) for p in paths)
        return [truth[image_id(p)] for p in paths]

    split = rsna_split(rsna_dir)
    summary, _ = evaluate_held_out(detect, rsna_dir, split, limit=2)
    assert set(seen) <= split.held_out and len(seen) == 6
    head = summary["headline"]
    assert head["ossification_mAP"] == head["ossification_centre_f1"] == 1.0
    assert head["bones_mAP_against_converted_boxes"] == head["bones_centre_f1"] == 1.0
    assert head["keypoints_joint_centre_f1"] > 0.95  # a joint box cut by the image edge moves its centre

    summary, _ = evaluate_held_out(lambda paths: [[] for _ in paths], rsna_dir, split)
    assert summary["headline"]["ossification_centre_f1"] == summary["headline"]["keypoints_joint_centre_f1"] == 0
    assert [i["id"] for i in summary["bones"]["held_out_not_converted"]] == ["2402", "2492"]
    assert len(summary["bones"]["image_ids"]) == len(split.bones) - 2
