"""Scene checks of detection and review: Detect (with a known result or a detector), Detect again, the score
threshold, accept/reject, moving a box (edited), .mrb bundles and Export reviewed. Each takes a SceneHost
(scene_cases.SceneHost) and raises AssertionError on failure, so the same cases run under pytest and in
Slicer's self-test."""
from pathlib import Path

import numpy as np
import vtk

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.core.taxonomy import CLASS_COLORS
from OssificationDetectorLib.mrml.bridge import (
    CLASS, DIGIT, MODEL, REVIEW, REVIEW_ACCEPTED, REVIEW_PENDING, REVIEW_REJECTED, ROLE, ROLE_ANNOTATION,
    ROLE_DETECTION, SCORE, VOLUME_ID, MrmlBridgeError, annotation_rois, box_from_roi, create_box_roi,
    detection_rois, place_roi_over_box, radiograph_from_volume, roi_volume,
)
from OssificationDetectorLib.mrml.detections import (
    FOLDER_ROLE, apply_threshold, detect_volume, export_reviewed, remove_detections, run_folder, set_review,
    show_detections,
)

from .scene_cases import COLUMNS, ROWS, check, check_same_box, gradient, stored_roi_tolerance
from .volumes import make_volume

KNOWN_DETECTIONS = [Box("DIP", 20, 4, 24, 7, score=0.92, digit=3), Box("PIP", 8, 10, 13, 14, score=0.55, digit=2),
                    Box("Radius", 14, 24, 24, 30, score=0.31), Box("Wrist", 10, 18, 30, 26, score=0.08)]


def _known_run(host, name="reviewed"):
    volume = make_volume(host.scene, gradient(), spacing=(0.5, 0.5, 1.0),
                         directions=np.diag([-1.0, -1.0, 1.0]), name=name)
    return volume, show_detections(KNOWN_DETECTIONS, host.scene, volume, "known boxes", threshold=0.5)


def _all_items(hierarchy):
    items = vtk.vtkIdList()
    hierarchy.GetItemChildren(hierarchy.GetSceneItemID(), items, True)
    return {items.GetId(i) for i in range(items.GetNumberOfIds())}


def _shown(rois):
    return {roi.GetAttribute(CLASS) for roi in rois if roi.GetDisplayVisibility()}


def detect_creates_tagged_rois(host):
    """Detect on the sample radiograph: one ROI per box, named, coloured, tagged, in one folder."""
    check(host.detector is not None and host.sample_radiograph is not None, "no detector or sample")
    volume = host.load_volume(host.sample_radiograph)
    expected = host.detector.detect(radiograph_from_volume(volume))
    check(len(expected) > 0, "the detector found nothing on the sample radiograph")
    rois = detect_volume(host.scene, volume, host.detector, threshold=0.0, model_name="test model")
    check(len(rois) == len(expected) == len(detection_rois(host.scene, volume)),
          f"{len(rois)} ROIs for {len(expected)} detections")
    folders = {run_folder(host.scene, roi) for roi in rois}
    check(len(folders) == 1 and 0 not in folders, f"ROIs spread over folders {folders}")
    hierarchy = host.scene.GetSubjectHierarchyNode()
    folder = folders.pop()
    check(hierarchy.GetItemAttribute(folder, ROLE) == FOLDER_ROLE, "the run folder is not tagged")
    by_name = {roi.GetName(): roi for roi in rois}
    for box in expected:
        name = f"{box.name} {box.score:.2f}"
        check(name in by_name, f"no ROI named {name!r} among {sorted(by_name)}")
        roi = by_name[name]
        check(roi.GetAttribute(ROLE) == ROLE_DETECTION and roi.GetAttribute(CLASS) == box.label,
              f"{name}: role/class attributes {roi.GetAttribute(ROLE)}/{roi.GetAttribute(CLASS)}")
        check(abs(float(roi.GetAttribute(SCORE)) - box.score) < 1e-9, f"{name}: score attribute")
        check(roi.GetAttribute(DIGIT) == (None if box.digit is None else str(box.digit)), f"{name}: digit")
        check(roi.GetAttribute(MODEL) == "test model", f"{name}: model attribute")
        check(roi.GetAttribute(VOLUME_ID) == volume.GetID() and roi_volume(roi) is volume, f"{name}: volume")
        check(roi.GetAttribute(REVIEW) == REVIEW_PENDING, f"{name}: review state")
        check(not roi.GetLocked(), f"{name} is locked: the reviewer must be able to move and resize it")
        check(np.allclose(roi.GetDisplayNode().GetSelectedColor(), CLASS_COLORS[box.label]), f"{name}: colour")
        check(np.allclose(roi.GetDisplayNode().GetColor(), CLASS_COLORS[box.label]), f"{name}: unselected colour")
        check_same_box(box_from_roi(roi, volume), box, name, stored_roi_tolerance(roi, volume))


