"""The Annotate section of the panel: draw boxes on a radiograph to make training data, check them
against the 17 expected areas, and save them into a dataset folder.

The widgets come from Resources/UI/AnnotateSection.ui, placed inside the module's "Annotate"
collapsible button; the work is done by the Lib (annotation_mrml, dataset_store) on the Logic's
scene. Keyboard: 1-6 pick a class, A places boxes (until Esc), only while this module is shown.
"""
import os

import ctk
import qt
import slicer
import vtk
from slicer.i18n import tr as _
from slicer.util import VTKObservationMixin

from OssificationDetectorLib.mrml import annotations as annotations
from OssificationDetectorLib.annotations.checklist import checklist
from OssificationDetectorLib.annotations.dataset_store import AnnotationConflictError, import_dataset
from OssificationDetectorLib.mrml.bridge import CLASS, ROLE, annotation_rois, box_from_roi, roi_digit_name
from OssificationDetectorLib.core.taxonomy import CLASS_COLORS, CLASSES, DIGIT_CLASSES, DIGIT_NAMES, DIGITS_OF_CLASS

from OssificationDetectorGui.panel_section import DATASET_SETTING, PanelSection

CLASS_KEYS = {label: str(number) for number, label in enumerate(CLASSES, start=1)}
PLACE_KEY = "A"
NODE_ID_ROLE = qt.Qt.UserRole
CHECKLIST_COLUMNS = (_("Class"), _("Found"), _("Expected"), _("Missing"))
BOX_COLUMNS = (_("Area"), _("Box (pixels)"))


def volumeSourcePath(volumeNode, dicomFile=None):
    """The file a volume came from: its DICOM file (Logic.dicomFile), else its storage node's file (or None)."""
    if dicomFile:
        return dicomFile
    storage = volumeNode.GetStorageNode()
    return storage.GetFileName() if storage is not None and storage.GetFileName() else None


def _colorStyle(label):
    red, green, blue = (int(255 * c) for c in CLASS_COLORS[label])
    return f"QPushButton {{ background-color: rgb({red}, {green}, {blue}); color: black; }}" \
           "QPushButton:checked { border: 3px solid black; font-weight: bold; }"


