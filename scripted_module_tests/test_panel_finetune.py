"""The Finetune section's behaviour (OssificationDetectorLib/panel/finetune_panel.py): the job's states
idle, running, cancelled, resumable, failed and finished with real training processes (tiny runs), what
is enabled in each, the texts, the progress bar and the report."""
import sys
import time
from dataclasses import astuple

import pytest

from OssificationDetectorLib.panel.finetune_panel import (
    CANCELLED, FINISHED, IDLE, PROGRESS_STEPS, RESUMABLE, RUNNING, FinetunePanel, Progress, progress_text,
    report_view,
)
from OssificationDetectorLib.training.training_job import FAILED, TrainingJob
from test_training_job import TIMEOUT, TINY, tiny_dataset  # noqa: F401  (the module-scoped fixture)


def _poll_until(panel, stop):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        progress = panel.poll()
        if stop(progress):
            return progress
        time.sleep(0.05)
    raise AssertionError(f"the training did not get there; log:\n{panel.job.log_path.read_text()}")


def test_idle_and_what_cannot_start(tmp_path):
    panel = FinetunePanel(python=sys.executable, models_folder=tmp_path)
    assert panel.state == IDLE and astuple(panel.controls()) == (True, False, False)
    assert panel.offer_unfinished() is None and panel.state == IDLE
    with pytest.raises(ValueError, match="Choose the dataset folder"):
        panel.start("  ", "name", "default", 1, "cpu")
    assert panel.cancel() is None and panel.poll() == Progress(ended=True)  # nothing to poll: the timer stops


def test_cancel_resume_in_a_new_session_and_finish(tiny_dataset, tmp_path):
    models = tmp_path / "models"
    panel = FinetunePanel(python=sys.executable, models_folder=models)
    panel.job = TrainingJob(tiny_dataset, models / "tiny.pt", python=sys.executable,
                            train_args=["--iterations", "6", *TINY], register_as="tiny-panel")
    panel.job.start()
    assert panel.state == RUNNING and astuple(panel.controls()) == (False, True, False)
    progress = _poll_until(panel, lambda p: p.value is not None)
    assert 0 < progress.value < PROGRESS_STEPS and progress.text.startswith("Epoch")
    panel.close()  # Slicer closes: the run stops at its next iteration
    progress = _poll_until(panel, lambda p: p.ended)
    assert panel.state == CANCELLED and astuple(panel.controls()) == (True, False, True)
    assert progress.status.startswith("Cancelled at iteration ") and "Resume continues" in progress.status

    later = FinetunePanel(python=sys.executable, models_folder=models)  # the next session
    assert later.offer_unfinished() == "The training of tiny-panel did not finish; Resume continues from its " \
                                       "last checkpoint."
    assert later.state == RESUMABLE and astuple(later.controls()) == (True, False, True)
    assert later.resume() == "Resuming tiny-panel from its last checkpoint."
    progress = _poll_until(later, lambda p: p.ended)
    assert later.state == FINISHED and astuple(later.controls()) == (True, False, False)
    assert progress.status.startswith("tiny-panel is trained and in the model list.")
    assert progress.registered == "tiny-panel" and progress.value == PROGRESS_STEPS
    markdown, plain = report_view(progress.report_folder)
    assert markdown.startswith("#") and plain is None


def test_a_failed_run_says_why(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    panel = FinetunePanel(python=sys.executable, models_folder=tmp_path)
    panel.job = TrainingJob(empty, tmp_path / "m.pt", train_args=["--iterations", "1", *TINY])
    panel.job.start()
    progress = _poll_until(panel, lambda p: p.ended)
    assert panel.state == FAILED and progress.status == "Training failed."
    assert "holds no annotations" in progress.error and astuple(panel.controls()) == (True, False, False)


def test_progress_text_and_a_report_without_validation(tmp_path):
    assert progress_text({"epoch": 3, "epochs": 20, "iteration": 45, "total": 300, "loss": 0.4123,
                          "val_map": 0.812, "eta": 240}) == \
        "Epoch 3/20, iteration 45/300, loss 0.412, validation mAP 0.81, about 4 min left"
    assert progress_text({"iteration": 1, "total": 2, "eta": 5}) == "iteration 1/2, about 1 min left"
    markdown, plain = report_view(tmp_path)
    assert markdown is None and plain.startswith("No validation report")
