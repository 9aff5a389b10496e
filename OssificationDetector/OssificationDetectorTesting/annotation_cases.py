"""Scene checks of annotation: ROIs -> dataset -> new scene -> ROIs, start from detections, relabel, delete,
checklist. Each takes a SceneHost (scene_cases.SceneHost) and raises AssertionError on failure, so the same
checks run under pytest on slicer-core and inside 3D Slicer on slicer.mrmlScene.
"""
from pathlib import Path

import numpy as np
import vtk

from OssificationDetectorLib.mrml.annotations import (
    annotation_boxes, annotation_checklist, add_annotations, delete_annotation, relabel_annotation,
    restore_from_dataset, save_volume_annotations, start_from_detections, tag_annotation_roi,
)
from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.mrml.detections import set_review, show_detections
from OssificationDetectorLib.mrml.bridge import (
    CLASS, DIGIT, REVIEW_ACCEPTED, REVIEW_REJECTED, ROLE, ROLE_ANNOTATION, ROLE_DETECTION, SCORE,
    MrmlBridgeError, annotation_rois, create_box_roi, detection_rois, ijk_to_ras,
)
from OssificationDetectorLib.core.taxonomy import CLASS_COLORS
from OssificationDetectorLib.annotations.voc import read_voc

from .scene_cases import check, check_same_box, stored_roi_tolerance
from .volumes import make_volume

ROWS, COLUMNS = 48, 64
BOXES = [Box("PIP", 10.25, 4.5, 21.125, 15.75, digit=3), Box("DIP", 0, 0, 5, 6), Box("MCP", 30, 20, 41.5, 33),
         Box("Wrist", 12.5, 30.25, 63.875, 47.5)]


def _pixels(bits=8):
    rng = np.random.default_rng(bits)
    high = 255 if bits == 8 else 4000
    return rng.integers(0, high + 1, size=(ROWS, COLUMNS)).astype(np.uint8 if bits == 8 else np.int16)


def _volume(host, name, bits=8):
    """A volume placed like Slicer places an image file (x to -R, y to -A), at an awkward spacing and origin."""
    return make_volume(host.scene, _pixels(bits), spacing=(0.35, 0.2, 1.0), origin=(-20.5, 14.25, 3.0),
                       directions=np.diag([-1.0, -1.0, 1.0]), name=name)


def expect_error(action, error_type, text, failure):
    """`action` must raise `error_type` with `text` in its message; `failure` says what went wrong if not."""
    try:
        action()
    except error_type as error:
        check(text in str(error), f"unexpected message: {error}")
        return
    raise AssertionError(failure)


def _check_boxes(host, volume, expected, what):
    rois = annotation_rois(host.scene, volume)
    actual = sorted(annotation_boxes(host.scene, volume), key=lambda b: b.label)
    check(len(actual) == len(expected), f"{what}: {len(actual)} annotation boxes, expected {len(expected)}")
    tolerance = max(stored_roi_tolerance(roi, volume) for roi in rois)
    for box, want in zip(actual, sorted(expected, key=lambda b: b.label)):
        check_same_box(box, want, f"{what} {want.label}", tolerance)
        check(box.digit == want.digit, f"{what} {want.label}: digit {box.digit}, expected {want.digit}")


def _ras_of_pixel_corner(volume, x, y):
    """RAS of image point (x, y) in box coordinates (pixel corners), on the volume's slice."""
    return (ijk_to_ras(volume) @ np.array([x - 0.5, y - 0.5, 0.0, 1.0]))[:3]


