"""Detection and review on a scene, for the panel and the self-test: the module Logic's work, without
Slicer's application (the Logic in OssificationDetectorGui adds the parameter node and Slicer's
defaults: slicer.mrmlScene, the DICOM database, PyTorchUtils)."""


class DetectionLogic:
    """scene: a vtkMRMLScene. file_for_instance(uid) -> DICOM path (the DICOM database's), or None.
    ensure_torch(): makes torch importable before a model loads (inside Slicer: PyTorchUtils)."""

    # The detector keeps boxes from this score up, so the threshold slider can show them without detecting again.
    DETECTION_FLOOR = 0.05

    def __init__(self, scene=None, file_for_instance=None, ensure_torch=None):
        self.scene = scene
        self.fileForInstance = file_for_instance
        self.ensureTorch = ensure_torch
        self._detector = None
        self._detectorKey = None
        self.lastDetectionWarnings = []
        self.lastDetectTimer = None

    def modelNames(self):
        from ..model.registry import list_models

        return [model["name"] for model in list_models()]

    def detector(self, model="default", device="auto", timer=None):
        """The Detector for a model and device, loaded once (one model is kept in memory).

        timer: a DetectTimer that gets the imports and the model load (nothing when already loaded)."""
        from ..detection.timing import DetectTimer

        timer = timer or DetectTimer()
        if self._detectorKey != (model, device):
            with timer.stage("imports"):
                if self.ensureTorch is not None:
                    self.ensureTorch()
                from ..detection.timing import import_detection_libraries

                import_detection_libraries()
            from ..detection.detect import Detector

            self._detector, self._detectorKey = None, None  # free the previous model before loading the next
            with timer.stage("load"):
                self._detector = Detector(model, device=device, threshold=self.DETECTION_FLOOR)
            self._detectorKey = (model, device)
        return self._detector

    def dicomFileLookup(self):
        return self.fileForInstance

    def dicomFile(self, volumeNode):
        """The DICOM file a volume was loaded from (DICOM module, or a .dcm file dropped onto Slicer), or None.

        Detection and the dataset read their pixels from it: Slicer's volume may hold MONOCHROME1 values
        as stored (bone dark) and has no VOI LUT applied (see OssificationDetectorLib.io.dicom_source).
        """
        from ..io.dicom_source import dicom_file_of_volume

        return dicom_file_of_volume(volumeNode, self.dicomFileLookup())

    def detect(self, volumeNode, model="default", device="auto", threshold=0.5):
        """Detect on a volume; replaces its previous detection ROIs. Returns the new ROI nodes.

        The detector's remarks about the radiograph (a right hand, a turned image, areas missing)
        are kept in lastDetectionWarnings.
        """
        import logging

        from ..detection.timing import DetectTimer
        from ..mrml.detections import detect_volume_with_warnings

        self.lastDetectTimer = timer = DetectTimer()
        detector = self.detector(model, device, timer)
        with timer.stage("detection"):
            rois, self.lastDetectionWarnings = detect_volume_with_warnings(
                self.scene, volumeNode, detector, threshold, model, dicom_file=self.dicomFile(volumeNode))
        logging.info(timer.log_line())  # the first Detect of a session: imports, model load and detection apart
        return rois

    def detectionNodes(self, volumeNode):
        from ..mrml.bridge import detection_rois

        return detection_rois(self.scene, volumeNode) if volumeNode is not None else []

    def applyThreshold(self, volumeNode, threshold):
        from ..mrml.detections import apply_threshold

        return apply_threshold(self.scene, volumeNode, threshold)

    def setReview(self, roiNodes, state, threshold):
        from ..mrml.detections import set_review

        for roiNode in roiNodes:
            set_review(roiNode, state, threshold)

    def clear(self, volumeNode):
        from ..mrml.detections import remove_detections

        return remove_detections(self.scene, volumeNode)

    def exportReviewed(self, volumeNode, folder):
        from ..mrml.detections import export_reviewed

        return export_reviewed(self.scene, volumeNode, folder, dicom_file=self.dicomFile(volumeNode))
