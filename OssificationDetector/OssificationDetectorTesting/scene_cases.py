"""Scene checks of the MRML bridge: each takes a SceneHost and raises AssertionError on failure.

The placement convention is checked against Slicer itself, not against our own inverse: for a
box with whole-pixel edges, vtkMRMLMarkupsROINode.IsPointInROIWorld must hold for the centre of
every pixel inside the box and for none outside it.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import slicer

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.mrml.bridge import (
    ROLE_ANNOTATION, ROLE_DETECTION, MrmlBridgeError, box_corners, box_from_roi, create_box_roi, ijk_to_ras,
    pixel_box_around, radiograph_from_volume, roi_geometry_for_box,
)

from .volumes import add_linear_transform, make_volume, pixel_centre_in_world, rotation

TOLERANCE_PX = 1e-6
ROWS, COLUMNS = 30, 40
# Boxes on a 40 x 30 image: whole-pixel edges (checked against Slicer's own ROI test) and
# fractional ones (round trip only).
WHOLE_PIXEL_BOXES = [Box("PIP", 30, 10, 38, 20), Box("DIP", 0, 0, 1, 1), Box("Wrist", 0, 0, COLUMNS, ROWS),
                     Box("MCP", 5, 22, 6, 30)]
FRACTIONAL_BOXES = [Box("Radius", 12.25, 3.75, 39.5, 28.125), Box("Ulna", 0.1, 0.2, 0.3, 0.4)]


@dataclass
class SceneHost:
    """What the checks need from where they run: pytest on slicer-core, or 3D Slicer."""

    scene: object
    work_dir: Path
    load_volume: Callable  # path of an image file -> volume node, the way Slicer loads it
    detector: Optional[object] = None  # anything with .detect(Radiograph) -> [Box]
    sample_radiograph: Optional[Path] = None


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def check_same_box(actual, expected, what, tolerance=TOLERANCE_PX):
    difference = np.abs(np.array(actual.coords) - np.array(expected.coords)).max()
    check(difference <= tolerance and actual.label == expected.label,
          f"{what}: read back {actual.label} {actual.coords}, placed {expected.label} {expected.coords} "
          f"(off by {difference:.2e} px, tolerance {tolerance:.2e})")


def stored_roi_tolerance(roi_node, volume_node):
    """How exactly an ROI node can hold a box: Markups store its centre in single precision.

    Each centre coordinate c is rounded by at most 2**-24 |c| (mm), which is at most
    sqrt(3) 2**-24 max|c| / (smallest pixel spacing) pixels; twice that when a transform was
    hardened into it (rounded again).
    """
    centre = [0.0, 0.0, 0.0]
    roi_node.GetCenter(centre)
    spacing = min(volume_node.GetSpacing()[:2])
    return TOLERANCE_PX + 2.0 * np.sqrt(3.0) * 2.0 ** -24 * np.abs(centre).max() / spacing


def check_roi_covers_exactly(roi_node, volume_node, box):
    """Slicer's point-in-ROI test holds for exactly the pixel centres inside a whole-pixel box."""
    wrong = []
    for row in range(int(box.y1) - 2, int(box.y2) + 2):
        for column in range(int(box.x1) - 2, int(box.x2) + 2):
            inside = bool(roi_node.IsPointInROIWorld(pixel_centre_in_world(volume_node, column, row)))
            expected = box.x1 <= column < box.x2 and box.y1 <= row < box.y2
            if inside != expected:
                wrong.append((column, row, inside))
    check(not wrong, f"ROI over {box.coords} disagrees with the pixels at (column, row, inside) {wrong[:5]}")


def check_round_trips(host, volume_node):
    """Box -> ROI geometry -> box is exact; through a stored ROI node, exact to single precision."""
    for box in WHOLE_PIXEL_BOXES + FRACTIONAL_BOXES:
        what = f"{volume_node.GetName()} {box.label}"
        object_to_node, size = roi_geometry_for_box(volume_node, box)
        check_same_box(pixel_box_around(box_corners(object_to_node, size), volume_node, box.label), box, what)
        roi_node = create_box_roi(host.scene, volume_node, box, ROLE_ANNOTATION)
        check_same_box(box_from_roi(roi_node, volume_node), box, f"{what} ROI node",
                       stored_roi_tolerance(roi_node, volume_node))
        if box in WHOLE_PIXEL_BOXES:
            check_roi_covers_exactly(roi_node, volume_node, box)
        host.scene.RemoveNode(roi_node)


