"""A training run whose reader goes away (Slicer closed while it trained: cleanup() writes the stop file,
then the process that read its progress ends) stops at its stop file with its state saved, and the next
session finds the unfinished run and resumes it. Real processes, a real pipe whose reading end is closed."""
import json
import subprocess
import sys

from OssificationDetectorLib.training.training_job import FINISHED, TrainingJob, unfinished_jobs
from test_training_job import TIMEOUT, TINY, tiny_dataset  # noqa: F401  (the module-scoped fixture)


def test_a_run_that_loses_its_reader_saves_its_state_and_the_next_session_resumes_it(tiny_dataset, tmp_path):
    models = tmp_path / "models"
    job = TrainingJob(tiny_dataset, models / "lost.pt", python=sys.executable,
                      train_args=["--iterations", "12", *TINY], register_as="lost-reader")
    models.mkdir()
    job.write_job_file()
    process = subprocess.Popen(job.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=job.environment(), text=True)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("{") and json.loads(line).get("event") == "iteration":
            break
    stopped_at = json.loads(seen[-1])["iteration"]
    assert stopped_at < 12, "".join(seen)
    job.stop_file.write_text("stop\n")  # what cleanup() does at Slicer's exit
    process.stdout.close()  # ... and then Slicer is gone: nobody reads the progress lines any more
    assert process.wait(timeout=TIMEOUT) == 0, "the training died without its reader"
    assert job.state_file.is_file() and not job.output.exists()

    # The next session: the unfinished run is offered, and resuming it (with a stale stop file left
    # behind by the session that closed) continues from where it stopped.
    found = unfinished_jobs(models, python=sys.executable)
    assert [j.output for j in found] == [job.output] and found[0].can_resume
    resumed = found[0]
    assert resumed.register_as == "lost-reader" and resumed.train_args == job.train_args
    resumed.resume()
    events = resumed.wait(timeout=TIMEOUT)
    assert resumed.status == FINISHED, resumed.error
    first = next(e for e in events if e.get("event") == "resumed")
    assert first["iteration"] >= stopped_at
    assert resumed.output.is_file() and unfinished_jobs(models) == []
