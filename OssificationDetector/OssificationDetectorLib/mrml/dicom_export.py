"""Export to DICOM from the scene, and reports back into ROIs: the Qt-free half of the panel's section.

A volume's detection ROIs become reviewed areas: pending -> detected, accepted -> accepted, edited (moved
or resized by the reviewer, see detections.note_edit) -> edited, rejected -> rejected. A report read
back becomes detection ROIs in the same review states (detected -> pending).
What only Slicer has (its DICOM database, the DICOM module's loading) stays in the Gui section.
"""
import os
from dataclasses import dataclass
from typing import Optional

from ..dicom_results.areas import Algorithm, ReviewedArea
from ..dicom_results.coding import REVIEW_ACCEPTED, REVIEW_DETECTED, REVIEW_EDITED, REVIEW_REJECTED
from ..io.dicom_source import instance_uids
from .bridge import (
    DETECTED_BOX, MODEL, REVIEW, REVIEW_PENDING, ROLE_DETECTION, MrmlBridgeError, box_from_roi, create_box_roi,
    detection_rois,
)
from .bridge import REVIEW_EDITED as ROI_EDITED
from .detections import EDITED_MARK, note_edits, set_review

_STATE_OF_REVIEW = {REVIEW_PENDING: REVIEW_DETECTED, "accepted": REVIEW_ACCEPTED, ROI_EDITED: REVIEW_EDITED,
                    "rejected": REVIEW_REJECTED}
_REVIEW_OF_STATE = {REVIEW_DETECTED: REVIEW_PENDING, REVIEW_ACCEPTED: "accepted", REVIEW_EDITED: "accepted",
                    REVIEW_REJECTED: "rejected"}


def reviewed_areas(scene, volume_node):
    """The ReviewedAreas of a volume's detection ROIs, as the ROIs are now."""
    note_edits(scene, volume_node)
    areas = []
    for roi in detection_rois(scene, volume_node):
        state = _STATE_OF_REVIEW.get(roi.GetAttribute(REVIEW) or REVIEW_PENDING, REVIEW_DETECTED)
        areas.append(ReviewedArea(box=box_from_roi(roi, volume_node), state=state))
    return areas


def algorithm_of_rois(scene, volume_node):
    """The algorithm of the model named on the ROIs (registry name or file), None when none is."""
    names = {roi.GetAttribute(MODEL) for roi in detection_rois(scene, volume_node)} - {None, ""}
    if len(names) != 1:
        return None
    name = names.pop()
    from ..dicom_results.areas import algorithm_of_model
    from ..model.registry import RegistryError

    try:
        return algorithm_of_model(name)
    except (RegistryError, OSError):  # a model gone since: its name is still worth recording
        from ..dicom_results.areas import software_version

        prefix = "" if name.startswith("OssificationDetector ") else "OssificationDetector "
        return Algorithm(name=prefix + name, version=software_version())


@dataclass
class ExportReadiness:
    """Whether Export to DICOM can run for a volume, and the one line the panel shows."""

    enabled: bool
    message: str
    install_requirement: Optional[str] = None  # a highdicom to offer to install


def export_readiness(scene, volume_node, dicom_file, highdicom_status):
    if volume_node is None:
        return ExportReadiness(False, "Choose a radiograph.")
    if not highdicom_status.ready:
        return ExportReadiness(False, highdicom_status.message, highdicom_status.requirement)
    if not dicom_file or not os.path.isfile(dicom_file):
        return ExportReadiness(False, f"{volume_node.GetName()} was not loaded from DICOM (or its file is gone): "
                                      "a report refers to the DICOM image, so load the radiograph with the DICOM module.")
    rois = detection_rois(scene, volume_node)
    if not rois:
        return ExportReadiness(False, "Detect the ossification areas first.")
    counts = {}
    for area in reviewed_areas(scene, volume_node):
        counts[area.state] = counts.get(area.state, 0) + 1
    summary = ", ".join(f"{counts[s]} {s}" for s in (REVIEW_ACCEPTED, REVIEW_EDITED, REVIEW_DETECTED, REVIEW_REJECTED)
                        if s in counts)
    return ExportReadiness(True, f"{len(rois)} areas ({summary}).")


def export_volume(scene, volume_node, dicom_file, folder, gsps=True, include_rejected=False):
    """Write the volume's report (and presentation state) into `folder`; returns the paths written."""
    from ..dicom_results.results import write_results

    return write_results(dicom_file, reviewed_areas(scene, volume_node), folder, gsps,
                         algorithm_of_rois(scene, volume_node), include_rejected)


def reports_of_volume(volume_node, report_files):
    """Those of report_files (paths of SR files in the volume's study) that are ossification reports of
    this volume's image: what loading offers to show as ROIs."""
    import pydicom

    from ..dicom_results.report_reader import is_ossification_report

    uids = set(instance_uids(volume_node))
    found = []
    for path in report_files:
        try:
            ds = pydicom.dcmread(str(path), stop_before_pixels=True)
        except Exception:  # not every file of a study is readable DICOM: skip it, it is not ours
            continue
        referenced = {str(item.ReferencedSOPInstanceUID) for series in ds.get("CurrentRequestedProcedureEvidenceSequence", [])
                      for s in series.get("ReferencedSeriesSequence", []) for item in s.get("ReferencedSOPSequence", [])}
        if is_ossification_report(ds) and uids & referenced:
            found.append(str(path))
    return found


def show_report(scene, volume_node, report_path):
    """The report's areas as detection ROIs on the volume, in their review states; returns the ROIs."""
    from ..dicom_results.report_reader import read_report

    report = read_report(report_path)
    uids = set(instance_uids(volume_node))
    if uids and not uids & set(report.source_uids):
        raise MrmlBridgeError(f"{report_path} is a report of another image than {volume_node.GetName()!r}.")
    model = report.algorithm.name if report.algorithm else "DICOM report"
    rois = []
    for area in report.areas:
        roi = create_box_roi(scene, volume_node, area.box, ROLE_DETECTION, model=model)
        if area.state == REVIEW_EDITED:
            roi.SetAttribute(DETECTED_BOX, EDITED_MARK)  # edited before; the detected box is not in the report
        set_review(roi, _REVIEW_OF_STATE[area.state], threshold=0.0, volume_node=volume_node)
        rois.append(roi)
    note_edits(scene, volume_node)
    return rois
