"""DICOM radiographs written with pydicom, read through read_radiograph: values, spacing, errors."""
import numpy as np
import pytest
from pydicom.dataset import Dataset

from dicom_factory import make_dataset, save_dicom, write_dicom
from OssificationDetectorLib.io.images import RadiographError, read_radiograph

RAMP12 = (np.arange(24 * 32).reshape(24, 32) * 5).astype(np.uint16)  # 0..3835, 12-bit


def dicom_window(x, center, width, y_min, y_max):
    """PS3.3 C.11.2.1.2.1, the LINEAR window function, written out independently of pydicom."""
    x = np.asarray(x, dtype=np.float64)
    low, high = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    inside = ((x - (center - 0.5)) / (width - 1) + 0.5) * (y_max - y_min) + y_min
    return np.where(x <= low, y_min, np.where(x > high, y_max, inside))


def test_cr_16_bit_values_spacing_and_metadata(tmp_path):
    pixels = (np.arange(20 * 30).reshape(20, 30) * 109).astype(np.uint16)  # up to 65291
    path = write_dicom(tmp_path / "cr.dcm", pixels, PixelSpacing=[0.2, 0.1])
    radiograph = read_radiograph(path)
    assert radiograph.pixels.dtype == np.float32 and radiograph.pixels.shape == (20, 30)
    np.testing.assert_array_equal(radiograph.pixels, pixels)
    assert (radiograph.width, radiograph.height) == (30, 20)
    assert radiograph.spacing == (0.1, 0.2)  # (x, y): DICOM lists [row, column]
    meta = radiograph.metadata
    assert meta["modality"] == "CR" and meta["photometric"] == "MONOCHROME2"
    assert meta["bits_allocated"] == 16 and meta["bits_stored"] == 16
    assert meta["laterality"] == "L" and meta["patient_orientation"] == ["A", "F"]
    assert meta["spacing_source"] == "PixelSpacing" and meta["inverted"] is False
    assert radiograph.source == str(path)


def test_monochrome1_is_inverted_so_bone_is_bright(tmp_path):
    path = write_dicom(tmp_path / "m1.dcm", RAMP12, kind="DX", photometric="MONOCHROME1",
                       bits_stored=12, PresentationLUTShape="INVERSE")
    pixels = read_radiograph(path).pixels
    # Stored 0 is white in MONOCHROME1: it becomes the largest value, once (INVERSE agrees).
    np.testing.assert_array_equal(pixels, RAMP12.max() + RAMP12.min() - RAMP12.astype(np.float32))
    assert pixels[0, 0] == pixels.max() and pixels[-1, -1] == pixels.min()


def test_inverse_presentation_lut_inverts_monochrome2(tmp_path):
    path = write_dicom(tmp_path / "inv.dcm", RAMP12, kind="DX", bits_stored=12,
                       PresentationLUTShape="INVERSE")
    radiograph = read_radiograph(path)
    assert radiograph.metadata["inverted"] is True
    assert radiograph.pixels[0, 0] == radiograph.pixels.max()


def test_12_bits_stored_in_16_ignores_the_unused_high_bits(tmp_path):
    noisy = RAMP12 | np.uint16(0xF000)  # old files put overlays in bits 12-15
    path = write_dicom(tmp_path / "12bit.dcm", noisy, bits_stored=12)
    radiograph = read_radiograph(path)
    np.testing.assert_array_equal(radiograph.pixels, RAMP12)
    assert radiograph.metadata["bits_stored"] == 12


def test_8_bit_dicom(tmp_path):
    pixels = (np.arange(16 * 16).reshape(16, 16) % 251).astype(np.uint8)
    radiograph = read_radiograph(write_dicom(tmp_path / "8bit.dcm", pixels))
    np.testing.assert_array_equal(radiograph.pixels, pixels)
    assert radiograph.metadata["bits_allocated"] == 8


def test_rescale_slope_and_intercept(tmp_path):
    path = write_dicom(tmp_path / "rescale.dcm", RAMP12, bits_stored=12,
                       RescaleSlope="2.5", RescaleIntercept="-1024")
    np.testing.assert_allclose(read_radiograph(path).pixels, RAMP12 * 2.5 - 1024)


def test_signed_pixels_with_rescale(tmp_path):
    signed = (RAMP12.astype(np.int16) - 2000)
    path = write_dicom(tmp_path / "signed.dcm", signed, bits_stored=12,
                       RescaleSlope="1", RescaleIntercept="100")
    np.testing.assert_array_equal(read_radiograph(path).pixels, signed + 100.0)


def test_window_center_width_maps_as_the_standard_says(tmp_path):
    center, width = 2048.0, 1024.0
    path = write_dicom(tmp_path / "window.dcm", RAMP12, kind="DX", bits_stored=12,
                       WindowCenter=center, WindowWidth=width)
    radiograph = read_radiograph(path)
    expected = dicom_window(RAMP12, center, width, 0, 4095)  # 12-bit unsigned output range
    np.testing.assert_allclose(radiograph.pixels, expected, rtol=0, atol=1e-2)
    assert radiograph.pixels[0, 0] == 0 and radiograph.pixels[-1, -1] == 4095
    assert 0 < radiograph.pixels[RAMP12 == 2050][0] < 4095
    assert radiograph.metadata["voi"] == "Window Center/Width"


def test_window_after_rescale_and_monochrome1(tmp_path):
    """Order: rescale first, the window on the rescaled values, then the inversion."""
    path = write_dicom(tmp_path / "w1.dcm", RAMP12, kind="DX", photometric="MONOCHROME1",
                       bits_stored=12, RescaleSlope="2", RescaleIntercept="-500",
                       WindowCenter=3000.0, WindowWidth=4001.0)
    windowed = dicom_window(RAMP12 * 2.0 - 500, 3000.0, 4001.0, -500, 4095 * 2 - 500)
    expected = windowed.max() + windowed.min() - windowed
    np.testing.assert_allclose(read_radiograph(path).pixels, expected, atol=0.05)


