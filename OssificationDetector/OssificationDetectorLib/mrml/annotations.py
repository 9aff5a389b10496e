"""Annotation ROIs: the boxes a user draws (or takes over from detections) to make training data.

An annotation ROI carries the attributes OssificationDetector.Role = annotation, .Class and, when
known, .Digit, and refers to its volume, so annotations and detections never mix. It is unlocked:
the user moves and resizes it. Boxes and ROIs are converted by mrml.py, the one place that knows
the pixel <-> RAS convention. Imports only `slicer`'s vtkMRML classes (through mrml.py) and the Lib.
"""
from ..core.boxes import Box, BoxError
from ..annotations.checklist import checklist
from ..annotations.dataset_store import find_in_dataset, save_radiograph_annotations
from .detections import reviewed_boxes
from .bridge import (
    REVIEW_ACCEPTED, ROLE, ROLE_ANNOTATION, MrmlBridgeError, annotation_rois, box_from_roi, create_box_roi,
    radiograph_from_volume, roi_volume, tag_roi,
)
from ..core.taxonomy import check_label


def _label_only_box(label, digit=None):
    """tag_roi reads only a box's label, digit and score; a placeholder box carries them for an ROI
    that is not placed yet (a user's ROI is tagged as soon as place mode creates it)."""
    return Box(check_label(label), 0.0, 0.0, 1.0, 1.0, digit=digit)


def is_annotation(roi_node):
    return roi_node is not None and roi_node.GetAttribute(ROLE) == ROLE_ANNOTATION


def create_annotation_roi(scene, volume_node, box):
    """A new, unlocked annotation ROI exactly over `box` (its score, if any, is dropped)."""
    box = Box(box.label, box.x1, box.y1, box.x2, box.y2, digit=box.digit)
    return create_box_roi(scene, volume_node, box, ROLE_ANNOTATION, locked=False)


def tag_annotation_roi(roi_node, volume_node, label, digit=None):
    """Make any ROI (e.g. one the user is placing) an annotation of `label` on `volume_node`:
    role, class, digit, name, colour and volume reference; its geometry is left alone."""
    tag_roi(roi_node, _label_only_box(label, digit), ROLE_ANNOTATION, volume_node)
    roi_node.SetLocked(False)
    return roi_node


def relabel_annotation(roi_node, label, digit=None):
    """Change an annotation ROI's class (and digit): name, colour and attributes follow."""
    if not is_annotation(roi_node):
        raise MrmlBridgeError(
            f"ROI {roi_node.GetName()!r} is not an annotation: only annotation boxes are relabelled here "
            "(turn detections into annotations with 'Start from detections')."
        )
    volume_node = roi_volume(roi_node)
    if volume_node is None:
        raise MrmlBridgeError(f"Annotation {roi_node.GetName()!r} has lost its volume; delete it and draw it again.")
    return tag_annotation_roi(roi_node, volume_node, label, digit)


def delete_annotation(scene, roi_node):
    """Remove one annotation ROI (detections are not deleted through here)."""
    if not is_annotation(roi_node):
        raise MrmlBridgeError(f"ROI {roi_node.GetName()!r} is not an annotation; it was left in the scene.")
    scene.RemoveNode(roi_node)


def annotation_boxes(scene, volume_node, strict=False):
    """The boxes of a volume's annotation ROIs, in the volume's pixels, as the ROIs are now.

    An ROI without an area yet (still being placed) is skipped, or, with strict (for saving),
    an error that names it.
    """
    boxes = []
    for roi_node in annotation_rois(scene, volume_node):
        try:
            boxes.append(box_from_roi(roi_node, volume_node))
        except BoxError:
            if strict:
                raise MrmlBridgeError(
                    f"Annotation {roi_node.GetName()!r} has no area on {volume_node.GetName()!r}: finish placing "
                    "it (two corners on the image) or delete it."
                ) from None
    return boxes


def annotation_checklist(scene, volume_node):
    """The checklist (found against expected per class, missing areas) of a volume's annotations."""
    return checklist(annotation_boxes(scene, volume_node))


def add_annotations(scene, volume_node, boxes):
    """One unlocked annotation ROI per box; returns the new ROI nodes."""
    return [create_annotation_roi(scene, volume_node, box) for box in boxes]


def remove_annotations(scene, volume_node):
    """Remove every annotation ROI of the volume; returns how many were removed."""
    rois = annotation_rois(scene, volume_node)
    for roi_node in rois:
        scene.RemoveNode(roi_node)
    return len(rois)


def start_from_detections(scene, volume_node, replace=False):
    """Copy the volume's accepted detections into new, unlocked annotation ROIs for the user to correct.

    The detections stay as they are. When the volume has annotations already, `replace` removes
    them first; otherwise that is an error, so nothing the user drew is lost or doubled.
    """
    accepted = reviewed_boxes(scene, volume_node, REVIEW_ACCEPTED)
    if not accepted:
        raise MrmlBridgeError(
            f"No accepted detections on {volume_node.GetName()!r}: detect, then accept the boxes to start from."
        )
    existing = annotation_rois(scene, volume_node)
    if existing and not replace:
        raise MrmlBridgeError(
            f"{volume_node.GetName()!r} has {len(existing)} annotation box(es) already: save or delete them, "
            "or choose to replace them with the accepted detections."
        )
    remove_annotations(scene, volume_node)
    return add_annotations(scene, volume_node, accepted)


def save_volume_annotations(scene, volume_node, folder, name=None, source=None, on_conflict="error",
                            dicom_file=None):
    """Save the volume's radiograph and annotation boxes into a dataset folder (dataset_store).

    Returns the StoredImage (its name can differ from `name`: an image already in the dataset keeps
    its name, and on_conflict="rename" picks a new one when `name` holds another image).
    dicom_file: the volume's DICOM file, whose pixels are saved (see radiograph_from_volume).
    """
    boxes = annotation_boxes(scene, volume_node, strict=True)
    radiograph = radiograph_from_volume(volume_node, dicom_file)
    return save_radiograph_annotations(folder, name or volume_node.GetName(), radiograph, boxes,
                                       source=source, on_conflict=on_conflict)


def restore_from_dataset(scene, volume_node, folder, source=None, dicom_file=None):
    """When the dataset holds this radiograph (same pixels or source file) and the volume has no
    annotations yet, bring its saved boxes back as annotation ROIs. Returns the StoredImage or None."""
    if not folder:
        return None
    stored = find_in_dataset(folder, radiograph_from_volume(volume_node, dicom_file), source=source)
    if stored is not None and not annotation_rois(scene, volume_node):
        add_annotations(scene, volume_node, stored.boxes)
    return stored