def detect_again_replaces_only_its_own(host):
    volume, first = _known_run(host, "again")
    other_volume, other_run = _known_run(host, "other")
    user_roi = host.scene.AddNewNodeByClass("vtkMRMLMarkupsROINode", "user's own ROI")
    annotation = create_box_roi(host.scene, volume, Box("Ulna", 1, 1, 5, 5), ROLE_ANNOTATION)
    old_ids = {roi.GetID() for roi in first}
    old_folder = run_folder(host.scene, first[0])
    second = show_detections(KNOWN_DETECTIONS[:2], host.scene, volume, "known boxes", threshold=0.5)
    check(all(host.scene.GetNodeByID(i) is None for i in old_ids), "old detections were left in the scene")
    check(len(detection_rois(host.scene, volume)) == 2, "the new run does not hold exactly its own ROIs")
    check(host.scene.GetNodeByID(user_roi.GetID()) is user_roi, "the user's ROI was removed")
    check(annotation_rois(host.scene, volume) == [annotation], "the annotation ROI was touched")
    check(len(detection_rois(host.scene, other_volume)) == len(other_run), "another volume's detections changed")
    hierarchy = host.scene.GetSubjectHierarchyNode()
    check(old_folder not in _all_items(hierarchy), "the emptied run folder was left behind")
    check(run_folder(host.scene, second[0]) != 0, "the new run has no folder")
    check(remove_detections(host.scene, volume) == 2 and not detection_rois(host.scene, volume),
          "Clear did not remove the volume's detections")


def threshold_shows_and_hides(host):
    volume, rois = _known_run(host, "threshold")
    check(_shown(rois) == {"DIP", "PIP"}, f"at 0.5 shown: {_shown(rois)}")
    check(apply_threshold(host.scene, volume, 0.3) == 3 and _shown(rois) == {"DIP", "PIP", "Radius"},
          f"at 0.3 shown: {_shown(rois)}")
    check(apply_threshold(host.scene, volume, 0.95) == 0, "at 0.95 something is shown")
    check(len(detection_rois(host.scene, volume)) == len(KNOWN_DETECTIONS), "the threshold removed ROIs")


def accept_and_reject(host):
    volume, rois = _known_run(host, "review")
    by_class = {roi.GetAttribute(CLASS): roi for roi in rois}
    set_review(by_class["Wrist"], REVIEW_ACCEPTED, threshold=0.5)  # below the threshold, accepted anyway
    set_review(by_class["DIP"], REVIEW_REJECTED, threshold=0.5)
    check(by_class["Wrist"].GetAttribute(REVIEW) == REVIEW_ACCEPTED, "accept did not set the attribute")
    check(bool(by_class["Wrist"].GetDisplayVisibility()), "an accepted ROI below the threshold is hidden")
    check(not by_class["DIP"].GetDisplayVisibility(), "a rejected ROI is shown")
    check(np.allclose(by_class["DIP"].GetDisplayNode().GetSelectedColor(), (0.5, 0.5, 0.5)), "rejected is not grey")
    apply_threshold(host.scene, volume, 0.0)
    check(_shown(rois) == {"PIP", "Radius", "Wrist"}, f"at 0.0 shown: {_shown(rois)}")
    set_review(by_class["DIP"], REVIEW_PENDING, threshold=0.0)
    check(np.allclose(by_class["DIP"].GetDisplayNode().GetSelectedColor(), CLASS_COLORS["DIP"]),
          "a reset ROI did not get its class colour back")
    try:
        set_review(create_box_roi(host.scene, volume, Box("Ulna", 1, 1, 3, 3), ROLE_ANNOTATION), "accepted", 0.5)
    except MrmlBridgeError:
        pass
    else:
        raise AssertionError("an annotation ROI was reviewed like a detection")


