"""Rule: say what is wrong with the image (another modality, too small, inverted, more than one hand), and
folder scans find every radiograph format that is read when named. Real files on disk."""
import json
import shutil

import numpy as np
import pytest
import SimpleITK as sitk
from PIL import Image

from cli_run import run_cli
from dicom_factory import write_dicom
from OssificationDetectorLib.detection.image_checks import image_warnings, several_hands_warning
from OssificationDetectorLib.io.images import normalized, read_radiograph
from OssificationDetectorLib.io.scan import radiograph_files_in


def _warnings_of(path, analysis=None):
    radiograph = read_radiograph(path)
    return image_warnings(radiograph, normalized(radiograph).astype(np.float32), analysis)


def test_a_good_radiograph_gets_no_image_warning(sample_pngs):
    for png in sample_pngs:
        assert _warnings_of(png) == []


def test_an_inverted_radiograph_is_named(sample_png, tmp_path):
    pixels = np.array(Image.open(sample_png).convert("L"))
    Image.fromarray(255 - pixels).save(tmp_path / "negative.png")
    assert any("inverted" in w for w in _warnings_of(tmp_path / "negative.png"))


def test_an_image_too_small_for_a_hand_is_named(sample_png, tmp_path):
    Image.open(sample_png).convert("L").resize((8, 8)).save(tmp_path / "tiny.png")
    assert any("only 8 x 8 pixels" in w for w in _warnings_of(tmp_path / "tiny.png"))


@pytest.mark.parametrize("modality, warned", [("CT", True), ("MR", True), ("CR", False), ("DX", False)])
def test_a_modality_other_than_a_radiograph_is_named(sample_png, tmp_path, modality, warned):
    pixels = np.array(Image.open(sample_png).convert("L")).astype(np.uint16) * 16
    path = write_dicom(tmp_path / "hand.dcm", pixels, Modality=modality)
    assert any(f"modality is {modality}" in w for w in _warnings_of(path)) == warned


def test_two_hands_are_named_from_what_the_model_found():
    assert several_hands_warning({"Radius": 2, "Ulna": 2, "Wrist": 1}) is not None
    assert several_hands_warning({"DIP": 8, "PIP": 10, "MCP": 10}) is not None
    assert several_hands_warning({"DIP": 6, "PIP": 7, "MCP": 8}) is not None  # two hands, a few joints missed
    assert several_hands_warning({"DIP": 5, "PIP": 6, "MCP": 7}) is None  # one hand and a few strays
    assert several_hands_warning({"DIP": 4, "PIP": 5, "MCP": 5, "Radius": 1, "Ulna": 1, "Wrist": 1}) is None
    assert several_hands_warning({"Radius": 2}) is None  # one doubled box is a duplicate, not a hand


def test_the_default_model_names_two_hands_side_by_side_and_not_one(sample_pngs, tmp_path):
    from OssificationDetectorLib.detection.detect import Detector

    left, right = (np.array(Image.open(p).convert("L")) for p in (sample_pngs[1], sample_pngs[0]))  # 6470, 4221
    height = max(left.shape[0], right.shape[0])
    pad = lambda a: np.pad(a, ((0, height - a.shape[0]), (0, 0)))  # noqa: E731
    Image.fromarray(np.hstack([pad(left), pad(right[:, ::-1])])).save(tmp_path / "two.png")
    detector = Detector("default", device="cpu", threads=2, orientations="upright")
    two = detector.detect_with_report(read_radiograph(tmp_path / "two.png"))
    one = detector.detect_with_report(read_radiograph(sample_pngs[1]))
    assert any("more than one hand" in w for w in two.warnings), two.warnings
    assert not any("more than one hand" in w for w in one.warnings), one.warnings


def test_detect_writes_the_image_warnings_into_detections_json(sample_png, tiny_model_file, tmp_path):
    pixels = np.array(Image.open(sample_png).convert("L"))
    write_dicom(tmp_path / "ct.dcm", pixels.astype(np.uint16) * 16, Modality="CT")
    Image.fromarray(255 - pixels).save(tmp_path / "negative.png")
    ran = run_cli("detect", tmp_path / "ct.dcm", tmp_path / "negative.png", "--output", tmp_path / "d.json",
                  "--model", tiny_model_file[0], "--device", "cpu", "--threads", "1", "--orientations", "upright",
                  "--quiet")
    assert ran.code == 0, ran.err
    images = json.loads((tmp_path / "d.json").read_text())["images"]
    assert "modality is CT" in images[0]["warnings"][0] and "inverted" in images[1]["warnings"][0]
    assert "modality is CT" in ran.err and "inverted" in ran.err


def test_folder_scans_find_every_format_read_when_named(sample_png, tmp_path):
    pixels = np.array(Image.open(sample_png).convert("L"))
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copyfile(sample_png, folder / "a.png")
    image = sitk.GetImageFromArray(pixels)
    for name in ("b.mha", "c.nrrd", "d.nii", "e.nii.gz"):
        sitk.WriteImage(image, str(folder / name))
    write_dicom(folder / "IM000001", pixels.astype(np.uint16))          # PACS export: no suffix
    write_dicom(folder / "1.2.840.113619.2.55.3", pixels.astype(np.uint16))  # named by its UID
    (folder / "._a.png").write_bytes(b"\x00\x05\x16\x07")               # macOS resource fork
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "notes.txt").write_text("not an image")
    found = [p.name for p in radiograph_files_in(folder)]
    assert found == sorted(["a.png", "b.mha", "c.nrrd", "d.nii", "e.nii.gz", "IM000001", "1.2.840.113619.2.55.3"])
    for path in radiograph_files_in(folder):
        assert read_radiograph(path).pixels.shape == pixels.shape
