"""Short real training runs on the sample radiographs at 192 px: the loss falls, a run can be
cancelled and resumed to the same result, a seed repeats a run, the validation split is kept apart."""
import pytest
import torch

from OssificationDetectorLib.model.checkpoints import read_model_file
from OssificationDetectorLib.training.train import TrainConfig, TrainingError, state_path_for, train
from OssificationDetectorLib.training.training_data import TrainingDataError

torch.set_num_threads(1)


def _config(voc_dir, output, **changes):
    options = dict(datasets=[str(voc_dir)], output=str(output), init="none", iterations=4, batch_size=1,
                   lr=0.01, warmup_iterations=1, min_size=192, max_size=256, scale_jitter=0.0, device="cpu",
                   threads=1, eval_every=0, seed=3)
    options.update(changes)
    return TrainConfig(**options)


def _run(config, stop_after=None):
    events = []

    def should_stop():
        done = [e for e in events if e["event"] == "iteration"]
        return stop_after is not None and len(done) >= stop_after

    result = train(config, events.append, should_stop)
    return result, events


def _losses(events):
    return [e["loss"] for e in events if e["event"] == "iteration"]


def test_a_short_run_lowers_the_loss(sample_voc_dir, tmp_path, imagenet_weights):
    config = _config(sample_voc_dir, tmp_path / "m.pt", init="imagenet", iterations=5, val_list=["4221"])
    result, events = _run(config)
    losses = _losses(events)
    assert len(losses) == 5
    assert losses[-1] < 0.8 * losses[0]
    assert result.status == "finished"
    _, metadata = read_model_file(result.output)
    assert metadata["training_data"]["validation_images"] == ["4221"]
    assert metadata["training_data"]["train_images"] == 2
    assert metadata["metrics"]["raw"]["images"] == 1  # evaluated on the held-out radiograph
    assert metadata["recipe"]["augment"]["horizontal_flip"] is False
    assert not state_path_for(result.output).exists()  # a finished run leaves no state behind
    progress = [e for e in events if e["event"] == "iteration"][-1]
    assert {"epoch", "iteration", "total", "loss", "val_map", "eta"} <= progress.keys()


def test_cancel_then_resume_ends_where_an_uninterrupted_run_ends(sample_voc_dir, tmp_path):
    straight, _ = _run(_config(sample_voc_dir, tmp_path / "straight.pt"))
    output = tmp_path / "interrupted.pt"
    cancelled, events = _run(_config(sample_voc_dir, output), stop_after=2)
    assert cancelled.status == "cancelled" and cancelled.iteration == 2
    assert not output.exists() and state_path_for(output).is_file()
    assert events[-1]["event"] == "cancelled"
    resumed, events = _run(_config(sample_voc_dir, output, resume=True))
    assert events[0] == {"event": "resumed", "iteration": 2, "total": 4, "state_file": str(state_path_for(output))}
    assert [e["iteration"] for e in events if e["event"] == "iteration"] == [3, 4]
    assert resumed.status == "finished"
    expected, _ = read_model_file(straight.output)
    actual, _ = read_model_file(resumed.output)
    for key in expected:
        assert torch.equal(expected[key], actual[key]), key


def test_resume_refuses_the_state_of_another_run(sample_voc_dir, tmp_path):
    output = tmp_path / "m.pt"
    _run(_config(sample_voc_dir, output), stop_after=1)
    with pytest.raises(TrainingError, match="different run"):
        _run(_config(sample_voc_dir, output, resume=True, seed=4))


def test_the_seed_repeats_a_run(sample_voc_dir, tmp_path):
    _, first = _run(_config(sample_voc_dir, tmp_path / "a.pt", iterations=2))
    _, second = _run(_config(sample_voc_dir, tmp_path / "b.pt", iterations=2))
    _, other = _run(_config(sample_voc_dir, tmp_path / "c.pt", iterations=2, seed=5))
    assert _losses(first) == _losses(second)
    assert _losses(first) != _losses(other)


def test_validation_images_must_exist_and_leave_something_to_train(sample_voc_dir, tmp_path):
    with pytest.raises(TrainingDataError, match="9999"):
        _run(_config(sample_voc_dir, tmp_path / "m.pt", val_list=["4221", "9999"]))
    with pytest.raises(TrainingDataError, match="nothing is left"):
        _run(_config(sample_voc_dir, tmp_path / "m.pt", val_list=["4221", "4298", "6470"]))
    with pytest.raises(TrainingError, match="epochs or iterations"):
        _run(_config(sample_voc_dir, tmp_path / "m.pt", iterations=None))


def test_finetuning_continues_from_a_base_model(sample_voc_dir, tmp_path, tiny_model_file):
    path, sha256 = tiny_model_file
    result, events = _run(_config(sample_voc_dir, tmp_path / "tuned.pt", base=str(path), iterations=1))
    assert result.status == "finished"
    _, metadata = read_model_file(result.output)
    assert metadata["origin"] == {"base": str(path), "base_sha256": sha256}
    assert metadata["architecture"] == "mobilenet_v2_fpn"
    assert metadata["preprocessing"]["min_size"] == 192  # the finetuning size, not the base's 128


def test_without_init_or_base_a_run_starts_offline_from_the_bundled_model(sample_voc_dir, tmp_path, monkeypatch):
    from OssificationDetectorLib.model.registry import resolve_model

    # An empty TORCH_HOME: nothing downloadable is there, so the run must need none of it.
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    config = _config(sample_voc_dir, tmp_path / "tuned.pt", init=None, iterations=1)
    assert config.base == "default"
    result, _ = _run(config)
    path, sha256 = resolve_model("default")
    assert read_model_file(result.output)[1]["origin"] == {"base": str(path), "base_sha256": sha256}
    assert not (tmp_path / "empty-torch-home").exists()
    # Its orientation probe, fitted on the training radiographs, is beside it, and its detector takes it.
    from OssificationDetectorLib.detection.detect import Detector
    from OssificationDetectorLib.detection.orientation_probe import probe_path

    assert probe_path(result.output).is_file()
    assert Detector(result.output, device="cpu", threads=1).probe.model_sha256 == result.sha256
    with pytest.raises(TrainingError, match="give --init imagenet"):
        _config(sample_voc_dir, tmp_path / "r.pt", init=None, architecture="resnet50_fpn")
