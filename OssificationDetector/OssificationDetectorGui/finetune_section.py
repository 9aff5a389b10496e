"""The Finetune section of the panel: train a model on an annotated dataset without leaving Slicer.

Training runs in a background process (Slicer's PythonSlicer running the core's `train` command,
through the Lib's TrainingJob), so the panel stays responsive: a timer polls its progress. The
finished model is registered in the user's models, appears in the model selector, and its
validation report (per-class AP, centre-criterion F1, precision-recall plot) is shown here.
"""
import shutil
import time
from pathlib import Path

import qt
import slicer
from slicer.i18n import tr as _

from OssificationDetectorLib.training.training_job import CANCELLED, FAILED, FINISHED, report_folder_for

from OssificationDetectorGui.detect_section import modelNamesOrErrorDisplay
from OssificationDetectorGui.panel_section import DATASET_SETTING, PanelSection

POLL_MILLISECONDS = 500
CANCEL_GRACE_SECONDS = 120  # a CPU iteration on a large radiograph can take a while
PROGRESS_STEPS = 1000


def slicerPython():
    """Slicer's own Python launcher (PythonSlicer), which sees the packages installed in Slicer."""
    python = shutil.which("PythonSlicer")
    if not python:
        raise RuntimeError("Slicer's PythonSlicer executable was not found next to Slicer, so training cannot "
                           "start; reinstall Slicer or start training from the command line.")
    return python


def progressText(event):
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


