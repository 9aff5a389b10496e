"""Evaluation per stratum: complete hands, the thumb's MCP, joint-only strata, images not scored, and the
whole validation wired to the right images (the truth as detector: no torch inference)."""
from dataclasses import replace
from pathlib import Path

import pytest

from OssificationDetectorLib.annotations.datasets import load_dataset
from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.evaluation.heldout import image_id, rsna_split
from OssificationDetectorLib.evaluation.strata import (
    BANDS, age_band, score_stratum, strata_markdown, thumb_mcp_index,
)

from conftest import SHARED


def _sure(boxes):
    return [replace(b, score=0.9) for b in boxes]


def _mirror(box, width):
    return replace(box, x1=width - box.x2, x2=width - box.x1)


def test_age_bands():
    assert [age_band(m) for m in (0, 47, 48, 120, 121)] == [BANDS[0], BANDS[0], BANDS[1], BANDS[1], BANDS[2]]


def test_thumb_mcp_is_the_digit_one_or_the_mcp_apart_from_the_row(sample_voc_dir):
    hand = load_dataset(sample_voc_dir).images[0]
    mcp = [b for b in hand.boxes if b.label == "MCP"]
    # An upright left hand: the thumb is on the image's right.
    thumb = thumb_mcp_index(mcp)
    assert mcp[thumb].center[0] == max(b.center[0] for b in mcp)
    mirrored = [_mirror(b, hand.width) for b in mcp]
    assert thumb_mcp_index(mirrored) == thumb  # the same box, now on the left
    with_digits = [replace(b, digit=5 - i) for i, b in enumerate(mcp)]
    assert thumb_mcp_index(with_digits) == 4 and thumb_mcp_index(mcp[:4]) is None


def test_complete_hands_and_the_thumb_mcp(sample_voc_dir):
    truths = load_dataset(sample_voc_dir).images
    detections = [_sure(t.boxes) for t in truths]
    result = score_stratum("all", detections, truths)
    assert result.mean_ap == 1.0 and result.centre.f1 == 1.0
    assert (result.hands.complete, result.hands.hands, result.hands.thumb_mcp_found) == (3, 3, 3)

    # Leave out the first hand's thumb MCP and move the second's radius far away.
    mcp = [b for b in truths[0].boxes if b.label == "MCP"]
    thumb = mcp[thumb_mcp_index(mcp)]
    detections[0] = [b for b in detections[0] if b is not thumb and b.center != thumb.center]
    detections[1] = [replace(b, x1=b.x1 + 200, x2=b.x2 + 200) if b.label == "Radius" else b for b in detections[1]]
    result = score_stratum("all", detections, truths, not_scored=[("9999", "the file is empty")])
    assert (result.hands.complete, result.hands.thumb_mcp_found, result.hands.thumb_mcp_truths) == (1, 2, 3)
    assert [(Path(i).stem, m) for i, m in result.hands.incomplete] == [("4221", ["MCP"]), ("4298", ["Radius"])]
    assert result.centre.fn == 2 and result.centre.fp == 1
    text = strata_markdown([result])
    assert "| all | 3 |" in text and "1 of 3 (all areas)" in text and "2 of 3 |" in text
    assert "not scored: 9999 (the file is empty)" in text and "incomplete: 4298.png (missed Radius)" in text


def test_joint_strata_score_only_the_finger_joints(sample_voc_dir):
    truths = load_dataset(sample_voc_dir).images
    joints_only = [replace(t, boxes=[b for b in t.boxes if b.label in ("DIP", "PIP", "MCP")]) for t in truths]
    # Right joints plus a wrong radius: the radius neither helps nor hurts a joint stratum.
    detections = [_sure(t.boxes) + [Box("Radius", 0, 0, 10, 10, score=0.9)] for t in joints_only]
    result = score_stratum("joints", detections, joints_only, kind="joints")
    assert result.mean_ap is None and result.centre.precision == result.centre.recall == 1.0
    assert result.hands.complete == 3 and set(result.joints) == {"DIP", "PIP", "MCP"}
    assert result.to_dict()["centre_overall"]["tp"] == 3 * 14
    with pytest.raises(ValueError, match="one per image"):
        score_stratum("x", detections[:1], joints_only)


