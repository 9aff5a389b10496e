"""The module's parameter node: what the panel's widgets are bound to, saved with the scene."""
from typing import Annotated, Union

from slicer import vtkMRMLScalarVolumeNode, vtkMRMLVectorVolumeNode
from slicer.parameterNodeWrapper import Choice, Default, WithinRange, parameterNodeWrapper


@parameterNodeWrapper
class OssificationDetectorParameterNode:
    inputVolume: Union[vtkMRMLScalarVolumeNode, vtkMRMLVectorVolumeNode]
    model: Annotated[str, Default("default")]
    threshold: Annotated[float, WithinRange(0.0, 1.0), Default(0.5)]
    device: Annotated[str, Choice(["auto", "cpu", "cuda"]), Default("auto")]
