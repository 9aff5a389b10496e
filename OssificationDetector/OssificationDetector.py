"""OssificationDetector: find the 17 ossification areas of a hand radiograph and review them as ROIs.

Thin by design: the description in OssificationDetectorGui/module_description.py, the Qt sections in
OssificationDetectorGui (bound to the Qt-free panel classes of OssificationDetectorLib/panel), the
logic and the parameter node in OssificationDetectorGui/logic.py and parameter_node.py.
torch is imported only when detection starts, after PyTorchUtils has installed it.
"""
from typing import Optional

import vtk

import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModule, ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget
from slicer.util import VTKObservationMixin

from OssificationDetectorGui.logic import OssificationDetectorLogic
from OssificationDetectorGui.module_description import describeModule
from OssificationDetectorGui.parameter_node import OssificationDetectorParameterNode
from OssificationDetectorLib.panel.volume_choice import first_selectable_volume


class OssificationDetector(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        describeModule(self.parent)
        slicer.app.connect("startupCompleted()", _registerSampleData)


def _registerSampleData():
    from OssificationDetectorGui.sample_data import registerSampleData

    registerSampleData()


class OssificationDetectorWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self.sections = []  # each has updateFromParameterNode(); the first is Detect
        self.annotateSection = None
        self.finetuneSection = None
        self._parameterNode: Optional[OssificationDetectorParameterNode] = None
        self._parameterNodeGuiTag = None

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/OssificationDetector.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = OssificationDetectorLogic()

        from OssificationDetectorGui.annotate_section import AnnotateSection
        from OssificationDetectorGui.detect_section import DetectSection
        from OssificationDetectorGui.dicom_export_section import DicomExportSection
        from OssificationDetectorGui.finetune_section import FinetuneSection

        parameters = lambda: self._parameterNode  # noqa: E731
        self.annotateSection = AnnotateSection(self.ui, self.logic, parameters)
        self.finetuneSection = FinetuneSection(self.ui, self.logic, parameters, modelsChanged=self.onModelRegistered)
        self.sections = [DetectSection(self.ui, self.logic, parameters), self.annotateSection, self.finetuneSection,
                         DicomExportSection(self.layout, self.logic, parameters)]
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.initializeParameterNode()

    def cleanup(self) -> None:
        self.removeObservers()
        for section in self.sections:
            section.cleanup()  # ends place mode and observers; a running training stops at a resumable checkpoint

    def enter(self) -> None:
        self.initializeParameterNode()
        self.annotateSection.enter()  # its keys and observers work only while the module is shown

    def exit(self) -> None:
        self.annotateSection.exit()
        self.setParameterNode(None)

    def onModelRegistered(self, name) -> None:
        """A model finished training: list it in the model selector and select it (when the module is shown)."""
        if self._parameterNode:
            self._parameterNode.model = name
        self.sections[0].populateModels()

    def onSceneStartClose(self, caller, event) -> None:
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())
        if not self._parameterNode.inputVolume:
            self._parameterNode.inputVolume = first_selectable_volume(slicer.mrmlScene)  # what the selector lists

    def setParameterNode(self, inputParameterNode: Optional[OssificationDetectorParameterNode]) -> None:
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self.onParameterNodeModified)
        self._parameterNode = inputParameterNode
        if self._parameterNode:
            # Widgets with a "SlicerParameterName" property in the .ui are bound to the parameter of that name.
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self.onParameterNodeModified)
            self.onParameterNodeModified()

    def onParameterNodeModified(self, caller=None, event=None) -> None:
        for section in self.sections:
            section.updateFromParameterNode()


class OssificationDetectorTest(ScriptedLoadableModuleTest):
    """The scene cases that pytest runs outside Slicer, here on slicer.mrmlScene, then the panel. Cases that
    need a detector run only when torch is importable: `Slicer --testing` never installs it."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        from OssificationDetectorGui.self_test_runner import runSelfTests

        runSelfTests(self)
