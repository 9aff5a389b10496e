"""The Detect and Review sections of the panel: detect on a radiograph, list the areas, review them.

The widgets come from Resources/UI/OssificationDetector.ui; the work is done by the module's
Logic, which calls the Lib. Input volume, device and threshold are bound to the parameter node
by their SlicerParameterName; the model list changes at run time, so it is kept in sync here.
"""
import time

import qt
import slicer
from slicer.i18n import tr as _

from OssificationDetectorLib.mrml.bridge import REVIEW_ACCEPTED, REVIEW_PENDING, REVIEW, REVIEW_REJECTED, CLASS
from OssificationDetectorLib.mrml.bridge import roi_digit_name, roi_score
from OssificationDetectorLib.core.taxonomy import CLASS_COLORS

COLUMNS = (_("Class"), _("Finger"), _("Score"), _("Review"))
NODE_ID_ROLE = qt.Qt.UserRole


class DetectSection:
    """Connects the Detect/Review widgets to the Logic; `parameters` returns the parameter node."""

    def __init__(self, ui, logic, parameters):
        self.ui = ui
        self.logic = logic
        self.parameters = parameters
        table = ui.resultsTable
        table.setColumnCount(len(COLUMNS))
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.horizontalHeader().setSectionResizeMode(qt.QHeaderView.Stretch)
        table.setSelectionBehavior(qt.QAbstractItemView.SelectRows)
        table.setEditTriggers(qt.QAbstractItemView.NoEditTriggers)
        ui.detectButton.connect("clicked(bool)", self.onDetectButton)
        ui.acceptButton.connect("clicked(bool)", lambda: self.onReviewButton(REVIEW_ACCEPTED))
        ui.rejectButton.connect("clicked(bool)", lambda: self.onReviewButton(REVIEW_REJECTED))
        ui.resetReviewButton.connect("clicked(bool)", lambda: self.onReviewButton(REVIEW_PENDING))
        ui.clearButton.connect("clicked(bool)", self.onClearButton)
        ui.exportButton.connect("clicked(bool)", self.onExportButton)
        ui.refreshModelsButton.connect("clicked(bool)", self.populateModels)
        ui.resultsTable.connect("cellClicked(int,int)", self.onResultClicked)
        ui.resultsTable.connect("itemSelectionChanged()", self.updateButtons)
        ui.modelComboBox.connect("currentIndexChanged(int)", self.onModelChanged)
        ui.thresholdSliderWidget.connect("valueChanged(double)", self.onThresholdChanged)
        self.populateModels()

    # ------------------------------------------------------------------ state

    def volume(self):
        parameters = self.parameters()
        return parameters.inputVolume if parameters else None

    def setStatus(self, text):
        self.ui.statusLabel.text = text
        slicer.app.processEvents()

    def updateFromParameterNode(self, caller=None, event=None):
        parameters = self.parameters()
        combo = self.ui.modelComboBox
        if parameters:
            index = combo.findText(parameters.model)
            if index >= 0 and index != combo.currentIndex:
                combo.currentIndex = index
            elif index < 0 and combo.count > 0:  # a model of another computer or one removed since
                parameters.model = combo.currentText
        self.refreshResults()

    def updateButtons(self):
        volume = self.volume()
        self.ui.detectButton.enabled = volume is not None and self.ui.modelComboBox.count > 0
        self.ui.detectButton.toolTip = _("Find the ossification areas of the selected radiograph.") if volume \
            else _("Select a radiograph volume first.")
        hasRows = self.ui.resultsTable.rowCount > 0
        hasSelection = len(self.selectedNodes()) > 0
        for button in (self.ui.acceptButton, self.ui.rejectButton, self.ui.resetReviewButton):
            button.enabled = hasSelection
        self.ui.clearButton.enabled = hasRows
        self.ui.exportButton.enabled = hasRows

    def populateModels(self):
        """The registered models: the bundled ones (models.json) and the user's trained ones."""
        names = modelNamesOrErrorDisplay(self.logic)
        combo = self.ui.modelComboBox
        wasBlocked = combo.blockSignals(True)
        combo.clear()
        for name in names:
            combo.addItem(name)
        combo.blockSignals(wasBlocked)
        parameters = self.parameters()
        if parameters and parameters.model in names:
            combo.currentIndex = names.index(parameters.model)
        elif names:
            self.onModelChanged(combo.currentIndex)
        if not names:
            self.setStatus(_("No model is registered: train one (Finetune) or reinstall the extension."))
        self.updateButtons()

    def onModelChanged(self, index):
        parameters = self.parameters()
        if parameters and index >= 0:
            parameters.model = self.ui.modelComboBox.itemText(index)

    # ------------------------------------------------------------------ actions

    def onDetectButton(self):
        parameters = self.parameters()
        volume = parameters.inputVolume
        with slicer.util.tryWithErrorDisplay(_("Detection failed."), waitCursor=True):
            self.setStatus(_("Detecting on {name} with model {model} ...").format(name=volume.GetName(),
                                                                               model=parameters.model))
            start = time.time()
            rois = self.logic.detect(volume, parameters.model, parameters.device, parameters.threshold)
            slicer.util.setSliceViewerLayers(background=volume, fit=True)
            shown = sum(1 for roi in rois if roi.GetDisplayVisibility())
            status = _("{count} ossification areas found in {seconds:.1f} s; {shown} shown at score "
                       "{threshold:.2f} or more.").format(count=len(rois), seconds=time.time() - start,
                                                           shown=shown, threshold=parameters.threshold)
            # How the hand lay (right hand, turned image) and what is missing, one line each.
            self.setStatus("\n".join([status] + list(self.logic.lastDetectionWarnings)))
        self.refreshResults()

    def onThresholdChanged(self, value):
        volume = self.volume()
        if volume is None or not self.logic.detectionNodes(volume):
            return
        shown = self.logic.applyThreshold(volume, value)
        self.setStatus(_("{shown} areas shown at score {threshold:.2f} or more.").format(shown=shown, threshold=value))
        self.refreshResults()

    def onReviewButton(self, state):
        nodes = self.selectedNodes()
        self.logic.setReview(nodes, state, self.parameters().threshold)
        self.refreshResults()
        self.setStatus(_("{count} areas marked {state}.").format(count=len(nodes), state=state))

    def onClearButton(self):
        volume = self.volume()
        if volume is not None:
            removed = self.logic.clear(volume)
            self.setStatus(_("{count} detections removed.").format(count=removed))
        self.refreshResults()

    def onExportButton(self):
        volume = self.volume()
        folder = qt.QFileDialog.getExistingDirectory(slicer.util.mainWindow(), _("Export the accepted boxes to"))
        if not folder:
            return
        with slicer.util.tryWithErrorDisplay(_("Export failed."), waitCursor=True):
            written = self.logic.exportReviewed(volume, folder)
            self.setStatus(_("{count} accepted boxes of {name} written to {folder} (VOC and COCO).").format(
                count=len(written.boxes), name=volume.GetName(), folder=folder))

    def onResultClicked(self, row, column):
        node = self.nodeOfRow(row)
        if node is not None:
            centre = [0.0, 0.0, 0.0]
            node.GetCenterWorld(centre)
            slicer.modules.markups.logic().JumpSlicesToLocation(centre[0], centre[1], centre[2], True)

    # ------------------------------------------------------------------ results table

    def nodeOfRow(self, row):
        item = self.ui.resultsTable.item(row, 0)
        return slicer.mrmlScene.GetNodeByID(item.data(NODE_ID_ROLE)) if item is not None else None

    def selectedNodes(self):
        rows = sorted({index.row() for index in self.ui.resultsTable.selectionModel().selectedRows()})
        return [node for node in (self.nodeOfRow(row) for row in rows) if node is not None]

    def refreshResults(self):
        table = self.ui.resultsTable
        volume = self.volume()
        nodes = self.logic.detectionNodes(volume) if volume is not None else []
        table.setRowCount(len(nodes))
        for row, node in enumerate(nodes):
            score = roi_score(node)
            label = node.GetAttribute(CLASS)
            cells = (label, roi_digit_name(node), "" if score is None else f"{score:.2f}",
                     node.GetAttribute(REVIEW) or REVIEW_PENDING)
            for column, text in enumerate(cells):
                item = qt.QTableWidgetItem(text)
                if column == 0:
                    item.setData(NODE_ID_ROLE, node.GetID())
                    red, green, blue = (int(255 * c) for c in CLASS_COLORS[label])
                    item.setData(qt.Qt.DecorationRole, qt.QColor(red, green, blue))
                if not node.GetDisplayVisibility():
                    item.setForeground(qt.QBrush(qt.QColor("gray")))
                table.setItem(row, column, item)
        self.updateButtons()


def modelNamesOrErrorDisplay(logic):
    """The registered model names; an unreadable registry is shown to the user, not raised, so the
    panel still opens (the message names the file to fix or delete)."""
    try:
        return logic.modelNames()
    except ValueError as error:  # RegistryError
        slicer.util.errorDisplay(_("The model registry could not be read.") + "\n" + str(error))
        return []
