"""The orientation probe (detection/orientation_probe.py) on the bundled model and real radiographs: it
reads each quarter turn of the sample radiographs (validation radiographs, never fitted on), stops the
first pass of a turned hand after the backbone, and the detector then finds what it finds without it."""
import numpy as np
import pytest
import torch

from OssificationDetectorLib.detection.detect import Detector, as_pixels
from OssificationDetectorLib.detection.model_pass import run_in_stages
from OssificationDetectorLib.detection.orientation_probe import (
    ACT_PROBABILITY, Turned, dihedral_views, fit_probe, load_probe, probe_path, view_features)
from OssificationDetectorLib.io.images import read_radiograph
from OssificationDetectorLib.model.registry import resolve_model


@pytest.fixture(scope="module")
def probed():
    return Detector("default", device="cpu", threads=2)


@pytest.fixture(scope="module")
def unprobed():
    return Detector("default", device="cpu", threads=2, probe=False)


@pytest.fixture
def sample_pixels(sample_pngs):
    return [as_pixels(read_radiograph(path)) for path in sample_pngs]


def test_the_bundled_model_has_its_probe_and_no_other_model_takes_it(probed, tmp_path):
    assert probed.probe is not None
    path, sha256 = resolve_model("default")
    assert probed.probe.model_sha256 == sha256
    assert load_probe(probe_path(path), "0" * 64) is None  # fitted to another model's backbone
    broken = tmp_path / "broken.orientation.npz"
    broken.write_bytes(b"not an npz file")
    assert load_probe(broken, sha256) is None  # detection goes on without it
    assert load_probe(tmp_path / "missing.orientation.npz", sha256) is None
    assert Detector("default", device="cpu", threads=2, orientations="upright").probe is None


def test_the_probe_reads_every_quarter_turn_of_the_samples(probed, sample_pixels):
    rows, turns = view_features(probed.model, probed.device, sample_pixels)
    probabilities = probed.probe.probabilities(torch.from_numpy(rows)).numpy()
    assert len(turns) == 8 * len(sample_pixels) and set(turns) == {0, 1, 2, 3}
    assert (probabilities.argmax(1) == turns).all()
    # Sure of every turned view and of every upright one: a turned hand skips its first pass's heads.
    assert (probabilities.max(1) >= ACT_PROBABILITY).all()


def test_stages_compute_what_the_model_computes_and_the_probe_stops_a_turned_hand(probed, sample_pixels):
    upright = torch.from_numpy(sample_pixels[0])[None]
    turned = torch.from_numpy(np.ascontiguousarray(np.rot90(sample_pixels[0])))[None]
    with torch.inference_mode():
        expected = probed.model([upright])[0]
        staged = run_in_stages(probed.model, [upright])[0]
        mixed = run_in_stages(probed.model, [upright, turned], probed.probe)
    # The same operations on the same tensors; oneDNN may split a convolution's work differently from
    # one call to the next, so equal to float rounding (two calls of the model itself differ as much).
    assert torch.equal(expected["labels"], staged["labels"])
    assert torch.allclose(expected["boxes"], staged["boxes"], atol=1e-3)
    assert torch.allclose(expected["scores"], staged["scores"], atol=1e-5)
    assert isinstance(mixed[0], dict) and len(mixed[0]["boxes"]) >= 17
    assert mixed[1] == Turned(3, mixed[1].probability) and mixed[1].probability >= ACT_PROBABILITY


def _passes(detector, radiograph):
    """(result, RPN runs): a whole pass runs the RPN once, the probe's stopped pass not at all."""
    runs = []
    hook = detector.model.rpn.register_forward_hook(lambda *_: runs.append(1))
    try:
        return detector.detect_with_report(radiograph), len(runs)
    finally:
        hook.remove()


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_turned_hand_is_found_in_one_whole_pass_as_well_as_without_the_probe(
        probed, unprobed, sample_pngs, sample_voc_dir, turns):
    from OssificationDetectorLib.annotations.datasets import load_dataset
    from OssificationDetectorLib.detection.orientation import Orientation
    from OssificationDetectorLib.detection.turned_view import TurnedView
    from OssificationDetectorLib.evaluation.evaluate import evaluate

    truths = {ann.file: ann for ann in load_dataset(sample_voc_dir).images}
    found = {"probe": [], "search": []}
    for path in sample_pngs:
        pixels = as_pixels(read_radiograph(path))
        image = np.ascontiguousarray(np.rot90(pixels, turns))
        as_shown = TurnedView(Orientation(turns), pixels.shape[1], pixels.shape[0])  # the turned image's boxes back
        fast, fast_passes = _passes(probed, image)
        slow, slow_passes = _passes(unprobed, image)
        assert fast.orientation.quarter_turns == slow.orientation.quarter_turns == (4 - turns) % 4
        assert fast_passes == 1 and slow_passes >= 2
        assert fast.warnings == slow.warnings
        found["probe"].append([as_shown.box_from_view(b) for b in fast.boxes])
        found["search"].append([as_shown.box_from_view(b) for b in slow.boxes])
    scores = {way: evaluate(boxes, [truths[p.name] for p in sample_pngs]).centre_overall for way, boxes in found.items()}
    assert scores["probe"].f1 >= scores["search"].f1 and scores["probe"].f1 >= 0.95, scores


def test_an_upright_hand_runs_as_before(probed, unprobed, sample_pixels):
    for pixels in sample_pixels:
        (fast, fast_passes), (slow, slow_passes) = _passes(probed, pixels), _passes(unprobed, pixels)
        assert fast_passes == slow_passes and fast.warnings == slow.warnings
        assert [(b.label, b.x1, b.y1, b.x2, b.y2, b.score) for b in fast.boxes] == \
            [(b.label, b.x1, b.y1, b.x2, b.y2, b.score) for b in slow.boxes]


def test_a_probe_is_fitted_from_the_eight_views_of_radiographs(unprobed, sample_pixels, tmp_path):
    from OssificationDetectorLib.detection.orientation_probe import save_probe

    rows, turns = view_features(unprobed.model, unprobed.device, sample_pixels[:2])
    probe = fit_probe(rows, turns, "a" * 64)
    assert (probe.probabilities(torch.from_numpy(rows)).numpy().argmax(1) == turns).all()
    save_probe(probe, tmp_path / "model.orientation.npz")
    again = load_probe(tmp_path / "model.orientation.npz", "a" * 64)
    assert np.array_equal(again.weight, probe.weight) and again.model_sha256 == "a" * 64
    with pytest.raises(ValueError, match="every quarter turn"):
        fit_probe(rows[turns == 0], turns[turns == 0], "a" * 64)
    assert [turn for _, turn in dihedral_views(sample_pixels[0])] == [0, 3, 2, 1] * 2
