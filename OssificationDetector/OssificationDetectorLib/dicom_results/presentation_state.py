"""A Grayscale Softcopy Presentation State that draws the reported areas on the radiograph.

For viewers that show no SR: one graphic layer per class (in the class colour), each area a closed
POLYLINE in the image's pixels with its name, score and review state as text above it. The window
is the source's own (its first Window Center/Width), else the range of its pixel values; a
MONOCHROME1 source gets an INVERSE presentation LUT so that bone stays bright as the modality meant.
"""
import warnings

import numpy as np
import pydicom
from pydicom.uid import generate_uid

from ..core.taxonomy import CLASS_COLORS, CLASSES
from .areas import exported_areas, software_version
from .coding import REVIEW_DETECTED
from .report_writer import DEVICE_UID, MANUFACTURER, box_on_image, box_polyline, save_dataset
from .source_image import DicomResultsError, next_series_number, read_source

# Text height as a share of the image height: readable at a whole-image view.
TEXT_HEIGHT = 0.016
TEXT_WIDTH_PER_CHARACTER = 0.6  # of the text height


def cielab(rgb):
    """(L*, a*, b*) of an sRGB colour in 0..1 (D65 white), as GraphicLayer colours are given.
    Written out because highdicom 0.22 (the release for Slicer's pydicom 2) has no CIELabColor.from_rgb."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    matrix = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
    white = (0.95047, 1.0, 1.08883)
    xyz = [sum(m * c for m, c in zip(row, linear)) / w for row, w in zip(matrix, white)]
    f = [t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def area_text(area):
    """'PIP III 0.97' for a detection not yet reviewed, 'PIP III 0.97 accepted' or '... edited' after review."""
    box = area.box
    score = "" if box.score is None else f" {box.score:.2f}"
    state = "" if area.state == REVIEW_DETECTED else f" {area.state}"
    return f"{box.name}{score}{state}"


def _text_box(area, width, height):
    """(left, top, right, bottom) of the label: above the box, or inside its top when there is no room."""
    text = area_text(area)
    text_height = max(8.0, TEXT_HEIGHT * height)
    text_width = min(width, TEXT_WIDTH_PER_CHARACTER * text_height * len(text))
    left = min(max(0.0, area.box.x1), width - text_width)
    top = area.box.y1 - text_height if area.box.y1 >= text_height else area.box.y1
    bottom = min(float(height), top + text_height)
    return text, (float(left), float(top), float(left + text_width), float(bottom))


def _window(source_path, source):
    """(center, width) of the source's first window, else of its pixel range after the modality LUT."""
    center, width = source.get("WindowCenter"), source.get("WindowWidth")
    if center is not None and width is not None:
        first = (lambda v: float(v[0]) if isinstance(v, pydicom.multival.MultiValue) else float(v))
        return first(center), first(width)
    from ..io.dicom_reader import apply_modality_lut

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = pydicom.dcmread(str(source_path))
        values = apply_modality_lut(full.pixel_array, full)
    low, high = float(np.min(values)), float(np.max(values))
    return (low + high) / 2.0, max(1.0, high - low)


def make_presentation_state(source_path, areas, include_rejected=False, series_uid=None):
    """The GSPS (a highdicom GrayscaleSoftcopyPresentationState dataset) of `areas` on the source."""
    from highdicom.color import CIELabColor
    from highdicom.pr import (
        AnnotationUnitsValues, GraphicAnnotation, GraphicLayer, GraphicObject, GraphicTypeValues,
        GrayscaleSoftcopyPresentationState, SoftcopyVOILUTTransformation, TextObject,
    )

    source = read_source(source_path)
    areas = exported_areas(areas, include_rejected)
    if not areas:
        raise DicomResultsError(f"{source_path}: no areas to draw (all were rejected, or none were found).")
    width, height = int(source.Columns), int(source.Rows)
    layers, annotations = [], []
    for order, label in enumerate(CLASSES, start=1):
        of_class = [a for a in areas if a.box.label == label]
        if not of_class:
            continue
        layer = GraphicLayer(layer_name=label.upper(), order=order, description=f"{label} ossification areas",
                             display_color=CIELabColor(*cielab(CLASS_COLORS[label])))
        layers.append(layer)
        graphics, texts = [], []
        for area in of_class:
            box = box_on_image(area.box, width, height, source.SOPInstanceUID)
            graphics.append(GraphicObject(graphic_type=GraphicTypeValues.POLYLINE, graphic_data=box_polyline(box),
                                          units=AnnotationUnitsValues.PIXEL))
            text, bounds = _text_box(area, width, height)
            texts.append(TextObject(text_value=text, units=AnnotationUnitsValues.PIXEL, bounding_box=bounds))
        annotations.append(GraphicAnnotation(referenced_images=[source], graphic_layer=layer,
                                             graphic_objects=graphics, text_objects=texts))
    center, window_width = _window(source_path, source)
    gsps = GrayscaleSoftcopyPresentationState(
        referenced_images=[source], series_instance_uid=series_uid or generate_uid(),
        series_number=next_series_number(source) + 1, sop_instance_uid=generate_uid(), instance_number=1,
        manufacturer=MANUFACTURER, manufacturer_model_name=MANUFACTURER, software_versions=software_version(),
        device_serial_number=DEVICE_UID[-16:], content_label="OSSIFICATION",
        content_description="Ossification areas", graphic_annotations=annotations, graphic_layers=layers,
        voi_lut_transformations=[SoftcopyVOILUTTransformation(window_center=center, window_width=window_width)],
    )
    if str(source.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":
        gsps.PresentationLUTShape = "INVERSE"
    gsps.SeriesDescription = "Ossification areas (presentation state)"
    # General Series' Laterality is Type 2C for a paired body part (a hand): the source's side, or empty.
    gsps.Laterality = source.get("Laterality") or source.get("ImageLaterality") or None
    return gsps


def write_presentation_state(source_path, areas, folder, include_rejected=False, stem=None):
    """Write the GSPS into `folder` (created) as STEM.pr.dcm (default: the source's stem); returns its path."""
    from pathlib import Path

    gsps = make_presentation_state(source_path, areas, include_rejected)
    path = Path(folder) / f"{stem or Path(source_path).stem}.pr.dcm"
    save_dataset(gsps, path)
    return path
