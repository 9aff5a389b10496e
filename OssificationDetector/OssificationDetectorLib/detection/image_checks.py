"""What may be wrong with the image itself, as plain-language warnings (detections.json, the panel):
a modality other than a plain radiograph, an image too small to hold a hand, an inverted (negative)
image, more than one hand. The model still runs; these say why its boxes may be nonsense."""
import numpy as np

from ..core.taxonomy import EXPECTED_COUNTS

RADIOGRAPH_MODALITIES = ("CR", "DX", "RG", "PX", "")
# The model sees the short side at 512 px; below 64 px a hand's joints are a pixel or two wide.
MIN_SHORT_SIDE = 64
# A radiograph's background (collimation, air) is dark: a bright frame around the image means white air.
INVERTED_BORDER_LEVEL = 0.6
BORDER_FRACTION = 0.04
# Two hands: areas that a hand has once, found twice or more, in this many classes.
ONE_PER_HAND = ("Radius", "Ulna", "Wrist")


def modality_warning(metadata):
    modality = str((metadata or {}).get("modality") or "").upper()
    if modality in RADIOGRAPH_MODALITIES:
        return None
    return (f"the DICOM modality is {modality}, not a radiograph (CR or DX): the model was trained on "
            "radiographs, and its boxes on this image may be meaningless")


def size_warning(width, height):
    if min(width, height) >= MIN_SHORT_SIDE:
        return None
    return (f"the image is only {width} x {height} pixels, too small to show a hand's ossification areas "
            f"(at least {MIN_SHORT_SIDE} px a side): use the full-resolution radiograph")


def inverted_warning(pixels):
    """pixels: the normalised [0, 1] image the detector sees."""
    height, width = pixels.shape
    band = max(1, round(BORDER_FRACTION * min(height, width)))
    frame = np.concatenate([pixels[:band].ravel(), pixels[-band:].ravel(),
                            pixels[:, :band].ravel(), pixels[:, -band:].ravel()])
    if float(np.median(frame)) < INVERTED_BORDER_LEVEL:
        return None
    return ("the image looks inverted (a negative: bright background, dark bones): export it as it is "
            "displayed, or invert it, and detect again")


def found_counts(analysis):
    """{class: areas the model found}, before anatomy kept one hand's worth (detect's HandAnalysis)."""
    if analysis is None:
        return {}
    counts = {label: sum(b.label == label for b in analysis.boxes) for label in EXPECTED_COUNTS}
    for label, dropped in analysis.dropped.items():
        counts[label] = counts.get(label, 0) + dropped
    return counts


def several_hands_warning(counts):
    """counts: {class: areas found}, before anatomy kept one hand's worth."""
    doubled = [label for label in ONE_PER_HAND if counts.get(label, 0) >= 2 * EXPECTED_COUNTS[label]]
    joints = sum(counts.get(c, 0) for c in ("DIP", "PIP", "MCP"))
    # A hand has 14 finger joints: half as many again is more than one hand with a few missed.
    if len(doubled) < 2 and joints < 1.5 * sum(EXPECTED_COUNTS[c] for c in ("DIP", "PIP", "MCP")):
        return None
    return ("this image seems to show more than one hand: the areas are named for one hand only; "
            "crop each hand into its own image")


def image_warnings(radiograph, pixels, analysis=None):
    """The warnings about one image. radiograph: a Radiograph, an array or a path (the modality only from
    a Radiograph); pixels: the normalised image; analysis: anatomy's reading of the upright detections."""
    height, width = pixels.shape
    checks = [modality_warning(getattr(radiograph, "metadata", None)), size_warning(width, height),
              inverted_warning(pixels), several_hands_warning(found_counts(analysis))]
    return [warning for warning in checks if warning]
