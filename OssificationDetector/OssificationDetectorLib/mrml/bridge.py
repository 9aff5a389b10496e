"""The bridge between MRML and the Lib: volume nodes to Radiographs, boxes to Markups ROIs and back.

Imports only `slicer`'s vtkMRML classes and `vtk`, which exist both inside 3D Slicer and in the
slicer-core wheel, so everything here runs on any vtkMRMLScene (slicer.mrmlScene or a new one).

Pixel convention: a Box is in image pixels, x right, y down, origin at the top-left corner of
the first pixel. Slicer's IJK puts integer indices at pixel centres and I, J follow the image's
columns and rows, so pixel coordinate x = i + 0.5 and y = j + 0.5. An ROI is placed in the
coordinates of the volume's parent transform (the ROI gets the same parent transform), so the
box stays over the same pixels whatever transform the volume is under.
"""
import numpy as np
import slicer
import vtk
from vtk.util import numpy_support

from ..core.boxes import Box
from ..io.dicom_source import volume_pixels_metadata, with_dicom_pixels
from ..io.images import radiograph_from_array
from ..core.taxonomy import CLASS_COLORS, DIGIT_NAMES, check_label

ATTRIBUTE_PREFIX = "OssificationDetector."
ROLE = ATTRIBUTE_PREFIX + "Role"
CLASS = ATTRIBUTE_PREFIX + "Class"
DIGIT = ATTRIBUTE_PREFIX + "Digit"
SCORE = ATTRIBUTE_PREFIX + "Score"
MODEL = ATTRIBUTE_PREFIX + "Model"
VOLUME_ID = ATTRIBUTE_PREFIX + "VolumeID"
REVIEW = ATTRIBUTE_PREFIX + "Review"
DETECTED_BOX = ATTRIBUTE_PREFIX + "DetectedBox"  # "x1 y1 x2 y2" as detected: a moved ROI was edited
# A node reference survives scene import (IDs are renamed on conflict, attributes are not).
VOLUME_REFERENCE = ATTRIBUTE_PREFIX + "Volume"

ROLE_DETECTION = "detection"
ROLE_ANNOTATION = "annotation"
REVIEW_PENDING = "pending"
REVIEW_ACCEPTED = "accepted"
REVIEW_REJECTED = "rejected"
REVIEW_EDITED = "edited"  # moved or resized by the reviewer: accepted as it is now; DetectedBox keeps the original
REVIEW_STATES = (REVIEW_PENDING, REVIEW_ACCEPTED, REVIEW_REJECTED)  # what the review buttons set
ACCEPTED_STATES = (REVIEW_ACCEPTED, REVIEW_EDITED)
REJECTED_COLOR = (0.5, 0.5, 0.5)


class MrmlBridgeError(ValueError):
    """A node that cannot be used as asked; the message says why and what to do."""


# ---------------------------------------------------------------------------- volumes


def ijk_to_ras(volume_node):
    """The volume's IJK-to-RAS matrix (4x4 numpy), in its parent transform's coordinates."""
    matrix = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(matrix)
    return np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])


def volume_array(volume_node):
    """The voxels as a numpy array [k, j, i] (scalar) or [k, j, i, component] (vector)."""
    image = volume_node.GetImageData() if volume_node is not None else None
    if image is None or image.GetPointData().GetScalars() is None:
        name = volume_node.GetName() if volume_node is not None else "None"
        raise MrmlBridgeError(f"Volume {name!r} has no image data: load a radiograph into it first.")
    columns, rows, slices = image.GetDimensions()
    components = image.GetNumberOfScalarComponents()
    flat = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())
    shape = (slices, rows, columns) if components == 1 else (slices, rows, columns, components)
    return flat.reshape(shape)


