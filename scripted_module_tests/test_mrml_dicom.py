"""A MONOCHROME1 CR radiograph loaded the way Slicer's DICOM module loads it, on a real vtkMRMLScene.

DICOMScalarVolumePlugin reads a file with vtkITK's series reader (GDCM image IO, DCMTK as the
fallback) and tags the node with DICOM.instanceUIDs; slicer-core has that same reader, so the
volumes here hold what Slicer's would. The bridge must give the detector and the dataset what
read_radiograph makes of the file (bone bright, VOI LUT applied) while ROIs stay on the volume.
"""
import numpy as np
import pydicom
import pytest
import vtk
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

import slicer
from OssificationDetectorLib.mrml.annotations import add_annotations, restore_from_dataset, save_volume_annotations
from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.mrml.detections import detect_volume
from OssificationDetectorLib.io.dicom_source import INSTANCE_UIDS_ATTRIBUTE, dicom_file_of_volume
from OssificationDetectorLib.io.images import read_radiograph
from OssificationDetectorLib.mrml.bridge import box_from_roi, radiograph_from_volume
from OssificationDetectorTesting.volumes import make_volume

from conftest import SAMPLES
from dicom_factory import make_dataset, save_dicom
from mrml_fixtures import new_scene
from test_mrml_detect import random_detector  # noqa: F401  (the module's random-weights Detector)

WIDTH = 160
BOXES = [Box("Radius", 40.0, 120.0, 70.0, 150.0), Box("PIP", 90.5, 30.25, 101.0, 44.0, digit=3)]


def correlation(a, b):
    return float(np.corrcoef(np.ravel(a).astype(float), np.ravel(b).astype(float))[0, 1])


@pytest.fixture(scope="module")
def bright_bone():
    """A real hand radiograph (bone bright), small, as 12-bit values."""
    image = Image.open(SAMPLES / "radiographs" / "6470.png")
    height = round(image.height * WIDTH / image.width)
    return np.asarray(image.resize((WIDTH, height), Image.BILINEAR), dtype=np.uint16) * 16


def gamma_voi_lut():
    """A VOI LUT Sequence item: a square-root curve over the 12-bit range (not a linear window)."""
    item = Dataset()
    item.add_new(0x00283002, "US", [4096, 0, 16])
    item.add_new(0x00283006, "US", [int(65535 * np.sqrt(v / 4095)) for v in range(4096)])
    return Sequence([item])


def write_monochrome1(folder, bright_bone, voi_lut=False):
    """A MONOCHROME1 CR file (bone stored dark), with a window or a VOI LUT; returns (path, uid)."""
    ds = make_dataset((4095 - bright_bone).astype(np.uint16), kind="CR", photometric="MONOCHROME1",
                      bits_stored=12, PixelSpacing=[0.25, 0.2], WindowCenter=2048, WindowWidth=4096)
    if voi_lut:
        ds.VOILUTSequence = gamma_voi_lut()
    path = folder / f"cr-{'voi-lut' if voi_lut else 'window'}.dcm"
    save_dicom(ds, path)
    return path, str(ds.SOPInstanceUID)


@pytest.fixture(params=[False, True], ids=["window", "voi-lut"])
def monochrome1_file(request, tmp_path, bright_bone):
    return write_monochrome1(tmp_path, bright_bone, voi_lut=request.param)


@pytest.fixture
def scene(tmp_path):
    return new_scene(tmp_path)


