"""Export to DICOM from a real vtkMRMLScene (slicer-core): a DICOM radiograph loaded the way Slicer's DICOM
module loads it, its detection ROIs reviewed (accepted, rejected, one moved), written as a report and a
presentation state, and the report shown again as ROIs in their review states."""
import numpy as np
import pydicom
import pytest

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.dicom_results.highdicom_support import (
    LAST_FOR_PYDICOM_2, LATEST_FOR_PYDICOM_3, HighdicomStatus, requirement_for_pydicom,
)
from OssificationDetectorLib.dicom_results.report_reader import read_report
from OssificationDetectorLib.model.registry import resolve_model
from OssificationDetectorLib.mrml.bridge import REVIEW, MrmlBridgeError, box_from_roi, detection_rois, place_roi_over_box
from OssificationDetectorLib.mrml.detections import set_review, show_detections
from OssificationDetectorLib.mrml.dicom_export import (
    export_readiness, export_volume, reports_of_volume, reviewed_areas, show_report,
)

from dicom_results_samples import hand_pixels, write_source
from dicom_validators import check_presentation_state, check_report, needs_dicom_tools
from mrml_fixtures import new_scene
from test_mrml_dicom import load_like_dicom_module

pytestmark = needs_dicom_tools
BOXES = [Box("PIP", 40.25, 30.5, 52.75, 41.0, score=0.93, digit=3), Box("DIP", 60.0, 10.0, 68.0, 18.0, score=0.7, digit=5),
         Box("Radius", 50.0, 150.0, 80.0, 170.0, score=0.99), Box("Ulna", 85.0, 150.0, 100.0, 168.0, score=0.4)]
READY = HighdicomStatus("3.0.2", "0.28.2")


@pytest.fixture
def reviewed(tmp_path):
    """A MONOCHROME1 CR loaded like the DICOM module does (GDCM), with reviewed detection ROIs."""
    source = write_source(tmp_path / "hand.dcm", hand_pixels(width=160), kind="CR", photometric="MONOCHROME1",
                          spacing=(0.2, 0.2))
    scene = new_scene(tmp_path)[0]
    volume = load_like_dicom_module(scene, source, "GDCM")
    rois = {roi.GetAttribute("OssificationDetector.Class"): roi
            for roi in show_detections(BOXES, scene, volume, "default", threshold=0.5)}
    set_review(rois["PIP"], "accepted", 0.5)
    set_review(rois["Ulna"], "rejected", 0.5)
    set_review(rois["Radius"], "accepted", 0.5)
    place_roi_over_box(rois["Radius"], volume, Box("Radius", 48.0, 149.5, 83.0, 171.25))  # the reviewer's correction
    return dict(scene=scene, volume=volume, source=source, rois=rois)


def test_review_states_of_the_rois(reviewed):
    states = {a.box.label: a.state for a in reviewed_areas(reviewed["scene"], reviewed["volume"])}
    assert states == {"PIP": "accepted", "DIP": "detected", "Radius": "edited", "Ulna": "rejected"}


def test_export_writes_the_rois_as_they_are_in_source_pixels(reviewed, tmp_path):
    scene, volume = reviewed["scene"], reviewed["volume"]
    written = export_volume(scene, volume, reviewed["source"], tmp_path / "out", gsps=True)
    check_report(written[0])
    check_presentation_state(written[1])
    report = read_report(written[0])
    expected = {roi.GetAttribute("OssificationDetector.Class"): box_from_roi(roi, volume)
                for roi in detection_rois(scene, volume)}
    assert sorted(a.box.label for a in report.areas) == ["DIP", "PIP", "Radius"]  # rejected left out
    for area in report.areas:
        assert np.allclose(area.box.coords, expected[area.box.label].coords, atol=0.01)
    edited = next(a for a in report.areas if a.box.label == "Radius")
    assert np.allclose(edited.box.coords, [48.0, 149.5, 83.0, 171.25], atol=0.01) and edited.state == "edited"
    assert report.algorithm.sha256 == resolve_model("default")[1]  # the bundled file's, from models.json
    assert report.source_uids[0] == str(pydicom.dcmread(reviewed["source"]).SOPInstanceUID)


