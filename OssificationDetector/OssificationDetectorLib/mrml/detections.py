"""One detection run on a volume node, and its review, as Markups ROIs in an MRML scene.

Each run's ROIs sit in one subject-hierarchy folder. Detecting again on a volume replaces that
volume's detection ROIs and nothing else: annotation ROIs and ROIs that this module did not make
are never touched. The score threshold shows and hides ROIs without detecting again. The reviewer
may move and resize a detection: it is then "edited" (accepted as it is now), and its DetectedBox
attribute keeps the box as detected, so resetting its review puts it back.
Imports only `slicer`'s vtkMRML classes (through mrml.py) and the Lib; no torch here: the
detector is passed in.
"""

from .bridge import (
    ACCEPTED_STATES, CLASS, DETECTED_BOX, MODEL, REJECTED_COLOR, REVIEW, REVIEW_ACCEPTED, REVIEW_EDITED,
    REVIEW_PENDING, REVIEW_REJECTED, REVIEW_STATES, ROLE, ROLE_DETECTION, VOLUME_ID, MrmlBridgeError, box_from_roi,
    create_box_roi, detection_rois, place_roi_over_box, radiograph_from_volume, roi_score, roi_volume,
    set_roi_color,
)
from ..core.boxes import Box
from ..core.taxonomy import CLASS_COLORS, CLASSES

FOLDER_ROLE = "detection-run"
PENDING_FILL_OPACITY = 0.1
ACCEPTED_FILL_OPACITY = 0.35
EDITED_MARK = "edited"  # DetectedBox of an area read back from a report as edited: its detected box is not known
EDIT_TOLERANCE_PX = 0.01  # ROI corners go through RAS and back: below this, the box was not moved


def _reading_order(box):
    return (CLASSES.index(box.label), box.digit or 0, -(box.score or 0.0))


def _subject_hierarchy(scene):
    """The scene's subject hierarchy, or None where it is not available."""
    getter = getattr(scene, "GetSubjectHierarchyNode", None)
    return getter() if getter is not None else None


def _new_run_folder(scene, volume_node, model_name):
    hierarchy = _subject_hierarchy(scene)
    if hierarchy is None:
        return None, 0
    volume_item = hierarchy.GetItemByDataNode(volume_node)
    parent = hierarchy.GetItemParent(volume_item) if volume_item else hierarchy.GetSceneItemID()
    folder = hierarchy.CreateFolderItem(parent or hierarchy.GetSceneItemID(),
                                        f"{volume_node.GetName()} ossification areas")
    hierarchy.SetItemAttribute(folder, ROLE, FOLDER_ROLE)
    hierarchy.SetItemAttribute(folder, VOLUME_ID, volume_node.GetID())
    hierarchy.SetItemAttribute(folder, MODEL, str(model_name))
    return hierarchy, folder


def _put_in_folder(hierarchy, folder, node):
    item = hierarchy.GetItemByDataNode(node)
    if item:  # Slicer's subject hierarchy plugins already made an item for the new node
        hierarchy.SetItemParent(item, folder)
    else:
        hierarchy.CreateItem(folder, node)


def run_folder(scene, roi_node):
    """The subject-hierarchy folder item holding a detection ROI (0 when there is none)."""
    hierarchy = _subject_hierarchy(scene)
    if hierarchy is None:
        return 0
    parent = hierarchy.GetItemParent(hierarchy.GetItemByDataNode(roi_node))
    return parent if hierarchy.GetItemAttribute(parent, ROLE) == FOLDER_ROLE else 0


def remove_detections(scene, volume_node):
    """Remove the volume's detection ROIs, and their run folders once those are empty."""
    hierarchy = _subject_hierarchy(scene)
    folders = set()
    removed = 0
    for roi_node in detection_rois(scene, volume_node):
        item = hierarchy.GetItemByDataNode(roi_node) if hierarchy is not None else 0
        if item:
            folders.add(run_folder(scene, roi_node))
            # The item first: not every host removes the items of removed nodes.
            hierarchy.RemoveItem(item, False, False)
        scene.RemoveNode(roi_node)
        removed += 1
    folders.discard(0)
    for folder in folders:
        if hierarchy.GetNumberOfItemChildren(folder) == 0:  # the user may have put other things in it
            hierarchy.RemoveItem(folder, False, False)
    return removed


def show_detections(boxes, scene, volume_node, model_name, threshold):
    """Replace the volume's detection ROIs with one ROI per box, in a new run folder."""
    remove_detections(scene, volume_node)
    hierarchy, folder = _new_run_folder(scene, volume_node, model_name)
    rois = []
    for box in sorted(boxes, key=_reading_order):
        roi_node = create_box_roi(scene, volume_node, box, ROLE_DETECTION, model=str(model_name))
        if hierarchy is not None:
            _put_in_folder(hierarchy, folder, roi_node)
        _show_review_state(roi_node, threshold)
        rois.append(roi_node)
    return rois


def detect_volume(scene, volume_node, detector, threshold, model_name="default", dicom_file=None):
    """Detect on a volume node with `detector` (anything with .detect(Radiograph) -> [Box]).

    The detector should keep boxes below `threshold` (a low detector threshold) so that the
    threshold can later show them without detecting again. dicom_file: the volume's DICOM file,
    whose pixels are detected on (see radiograph_from_volume).
    """
    return detect_volume_with_warnings(scene, volume_node, detector, threshold, model_name, dicom_file)[0]


def detect_volume_with_warnings(scene, volume_node, detector, threshold, model_name="default", dicom_file=None):
    """detect_volume, and the detector's remarks about the radiograph (a right hand, a turned image,
    areas missing; one line each) when it gives them (Detector.detect_with_report)."""
    radiograph = radiograph_from_volume(volume_node, dicom_file)
    if hasattr(detector, "detect_with_report"):
        boxes, warnings, _ = detector.detect_with_report(radiograph)
    else:
        boxes, warnings = detector.detect(radiograph), []
    return show_detections(boxes, scene, volume_node, model_name, threshold), list(warnings)