def radiograph_from_volume(volume_node, dicom_file=None):
    """A Radiograph of a single-slice scalar or vector (RGB/RGBA) volume node.

    Colour becomes luminance; spacing is the volume's (x_mm, y_mm). metadata keeps what maps
    boxes back onto the volume: node ID, IJK-to-RAS matrix and parent transform ID.
    dicom_file: the DICOM file the volume was loaded from (dicom_source.dicom_file_of_volume).
    Slicer's DICOM readers may or may not invert MONOCHROME1 and apply no VOI LUT, so the file's pixels,
    read as read_radiograph reads them, replace the volume's when they are on the same grid;
    metadata["pixel_source"] says which were used and, for the volume's, why.
    """
    if volume_node is None or not volume_node.IsA("vtkMRMLVolumeNode"):
        raise MrmlBridgeError("No input volume: select the radiograph's volume node.")
    array = volume_array(volume_node)
    name = volume_node.GetName()
    if array.shape[0] != 1:
        raise MrmlBridgeError(
            f"Volume {name!r} has {array.shape[0]} slices; detection works on one 2D radiograph. "
            "Slicer reads numbered image files of one folder (1.png, 2.png ...) as the slices of one volume: "
            "load the file again with 'Single File' ticked in the Add Data options."
        )
    if array.ndim == 4 and array.shape[-1] not in (1, 2, 3, 4):
        raise MrmlBridgeError(
            f"Volume {name!r} has {array.shape[-1]} components per voxel; expected gray (+ alpha), RGB or RGBA."
        )
    check_geometry(volume_node)
    spacing = volume_node.GetSpacing()
    metadata = {
        "volume_node_id": volume_node.GetID(),
        "ijk_to_ras": ijk_to_ras(volume_node).tolist(),
        "parent_transform_id": volume_node.GetTransformNodeID(),
    }
    radiograph = radiograph_from_array(array[0], spacing=(spacing[0], spacing[1]), source=name, metadata=metadata)
    if dicom_file is None:
        radiograph.metadata = volume_pixels_metadata(metadata, "the volume was not loaded from a DICOM file")
        return radiograph
    return with_dicom_pixels(radiograph, dicom_file)


def check_geometry(volume_node):
    """Refuse sheared volumes: an ROI is a box, so the I and J axes must be perpendicular."""
    matrix = ijk_to_ras(volume_node)
    x_axis, y_axis = matrix[:3, 0], matrix[:3, 1]
    if np.linalg.norm(x_axis) == 0 or np.linalg.norm(y_axis) == 0:
        raise MrmlBridgeError(f"Volume {volume_node.GetName()!r} has a zero spacing; fix its geometry.")
    cosine = abs(np.dot(x_axis, y_axis)) / (np.linalg.norm(x_axis) * np.linalg.norm(y_axis))
    if cosine > 1e-6:
        raise MrmlBridgeError(
            f"Volume {volume_node.GetName()!r} has non-perpendicular I and J axes; "
            "resample it to an orthogonal grid (Resample Scalar/Vector/DWI Volume)."
        )


# ---------------------------------------------------------------------------- boxes <-> ROIs


def roi_geometry_for_box(volume_node, box):
    """(object-to-node 4x4, size) of the ROI exactly over `box` on the volume's one slice.

    The ROI's axes follow the volume's I and J directions (so rotated or flipped volumes get a
    rotated ROI), and it is one slice thick across the image plane.
    """
    check_geometry(volume_node)
    matrix = ijk_to_ras(volume_node)
    x_step, y_step, k_step = matrix[:3, 0], matrix[:3, 1], matrix[:3, 2]
    x_axis = x_step / np.linalg.norm(x_step)
    y_axis = y_step / np.linalg.norm(y_step)
    z_axis = np.cross(x_axis, y_axis)  # right-handed, whatever the sign of K
    centre_x, centre_y = box.center
    centre = matrix @ np.array([centre_x - 0.5, centre_y - 0.5, 0.0, 1.0])
    object_to_node = np.identity(4)
    object_to_node[:3, 0], object_to_node[:3, 1], object_to_node[:3, 2] = x_axis, y_axis, z_axis
    object_to_node[:3, 3] = centre[:3]
    size = (box.width * np.linalg.norm(x_step), box.height * np.linalg.norm(y_step), np.linalg.norm(k_step))
    return object_to_node, size