def test_voi_lut_sequence_wins_over_the_window(tmp_path):
    first, entries = 1000, 2048
    lut = (np.arange(entries, dtype=np.int64) ** 2 // 64).astype(np.uint16)  # non-linear
    item = Dataset()
    item.LUTDescriptor = [entries, first, 16]
    item.add_new(0x00283006, "US", lut.tolist())  # LUT Data
    path = write_dicom(tmp_path / "voilut.dcm", RAMP12, kind="DX", bits_stored=12,
                       VOILUTSequence=[item], WindowCenter=2048.0, WindowWidth=100.0)
    radiograph = read_radiograph(path)
    expected = lut[np.clip(RAMP12.astype(np.int64) - first, 0, entries - 1)]
    np.testing.assert_array_equal(radiograph.pixels, expected)
    assert radiograph.metadata["voi"] == "VOI LUT Sequence"


def test_imager_pixel_spacing_and_preference_for_pixel_spacing(tmp_path):
    imager = read_radiograph(write_dicom(tmp_path / "imager.dcm", RAMP12, kind="DX",
                                         ImagerPixelSpacing=[0.15, 0.143]))
    assert imager.spacing == pytest.approx((0.143, 0.15))
    assert imager.metadata["spacing_source"] == "ImagerPixelSpacing"
    both = read_radiograph(write_dicom(tmp_path / "both.dcm", RAMP12, kind="DX",
                                       ImagerPixelSpacing=[0.15, 0.15], PixelSpacing=[0.1, 0.12]))
    assert both.spacing == pytest.approx((0.12, 0.1))
    assert both.metadata["spacing_source"] == "PixelSpacing"
    none = read_radiograph(write_dicom(tmp_path / "none.dcm", RAMP12))
    assert none.spacing is None and none.metadata["spacing_source"] is None


def test_dx_for_processing(tmp_path):
    radiograph = read_radiograph(write_dicom(tmp_path / "proc.dcm", RAMP12, kind="DX-processing"))
    assert radiograph.metadata["presentation_intent"] == "FOR PROCESSING"
    assert radiograph.metadata["sop_class"] == "Digital X-Ray Image Storage - For Processing"


def test_rgb_dicom_becomes_luminance(tmp_path):
    rgb = np.zeros((24, 32, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = RAMP12 // 16, 100, 7
    ds = make_dataset(rgb[..., 0])
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.PixelData = rgb.tobytes()
    save_dicom(ds, tmp_path / "rgb.dcm")
    expected = 0.299 * (RAMP12 // 16) + 0.587 * 100 + 0.114 * 7
    np.testing.assert_allclose(read_radiograph(tmp_path / "rgb.dcm").pixels, expected, rtol=1e-6)


def test_dicom_without_preamble_is_read_by_suffix_or_without_suffix(tmp_path):
    ds = make_dataset(RAMP12)
    for name in ("old.dcm", "IM0001", "1.2.840.1234"):
        save_dicom(ds, tmp_path / name, part10=False)  # no preamble, no "DICM"
        np.testing.assert_array_equal(read_radiograph(tmp_path / name).pixels, RAMP12)


def test_multi_frame_is_refused_as_a_volume(tmp_path):
    path = write_dicom(tmp_path / "frames.dcm", np.stack([RAMP12] * 3))
    with pytest.raises(RadiographError, match="3D volume with 3 frames"):
        read_radiograph(path)


def test_truncated_dicom(tmp_path):
    path = write_dicom(tmp_path / "full.dcm", RAMP12)
    data = path.read_bytes()
    (tmp_path / "cut.dcm").write_bytes(data[: len(data) - 500])
    with pytest.raises(RadiographError, match="cut.dcm.*corrupt or truncated"):
        read_radiograph(tmp_path / "cut.dcm")
    (tmp_path / "header.dcm").write_bytes(data[:300])  # cut inside the header
    with pytest.raises(RadiographError, match="no pixel data|truncated"):
        read_radiograph(tmp_path / "header.dcm")
    pixel_data_tag = data.rfind(b"\xe0\x7f\x10\x00")
    (tmp_path / "nopixels.dcm").write_bytes(data[:pixel_data_tag])
    with pytest.raises(RadiographError, match="ends before its pixel data: it is truncated"):
        read_radiograph(tmp_path / "nopixels.dcm")


def test_dicom_without_pixels(tmp_path):
    ds = make_dataset(RAMP12)
    for keyword in ("PixelData", "Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit"):
        delattr(ds, keyword)  # like a structured report: no image at all
    save_dicom(ds, tmp_path / "report.dcm")
    with pytest.raises(RadiographError, match="holds no pixel data"):
        read_radiograph(tmp_path / "report.dcm")


def test_huge_dicom_is_refused_before_decoding(tmp_path):
    ds = make_dataset(RAMP12)
    ds.Rows, ds.Columns = 30000, 30000  # the header claims 1.8 GB of pixels
    save_dicom(ds, tmp_path / "huge.dcm")
    with pytest.raises(RadiographError, match="too large.*30000 x 30000"):
        read_radiograph(tmp_path / "huge.dcm")


def test_constant_dicom(tmp_path):
    path = write_dicom(tmp_path / "blank.dcm", np.full((16, 16), 700, np.uint16))
    with pytest.raises(RadiographError, match="blank.dcm.*every pixel has the value 700"):
        read_radiograph(path)
