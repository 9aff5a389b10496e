"""The module's logic (Slicer glue): the Lib's DetectionLogic on slicer.mrmlScene, with the parameter
node, the DICOM database and PyTorchUtils. Kept out of OssificationDetector.py so that the self-test
can use it without importing the module file back (OssificationDetector.py imports the self-test).
"""
import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleLogic

from OssificationDetectorGui.parameter_node import OssificationDetectorParameterNode
from OssificationDetectorLib.panel.detection_logic import DetectionLogic


def _ensureTorch():
    from OssificationDetectorGui.torch_setup import ensureTorch

    ensureTorch()


class OssificationDetectorLogic(ScriptedLoadableModuleLogic, DetectionLogic):
    """Detection and review on a scene (slicer.mrmlScene unless given): the Lib does the work."""

    def __init__(self, scene=None, fileForInstance=None) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        DetectionLogic.__init__(self, scene if scene is not None else slicer.mrmlScene, fileForInstance,
                                ensure_torch=_ensureTorch)

    def getParameterNode(self):
        return OssificationDetectorParameterNode(super().getParameterNode())

    def dicomFileLookup(self):
        """fileForInstance as given, else slicer.dicomDatabase's (None until the DICOM module has started)."""
        if self.fileForInstance is not None:
            return self.fileForInstance
        database = getattr(slicer, "dicomDatabase", None)
        return database.fileForInstance if database is not None else None