def place_roi_over_box(roi_node, volume_node, box):
    """Move and resize an ROI node so that it covers exactly `box` of the volume."""
    object_to_node, size = roi_geometry_for_box(volume_node, box)
    was_modifying = roi_node.StartModify()
    roi_node.SetAndObserveTransformNodeID(volume_node.GetTransformNodeID())
    matrix = vtk.vtkMatrix4x4()
    for r in range(4):
        for c in range(4):
            matrix.SetElement(r, c, object_to_node[r, c])
    roi_node.GetObjectToNodeMatrix().DeepCopy(matrix)
    roi_node.SetSize(*size)
    roi_node.EndModify(was_modifying)


def box_corners(object_to_node, size):
    """The 8 corners (8x3) of a box given by its object-to-node matrix and its size."""
    half = np.asarray(size, dtype=float) / 2.0
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=float)
    corners = np.hstack([signs * half, np.ones((8, 1))])
    return (np.asarray(object_to_node) @ corners.T).T[:, :3]


def roi_corners(roi_node):
    """The 8 corners of an ROI (8x3) in its node (parent transform) coordinates.

    Markups keep the ROI's centre as a control point in single precision, so a placed ROI is
    exact to about 6e-8 of its distance from the RAS origin (1e-4 pixel on a 2000-pixel PNG).
    """
    matrix = roi_node.GetObjectToNodeMatrix()
    object_to_node = np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])
    return box_corners(object_to_node, roi_node.GetSize())


def pixel_box_around(points, volume_node, label, score=None, digit=None):
    """The box in the volume's pixels around points given in the volume's node coordinates."""
    ras_to_ijk = np.linalg.inv(ijk_to_ras(volume_node))
    ijk = (ras_to_ijk @ np.hstack([points, np.ones((len(points), 1))]).T).T
    x1, y1 = ijk[:, 0].min() + 0.5, ijk[:, 1].min() + 0.5
    x2, y2 = ijk[:, 0].max() + 0.5, ijk[:, 1].max() + 0.5
    return Box(label, x1, y1, x2, y2, score=score, digit=digit)


def _to_volume_node_coordinates(points, roi_node, volume_node):
    """Points from the ROI's parent-transform coordinates to the volume's."""
    roi_parent, volume_parent = roi_node.GetParentTransformNode(), volume_node.GetParentTransformNode()
    if roi_parent is volume_parent:
        return points
    transform = vtk.vtkGeneralTransform()
    slicer.vtkMRMLTransformNode.GetTransformBetweenNodes(roi_parent, volume_parent, transform)
    return np.array([transform.TransformPoint(*p) for p in points])


def box_from_roi(roi_node, volume_node, label=None):
    """The box (in the volume's pixels) that an ROI covers, read back after the user moved it.

    A rotated ROI gives the box around it. label, score and digit come from the node's
    attributes unless `label` is given.
    """
    label = label or roi_node.GetAttribute(CLASS)
    if not label:
        raise MrmlBridgeError(
            f"ROI {roi_node.GetName()!r} has no ossification-area class; relabel it before using it as a box."
        )
    score = roi_node.GetAttribute(SCORE)
    digit = roi_node.GetAttribute(DIGIT)
    points = _to_volume_node_coordinates(roi_corners(roi_node), roi_node, volume_node)
    return pixel_box_around(points, volume_node, label, score=float(score) if score else None,
                            digit=int(digit) if digit else None)


# ---------------------------------------------------------------------------- naming, colour, tags


def roi_name(box):
    """'PIP III 0.97' for a detection, 'PIP III' for a box without a score."""
    return box.name if box.score is None else f"{box.name} {box.score:.2f}"


def set_roi_color(roi_node, color):
    display = roi_node.GetDisplayNode()
    if display is None:
        roi_node.CreateDefaultDisplayNodes()
        display = roi_node.GetDisplayNode()
    display.SetSelectedColor(*color)
    display.SetColor(*color)


