"""Volume nodes of known geometry, and where their pixel centres are in the world, for the checks."""
import numpy as np
import slicer
import vtk
from vtk.util import numpy_support


def make_volume(scene, pixels, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), directions=None,
                name="radiograph"):
    """A one-slice volume node holding `pixels` [row, col] (scalar) or [row, col, 3|4] (vector).

    directions: 3x3 matrix whose columns are the I, J, K directions in RAS (identity by default).
    """
    pixels = np.asarray(pixels)
    rows, columns = pixels.shape[:2]
    components = 1 if pixels.ndim == 2 else pixels.shape[2]
    image = vtk.vtkImageData()
    image.SetDimensions(columns, rows, 1)
    flat = np.ascontiguousarray(pixels).reshape(rows * columns, components) if components > 1 \
        else np.ascontiguousarray(pixels).ravel()
    image.GetPointData().SetScalars(numpy_support.numpy_to_vtk(flat, deep=True))
    node_class = "vtkMRMLScalarVolumeNode" if components == 1 else "vtkMRMLVectorVolumeNode"
    node = scene.AddNewNodeByClass(node_class, name)
    node.SetAndObserveImageData(image)
    node.SetSpacing(*spacing)
    node.SetOrigin(*origin)
    matrix = vtk.vtkMatrix4x4()
    directions = np.identity(3) if directions is None else np.asarray(directions, dtype=float)
    for r in range(3):
        for c in range(3):
            matrix.SetElement(r, c, directions[r, c])
    node.SetIJKToRASDirectionMatrix(matrix)
    return node


def rotation(axis, degrees):
    """3x3 rotation about `axis` (Rodrigues)."""
    axis = np.asarray(axis, dtype=float)
    axis /= np.linalg.norm(axis)
    angle = np.radians(degrees)
    cross = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.identity(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross


def add_linear_transform(scene, rotation_matrix, translation, name="transform"):
    node = scene.AddNewNodeByClass("vtkMRMLLinearTransformNode", name)
    matrix = vtk.vtkMatrix4x4()
    for r in range(3):
        for c in range(3):
            matrix.SetElement(r, c, rotation_matrix[r, c])
        matrix.SetElement(r, 3, translation[r])
    node.SetMatrixTransformToParent(matrix)
    return node


def pixel_centre_in_world(volume_node, column, row):
    """Where the centre of pixel (column, row) of the volume's slice is in world RAS."""
    matrix = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(matrix)
    local = matrix.MultiplyPoint((float(column), float(row), 0.0, 1.0))[:3]
    to_world = vtk.vtkGeneralTransform()
    slicer.vtkMRMLTransformNode.GetTransformBetweenNodes(volume_node.GetParentTransformNode(), None, to_world)
    return to_world.TransformPoint(local)
