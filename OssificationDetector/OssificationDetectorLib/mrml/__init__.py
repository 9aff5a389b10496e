"""Layer 8: the bridge to Slicer's scene (vtkMRML nodes of Slicer or of the slicer-core wheel; no Qt).

Volume nodes to Radiographs, boxes to Markups ROI nodes and back, detection and annotation ROIs."""

from ..moved_modules import forward_to

__getattr__ = forward_to(__name__, "bridge")  # the names of the former mrml.py