def tag_roi(roi_node, box, role, volume_node, model=None):
    """Name, colour and tag an ROI for a box: role, class, digit, score, model, volume."""
    if role not in (ROLE_DETECTION, ROLE_ANNOTATION):
        raise MrmlBridgeError(f"Unknown ROI role {role!r}: expected {ROLE_DETECTION!r} or {ROLE_ANNOTATION!r}.")
    label = check_label(box.label)
    roi_node.SetName(roi_name(box))
    roi_node.SetAttribute(ROLE, role)
    roi_node.SetAttribute(CLASS, label)
    _set_or_remove(roi_node, DIGIT, None if box.digit is None else str(int(box.digit)))
    _set_or_remove(roi_node, SCORE, None if box.score is None else repr(float(box.score)))
    _set_or_remove(roi_node, MODEL, model)
    roi_node.SetAttribute(VOLUME_ID, volume_node.GetID())
    roi_node.SetNodeReferenceID(VOLUME_REFERENCE, volume_node.GetID())
    if role == ROLE_DETECTION and not roi_node.GetAttribute(REVIEW):
        roi_node.SetAttribute(REVIEW, REVIEW_PENDING)
    if role == ROLE_DETECTION and not roi_node.GetAttribute(DETECTED_BOX):
        roi_node.SetAttribute(DETECTED_BOX, " ".join(repr(float(v)) for v in box.coords))
    set_roi_color(roi_node, CLASS_COLORS[label])


def _set_or_remove(node, name, value):
    if value is None:
        node.RemoveAttribute(name)
    else:
        node.SetAttribute(name, value)


def create_box_roi(scene, volume_node, box, role, model=None, locked=False):
    """A new ROI node over `box` on the volume, named, coloured and tagged; unlocked by default, so the
    reviewer can move and resize it (a moved detection is recorded as edited: detections.note_edit)."""
    check_geometry(volume_node)  # before anything is added to the scene
    roi_node = scene.AddNewNodeByClass("vtkMRMLMarkupsROINode", roi_name(box))
    roi_node.CreateDefaultDisplayNodes()
    place_roi_over_box(roi_node, volume_node, box)
    tag_roi(roi_node, box, role, volume_node, model)
    roi_node.SetLocked(bool(locked))
    display = roi_node.GetDisplayNode()
    display.SetFillOpacity(0.1)  # keep the bone under the box readable
    return roi_node


# ---------------------------------------------------------------------------- finding ROIs


def roi_volume(roi_node, scene=None):
    """The volume node an ROI belongs to (by node reference, else by the VolumeID attribute)."""
    volume = roi_node.GetNodeReference(VOLUME_REFERENCE)
    if volume is None:
        scene = scene or roi_node.GetScene()
        volume_id = roi_node.GetAttribute(VOLUME_ID)
        volume = scene.GetNodeByID(volume_id) if scene is not None and volume_id else None
    return volume


def tagged_rois(scene, role, volume_node=None):
    """ROI nodes of one role (detection or annotation), optionally only those of one volume."""
    nodes = []
    for index in range(scene.GetNumberOfNodesByClass("vtkMRMLMarkupsROINode")):
        node = scene.GetNthNodeByClass(index, "vtkMRMLMarkupsROINode")
        if node.GetAttribute(ROLE) != role:
            continue
        if volume_node is not None and roi_volume(node, scene) is not volume_node:
            continue
        nodes.append(node)
    return nodes


def detection_rois(scene, volume_node=None):
    return tagged_rois(scene, ROLE_DETECTION, volume_node)


def annotation_rois(scene, volume_node=None):
    return tagged_rois(scene, ROLE_ANNOTATION, volume_node)


def roi_score(roi_node):
    score = roi_node.GetAttribute(SCORE)
    return float(score) if score else None


def roi_digit_name(roi_node):
    """'III' for a joint whose finger is known, '' otherwise."""
    digit = roi_node.GetAttribute(DIGIT)
    return DIGIT_NAMES.get(int(digit), "") if digit else ""
