"""The module's self-test inside 3D Slicer: the scene cases on slicer.mrmlScene, then the panel.

The scene cases are the ones pytest runs on a slicer-core scene (OssificationDetectorTesting);
here they get Slicer's own loader for image files and, when torch is installed, the module's default
detector. Which cases run is OssificationDetectorTesting.self_test_plan's choice: without torch the
detector cases are skipped and listed, never installing torch (Slicer --testing).
"""
import os
import re
import shutil
from pathlib import Path

import slicer

from OssificationDetectorGui.sample_data import CATEGORY, SAMPLE_NAME, sampleRadiographPath

AREA_NAME = re.compile(r"^(DIP|PIP|MCP)( (I|II|III|IV|V))? \d\.\d\d$|^(Radius|Ulna|Wrist) \d\.\d\d$")


def loadSingleImage(path):
    """Load one image file as a volume (singleFile: else numbered neighbours such as 4221.png become slices)."""
    return slicer.util.loadVolume(os.fspath(path), {"singleFile": True})


def _workDir(name):
    """An empty folder: slicer.app.temporaryPath outlives a run, and the cases expect no files of an earlier one."""
    folder = Path(slicer.app.temporaryPath) / "OssificationDetectorTest" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def runSceneCases(testCase, cases):
    from OssificationDetectorTesting.review_cases import DETECTOR_CASES
    from OssificationDetectorTesting.scene_cases import SceneHost

    detector = None
    if any(case in DETECTOR_CASES for case in cases):  # only when the plan found torch
        from OssificationDetectorGui.logic import OssificationDetectorLogic

        detector = OssificationDetectorLogic().detector("default", "auto")
    sample = Path(sampleRadiographPath())
    for case in cases:
        testCase.delayDisplay(f"Scene case: {case.__name__}", 200)
        slicer.mrmlScene.Clear()
        host = SceneHost(scene=slicer.mrmlScene, work_dir=_workDir(case.__name__),
                         load_volume=loadSingleImage,
                         detector=detector, sample_radiograph=sample)
        case(host)
    slicer.mrmlScene.Clear()


def testDetectFromPanel(testCase):
    """Load the sample, press Detect, check the ROIs and the table; review one; move the threshold."""
    import SampleData

    from OssificationDetectorLib.mrml.bridge import REVIEW, REVIEW_ACCEPTED, detection_rois, roi_score

    registered = [source.sampleName for source in SampleData.SampleDataLogic.sampleDataSourcesByCategory(CATEGORY)]
    testCase.assertIn(SAMPLE_NAME, registered, "the sample radiograph is not in Sample Data")

    slicer.util.selectModule("OssificationDetector")
    widget = slicer.util.getModuleWidget("OssificationDetector")
    volume = loadSingleImage(sampleRadiographPath())
    widget.ui.inputVolumeSelector.setCurrentNode(volume)
    widget.ui.thresholdSliderWidget.value = 0.5
    testCase.delayDisplay("Detect")
    widget.ui.detectButton.click()

    rois = detection_rois(slicer.mrmlScene, volume)
    shown = [roi for roi in rois if roi.GetDisplayVisibility()]
    testCase.assertGreaterEqual(len(shown), 10, f"only {len(shown)} of 17 areas found at score 0.5")
    testCase.assertEqual(widget.ui.resultsTable.rowCount, len(rois))
    for roi in rois:
        testCase.assertRegex(roi.GetName(), AREA_NAME)

    widget.ui.resultsTable.selectRow(0)
    widget.sections[0].onResultClicked(0, 0)  # what a click on the row does: jump the slice views to the ROI
    widget.ui.acceptButton.click()
    first = widget.sections[0].nodeOfRow(0)
    testCase.assertEqual(first.GetAttribute(REVIEW), REVIEW_ACCEPTED)

    widget.ui.thresholdSliderWidget.value = 1.0
    stillShown = [roi for roi in rois if roi.GetDisplayVisibility()]
    expected = [roi for roi in rois if roi is first or roi_score(roi) >= 1.0]  # float32 scores can be exactly 1
    testCase.assertEqual(stillShown, expected, "at threshold 1.0 only the accepted ROI (and any scored 1.0) is shown")
    testCase.delayDisplay("Detect from the panel: passed")
