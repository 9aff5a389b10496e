"""Ordinary image files (PNG, JPEG, TIFF, BMP) and ITK images (MHA, NRRD, NIfTI) read as radiographs,
and every way such a file can be unusable."""
import struct
import zlib

import numpy as np
import pytest
import SimpleITK as sitk
from PIL import Image

from OssificationDetectorLib.io.images import (
    NotAnImageError, RadiographError, normalized, read_radiograph,
)

RAMP8 = (np.arange(30 * 40).reshape(30, 40) % 251).astype(np.uint8)
RAMP16 = (np.arange(30 * 40).reshape(30, 40) * 53).astype(np.uint16)  # up to 63547


def luminance(rgb):
    rgb = rgb.astype(np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def colour_image():
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = RAMP8, RAMP8[::-1], 200
    return rgb


def save(array, path, **options):
    Image.fromarray(array).save(path, **options)
    return path


def png_header_only(path, width, height):
    """A PNG whose header claims width x height (no pixel data): enough to test size limits."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    return path


def test_committed_sample_radiograph(sample_png):
    radiograph = read_radiograph(sample_png)
    with Image.open(sample_png) as image:
        expected = np.asarray(image)
    assert radiograph.pixels.dtype == np.float32
    np.testing.assert_array_equal(radiograph.pixels, expected)
    assert (radiograph.width, radiograph.height) == (523, 682)
    assert radiograph.spacing is None and radiograph.metadata["format"] == "PNG"
    assert radiograph.source == str(sample_png)


def test_sample_normalises_alike_as_8_and_16_bit(sample_png, tmp_path):
    from OssificationDetectorLib.io.images import write_png

    eight = read_radiograph(sample_png)
    sixteen = read_radiograph(write_png(eight.pixels * 257, tmp_path / "4221-16.png", bits=16))
    assert sixteen.metadata["bits"] == 16 and sixteen.pixels.max() == 255 * 257
    result = normalized(eight)
    assert result.min() == 0.0 and result.max() == 1.0 and 0.2 < result.mean() < 0.8
    np.testing.assert_allclose(normalized(sixteen), result, rtol=0, atol=1e-6)


def test_png_8_and_16_bit_values(tmp_path):
    eight = read_radiograph(save(RAMP8, tmp_path / "8.png"))
    sixteen = read_radiograph(save(RAMP16, tmp_path / "16.png"))
    np.testing.assert_array_equal(eight.pixels, RAMP8)
    np.testing.assert_array_equal(sixteen.pixels, RAMP16)
    assert eight.metadata["bits"] == 8 and sixteen.metadata["bits"] == 16


@pytest.mark.parametrize("factor", [257, 256])
def test_normalisation_is_the_same_for_8_and_16_bit_files(tmp_path, factor):
    as8 = read_radiograph(save(RAMP8, tmp_path / "8.png"))
    as16 = read_radiograph(save(RAMP8.astype(np.uint16) * factor, tmp_path / "16.png"))
    np.testing.assert_allclose(normalized(as8), normalized(as16), rtol=0, atol=1e-6)


def test_rgb_and_rgba_become_luminance(tmp_path):
    rgb = colour_image()
    rgba = np.dstack([rgb, np.linspace(0, 255, 40, dtype=np.uint8)[None, :].repeat(30, 0)])
    from_rgb = read_radiograph(save(rgb, tmp_path / "rgb.png")).pixels
    from_rgba = read_radiograph(save(rgba, tmp_path / "rgba.png")).pixels
    np.testing.assert_allclose(from_rgb, luminance(rgb), atol=1e-3)
    np.testing.assert_array_equal(from_rgba, from_rgb)  # alpha is ignored


def test_palette_and_gray_alpha_png(tmp_path):
    palette = Image.fromarray(colour_image()).quantize(colors=64)
    palette.save(tmp_path / "palette.png")
    expected = luminance(np.asarray(palette.convert("RGB")))
    np.testing.assert_allclose(read_radiograph(tmp_path / "palette.png").pixels, expected, atol=1e-3)
    Image.fromarray(np.dstack([RAMP8, RAMP8[::-1]]), mode="LA").save(tmp_path / "la.png")
    np.testing.assert_array_equal(read_radiograph(tmp_path / "la.png").pixels, RAMP8)


def test_jpeg_gray_and_colour(tmp_path):
    smooth = np.add.outer(np.arange(30), np.arange(40)).astype(np.uint8) * 3
    gray = read_radiograph(save(smooth, tmp_path / "gray.jpg", quality=95))
    assert gray.metadata["format"] == "JPEG"
    assert np.abs(gray.pixels - smooth).max() <= 3  # lossy, but close
    colour = np.dstack([smooth, smooth, smooth])
    np.testing.assert_allclose(read_radiograph(save(colour, tmp_path / "c.jpeg", quality=95)).pixels,
                               smooth, atol=3)


def test_tiff_16_bit_gray_and_16_bit_rgb(tmp_path):
    np.testing.assert_array_equal(read_radiograph(save(RAMP16, tmp_path / "16.tif")).pixels, RAMP16)
    rgb16 = np.dstack([RAMP16, RAMP16[::-1], np.full_like(RAMP16, 40000)])
    sitk.WriteImage(sitk.GetImageFromArray(rgb16, isVector=True), str(tmp_path / "rgb16.tiff"))
    radiograph = read_radiograph(tmp_path / "rgb16.tiff")  # Pillow would keep only 8 of the 16 bits
    np.testing.assert_allclose(radiograph.pixels, luminance(rgb16), rtol=1e-6)


def test_bmp(tmp_path):
    np.testing.assert_array_equal(read_radiograph(save(RAMP8, tmp_path / "r.bmp")).pixels, RAMP8)


def itk_image(array, spacing):
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    return image


@pytest.mark.parametrize("name", ["r.mha", "r.nrrd", "r.nii.gz"])
def test_itk_2d_images_with_spacing(tmp_path, name):
    sitk.WriteImage(itk_image(RAMP16, (0.3, 0.2)), str(tmp_path / name))
    radiograph = read_radiograph(tmp_path / name)
    np.testing.assert_array_equal(radiograph.pixels, RAMP16)
    assert radiograph.spacing == pytest.approx((0.3, 0.2))


def test_itk_3d_image_of_one_slice_is_a_radiograph(tmp_path):
    sitk.WriteImage(itk_image(RAMP16[None], (0.25, 0.5, 3.0)), str(tmp_path / "one.mha"))
    radiograph = read_radiograph(tmp_path / "one.mha")
    np.testing.assert_array_equal(radiograph.pixels, RAMP16)
    assert radiograph.spacing == pytest.approx((0.25, 0.5))


def test_itk_volume_of_several_slices_is_refused(tmp_path):
    sitk.WriteImage(itk_image(np.stack([RAMP16] * 3), (1.0, 1.0, 1.0)), str(tmp_path / "vol.mha"))
    with pytest.raises(RadiographError, match="vol.mha: a 3D volume with 3 slices"):
        read_radiograph(tmp_path / "vol.mha")


def test_multi_page_tiff_is_refused(tmp_path):
    pages = [Image.fromarray(RAMP8), Image.fromarray(RAMP8[::-1])]
    pages[0].save(tmp_path / "pages.tif", save_all=True, append_images=pages[1:])
    with pytest.raises(RadiographError, match="a stack of 2 images"):
        read_radiograph(tmp_path / "pages.tif")


def test_missing_empty_folder_and_non_image(tmp_path):
    with pytest.raises(RadiographError, match="nothere.png: no such file"):
        read_radiograph(tmp_path / "nothere.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(RadiographError, match=r"empty.png: the file is empty \(0 bytes\)"):
        read_radiograph(tmp_path / "empty.png")
    with pytest.raises(RadiographError, match="a folder, not an image file"):
        read_radiograph(tmp_path)
    (tmp_path / "notes.txt").write_text("left hand, 11 years\n")
    with pytest.raises(NotAnImageError, match="notes.txt: not an image file.*PNG or DICOM"):
        read_radiograph(tmp_path / "notes.txt")


def test_corrupt_and_truncated_files(tmp_path):
    noise = np.random.default_rng(0).integers(0, 255, (200, 200), np.uint8)
    data = save(noise, tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbled.png").write_bytes(data[:8] + bytes(range(256)) * 4)
    (tmp_path / "cut.mha").write_bytes(b"ObjectType = Image\nNDims = 2\nDimSize = 40 30\n"
                                       b"ElementType = MET_USHORT\nElementDataFile = LOCAL\n" + b"\0" * 100)
    for name in ("cut.png", "garbled.png", "cut.mha"):
        with pytest.raises(RadiographError, match=f"{name}: the image file is corrupt or truncated"):
            read_radiograph(tmp_path / name)


def test_constant_image_is_refused(tmp_path):
    with pytest.raises(RadiographError, match="blank.png: every pixel has the value 128"):
        read_radiograph(save(np.full((20, 20), 128, np.uint8), tmp_path / "blank.png"))


def test_huge_images_are_refused_before_decoding(tmp_path):
    with pytest.raises(RadiographError, match=r"too large \(30000 x 10 pixels\).*Downsample"):
        read_radiograph(png_header_only(tmp_path / "wide.png", 30000, 10))
    with pytest.raises(RadiographError, match=r"too large \(12500 x 12500 pixels\).*150 megapixels"):
        read_radiograph(png_header_only(tmp_path / "big.png", 12500, 12500))
    with pytest.raises(RadiographError, match="bigger.png: the image is too large"):  # Pillow's own limit
        read_radiograph(png_header_only(tmp_path / "bigger.png", 15000, 15000))


def test_content_wins_over_the_suffix(tmp_path):
    """A PNG named .dcm (a common export mistake) is still read as the PNG it is."""
    path = save(RAMP8, tmp_path / "x.dcm", format="PNG")
    np.testing.assert_array_equal(read_radiograph(path).pixels, RAMP8)