def gradient(rows=ROWS, columns=COLUMNS):
    return np.add.outer(np.arange(rows) * 3.0, np.arange(columns)).astype(np.float32)


# ---------------------------------------------------------------------------- geometry


def identity_geometry(host):
    check_round_trips(host, make_volume(host.scene, gradient(), name="identity"))


def png_flip_of_slicer(host):
    """A PNG as Slicer loads it: IJK-to-RAS diag(-1, -1, 1), rows and columns as in the file."""
    from PIL import Image

    check(host.sample_radiograph is not None, "no sample radiograph to load")
    volume = host.load_volume(host.sample_radiograph)
    check(np.allclose(ijk_to_ras(volume), np.diag([-1.0, -1.0, 1.0, 1.0])),
          f"Slicer placed the PNG with IJK-to-RAS {ijk_to_ras(volume).tolist()}, expected diag(-1, -1, 1)")
    with Image.open(host.sample_radiograph) as picture:
        expected = np.asarray(picture.convert("L"), dtype=np.float32)
    check(np.array_equal(radiograph_from_volume(volume).pixels, expected),
          "the volume's pixels are not the PNG's rows and columns")
    # A box you know: the 2 x 2 pixels at the top-left corner are centred on IJK (0.5, 0.5, 0),
    # RAS (-0.5, -0.5, 0): the image's top-left is at RAS (0, 0), x runs to -R and y to -A.
    roi_node = create_box_roi(host.scene, volume, Box("DIP", 0, 0, 2, 2), ROLE_ANNOTATION)
    centre = [0.0, 0.0, 0.0]
    roi_node.GetCenterWorld(centre)
    check(np.allclose(centre, (-0.5, -0.5, 0.0)), f"top-left 2x2 box centred at RAS {centre}")
    check(np.allclose(roi_node.GetSize(), (2.0, 2.0, 1.0)), f"top-left 2x2 box of size {roi_node.GetSize()}")
    host.scene.RemoveNode(roi_node)
    check_round_trips(host, volume)


def anisotropic_spacing(host):
    check_round_trips(host, make_volume(host.scene, gradient(), spacing=(0.143, 0.37, 2.5),
                                        directions=np.diag([-1.0, -1.0, 1.0]), name="anisotropic"))


def nonzero_origin(host):
    check_round_trips(host, make_volume(host.scene, gradient(), spacing=(0.5, 0.5, 1.0),
                                        origin=(-120.5, 33.25, 7.0), directions=np.diag([-1.0, -1.0, 1.0]),
                                        name="origin"))


def oblique_direction(host):
    directions = rotation((1.0, 2.0, 3.0), 30.0) @ np.diag([-1.0, -1.0, 1.0])
    check_round_trips(host, make_volume(host.scene, gradient(), spacing=(0.2, 0.3, 1.5),
                                        origin=(10.0, -4.0, 2.5), directions=directions, name="oblique"))


def volume_under_linear_transform(host):
    """The ROI goes under the volume's transform; hardened, it still reads back the same box."""
    transform = add_linear_transform(host.scene, rotation((0.0, 1.0, 1.0), 40.0), (12.0, -7.0, 3.0))
    volume = make_volume(host.scene, gradient(), spacing=(0.4, 0.6, 1.0), origin=(1.0, 2.0, 3.0),
                         directions=np.diag([-1.0, -1.0, 1.0]), name="transformed")
    volume.SetAndObserveTransformNodeID(transform.GetID())
    check_round_trips(host, volume)
    box = WHOLE_PIXEL_BOXES[0]
    roi_node = create_box_roi(host.scene, volume, box, ROLE_ANNOTATION)
    check(roi_node.GetTransformNodeID() == transform.GetID(), "the ROI is not under the volume's transform")
    slicer.vtkSlicerTransformLogic.hardenTransform(roi_node)
    check(roi_node.GetTransformNodeID() is None, "hardening left the ROI under a transform")
    check_same_box(box_from_roi(roi_node, volume), box, "hardened ROI", 2 * stored_roi_tolerance(roi_node, volume))
    check_roi_covers_exactly(roi_node, volume, box)


