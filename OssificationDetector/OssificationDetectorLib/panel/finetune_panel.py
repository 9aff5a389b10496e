"""The Finetune section's behaviour: the training job's states (idle, running, cancelled, failed,
finished, resumable), what is enabled in each, the texts, the progress bar and the report. The Qt
section (OssificationDetectorGui/finetune_section.py) binds widgets to it and polls it on a timer."""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..training import training_job
from ..training.training_job import CANCELLED, FINISHED, NOT_STARTED, RUNNING
from .texts import tr as _

IDLE, RESUMABLE = "idle", "resumable"
CANCEL_GRACE_SECONDS = 120  # a CPU iteration on a large radiograph can take a while
PROGRESS_STEPS = 1000


@dataclass(frozen=True)
class FinetuneControls:
    train: bool
    cancel: bool
    resume: bool


@dataclass(frozen=True)
class Progress:
    """What a poll shows: the bar (0..PROGRESS_STEPS, None: unchanged) and its text; ended: nothing more to
    poll (when the run ended in this poll, status, and error for a failure, say how)."""

    value: Optional[int] = None
    text: str = ""
    ended: bool = False
    status: Optional[str] = None
    error: Optional[str] = None
    registered: Optional[str] = None  # the name of a model that joined the list
    report_folder: Optional[Path] = None


def progress_text(event):
    """'Epoch 3/20, iteration 45/300, loss 0.412, validation mAP 0.81, about 4 min left'."""
    parts = []
    if event.get("epoch"):
        parts.append(_("Epoch {epoch}/{epochs}").format(epoch=event["epoch"], epochs=event.get("epochs", "?")))
    if event.get("total"):
        parts.append(_("iteration {i}/{total}").format(i=event.get("iteration", 0), total=event["total"]))
    if event.get("loss") is not None:
        parts.append(_("loss {loss:.3f}").format(loss=event["loss"]))
    if event.get("val_map") is not None:
        parts.append(_("validation mAP {value:.2f}").format(value=event["val_map"]))
    if event.get("eta"):
        parts.append(_("about {minutes:.0f} min left").format(minutes=max(1.0, event["eta"] / 60.0)))
    return ", ".join(parts)


def report_view(folder):
    """(markdown text or None, plain text or None) of a trained model's validation report."""
    markdown = Path(folder) / "report.md"
    if not markdown.is_file():
        return None, _("No validation report: the dataset has fewer than 5 radiographs, so none was kept aside "
                       "for validation.")
    return markdown.read_text(encoding="utf-8"), None


class FinetunePanel:
    """python: the interpreter that trains, or a function that finds it (inside Slicer: PythonSlicer);
    base_env: its environment;
    ensure_torch(): makes torch importable first (PyTorchUtils); models_folder: where models are written
    (the user's models folder by default)."""

    def __init__(self, python=None, base_env=None, ensure_torch=None, models_folder=None):
        self.python, self.base_env, self.ensure_torch = python, base_env, ensure_torch
        self.models_folder = models_folder
        self.job = None

    def interpreter(self):
        return self.python() if callable(self.python) else self.python

    def folder(self):
        return Path(self.models_folder) if self.models_folder else training_job.user_models_folder()

    @property
    def state(self):
        """idle; running; cancelled, failed or finished (this session's run); resumable (an earlier
        session's run that did not finish)."""
        job = self.job
        if job is None or job.status == NOT_STARTED:
            return RESUMABLE if job is not None and job.can_resume else IDLE
        return job.status

    def controls(self):
        running = self.state == RUNNING
        return FinetuneControls(train=not running, cancel=running,
                                resume=self.job is not None and not running and self.job.can_resume)

    # ---------------------------------------------------------------- what the buttons do

    def offer_unfinished(self):
        """A run of an earlier session that did not finish becomes the job, to resume: its status line, or None."""
        if self.job is not None:
            return None
        jobs = training_job.unfinished_jobs(self.folder(), base_env=self.base_env)
        if not jobs:
            return None
        self.job = jobs[0]
        return _("The training of {name} did not finish; Resume continues from its last checkpoint.").format(
            name=self.job.register_as or self.job.output.stem)

    def start(self, dataset, name, base, epochs, device):
        """Start finetuning `base` (a model name; None: a new detector) on a dataset folder. The status line."""
        dataset = (dataset or "").strip()
        if not dataset:  # Path("") would be Slicer's working folder
            raise ValueError(_("Choose the dataset folder to train on: the Annotate section's, or a Pascal VOC, "
                               "COCO or YOLO dataset."))
        if self.ensure_torch is not None:
            self.ensure_torch()  # the training process uses the torch installed in Slicer
        job = training_job.finetune_job(dataset, name, base=base or None, epochs=epochs, device=device,
                                        python=self.interpreter(), base_env=self.base_env,
                                        models_folder=self.models_folder)
        job.start()
        self.job = job
        return _("Training {name} in the background (log: {log}).").format(name=job.register_as, log=job.log_path)

    def cancel(self):
        if self.state != RUNNING:
            return None
        self.job.cancel(grace_seconds=CANCEL_GRACE_SECONDS)
        return _("Stopping after the current iteration; the training can then be resumed.")

    def resume(self):
        self.job.python = str(self.interpreter() or self.job.python)
        self.job.resume()
        return _("Resuming {name} from its last checkpoint.").format(name=self.job.register_as)

    def close(self):
        """The panel goes away (Slicer exits, the module reloads): a running training stops at its next
        iteration with its state saved; the next session offers to resume it."""
        self.cancel()

    # ---------------------------------------------------------------- while it runs

    def poll(self):
        """New progress of the running job (never blocks)."""
        job = self.job
        if job is None or job.status != RUNNING:
            return Progress(ended=True)
        job.poll()
        value = int(round(job.fraction_done * PROGRESS_STEPS)) if job.last_progress else None
        text = progress_text(job.last_progress) if job.last_progress else ""
        if job.status == RUNNING:
            return Progress(value, text)
        return self._ended(job, value, text)

    def _ended(self, job, value, text):
        progress = job.last_progress
        if job.status == FINISHED:
            mean_ap = progress.get("val_map")
            summary = "" if mean_ap is None else _(" Validation mAP@0.5: {value:.3f}.").format(value=mean_ap)
            status = _("{name} is trained and in the model list.").format(name=job.register_as) + summary
            return Progress(value, text, True, status, registered=job.register_as,
                            report_folder=training_job.report_folder_for(job.output))
        if job.status == CANCELLED:
            status = _("Cancelled at iteration {i} of {total}; Resume continues from the last checkpoint.").format(
                i=progress.get("iteration", 0), total=progress.get("total", "?"))
            return Progress(value, text, True, status)
        return Progress(value, text, True, _("Training failed."), error=job.error)
