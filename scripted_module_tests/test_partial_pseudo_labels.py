"""Partial pseudo-labels with the bundled default model: a hand's confident areas are kept, what the
teacher was unsure of or missed becomes ignored regions, and those reach training as ignored boxes."""
from dataclasses import replace

import numpy as np
import pytest

from OssificationDetectorLib.core.taxonomy import EXPECTED_TOTAL
from OssificationDetectorLib.training.pseudo_label_rules import MIN_CONFIDENT_AREAS, hand_labels


@pytest.fixture(scope="module")
def hand(teacher):
    """A sample radiograph whose 17 areas the teacher finds confidently: (radiograph, raw boxes)."""
    from OssificationDetectorLib.io.images import read_radiograph
    from conftest import SAMPLES

    radiograph = read_radiograph(SAMPLES / "radiographs" / "6470.png")
    raw = teacher.detect(radiograph)
    assert hand_labels(raw, radiograph.width, radiograph.height, "complete").complete
    return radiograph, raw


def _named(labels):
    return {b.name: b for b in labels.boxes}


def test_a_whole_hand_is_kept_alike_by_both_rules(hand):
    radiograph, raw = hand
    complete = hand_labels(raw, radiograph.width, radiograph.height, "complete")
    partial = hand_labels(raw, radiograph.width, radiograph.height, "partial")
    assert partial.complete and len(partial.boxes) == EXPECTED_TOTAL
    assert sorted(_named(partial)) == sorted(_named(complete))
    assert all(_named(partial)[n].coords == _named(complete)[n].coords for n in _named(partial))
    assert all(b.score is not None for b in partial.ignored)  # nothing placed: every area was found


def test_missing_and_uncertain_areas_become_ignored_regions_where_they_are(hand):
    radiograph, raw = hand
    areas = _named(hand_labels(raw, radiograph.width, radiograph.height, "complete"))
    missing = {"Radius", "MCP I"}
    uncertain = areas["PIP III"]
    boxes = [replace(b, score=0.5) if b.iou(uncertain) > 0.9 else b for b in raw
             if not any(b.iou(areas[name]) > 0.5 for name in missing)]
    complete = hand_labels(boxes, radiograph.width, radiograph.height, "complete")
    partial = hand_labels(boxes, radiograph.width, radiograph.height, "partial")
    assert complete.reason is not None and partial.reason is None and not partial.complete
    assert sorted(_named(partial)) == sorted(set(areas) - missing - {"PIP III"})
    # The uncertain area is ignored as the teacher saw it ...
    assert any(b.score == 0.5 and b.coords == uncertain.coords for b in partial.ignored)
    # ... and each missing one where the average hand fitted to the others puts it: over the real box.
    placed = {b.name: b for b in partial.ignored if b.score is None}
    assert set(placed) == missing
    for name in missing:
        true_x, true_y = areas[name].center
        region = placed[name]
        assert region.x1 < true_x < region.x2 and region.y1 < true_y < region.y2
        assert region.area < 6 * areas[name].area  # near the area, not the whole hand


def test_too_few_confident_areas_a_mirrored_hand_and_noise_are_rejected(hand, teacher):
    radiograph, raw = hand
    few = sorted(raw, key=lambda b: -b.score)[:MIN_CONFIDENT_AREAS - 1]
    assert "only" in hand_labels(few, radiograph.width, radiograph.height, "partial").reason
    mirrored = [replace(b, x1=radiograph.width - b.x2, x2=radiograph.width - b.x1) for b in raw]
    assert "right hand" in hand_labels(mirrored, radiograph.width, radiograph.height, "partial").reason
    noise = np.random.default_rng(0).random((512, 400), dtype=np.float32)
    raw_noise = teacher.detect(noise)
    assert hand_labels(raw_noise, 400, 512, "partial").reason is not None


def test_held_out_and_listed_ids_are_never_labelled(teacher, tmp_path):
    from conftest import SAMPLES
    from OssificationDetectorLib.training.pseudo_labels import (EXCLUDED_REASON, default_excluded_ids,
                                                                pseudo_label)

    held_out = SAMPLES / "radiographs" / "4221.png"
    listed = tmp_path / "1234.png"
    listed.write_bytes(held_out.read_bytes())
    kept, rejected = pseudo_label(teacher, [held_out, listed], rule="partial",
                                  exclude_ids=default_excluded_ids() | {"1234"})
    assert kept == [] and rejected == [(held_out, EXCLUDED_REASON), (listed, EXCLUDED_REASON)]


