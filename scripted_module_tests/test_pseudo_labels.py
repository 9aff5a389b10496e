"""Pseudo-labels with the bundled default model, complete rule: complete hands kept, anything else rejected
with a reason."""
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from OssificationDetectorLib.core.taxonomy import EXPECTED_TOTAL


@pytest.fixture(scope="module")
def labelled(teacher, tmp_path_factory):
    """pseudo_label over the three sample hands, a noise image and a hand cut in half."""
    from OssificationDetectorLib.training.pseudo_labels import pseudo_label
    from conftest import SAMPLE_IDS, SAMPLES

    folder = tmp_path_factory.mktemp("unannotated")
    hands = [SAMPLES / "radiographs" / f"{i}.png" for i in SAMPLE_IDS]
    noise = folder / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (512, 400), dtype=np.uint8)).save(noise)
    # The finger half of a hand: no radius, ulna, wrist or metacarpal joints.
    with Image.open(hands[0]) as image:
        fingers = folder / "fingers.png"
        image.crop((0, 0, image.width, image.height * 2 // 5)).save(fingers)
    return hands, noise, fingers, pseudo_label(teacher, hands + [noise, fingers], rule="complete")


def test_complete_hands_are_kept_with_their_17_named_areas(labelled):
    hands, _, _, (kept, rejected) = labelled
    # Each sample is either kept or rejected (a hand with an area missed or weakly scored is),
    # and the teacher finds all 17 areas confidently in at least one of them.
    kept_files = [k.file for k in kept]
    assert sorted(kept_files + [str(p) for p, _ in rejected if p in hands]) == sorted(map(str, hands))
    assert kept
    for hand in kept:
        assert len(hand.boxes) == EXPECTED_TOTAL
        assert len({b.name for b in hand.boxes}) == EXPECTED_TOTAL  # "PIP III", ...: each area once
        assert min(b.score for b in hand.boxes) >= 0.7


def test_noise_and_a_half_hand_are_rejected_with_the_reason(labelled):
    hands, noise, fingers, (_, rejected) = labelled
    reasons = dict(rejected)
    assert {noise, fingers} <= set(reasons) and set(reasons) <= set(hands) | {noise, fingers}
    assert "areas" in reasons[noise]
    assert "of 1 Radius" in reasons[fingers] and "of 17 areas" in reasons[fingers]
    assert all(reasons[p] for p in reasons)


def test_a_weak_area_or_a_missing_digit_rejects_the_hand(labelled):
    from OssificationDetectorLib.training.pseudo_labels import rejection_reason

    hand = labelled[3][0][0]
    weak = [replace(b, score=0.4) if i == 0 else b for i, b in enumerate(hand.boxes)]
    assert "scored below 0.7" in rejection_reason(weak, hand.width, hand.height, 0.7)
    assert rejection_reason(weak, hand.width, hand.height, 0.3) is None
    no_digit = [replace(b, digit=None) if b.label == "PIP" else b for b in hand.boxes]
    assert rejection_reason(no_digit, hand.width, hand.height) == "joints not assigned to digits"


def test_the_written_folder_is_a_voc_dataset_with_the_rejections_listed(labelled, tmp_path):
    from OssificationDetectorLib.annotations.datasets import load_dataset
    from OssificationDetectorLib.training.pseudo_labels import write_pseudo_label_folder

    _, noise, fingers, (kept, rejected) = labelled
    write_pseudo_label_folder(kept, rejected, tmp_path / "pseudo")
    dataset = load_dataset(tmp_path / "pseudo")
    assert dataset.format == "voc"
    assert sorted(a.file for a in dataset.images) == sorted(f"{k.file.rsplit('/', 1)[-1]}" for k in kept)
    first = next(a for a in dataset.images if a.file == kept[0].file.rsplit("/", 1)[-1])
    assert [b.name for b in first.boxes] == [b.name for b in kept[0].boxes]
    assert np.allclose([b.coords for b in first.boxes], [b.coords for b in kept[0].boxes], atol=0.51)
    lines = (tmp_path / "pseudo" / "rejected.txt").read_text().splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted(str(p) for p, _ in rejected)
    assert {str(noise), str(fingers)} <= {line.split("\t")[0] for line in lines}


def test_the_command_writes_the_folder_and_reports_the_yield(teacher, labelled, tmp_path, capsys):
    from OssificationDetectorLib.cli.main import main
    from OssificationDetectorLib.annotations.datasets import load_dataset

    _, noise, _, (kept, _) = labelled
    # The samples are held-out radiographs, which the command never labels: a copy under another name.
    hand = tmp_path / "unannotated-hand.png"
    hand.write_bytes(Path(kept[0].file).read_bytes())
    code = main(["pseudo-label", str(hand), str(noise), "--output", str(tmp_path / "out"), "--rule", "complete",
                 "--device", "cpu", "--threads", "1", "--min-score", "0.7"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 of 2 radiographs written as pseudo-labels" in out
    assert [a.file for a in load_dataset(tmp_path / "out").images] == [hand.name]
    with pytest.raises(SystemExit):
        main(["pseudo-label", str(noise), "--output", str(tmp_path / "bad"), "--min-score", "7"])


def test_relative_image_and_output_paths_from_another_folder(teacher, labelled, tmp_path, monkeypatch, capsys):
    """`pseudo-label ../images --output build/out`, as scripts/train_default_model.sh runs it: the
    images are found again when the folder is read (they were named relative to the working folder)."""
    from OssificationDetectorLib.annotations.datasets import load_dataset
    from OssificationDetectorLib.cli.main import main

    _, _, _, (kept, _) = labelled
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "unannotated-hand.png").write_bytes(Path(kept[0].file).read_bytes())
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    code = main(["pseudo-label", "../images", "--output", "build/out", "--rule", "complete", "--device", "cpu",
                 "--threads", "1", "--min-score", "0.7", "--quiet"])
    assert code == 0, capsys.readouterr()
    dataset = load_dataset(tmp_path / "work" / "build" / "out")
    assert [a.file for a in dataset.images] == ["unannotated-hand.png"]
    assert (tmp_path / "work" / "build" / "out" / "JPEGImages" / "unannotated-hand.png").is_file()
