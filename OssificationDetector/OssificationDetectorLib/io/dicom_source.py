"""The DICOM file behind a Slicer volume, and its pixels on the volume's grid.

Slicer's DICOM module (DICOMScalarVolumePlugin) keeps the values its ITK reader returns and
only turns the file's first Window Center/Width into a display preset. Its default GDCM reader
applies the rescale and inverts MONOCHROME1; its DCMTK reader (the fallback, or the user's
choice in the DICOM settings) applies the rescale but leaves MONOCHROME1 as stored, so bone is
dark. Neither applies a VOI LUT. The detector was trained on what read_radiograph makes of a file
(modality LUT, VOI LUT or window, MONOCHROME1 inverted), so a volume's own DICOM file is read
again with read_radiograph and its pixels replace the volume's. The volume keeps the geometry,
so boxes still map to the same ROIs. Whether the volume was inverted cannot be told from the
file's tags alone (it depends on the reader), which is why the pixels are compared, not the tags.

No slicer import: a volume node is used only through GetAttribute and GetStorageNode, and the
DICOM database through a `file_for_instance(uid) -> path` callable that the module passes in.
"""
import os

import numpy as np

from .dicom_reader import looks_like_dicom
from .images import RadiographError, read_radiograph
from .radiograph import Radiograph

# The node attribute DICOMScalarVolumePlugin sets: the SOP Instance UIDs of the loaded files,
# separated by spaces, "Unknown" for a file without one.
INSTANCE_UIDS_ATTRIBUTE = "DICOM.instanceUIDs"

PIXELS_FROM_FILE = "dicom-file"
PIXELS_FROM_VOLUME = "volume"
# The file's radiograph and the volume must be one image, up to a monotonic intensity mapping
# (rescale, window, inversion): a weaker correlation means another image on a grid of that size.
MIN_ABS_CORRELATION = 0.5
_CORRELATION_SAMPLES = 250_000


def instance_uids(volume_node):
    """The known SOP Instance UIDs of the files a volume was loaded from (empty for other volumes)."""
    text = volume_node.GetAttribute(INSTANCE_UIDS_ATTRIBUTE) or ""
    return [uid for uid in text.split() if uid != "Unknown"]


def dicom_file_of_volume(volume_node, file_for_instance=None):
    """The one DICOM file a volume was loaded from, or None.

    First the DICOM database (file_for_instance(uid) -> path, e.g. slicer.dicomDatabase.fileForInstance)
    for a volume of exactly one instance; else the volume's storage file when it is DICOM (a file
    dropped onto Slicer). The path is returned even when the file has gone since: with_dicom_pixels
    records that.
    """
    uids = instance_uids(volume_node)
    if len(uids) == 1 and file_for_instance is not None:
        path = file_for_instance(uids[0])
        if path:
            return str(path)
    storage = volume_node.GetStorageNode()
    path = storage.GetFileName() if storage is not None else None
    if path and os.path.isfile(path) and looks_like_dicom(path):
        return str(path)
    return None


def with_dicom_pixels(volume_radiograph, dicom_file):
    """The volume's Radiograph with the pixels read_radiograph reads from `dicom_file`.

    volume_radiograph holds the volume's own pixels [row=J, col=I] and its geometry metadata. The
    file's pixels are used when they are on the same grid and the same image; otherwise the
    volume's pixels are kept. metadata["pixel_source"] says which ("dicom-file" or "volume"),
    metadata["pixel_source_reason"] why the file was not used, and metadata["volume_inverted"]
    whether the volume's values run opposite to the file's display values (bone dark in Slicer).
    The spacing stays the volume's.
    """
    metadata = dict(volume_radiograph.metadata, dicom_file=str(dicom_file))
    if not os.path.isfile(dicom_file):
        return _volume_pixels(volume_radiograph, metadata, f"the DICOM file {dicom_file} is not there any more")
    try:
        from_file = read_radiograph(dicom_file)
    except RadiographError as error:
        return _volume_pixels(volume_radiograph, metadata, f"the DICOM file cannot be read: {error}")
    volume_size, file_size = _size(volume_radiograph), _size(from_file)
    if volume_size != file_size:
        return _volume_pixels(volume_radiograph, metadata,
                              f"the DICOM file's grid ({file_size}) differs from the volume's ({volume_size})")
    correlation = _correlation(volume_radiograph.pixels, from_file.pixels)
    if abs(correlation) < MIN_ABS_CORRELATION:
        return _volume_pixels(volume_radiograph, metadata,
                              f"the DICOM file holds another image (correlation {correlation:.2f} with the volume)")
    metadata.update(from_file.metadata)  # photometric, VOI, bits stored ...: what the file says
    # The spacing stays the volume's, as ROIs are placed with it; Slicer's GDCM reader takes it from
    # Imager Pixel Spacing for CR and DX and read_radiograph prefers Pixel Spacing, so keep both.
    metadata.update(pixel_source=PIXELS_FROM_FILE, pixel_source_reason=None, volume_inverted=bool(correlation < 0),
                    dicom_spacing=from_file.spacing)
    return Radiograph(pixels=from_file.pixels, spacing=volume_radiograph.spacing,
                      source=volume_radiograph.source, metadata=metadata)


def volume_pixels_metadata(metadata, reason):
    """metadata of a Radiograph made from the volume's own pixels, and why (no DICOM file ...)."""
    return dict(metadata, pixel_source=PIXELS_FROM_VOLUME, pixel_source_reason=reason)


def _volume_pixels(volume_radiograph, metadata, reason):
    return Radiograph(pixels=volume_radiograph.pixels, spacing=volume_radiograph.spacing,
                      source=volume_radiograph.source, metadata=volume_pixels_metadata(metadata, reason))


def _size(radiograph):
    return f"{radiograph.width} x {radiograph.height} pixels"


def _correlation(a, b):
    """Pearson correlation of two images of one shape, on a regular subgrid of large ones."""
    step = max(1, int(np.ceil(np.sqrt(a.size / _CORRELATION_SAMPLES))))
    x = a[::step, ::step].astype(np.float64).ravel()
    y = b[::step, ::step].astype(np.float64).ravel()
    x -= x.mean()
    y -= y.mean()
    denominator = np.sqrt(np.dot(x, x) * np.dot(y, y))
    return float(np.dot(x, y) / denominator) if denominator > 0 else 0.0
