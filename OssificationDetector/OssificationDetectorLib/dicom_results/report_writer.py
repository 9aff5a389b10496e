"""Write the reviewed areas of a DICOM radiograph as a TID 1500 Measurement Report (Comprehensive SR).

One planar-ROI measurement group (TID 1410) per area: tracking identifier (the area's name) and
tracking UID, finding (ossification) and finding sites (the joint or bone, the digit, the side),
the box as a closed POLYLINE in the source image's pixels (SCOORD: x right, y down, 0\\0 the top-left
corner of the first pixel: the Box convention, so no conversion), the detector's score, the review
state, the algorithm, and the box's width and height in mm when the image has a pixel spacing.
The report is a new series in the source's study; highdicom copies the patient and study attributes.
"""
import numpy as np
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from . import coding
from .areas import exported_areas, software_version
from .coding import REVIEW_DETECTED
from .source_image import DicomResultsError, next_series_number, read_source

MANUFACTURER = "OssificationDetector"
DEVICE_UID = generate_uid(entropy_srcs=["OssificationDetector device"])  # the same for every report
REPORT_DESCRIPTION = "Ossification areas"
EDGE_TOLERANCE_PX = 1.0


def box_polyline(box):
    """The box as a closed polyline (first point repeated), (column, row) pairs."""
    x1, y1, x2, y2 = box.coords
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]], dtype=np.float64)


