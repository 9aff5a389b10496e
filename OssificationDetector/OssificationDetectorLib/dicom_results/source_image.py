"""The DICOM radiograph a report or presentation state refers to: read, checked, and the new series' UIDs."""
import warnings
from pathlib import Path

import pydicom
from pydicom.uid import UID

from ..io.dicom_reader import looks_like_dicom

# Images a report may refer to: radiographs (CR, DX for presentation / processing) and secondary captures.
SOURCE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.1": "Computed Radiography Image",
    "1.2.840.10008.5.1.4.1.1.1.1": "Digital X-Ray Image For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.1.1": "Digital X-Ray Image For Processing",
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture Image",
    "1.2.840.10008.5.1.4.1.1.7.2": "Multi-frame Grayscale Byte Secondary Capture Image",
    "1.2.840.10008.5.1.4.1.1.7.3": "Multi-frame Grayscale Word Secondary Capture Image",
}
# The study-level attributes a report must copy to stand in the source's study.
_REQUIRED = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID", "Rows", "Columns")
# Type 2 attributes of the patient and study modules that highdicom copies: present, possibly empty.
_TYPE_2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
           "ReferringPhysicianName", "StudyID", "AccessionNumber")


class DicomResultsError(ValueError):
    """An input a DICOM report cannot be made of or from; the message says why and what to do."""


def not_dicom_reason(path):
    """None for a DICOM file, else the one line that says why no report can be written for it."""
    path = Path(path)
    if not path.is_file() or not looks_like_dicom(path):
        return (f"{path}: not a DICOM file, so no DICOM report: a report refers to the radiograph's "
                "DICOM instance in its study (use the DICOM file from the PACS or Slicer's DICOM database).")
    return None


def read_source(path):
    """The source radiograph's dataset without its pixel data, checked; raises DicomResultsError."""
    reason = not_dicom_reason(path)
    if reason:
        raise DicomResultsError(reason)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(str(path), stop_before_pixels=True)
    except Exception as error:  # pydicom raises many types for broken headers
        raise DicomResultsError(f"{path}: not a readable DICOM file ({error}); copy it again from the PACS.") from error
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class not in SOURCE_SOP_CLASSES:
        name = getattr(UID(sop_class), "name", sop_class) if sop_class else "no SOP class"
        raise DicomResultsError(
            f"{path}: a {name} object, not a radiograph (CR, DX or secondary capture): reports are written "
            "for the radiograph itself.")
    missing = [k for k in _REQUIRED if not ds.get(k)]
    if missing:
        raise DicomResultsError(
            f"{path}: the DICOM header lacks {', '.join(missing)}, so a report cannot be placed in its study; "
            "use the file as the PACS or the modality wrote it.")
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        raise DicomResultsError(f"{path}: a multi-frame image; reports are written for single-frame radiographs.")
    for keyword in _TYPE_2:
        if keyword not in ds:
            setattr(ds, keyword, None)
    return ds


def next_series_number(source):
    """A series number beside the source's (its own series, same study)."""
    try:
        return int(source.get("SeriesNumber") or 0) + 1000
    except (TypeError, ValueError):
        return 1000
