"""The Finetune section of the panel: train a model on an annotated dataset without leaving Slicer.

Widgets bound to the Lib's FinetunePanel, which holds the training job and its states (tested with real
training processes). Training runs in a background process (Slicer's PythonSlicer running the core's
`train` command), so the panel stays responsive: a timer polls its progress. A run that an earlier
session left unfinished (Slicer closed while it trained) is offered for Resume.
"""
import shutil
import time
from pathlib import Path

import ctk
import qt
import slicer
from slicer.i18n import tr as _

from OssificationDetectorLib.panel.finetune_panel import PROGRESS_STEPS, FinetunePanel, report_view

from OssificationDetectorGui.detect_section import modelNamesOrErrorDisplay
from OssificationDetectorGui.panel_section import DATASET_SETTING, PanelSection

POLL_MILLISECONDS = 500


def slicerPython():
    """Slicer's own Python launcher (PythonSlicer), which sees the packages installed in Slicer."""
    python = shutil.which("PythonSlicer")
    if not python:
        raise RuntimeError("Slicer's PythonSlicer executable was not found next to Slicer, so training cannot "
                           "start; reinstall Slicer or start training from the command line.")
    return python


def _ensureTorch():
    from OssificationDetectorGui.torch_setup import ensureTorch

    ensureTorch()


class FinetuneSection(PanelSection):
    """Connects the Finetune widgets; modelsChanged(name) tells the panel a new model is registered."""

    def __init__(self, ui, logic, parameters, modelsChanged=None):
        PanelSection.__init__(self, ui, ui.finetuneCollapsibleButton, "FinetuneSection.ui", logic, parameters)
        self.modelsChanged = modelsChanged
        self.panel = FinetunePanel(python=slicerPython, base_env=slicer.util.startupEnvironment(),
                                   ensure_torch=_ensureTorch)
        self.timer = qt.QTimer()
        self.timer.setInterval(POLL_MILLISECONDS)
        self.timer.connect("timeout()", self.onTimer)
        self.ui.trainDatasetPathLineEdit.filters = ctk.ctkPathLineEdit.Dirs
        self.ui.trainDatasetPathLineEdit.currentPath = qt.QSettings().value(DATASET_SETTING, "")
        self.ui.trainDeviceComboBox.addItems(["auto", "cpu", "cuda"])
        self.ui.newModelNameLineEdit.text = time.strftime("finetuned-%Y%m%d-%H%M")
        self.ui.trainingProgressBar.setRange(0, PROGRESS_STEPS)
        self.ui.trainingProgressBar.value = 0
        self.ui.trainButton.connect("clicked(bool)", self.onTrainButton)
        self.ui.cancelTrainingButton.connect("clicked(bool)", lambda: self.act(_("Cancel failed."), self.panel.cancel))
        self.ui.resumeTrainingButton.connect("clicked(bool)", lambda: self.act(
            _("Training could not be resumed."), self.panel.resume, startTimer=True))
        self.ui.refreshBaseModelsButton.connect("clicked(bool)", self.populateBaseModels)
        self.populateBaseModels()
        self.act(_("The unfinished training could not be read."), self.panel.offer_unfinished)

    def cleanup(self):
        """Slicer is closing or the module reloads: training stops at its next iteration, resumable."""
        self.timer.stop()
        self.panel.close()

    def updateFromParameterNode(self, caller=None, event=None):
        pass  # the Finetune choices are its own, not the parameter node's

    def act(self, failure, action, *args, startTimer=False):
        with slicer.util.tryWithErrorDisplay(failure, waitCursor=True):
            self.setStatus(action(*args))
            if startTimer:
                self.timer.start()
        self.updateButtons()

    def setStatus(self, text):
        if text is not None:  # None: nothing to say
            self.ui.trainingStatusLabel.text = text

    def updateButtons(self):
        controls = self.panel.controls()
        self.ui.trainButton.enabled = controls.train
        self.ui.cancelTrainingButton.enabled = controls.cancel
        self.ui.resumeTrainingButton.enabled = controls.resume

    def populateBaseModels(self):
        """Registered models to finetune, and a new detector on ImageNet backbone weights."""
        combo = self.ui.baseModelComboBox
        current = combo.currentData
        combo.clear()
        for name in modelNamesOrErrorDisplay(self.logic):
            combo.addItem(name, name)
        combo.addItem(_("none: a new detector from ImageNet backbone weights"), "")
        combo.currentIndex = max(0, combo.findData(current if current is not None else "default"))

    def onTrainButton(self):
        self.ui.reportBrowser.clear()
        self.ui.trainingProgressBar.value = 0
        self.act(_("Training could not start."), self.panel.start, self.ui.trainDatasetPathLineEdit.currentPath,
                 self.ui.newModelNameLineEdit.text, self.ui.baseModelComboBox.currentData, self.ui.epochsSpinBox.value,
                 self.ui.trainDeviceComboBox.currentText, startTimer=True)

    def onTimer(self):
        progress = self.panel.poll()
        if progress.value is not None:
            self.ui.trainingProgressBar.value = progress.value
            self.ui.trainingProgressBar.setFormat(progress.text or "%p%")
        if progress.ended:
            self.timer.stop()
            self.onTrainingEnded(progress)
        self.updateButtons()

    def onTrainingEnded(self, progress):
        self.setStatus(progress.status)
        if progress.error:
            slicer.util.errorDisplay(progress.error, windowTitle=_("Training failed"))
        if progress.registered:
            self.populateBaseModels()
            if self.modelsChanged is not None:
                self.modelsChanged(progress.registered)
        if progress.report_folder:
            self.showReport(progress.report_folder)

    def showReport(self, folder):
        """The validation report: the Markdown tables with the precision-recall plot beside them."""
        markdown, plain = report_view(folder)
        browser = self.ui.reportBrowser
        browser.setSearchPaths([str(Path(folder))])  # report.md shows precision_recall.png by its file name
        if markdown is not None:
            browser.setMarkdown(markdown)
        else:
            browser.setPlainText(plain)
