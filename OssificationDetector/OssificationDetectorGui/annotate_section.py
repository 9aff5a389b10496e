"""The Annotate section of the panel: widgets bound to the Lib's AnnotatePanel and BoxPlacer, which
decide what is enabled, what each button does, the tables and the checklist (tested on real MRML).

Its keys (1-6 pick a class, A places boxes until Esc) and its scene observers exist only while the
module is entered and the section expanded (AnnotateActivity); the keys live on the slice views, so the
3D view's keypad camera presets are never taken.
"""
import ctk
import qt
import slicer
import vtk
from slicer.i18n import tr as _
from slicer.util import VTKObservationMixin

from OssificationDetectorLib.core.taxonomy import CLASSES
from OssificationDetectorLib.panel.annotate_panel import (
    BOX_COLUMNS, CHECKLIST_COLUMNS, CLASS_KEYS, PLACE_KEY, AnnotatePanel, class_button_text, class_choice, on_key,
)
from OssificationDetectorLib.panel.placing import BoxPlacer, tag_placed_box
from OssificationDetectorLib.panel.table_rows import class_color, nodes_of, roi_centre

from OssificationDetectorGui.detect_section import jumpTo
from OssificationDetectorGui.panel_section import DATASET_SETTING, PanelSection
from OssificationDetectorGui.table_binding import fillTable, rowNode, selectedIds, setUpTable


def _colorStyle(color):
    return f"QPushButton {{ background-color: rgb{tuple(color)}; color: black; }}" \
           "QPushButton:checked { border: 3px solid black; font-weight: bold; }"


