"""Rule: training state is never lost or misused, and a finished model is never overwritten by a run the
user did not mean. The command in a real subprocess, a real (small) training run."""
import json
import os
import signal
import subprocess
import sys

import pytest

from cli_run import assert_one_line_error, run_cli
from OssificationDetectorLib.model.registry import register_user_model, resolve_model

SMALL = ("--init", "none", "--batch-size", "1", "--min-size", "160", "--max-size", "192", "--warmup", "1",
         "--eval-every", "0", "--device", "cpu", "--threads", "1", "--quiet")


def _train(voc, output, *extra, iterations=2):
    return run_cli("train", voc, "--output", output, "--iterations", iterations, *SMALL, *extra)


def test_resume_without_state_is_an_error_and_trains_nothing(sample_voc_dir, tmp_path):
    output = tmp_path / "m.pt"
    ran = _train(sample_voc_dir, output, "--resume")
    assert_one_line_error(ran, "Nothing to resume")
    assert not output.exists()


def test_a_new_run_over_a_saved_state_needs_resume_or_restart(sample_voc_dir, tmp_path):
    output = tmp_path / "m.pt"
    ran = run_cli("train", sample_voc_dir, "--output", output, "--iterations", 6, "--stop-file", tmp_path,
                  *SMALL)  # the stop file exists from the start: stops after the first iteration
    assert ran.code == 0
    state = tmp_path / "m.pt.train-state.pt"
    saved = state.read_bytes()
    assert_one_line_error(_train(sample_voc_dir, output, iterations=6), "unfinished run", "--resume", "--restart")
    assert state.read_bytes() == saved and not output.exists()
    assert _train(sample_voc_dir, output, "--restart").code == 0
    assert output.is_file() and not state.exists()


def test_a_finished_model_is_replaced_only_with_overwrite(sample_voc_dir, tmp_path):
    output = tmp_path / "m.pt"
    assert _train(sample_voc_dir, output).code == 0
    before = output.read_bytes()
    assert_one_line_error(_train(sample_voc_dir, output), "exists", "--overwrite")
    assert output.read_bytes() == before
    assert _train(sample_voc_dir, output, "--overwrite", "--seed", "5").code == 0
    assert output.read_bytes() != before


def test_training_onto_a_registered_models_file_keeps_that_name_working(sample_voc_dir, tmp_path, tiny_model_file):
    output = tmp_path / "mine.pt"
    output.write_bytes(tiny_model_file[0].read_bytes())
    register_user_model("mine", output)
    assert_one_line_error(_train(sample_voc_dir, output), "registered model 'mine'", "--overwrite")
    assert_one_line_error(_train(sample_voc_dir, tmp_path / "other.pt", "--register", "mine"), "registered already")
    assert not (tmp_path / "other.pt").exists()  # refused before training
    assert _train(sample_voc_dir, output, "--overwrite").code == 0
    path, sha256 = resolve_model("mine")  # the registry follows the file it was asked to replace
    from OssificationDetectorLib.model.checkpoints import file_sha256, read_model_file

    assert sha256 == file_sha256(output) and read_model_file(path, sha256)[1]["architecture"]


def test_a_bundled_models_file_is_never_a_training_output(sample_voc_dir, tmp_path):
    path, _ = resolve_model("default")
    before = os.stat(path).st_mtime_ns
    assert_one_line_error(_train(sample_voc_dir, path, "--overwrite"), "bundled model's file")
    assert os.stat(path).st_mtime_ns == before


def test_ctrl_c_saves_a_state_that_resume_continues(sample_voc_dir, tmp_path):
    output = tmp_path / "m.pt"
    command = [sys.executable, "-m", "OssificationDetectorLib", "train", str(sample_voc_dir), "--output", str(output),
               "--iterations", "40", *SMALL[:-1], "--progress-json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, OMP_NUM_THREADS="1"))
    for line in process.stdout:  # the first finished iteration: then Ctrl-C
        if json.loads(line).get("event") == "iteration":
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "--resume" in err  # with --progress-json, messages go to stderr
    state = tmp_path / "m.pt.train-state.pt"
    assert state.is_file() and not output.exists()
    stopped_at = [json.loads(line) for line in out.splitlines() if line.startswith("{")][-1]["iteration"]
    resumed = run_cli("train", sample_voc_dir, "--output", output, "--iterations", 40, *SMALL[:-1],
                      "--progress-json", "--resume", "--stop-file", tmp_path)
    events = [json.loads(line) for line in resumed.out.splitlines() if line.startswith("{")]
    assert events[0] == {"event": "resumed", "iteration": stopped_at, "total": 40, "state_file": str(state)}


@pytest.mark.parametrize("lr", ["nan", "inf", "-1"])
def test_a_nan_learning_rate_is_refused_before_training(sample_voc_dir, tmp_path, lr):
    ran = _train(sample_voc_dir, tmp_path / "m.pt", "--lr", lr)
    assert_one_line_error(ran, "--lr")
    assert not (tmp_path / "m.pt").exists()
