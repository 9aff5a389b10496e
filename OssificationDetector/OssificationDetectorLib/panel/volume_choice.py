"""Which volume the panel picks when none is chosen yet: the first one its selector lists.

The input selector lists exactly these classes (showChildNodeTypes is false in the .ui), and no
node hidden from editors: a labelmap, DTI or DWI volume is a vtkMRMLScalarVolumeNode by IsA (so
GetFirstNodeByClass returns it) but is not in the list.
"""
SELECTOR_NODE_TYPES = ("vtkMRMLScalarVolumeNode", "vtkMRMLVectorVolumeNode")


def selectable_volumes(scene):
    """The volumes the input selector lists, in scene order."""
    volumes = []
    for index in range(scene.GetNumberOfNodesByClass("vtkMRMLVolumeNode")):
        node = scene.GetNthNodeByClass(index, "vtkMRMLVolumeNode")
        if node.GetClassName() in SELECTOR_NODE_TYPES and not node.GetHideFromEditors():
            volumes.append(node)
    return volumes


def first_selectable_volume(scene):
    """The volume to start with, or None."""
    volumes = selectable_volumes(scene)
    return volumes[0] if volumes else None