def annotations_round_trip_through_dataset(host):
    """ROIs -> dataset folder -> a new scene with the saved PNG loaded the way Slicer loads it -> ROIs."""
    volume = _volume(host, "hand 7")
    add_annotations(host.scene, volume, BOXES)
    create_box_roi(host.scene, volume, Box("Ulna", 1, 1, 9, 9, score=0.9), ROLE_DETECTION)  # not an annotation
    untagged = host.scene.AddNewNodeByClass("vtkMRMLMarkupsROINode", "someone else's ROI")
    untagged.SetSize(5.0, 5.0, 1.0)
    folder = Path(host.work_dir) / "dataset"
    stored = save_volume_annotations(host.scene, volume, folder, source="/data/hand7.dcm")
    check(stored.name == "hand_7" and not stored.updated, f"saved as {stored.name!r} (updated {stored.updated})")
    saved = read_voc(folder / "Annotations" / "hand_7.xml")
    check((saved.width, saved.height) == (COLUMNS, ROWS), f"VOC size {saved.width}x{saved.height}")
    check(sorted(b.label for b in saved.boxes) == sorted(b.label for b in BOXES),
          f"saved {[b.label for b in saved.boxes]}: detections or untagged ROIs leaked in")

    host.scene.Clear(0)
    check(not annotation_rois(host.scene), "the scene was not cleared")
    reloaded = host.load_volume(stored.image_path)
    restored = restore_from_dataset(host.scene, reloaded, folder)
    check(restored is not None and restored.name == "hand_7", "the saved radiograph was not recognised")
    _check_boxes(host, reloaded, BOXES, "restored")
    for roi in annotation_rois(host.scene, reloaded):
        check(not roi.GetLocked(), f"restored {roi.GetName()} is locked; annotations must be editable")
    again = restore_from_dataset(host.scene, reloaded, folder)  # already has annotations: nothing doubled
    check(again is not None and len(annotation_rois(host.scene, reloaded)) == len(BOXES), "restore doubled the ROIs")

    # The user corrects one box and saves again: same entry, updated boxes, nothing else touched.
    roi = next(r for r in annotation_rois(host.scene, reloaded) if r.GetAttribute(CLASS) == "Wrist")
    host.scene.RemoveNode(roi)
    updated = save_volume_annotations(host.scene, reloaded, folder, name="another name")
    check(updated.name == "hand_7" and updated.updated, f"second save went to {updated.name!r}")
    check(sorted(b.label for b in read_voc(folder / "Annotations" / "hand_7.xml").boxes) == ["DIP", "MCP", "PIP"],
          "the corrected boxes were not saved")


def sixteen_bit_volume_keeps_its_values(host):
    from PIL import Image

    volume = _volume(host, "dx16", bits=16)
    add_annotations(host.scene, volume, BOXES[:2])
    folder = Path(host.work_dir) / "dataset16"
    stored = save_volume_annotations(host.scene, volume, folder)
    with Image.open(stored.image_path) as png:
        check(png.mode.startswith("I"), f"a 12-bit volume was saved as a {png.mode} PNG")
        check(np.array_equal(np.array(png), _pixels(16)), "the 16-bit PNG does not hold the volume's values")
    other = _volume(host, "dx16", bits=8)  # same name, other pixels
    add_annotations(host.scene, other, BOXES[2:])
    expect_error(lambda: save_volume_annotations(host.scene, other, folder), ValueError, "different image",
                 "a different image overwrote the annotations saved under the same name")
    check(len(read_voc(folder / "Annotations" / "dx16.xml").boxes) == 2, "the first image's boxes changed")


def start_from_accepted_detections(host):
    volume = _volume(host, "detected")
    detections = [Box(b.label, b.x1, b.y1, b.x2, b.y2, score=0.9 - 0.1 * i, digit=b.digit)
                  for i, b in enumerate(BOXES)]
    expect_error(lambda: start_from_detections(host.scene, volume), MrmlBridgeError, "No accepted detections",
                 "started from detections that do not exist")
    rois = show_detections(detections, host.scene, volume, "test-model", threshold=0.5)
    by_class = {roi.GetAttribute(CLASS): roi for roi in rois}
    for label in ("PIP", "DIP", "MCP"):
        set_review(by_class[label], REVIEW_ACCEPTED, threshold=0.5)
    set_review(by_class["Wrist"], REVIEW_REJECTED, threshold=0.5)
    created = start_from_detections(host.scene, volume)
    check(len(created) == 3, f"{len(created)} annotations from 3 accepted detections")
    for roi in created:
        check(roi.GetAttribute(ROLE) == ROLE_ANNOTATION and not roi.GetLocked(),
              f"{roi.GetName()} is not an editable annotation")
        check(roi.GetAttribute(SCORE) is None, f"{roi.GetName()} kept a detection score")
    _check_boxes(host, volume, BOXES[:3], "from detections")
    check(len(detection_rois(host.scene, volume)) == len(BOXES), "the detections themselves changed")
    expect_error(lambda: start_from_detections(host.scene, volume), MrmlBridgeError, "annotation box(es) already",
                 "starting again doubled or replaced the user's annotations without asking")
    start_from_detections(host.scene, volume, replace=True)
    check(len(annotation_rois(host.scene, volume)) == 3, "replace did not replace")


