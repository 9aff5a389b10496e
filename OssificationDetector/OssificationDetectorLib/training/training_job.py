"""Training in a background process, so that a user interface stays responsive while a model learns.

The process is the core's own command line (`python -m OssificationDetectorLib train ...`) run by a
given interpreter (inside Slicer: Slicer's PythonSlicer). It prints one JSON object a line on its
standard output for each progress step; a reader thread queues them and `poll()` hands them over
without blocking. Cancelling creates the stop file that the training loop checks between
iterations, so the last checkpoint is kept and the run can be resumed; a process that does not stop
within the grace time is terminated.

Each run leaves <output>.job.json beside its model (dataset, options, registry name), so that a run
that did not finish (cancelled, or its user interface closed while it ran: the process then stops at
its stop file, or goes on without its output pipe and saves its state) can be resumed by a later
session (unfinished_jobs).
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

NOT_STARTED = "not started"
RUNNING = "running"
FINISHED = "finished"
CANCELLED = "cancelled"
FAILED = "failed"

# The folder that holds the OssificationDetectorLib package, so the child process imports the
# same code whatever the interpreter's own paths are.
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def report_folder_for(model_path):
    """Where the validation report of a trained model is written: MODEL-report/ next to MODEL."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + "-report")


class TrainingJobError(RuntimeError):
    """A training job asked to do something its state does not allow."""


