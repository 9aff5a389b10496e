"""OssificationDetector: find the 17 ossification areas of a hand radiograph and review them as ROIs.

Thin by design: the panel's sections live in OssificationDetectorGui, the work in
OssificationDetectorLib (plain Python; its mrml/ package bridges the scene), the logic and the
parameter node in OssificationDetectorGui/logic.py and parameter_node.py.
torch is imported only when detection starts, after PyTorchUtils has installed it.
"""
from typing import Optional

import vtk

import slicer
from slicer.i18n import tr as _
from slicer.ScriptedLoadableModule import ScriptedLoadableModule, ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget
from slicer.util import VTKObservationMixin

from OssificationDetectorGui.logic import OssificationDetectorLogic
from OssificationDetectorGui.parameter_node import OssificationDetectorParameterNode

CITATION = (
    "Koitka S, Demircioglu A, Kim MS, Friedrich CM, Nensa F. Ossification area localization in pediatric hand "
    "radiographs using deep neural networks for object detection. PLoS One. 2018;13(11):e0207496. "
    "doi:10.1371/journal.pone.0207496"
)


class OssificationDetector(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("Ossification Detector")
        self.parent.categories = [_("Quantification")]
        self.parent.dependencies = ["Markups", "SampleData"]
        self.parent.contributors = ["OssificationDetector contributors"]
        self.parent.helpText = _(
            "Finds the 17 ossification areas of a pediatric left-hand radiograph (DIP, PIP, MCP joints, radius, "
            "ulna, wrist) with a Faster R-CNN detector and shows them as Markups ROIs to review: accept or reject "
            "each, move or resize it, and export the accepted boxes as Pascal VOC and COCO. Load a radiograph "
            "(PNG, JPEG, DICOM ...) or the sample 'HandRadiograph6470' from Sample Data, then press Detect. "
            "When a folder holds numbered images (1.png, 2.png ...), tick 'Single File' in the Add Data options, "
            "or Slicer reads them all as the slices of one volume."
            "<br><br>Method: "
        ) + CITATION + (
            '<br>See <a href="https://github.com/ossification-detector/SlicerOssificationDetector">the project '
            "page</a> for documentation."
        )
        self.parent.acknowledgementText = _(
            "The area taxonomy and the idea of finetuning a pretrained detector follow Koitka et al. (PLoS One "
            "2018). Sample radiograph: RSNA Pediatric Bone Age Challenge 2017. PyTorch is provided through the "
            "PyTorch extension (SlicerPyTorch)."
        )
        slicer.app.connect("startupCompleted()", _registerSampleData)


def _registerSampleData():
    from OssificationDetectorGui.sample_data import registerSampleData

    registerSampleData()


class OssificationDetectorWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self.sections = []  # each has updateFromParameterNode(); Annotate and Finetune add theirs
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
        from OssificationDetectorGui.finetune_section import FinetuneSection

        self.sections.append(DetectSection(self.ui, self.logic, lambda: self._parameterNode))
        self.annotateSection = AnnotateSection(self.ui, self.logic, lambda: self._parameterNode)
        self.finetuneSection = FinetuneSection(self.ui, self.logic, lambda: self._parameterNode,
                                               modelsChanged=self.onModelRegistered)
        self.sections += [self.annotateSection, self.finetuneSection]
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.initializeParameterNode()

    def cleanup(self) -> None:
        self.removeObservers()
        for section in (self.annotateSection, self.finetuneSection):
            if section is not None:
                section.cleanup()  # ends place mode; a running training stops at a resumable checkpoint

    def enter(self) -> None:
        self.initializeParameterNode()
        if self.annotateSection is not None:
            self.annotateSection.enter()  # its keyboard shortcuts exist only while the module is shown

    def exit(self) -> None:
        if self.annotateSection is not None:
            self.annotateSection.exit()
        self.setParameterNode(None)

    def onModelRegistered(self, name) -> None:
        """A model finished training: list it in the model selector and select it."""
        self.sections[0].populateModels()
        if self._parameterNode:
            self._parameterNode.model = name

    def onSceneStartClose(self, caller, event) -> None:
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())
        if not self._parameterNode.inputVolume:
            firstVolume = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if firstVolume:
                self._parameterNode.inputVolume = firstVolume

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
    """The scene cases that pytest runs outside Slicer, here on slicer.mrmlScene, plus a GUI test."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        from OssificationDetectorGui.self_test import runSceneCases, testDetectFromPanel

        runSceneCases(self)
        self.setUp()
        testDetectFromPanel(self)
        self.setUp()
        from OssificationDetectorGui.annotation_self_test import testAnnotateFromPanel

        testAnnotateFromPanel(self)