def is_shown(roi_node, threshold):
    """Accepted ROIs stay shown, rejected ones hidden, pending ones shown from `threshold` up."""
    review = roi_node.GetAttribute(REVIEW) or REVIEW_PENDING
    if review in ACCEPTED_STATES:
        return True
    if review == REVIEW_REJECTED:
        return False
    score = roi_score(roi_node)
    return score is None or score >= threshold


def _show_review_state(roi_node, threshold):
    review = roi_node.GetAttribute(REVIEW) or REVIEW_PENDING
    label = roi_node.GetAttribute(CLASS)
    set_roi_color(roi_node, REJECTED_COLOR if review == REVIEW_REJECTED else CLASS_COLORS[label])
    display = roi_node.GetDisplayNode()
    display.SetFillOpacity(ACCEPTED_FILL_OPACITY if review in ACCEPTED_STATES else PENDING_FILL_OPACITY)
    roi_node.SetDisplayVisibility(is_shown(roi_node, threshold))


def apply_threshold(scene, volume_node, threshold):
    """Show and hide the volume's detection ROIs for a new threshold; return how many are shown."""
    shown = 0
    for roi_node in detection_rois(scene, volume_node):
        _show_review_state(roi_node, threshold)
        shown += bool(roi_node.GetDisplayVisibility())
    return shown


def set_review(roi_node, state, threshold, volume_node=None):
    """Accept, reject or reset one detection ROI: its Review attribute, colour and visibility.

    Resetting an edited ROI puts it back over its detected box (on volume_node, the ROI's volume);
    accepting a moved one records it as edited.
    """
    if state not in REVIEW_STATES:
        raise MrmlBridgeError(f"Unknown review state {state!r}: expected one of {', '.join(REVIEW_STATES)}.")
    if roi_node.GetAttribute(ROLE) != ROLE_DETECTION:
        raise MrmlBridgeError(f"ROI {roi_node.GetName()!r} is not a detection; only detections are reviewed.")
    volume_node = volume_node or roi_volume(roi_node)
    original = detected_box(roi_node)
    if state == REVIEW_PENDING and original is not None and volume_node is not None:
        place_roi_over_box(roi_node, volume_node, original)
    roi_node.SetAttribute(REVIEW, state)
    if state == REVIEW_ACCEPTED and volume_node is not None:
        note_edit(roi_node, volume_node)
    _show_review_state(roi_node, threshold)


def detected_box(roi_node):
    """The box an ROI was detected as (its DetectedBox attribute), or None when that is not known."""
    detected = roi_node.GetAttribute(DETECTED_BOX)
    if not detected or detected == EDITED_MARK:
        return None
    return Box(roi_node.GetAttribute(CLASS), *(float(v) for v in detected.split()))


def was_moved(roi_node, box):
    """Whether an ROI, now over `box`, no longer covers the box it was detected as."""
    detected = roi_node.GetAttribute(DETECTED_BOX)
    if not detected:
        return False
    if detected == EDITED_MARK:
        return True
    return any(abs(a - float(b)) > EDIT_TOLERANCE_PX for a, b in zip(box.coords, detected.split()))


def note_edit(roi_node, volume_node):
    """Record a moved or resized detection as edited (a rejected one stays rejected). True when it changed."""
    review = roi_node.GetAttribute(REVIEW) or REVIEW_PENDING
    if review in (REVIEW_EDITED, REVIEW_REJECTED) or roi_node.GetNumberOfDefinedControlPoints() == 0:
        return False
    if not was_moved(roi_node, box_from_roi(roi_node, volume_node)):
        return False
    roi_node.SetAttribute(REVIEW, REVIEW_EDITED)
    _show_review_state(roi_node, 0.0)
    return True


def note_edits(scene, volume_node):
    """note_edit for each of the volume's detection ROIs; returns how many became edited."""
    return sum(note_edit(roi, volume_node) for roi in detection_rois(scene, volume_node))


def reviewed_boxes(scene, volume_node, state=REVIEW_ACCEPTED):
    """The boxes of the volume's detection ROIs in one review state, as the ROIs are now; accepted ones
    include the edited (moved or resized) ones."""
    note_edits(scene, volume_node)
    states = ACCEPTED_STATES if state == REVIEW_ACCEPTED else (state,)
    return [box_from_roi(roi, volume_node) for roi in detection_rois(scene, volume_node)
            if (roi.GetAttribute(REVIEW) or REVIEW_PENDING) in states]


def export_reviewed(scene, volume_node, folder, name=None, source=None, dicom_file=None):
    """Save the accepted boxes of a volume, with its radiograph, into a dataset folder (dataset_store).

    images/<name>.png (lossless: 16-bit when the values need more than 8 bits), Annotations/<name>.xml
    (Pascal VOC) and annotations.json (COCO; the other images already there are kept). A name that
    holds a different image, or this radiograph already annotated with other boxes, is never
    overwritten (AnnotationConflictError). Returns the StoredImage.
    """
    from ..annotations.dataset_store import save_radiograph_annotations

    accepted = reviewed_boxes(scene, volume_node, REVIEW_ACCEPTED)
    if not accepted:
        raise MrmlBridgeError(
            f"No accepted boxes on {volume_node.GetName()!r}: accept the correct detections first."
        )
    return save_radiograph_annotations(folder, name or volume_node.GetName(),
                                       radiograph_from_volume(volume_node, dicom_file), accepted, source=source,
                                       replace_boxes=False)