class TrainingJob:
    """One finetuning run of the detector in its own process, with progress, cancel and resume.

    dataset: a dataset folder or annotation file that `load_dataset` reads (VOC, COCO, YOLO).
    output: the model file to write; the log, the stop file, the training state and the report
    folder (report_folder_for) sit next to it.
    python: the interpreter that runs the core (sys.executable here, PythonSlicer inside Slicer).
    train_args: further options of the `train` command, e.g. ["--epochs", "5", "--device", "cpu",
    "--val-fraction", "0.2"]; the report needs validation images.
    register_as: the name under which a finished model is added to the user's model registry
    (None: not registered).
    env: variables added to the process's environment; base_env: the environment they are added to
    (default: this process's; inside Slicer, slicer.util.startupEnvironment(), without Slicer's own).
    """

    def __init__(self, dataset, output, python=None, train_args=(), register_as=None, env=None, base_env=None):
        self.dataset = Path(dataset)
        self.output = Path(output)
        self.python = str(python or sys.executable)
        self.train_args = [str(a) for a in train_args]
        self.register_as = register_as
        self.extra_env = dict(env or {})
        self.base_env = None if base_env is None else dict(base_env)
        self.log_path = self.output.with_name(self.output.name + ".log")
        self.stop_file = self.output.with_name(self.output.name + ".stop")
        self.state_file = self.output.with_name(self.output.name + ".train-state.pt")
        self.job_file = job_file_for(self.output)
        self.report_folder = report_folder_for(self.output)
        self.status = NOT_STARTED
        self.error = None  # the reason a run failed, for the user
        self.returncode = None
        self.last_progress = {}  # the latest progress event (epoch, loss, val mAP, ...)
        self.registered = None  # what the registry returned for the finished model
        self._process = None
        self._events = queue.Queue()
        self._reader = None
        self._log = None
        self._kill_at = None
        self._cancelled_event = False
        self._tail = []  # the last lines of output, to explain a failure

    # -- starting -----------------------------------------------------------------------------
    def command(self, resume=False):
        cmd = [self.python, "-m", "OssificationDetectorLib", "train", str(self.dataset),
               "--output", str(self.output), *self.train_args, "--report", str(self.report_folder),
               "--progress-json", "--stop-file", str(self.stop_file)]
        if resume:
            cmd.append("--resume")
        return cmd

    def start(self, resume=False):
        if self.status == RUNNING:
            raise TrainingJobError("This training is already running; cancel it before starting it again.")
        if not self.dataset.exists():
            raise FileNotFoundError(f"Training data set {self.dataset} does not exist: choose a dataset folder.")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if self.stop_file.exists():
            self.stop_file.unlink()  # a stop request of an earlier run must not stop this one
        self._cancelled_event = False
        self.status, self.error, self.returncode, self.registered = RUNNING, None, None, None
        self._kill_at = None
        self._tail = []
        self._events = queue.Queue()
        self.write_job_file()
        self._log = open(self.log_path, "a", encoding="utf-8")
        self._log.write(f"$ {' '.join(self.command(resume))}\n")
        self._log.flush()
        env = self.environment()
        flags = subprocess.CREATE_NO_WINDOW if sys.platform == "win32" else 0
        try:
            self._process = subprocess.Popen(
                self.command(resume), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, text=True, encoding="utf-8", errors="replace",
                bufsize=1, creationflags=flags,
            )
        except OSError as error:
            self._log.close()
            self._log = None
            self.status = FAILED
            self.error = (f"The training process could not start with {self.python} ({error}): "
                          "check the Python executable.")
            raise TrainingJobError(self.error) from error
        self._reader = threading.Thread(target=self._read_output, args=(self._process, self._events),
                                        name="training-output-reader", daemon=True)
        self._reader.start()

    def environment(self):
        """The training process's environment: base_env (or this process's) with env, unbuffered output and
        this Lib on the path."""
        env = dict(os.environ if self.base_env is None else self.base_env)
        env.update(self.extra_env)
        env["PYTHONUNBUFFERED"] = "1"  # progress lines must arrive as they are printed
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), env.get("PYTHONPATH")) if p)
        return env

    def write_job_file(self):
        """<output>.job.json: what a later session needs to resume this run."""
        spec = {"dataset": str(self.dataset), "output": str(self.output), "train_args": self.train_args,
                "register_as": self.register_as}
        self.job_file.write_text(json.dumps(spec, indent=1), encoding="utf-8")

    @classmethod
    def from_job_file(cls, job_file, python=None, base_env=None):
        """The job an earlier session started, from its <output>.job.json, to resume it."""
        spec = json.loads(Path(job_file).read_text(encoding="utf-8"))
        return cls(spec["dataset"], spec["output"], python=python, train_args=spec.get("train_args", ()),
                   register_as=spec.get("register_as"), base_env=base_env)

    def resume(self):
        """Continue a cancelled or failed run from its last checkpoint, into the same output (also a
        run of an earlier session: a new job with the same dataset, output and options)."""
        if self.status == RUNNING or self.status == FINISHED:
            raise TrainingJobError(f"Only a stopped training can be resumed; this one is {self.status}.")
        if not self.state_file.is_file():
            raise TrainingJobError(f"There is no training state ({self.state_file}) to resume from: start the "
                                   "training again instead.")
        self.start(resume=True)

    # -- while it runs ------------------------------------------------------------------------
    def _read_output(self, process, events):
        """Reader thread: log every line, queue the JSON progress lines."""
        for line in process.stdout:
            self._log.write(line)
            self._log.flush()
            text = line.strip()
            self._tail = (self._tail + [text])[-20:]
            if text.startswith("{"):
                try:
                    event = json.loads(text)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    events.put(event)
        process.stdout.close()

    def poll(self):
        """New progress events since the last call (never blocks); updates `status` when the process ends."""
        events = []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                break
        self._note(events)
        if self.status == RUNNING and self._process is not None:
            if self._kill_at is not None and time.monotonic() > self._kill_at and self._process.poll() is None:
                self._process.terminate()
                self._kill_at = None
            if self._process.poll() is not None:
                self._reader.join(timeout=5)
                events.extend(self._drain())
                self._finish(self._process.returncode)
        return events

    def _drain(self):
        rest = []
        while not self._events.empty():
            rest.append(self._events.get_nowait())
        self._note(rest)
        return rest

    def _note(self, events):
        for event in events:
            if event.get("event") == "cancelled":
                self._cancelled_event = True
            if event.get("event") in ("iteration", "epoch", "resumed", "finished"):
                self.last_progress = event

    def cancel(self, grace_seconds=60.0):
        """Ask the training to stop after its current iteration; terminate it if it has not after the grace time."""
        if self.status != RUNNING:
            return
        self.stop_file.write_text("stop\n", encoding="utf-8")
        self._kill_at = time.monotonic() + float(grace_seconds)

    def wait(self, timeout=None, interval=0.2):
        """Block until the process ends (for scripts and tests); returns all progress events seen meanwhile."""
        deadline = None if timeout is None else time.monotonic() + timeout
        events = []
        while self.status == RUNNING:
            events.extend(self.poll())
            if self.status != RUNNING:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"Training did not end within {timeout} s; see {self.log_path}.")
            time.sleep(interval)
        return events

    @property
    def running(self):
        return self.status == RUNNING

    @property
    def can_resume(self):
        """A stopped run whose training state (saved each epoch and on cancel) is on disk."""
        return self.status in (NOT_STARTED, CANCELLED, FAILED) and self.state_file.is_file()

    @property
    def fraction_done(self):
        """0..1 from the latest iteration event (0 before the first one)."""
        total = self.last_progress.get("total") or 0
        return min(1.0, self.last_progress.get("iteration", 0) / total) if total else 0.0

    # -- the end --------------------------------------------------------------------------------
    def _finish(self, returncode):
        self.returncode = returncode
        stop_requested = self.stop_file.exists()
        if stop_requested:
            self.stop_file.unlink()
        if self._log is not None:
            self._log.write(f"[exit code {returncode}]\n")
            self._log.close()
            self._log = None
        finished = returncode == 0 and self.last_progress.get("event") == "finished"
        if self._cancelled_event or (stop_requested and not finished):
            self.status = CANCELLED  # stopped at a checkpoint, or terminated after the grace time
        elif finished:
            self.status = FINISHED  # also when the stop came after the last iteration
            try:
                self._register()
            except Exception as error:  # the model is on disk; say why it is not in the list
                self.status = FAILED
                self.error = f"The model was trained ({self.output}) but could not be registered: {error}"
        else:
            self.status = FAILED
            self.error = self._failure_message(returncode)

    def _failure_message(self, returncode):
        lines = [t for t in self._tail if t]
        reason = next((t for t in reversed(lines) if "Error" in t or "error" in t), lines[-1] if lines else "")
        return f"Training stopped with exit code {returncode}: {reason} (full log: {self.log_path})"

    def _register(self):
        if self.register_as is None:
            return
        from ..model.registry import register_user_model
        self.registered = register_user_model(self.register_as, self.output)