class AnnotateSection(PanelSection, VTKObservationMixin):
    """Connects the Annotate widgets; `parameters` returns the module's parameter node."""

    def __init__(self, ui, logic, parameters):
        PanelSection.__init__(self, ui, ui.annotateCollapsibleButton, "AnnotateSection.ui", logic, parameters)
        VTKObservationMixin.__init__(self)
        self.panel = AnnotatePanel(logic, parameters, lambda: self.ui.datasetPathLineEdit.currentPath,
                                   on_start=self.startWorking, on_stop=self.stopWorking)
        appLogic = slicer.app.applicationLogic()
        self.placer = BoxPlacer(logic.scene, appLogic.GetInteractionNode(), appLogic.GetSelectionNode())
        self.currentClass = CLASSES[0]
        self.shortcuts = []
        self.refreshTimer = qt.QTimer()
        self.refreshTimer.setSingleShot(True)
        self.refreshTimer.setInterval(100)
        self.refreshTimer.connect("timeout()", self.refresh)
        self._setupClassButtons()
        setUpTable(self.ui.checklistTable, CHECKLIST_COLUMNS, selectRows=False)
        setUpTable(self.ui.boxesTable, BOX_COLUMNS, selectRows=True)
        self.ui.datasetPathLineEdit.filters = ctk.ctkPathLineEdit.Dirs
        self.ui.datasetPathLineEdit.currentPath = qt.QSettings().value(DATASET_SETTING, "")
        self.ui.datasetPathLineEdit.connect("currentPathChanged(QString)", self.onDatasetChanged)
        self.ui.addBoxButton.connect("toggled(bool)", self.onAddBoxToggled)
        self.ui.relabelButton.connect("clicked(bool)", lambda: self.run(
            _("Relabelling failed."), self.panel.relabel, self.selectedIds(), self.currentClass, self.currentDigit()))
        self.ui.deleteBoxButton.connect("clicked(bool)", lambda: self.run(
            _("Deleting failed."), self.panel.delete, self.selectedIds()))
        self.ui.startFromDetectionsButton.connect("clicked(bool)", self.onStartFromDetections)
        self.ui.saveAnnotationsButton.connect("clicked(bool)", self.onSaveButton)
        self.ui.importDatasetButton.connect("clicked(bool)", self.onImportButton)
        self.ui.boxesTable.connect("cellClicked(int,int)", self.onBoxClicked)
        self.ui.boxesTable.connect("itemSelectionChanged()", self.updateButtons)
        self.ui.digitComboBox.connect("activated(int)", lambda index: self.retagPendingRoi())
        ui.annotateCollapsibleButton.connect("contentsCollapsed(bool)",
                                             lambda collapsed: self.panel.activity.set(expanded=not collapsed))
        self.selectClass(CLASSES[0])
        self.panel.activity.set(expanded=not ui.annotateCollapsibleButton.collapsed)

    def _setupClassButtons(self):
        layout = qt.QGridLayout(self.ui.classButtonsFrame)
        layout.setContentsMargins(0, 0, 0, 0)
        self.classGroup = qt.QButtonGroup(self.ui.classButtonsFrame)
        self.classGroup.exclusive = True
        self.classButtons = {}
        for index, label in enumerate(CLASSES):
            text, toolTip = class_button_text(label)
            button = qt.QPushButton(text)
            button.checkable = True
            button.toolTip = toolTip
            button.setStyleSheet(_colorStyle(class_color(label)))
            button.connect("clicked(bool)", lambda checked, label=label: self.selectClass(label))
            self.classGroup.addButton(button)
            layout.addWidget(button, index // 3, index % 3)
            self.classButtons[label] = button


    # ------------------------------------------------------------------ at work only while shown

    def startWorking(self):
        scene = self.logic.scene
        self.addObserver(scene, slicer.vtkMRMLScene.NodeAddedEvent, self.onNodeAdded)
        self.addObserver(scene, slicer.vtkMRMLScene.NodeRemovedEvent, self.onNodeRemoved)
        self.addObserver(scene, slicer.vtkMRMLScene.EndCloseEvent, self.onSceneClosed)
        self.addObserver(self.placer.interaction, self.placer.interaction.InteractionModeChangedEvent,
                         self.onInteractionModeChanged)
        self.installShortcuts()
        self.updateFromParameterNode()

    def stopWorking(self):
        self.stopPlacing()
        self.removeShortcuts()
        self.removeObservers()
        self.refreshTimer.stop()

    def enter(self):
        self.panel.activity.set(entered=True)

    def exit(self):
        self.panel.activity.set(entered=False)

    def cleanup(self):
        self.stopWorking()

    # ------------------------------------------------------------------ state

    def setStatus(self, text):
        if text is not None:  # None: nothing to say
            self.ui.annotateStatusLabel.text = text

    def run(self, failure, action, *args):
        with slicer.util.tryWithErrorDisplay(failure, waitCursor=True):
            self.setStatus(action(*args))
        self.refresh()

    def currentDigit(self):
        return self.ui.digitComboBox.currentData

    def updateFromParameterNode(self, caller=None, event=None):
        with slicer.util.tryWithErrorDisplay(_("The dataset could not be read."), waitCursor=True):
            self.setStatus(self.panel.volume_shown())
        if self.placer.volume_changed(self.panel.volume()):
            self.ui.addBoxButton.checked = False
        self.refresh()

    def updateButtons(self):
        controls = self.panel.controls(self.selectedIds())
        self.ui.addBoxButton.enabled = controls.add_box
        self.ui.relabelButton.enabled = controls.relabel
        self.ui.deleteBoxButton.enabled = controls.delete
        self.ui.startFromDetectionsButton.enabled = controls.start_from_detections
        self.ui.saveAnnotationsButton.enabled = controls.save
        self.ui.importDatasetButton.enabled = controls.import_dataset

    # ------------------------------------------------------------------ classes and shortcuts

    def selectClass(self, label):
        self.currentClass = label
        self.classButtons[label].checked = True
        choice = class_choice(label)
        combo = self.ui.digitComboBox
        combo.clear()
        for text, digit in choice.digits:
            combo.addItem(text, digit)
        combo.enabled = choice.digits_enabled
        self.ui.relabelButton.text = choice.relabel_text
        self.retagPendingRoi()

    def retagPendingRoi(self):
        self.placer.retag_pending(self.panel.volume(), self.currentClass, self.currentDigit())

    def onShortcut(self, action):
        on_key(bool(qt.QApplication.keyboardModifiers() & qt.Qt.KeypadModifier), action)

    def installShortcuts(self):
        """The keys on each slice view (not the main window): the 3D view keeps its own keys."""
        layoutManager = slicer.app.layoutManager()
        views = [layoutManager.sliceWidget(name) for name in layoutManager.sliceViewNames()]
        keys = [(key, lambda label=label: self.selectClass(label)) for label, key in CLASS_KEYS.items()]
        keys.append((PLACE_KEY, lambda: setattr(self.ui.addBoxButton, "checked", True)))
        for view in views:
            for key, action in keys:
                shortcut = qt.QShortcut(qt.QKeySequence(key), view)
                shortcut.setContext(qt.Qt.WidgetWithChildrenShortcut)
                shortcut.connect("activated()", lambda action=action: self.onShortcut(action))
                self.shortcuts.append(shortcut)

    def removeShortcuts(self):
        for shortcut in self.shortcuts:
            shortcut.setParent(None)
            shortcut.deleteLater()
        self.shortcuts = []

    # ------------------------------------------------------------------ placing boxes

    def onAddBoxToggled(self, checked):
        placing, status = self.placer.toggle(checked, self.panel.volume(), self.currentClass)
        self.ui.addBoxButton.checked = placing
        self.setStatus(status)

    def stopPlacing(self):
        self.placer.stop()
        self.ui.addBoxButton.checked = False

    def onInteractionModeChanged(self, interaction, event):
        if self.placer.mode_changed():  # Esc, or another mouse mode chosen in the toolbar
            self.ui.addBoxButton.checked = False

    @vtk.calldata_type(vtk.VTK_OBJECT)
    def onNodeAdded(self, scene, event, node):
        if self.placer.is_new_box(node):
            label, digit, volume = self.currentClass, self.currentDigit(), self.panel.volume()
            # Tag once the Markups logic has given the new node its display node.
            qt.QTimer.singleShot(0, lambda: self._tagPlacedRoi(node, volume, label, digit))

    @vtk.calldata_type(vtk.VTK_OBJECT)
    def onNodeRemoved(self, scene, event, node):
        if self.hasObserver(node, slicer.vtkMRMLMarkupsNode.PointPositionDefinedEvent, self.onRoiPlaced):
            self.removeObserver(node, slicer.vtkMRMLMarkupsNode.PointPositionDefinedEvent, self.onRoiPlaced)
        self.refreshTimer.start()

    def onSceneClosed(self, scene, event):
        self.stopPlacing()
        self.panel.scene_closed()

    def _tagPlacedRoi(self, node, volume, label, digit):
        if tag_placed_box(node, volume, label, digit):
            self.addObserver(node, slicer.vtkMRMLMarkupsNode.PointPositionDefinedEvent, self.onRoiPlaced)
            self.refreshTimer.start()

    def onRoiPlaced(self, node, event):
        self.refreshTimer.start()

    # ------------------------------------------------------------------ tables

    def selectedIds(self):
        return selectedIds(self.ui.boxesTable)

    def selectedNodes(self):
        return nodes_of(self.logic.scene, self.selectedIds())

    def refresh(self):
        fillTable(self.ui.boxesTable, self.panel.box_rows())
        rows, summary = self.panel.checklist_rows()
        fillTable(self.ui.checklistTable, rows)
        self.ui.checklistSummaryLabel.text = summary
        self.updateButtons()

    def onBoxClicked(self, row, column):
        jumpTo(roi_centre(rowNode(self.logic.scene, self.ui.boxesTable, row)))

    # ------------------------------------------------------------------ actions

    def onStartFromDetections(self):
        self.run(_("Could not start from the detections."), self.panel.start_from_detections,
                 slicer.util.confirmYesNoDisplay)

    def onDatasetChanged(self, path):
        qt.QSettings().setValue(DATASET_SETTING, path)
        self.run(_("The dataset could not be read."), self.panel.dataset_changed)

    def onSaveButton(self):
        self.run(_("Saving the annotations failed."), self.panel.save_asking, slicer.util.confirmYesNoDisplay)

    def onImportButton(self):
        source = qt.QFileDialog.getExistingDirectory(
            slicer.util.mainWindow(), _("Import a VOC, COCO or YOLO dataset folder into {folder}").format(
                folder=self.panel.folder()))
        self.run(_("The import failed."), self.panel.import_from, source)
