"""DICOM results: the TID 1500 report and the presentation state of reviewed areas, on real DICOM files.

Every object written here passes dciodvfy without errors and is read by dsrdump (reports), dcmpschk
(presentation states) and highdicom (reports); the report reads back into the same boxes to 0.01 px.
These tests also run on Slicer's pydicom 2.4.4 with highdicom 0.22.0 (they need no torch and no MRML).
"""
import numpy as np
import pydicom
import pytest

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.dicom_results.areas import Algorithm, ReviewedArea
from OssificationDetectorLib.dicom_results.coding import PRIVATE_SCHEME
from OssificationDetectorLib.dicom_results.presentation_state import write_presentation_state
from OssificationDetectorLib.dicom_results.report_reader import is_ossification_report, read_report
from OssificationDetectorLib.dicom_results.report_writer import save_dataset, write_report
from OssificationDetectorLib.dicom_results.source_image import DicomResultsError

from conftest import SAMPLES
from dicom_factory import make_dataset
from dicom_results_samples import PATIENT, hand_pixels, reviewed_sample, write_source
from dicom_validators import check_presentation_state, check_report, needs_dcmp2pgm, needs_dicom_tools, rendered_through

pytestmark = needs_dicom_tools
ALGORITHM = Algorithm("OssificationDetector default", "0.1.0", "82c56596" * 8, ["threshold=0.5"])
SOURCES = {
    "CR-MONOCHROME1-spacing": dict(kind="CR", photometric="MONOCHROME1", spacing=(0.2, 0.1),
                                   WindowCenter=2048, WindowWidth=4096),
    "DX-MONOCHROME2-no-spacing": dict(kind="DX", photometric="MONOCHROME2"),
    "SC-MONOCHROME2-spacing": dict(kind="SC", photometric="MONOCHROME2", spacing=(0.15, 0.15)),
}


@pytest.fixture(params=sorted(SOURCES))
def source(request, tmp_path):
    return write_source(tmp_path / f"{request.param}.dcm", hand_pixels(width=160), **SOURCES[request.param])


def assert_same_areas(read, written):
    assert len(read) == len(written)
    for got, expected in zip(read, written):
        assert got.box.label == expected.box.label and got.box.digit == expected.box.digit
        assert np.allclose(got.box.coords, expected.box.coords, atol=0.01), (got.box, expected.box)
        assert got.box.score == pytest.approx(expected.box.score) if expected.box.score is not None else got.box.score is None
        assert got.state == expected.state


def test_round_trip_keeps_boxes_states_digits_and_scores(source, tmp_path):
    areas = reviewed_sample()
    path = write_report(source, areas, tmp_path / "out", ALGORITHM)
    dump = check_report(path)
    assert "Tracking Identifier" in dump and "POLYLINE" in dump and "(PIP,99OSSDET" in dump
    report = read_report(path)
    kept = [a for a in areas if a.state != "rejected"]
    assert_same_areas(report.areas, kept)
    assert all(a.tracking_uid for a in report.areas) and len({a.tracking_uid for a in report.areas}) == len(kept)
    assert report.algorithm == ALGORITHM
    assert set(report.source_uids) == {str(pydicom.dcmread(source).SOPInstanceUID)}


def test_rejected_areas_only_when_asked_and_tracking_uids_kept(source, tmp_path):
    first = read_report(write_report(source, reviewed_sample(), tmp_path / "a", include_rejected=True))
    assert [a.state for a in first.areas].count("rejected") == 1
    assert_same_areas(first.areas, reviewed_sample())
    assert first.algorithm is None
    again = read_report(write_report(source, first.areas, tmp_path / "b", include_rejected=True))
    assert [a.tracking_uid for a in again.areas] == [a.tracking_uid for a in first.areas]