def job_file_for(model_path):
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + ".job.json")


def unfinished_jobs(models_folder, python=None, base_env=None):
    """Runs in models_folder that saved a training state and wrote no model: each as a TrainingJob that
    can resume (newest first). A job file that cannot be read is left out (it is the user's to delete)."""
    jobs = []
    for job_file in Path(models_folder).glob("*.job.json"):
        try:
            job = TrainingJob.from_job_file(job_file, python=python, base_env=base_env)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if job.can_resume and not job.output.exists():
            jobs.append(job)
    return sorted(jobs, key=lambda job: job.state_file.stat().st_mtime, reverse=True)


def user_models_folder():
    """Where models trained from the panel are written: <user home of the registry>/models."""
    from ..model.registry import user_home

    return user_home() / "models"


def finetune_job(dataset, name, base="default", epochs=20, device="auto", python=None, base_env=None,
                 models_folder=None, val_fraction=None):
    """The TrainingJob that finetunes `base` (a registered model name or file; None: a new detector on
    ImageNet backbone weights) on a dataset, writing <models folder>/<name>.pt and registering it as `name`.

    A validation fraction of 0.2 (for the report) is used when the dataset has 5 images or more.
    Refuses a name that is registered already or whose file exists, so no model is replaced.
    """
    from ..annotations.dataset_store import safe_name
    from ..annotations.datasets import load_dataset
    from ..model.registry import list_models

    name = safe_name(name)
    if any(entry["name"] == name for entry in list_models()):
        raise TrainingJobError(f"A model named {name!r} is registered already: choose another name.")
    output = Path(models_folder or user_models_folder()) / f"{name}.pt"
    if output.exists():
        raise TrainingJobError(f"{output} exists already: choose another model name.")
    images = len(load_dataset(dataset).images)  # a clear error now rather than in the log later
    if images < 2:
        raise TrainingJobError(f"{dataset} holds {images} annotated radiograph(s): annotate at least two to train.")
    if val_fraction is None:
        val_fraction = 0.2 if images >= 5 else 0.0
    args = ["--epochs", int(epochs), "--device", device, "--val-fraction", val_fraction, "--name", name]
    args += ["--base", base] if base else ["--init", "imagenet"]
    return TrainingJob(dataset, output, python=python, train_args=args, register_as=name, base_env=base_env)
