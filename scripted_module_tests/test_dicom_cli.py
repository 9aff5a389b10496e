"""The command line's DICOM results: detect --dicom-sr/--gsps with the bundled model on real DICOM hands
(upright and mirrored), and dicom-report from a VOC or COCO review."""
import json

import numpy as np
import pydicom
import pytest

from OssificationDetectorLib.annotations.coco import write_coco
from OssificationDetectorLib.annotations.voc import read_voc
from OssificationDetectorLib.cli import main
from OssificationDetectorLib.dicom_results.report_reader import read_report
from OssificationDetectorLib.model.registry import resolve_model
from OssificationDetectorLib.dicom_results.report_writer import save_dataset

from conftest import SAMPLES
from dicom_factory import make_dataset
from dicom_results_samples import hand_pixels, write_source
from dicom_validators import check_presentation_state, check_report, needs_dicom_tools

pytestmark = needs_dicom_tools


@pytest.fixture(scope="module")
def detected(tmp_path_factory):
    """detect on an upright MONOCHROME1 CR, the same hand mirrored as MONOCHROME2 DX, and a PNG."""
    folder = tmp_path_factory.mktemp("dicom-detect")
    pixels = hand_pixels("4221")
    upright = write_source(folder / "upright.dcm", pixels, kind="CR", photometric="MONOCHROME1", spacing=(0.1, 0.1))
    mirrored = write_source(folder / "mirrored.dcm", pixels[:, ::-1].copy(), kind="DX", photometric="MONOCHROME2")
    png = SAMPLES / "radiographs" / "4221.png"
    bare = folder / "bare.dcm"  # a DICOM image without study: detected, but no report
    save_dataset(make_dataset(hand_pixels("4221", width=200), kind="CR"), bare)
    out = folder / "sr"
    import contextlib
    import io

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(["detect", str(upright), str(mirrored), str(png), str(bare), "--output", str(folder / "detections.json"),
                     "--dicom-sr", str(out), "--gsps", "--device", "cpu", "--quiet"])
    return dict(code=code, stderr=stderr.getvalue(), out=out, width=pixels.shape[1],
                upright=upright, mirrored=mirrored, detections=json.loads((folder / "detections.json").read_text()))


def boxes_of(detections, name):
    entry = next(e for e in detections["images"] if e["file"].endswith(name))
    return entry["detections"]


def test_detect_writes_a_report_and_presentation_state_per_dicom_radiograph(detected):
    assert detected["code"] == 0
    written = sorted(p.name for p in detected["out"].iterdir())
    assert written == ["mirrored.pr.dcm", "mirrored.sr.dcm", "upright.pr.dcm", "upright.sr.dcm"]
    for name in written:
        (check_report if ".sr." in name else check_presentation_state)(detected["out"] / name)
    # The PNG gets one line saying why it has no report; detection itself went on.
    lines = [line for line in detected["stderr"].splitlines() if "4221.png" in line and "DICOM" in line]
    assert len(lines) == 1 and "not a DICOM file" in lines[0]
    assert "no DICOM report: " in detected["stderr"] and "bare.dcm: the DICOM header lacks StudyInstanceUID" in detected["stderr"]
    assert len(detected["detections"]["images"]) == 4  # every input was detected and saved


def test_report_holds_the_detections_with_the_bundled_model(detected):
    for name in ("upright", "mirrored"):
        report = read_report(detected["out"] / f"{name}.sr.dcm")
        json_boxes = boxes_of(detected["detections"], f"{name}.dcm")
        assert len(report.areas) == len(json_boxes) >= 15
        assert {a.state for a in report.areas} == {"detected"}
        got = sorted((a.box.label, *a.box.coords) for a in report.areas)
        expected = sorted((b["label"], *b["box"]) for b in json_boxes)
        assert [g[0] for g in got] == [e[0] for e in expected]
        assert np.allclose([g[1:] for g in got], [e[1:] for e in expected], atol=0.01)
        assert report.algorithm.name == "OssificationDetector default (ossification-mobilenet_v2_fpn-v4-fp16)"
        assert report.algorithm.sha256 == resolve_model("default")[1]  # the bundled file's, from models.json
        assert report.source_uids[0] == str(pydicom.dcmread(detected[name]).SOPInstanceUID)