def test_a_report_is_offered_for_its_volume_and_shown_as_rois(reviewed, tmp_path):
    written = export_volume(reviewed["scene"], reviewed["volume"], reviewed["source"], tmp_path / "out",
                            gsps=True, include_rejected=True)
    other = write_source(tmp_path / "other.dcm", hand_pixels(width=160), kind="CR")
    assert reports_of_volume(reviewed["volume"], written + [other]) == [str(written[0])]

    (tmp_path / "fresh").mkdir()
    scene = new_scene(tmp_path / "fresh")[0]
    volume = load_like_dicom_module(scene, reviewed["source"], "DCMTK")
    rois = show_report(scene, volume, written[0])
    by_class = {r.GetAttribute("OssificationDetector.Class"): r for r in rois}
    assert {c: r.GetAttribute(REVIEW) for c, r in by_class.items()} == {
        "PIP": "accepted", "DIP": "pending", "Radius": "edited", "Ulna": "rejected"}  # the panel shows it edited
    again = {a.box.label: a for a in reviewed_areas(scene, volume)}
    assert again["Radius"].state == "edited"  # still edited when exported again
    for label, roi in reviewed["rois"].items():
        assert np.allclose(again[label].box.coords, box_from_roi(roi, reviewed["volume"]).coords, atol=0.01)

    stranger = load_like_dicom_module(scene, other, "GDCM")
    with pytest.raises(MrmlBridgeError, match="report of another image"):
        show_report(scene, stranger, written[0])


def test_export_readiness_says_what_is_missing(reviewed, tmp_path):
    scene, volume, source = reviewed["scene"], reviewed["volume"], reviewed["source"]
    assert export_readiness(scene, None, None, READY).message == "Choose a radiograph."
    ready = export_readiness(scene, volume, str(source), READY)
    assert ready.enabled and ready.message == "4 areas (1 accepted, 1 edited, 1 detected, 1 rejected)."
    not_dicom = export_readiness(scene, volume, None, READY)
    assert not not_dicom.enabled and "not loaded from DICOM" in not_dicom.message
    bare = load_like_dicom_module(scene, source, "GDCM")
    assert export_readiness(scene, bare, str(source), READY).message == "Detect the ossification areas first."
    old_slicer = export_readiness(scene, volume, str(source), HighdicomStatus("2.4.4", None))
    assert not old_slicer.enabled and old_slicer.install_requirement == LAST_FOR_PYDICOM_2
    assert "install highdicom==0.22.0" in old_slicer.message


@pytest.mark.parametrize("pydicom_version, highdicom_version, ready, requirement", [
    ("3.0.2", "0.28.2", True, LATEST_FOR_PYDICOM_3),
    ("2.4.4", "0.22.0", True, LAST_FOR_PYDICOM_2),   # Slicer 5.10's pydicom
    ("2.4.4", "0.28.2", False, LAST_FOR_PYDICOM_2),  # the current highdicom cannot use it
    ("2.4.0", None, False, None),                      # excluded by every highdicom
    ("2.2.2", None, False, None),
])
def test_which_highdicom_fits_which_pydicom(pydicom_version, highdicom_version, ready, requirement):
    status = HighdicomStatus(pydicom_version, highdicom_version)
    assert status.ready == ready and status.requirement == requirement == requirement_for_pydicom(pydicom_version)
    if not ready and requirement:
        assert requirement in status.message
    if requirement is None:
        assert "No highdicom release works" in status.message


def test_installed_highdicom_is_ready_here():
    assert HighdicomStatus().ready, HighdicomStatus().message


def test_the_slicer_section_calls_only_what_the_lib_has():
    """The Export to DICOM section runs only inside Slicer; outside it, check that every name it takes from
    the Lib exists (a renamed function would otherwise fail only in Slicer)."""
    import ast
    from pathlib import Path

    from OssificationDetectorLib.mrml import dicom_export

    from conftest import REPO_ROOT

    path = REPO_ROOT / "OssificationDetector" / "OssificationDetectorGui" / "dicom_export_section.py"
    tree = ast.parse(Path(path).read_text())
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "dicom_export"}
    assert used and all(hasattr(dicom_export, name) for name in used), sorted(n for n in used if not hasattr(dicom_export, n))
    readiness = export_readiness(None, None, None, READY)
    for name in ("enabled", "message", "install_requirement"):
        assert hasattr(readiness, name)
    for name in ("requirement", "ready", "message"):
        assert hasattr(READY, name)