def test_report_is_a_new_series_in_the_source_study_with_patient_and_codes(source, tmp_path):
    path = write_report(source, reviewed_sample(), tmp_path, ALGORITHM)
    report, image = pydicom.dcmread(path), pydicom.dcmread(source)
    assert report.SOPClassUID == pydicom.uid.ComprehensiveSRStorage and report.Modality == "SR"
    assert report.StudyInstanceUID == image.StudyInstanceUID
    assert report.SeriesInstanceUID != image.SeriesInstanceUID and report.SOPInstanceUID != image.SOPInstanceUID
    for keyword, value in PATIENT.items():
        assert str(report.get(keyword)) == value, keyword
    assert report.CodingSchemeIdentificationSequence[0].CodingSchemeDesignator == PRIVATE_SCHEME
    assert is_ossification_report(report) and not is_ossification_report(image)
    assert report.PreliminaryFlag == "PRELIMINARY"  # some areas were not reviewed
    reviewed = write_report(source, [a for a in reviewed_sample() if a.state != "detected"], tmp_path / "reviewed")
    assert pydicom.dcmread(reviewed).PreliminaryFlag == "FINAL"


def test_pixel_spacing_gives_box_sizes_in_mm_and_its_absence_none(tmp_path):
    import highdicom as hd
    from pydicom.sr.codedict import codes

    box = Box("Radius", 10.0, 20.0, 40.0, 60.0, score=0.9)  # 30 x 40 pixels
    with_spacing = write_source(tmp_path / "mm.dcm", hand_pixels(width=160), spacing=(0.2, 0.1))
    without = write_source(tmp_path / "px.dcm", hand_pixels(width=160))
    sizes = {}
    for name, source in (("mm", with_spacing), ("px", without)):
        path = write_report(source, [ReviewedArea(box, "accepted")], tmp_path / name)
        check_report(path)
        group = hd.sr.srread(str(path)).content.get_planar_roi_measurement_groups()[0]
        sizes[name] = [(m.value, m.unit.value) for concept in (codes.SCT.Width, codes.DCM.Height)
                       for m in group.get_measurements(name=concept)]
        assert_same_areas(read_report(path).areas, [ReviewedArea(box, "accepted")])
    # DICOM spacing is row\column: 0.2 mm between rows, 0.1 mm between columns.
    assert sizes["mm"] == [(pytest.approx(3.0), "mm"), (pytest.approx(8.0), "mm")]
    assert sizes["px"] == []


@pytest.mark.parametrize("photometric, shape", [("MONOCHROME1", "INVERSE"), ("MONOCHROME2", "IDENTITY")])
def test_presentation_state_draws_the_boxes_on_the_source(tmp_path, photometric, shape):
    source = write_source(tmp_path / "src.dcm", hand_pixels(width=160), photometric=photometric)
    areas = reviewed_sample()
    gsps = check_presentation_state(write_presentation_state(source, areas, tmp_path / "out"))
    image = pydicom.dcmread(source)
    assert gsps.StudyInstanceUID == image.StudyInstanceUID and gsps.PatientID == image.PatientID
    assert gsps.PresentationLUTShape == shape  # MONOCHROME1: bone stays bright as the modality meant
    assert gsps.ReferencedSeriesSequence[0].ReferencedImageSequence[0].ReferencedSOPInstanceUID == image.SOPInstanceUID
    drawn, texts = [], []
    for annotation in gsps.GraphicAnnotationSequence:
        for graphic in annotation.GraphicObjectSequence:
            assert graphic.GraphicType == "POLYLINE" and graphic.GraphicAnnotationUnits == "PIXEL"
            points = np.asarray(graphic.GraphicData, dtype=float).reshape(-1, 2)
            assert np.allclose(points[0], points[-1])  # closed
            drawn.append((annotation.GraphicLayer, [points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max()]))
        texts += [t.UnformattedTextValue for t in annotation.TextObjectSequence]
    kept = [a for a in areas if a.state != "rejected"]
    assert sorted((layer, tuple(np.round(c, 3))) for layer, c in drawn) == sorted(
        (a.box.label.upper(), tuple(np.round(a.box.coords, 3))) for a in kept)
    assert "PIP III 0.93 accepted" in texts and "DIP V 0.71" in texts and not any("Ulna" in t for t in texts)
    assert {layer.GraphicLayer for layer in gsps.GraphicLayerSequence} == {a.box.label.upper() for a in kept}


