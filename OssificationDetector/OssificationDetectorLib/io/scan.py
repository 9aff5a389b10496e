"""Which files of a folder are radiographs: every format read_radiograph reads when a file is named,
including extension-less DICOM files as PACS exports name them (recognised by their 'DICM' marker).
Hidden files (".DS_Store", macOS "._x.png" resource forks) are never radiographs."""
from pathlib import Path

DICOM_MAGIC_OFFSET = 128  # the 'DICM' marker after the preamble (dicom_reader, without importing pydicom)


def looks_like_dicom(path):
    with open(path, "rb") as stream:
        stream.seek(DICOM_MAGIC_OFFSET)
        return stream.read(4) == b"DICM"

RADIOGRAPH_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom", ".dic", ".ima",
                       ".mha", ".mhd", ".nrrd", ".nhdr", ".nii", ".nii.gz")


def is_radiograph_file(path):
    """True for a file a folder scan should read (by suffix, or by content for DICOM files of any name)."""
    path = Path(path)
    if path.name.startswith(".") or not path.is_file():
        return False
    if path.name.lower().endswith(RADIOGRAPH_SUFFIXES):
        return True
    try:
        return looks_like_dicom(path)
    except OSError:
        return False


def radiograph_files_in(folder):
    """The radiograph files directly inside a folder, in a stable order."""
    return sorted(p for p in Path(folder).iterdir() if is_radiograph_file(p))