def pixel_spacing_mm(source):
    """(row mm, column mm) from Pixel Spacing, else Imager Pixel Spacing, else None."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = source.get(keyword)
        if value is not None and len(value) == 2 and float(value[0]) > 0 and float(value[1]) > 0:
            return float(value[0]), float(value[1])
    return None


def box_on_image(box, width, height, uid):
    """The box clipped to the image when it overhangs by up to EDGE_TOLERANCE_PX (a hand-drawn box over the
    edge); further out, the boxes are of another image and DicomResultsError says so."""
    x1, y1, x2, y2 = box.coords
    if x1 < -EDGE_TOLERANCE_PX or y1 < -EDGE_TOLERANCE_PX or x2 > width + EDGE_TOLERANCE_PX or y2 > height + EDGE_TOLERANCE_PX:
        raise DicomResultsError(f"The box of {box.name} {tuple(round(v, 1) for v in box.coords)} lies outside the "
                                f"{width} x {height} image {uid}: the boxes are of another image.")
    return box.clipped(width, height)


def _algorithm_id(algorithm):
    if algorithm is None:
        return None
    from highdicom.sr import AlgorithmIdentification

    return AlgorithmIdentification(name=algorithm.name, version=algorithm.version,
                                   parameters=algorithm.all_parameters() or None)


def _finding_sites(area, source):
    from highdicom.sr import FindingSite

    side = coding.laterality(source.get("ImageLaterality") or source.get("Laterality"))
    sites = []
    for index, (scheme, value, meaning) in enumerate(coding.area_site_codes(area.box.label, area.box.digit)):
        sites.append(FindingSite(anatomic_location=coding.code(scheme, value, meaning),
                                 laterality=side if index == 0 else None))
    return sites


def _measurements(area, spacing):
    from highdicom.sr import Measurement

    found = []
    if area.box.score is not None:
        found.append(Measurement(name=coding.score_concept(), value=round(float(area.box.score), 4),
                                 unit=codes.UCUM.NoUnits))
    if spacing is not None:
        row_mm, column_mm = spacing
        mm = coding.code("UCUM", "mm", "millimeter")
        found.append(Measurement(name=codes.SCT.Width, value=round(area.box.width * column_mm, 3), unit=mm))
        found.append(Measurement(name=codes.DCM.Height, value=round(area.box.height * row_mm, 3), unit=mm))
    return found


def measurement_group(area, source, algorithm=None):
    """The TID 1410 group of one ReviewedArea on the source dataset."""
    from highdicom.sr import (
        GraphicTypeValues, ImageRegion, PlanarROIMeasurementsAndQualitativeEvaluations, QualitativeEvaluation,
        SourceImageForRegion, TrackingIdentifier,
    )

    box = box_on_image(area.box, int(source.Columns), int(source.Rows), source.SOPInstanceUID)
    algorithm_id = _algorithm_id(algorithm)
    region = ImageRegion(graphic_type=GraphicTypeValues.POLYLINE, graphic_data=box_polyline(box),
                         source_image=SourceImageForRegion.from_source_image(source))
    return PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=TrackingIdentifier(uid=area.tracking_uid or generate_uid(), identifier=box.name),
        referenced_region=region,
        finding_type=coding.finding_type(),
        finding_sites=_finding_sites(area, source),
        algorithm_id=algorithm_id,
        measurements=_measurements(area, pixel_spacing_mm(source)) or None,
        qualitative_evaluations=[QualitativeEvaluation(name=coding.review_concept(),
                                                       value=coding.review_value(area.state))],
    )


def make_report(source_path, areas, algorithm=None, include_rejected=False, series_uid=None, observer_name=None):
    """The report (a highdicom ComprehensiveSR dataset) for `areas` on the radiograph at source_path."""
    from highdicom.sr import (
        ComprehensiveSR, DeviceObserverIdentifyingAttributes, MeasurementReport, ObservationContext,
        ObserverContext, PersonObserverIdentifyingAttributes,
    )

    source = read_source(source_path)
    areas = exported_areas(areas, include_rejected)
    if not areas:
        raise DicomResultsError(f"{source_path}: no areas to report (all were rejected, or none were found).")
    device = ObserverContext(observer_type=codes.DCM.Device,
                             observer_identifying_attributes=DeviceObserverIdentifyingAttributes(
                                 uid=DEVICE_UID, name=MANUFACTURER, manufacturer_name=MANUFACTURER,
                                 model_name=algorithm.name if algorithm else MANUFACTURER))
    person = None
    if observer_name:
        person = ObserverContext(observer_type=codes.DCM.Person,
                                 observer_identifying_attributes=PersonObserverIdentifyingAttributes(name=observer_name))
    content = MeasurementReport(
        observation_context=ObservationContext(observer_person_context=person, observer_device_context=device),
        procedure_reported=codes.SCT.ImagingProcedure,
        imaging_measurements=[measurement_group(a, source, algorithm) for a in areas],
    )
    report = ComprehensiveSR(
        evidence=[source], content=content[0], series_instance_uid=series_uid or generate_uid(),
        series_number=next_series_number(source), sop_instance_uid=generate_uid(), instance_number=1,
        manufacturer=MANUFACTURER, is_complete=True, series_description=REPORT_DESCRIPTION,
        # FINAL once every area was reviewed; detections nobody looked at are PRELIMINARY.
        is_final=all(a.state != REVIEW_DETECTED for a in areas),
    )
    report.SoftwareVersions = software_version()
    report.CodingSchemeIdentificationSequence = [coding.coding_scheme_identification()]
    return report


def write_report(source_path, areas, folder, algorithm=None, include_rejected=False, stem=None, **options):
    """Write the report into `folder` (created) as STEM.sr.dcm (default: the source's stem); returns its path."""
    from pathlib import Path

    report = make_report(source_path, areas, algorithm, include_rejected, **options)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem or Path(source_path).stem}.sr.dcm"
    save_dataset(report, path)
    return path


def save_dataset(ds, path):
    """Save atomically as DICOM Part 10 (pydicom 3's enforce_file_format, pydicom 2's write_like_original)."""
    from ..core.atomic import atomic_writer

    with atomic_writer(path, "wb") as stream:
        try:
            ds.save_as(stream, enforce_file_format=True)
        except TypeError:  # pydicom 2.x
            ds.save_as(stream, write_like_original=False)