def moved_roi_reads_back(host):
    """An ROI the user moved and resized reads back as the box it now covers."""
    volume = make_volume(host.scene, gradient(), spacing=(0.5, 0.25, 1.0),
                         directions=np.diag([-1.0, -1.0, 1.0]), name="moved")
    roi_node = create_box_roi(host.scene, volume, Box("MCP", 10, 10, 20, 16), ROLE_DETECTION)
    roi_node.SetLocked(False)
    centre = [0.0, 0.0, 0.0]
    roi_node.GetCenter(centre)
    # 3 pixels right (x runs to -R at 0.5 mm) and 2 down (y runs to -A at 0.25 mm); 4 px wider.
    roi_node.SetCenter(centre[0] - 1.5, centre[1] - 0.5, centre[2])
    size = roi_node.GetSize()
    roi_node.SetSize(size[0] + 2.0, size[1], size[2])
    check_same_box(box_from_roi(roi_node, volume), Box("MCP", 11, 12, 25, 18), "moved ROI",
                   stored_roi_tolerance(roi_node, volume))


def vector_volume_to_gray(host):
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, size=(ROWS, COLUMNS, 3)).astype(np.uint8)
    radiograph = radiograph_from_volume(make_volume(host.scene, rgb, spacing=(0.2, 0.3, 1.0), name="rgb"))
    expected = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    check(np.allclose(radiograph.pixels, expected, atol=1e-3), "RGB volume is not converted to luminance")
    check(radiograph.spacing == (0.2, 0.3), f"spacing {radiograph.spacing}, expected (0.2, 0.3)")
    rgba = np.concatenate([rgb, np.full((ROWS, COLUMNS, 1), 255, np.uint8)], axis=2)
    rgba_radiograph = radiograph_from_volume(make_volume(host.scene, rgba, name="rgba"))
    check(np.allclose(rgba_radiograph.pixels, expected, atol=1e-3), "RGBA volume is not converted like RGB")
    volume = make_volume(host.scene, gradient(), name="gray")
    check(radiograph_from_volume(volume).metadata["volume_node_id"] == volume.GetID(),
          "the Radiograph does not name its volume node")


def _check_refused(function, node, words):
    try:
        function(node)
    except MrmlBridgeError as error:
        check(words in str(error), f"unclear error for {node.GetName()!r}: {error}")
    else:
        raise AssertionError(f"volume {node.GetName()!r} was accepted")


def unusable_volumes_are_refused(host):
    volume = make_volume(host.scene, gradient(), name="two slices")
    volume.GetImageData().SetDimensions(COLUMNS, ROWS // 2, 2)  # the same voxels as two slices
    _check_refused(radiograph_from_volume, volume, "slices")
    _check_refused(radiograph_from_volume, host.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "empty"),
                   "no image data")
    sheared = make_volume(host.scene, gradient(), directions=[[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                          name="sheared")
    _check_refused(radiograph_from_volume, sheared, "perpendicular")
    rois_before = host.scene.GetNumberOfNodesByClass("vtkMRMLMarkupsROINode")
    _check_refused(lambda node: create_box_roi(host.scene, node, Box("DIP", 1, 1, 3, 3), ROLE_ANNOTATION),
                   sheared, "perpendicular")
    check(host.scene.GetNumberOfNodesByClass("vtkMRMLMarkupsROINode") == rois_before,
          "a refused ROI was left in the scene")


GEOMETRY_CASES = (identity_geometry, png_flip_of_slicer, anisotropic_spacing, nonzero_origin, oblique_direction,
                  volume_under_linear_transform, moved_roi_reads_back, vector_volume_to_gray,
                  unusable_volumes_are_refused)