class AnnotateSection(PanelSection, VTKObservationMixin):
    """Connects the Annotate widgets; `parameters` returns the module's parameter node."""

    def __init__(self, ui, logic, parameters):
        PanelSection.__init__(self, ui, ui.annotateCollapsibleButton, "AnnotateSection.ui", logic, parameters)
        VTKObservationMixin.__init__(self)
        self.currentClass = CLASSES[0]
        self.placing = False
        self.previousPersistence = None
        self.shortcuts = []
        self.restoredVolumeIds = set()
        self.refreshTimer = qt.QTimer()
        self.refreshTimer.setSingleShot(True)
        self.refreshTimer.setInterval(100)
        self.refreshTimer.connect("timeout()", self.refresh)
        self._setupClassButtons()
        self._setupTables()
        self.ui.datasetPathLineEdit.filters = ctk.ctkPathLineEdit.Dirs
        self.ui.datasetPathLineEdit.currentPath = qt.QSettings().value(DATASET_SETTING, "")
        self.ui.datasetPathLineEdit.connect("currentPathChanged(QString)", self.onDatasetChanged)
        self.ui.addBoxButton.connect("toggled(bool)", self.onAddBoxToggled)
        self.ui.relabelButton.connect("clicked(bool)", self.onRelabelButton)
        self.ui.deleteBoxButton.connect("clicked(bool)", self.onDeleteButton)
        self.ui.startFromDetectionsButton.connect("clicked(bool)", self.onStartFromDetections)
        self.ui.saveAnnotationsButton.connect("clicked(bool)", self.onSaveButton)
        self.ui.importDatasetButton.connect("clicked(bool)", self.onImportButton)
        self.ui.boxesTable.connect("cellClicked(int,int)", self.onBoxClicked)
        self.ui.boxesTable.connect("itemSelectionChanged()", self.updateButtons)
        self.ui.digitComboBox.connect("activated(int)", lambda index: self.retagPendingRoi())
        ui.annotateCollapsibleButton.connect("contentsCollapsed(bool)", self.onCollapsed)
        self.addObserver(logic.scene, slicer.vtkMRMLScene.NodeAddedEvent, self.onNodeAdded)
        self.addObserver(logic.scene, slicer.vtkMRMLScene.NodeRemovedEvent, self.onNodeRemoved)
        self.addObserver(logic.scene, slicer.vtkMRMLScene.EndCloseEvent, self.onSceneClosed)
        interaction = slicer.app.applicationLogic().GetInteractionNode()
        self.addObserver(interaction, interaction.InteractionModeChangedEvent, self.onInteractionModeChanged)
        self.selectClass(CLASSES[0])

    # ------------------------------------------------------------------ set-up

    def _setupClassButtons(self):
        layout = qt.QGridLayout(self.ui.classButtonsFrame)
        layout.setContentsMargins(0, 0, 0, 0)
        self.classGroup = qt.QButtonGroup(self.ui.classButtonsFrame)
        self.classGroup.exclusive = True
        self.classButtons = {}
        for index, label in enumerate(CLASSES):
            button = qt.QPushButton(f"{CLASS_KEYS[label]} {label}")
            button.checkable = True
            button.toolTip = _("Annotate {label} boxes (key {key}).").format(label=label, key=CLASS_KEYS[label])
            button.setStyleSheet(_colorStyle(label))
            button.connect("clicked(bool)", lambda checked, label=label: self.selectClass(label))
            self.classGroup.addButton(button)
            layout.addWidget(button, index // 3, index % 3)
            self.classButtons[label] = button

    def _setupTables(self):
        for table, columns in ((self.ui.checklistTable, CHECKLIST_COLUMNS), (self.ui.boxesTable, BOX_COLUMNS)):
            table.setColumnCount(len(columns))
            table.setHorizontalHeaderLabels(list(columns))
            table.horizontalHeader().setSectionResizeMode(qt.QHeaderView.Stretch)
            table.setEditTriggers(qt.QAbstractItemView.NoEditTriggers)
        self.ui.boxesTable.setSelectionBehavior(qt.QAbstractItemView.SelectRows)
        self.ui.checklistTable.setSelectionMode(qt.QAbstractItemView.NoSelection)

    def cleanup(self):
        self.stopPlacing()
        self.removeShortcuts()
        self.removeObservers()
        self.refreshTimer.stop()

    # ------------------------------------------------------------------ state

    def volume(self):
        parameters = self.parameters()
        return parameters.inputVolume if parameters else None

    def datasetFolder(self):
        return self.ui.datasetPathLineEdit.currentPath.strip()

    def setStatus(self, text):
        self.ui.annotateStatusLabel.text = text

    def currentDigit(self):
        return self.ui.digitComboBox.currentData

    def updateFromParameterNode(self, caller=None, event=None):
        volume = self.volume()
        if volume is not None and volume.GetID() not in self.restoredVolumeIds:
            self.restoredVolumeIds.add(volume.GetID())
            self.restoreFromDataset(volume)
        if volume is None and self.placing:
            self.stopPlacing()
        self.refresh()

    def updateButtons(self):
        volume = self.volume()
        hasSelection = bool(self.selectedNodes())
        self.ui.addBoxButton.enabled = volume is not None
        self.ui.relabelButton.enabled = hasSelection
        self.ui.deleteBoxButton.enabled = hasSelection
        self.ui.startFromDetectionsButton.enabled = volume is not None
        self.ui.saveAnnotationsButton.enabled = volume is not None and bool(self.datasetFolder())
        self.ui.importDatasetButton.enabled = bool(self.datasetFolder())

    # ------------------------------------------------------------------ classes and shortcuts

    def selectClass(self, label):
        self.currentClass = label
        self.classButtons[label].checked = True
        combo = self.ui.digitComboBox
        combo.clear()
        combo.addItem(_("unknown"), None)
        for digit in DIGITS_OF_CLASS.get(label, ()):
            combo.addItem(DIGIT_NAMES[digit], digit)
        combo.enabled = label in DIGIT_CLASSES
        self.ui.relabelButton.text = _("Relabel as {label}").format(label=label)
        self.retagPendingRoi()

    def retagPendingRoi(self):
        """Place mode makes the next ROI node as soon as the mouse enters a view: when the class or
        finger changes before its first click, that node takes the new ones."""
        if not self.placing:
            return
        selection = slicer.app.applicationLogic().GetSelectionNode()
        node = self.logic.scene.GetNodeByID(selection.GetActivePlaceNodeID() or "")
        volume = self.volume()
        if node is not None and volume is not None and annotations.is_annotation(node) \
                and node.GetNumberOfDefinedControlPoints() == 0:
            annotations.tag_annotation_roi(node, volume, self.currentClass, self.currentDigit())

    def installShortcuts(self):
        if self.shortcuts:
            return
        mainWindow = slicer.util.mainWindow()
        for label, key in CLASS_KEYS.items():
            shortcut = qt.QShortcut(qt.QKeySequence(key), mainWindow)
            shortcut.connect("activated()", lambda label=label: self.selectClass(label))
            self.shortcuts.append(shortcut)
        shortcut = qt.QShortcut(qt.QKeySequence(PLACE_KEY), mainWindow)
        shortcut.connect("activated()", lambda: setattr(self.ui.addBoxButton, "checked", True))
        self.shortcuts.append(shortcut)

    def removeShortcuts(self):
        for shortcut in self.shortcuts:
            shortcut.setParent(None)
            shortcut.deleteLater()
        self.shortcuts = []

    def enter(self):
        if not self.moduleUi.annotateCollapsibleButton.collapsed:
            self.installShortcuts()

    def exit(self):
        self.stopPlacing()
        self.removeShortcuts()

    def onCollapsed(self, collapsed):
        if collapsed:
            self.exit()
        else:
            self.installShortcuts()

    # ------------------------------------------------------------------ placing boxes

    def onAddBoxToggled(self, checked):
        if checked:
            self.startPlacing()
        else:
            self.stopPlacing()

    def startPlacing(self):
        """ROI place mode, persistent: each two clicks make a new box of the current class until Esc."""
        if self.volume() is None:
            self.ui.addBoxButton.checked = False
            self.setStatus(_("Select a radiograph volume first."))
            return
        appLogic = slicer.app.applicationLogic()
        selection = appLogic.GetSelectionNode()
        selection.SetReferenceActivePlaceNodeClassName("vtkMRMLMarkupsROINode")
        selection.SetActivePlaceNodeID(None)  # a new ROI node, not more points on the last one
        interaction = appLogic.GetInteractionNode()
        if self.previousPersistence is None:
            self.previousPersistence = interaction.GetPlaceModePersistence()
        self.placing = True
        interaction.SetPlaceModePersistence(1)
        interaction.SetCurrentInteractionMode(interaction.Place)
        self.ui.addBoxButton.checked = True
        self.setStatus(_("Click two opposite corners of each {label} box; Esc ends.").format(label=self.currentClass))

    def stopPlacing(self):
        if not self.placing:
            return
        self.placing = False
        interaction = slicer.app.applicationLogic().GetInteractionNode()
        if interaction.GetCurrentInteractionMode() == interaction.Place:
            interaction.SetCurrentInteractionMode(interaction.ViewTransform)
        if self.previousPersistence is not None:
            interaction.SetPlaceModePersistence(self.previousPersistence)
            self.previousPersistence = None
        self.ui.addBoxButton.checked = False

    def onInteractionModeChanged(self, interaction, event):
        if self.placing and interaction.GetCurrentInteractionMode() != interaction.Place:
            self.stopPlacing()  # Esc, or another mouse mode chosen in the toolbar

    @vtk.calldata_type(vtk.VTK_OBJECT)
    def onNodeAdded(self, scene, event, node):
        if self.placing and node.IsA("vtkMRMLMarkupsROINode") and not node.GetAttribute(ROLE):
            label, digit, volume = self.currentClass, self.currentDigit(), self.volume()
            # Tag once the Markups logic has given the new node its display node.
            qt.QTimer.singleShot(0, lambda: self._tagPlacedRoi(node, volume, label, digit))

    @vtk.calldata_type(vtk.VTK_OBJECT)
    def onNodeRemoved(self, scene, event, node):
        if node.IsA("vtkMRMLMarkupsROINode"):
            if self.hasObserver(node, slicer.vtkMRMLMarkupsNode.PointPositionDefinedEvent, self.onRoiPlaced):
                self.removeObserver(node, slicer.vtkMRMLMarkupsNode.PointPositionDefinedEvent, self.onRoiPlaced)
            self.refreshTimer.start()

    def onSceneClosed(self, scene, event):
        self.stopPlacing()
        self.restoredVolumeIds.clear()  # node IDs are given out again in a new scene

    def _tagPlacedRoi(self, node, volume, label, digit):
        if node.GetScene() is None or volume is None or node.GetAttribute(ROLE):
            return  # removed meanwhile, or made by this module (start from detections, restore) and tagged
        annotations.tag_annotation_roi(node, volume, label, digit)
        self.addObserver(node, slicer.vtkMRMLMarkupsNode.PointPositionDefinedEvent, self.onRoiPlaced)
        self.refreshTimer.start()

    def onRoiPlaced(self, node, event):
        self.refreshTimer.start()

    # ------------------------------------------------------------------ tables

    def selectedNodes(self):
        rows = sorted({index.row() for index in self.ui.boxesTable.selectionModel().selectedRows()})
        nodes = []
        for row in rows:
            item = self.ui.boxesTable.item(row, 0)
            node = self.logic.scene.GetNodeByID(item.data(NODE_ID_ROLE)) if item is not None else None
            if node is not None:
                nodes.append(node)
        return nodes

    def refresh(self):
        volume = self.volume()
        nodes = annotation_rois(self.logic.scene, volume) if volume is not None else []
        boxes = {}
        if volume is not None:
            for node in nodes:
                try:
                    boxes[node.GetID()] = box_from_roi(node, volume)
                except ValueError:
                    pass  # still being placed
        table = self.ui.boxesTable
        table.setRowCount(len(nodes))
        for row, node in enumerate(nodes):
            label = node.GetAttribute(CLASS)
            box = boxes.get(node.GetID())
            digit = roi_digit_name(node)
            name = f"{label} {digit}" if digit else label
            where = "" if box is None else f"{box.x1:.0f}, {box.y1:.0f} - {box.x2:.0f}, {box.y2:.0f}"
            for column, text in enumerate((name, where)):
                item = qt.QTableWidgetItem(text)
                if column == 0:
                    item.setData(NODE_ID_ROLE, node.GetID())
                    red, green, blue = (int(255 * c) for c in CLASS_COLORS[label])
                    item.setData(qt.Qt.DecorationRole, qt.QColor(red, green, blue))
                table.setItem(row, column, item)
        result = checklist(list(boxes.values()))
        checklistTable = self.ui.checklistTable
        checklistTable.setRowCount(len(result.classes))
        for row, check in enumerate(result.classes):
            cells = (check.label, str(check.found), str(check.expected), ", ".join(check.missing + check.surplus))
            for column, text in enumerate(cells):
                item = qt.QTableWidgetItem(text)
                if column == 1 and not check.complete:
                    item.setForeground(qt.QBrush(qt.QColor("darkred")))
                checklistTable.setItem(row, column, item)
        self.ui.checklistSummaryLabel.text = result.summary() if volume is not None else ""
        self.updateButtons()

    def onBoxClicked(self, row, column):
        item = self.ui.boxesTable.item(row, 0)
        node = self.logic.scene.GetNodeByID(item.data(NODE_ID_ROLE)) if item is not None else None
        if node is not None:
            centre = [0.0, 0.0, 0.0]
            node.GetCenterWorld(centre)
            slicer.modules.markups.logic().JumpSlicesToLocation(centre[0], centre[1], centre[2], True)

    # ------------------------------------------------------------------ actions

    def onRelabelButton(self):
        with slicer.util.tryWithErrorDisplay(_("Relabelling failed.")):
            nodes = self.selectedNodes()
            for node in nodes:
                annotations.relabel_annotation(node, self.currentClass, self.currentDigit())
            self.setStatus(_("{count} box(es) relabelled as {label}.").format(count=len(nodes),
                                                                              label=self.currentClass))
        self.refresh()

    def onDeleteButton(self):
        with slicer.util.tryWithErrorDisplay(_("Deleting failed.")):
            nodes = self.selectedNodes()
            for node in nodes:
                annotations.delete_annotation(self.logic.scene, node)
            self.setStatus(_("{count} box(es) deleted.").format(count=len(nodes)))
        self.refresh()

    def onStartFromDetections(self):
        volume = self.volume()
        existing = annotation_rois(self.logic.scene, volume)
        replace = False
        if existing:
            replace = slicer.util.confirmYesNoDisplay(
                _("{name} has {count} annotation boxes. Replace them with the accepted detections?").format(
                    name=volume.GetName(), count=len(existing)))
            if not replace:
                return
        with slicer.util.tryWithErrorDisplay(_("Could not start from the detections.")):
            created = annotations.start_from_detections(self.logic.scene, volume, replace=replace)
            self.setStatus(_("{count} accepted detections copied into annotation boxes: correct them, then "
                             "save.").format(count=len(created)))
        self.refresh()

    def onDatasetChanged(self, path):
        qt.QSettings().setValue(DATASET_SETTING, path)
        volume = self.volume()
        if volume is not None and path:
            self.restoreFromDataset(volume)
        self.updateButtons()

    def restoreFromDataset(self, volume):
        """Bring back the saved boxes of a radiograph that the dataset already holds."""
        folder = self.datasetFolder()
        if not folder or not os.path.isdir(folder):
            return
        with slicer.util.tryWithErrorDisplay(_("The dataset could not be read."), waitCursor=True):
            hadBoxes = bool(annotation_rois(self.logic.scene, volume))
            dicomFile = self.logic.dicomFile(volume)
            stored = annotations.restore_from_dataset(self.logic.scene, volume, folder,
                                                      volumeSourcePath(volume, dicomFile), dicom_file=dicomFile)
            if stored is not None and not hadBoxes:
                self.setStatus(_("{name} is in the dataset as {stored}: its {count} boxes are back.").format(
                    name=volume.GetName(), stored=stored.name, count=len(stored.boxes)))
        self.refresh()

    def onSaveButton(self):
        volume = self.volume()
        folder = self.datasetFolder()
        with slicer.util.tryWithErrorDisplay(_("Saving the annotations failed."), waitCursor=True):
            dicomFile = self.logic.dicomFile(volume)
            source = volumeSourcePath(volume, dicomFile)
            try:
                stored = annotations.save_volume_annotations(self.logic.scene, volume, folder, source=source,
                                                             dicom_file=dicomFile)
            except AnnotationConflictError as conflict:
                if not slicer.util.confirmYesNoDisplay(str(conflict) + "\n\n" + _("Save it under a new name?")):
                    return
                stored = annotations.save_volume_annotations(self.logic.scene, volume, folder, source=source,
                                                             on_conflict="rename", dicom_file=dicomFile)
            verb = _("updated") if stored.updated else _("saved")
            self.setStatus(_("{count} boxes of {name} {verb} in {folder} as {stored}.").format(
                count=len(stored.boxes), name=volume.GetName(), verb=verb, folder=folder, stored=stored.name))

    def onImportButton(self):
        source = qt.QFileDialog.getExistingDirectory(
            slicer.util.mainWindow(), _("Import a VOC, COCO or YOLO dataset folder into {folder}").format(
                folder=self.datasetFolder()))
        if not source:
            return
        with slicer.util.tryWithErrorDisplay(_("The import failed."), waitCursor=True):
            result = import_dataset(self.datasetFolder(), source)
            self.setStatus(_("{imported} radiographs imported; {present} were in the dataset already and kept "
                             "their boxes.").format(imported=len(result.imported), present=len(result.already_present)))
        volume = self.volume()
        if volume is not None:
            self.restoreFromDataset(volume)