def scene_bundle_keeps_rois(host):
    """Save to .mrb and load back: ROIs, their boxes, attributes, folder and volume link survive."""
    volume, rois = _known_run(host, "bundle")
    set_review(rois[0], REVIEW_ACCEPTED, threshold=0.5)
    create_box_roi(host.scene, volume, Box("Ulna", 2, 3, 9, 8), ROLE_ANNOTATION)
    before = {roi.GetName(): (box_from_roi(roi, volume), {a: roi.GetAttribute(a) for a in roi.GetAttributeNames()})
              for roi in detection_rois(host.scene, volume) + annotation_rois(host.scene, volume)}
    path = Path(host.work_dir) / "bundle.mrb"
    check(host.scene.WriteToMRB(str(path)), f"could not write {path}")
    host.scene.Clear(0)
    check(host.scene.ReadFromMRB(str(path)), f"could not read {path}")
    volume = host.scene.GetFirstNodeByName("bundle")
    after = detection_rois(host.scene, volume) + annotation_rois(host.scene, volume)
    check(sorted(r.GetName() for r in after) == sorted(before), f"ROIs after loading: {[r.GetName() for r in after]}")
    for roi in after:
        box, attributes = before[roi.GetName()]
        check_same_box(box_from_roi(roi, volume), box, f"reloaded {roi.GetName()}")  # stored as it was
        for name, value in attributes.items():
            if name != VOLUME_ID:  # node IDs may be renamed on loading; the node reference follows
                check(roi.GetAttribute(name) == value, f"reloaded {roi.GetName()}: {name} {roi.GetAttribute(name)}")
    folders = {run_folder(host.scene, roi) for roi in detection_rois(host.scene, volume)}
    check(len(folders) == 1 and 0 not in folders, f"reloaded detections in folders {folders}")


