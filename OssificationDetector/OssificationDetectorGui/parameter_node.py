"""The module's parameter node: what the panel's widgets are bound to, saved with the scene."""
from typing import Annotated, Optional, Union

from slicer import vtkMRMLScalarVolumeNode, vtkMRMLVectorVolumeNode
from slicer.parameterNodeWrapper import Choice, Default, WithinRange, parameterNodeWrapper


@parameterNodeWrapper
class OssificationDetectorParameterNode:
    # None when no radiograph is selected: the wrapper writes None as the default, so the type must
    # hold it; vector volumes stay selectable (colour radiographs).
    inputVolume: Optional[Union[vtkMRMLScalarVolumeNode, vtkMRMLVectorVolumeNode]]
    model: Annotated[str, Default("default")]
    threshold: Annotated[float, WithinRange(0.0, 1.0), Default(0.5)]
    device: Annotated[str, Choice(["auto", "cpu", "cuda"]), Default("auto")]
