"""Real DICOM radiographs for the DICOM results tests: a real hand (Testing/Data/radiographs, made small),
stored as CR MONOCHROME1 with pixel spacing, DX MONOCHROME2 without, or a secondary capture, with the
patient and study attributes a PACS would have."""
import numpy as np
from PIL import Image
from pydicom.uid import generate_uid

from conftest import SAMPLES
from dicom_factory import make_dataset

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.dicom_results.areas import ReviewedArea
from OssificationDetectorLib.dicom_results.report_writer import save_dataset

PATIENT = {"PatientName": "Test^Hand", "PatientID": "OD-0001", "PatientBirthDate": "20150302", "PatientSex": "F",
           "StudyDate": "20260110", "StudyTime": "101500", "StudyID": "7", "AccessionNumber": "A12345",
           "ReferringPhysicianName": "Referrer^Ray"}


def hand_pixels(sample="6470", width=None):
    """The sample hand as 12-bit values (bone bright), optionally resized to `width` columns."""
    image = Image.open(SAMPLES / "radiographs" / f"{sample}.png").convert("L")
    if width:
        image = image.resize((width, round(image.height * width / image.width)), Image.BILINEAR)
    return np.asarray(image, dtype=np.uint16) * 16


def write_source(path, pixels, kind="CR", photometric="MONOCHROME2", spacing=None, **extra):
    """A DICOM radiograph of `pixels` (bone bright) in its own study; MONOCHROME1 stores bone dark."""
    stored = (4095 - pixels) if photometric == "MONOCHROME1" else pixels
    attributes = dict(PATIENT, StudyInstanceUID=generate_uid(), SeriesInstanceUID=generate_uid(), SeriesNumber=2,
                      InstanceNumber=1, **extra)
    if spacing is not None:
        attributes["PixelSpacing" if kind == "SC" else "ImagerPixelSpacing"] = list(spacing)
    if kind == "SC":
        attributes.update(Modality="OT", ConversionType="WSD")
    # save_dataset writes with pydicom 3 and with pydicom 2 (Slicer's), so these tests run on both.
    save_dataset(make_dataset(stored.astype(np.uint16), kind=kind, photometric=photometric, bits_stored=12,
                              **attributes), path)
    return path


def reviewed_sample():
    """Areas in every review state, with digits, a thumb IP joint, fractional corners and one without a score."""
    return [
        ReviewedArea(Box("PIP", 40.25, 30.5, 52.75, 41.125, score=0.931, digit=3), "accepted"),
        ReviewedArea(Box("PIP", 12.0, 80.0, 22.5, 90.0, score=0.88, digit=1), "edited"),
        ReviewedArea(Box("DIP", 60.0, 10.0, 68.0, 18.5, score=0.71, digit=5), "detected"),
        ReviewedArea(Box("MCP", 30.0, 70.0, 42.0, 80.0, digit=2), "edited"),
        ReviewedArea(Box("Radius", 50.0, 150.0, 80.0, 170.0, score=0.99), "accepted"),
        ReviewedArea(Box("Ulna", 85.0, 150.0, 100.0, 168.0, score=0.42), "rejected"),
        ReviewedArea(Box("Wrist", 45.0, 120.0, 100.0, 148.0, score=0.97), "detected"),
    ]