def load_like_dicom_module(scene, path, approach):
    """What DICOMScalarVolumePlugin.load does with one file (loadFilesWithSeriesReader, then
    setVolumeNodeProperties' instance UID attribute), with the GDCM or the DCMTK image IO."""
    reader = slicer.vtkITKArchetypeImageSeriesScalarReader()
    reader.SetArchetype(str(path))
    reader.AddFileName(str(path))
    reader.SetSingleFile(0)
    reader.SetOutputScalarTypeToNative()
    reader.SetDesiredCoordinateOrientationToNative()
    reader.SetUseNativeOriginOn()
    getattr(reader, f"SetDICOMImageIOApproachTo{approach}")()
    reader.Update()
    assert reader.GetErrorCode() == vtk.vtkErrorCode.NoError, f"{approach} could not read {path}"
    change = vtk.vtkImageChangeInformation()  # the plugin moves spacing and origin into the node
    change.SetInputConnection(reader.GetOutputPort())
    change.SetOutputSpacing(1, 1, 1)
    change.SetOutputOrigin(0, 0, 0)
    change.Update()
    image = vtk.vtkImageData()
    image.DeepCopy(change.GetOutputDataObject(0))
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", f"1: CR {approach}")
    node.SetAndObserveImageData(image)
    node.SetRASToIJKMatrix(reader.GetRasToIjkMatrix())
    node.SetAttribute(INSTANCE_UIDS_ATTRIBUTE, str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID))
    return node


@pytest.mark.parametrize("approach", ["GDCM", "DCMTK"])
def test_detection_input_is_the_file_as_read_radiograph_reads_it(scene, monochrome1_file, bright_bone, approach):
    path, uid = monochrome1_file
    node = load_like_dicom_module(scene[0], path, approach)
    dicom_file = dicom_file_of_volume(node, {uid: str(path)}.get)
    assert dicom_file == str(path)

    corrected = radiograph_from_volume(node, dicom_file)
    expected = read_radiograph(path)
    assert corrected.metadata["pixel_source"] == "dicom-file", corrected.metadata["pixel_source_reason"]
    assert np.array_equal(corrected.pixels, expected.pixels)
    assert correlation(corrected.pixels, bright_bone) > 0.95, "bone must be bright"
    assert corrected.metadata["photometric"] == "MONOCHROME1" and corrected.metadata["inverted"]

    plain = radiograph_from_volume(node)
    assert plain.metadata["pixel_source"] == "volume"
    for key in ("volume_node_id", "ijk_to_ras", "parent_transform_id"):
        assert corrected.metadata[key] == plain.metadata[key]
    assert corrected.spacing == plain.spacing  # the volume's: ROIs are placed with it
    assert corrected.metadata["dicom_spacing"] == pytest.approx((0.2, 0.25))
    plain_is_dark = correlation(plain.pixels, bright_bone) < 0
    assert corrected.metadata["volume_inverted"] == plain_is_dark
    if approach == "DCMTK":  # what made the fix necessary; a change here means the docs need updating
        assert plain_is_dark, "slicer-core's DCMTK reader now inverts MONOCHROME1: update dicom_source's docstring"
    else:
        assert not plain_is_dark, "slicer-core's GDCM reader no longer inverts MONOCHROME1: update dicom_source"


@pytest.mark.parametrize("approach, inverts", [("GDCM", True), ("DCMTK", False)])
def test_voi_lut_reaches_the_detector_but_not_slicers_volume(scene, tmp_path, bright_bone, approach, inverts):
    path, _ = write_monochrome1(tmp_path, bright_bone, voi_lut=True)
    node = load_like_dicom_module(scene[0], path, approach)
    plain, corrected = radiograph_from_volume(node), radiograph_from_volume(node, str(path))
    assert corrected.metadata["voi"] == "VOI LUT Sequence"
    # Slicer's values are the stored values, inverted by GDCM only: linear in them, unlike the VOI LUT's curve.
    stored = pydicom.dcmread(path).pixel_array.astype(float)
    assert correlation(plain.pixels, 4095 - stored if inverts else stored) == pytest.approx(1.0, abs=1e-9)
    assert correlation(corrected.pixels, np.sqrt(stored / 4095)) < -0.999


def test_detect_boxes_of_the_file_land_on_the_volume(scene, monochrome1_file, random_detector):
    path, uid = monochrome1_file
    node = load_like_dicom_module(scene[0], path, "DCMTK")
    expected = random_detector.detect(read_radiograph(path))
    assert expected, "the random model gave no box to place"
    rois = detect_volume(scene[0], node, random_detector, 0.0, "random",
                         dicom_file=dicom_file_of_volume(node, {uid: str(path)}.get))
    found = sorted((box_from_roi(roi, node) for roi in rois), key=lambda b: b.coords)
    expected = sorted(expected, key=lambda b: b.coords)
    assert len(found) == len(expected)
    for box, want in zip(found, expected):
        assert box.label == want.label and box.score == pytest.approx(want.score)
        assert box.coords == pytest.approx(want.coords, abs=1e-4)


