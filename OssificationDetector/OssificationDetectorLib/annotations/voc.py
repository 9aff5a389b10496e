"""Pascal VOC XML, one file per image, in the layout LabelImg writes and opens.

Coordinates are kept as floats and written with `repr`, so a write/read round trip is exact.
A box's score and digit travel in <score> and <digit> elements, which LabelImg and other VOC
readers ignore. Objects marked <difficult>1</difficult> are the image's ignored regions
(AnnotatedImage.ignored): VOC's own evaluation leaves them out too.
"""
import xml.etree.ElementTree as ET
from pathlib import Path

from .common import AnnotationFormatError, image_dimension, make_box
from ..core.atomic import atomic_write_bytes
from ..core.boxes import AnnotatedImage

CORNERS = ("xmin", "ymin", "xmax", "ymax")


def format_number(value):
    """The shortest text that reads back as the same float ('250' for 250.0, '250.8', ...)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _text(element, tag, where, required=True):
    child = element.find(tag)
    if child is None or child.text is None or not child.text.strip():
        if required:
            raise AnnotationFormatError(f"{where}: the <{tag}> element is missing or empty.")
        return None
    return child.text.strip()


def _read_object(obj, where):
    box_element = obj.find("bndbox")
    if box_element is None:
        raise AnnotationFormatError(f"{where}: the <bndbox> element is missing.")
    coords = [_text(box_element, tag, where) for tag in CORNERS]
    return make_box(
        _text(obj, "name", where), *coords, where=where,
        score=_text(obj, "score", where, required=False),
        digit=_text(obj, "digit", where, required=False),
    )


def read_voc(path):
    """One VOC file -> AnnotatedImage (file = its <filename>, or the name in <path>)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise AnnotationFormatError(
            f"{path} is not valid XML ({error}). Fix or remove the file; "
            "a Pascal VOC file starts with <annotation>."
        ) from None
    if root.tag != "annotation":
        raise AnnotationFormatError(
            f"{path}: the root element is <{root.tag}>, not <annotation> as in Pascal VOC."
        )
    filename = _text(root, "filename", path, required=False)
    if filename is None:
        image_path = _text(root, "path", path, required=False)
        if image_path is None:
            raise AnnotationFormatError(f"{path}: neither <filename> nor <path> names the image.")
        filename = Path(image_path.replace("\\", "/")).name
    size = root.find("size")
    if size is None:
        raise AnnotationFormatError(f"{path}: the <size> element (image width and height) is missing.")
    width = image_dimension(_text(size, "width", path), f"{path} <size>")
    height = image_dimension(_text(size, "height", path), f"{path} <size>")
    boxes, ignored = [], []
    for i, obj in enumerate(root.iter("object")):
        where = f"{path} object {i + 1}"
        (ignored if _text(obj, "difficult", where, required=False) == "1" else boxes).append(_read_object(obj, where))
    return AnnotatedImage(filename, width, height, boxes, ignored)


def _add(parent, tag, text=None):
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def voc_xml(ann, image_path=None, depth=1):
    """The VOC document of one image as bytes (UTF-8, tab-indented like LabelImg's)."""
    image_path = Path(image_path) if image_path is not None else Path(ann.file)
    root = ET.Element("annotation")
    _add(root, "folder", image_path.parent.name)
    _add(root, "filename", Path(ann.file).name)
    _add(root, "path", str(image_path))
    _add(_add(root, "source"), "database", "Unknown")
    size = _add(root, "size")
    _add(size, "width", ann.width)
    _add(size, "height", ann.height)
    _add(size, "depth", depth)
    _add(root, "segmented", 0)
    for box, difficult in [(b, 0) for b in ann.boxes] + [(b, 1) for b in ann.ignored]:
        obj = _add(root, "object")
        _add(obj, "name", box.label)
        _add(obj, "pose", "Unspecified")
        _add(obj, "truncated", 0)
        _add(obj, "difficult", difficult)
        if box.score is not None:
            _add(obj, "score", repr(box.score))
        if box.digit is not None:
            _add(obj, "digit", box.digit)
        bndbox = _add(obj, "bndbox")
        for tag, value in zip(CORNERS, box.coords):
            _add(bndbox, tag, format_number(value))
    ET.indent(root, space="\t")
    return ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def write_voc(ann, path, image_path=None, depth=1):
    """Write one image's boxes as a VOC file (atomically). `image_path` fills <folder> and <path>."""
    return atomic_write_bytes(path, voc_xml(ann, image_path, depth))
