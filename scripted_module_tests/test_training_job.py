"""Training in a background process through TrainingJob: real processes running the core's `train` command.

Tiny runs (two training radiographs, 128-192 px, one thread, random initial weights): they check the
process plumbing (progress, cancel, resume, failure, registration, report), not accuracy.
"""
import sys
import time

import pytest

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.annotations.dataset_store import import_dataset, training_file
from OssificationDetectorLib.training.training_job import CANCELLED, FAILED, FINISHED, RUNNING, TrainingJob, TrainingJobError

TINY = ["--device", "cpu", "--threads", "1", "--init", "none", "--min-size", "128", "--max-size", "192",
        "--batch-size", "1", "--warmup", "1", "--val-fraction", "0.34"]
TIMEOUT = 300


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    from conftest import SAMPLES

    folder = tmp_path_factory.mktemp("tiny-dataset")
    import_dataset(folder, SAMPLES / "ossification-voc", image_root=SAMPLES / "radiographs")
    return training_file(folder)


def _wait_for_iteration(job):
    deadline = time.monotonic() + TIMEOUT
    seen = []
    while time.monotonic() < deadline:
        seen += job.poll()
        if any(e.get("event") == "iteration" for e in seen) or job.status != RUNNING:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"no progress within {TIMEOUT} s; log:\n{job.log_path.read_text()}")


def test_cancelled_run_resumes_in_a_new_job_finishes_registers_and_detects(tiny_dataset, tmp_path):
    output = tmp_path / "models" / "tiny.pt"
    job = TrainingJob(tiny_dataset, output, python=sys.executable, train_args=["--iterations", "6", *TINY],
                      register_as="tiny-finetuned")
    job.start()
    assert job.status == RUNNING
    with pytest.raises(TrainingJobError):
        job.start()  # one process at a time
    events = _wait_for_iteration(job)
    job.cancel(grace_seconds=120)
    events += job.wait(timeout=TIMEOUT)
    assert job.status == CANCELLED, job.log_path.read_text()
    assert job.error is None and job.registered is None and not output.exists()
    cancelled = [e for e in events if e.get("event") == "cancelled"]
    assert cancelled and 1 <= cancelled[0]["iteration"] < 6
    assert job.can_resume and job.state_file.is_file() and not job.stop_file.exists()
    assert 0 < job.fraction_done < 1

    # Resumed by a new job object, as after restarting Slicer: the state file is all it needs.
    job = TrainingJob(tiny_dataset, output, python=sys.executable, train_args=["--iterations", "6", *TINY],
                      register_as="tiny-finetuned")
    assert job.can_resume
    job.resume()
    events = job.wait(timeout=TIMEOUT)
    assert job.status == FINISHED, job.error
    resumed = [e for e in events if e.get("event") == "resumed"]
    assert resumed and resumed[0]["iteration"] == cancelled[0]["iteration"]
    iterations = [e["iteration"] for e in events if e.get("event") == "iteration"]
    assert iterations == list(range(cancelled[0]["iteration"] + 1, 7))
    assert all(isinstance(e["loss"], float) for e in events if e.get("event") == "iteration")
    assert job.fraction_done == 1.0 and output.is_file() and not job.state_file.exists()
    assert (job.report_folder / "precision_recall.png").is_file() and (job.report_folder / "report.md").is_file()
    log = job.log_path.read_text()
    assert log.count("OssificationDetectorLib train") == 2 and "--resume" in log

    from OssificationDetectorLib.detection.detect import Detector
    from OssificationDetectorLib.model.registry import list_models, resolve_model

    assert job.registered["name"] == "tiny-finetuned"
    assert any(m["name"] == "tiny-finetuned" and m["source"] == "user" for m in list_models())
    path, sha256 = resolve_model("tiny-finetuned")
    assert path == output.resolve() and sha256 == job.registered["sha256"]
    from conftest import SAMPLES

    boxes = Detector("tiny-finetuned", device="cpu", threshold=0.0).detect(SAMPLES / "radiographs" / "4221.png")
    assert isinstance(boxes, list) and all(isinstance(b, Box) for b in boxes)


def test_a_run_that_fails_reports_why(tmp_path):
    not_a_dataset = tmp_path / "empty"
    not_a_dataset.mkdir()
    job = TrainingJob(not_a_dataset, tmp_path / "m.pt", train_args=["--iterations", "1", *TINY],
                      register_as="never")
    job.start()
    job.wait(timeout=TIMEOUT)
    assert job.status == FAILED and job.returncode == 2
    assert "holds no annotations" in job.error and str(job.log_path) in job.error
    assert not job.can_resume and job.registered is None
    with pytest.raises(TrainingJobError, match="no training state"):
        job.resume()


def test_a_python_that_does_not_exist_is_a_clear_error(tiny_dataset, tmp_path):
    job = TrainingJob(tiny_dataset, tmp_path / "m.pt", python=tmp_path / "no-python")
    with pytest.raises(TrainingJobError, match="could not start with .*no-python"):
        job.start()
    assert job.status == FAILED and not job.running and "no-python" in job.error


def test_missing_dataset_is_refused_before_starting(tmp_path):
    job = TrainingJob(tmp_path / "nowhere", tmp_path / "m.pt")
    with pytest.raises(FileNotFoundError, match="choose a dataset folder"):
        job.start()
    with pytest.raises(TrainingJobError, match="no training state"):
        job.resume()


def test_finetune_job_command_and_refusals(tiny_dataset, tmp_path):
    from OssificationDetectorLib.model.registry import register_user_model
    from OssificationDetectorLib.training.training_job import finetune_job

    job = finetune_job(tiny_dataset.parent, "My model", base="default", epochs=3, device="cpu",
                       python="/opt/Slicer/bin/PythonSlicer", models_folder=tmp_path)
    command = job.command()
    assert command[:5] == ["/opt/Slicer/bin/PythonSlicer", "-m", "OssificationDetectorLib", "train",
                           str(tiny_dataset.parent)]
    options = dict(zip(command[5::1], command[6::1]))
    assert options["--output"] == str(tmp_path / "My_model.pt") and options["--epochs"] == "3"
    assert options["--base"] == "default" and options["--device"] == "cpu" and options["--val-fraction"] == "0.0"
    assert options["--report"] == str(tmp_path / "My_model-report") and "--progress-json" in command
    assert job.register_as == "My_model" and "--init" not in command
    scratch = finetune_job(tiny_dataset, "fresh", base=None, models_folder=tmp_path)
    assert "--init" in scratch.command() and "--base" not in scratch.command()

    (tmp_path / "taken.pt").write_bytes(b"a model")
    with pytest.raises(TrainingJobError, match="exists already"):
        finetune_job(tiny_dataset, "taken", models_folder=tmp_path)
    model = tmp_path / "registered.pt"
    from OssificationDetectorLib.model.checkpoints import model_metadata, save_model
    from OssificationDetectorLib.model.architectures import build_model

    save_model(model, build_model(init="none", min_size=128, max_size=192),
               model_metadata("mobilenet_v2_fpn", 128, 192))
    register_user_model("registered", model)
    with pytest.raises(TrainingJobError, match="registered already"):
        finetune_job(tiny_dataset, "registered", models_folder=tmp_path / "other")