@needs_dcmp2pgm
@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_a_dicom_viewer_shows_bone_bright_through_the_presentation_state(tmp_path, photometric):
    """DCMTK's dcmp2pgm renders the image through the GSPS (its window and presentation LUT)."""
    bright_bone = hand_pixels(width=160)
    source = write_source(tmp_path / "src.dcm", bright_bone, photometric=photometric)
    gsps = write_presentation_state(source, reviewed_sample(), tmp_path)
    shown = rendered_through(source, gsps, tmp_path / "shown.pgm")
    assert shown.shape == bright_bone.shape
    assert np.corrcoef(shown.ravel().astype(float), bright_bone.ravel().astype(float))[0, 1] > 0.95
    assert shown.min() < 30 and shown.max() > 225  # the window spans the image's values


def test_a_non_dicom_input_is_refused_with_the_reason(tmp_path):
    png = SAMPLES / "radiographs" / "4221.png"
    with pytest.raises(DicomResultsError, match="not a DICOM file, so no DICOM report"):
        write_report(png, reviewed_sample(), tmp_path)
    with pytest.raises(DicomResultsError, match="not a DICOM file"):
        write_presentation_state(png, reviewed_sample(), tmp_path)
    assert not any(tmp_path.iterdir()), "nothing is written for a refused input"


def test_a_report_is_not_a_source_and_other_images_boxes_are_refused(source, tmp_path):
    report = write_report(source, reviewed_sample(), tmp_path / "sr")
    with pytest.raises(DicomResultsError, match="not a radiograph"):
        write_report(report, reviewed_sample(), tmp_path / "again")
    outside = [ReviewedArea(Box("Radius", 100.0, 100.0, 500.0, 500.0))]
    with pytest.raises(DicomResultsError, match="outside the .* image"):
        write_report(source, outside, tmp_path / "outside")
    with pytest.raises(DicomResultsError, match="outside the .* image"):
        write_presentation_state(source, outside, tmp_path / "outside")
    width = int(pydicom.dcmread(source).Columns)
    overhang = [ReviewedArea(Box("Radius", width - 20.0, 100.0, width + 0.6, 120.0), "edited")]  # drawn over the edge
    assert read_report(write_report(source, overhang, tmp_path / "edge")).areas[0].box.x2 == width
    with pytest.raises(DicomResultsError, match="no areas"):
        write_report(source, [a for a in reviewed_sample() if a.state == "rejected"], tmp_path / "none")


def test_a_source_without_study_uid_is_refused(tmp_path):
    path = tmp_path / "bare.dcm"
    save_dataset(make_dataset(hand_pixels(width=60), kind="CR"), path)  # no patient, study or series
    with pytest.raises(DicomResultsError, match="lacks StudyInstanceUID"):
        write_report(path, reviewed_sample(), tmp_path / "out")


def test_reading_a_radiograph_as_a_report_fails_clearly(source):
    with pytest.raises(DicomResultsError, match="not a DICOM Structured Report"):
        read_report(source)


def test_a_report_made_elsewhere_gives_its_ossification_areas_only(source, tmp_path):
    """A TID 1500 report of another tool: a group of another finding is left out, ours are read."""
    import highdicom as hd
    from pydicom.sr.codedict import codes

    from OssificationDetectorLib.dicom_results.report_writer import measurement_group
    from OssificationDetectorLib.dicom_results.source_image import read_source

    image = read_source(source)
    other = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=pydicom.uid.generate_uid(), identifier="nodule"),
        referenced_region=hd.sr.ImageRegion(graphic_type=hd.sr.GraphicTypeValues.POINT, graphic_data=np.array([[5.0, 5.0]]),
                                            source_image=hd.sr.SourceImageForRegion.from_source_image(image)),
        finding_type=codes.SCT.Nodule, finding_sites=[hd.sr.FindingSite(hd.sr.CodedConcept("85562004", "SCT", "Hand"))])
    ours = reviewed_sample()[0]
    content = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(), procedure_reported=codes.SCT.ImagingProcedure,
        imaging_measurements=[other, measurement_group(ours, image)])
    path = tmp_path / "elsewhere.dcm"
    save_dataset(hd.sr.ComprehensiveSR(evidence=[image], content=content[0], series_instance_uid=pydicom.uid.generate_uid(),
                                       series_number=99, sop_instance_uid=pydicom.uid.generate_uid(), instance_number=1,
                                       manufacturer="Elsewhere"), path)
    report = read_report(path)
    assert_same_areas(report.areas, [ours])
    assert not is_ossification_report(pydicom.dcmread(path))  # not offered as ours in Slicer, but readable
