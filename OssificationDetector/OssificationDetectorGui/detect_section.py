"""The Detect and Review sections of the panel: widgets bound to the Lib's DetectPanel, which decides
what is enabled, what each button does and what the status line says (tested on real MRML).
Input volume, device and threshold are bound to the parameter node by their SlicerParameterName;
the model list changes at run time, so it is kept in sync here.
"""
import qt
import slicer
from slicer.i18n import tr as _

from OssificationDetectorLib.mrml.bridge import REVIEW_ACCEPTED, REVIEW_PENDING, REVIEW_REJECTED
from OssificationDetectorLib.panel.detect_panel import RESULT_COLUMNS, DetectPanel
from OssificationDetectorLib.panel.table_rows import nodes_of, roi_centre

from OssificationDetectorGui.table_binding import fillTable, rowNode, selectedIds, setUpTable


class DetectSection:
    """Connects the Detect/Review widgets to a DetectPanel; `parameters` returns the parameter node."""

    def __init__(self, ui, logic, parameters):
        self.ui = ui
        self.logic = logic
        self.panel = DetectPanel(logic, parameters)
        self.editObservations = []
        setUpTable(ui.resultsTable, RESULT_COLUMNS, selectRows=True)
        ui.detectButton.connect("clicked(bool)", self.onDetectButton)
        ui.acceptButton.connect("clicked(bool)", lambda: self.onReviewButton(REVIEW_ACCEPTED))
        ui.rejectButton.connect("clicked(bool)", lambda: self.onReviewButton(REVIEW_REJECTED))
        ui.resetReviewButton.connect("clicked(bool)", lambda: self.onReviewButton(REVIEW_PENDING))
        ui.clearButton.connect("clicked(bool)", lambda: self.run(_("Clearing failed."), self.panel.clear))
        ui.exportButton.connect("clicked(bool)", self.onExportButton)
        ui.refreshModelsButton.connect("clicked(bool)", self.populateModels)
        ui.resultsTable.connect("cellClicked(int,int)", self.onResultClicked)
        ui.resultsTable.connect("itemSelectionChanged()", self.updateButtons)
        ui.modelComboBox.connect("currentIndexChanged(int)", self.onModelChanged)
        ui.thresholdSliderWidget.connect("valueChanged(double)", self.onThresholdChanged)
        self.populateModels()

    def setStatus(self, text):
        if text is not None:  # None: nothing to say
            self.ui.statusLabel.text = text
            slicer.app.processEvents()  # shown before a long detection starts

    def run(self, failure, action, *args):
        """An action of the panel: its status line shown, an error shown as a dialog, the table refreshed."""
        with slicer.util.tryWithErrorDisplay(failure, waitCursor=True):
            self.setStatus(action(*args))
        self.refreshResults()

    def updateFromParameterNode(self, caller=None, event=None):
        self.selectModel()
        self.refreshResults()

    def updateButtons(self):
        controls = self.panel.controls(self.ui.modelComboBox.count, self.selectedIds())
        self.ui.detectButton.enabled = controls.detect
        self.ui.detectButton.toolTip = controls.detect_tooltip
        for button in (self.ui.acceptButton, self.ui.rejectButton, self.ui.resetReviewButton):
            button.enabled = controls.review
        self.ui.clearButton.enabled = controls.clear
        self.ui.exportButton.enabled = controls.export

    def populateModels(self):
        """The registered models: the bundled ones (models.json) and the user's trained ones."""
        combo = self.ui.modelComboBox
        wasBlocked = combo.blockSignals(True)
        combo.clear()
        combo.addItems(modelNamesOrErrorDisplay(self.logic))
        combo.blockSignals(wasBlocked)
        self.selectModel()
        self.updateButtons()

    def selectModel(self):
        names = [self.ui.modelComboBox.itemText(i) for i in range(self.ui.modelComboBox.count)]
        choice = self.panel.model_choice(names)
        self.ui.modelComboBox.currentIndex = choice.index
        self.setStatus(choice.status)

    def onModelChanged(self, index):
        self.panel.choose_model(self.ui.modelComboBox.itemText(index))

    def onDetectButton(self):
        self.setStatus(self.panel.detecting_status())
        with slicer.util.tryWithErrorDisplay(_("Detection failed."), waitCursor=True):
            self.setStatus(self.panel.detect())
            slicer.util.setSliceViewerLayers(background=self.panel.volume(), fit=True)
        self.refreshResults()

    def onThresholdChanged(self, value):
        self.setStatus(self.panel.threshold_changed(value))  # no dialog or wait cursor while the slider moves
        self.refreshResults()

    def onReviewButton(self, state):
        self.run(_("Review failed."), self.panel.review, self.selectedIds(), state)

    def onExportButton(self):
        folder = qt.QFileDialog.getExistingDirectory(slicer.util.mainWindow(), _("Export the accepted boxes to"))
        self.run(_("Export failed."), self.panel.export, folder)

    def onResultClicked(self, row, column):
        jumpTo(roi_centre(self.nodeOfRow(row)))

    def nodeOfRow(self, row):
        return rowNode(self.panel.scene, self.ui.resultsTable, row)

    def selectedIds(self):
        return selectedIds(self.ui.resultsTable)

    def selectedNodes(self):
        return nodes_of(self.panel.scene, self.selectedIds())

    def refreshResults(self):
        rows = self.panel.rows()
        fillTable(self.ui.resultsTable, rows)
        self.observeEdits([row.node_id for row in rows])
        self.updateButtons()

    def observeEdits(self, nodeIds):
        """A box the reviewer moved or resized shows as edited as soon as the mouse lets go of it."""
        for node, tag in self.editObservations:
            node.RemoveObserver(tag)
        self.editObservations = [
            (node, node.AddObserver(slicer.vtkMRMLMarkupsNode.PointEndInteractionEvent,
                                    lambda caller, event: qt.QTimer.singleShot(0, self.refreshResults)))
            for node in nodes_of(self.panel.scene, nodeIds)]

    def cleanup(self):
        self.observeEdits([])


def jumpTo(centre):
    """Centre the slice views on a point (RAS); None: a row of a node gone since."""
    if centre is not None:
        slicer.modules.markups.logic().JumpSlicesToLocation(centre[0], centre[1], centre[2], True)


def modelNamesOrErrorDisplay(logic):
    """The registered model names; an unreadable registry is shown to the user, not raised, so the
    panel still opens (the message names the file to fix or delete)."""
    try:
        return logic.modelNames()
    except ValueError as error:  # RegistryError
        slicer.util.errorDisplay(_("The model registry could not be read.") + "\n" + str(error))
        return []
