"""The Annotate section's self-test inside 3D Slicer: from detections to a saved dataset and back.

Drives the panel's own widgets on slicer.mrmlScene; what a mouse does in the views (the two clicks
of an ROI) is out of reach of a test, so place mode is checked by its interaction-node state.
"""
import slicer

from OssificationDetectorGui.sample_data import sampleRadiographPath
from OssificationDetectorGui.self_test import _workDir, loadSingleImage


def testAnnotateFromPanel(testCase):
    """The test saves into a folder of its own; the user's dataset folder (a saved setting) is put back."""
    slicer.util.selectModule("OssificationDetector")
    pathLineEdit = slicer.util.getModuleWidget("OssificationDetector").annotateSection.ui.datasetPathLineEdit
    usersFolder = pathLineEdit.currentPath
    try:
        _annotateFromPanel(testCase)
    finally:
        pathLineEdit.currentPath = usersFolder


def _annotateFromPanel(testCase):
    from OssificationDetectorLib.mrml.bridge import CLASS, REVIEW_ACCEPTED, annotation_rois, detection_rois
    from OssificationDetectorLib.annotations.voc import read_voc

    slicer.util.selectModule("OssificationDetector")
    widget = slicer.util.getModuleWidget("OssificationDetector")
    section = widget.annotateSection
    widget.ui.annotateCollapsibleButton.collapsed = False  # the section works only while expanded
    folder = _workDir("annotate-panel")
    section.ui.datasetPathLineEdit.currentPath = str(folder)

    volume = loadSingleImage(sampleRadiographPath())
    widget.ui.inputVolumeSelector.setCurrentNode(volume)
    widget.ui.detectButton.click()
    detections = detection_rois(slicer.mrmlScene, volume)
    widget.logic.setReview(detections, REVIEW_ACCEPTED, 0.5)
    testCase.delayDisplay("Start from detections")
    section.ui.startFromDetectionsButton.click()
    annotations = annotation_rois(slicer.mrmlScene, volume)
    testCase.assertEqual(len(annotations), len(detections))
    testCase.assertEqual(section.ui.boxesTable.rowCount, len(annotations))
    testCase.assertEqual(section.ui.checklistTable.rowCount, 6)

    section.ui.boxesTable.selectRow(0)
    relabelled = section.selectedNodes()[0]
    section.selectClass("Wrist")
    section.ui.relabelButton.click()
    testCase.assertEqual(relabelled.GetAttribute(CLASS), "Wrist")

    testCase.delayDisplay("Place mode until Esc")
    interaction = slicer.app.applicationLogic().GetInteractionNode()
    section.ui.addBoxButton.click()
    testCase.assertEqual(interaction.GetCurrentInteractionMode(), interaction.Place)
    testCase.assertEqual(interaction.GetPlaceModePersistence(), 1)
    interaction.SetCurrentInteractionMode(interaction.ViewTransform)  # what Esc in a view does
    testCase.assertFalse(section.ui.addBoxButton.checked)

    testCase.delayDisplay("Save, then open the saved radiograph in a new scene")
    section.ui.saveAnnotationsButton.click()
    saved = sorted((folder / "Annotations").glob("*.xml"))
    testCase.assertEqual(len(saved), 1, section.ui.annotateStatusLabel.text)
    testCase.assertEqual(len(read_voc(saved[0]).boxes), len(annotations))
    slicer.mrmlScene.Clear()
    reloaded = loadSingleImage(folder / "images" / (saved[0].stem + ".png"))
    widget.ui.inputVolumeSelector.setCurrentNode(reloaded)
    testCase.assertEqual(len(annotation_rois(slicer.mrmlScene, reloaded)), len(annotations),
                         "opening a radiograph of the dataset did not bring its boxes back")
    testCase.delayDisplay("Annotate from the panel: passed")