def test_a_mirrored_hand_is_reported_in_the_mirrored_source_pixels(detected):
    """The mirrored image's areas are the upright ones mirrored: coordinates stay in each source's pixels."""
    width = detected["width"]
    upright = read_report(detected["out"] / "upright.sr.dcm").areas
    mirrored = read_report(detected["out"] / "mirrored.sr.dcm").areas
    matched = 0
    for area in upright:
        b = area.box
        flipped = (width - b.x2, b.y1, width - b.x1, b.y2)
        same = [m for m in mirrored if m.box.label == b.label and m.box.digit == b.digit]
        if same:
            matched += 1
            assert np.allclose(same[0].box.coords, flipped, atol=0.05 * width), (b, same[0].box)
    assert matched >= 14


def test_gsps_needs_dicom_sr(tmp_path, capsys):
    png = SAMPLES / "radiographs" / "4221.png"
    assert main(["detect", str(png), "--output", str(tmp_path / "d.json"), "--gsps"]) == 2
    assert "give --dicom-sr FOLDER too" in capsys.readouterr().err


@pytest.fixture
def review_of_4221(tmp_path):
    """The reviewed VOC boxes of 4221 and that radiograph as DICOM (MONOCHROME2 CR, the VOC's pixel grid)."""
    voc = SAMPLES / "ossification-voc" / "4221.xml"
    source = write_source(tmp_path / "4221.dcm", hand_pixels("4221"), kind="CR", spacing=(0.143, 0.143))
    return voc, source, read_voc(voc)


@pytest.mark.parametrize("form", ["voc", "coco"])
def test_dicom_report_turns_a_review_into_a_report(review_of_4221, tmp_path, form, capsys):
    voc, source, annotated = review_of_4221
    review = voc
    if form == "coco":
        review = tmp_path / "review.json"
        write_coco([annotated], review)
    out = tmp_path / "out"
    assert main(["dicom-report", str(review), str(source), "--output", str(out), "--gsps", "--state", "edited",
                 "--observer", "Reviewer^Rita"]) == 0
    assert "4221.sr.dcm" in capsys.readouterr().out
    dump = check_report(out / "4221.sr.dcm")
    assert '(121006,DCM,"Person")' in dump and '"Person Observer Name")="Reviewer^Rita"' in dump
    check_presentation_state(out / "4221.pr.dcm")
    report = read_report(out / "4221.sr.dcm")
    assert report.algorithm is None  # a person's review: no model named
    assert {a.state for a in report.areas} == {"edited"}
    got = [(a.box.label, a.box.digit, a.box.coords) for a in report.areas]
    expected = [(b.label, b.digit, b.coords) for b in annotated.boxes]
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    assert np.allclose([g[2] for g in got], [e[2] for e in expected], atol=0.01)


def test_dicom_report_refuses_a_review_of_another_image_and_a_png(review_of_4221, tmp_path, capsys):
    voc, _, _ = review_of_4221
    other = write_source(tmp_path / "4221-small.dcm", hand_pixels("4221", width=200), kind="CR")
    assert main(["dicom-report", str(voc), str(other), "--output", str(tmp_path / "o")]) == 2
    assert "the review is of a 523 x 682 image" in capsys.readouterr().err
    png = SAMPLES / "radiographs" / "4221.png"
    assert main(["dicom-report", str(voc), str(png), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a DICOM file, so no DICOM report" in err
    assert not (tmp_path / "o").exists()


def test_two_inputs_of_one_name_get_two_reports(tmp_path):
    from OssificationDetectorLib.cli.dicom import DicomResults
    from OssificationDetectorLib.core.boxes import Box

    sources = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        sources.append(write_source(tmp_path / folder / "hand.dcm", hand_pixels(width=160), kind="CR"))
    results, lines = DicomResults(tmp_path / "out", gsps=True, algorithm=None), []
    for source in sources:
        results.add(source, [Box("Radius", 50.0, 150.0, 80.0, 170.0, score=0.9)], lines.append)
    assert lines == []
    assert sorted(p.name for p in results.written) == ["hand-2.pr.dcm", "hand-2.sr.dcm", "hand.pr.dcm", "hand.sr.dcm"]
    for stem, source in (("hand", sources[0]), ("hand-2", sources[1])):
        check_report(tmp_path / "out" / f"{stem}.sr.dcm")
        assert read_report(tmp_path / "out" / f"{stem}.sr.dcm").source_uids == [str(pydicom.dcmread(source).SOPInstanceUID)]
