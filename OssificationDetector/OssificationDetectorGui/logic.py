"""The module's logic: detection and review on a scene, for the panel and the self-test (Slicer glue).

Kept out of OssificationDetector.py so that the self-test can use it without importing the module
file back (OssificationDetector.py imports the self-test).
"""
import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleLogic

from OssificationDetectorGui.parameter_node import OssificationDetectorParameterNode


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