class FinetuneSection(PanelSection):
    """Connects the Finetune widgets; modelsChanged(name) tells the panel a new model is registered."""

    def __init__(self, ui, logic, parameters, modelsChanged=None):
        PanelSection.__init__(self, ui, ui.finetuneCollapsibleButton, "FinetuneSection.ui", logic, parameters)
        self.modelsChanged = modelsChanged
        self.job = None
        self.timer = qt.QTimer()
        self.timer.setInterval(POLL_MILLISECONDS)
        self.timer.connect("timeout()", self.onTimer)
        import ctk

        self.ui.trainDatasetPathLineEdit.filters = ctk.ctkPathLineEdit.Dirs
        self.ui.trainDatasetPathLineEdit.currentPath = qt.QSettings().value(DATASET_SETTING, "")
        for device in ("auto", "cpu", "cuda"):
            self.ui.trainDeviceComboBox.addItem(device)
        self.ui.newModelNameLineEdit.text = time.strftime("finetuned-%Y%m%d-%H%M")
        self.ui.trainingProgressBar.setRange(0, PROGRESS_STEPS)
        self.ui.trainingProgressBar.value = 0
        self.ui.trainButton.connect("clicked(bool)", self.onTrainButton)
        self.ui.cancelTrainingButton.connect("clicked(bool)", self.onCancelButton)
        self.ui.resumeTrainingButton.connect("clicked(bool)", self.onResumeButton)
        self.ui.refreshBaseModelsButton.connect("clicked(bool)", self.populateBaseModels)
        self.populateBaseModels()
        self.updateButtons()

    def cleanup(self):
        """Slicer is closing or the module reloads: stop training at its next checkpoint (resumable)."""
        self.timer.stop()
        if self.job is not None and self.job.running:
            self.job.cancel(grace_seconds=CANCEL_GRACE_SECONDS)

    def updateFromParameterNode(self, caller=None, event=None):
        pass  # the Finetune choices are its own, not the parameter node's

    def setStatus(self, text):
        self.ui.trainingStatusLabel.text = text

    def updateButtons(self):
        running = self.job is not None and self.job.running
        self.ui.trainButton.enabled = not running
        self.ui.cancelTrainingButton.enabled = running
        self.ui.resumeTrainingButton.enabled = self.job is not None and self.job.can_resume

    def populateBaseModels(self):
        """Registered models to finetune, and a new detector on ImageNet backbone weights."""
        combo = self.ui.baseModelComboBox
        current = combo.currentData
        combo.clear()
        for name in modelNamesOrErrorDisplay(self.logic):
            combo.addItem(name, name)
        combo.addItem(_("none: a new detector from ImageNet backbone weights"), "")
        index = combo.findData(current if current is not None else "default")
        combo.currentIndex = max(0, index)

    # ------------------------------------------------------------------ actions

    def onTrainButton(self):
        from OssificationDetectorLib.training.training_job import finetune_job

        with slicer.util.tryWithErrorDisplay(_("Training could not start."), waitCursor=True):
            from OssificationDetectorGui.torch_setup import ensureTorch

            dataset = self.ui.trainDatasetPathLineEdit.currentPath.strip()
            if not dataset:  # Path("") would be Slicer's working folder
                raise ValueError(_("Choose the dataset folder to train on: the Annotate section's, or a Pascal VOC, "
                                   "COCO or YOLO dataset."))
            ensureTorch()  # the training process uses the torch installed in Slicer
            job = finetune_job(
                dataset, self.ui.newModelNameLineEdit.text,
                base=self.ui.baseModelComboBox.currentData or None, epochs=self.ui.epochsSpinBox.value,
                device=self.ui.trainDeviceComboBox.currentText, python=slicerPython(),
                base_env=slicer.util.startupEnvironment())
            job.start()
            self.job = job
            self.ui.reportBrowser.clear()
            self.ui.trainingProgressBar.value = 0
            self.setStatus(_("Training {name} in the background (log: {log}).").format(name=job.register_as,
                                                                                      log=job.log_path))
            self.timer.start()
        self.updateButtons()

    def onCancelButton(self):
        if self.job is not None and self.job.running:
            self.job.cancel(grace_seconds=CANCEL_GRACE_SECONDS)
            self.setStatus(_("Stopping after the current iteration; the training can then be resumed."))
        self.updateButtons()

    def onResumeButton(self):
        with slicer.util.tryWithErrorDisplay(_("Training could not be resumed.")):
            self.job.resume()
            self.setStatus(_("Resuming {name} from its last checkpoint.").format(name=self.job.register_as))
            self.timer.start()
        self.updateButtons()

    def onTimer(self):
        job = self.job
        if job is None:
            self.timer.stop()
            return
        job.poll()
        if job.last_progress:
            self.ui.trainingProgressBar.value = int(round(job.fraction_done * PROGRESS_STEPS))
            self.ui.trainingProgressBar.setFormat(progressText(job.last_progress) or "%p%")
        if not job.running:
            self.timer.stop()
            self.onTrainingEnded(job)
        self.updateButtons()

    def onTrainingEnded(self, job):
        if job.status == FINISHED:
            name = job.register_as
            mean_ap = job.last_progress.get("val_map")
            summary = "" if mean_ap is None else _(" Validation mAP@0.5: {value:.3f}.").format(value=mean_ap)
            self.setStatus(_("{name} is trained and in the model list.").format(name=name) + summary)
            self.populateBaseModels()
            if self.modelsChanged is not None:
                self.modelsChanged(name)
            self.showReport(report_folder_for(job.output))
        elif job.status == CANCELLED:
            progress = job.last_progress
            self.setStatus(_("Cancelled at iteration {i} of {total}; Resume continues from the last "
                             "checkpoint.").format(i=progress.get("iteration", 0), total=progress.get("total", "?")))
        elif job.status == FAILED:
            self.setStatus(_("Training failed."))
            slicer.util.errorDisplay(job.error, windowTitle=_("Training failed"))

    def showReport(self, folder):
        """The validation report: the Markdown tables with the precision-recall plot beside them."""
        folder = Path(folder)
        browser = self.ui.reportBrowser
        markdown = folder / "report.md"
        if not markdown.is_file():
            browser.setPlainText(_("No validation report: the dataset has fewer than 5 radiographs, so none was "
                                   "kept aside for validation."))
            return
        browser.setSearchPaths([str(folder)])  # report.md shows precision_recall.png by its file name
        text = markdown.read_text(encoding="utf-8")
        if hasattr(browser, "setMarkdown"):
            browser.setMarkdown(text)
        else:
            browser.setHtml(f"<pre>{text}</pre><img src='precision_recall.png'>")
