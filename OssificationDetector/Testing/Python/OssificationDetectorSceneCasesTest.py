"""The scene cases of OssificationDetectorTesting on slicer.mrmlScene, as a ctest inside Slicer."""
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleTest


class OssificationDetectorSceneCasesTest(ScriptedLoadableModuleTest):
    def runTest(self):
        from OssificationDetectorGui.self_test import runSceneCases

        runSceneCases(self)
