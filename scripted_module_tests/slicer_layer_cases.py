"""The module's Slicer-facing code through Slicer's own Python layer, on real MRML (slicer-core).

Run by test_slicer_python_layer.py once per Slicer release, each in a process of its own (the
version folder comes in OSSIFICATION_DETECTOR_SLICER_LAYER); run directly without it, everything
here is skipped. What needs a Qt widget (the panel's sections) cannot run here: its behaviour
lives in OssificationDetectorLib/panel and is tested on real MRML in test_panel_*.py.
"""
import os
from pathlib import Path

import pytest

from slicer_python_layer import LAYER_VARIABLE, use_slicer_python_layer

if not os.environ.get(LAYER_VARIABLE):
    pytest.skip("run by test_slicer_python_layer.py with a Slicer release's Python layer", allow_module_level=True)
slicer = use_slicer_python_layer(os.environ[LAYER_VARIABLE])

import numpy as np  # noqa: E402

from mrml_fixtures import new_scene  # noqa: E402
from OssificationDetectorTesting.volumes import make_volume  # noqa: E402


@pytest.fixture
def scene(tmp_path):
    """A real scene with Slicer's logics, as slicer.mrmlScene (what Slicer's own Python uses)."""
    scene, _ = new_scene(tmp_path)
    slicer.mrmlScene = scene
    yield scene
    del slicer.mrmlScene


def _logic():
    from OssificationDetectorGui.logic import OssificationDetectorLogic

    return OssificationDetectorLogic()


def _volumes(scene):
    scalar = make_volume(scene, np.zeros((30, 40), dtype=np.uint16), name="gray")
    vector = make_volume(scene, np.zeros((30, 40, 3), dtype=np.uint8), name="colour")
    return scalar, vector


def test_a_fresh_parameter_node_has_the_defaults(scene):
    parameters = _logic().getParameterNode()
    assert parameters.inputVolume is None
    assert (parameters.model, parameters.threshold, parameters.device) == ("default", 0.5, "auto")


def test_the_input_volume_takes_scalar_and_vector_volumes_and_none(scene):
    scalar, vector = _volumes(scene)
    parameters = _logic().getParameterNode()
    for volume in (scalar, vector, None, scalar):
        parameters.inputVolume = volume
        assert _logic().getParameterNode().inputVolume is volume  # read back through a new wrapper
    with pytest.raises(Exception):
        parameters.threshold = 1.5  # WithinRange(0, 1) is Slicer's own validator
    with pytest.raises(Exception):
        parameters.device = "tpu"


def test_scene_close_and_reopen(scene):
    scalar, _ = _volumes(scene)
    parameters = _logic().getParameterNode()
    parameters.inputVolume = scalar
    parameters.model = "mine"
    scene.Clear(0)  # File > Close scene: the singleton parameter node stays, the volume goes
    parameters = _logic().getParameterNode()
    assert parameters.inputVolume is None
    scalar, vector = _volumes(scene)
    parameters.inputVolume = vector
    assert _logic().getParameterNode().inputVolume is vector


@pytest.mark.parametrize("kind", ["mrml", "mrb"])
def test_a_saved_and_reloaded_scene_keeps_the_parameters(scene, tmp_path, kind):
    scalar, vector = _volumes(scene)
    parameters = _logic().getParameterNode()
    parameters.inputVolume = vector
    parameters.threshold, parameters.model, parameters.device = 0.25, "mine", "cpu"
    if kind == "mrb":
        path = tmp_path / "saved.mrb"
        assert scene.WriteToMRB(str(path))
    else:
        path = tmp_path / "saved" / "saved.mrml"
        path.parent.mkdir()
        for node in (scalar, vector):
            storage = node.CreateDefaultStorageNode()
            scene.AddNode(storage)
            storage.SetFileName(str(path.parent / f"{node.GetName()}.nrrd"))
            node.SetAndObserveStorageNodeID(storage.GetID())
            assert storage.WriteData(node)
        scene.SetURL(str(path))
        assert scene.Commit()
    scene.Clear(1)
    assert _logic().getParameterNode().inputVolume is None
    scene.Clear(1)
    if kind == "mrb":
        assert scene.ReadFromMRB(str(path))
    else:
        scene.SetURL(str(path))
        assert scene.Import()
    parameters = _logic().getParameterNode()
    assert parameters.inputVolume is not None and parameters.inputVolume.GetName() == "colour"
    assert parameters.inputVolume.IsA("vtkMRMLVectorVolumeNode")
    assert (parameters.threshold, parameters.model, parameters.device) == (0.25, "mine", "cpu")