def placed_roi_is_tagged_relabelled_and_deleted(host):
    """An ROI as place mode makes it: tagged when created, an area once both corners are placed."""
    volume = _volume(host, "placing")
    roi = host.scene.AddNewNodeByClass("vtkMRMLMarkupsROINode")
    tag_annotation_roi(roi, volume, "mcp", digit=2)
    check(roi.GetAttribute(ROLE) == ROLE_ANNOTATION and roi.GetAttribute(CLASS) == "MCP"
          and roi.GetAttribute(DIGIT) == "2", "the new ROI is not tagged as an MCP II annotation")
    check(roi.GetName() == "MCP II", f"named {roi.GetName()!r}")
    check(annotation_boxes(host.scene, volume) == [], "an ROI without area was read as a box")
    expect_error(lambda: annotation_boxes(host.scene, volume, strict=True), MrmlBridgeError, "finish placing it",
                 "saving would accept an ROI that has no area")
    roi.AddControlPoint(vtk.vtkVector3d(*_ras_of_pixel_corner(volume, 20, 10)))
    roi.AddControlPoint(vtk.vtkVector3d(*_ras_of_pixel_corner(volume, 30, 24)))
    box = annotation_boxes(host.scene, volume, strict=True)[0]
    check_same_box(box, Box("MCP", 20, 10, 30, 24), "placed ROI", 1e-4)

    relabel_annotation(roi, "PIP", digit=3)
    color = roi.GetDisplayNode().GetSelectedColor()
    check(roi.GetName() == "PIP III" and roi.GetAttribute(CLASS) == "PIP" and roi.GetAttribute(DIGIT) == "3",
          f"relabelled to {roi.GetName()!r}")
    check(np.allclose(color, CLASS_COLORS["PIP"]), f"relabelled colour {color}")
    relabel_annotation(roi, "Radius")
    check(roi.GetName() == "Radius" and roi.GetAttribute(DIGIT) is None, "relabel kept a digit on a Radius")
    detection = create_box_roi(host.scene, volume, Box("DIP", 1, 1, 4, 4, score=0.8), ROLE_DETECTION)
    for action in (lambda: relabel_annotation(detection, "PIP"), lambda: delete_annotation(host.scene, detection)):
        expect_error(action, MrmlBridgeError, "not an annotation",
                     "a detection ROI was changed through the annotation functions")
    delete_annotation(host.scene, roi)
    check(annotation_rois(host.scene, volume) == [], "the annotation was not deleted")
    check(detection_rois(host.scene, volume) == [detection], "deleting an annotation touched a detection")


def checklist_counts_the_volume_annotations(host):
    volume = _volume(host, "checked")
    other = _volume(host, "other hand")
    boxes = [Box("DIP", i, 0, i + 3, 3) for i in range(0, 9, 3)]
    boxes += [Box("MCP", i, 10, i + 3, 13) for i in range(0, 18, 3)]
    boxes += [Box("Radius", 40, 40, 50, 47), Box("Wrist", 30, 30, 40, 40)]
    add_annotations(host.scene, volume, boxes)
    add_annotations(host.scene, other, [Box("Ulna", 1, 1, 5, 5)])
    create_box_roi(host.scene, volume, Box("Ulna", 2, 2, 6, 6, score=0.9), ROLE_DETECTION)
    result = annotation_checklist(host.scene, volume)
    found = {c.label: c.found for c in result.classes}
    check(found == {"DIP": 3, "PIP": 0, "MCP": 6, "Radius": 1, "Ulna": 0, "Wrist": 1}, f"checklist counts {found}")
    check(result.of("Ulna").missing == ["Ulna"] and result.of("MCP").surplus == ["MCP"],
          f"checklist missing {result.missing} surplus {result.surplus}")
    check(result.found == 11 and result.expected == 17, result.summary())


ANNOTATION_CASES = (annotations_round_trip_through_dataset, sixteen_bit_volume_keeps_its_values,
                    start_from_accepted_detections, placed_roi_is_tagged_relabelled_and_deleted,
                    checklist_counts_the_volume_annotations)
