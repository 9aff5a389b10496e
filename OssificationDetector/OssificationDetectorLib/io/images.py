"""Read any hand radiograph into one Radiograph, normalise its intensities, write it as PNG.

read_radiograph recognises the file by its content (then by its suffix): DICOM (dicom_reader),
PNG/JPEG/TIFF/BMP (Pillow), MHA/MHD/NRRD/NIfTI (SimpleITK). normalized is the one intensity
normalisation shared by training and detection.
"""
import math
from pathlib import Path

import numpy as np

from ..core.atomic import atomic_writer
from .radiograph import (  # noqa: F401  (re-exported: this module is the public entry point)
    MAX_PIXELS, MAX_SIDE, SUPPORTED_FORMATS, NotAnImageError, Radiograph, RadiographError,
    radiograph_from_array,
)
from .raster_readers import read_with_pillow, read_with_simpleitk

# Robust range: the darkest and brightest 0.5 % (background noise, burnt-in labels, markers)
# do not stretch the contrast. Linear in the input, so an 8-bit image and the same image as
# 16-bit (values x 257 or x 256) normalise to the same result up to rounding.
PERCENTILES = (0.5, 99.5)
NORMALIZATION = "percentile-0.5-99.5"  # the name checkpoints record for this normalisation
_PERCENTILE_SAMPLES = 4_000_000  # larger images estimate percentiles on a regular subgrid

_PILLOW_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"II+\x00",
                      b"MM\x00+", b"BM", b"GIF8")
_ITK_SUFFIXES = (".mha", ".mhd", ".nrrd", ".nhdr", ".nii", ".nii.gz", ".hdr")
_DICOM_SUFFIXES = (".dcm", ".dicom", ".dic", ".ima")


def read_radiograph(path) -> Radiograph:
    """Read a radiograph file; raise RadiographError naming the file and what to do when it fails."""
    path = Path(path)
    if not path.exists():
        raise RadiographError(f"{path}: no such file. Check the path and the file name.")
    if path.is_dir():
        raise RadiographError(
            f"{path}: a folder, not an image file. Choose one radiograph file inside it "
            "(for a DICOM series, the file of the image)."
        )
    if path.stat().st_size == 0:
        raise RadiographError(f"{path}: the file is empty (0 bytes). Copy or export it again.")
    with open(path, "rb") as f:
        head = f.read(512)
    name = path.name.lower()
    from .dicom_reader import looks_like_dicom, read_dicom  # here: pydicom costs start-up time (a quick refusal must not)

    if looks_like_dicom(path):
        return read_dicom(path)
    if head.startswith(_PILLOW_SIGNATURES):
        return read_with_pillow(path, recognised=True)
    if head.startswith(b"NRRD") or head[344:348] in (b"n+1\x00", b"ni1\x00") \
            or name.endswith(_ITK_SUFFIXES):
        return read_with_simpleitk(path)
    # DICOM without the preamble (old files): recognised by suffix, or by none ("IM0001", UIDs).
    suffix = path.suffix.lower()
    if suffix in _DICOM_SUFFIXES or suffix == "" or suffix[1:].isdigit():
        return read_dicom(path)
    return read_with_pillow(path, recognised=False)  # other formats Pillow knows, else not an image


def _pixels_of(radiograph_or_array) -> np.ndarray:
    if isinstance(radiograph_or_array, Radiograph):
        return radiograph_or_array.pixels
    array = np.asarray(radiograph_or_array)
    if array.ndim != 2:
        array = radiograph_from_array(array).pixels  # colour to gray; refuses volumes
    return array


def intensity_range(radiograph_or_array):
    """(low, high): the PERCENTILES of the pixel values; (min, max) when those coincide."""
    pixels = _pixels_of(radiograph_or_array)
    step = max(1, math.ceil(math.sqrt(pixels.size / _PERCENTILE_SAMPLES)))
    sample = pixels[::step, ::step]
    low, high = (float(v) for v in np.percentile(sample, PERCENTILES))
    if high <= low:  # most of the image is one value (a large flat background)
        low, high = float(pixels.min()), float(pixels.max())
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        raise RadiographError(
            "The image has a single intensity (or NaN values) and cannot be normalised: "
            "it is blank, not a radiograph."
        )
    return low, high


def normalized(radiograph_or_array) -> np.ndarray:
    """Float32 pixels in [0, 1]: the robust range (intensity_range) stretched to 0..1, clipped."""
    pixels = _pixels_of(radiograph_or_array)
    low, high = intensity_range(pixels)
    out = np.asarray(pixels, dtype=np.float32) - np.float32(low)
    out *= np.float32(1.0 / (high - low))
    return np.clip(out, 0.0, 1.0, out=out)


def write_png(image, path, bits: int = 8, rescale=None) -> Path:
    """Write a gray image (Radiograph or 2D array) as an 8- or 16-bit PNG, atomically.

    rescale None: whole-number pixels within 0..2**bits-1 are written as they are, anything else
    is normalized() and stretched to the full range; True: always stretch; False: never (values
    out of range are an error).
    """
    if bits not in (8, 16):
        raise ValueError(f"write_png: bits must be 8 or 16, not {bits!r}.")
    from PIL import Image

    pixels = _pixels_of(image)
    top = 2 ** bits - 1
    fits = bool(np.all(np.isfinite(pixels))) and pixels.min() >= 0 and pixels.max() <= top \
        and bool(np.all(np.mod(pixels, 1) == 0))
    if rescale is None:
        rescale = not fits
    if rescale:
        pixels = np.rint(normalized(pixels) * top)
    elif not fits:
        raise ValueError(
            f"write_png: pixel values {pixels.min():g}..{pixels.max():g} are not whole numbers "
            f"within 0..{top}; pass rescale=True to stretch them to {bits} bits."
        )
    dtype = np.uint8 if bits == 8 else np.uint16
    picture = Image.fromarray(np.ascontiguousarray(pixels, dtype=dtype))
    path = Path(path)
    with atomic_writer(path, "wb") as stream:
        picture.save(stream, format="PNG")
    return path
