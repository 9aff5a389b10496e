"""Read a Measurement Report written by report_writer (or in the same form) back into reviewed areas."""
from dataclasses import dataclass, field
from typing import List, Optional

from pydicom.sr.codedict import codes

from ..core.boxes import Box
from . import coding
from .areas import Algorithm, ReviewedArea
from .source_image import DicomResultsError


@dataclass
class Report:
    """A report read back: its areas, the source image each refers to, the algorithm."""

    path: str
    sop_instance_uid: str
    study_instance_uid: str
    source_uids: List[str]  # the SOP Instance UID of each area's image, in the order of `areas`
    areas: List[ReviewedArea] = field(default_factory=list)
    algorithm: Optional[Algorithm] = None


def _polyline_box(region, label, digit, score):
    points = region.value.reshape(-1, 2)  # (column, row) pairs, pixel edges: the Box convention
    x, y = points[:, 0], points[:, 1]
    return Box(label, float(x.min()), float(y.min()), float(x.max()), float(y.max()), score=score, digit=digit)


def _text_items(group, concept):
    """The TEXT values of the group container's own items named `concept`."""
    items = group[0].ContentSequence if len(group) else []
    return [item.TextValue for item in items
            if item.ValueType == "TEXT" and item.ConceptNameCodeSequence[0].CodeValue == concept.value
            and item.ConceptNameCodeSequence[0].CodingSchemeDesignator == concept.scheme_designator]


def _algorithm(group):
    names = _text_items(group, codes.DCM.AlgorithmName)
    if not names:
        return None
    versions = _text_items(group, codes.DCM.AlgorithmVersion)
    parameters = _text_items(group, codes.DCM.AlgorithmParameters)
    sha256 = next((p.split("=", 1)[1] for p in parameters if p.startswith("sha256=")), None)
    return Algorithm(name=names[0], version=versions[0] if versions else "", sha256=sha256,
                     parameters=[p for p in parameters if not p.startswith("sha256=")])


def _area(group):
    region = group.roi
    if region is None or region.ValueType != "SCOORD":  # a segment or 3D coordinates: not a box on the image
        raise coding.ReportCodingError(f"Measurement group {group.tracking_identifier!r} has no 2D image region.")
    sites = [(site.value.scheme_designator, site.value.value) for site in group.finding_sites]
    label, digit = coding.area_of_site_codes(sites)
    scores = group.get_measurements(name=coding.score_concept())
    score = float(scores[0].value) if scores else None
    states = [e.value for e in group.get_qualitative_evaluations(name=coding.review_concept())]
    state = coding.review_state_of(states[0]) if states else coding.REVIEW_DETECTED
    box = _polyline_box(region, label, digit, score)
    source_uid = region.ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID
    return ReviewedArea(box=box, state=state, tracking_uid=str(group.tracking_uid)), str(source_uid)


def read_report(path):
    """The Report in a TID 1500 SR file; raises DicomResultsError for other files."""
    import highdicom as hd

    try:
        sr = hd.sr.srread(str(path))
    except Exception as error:  # highdicom raises many types for what is not an SR it can read
        raise DicomResultsError(f"{path}: not a DICOM Structured Report that can be read ({error}).") from error
    content = sr.content
    if not isinstance(content, hd.sr.MeasurementReport):
        raise DicomResultsError(f"{path}: a structured report, but not a Measurement Report (TID 1500).")
    report = Report(path=str(path), sop_instance_uid=str(sr.SOPInstanceUID),
                    study_instance_uid=str(sr.StudyInstanceUID), source_uids=[])
    for group in content.get_planar_roi_measurement_groups():
        try:
            area, source_uid = _area(group)
        except coding.ReportCodingError:
            continue  # a group of another kind of finding: not an ossification area
        report.areas.append(area)
        report.source_uids.append(source_uid)
        report.algorithm = report.algorithm or _algorithm(group)
    return report


def is_ossification_report(ds):
    """True for a dataset written by report_writer (for the offer to show a loaded report as ROIs)."""
    return (str(ds.get("Manufacturer", "")) == "OssificationDetector"
            and str(ds.get("Modality", "")) == "SR"
            and any(str(item.get("CodingSchemeDesignator", "")) == coding.PRIVATE_SCHEME
                    for item in ds.get("CodingSchemeIdentificationSequence", [])))
