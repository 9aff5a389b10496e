"""OssificationDetector: find the 17 ossification areas of a hand radiograph and review them as ROIs.

Thin by design: the panel's sections live in OssificationDetectorGui, the work in
OssificationDetectorLib (plain Python, plus mrml.py / detections_mrml.py for the scene).
torch is imported only when detection starts, after PyTorchUtils has installed it.
"""
from typing import Annotated, Optional, Union

import vtk

import slicer
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLVectorVolumeNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import Choice, Default, WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule, ScriptedLoadableModuleLogic, ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin

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


@parameterNodeWrapper
class OssificationDetectorParameterNode:
    inputVolume: Union[vtkMRMLScalarVolumeNode, vtkMRMLVectorVolumeNode]
    model: Annotated[str, Default("default")]
    threshold: Annotated[float, WithinRange(0.0, 1.0), Default(0.5)]
    device: Annotated[str, Choice(["auto", "cpu", "cuda"]), Default("auto")]


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


class OssificationDetectorLogic(ScriptedLoadableModuleLogic):
    """Detection and review on a scene (slicer.mrmlScene unless given): the Lib does the work."""

    # The detector keeps boxes from this score up, so the threshold slider can show them without detecting again.
    DETECTION_FLOOR = 0.05

    def __init__(self, scene=None, fileForInstance=None) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self.scene = scene if scene is not None else slicer.mrmlScene
        # SOP Instance UID -> DICOM file path; slicer.dicomDatabase.fileForInstance unless given.
        self.fileForInstance = fileForInstance
        self._detector = None
        self._detectorKey = None
        self.lastDetectionWarnings = []

    def getParameterNode(self):
        return OssificationDetectorParameterNode(super().getParameterNode())

    def modelNames(self):
        from OssificationDetectorLib.model.registry import list_models

        return [model["name"] for model in list_models()]

    def detector(self, model="default", device="auto"):
        """The Detector for a model and device, loaded once (one model is kept in memory)."""
        if self._detectorKey != (model, device):
            from OssificationDetectorGui.torch_setup import ensureTorch

            ensureTorch()
            from OssificationDetectorLib.detection.detect import Detector

            self._detector, self._detectorKey = None, None  # free the previous model before loading the next
            self._detector = Detector(model, device=device, threshold=self.DETECTION_FLOOR)
            self._detectorKey = (model, device)
        return self._detector

    def dicomFile(self, volumeNode):
        """The DICOM file a volume was loaded from (DICOM module, or a .dcm file dropped onto Slicer), or None.

        Detection and the dataset read their pixels from it: Slicer's volume may hold MONOCHROME1 values
        as stored (bone dark) and has no VOI LUT applied (see OssificationDetectorLib.io.dicom_source).
        """
        from OssificationDetectorLib.io.dicom_source import dicom_file_of_volume

        lookup = self.fileForInstance
        if lookup is None:
            database = getattr(slicer, "dicomDatabase", None)  # None until the DICOM module has started
            lookup = database.fileForInstance if database is not None else None
        return dicom_file_of_volume(volumeNode, lookup)

    def detect(self, volumeNode, model="default", device="auto", threshold=0.5):
        """Detect on a volume; replaces its previous detection ROIs. Returns the new ROI nodes.

        The detector's remarks about the radiograph (a right hand, a turned image, areas missing)
        are kept in lastDetectionWarnings.
        """
        from OssificationDetectorLib.mrml.detections import detect_volume_with_warnings

        rois, self.lastDetectionWarnings = detect_volume_with_warnings(
            self.scene, volumeNode, self.detector(model, device), threshold, model,
            dicom_file=self.dicomFile(volumeNode))
        return rois

    def detectionNodes(self, volumeNode):
        from OssificationDetectorLib.mrml.bridge import detection_rois

        return detection_rois(self.scene, volumeNode)

    def applyThreshold(self, volumeNode, threshold):
        from OssificationDetectorLib.mrml.detections import apply_threshold

        return apply_threshold(self.scene, volumeNode, threshold)

    def setReview(self, roiNodes, state, threshold):
        from OssificationDetectorLib.mrml.detections import set_review

        for roiNode in roiNodes:
            set_review(roiNode, state, threshold)

    def clear(self, volumeNode):
        from OssificationDetectorLib.mrml.detections import remove_detections

        return remove_detections(self.scene, volumeNode)

    def exportReviewed(self, volumeNode, folder):
        from OssificationDetectorLib.mrml.detections import export_reviewed

        return export_reviewed(self.scene, volumeNode, folder, dicom_file=self.dicomFile(volumeNode))


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