def moved_detection_is_edited(host):
    """A detection the reviewer moves or resizes is edited: accepted as it is now, its detected box kept;
    Export reviewed, Start from detections and the DICOM export all take it so; Reset puts it back."""
    from OssificationDetectorLib.annotations.voc import read_voc
    from OssificationDetectorLib.mrml.annotations import start_from_detections
    from OssificationDetectorLib.mrml.bridge import DETECTED_BOX, REVIEW_EDITED
    from OssificationDetectorLib.mrml.detections import note_edits
    from OssificationDetectorLib.mrml.dicom_export import reviewed_areas

    volume, rois = _known_run(host, "edited")
    dip, pip = rois[0], next(r for r in rois if r.GetAttribute(CLASS) == "PIP")
    check(note_edits(host.scene, volume) == 0, "an untouched detection was taken as edited")
    moved = Box("DIP", 19, 4, 25, 8)
    place_roi_over_box(dip, volume, moved)  # what dragging its handles does
    set_review(pip, REVIEW_REJECTED, threshold=0.5)
    place_roi_over_box(pip, volume, Box("PIP", 7, 10, 13, 14))  # a rejected one stays rejected when moved
    check(note_edits(host.scene, volume) == 1, "the moved detection was not recorded as edited")
    check(dip.GetAttribute(REVIEW) == REVIEW_EDITED and pip.GetAttribute(REVIEW) == REVIEW_REJECTED,
          f"review states {dip.GetAttribute(REVIEW)}, {pip.GetAttribute(REVIEW)}")
    check(dip.GetAttribute(DETECTED_BOX).split() == [repr(float(v)) for v in KNOWN_DETECTIONS[0].coords],
          "the detected box was not kept")
    states = {area.box.label: area.state for area in reviewed_areas(host.scene, volume)}
    check(states == {"DIP": "edited", "PIP": "rejected", "Radius": "detected", "Wrist": "detected"},
          f"DICOM review states {states}")
    written = export_reviewed(host.scene, volume, Path(host.work_dir) / "edited-export")
    check([b.label for b in written.boxes] == ["DIP"], f"exported {written.boxes}")
    check_same_box(read_voc(Path(host.work_dir) / "edited-export" / "Annotations" / "edited.xml").boxes[0], moved,
                   "exported edited box", 1e-4)
    annotations = start_from_detections(host.scene, volume)
    check(len(annotations) == 1, "Start from detections did not take the edited box")
    check_same_box(box_from_roi(annotations[0], volume), moved, "annotation from the edited box", 1e-4)
    set_review(dip, REVIEW_PENDING, threshold=0.5)
    check(dip.GetAttribute(REVIEW) == REVIEW_PENDING, "Reset left the box edited")
    check_same_box(box_from_roi(dip, volume), KNOWN_DETECTIONS[0], "reset box", 1e-4)
    place_roi_over_box(dip, volume, moved)
    set_review(dip, REVIEW_ACCEPTED, threshold=0.5)
    check(dip.GetAttribute(REVIEW) == REVIEW_EDITED, "accepting a moved box did not record it as edited")


def export_reviewed_boxes(host):
    from OssificationDetectorLib.annotations.coco import read_coco
    from OssificationDetectorLib.annotations.voc import read_voc

    volume, rois = _known_run(host, "export me")
    by_class = {roi.GetAttribute(CLASS): roi for roi in rois}
    for label in ("DIP", "Radius"):
        set_review(by_class[label], REVIEW_ACCEPTED, threshold=0.5)
    set_review(by_class["PIP"], REVIEW_REJECTED, threshold=0.5)
    folder = Path(host.work_dir) / "export"
    written = export_reviewed(host.scene, volume, folder)
    expected = {b.label: b for b in KNOWN_DETECTIONS if b.label in ("DIP", "Radius")}
    for source, annotated in (("VOC", read_voc(folder / "Annotations" / "export_me.xml")),
                              ("COCO", read_coco(folder / "annotations.json")[0])):
        check(annotated.file.endswith("export_me.png") and (annotated.width, annotated.height) == (COLUMNS, ROWS),
              f"{source}: image {annotated.file} {annotated.width}x{annotated.height}")
        check(sorted(b.label for b in annotated.boxes) == sorted(expected), f"{source}: {annotated.boxes}")
        for box in annotated.boxes:
            check_same_box(box, expected[box.label], f"{source} {box.label}", 1e-4)  # ROIs, 4 decimals in files
    check((folder / "images" / "export_me.png").is_file(), "the radiograph was not exported")
    check(len(written.boxes) == 2, "export returned the wrong boxes")
    # Exporting other boxes of the same radiograph never replaces what the folder holds for it.
    from OssificationDetectorLib.annotations.dataset_store import AnnotationConflictError

    voc_before = (folder / "Annotations" / "export_me.xml").read_bytes()
    set_review(by_class["PIP"], REVIEW_ACCEPTED, threshold=0.5)
    try:
        export_reviewed(host.scene, volume, folder)
        refused = False
    except AnnotationConflictError:
        refused = True
    check(refused, "a second export with other boxes replaced the exported annotation")
    check((folder / "Annotations" / "export_me.xml").read_bytes() == voc_before, "the exported VOC file changed")


REVIEW_CASES = (detect_again_replaces_only_its_own, threshold_shows_and_hides, accept_and_reject,
                scene_bundle_keeps_rois, export_reviewed_boxes, moved_detection_is_edited)
DETECTOR_CASES = (detect_creates_tagged_rois,)