def test_partial_labels_reach_training_as_ignored_boxes_that_turn_with_the_image(hand, tmp_path):
    from OssificationDetectorLib.annotations.datasets import load_dataset
    from OssificationDetectorLib.core.boxes import AnnotatedImage
    from OssificationDetectorLib.training.augment import AugmentConfig
    from OssificationDetectorLib.training.ignore_regions import IGNORE_KEY
    from OssificationDetectorLib.training.pseudo_labels import write_pseudo_label_folder
    from OssificationDetectorLib.training.training_data import TrainingImages, load_items

    radiograph, raw = hand
    labels = hand_labels([b for b in raw if b.label != "Ulna"], radiograph.width, radiograph.height, "partial")
    ulna = next(b for b in labels.ignored if b.name == "Ulna")
    # An ignored region the same as a kept area: after augmentation both must still be the same box.
    twin = labels.boxes[0]
    kept = [AnnotatedImage(radiograph.source, radiograph.width, radiograph.height, labels.boxes,
                           [replace(twin, score=None), ulna])]
    write_pseudo_label_folder(kept, [], tmp_path / "pseudo", link=False)
    dataset = load_dataset(tmp_path / "pseudo")
    assert [b.coords for b in dataset.images[0].ignored] == [twin.coords, ulna.coords]
    assert len(dataset.images[0].boxes) == EXPECTED_TOTAL - 1
    items, _ = load_items([tmp_path / "pseudo"])
    config = AugmentConfig(rotation_degrees=10.0)
    for seed in range(3):
        _, target = TrainingImages(items, 384, 512, config, seed=seed)[0]
        assert target[IGNORE_KEY].shape == (2, 4) and len(target["boxes"]) == EXPECTED_TOTAL - 1
        first = target["boxes"][0].numpy()
        assert np.allclose(target[IGNORE_KEY][0].numpy(), first, atol=1e-4)
    _, plain = TrainingImages(items, 384, 512, None)[0]
    scale = 384 / min(radiograph.width, radiograph.height)
    assert np.allclose(plain[IGNORE_KEY][1].numpy(), np.array(ulna.coords) * scale, atol=1.0)


def test_training_on_partial_labels_runs(hand, tmp_path):
    from OssificationDetectorLib.core.boxes import AnnotatedImage
    from OssificationDetectorLib.model.checkpoints import read_model_file
    from OssificationDetectorLib.training.pseudo_labels import write_pseudo_label_folder
    from OssificationDetectorLib.training.train import TrainConfig, train

    radiograph, raw = hand
    labels = hand_labels([b for b in raw if b.label != "Wrist"], radiograph.width, radiograph.height, "partial")
    write_pseudo_label_folder([AnnotatedImage(radiograph.source, radiograph.width, radiograph.height,
                                              labels.boxes, labels.ignored)], [], tmp_path / "pseudo", link=False)
    events = []
    result = train(TrainConfig(datasets=[str(tmp_path / "pseudo")], output=str(tmp_path / "m.pt"), init="none",
                               iterations=2, batch_size=1, min_size=192, max_size=256, scale_jitter=0.0,
                               device="cpu", threads=1, eval_every=0, seed=0), events.append, lambda: False)
    assert result.status == "finished"
    assert all(np.isfinite(e["loss"]) for e in events if e["event"] == "iteration")
    _, metadata = read_model_file(result.output)
    assert metadata["training_data"]["ignored_regions"] == len(labels.ignored) > 0


def test_the_command_takes_exclude_id_files_and_refuses_a_missing_one(tmp_path, capsys, teacher):
    from conftest import SAMPLES
    from OssificationDetectorLib.cli.main import main

    hand = tmp_path / "unannotated-hand.png"
    hand.write_bytes((SAMPLES / "radiographs" / "6470.png").read_bytes())
    code = main(["pseudo-label", str(hand), "--output", str(tmp_path / "bad"), "--exclude-ids",
                 str(tmp_path / "no-such-ids.txt")])
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--exclude-ids takes files" in err
    assert not (tmp_path / "bad").exists()
    ids = tmp_path / "validation.txt"
    ids.write_text("# validation ids\n4200, unannotated-hand\n")
    code = main(["pseudo-label", str(hand), "--output", str(tmp_path / "out"), "--exclude-ids", str(ids),
                 "--device", "cpu", "--threads", "1"])
    assert code == 0
    assert "0 of 1 radiographs written" in capsys.readouterr().out
    assert "excluded" in (tmp_path / "out" / "rejected.txt").read_text()
    code = main(["pseudo-label", str(hand), "--output", str(tmp_path / "kept"), "--device", "cpu", "--threads", "1"])
    assert code == 0
    assert f"1 hands with all {EXPECTED_TOTAL} areas, 0 partial" in capsys.readouterr().out


def test_validation_radiographs_are_never_pseudo_labelled_by_default():
    from OssificationDetectorLib.evaluation.heldout import OSSIFICATION_HELD_OUT
    from OssificationDetectorLib.evaluation.validation_split import koitka_validation_ids
    from OssificationDetectorLib.training.pseudo_labels import default_excluded_ids

    excluded = default_excluded_ids()
    assert set(OSSIFICATION_HELD_OUT) <= excluded and koitka_validation_ids() <= excluded
    assert "4332" in excluded  # a young-rsna radiograph that is also a koitka-240 validation image
