"""Read radiographs stored as ordinary images (Pillow) or as ITK images (SimpleITK).

Pillow: PNG, JPEG, TIFF, BMP (and the other formats it knows), 8 and 16 bit, gray or colour;
colour becomes luminance. The pixel grid is the file's (EXIF orientation is not applied, so
boxes drawn by annotation tools on the stored pixels stay valid). These files carry no spacing.
SimpleITK: MHA/MHD, NRRD, NIfTI holding one 2D image (or a 3D image of one slice), with the
spacing of its header.
"""
import re
import struct
import warnings
import zlib

import numpy as np
from PIL import Image, UnidentifiedImageError

from .radiograph import (
    Radiograph, RadiographError, check_image_size, not_an_image, radiograph_from_array,
    too_large_error,
)

# Errors Pillow raises for damaged files (zlib and struct from PNG chunks and TIFF tags).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error, IndexError,
                  KeyError, TypeError)
_TIFF_BITS_PER_SAMPLE = 258


def corrupt_file_error(source, err) -> RadiographError:
    return RadiographError(
        f"{source}: the image file is corrupt or truncated ({err}). "
        "Copy or export it again; if it opens elsewhere, save it as PNG and read that."
    )


def read_with_pillow(path, recognised: bool = True) -> Radiograph:
    """Read an image file with Pillow. recognised: the file's signature is one Pillow should read,
    so a failure means a damaged file; otherwise it means the file is not an image."""
    source = str(path)
    with warnings.catch_warnings():
        # Our own size limit applies, and damaged files get an error below, not warnings.
        warnings.simplefilter("ignore")
        return _read_with_pillow(path, source, recognised)


def _read_with_pillow(path, source, recognised):
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as err:
        raise too_large_error(source, err) from err
    except UnidentifiedImageError as err:
        if recognised:
            raise corrupt_file_error(source, err) from err
        raise not_an_image(source) from err
    except _DECODE_ERRORS as err:
        raise corrupt_file_error(source, err) from err
    with image:
        check_image_size(image.width, image.height, source)
        try:
            frames = getattr(image, "n_frames", 1)
            deep_colour_tiff = image.format == "TIFF" and _is_deep_colour_tiff(image)
            if frames == 1 and not deep_colour_tiff:
                pixels, bits = _pillow_pixels(image)
        except _DECODE_ERRORS as err:
            raise corrupt_file_error(source, err) from err
        if frames > 1:
            raise RadiographError(
                f"{source}: a stack of {frames} images (pages or frames), a 3D volume rather "
                "than a radiograph. Save the one image you want on its own and read that."
            )
        if deep_colour_tiff:
            return read_with_simpleitk(path)  # Pillow would cut 16-bit RGB down to 8 bits
        metadata = {"format": image.format, "mode": image.mode, "bits": bits}
    return radiograph_from_array(pixels, spacing=None, source=source, metadata=metadata)


def _is_deep_colour_tiff(image) -> bool:
    bits = image.tag_v2.get(_TIFF_BITS_PER_SAMPLE)
    return isinstance(bits, tuple) and len(bits) > 1 and max(bits) > 8


def _pillow_pixels(image):
    """The pixels as a numpy array (gray 2D, or RGB(A) for colour) and the bits per sample."""
    mode = image.mode
    if mode.startswith("I;16"):
        return np.array(image), 16
    if mode in ("L", "I", "F", "1"):
        return np.array(image), {"L": 8, "I": 32, "F": 32, "1": 1}[mode]
    if mode in ("RGB", "RGBA"):
        return np.array(image), 8
    if mode in ("LA", "La"):
        return np.array(image.getchannel("L")), 8
    return np.array(image.convert("RGB")), 8  # palette, CMYK, YCbCr...; alpha is dropped


def read_with_simpleitk(path) -> Radiograph:
    """Read an ITK-readable image of one 2D slice, with its spacing as (x_mm, y_mm)."""
    import SimpleITK as sitk

    source = str(path)
    reader = sitk.ImageFileReader()
    reader.SetFileName(source)
    try:
        reader.ReadImageInformation()
    except RuntimeError as err:
        raise corrupt_file_error(source, itk_error_text(err)) from err
    size = reader.GetSize()
    slices = int(np.prod(size[2:])) if len(size) > 2 else 1
    if slices > 1:
        raise RadiographError(
            f"{source}: a 3D volume with {slices} slices (size {' x '.join(map(str, size))}), "
            "not a radiograph. Save the one slice you want as a 2D image and read that."
        )
    check_image_size(size[0], size[1], source)
    try:
        image = reader.Execute()
    except RuntimeError as err:
        raise corrupt_file_error(source, itk_error_text(err)) from err
    pixels = sitk.GetArrayFromImage(image)
    spacing = tuple(image.GetSpacing()[:2])
    metadata = {
        "format": reader.GetImageIO() or "SimpleITK",
        "pixel_type": image.GetPixelIDTypeAsString(),
        "components": image.GetNumberOfComponentsPerPixel(),
    }
    return radiograph_from_array(pixels, spacing=spacing, source=source, metadata=metadata)


def itk_error_text(err) -> str:
    """The description in an ITK exception, without its source file, line and object address."""
    text = " ".join(str(err).split())
    text = re.split(r"(?:ITK ERROR|itk::ERROR|sitk::ERROR):", text)[-1]
    text = re.sub(r"^\s*Exception thrown in SimpleITK \w+: \S+:\d+:\s*", "", text)
    return re.sub(r"^\s*\w+\(0x[0-9a-fA-F]+\):\s*", "", text).strip() or "unreadable"
