"""Read a single-frame DICOM radiograph (CR, DX for presentation or for processing) with pydicom.

The pixels go through the standard display pipeline: stored values -> Modality LUT (Rescale
Slope/Intercept or Modality LUT Sequence) -> VOI LUT (VOI LUT Sequence, else the first Window
Center/Width) -> MONOCHROME1 / INVERSE presentation inverted, so that bone is always bright.

Compressed transfer syntaxes: pydicom decodes RLE Lossless itself and, through Pillow, JPEG
Baseline, JPEG Extended (12-bit) and JPEG 2000 (lossless and lossy); pylibjpeg plug-ins or
python-gdcm add the others when installed. What pydicom cannot decode (JPEG Lossless, JPEG-LS)
is decoded by the GDCM built into SimpleITK. HTJ2K needs `pip install pylibjpeg
pylibjpeg-openjpeg`; the error says so.
"""
import copy
import os
import tempfile
import warnings

import numpy as np
import pydicom

from .radiograph import Radiograph, RadiographError, check_image_size, not_an_image, radiograph_from_array
from .raster_readers import itk_error_text

try:  # pydicom >= 3
    from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut, get_decoder
except ImportError:  # pydicom 2.x
    from pydicom.pixel_data_handlers.util import apply_color_lut, apply_modality_lut, apply_voi_lut
    get_decoder = None

DICOM_MAGIC_OFFSET = 128
_INSTALL_ADVICE = "pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg (or python-gdcm)"


def looks_like_dicom(path) -> bool:
    """True for a DICOM Part 10 file (the 'DICM' marker after the 128-byte preamble)."""
    with open(path, "rb") as f:
        f.seek(DICOM_MAGIC_OFFSET)
        return f.read(4) == b"DICM"


def read_dicom(path) -> Radiograph:
    """Read a single-frame DICOM image as a Radiograph (raises RadiographError with advice)."""
    source = str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about every small header deviation
            return _read_radiograph(path, source)
    except RadiographError:
        raise
    except Exception as err:  # pydicom parses values lazily: a damaged header fails anywhere
        raise RadiographError(
            f"{source}: the DICOM header is damaged ({_one_line(err)}); the file is corrupt or "
            "truncated. Copy it again from the archive or PACS."
        ) from err


def _read_radiograph(path, source) -> Radiograph:
    ds = _read_dataset(path, source)
    if "PixelData" not in ds and "Rows" in ds:
        raise RadiographError(
            f"{source}: the DICOM file describes an image but ends before its pixel data: it is "
            "truncated. Copy it again from the archive or PACS."
        )
    if "PixelData" not in ds:
        kind = ds.get("SOPClassUID")
        kind = f" ({getattr(kind, 'name', kind)})" if kind is not None else ""
        raise RadiographError(
            f"{source}: this DICOM file{kind} holds no pixel data: it is not an image (a report, "
            "a presentation state, a DICOMDIR) or it is truncated. Open the image file of the series."
        )
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raise RadiographError(
            f"{source}: a 3D volume with {frames} frames, not a radiograph. "
            "Export the one frame you want as a single-frame DICOM or a PNG."
        )
    check_image_size(int(ds.get("Columns", 0)), int(ds.get("Rows", 0)), source)
    pixels = _mask_unused_bits(_decode_stored_values(ds, source), ds)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    inverted = False
    if photometric == "PALETTE COLOR":
        pixels = apply_color_lut(pixels, ds)
    elif int(ds.get("SamplesPerPixel", 1)) == 1:
        pixels = apply_voi_lut(apply_modality_lut(pixels, ds), ds, prefer_lut=True)
        inverted = photometric == "MONOCHROME1" or ds.get("PresentationLUTShape") == "INVERSE"
        if inverted:  # within the image's own range, so values stay where they were
            pixels = pixels.astype(np.float64)
            pixels = pixels.max() + pixels.min() - pixels
    spacing, spacing_source = _spacing(ds)
    metadata = _metadata(ds, photometric, inverted, spacing_source)
    return radiograph_from_array(pixels, spacing=spacing, source=source, metadata=metadata)


def _read_dataset(path, source):
    marked = looks_like_dicom(path)
    try:
        # force=True also reads files without the 128-byte preamble (old ACR-NEMA style).
        ds = pydicom.dcmread(path, force=not marked)
    except Exception as err:  # pydicom raises many types for broken headers; all mean unreadable
        if not marked:
            raise not_an_image(source) from err
        raise RadiographError(
            f"{source}: not a readable DICOM file ({err}); it may be corrupt or truncated. "
            "Copy it again from the archive or PACS."
        ) from err
    if not marked and "PixelData" not in ds and "SOPClassUID" not in ds:
        raise not_an_image(source)  # forced reading of a non-DICOM file finds only junk
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
        # Files without file meta: the default syntax (implicit little endian) is the only guess.
        ds.file_meta = getattr(ds, "file_meta", None) or pydicom.dataset.FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    return ds


# Transfer syntaxes newer than pydicom 2 (Slicer 5.10 bundles 2.4.4), which knows neither their names nor
# that they are compressed.
_NEWER_SYNTAXES = {
    "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
    "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
    "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000 Image Compression",
}


def _syntax_name(syntax) -> str:
    return _NEWER_SYNTAXES.get(str(syntax)) or syntax.name


