"""Image files as annotation formats see them: which suffixes count, and their size from the header."""
from pathlib import Path

from .common import AnnotationFormatError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm")


def is_image_file(path):
    return path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()


def image_size(path):
    """(width, height) of an image file, reading only its header."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".dcm":
            import pydicom

            header = pydicom.dcmread(path, stop_before_pixels=True)
            return int(header.Columns), int(header.Rows)
        from PIL import Image

        with Image.open(path) as image:
            return image.size
    except Exception as error:  # PIL and pydicom raise many kinds for unreadable files
        raise AnnotationFormatError(f"{path}: cannot read the image size ({error}).") from None