def test_files_that_do_not_fit_leave_the_volume_pixels(scene, monochrome1_file, bright_bone, tmp_path):
    path, uid = monochrome1_file
    other = make_volume(scene[0], np.arange(12 * 10, dtype=np.uint16).reshape(12, 10), name="cropped")
    other.SetAttribute(INSTANCE_UIDS_ATTRIBUTE, uid)
    radiograph = radiograph_from_volume(other, dicom_file_of_volume(other, {uid: str(path)}.get))
    assert radiograph.metadata["pixel_source"] == "volume"
    assert "grid (160 x" in radiograph.metadata["pixel_source_reason"]
    assert np.array_equal(radiograph.pixels, np.arange(120).reshape(12, 10))

    rng = np.random.default_rng(0)
    same_grid = make_volume(scene[0], rng.integers(0, 4096, bright_bone.shape).astype(np.uint16), name="noise")
    radiograph = radiograph_from_volume(same_grid, str(path))
    assert radiograph.metadata["pixel_source"] == "volume"
    assert "another image" in radiograph.metadata["pixel_source_reason"]

    gone = tmp_path / "moved-away.dcm"
    radiograph = radiograph_from_volume(same_grid, str(gone))
    assert "not there any more" in radiograph.metadata["pixel_source_reason"]
    damaged = tmp_path / "damaged.dcm"
    damaged.write_bytes(path.read_bytes()[:2000])
    radiograph = radiograph_from_volume(same_grid, str(damaged))
    assert "cannot be read" in radiograph.metadata["pixel_source_reason"]
    assert np.array_equal(radiograph.pixels, radiograph_from_volume(same_grid).pixels)

    assert dicom_file_of_volume(same_grid, {uid: str(path)}.get) is None  # no UID, no storage file
    same_grid.SetAttribute(INSTANCE_UIDS_ATTRIBUTE, f"{uid} Unknown")
    assert dicom_file_of_volume(same_grid, {uid: str(path)}.get) == str(path)
    same_grid.SetAttribute(INSTANCE_UIDS_ATTRIBUTE, f"{uid} {uid}")  # two instances: a series, not one file
    assert dicom_file_of_volume(same_grid, {uid: str(path)}.get) is None


def test_a_dicom_file_dropped_onto_slicer_is_found_by_its_storage_node(scene, monochrome1_file):
    path, _ = monochrome1_file
    _, volumes_logic = scene
    node = volumes_logic.AddArchetypeVolume(str(path), "dropped")
    assert dicom_file_of_volume(node) == str(path)
    radiograph = radiograph_from_volume(node, dicom_file_of_volume(node))
    assert np.array_equal(radiograph.pixels, read_radiograph(path).pixels)


def test_dataset_store_saves_the_corrected_pixels(scene, monochrome1_file, bright_bone, tmp_path):
    path, uid = monochrome1_file
    node = load_like_dicom_module(scene[0], path, "DCMTK")
    add_annotations(scene[0], node, BOXES)
    dicom_file = dicom_file_of_volume(node, {uid: str(path)}.get)
    stored = save_volume_annotations(scene[0], node, tmp_path / "dataset", source=dicom_file, dicom_file=dicom_file)
    saved = read_radiograph(stored.image_path).pixels
    assert correlation(saved, bright_bone) > 0.95, "the dataset must get bone bright"

    from OssificationDetectorLib.annotations.dataset_store import save_radiograph_annotations

    reference = save_radiograph_annotations(tmp_path / "from-file", stored.name, read_radiograph(path), BOXES)
    assert np.array_equal(saved, read_radiograph(reference.image_path).pixels), "same PNG as the file's own"

    scene[0].RemoveNode(node)
    again = load_like_dicom_module(scene[0], path, "DCMTK")
    restored = restore_from_dataset(scene[0], again, tmp_path / "dataset", dicom_file=dicom_file)
    assert restored is not None and restored.name == stored.name