def _pydicom_can_decode(syntax) -> bool:
    try:
        if not syntax.is_compressed:
            return True
    except ValueError:  # pydicom 2.x: "UID is not a transfer syntax" for one it does not know
        return False
    if get_decoder is not None:
        try:
            return get_decoder(syntax).is_available
        except NotImplementedError:  # a syntax pydicom has no decoder for at all
            return False
    return any(h.is_available() and h.supports_transfer_syntax(syntax)
               for h in pydicom.config.pixel_data_handlers)


def _decode_stored_values(ds, source):
    """The stored pixel values (before any LUT), decoded by pydicom or else SimpleITK's GDCM."""
    syntax = ds.file_meta.TransferSyntaxUID
    if _pydicom_can_decode(syntax):
        try:
            return ds.pixel_array
        except Exception as err:  # decoders raise many types; all mean "these bytes are broken"
            raise RadiographError(
                f"{source}: the pixel data cannot be decoded ({_one_line(err)}); the file is corrupt or "
                "truncated. Copy it again from the archive or PACS."
            ) from err
    try:
        return _decode_with_simpleitk(ds)
    except Exception as err:
        raise RadiographError(
            f"{source}: the compression '{_syntax_name(syntax)}' ({syntax}) cannot be decoded by the "
            f"installed libraries (pydicom: {_missing_decoders(syntax)}; SimpleITK's GDCM: "
            f"{itk_error_text(err)}). To read it: {_INSTALL_ADVICE}; or convert the file to "
            "an uncompressed DICOM (for example `gdcmconv --raw in.dcm out.dcm`)."
        ) from err


def _mask_unused_bits(pixels, ds):
    """Keep only the Bits Stored of unsigned pixels: old files kept overlays in the high bits
    (pydicom 3 masks them already; pydicom 2 and GDCM may not)."""
    stored, allocated = int(ds.get("BitsStored", 0)), int(ds.get("BitsAllocated", 0))
    if pixels.dtype.kind == "u" and 0 < stored < allocated:
        pixels = pixels & np.asarray((1 << stored) - 1, dtype=pixels.dtype)
    return pixels


def _missing_decoders(syntax) -> str:
    if get_decoder is None:
        return "no decoder installed"
    try:
        missing = get_decoder(syntax).missing_dependencies
    except NotImplementedError:
        return "no decoder exists"
    return "; ".join(missing) or "no decoder installed"


def _one_line(err) -> str:
    return " ".join(str(err).split())


def _decode_with_simpleitk(ds):
    """Decode with GDCM (inside SimpleITK), which would also apply rescale and invert MONOCHROME1:
    give it a copy without those, so that it returns the stored values like pydicom does."""
    import SimpleITK as sitk

    plain = copy.deepcopy(ds)  # Dataset.copy() is shallow: deleting from it would edit `ds`
    for keyword in ("RescaleSlope", "RescaleIntercept", "ModalityLUTSequence"):
        if keyword in plain:
            delattr(plain, keyword)
    if plain.PhotometricInterpretation == "MONOCHROME1":
        plain.PhotometricInterpretation = "MONOCHROME2"
    with tempfile.TemporaryDirectory(prefix="ossification-dicom-") as folder:
        plain_path = os.path.join(folder, "image.dcm")
        try:
            plain.save_as(plain_path, enforce_file_format=True)
        except TypeError:  # pydicom 2.x
            plain.save_as(plain_path, write_like_original=False)
        pixels = sitk.GetArrayFromImage(sitk.ReadImage(plain_path))
    return pixels[0] if pixels.shape[0] == 1 else pixels  # ITK reads a DICOM image as one slice


def _spacing(ds):
    """(x_mm, y_mm) and the attribute it came from; DICOM lists spacing as [row, column]."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(keyword)
        if value is not None and len(value) == 2:
            row_mm, column_mm = float(value[0]), float(value[1])
            if row_mm > 0 and column_mm > 0:
                return (column_mm, row_mm), keyword
    return None, None


def _text(ds, keyword):
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    if isinstance(value, pydicom.multival.MultiValue):
        return [str(v) for v in value]
    return str(value)


def _metadata(ds, photometric, inverted, spacing_source):
    syntax = ds.file_meta.TransferSyntaxUID
    voi = None
    if ds.get("VOILUTSequence"):
        voi = "VOI LUT Sequence"
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        voi = "Window Center/Width"
    sop_class = ds.get("SOPClassUID")
    sop_class = getattr(sop_class, "name", sop_class)
    return {
        "format": "DICOM",
        "modality": _text(ds, "Modality"),
        "sop_class": None if sop_class is None else str(sop_class),
        "transfer_syntax": syntax.name,
        "photometric": photometric,
        "inverted": inverted,
        "bits_allocated": int(ds.get("BitsAllocated", 0)) or None,
        "bits_stored": int(ds.get("BitsStored", 0)) or None,
        "voi": voi,
        "spacing_source": spacing_source,
        "patient_orientation": _text(ds, "PatientOrientation"),
        "laterality": _text(ds, "ImageLaterality") or _text(ds, "Laterality"),
        "view_position": _text(ds, "ViewPosition"),
        "body_part": _text(ds, "BodyPartExamined"),
        "presentation_intent": _text(ds, "PresentationIntentType"),
    }