def test_whole_validation_with_the_truth_as_detector(rsna_dir):
    from OssificationDetectorLib.evaluation.stratified_validation import evaluate_validation, validation_sets
    from OssificationDetectorLib.evaluation.validation_split import never_train_ids

    if not (SHARED / "data" / "koitka-240").is_dir() or not (SHARED / "data" / "dha-landmarks").is_dir():
        pytest.skip("koitka-240 or dha-landmarks not in ../shared/data (optional shared data)")
    split = rsna_split(rsna_dir)
    truth, seen = {}, []
    for name, kind, dataset, chosen, not_scored in validation_sets(rsna_dir.parent, split, limit=2):
        for ann in chosen:
            truth[str(dataset.image_path(ann))] = _sure(ann.boxes)

    def detect(paths):
        seen.extend(paths)
        if image_id(paths[0]) == "4217":
            raise OSError("4217.png: cannot read the image")
        return [truth[str(p)] for p in paths]

    results = evaluate_validation(detect, rsna_dir.parent, split, limit=2)
    assert [r.name for r in results] == [
        "RSNA half resolution, paper boxes", "koitka-240 (299 px), under 4 years", "koitka-240 (299 px), 4-10 years",
        "koitka-240 (299 px), over 10 years", "Digital Hand Atlas, finger joints",
        "RSNA, boxes converted from bone boxes", "RSNA, joints from hand keypoints"]
    never = never_train_ids(split.held_out)
    assert {image_id(p) for p in seen} <= never["rsna"] | never["dha"]
    young = results[1]
    assert young.not_scored == [("4217", "4217.png: cannot read the image")] and len(young.images) == 1
    for r in results:
        assert r.hands.complete == r.hands.hands and r.centre.recall > 0.95, r.name
    assert results[4].kind == "joints" and results[4].hands.thumb_mcp_found == 2


def test_evaluate_command_reports_strata_and_images_not_scored(sample_voc_dir, tmp_path, capsys):
    import json

    from OssificationDetectorLib.cli.main import main
    from OssificationDetectorLib.detection.detections_json import write_detections_json

    truths = load_dataset(sample_voc_dir).images
    # Detections for two of the three radiographs; 6470 loses its radius.
    found = [(t.file, t.width, t.height,
              _sure(b for b in t.boxes if not (t.file == "6470.png" and b.label == "Radius")))
             for t in truths if t.file != "4298.png"]
    write_detections_json(tmp_path / "d.json", found)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps([{"id": "4221", "boneage_months": 156}, {"file": "images/6470.png",
                                                                             "boneage_months": 69}]))
    out = tmp_path / "report"
    assert main(["evaluate", str(tmp_path / "d.json"), str(sample_voc_dir), "--output", str(out),
                 "--strata", str(manifest)]) == 0
    printed = capsys.readouterr().out
    assert "over 10 years: 1 images, centre F1 1.0000, 1 of 1 hands complete" in printed
    assert "4-10 years: 1 images" in printed and "0 of 1 hands complete" in printed
    report = json.loads((out / "strata.json").read_text())
    assert [s["name"] for s in report["strata"]] == ["over 10 years", "4-10 years"]
    assert report["not_scored"] == [{"image": "4298.png", "reason": "no detections in d.json"}]
    assert "- 4298.png: no detections in d.json" in (out / "strata.md").read_text()

    (tmp_path / "bad.json").write_text("[1, 2]")
    assert main(["evaluate", str(tmp_path / "d.json"), str(sample_voc_dir), "--output", str(tmp_path / "r2"),
                 "--strata", str(tmp_path / "bad.json")]) == 2
    assert "names no stratum" in capsys.readouterr().err
