"""The one in-memory form of a radiograph: a 2D float32 array, its pixel spacing and its origin.

Every reader (DICOM, PNG/JPEG/TIFF/BMP, MHA/NRRD/NIfTI, a Slicer volume) ends in
radiograph_from_array, so the checks on shape, size and contents live here once.
"""
from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np

# Refuse images that cannot be a radiograph before decoding them, rather than running out of
# memory: a 43 cm detector at 0.1 mm is 4300 px a side. 150 megapixels is 600 MB as float32
# and stays below Pillow's own decompression-bomb limit (about 179 megapixels).
MAX_SIDE = 20000
MAX_PIXELS = 150_000_000

# ITU-R BT.601 luma, the weights Pillow uses for its "L" mode.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


SUPPORTED_FORMATS = "DICOM, PNG, JPEG, TIFF, BMP, MHA/MHD, NRRD, NIfTI"


class RadiographError(ValueError):
    """A file or array that cannot be read as a radiograph; the message says why and what to do."""


class NotAnImageError(RadiographError):
    """A file in no image format that can be read (a text file, a document...)."""


def not_an_image(source) -> NotAnImageError:
    return NotAnImageError(
        f"{source}: not an image file in a format that can be read ({SUPPORTED_FORMATS}). "
        "Choose the radiograph's image file, or convert it to PNG or DICOM."
    )


@dataclass
class Radiograph:
    """A grayscale radiograph. pixels[row, col] = pixels[y, x], bright = dense (bone).

    spacing is (x_mm, y_mm), the size of one pixel, or None when the file does not say.
    """

    pixels: np.ndarray
    spacing: Optional[Tuple[float, float]] = None
    source: str = "array"
    metadata: dict = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def check_image_size(width: int, height: int, source: str) -> None:
    """Raise RadiographError for an empty image or one too large to be a radiograph."""
    if width <= 0 or height <= 0:
        raise RadiographError(f"{source}: the image is empty ({width} x {height} pixels).")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise too_large_error(source, f"{width} x {height} pixels")


def too_large_error(source, size_text) -> RadiographError:
    return RadiographError(
        f"{source}: the image is too large ({size_text}); radiographs up to {MAX_SIDE} pixels "
        f"a side and {MAX_PIXELS // 1_000_000} megapixels are read. "
        "Downsample it (for example to half resolution) and try again."
    )


def _to_2d(array: np.ndarray, source: str) -> np.ndarray:
    """Squeeze single slices and turn RGB/RGBA (last axis 3 or 4) into luminance; refuse volumes."""
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        rgb = array[..., :3].astype(np.float32)  # alpha is dropped: radiographs are opaque
        return rgb @ np.asarray(LUMA_WEIGHTS, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] in (1, 2):  # gray, or gray + alpha
        return array[..., 0]
    if array.ndim >= 3 and array.shape[0] == 1:
        return _to_2d(array[0], source)
    if array.ndim == 2:
        return array
    if array.ndim == 3:
        raise RadiographError(
            f"{source}: a 3D volume with {array.shape[0]} slices, not a radiograph. "
            "Save the one slice you want as a 2D image and read that."
        )
    raise RadiographError(
        f"{source}: an array of shape {array.shape} is not a 2D image; expected rows x columns "
        "(gray) or rows x columns x 3/4 (RGB/RGBA)."
    )


def radiograph_from_array(array, spacing=None, source: str = "array",
                          metadata: Optional[dict] = None) -> Radiograph:
    """A Radiograph from a 2D gray array, or rows x columns x 3/4 colour (converted to luminance).

    Raises RadiographError for volumes, empty, too large, non-finite or constant images.
    """
    array = np.asarray(array)
    if array.size == 0:
        raise RadiographError(f"{source}: the image is empty (shape {array.shape}).")
    if array.dtype.kind not in "biuf":
        raise RadiographError(f"{source}: pixel type {array.dtype} is not a number; expected a gray image.")
    pixels = _to_2d(array, source)
    check_image_size(pixels.shape[1], pixels.shape[0], source)
    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    if not np.isfinite(pixels).all():
        raise RadiographError(f"{source}: the image holds NaN or infinite values; fix or re-export it.")
    low, high = float(pixels.min()), float(pixels.max())
    if low == high:
        raise RadiographError(
            f"{source}: every pixel has the value {low:g}: a blank image, not a radiograph. "
            "Check that the right file was exported."
        )
    if spacing is not None:
        spacing = (float(spacing[0]), float(spacing[1]))
        if not all(np.isfinite(s) and s > 0 for s in spacing):
            spacing = None  # a zero or negative spacing in a header means "unknown"
    return Radiograph(pixels=pixels, spacing=spacing, source=str(source), metadata=dict(metadata or {}))
