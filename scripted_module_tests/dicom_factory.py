"""Write real DICOM radiographs with pydicom for the tests (CR, DX for presentation / processing)."""
import io

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    ComputedRadiographyImageStorage, DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing, ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid,
)

SOP_CLASSES = {
    "CR": ComputedRadiographyImageStorage,
    "DX": DigitalXRayImageStorageForPresentation,
    "DX-processing": DigitalXRayImageStorageForProcessing,
    "SC": SecondaryCaptureImageStorage,
}


def make_dataset(pixels, kind="CR", photometric="MONOCHROME2", bits_stored=None, **attributes):
    """A complete dataset for `pixels` (2D, or frames x rows x columns), uncompressed.

    Integer pixels: uint8/uint16 unsigned, int16 signed; bits_stored defaults to the full width.
    attributes: any DICOM keywords to set, e.g. RescaleSlope=2, PixelSpacing=[0.2, 0.1].
    """
    pixels = np.asarray(pixels)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SOP_CLASSES[kind]
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CR" if kind == "CR" else "DX"
    if kind.startswith("DX"):
        ds.PresentationIntentType = "FOR PROCESSING" if kind == "DX-processing" else "FOR PRESENTATION"
    ds.PatientOrientation = ["A", "F"]
    ds.ImageLaterality = "L"
    ds.BodyPartExamined = "HAND"
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def save_dicom(ds, path, part10=True):
    """Save with pydicom 3 (enforce_file_format) or 2 (write_like_original), as Slicer 5.12 and 5.10 bundle;
    part10=False writes what the dataset holds only (no preamble, no "DICM"), as some old systems did."""
    try:
        ds.save_as(path, enforce_file_format=part10)
    except TypeError:  # pydicom 2.x
        if getattr(ds, "is_little_endian", None) is None:
            ds.is_little_endian, ds.is_implicit_VR = True, False
        try:
            ds.save_as(path, write_like_original=not part10)
        except ValueError:  # a transfer syntax newer than pydicom 2 (HTJ2K): written piece by piece
            _write_part10_explicit_little(ds, path)


def _write_part10_explicit_little(ds, path):
    from pydicom.filebase import DicomFileLike
    from pydicom.filewriter import write_dataset, write_file_meta_info

    with open(path, "wb") as stream:
        stream.write(b"\0" * 128 + b"DICM")
        out = DicomFileLike(stream)
        write_file_meta_info(out, ds.file_meta, enforce_standard=True)
        out.is_little_endian, out.is_implicit_VR = True, False
        write_dataset(out, ds)


def write_dicom(path, pixels, **kwargs):
    """make_dataset(...) saved as a DICOM Part 10 file; returns the path."""
    save_dicom(make_dataset(pixels, **kwargs), path)
    return path


def write_encapsulated(path, ds, frame_bytes, transfer_syntax):
    """Save `ds` with its pixel data replaced by one compressed frame in `transfer_syntax`."""
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    ds.PixelData = encapsulate([frame_bytes])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    save_dicom(ds, path)
    return path


def pillow_encoded(pixels, fmt, **options):
    """The bytes of `pixels` compressed by Pillow (JPEG or JPEG2000 codestream)."""
    from PIL import Image

    stream = io.BytesIO()
    Image.fromarray(pixels).save(stream, format=fmt, **options)
    return stream.getvalue()


def gdcm_jpeg_lossless(pixels, folder):
    """`pixels` (uint16) as a JPEG Lossless frame, encoded by the GDCM inside SimpleITK
    (pydicom has no encoder for it); returns (frame bytes, transfer syntax)."""
    import SimpleITK as sitk

    path = str(folder / "gdcm-jpeg-lossless.dcm")
    writer = sitk.ImageFileWriter()
    writer.SetFileName(path)
    writer.SetUseCompression(True)
    writer.SetCompressor("JPEG")
    writer.Execute(sitk.GetImageFromArray(pixels))
    written = pydicom.dcmread(path)
    if hasattr(pydicom.encaps, "generate_frames"):
        frames = list(pydicom.encaps.generate_frames(written.PixelData, number_of_frames=1))
    else:  # pydicom 2.x (Slicer 5.10)
        frames = list(pydicom.encaps.generate_pixel_data_frame(written.PixelData, 1))
    return frames[0], written.file_meta.TransferSyntaxUID
