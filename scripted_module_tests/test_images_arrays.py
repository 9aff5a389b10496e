"""Radiographs from arrays, the shared intensity normalisation, and PNG writing."""
import os

import numpy as np
import pytest
from PIL import Image

from OssificationDetectorLib.io.images import (
    PERCENTILES, Radiograph, RadiographError, normalized, radiograph_from_array, read_radiograph,
    write_png,
)

RAMP = np.arange(40 * 50, dtype=np.float64).reshape(40, 50)


def test_from_array_gray_colour_and_single_slice():
    radiograph = radiograph_from_array(RAMP.astype(np.uint16), spacing=(0.1, 0.2), source="node")
    assert isinstance(radiograph, Radiograph) and radiograph.pixels.dtype == np.float32
    assert (radiograph.width, radiograph.height) == (50, 40)
    assert radiograph.spacing == (0.1, 0.2) and radiograph.source == "node" and radiograph.metadata == {}
    rgb = np.dstack([RAMP, RAMP * 0, RAMP * 0 + 100])
    np.testing.assert_allclose(radiograph_from_array(rgb).pixels, 0.299 * RAMP + 11.4, rtol=1e-6)
    np.testing.assert_array_equal(radiograph_from_array(RAMP[None]).pixels, RAMP)  # 1 x H x W
    assert radiograph_from_array(RAMP, spacing=(0.0, 0.1)).spacing is None  # 0 means unknown


def test_from_array_errors():
    with pytest.raises(RadiographError, match="a 3D volume with 3 slices"):
        radiograph_from_array(np.stack([RAMP] * 3))
    with pytest.raises(RadiographError, match="empty"):
        radiograph_from_array(np.zeros((0, 10)))
    with pytest.raises(RadiographError, match="every pixel has the value 7"):
        radiograph_from_array(np.full((5, 5), 7))
    with_nan = RAMP.copy()
    with_nan[3, 3] = np.nan
    with pytest.raises(RadiographError, match="NaN"):
        radiograph_from_array(with_nan)
    with pytest.raises(RadiographError, match="too large"):
        radiograph_from_array(np.broadcast_to(np.uint8(1), (5, 20001)))
    with pytest.raises(RadiographError, match="not a number"):
        radiograph_from_array(np.array([["a", "b"], ["c", "d"]]))


def test_normalized_uses_robust_percentiles():
    image = RAMP.copy()
    image[0, 0] = 1e6  # one bright marker must not squash the contrast of the rest
    low, high = np.percentile(image, PERCENTILES)
    result = normalized(image)
    assert result.dtype == np.float32 and result.shape == image.shape
    assert result.min() == 0.0 and result.max() == 1.0
    np.testing.assert_allclose(result, np.clip((image - low) / (high - low), 0, 1), atol=1e-6)
    assert 0.45 < result[20, 25] < 0.55  # the middle of the ramp stays mid-gray


def test_normalized_is_linear_invariant_and_takes_radiographs():
    radiograph = radiograph_from_array(RAMP)
    expected = normalized(radiograph)
    np.testing.assert_allclose(normalized(RAMP * 257.0 + 1000), expected, atol=1e-6)
    np.testing.assert_array_equal(normalized(RAMP.astype(np.uint16)), expected)


def test_normalized_on_a_mostly_flat_image_and_a_constant_one():
    flat = np.zeros((100, 100))
    flat[50, 40:45] = [10, 20, 30, 40, 50]  # 99.95 % background: percentiles coincide
    result = normalized(flat)
    assert result[50, 44] == 1.0 and result[0, 0] == 0.0 and result[50, 41] == pytest.approx(0.4)
    with pytest.raises(RadiographError, match="single intensity"):
        normalized(np.ones((10, 10)))


def test_normalized_on_a_large_image_uses_a_subgrid_that_agrees(tmp_path):
    rng = np.random.default_rng(1)
    large = rng.normal(1000, 200, (2100, 2000)).astype(np.float32)  # above the sampling threshold
    low, high = np.percentile(large, PERCENTILES)
    exact = np.clip((large - low) / (high - low), 0, 1)
    assert np.abs(normalized(large) - exact).max() < 0.01


@pytest.mark.parametrize("bits,dtype", [(8, np.uint8), (16, np.uint16)])
def test_write_png_round_trip_keeps_whole_values(tmp_path, bits, dtype):
    values = (RAMP % (2 ** bits)).astype(dtype)
    path = write_png(radiograph_from_array(values), tmp_path / "sub" / f"{bits}.png", bits=bits)
    with Image.open(path) as image:
        written = np.asarray(image)
    np.testing.assert_array_equal(written, values)
    np.testing.assert_array_equal(read_radiograph(path).pixels, values)


def test_write_png_stretches_other_values(tmp_path):
    path = write_png(RAMP / 7.0 - 3.0, tmp_path / "stretched.png", bits=16)
    with Image.open(path) as image:
        written = np.asarray(image).astype(np.float64)
    np.testing.assert_allclose(written, np.rint(normalized(RAMP) * 65535), atol=1)
    assert written.min() == 0 and written.max() == 65535
    forced = write_png(RAMP % 256, tmp_path / "forced.png", bits=8, rescale=True)
    with Image.open(forced) as image:
        assert np.asarray(image).max() == 255


def test_write_png_errors_and_atomic_replacement(tmp_path):
    with pytest.raises(ValueError, match="bits must be 8 or 16"):
        write_png(RAMP, tmp_path / "x.png", bits=12)
    with pytest.raises(ValueError, match="rescale=True"):
        write_png(RAMP, tmp_path / "x.png", bits=8, rescale=False)  # up to 1999: too big for 8 bits
    target = tmp_path / "out.png"
    write_png(RAMP % 200, target)
    write_png(RAMP % 100, target)  # replaces the first file in one rename
    np.testing.assert_array_equal(read_radiograph(target).pixels, RAMP % 100)
    assert sorted(os.listdir(tmp_path)) == ["out.png"]  # no temporary file left behind
