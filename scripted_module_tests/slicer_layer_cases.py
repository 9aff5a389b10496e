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


def _needs_translation_without_app():
    """Slicer 5.10's slicer.i18n.translate() asks slicer.app (a Qt application) for every text; 5.12's gives
    the text back when there is none. Checks that translate texts run with 5.12 only."""
    import slicer.i18n

    try:
        slicer.i18n.translate("qSlicerAbstractCoreModule", "Quantification")
    except ImportError:
        pytest.skip("this Slicer's i18n.translate needs slicer.app (a Qt application): checked with 5.12.3")


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


def test_the_logic_runs_on_a_real_scene(scene, tmp_path):
    from OssificationDetectorLib.core.boxes import Box
    from OssificationDetectorLib.mrml.bridge import REVIEW
    from OssificationDetectorLib.mrml.detections import show_detections

    logic = _logic()
    assert logic.scene is scene and logic.dicomFile(_volumes(scene)[0]) is None  # no DICOM database here
    volume = make_volume(scene, np.arange(30 * 40, dtype=np.uint16).reshape(30, 40), name="hand")
    rois = show_detections([Box("DIP", 2, 3, 9, 8, score=0.9), Box("Ulna", 20, 10, 30, 20, score=0.2)],
                           scene, volume, "known", threshold=0.5)
    assert logic.detectionNodes(volume) == rois
    assert logic.applyThreshold(volume, 0.1) == 2 and logic.applyThreshold(volume, 0.5) == 1
    logic.setReview(rois[:1], "accepted", 0.5)
    assert rois[0].GetAttribute(REVIEW) == "accepted"
    written = logic.exportReviewed(volume, tmp_path / "export")
    assert [b.label for b in written.boxes] == ["DIP"] and (tmp_path / "export" / "annotations.json").is_file()
    assert logic.clear(volume) == 2 and logic.detectionNodes(volume) == []
    assert "default" in logic.modelNames()


def test_the_module_file_imports_and_describes_itself():
    """OssificationDetector.py through Slicer's ScriptedLoadableModule; its description filled in on a
    plain attribute holder (Slicer's parent is a qSlicerScriptedLoadableModule, a Qt object)."""
    import types

    import OssificationDetector as module_file
    from slicer.ScriptedLoadableModule import ScriptedLoadableModule, ScriptedLoadableModuleTest

    from OssificationDetectorGui.module_description import describeModule

    assert issubclass(module_file.OssificationDetector, ScriptedLoadableModule)
    assert issubclass(module_file.OssificationDetectorTest, ScriptedLoadableModuleTest)
    _needs_translation_without_app()
    parent = types.SimpleNamespace()
    describeModule(parent)
    assert parent.title == "Ossification Detector" and parent.categories == ["Quantification"]
    assert parent.contributors and not any("contributors" in c.lower() for c in parent.contributors)
    assert "Koitka S" in parent.helpText and "edited" in parent.helpText
    assert parent.dependencies == ["Markups", "SampleData"]


def test_the_category_is_translated_in_slicer_s_own_context(monkeypatch):
    """Slicer's modules name their category through translate("qSlicerAbstractCoreModule", ...) (SampleData.py
    does); a module's own tr() context would make a second, untranslated Quantification category."""
    import types

    import slicer.i18n

    from OssificationDetectorGui import module_description

    _needs_translation_without_app()
    contexts = []
    monkeypatch.setattr(module_description, "translate",
                        lambda context, text: contexts.append(context) or slicer.i18n.translate(context, text))
    module_description.describeModule(types.SimpleNamespace())
    assert contexts == ["qSlicerAbstractCoreModule"]
    sample_data = Path(os.environ[LAYER_VARIABLE]) / "Modules" / "Scripted" / "SampleData" / "SampleData.py"
    assert 'translate("qSlicerAbstractCoreModule"' in sample_data.read_text(encoding="utf-8")


def test_sample_data_takes_the_sample_with_load_file_types():
    import inspect
    import warnings

    import SampleData

    from OssificationDetectorGui.sample_data import sampleDataSource

    source = sampleDataSource()
    assert "loadFileType" not in source  # deprecated in Slicer's SampleData
    accepted = inspect.signature(SampleData.SampleDataLogic.registerCustomSampleDataSource).parameters
    assert set(source) <= set(accepted)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = SampleData.SampleDataSource(**{k: v for k, v in source.items() if k != "category"})
    assert made.loadFileTypes == ["VolumeFile"] and made.loadFileProperties == {"singleFile": True}


def test_the_first_volume_is_one_the_selector_lists(scene):
    """GetFirstNodeByClass("vtkMRMLScalarVolumeNode") also gives labelmaps (and DTI, DWI volumes), which the
    input selector (showChildNodeTypes false) does not list."""
    from OssificationDetectorLib.panel.volume_choice import first_selectable_volume

    labelmap = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", "segmentation")
    hidden = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "hidden")
    hidden.SetHideFromEditors(True)
    assert first_selectable_volume(scene) is None
    assert scene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode") is labelmap  # what the panel used to pick
    colour = make_volume(scene, np.zeros((30, 40, 3), dtype=np.uint8), name="colour")
    assert first_selectable_volume(scene) is colour
    parameters = _logic().getParameterNode()
    parameters.inputVolume = first_selectable_volume(scene)
    assert parameters.inputVolume is colour


def test_the_self_test_without_torch_installs_nothing_and_says_what_it_skipped():
    """What `Slicer --testing` does in a Slicer without torch: torch_setup finds it missing, and nothing of
    PyTorchUtils (which would pip-install torch) is imported."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['torch'] = None; sys.modules['torchvision'] = None  # as in a Slicer without them\n"
        "from OssificationDetectorGui.torch_setup import torchAvailable\n"
        "assert torchAvailable() is False\n"
        "assert 'PyTorchUtils' not in sys.modules\n"
        "from OssificationDetectorTesting.self_test_plan import self_test_plan, skipped_report\n"
        "plan = self_test_plan(torchAvailable())\n"
        "print('\\n'.join(skipped_report(plan)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "OssificationDetector")))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipped detect_creates_tagged_rois: torch is not installed" in result.stdout
    assert "skipped testDetectFromPanel" in result.stdout and "skipped testAnnotateFromPanel" in result.stdout


def test_the_panels_read_and_write_the_real_parameter_node(scene, tmp_path):
    """The panel classes with the module's Logic and Slicer's own parameter node, as the sections use them."""
    from OssificationDetectorLib.panel.annotate_panel import AnnotatePanel
    from OssificationDetectorLib.panel.detect_panel import DetectPanel

    logic = _logic()
    detect = DetectPanel(logic, logic.getParameterNode)
    assert not detect.controls(model_count=1).detect  # a fresh node: no radiograph
    parameters = logic.getParameterNode()
    parameters.inputVolume, parameters.model = _volumes(scene)[1], "gone since"
    assert detect.controls(model_count=1).detect
    assert detect.model_choice(["default", "mine"]).index == 0
    assert logic.getParameterNode().model == "default"  # written through the wrapper
    detect.choose_model("mine")
    assert logic.getParameterNode().model == "mine"
    annotate = AnnotatePanel(logic, logic.getParameterNode, lambda: str(tmp_path))
    assert annotate.volume() is parameters.inputVolume and annotate.controls().save
