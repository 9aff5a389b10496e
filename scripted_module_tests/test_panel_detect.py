"""The Detect and Review sections' behaviour (OssificationDetectorLib/panel/detect_panel.py) on a real scene:
what is enabled, the results table, what each button does, the status lines."""
import pytest

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.mrml.bridge import REVIEW, detection_rois, place_roi_over_box
from OssificationDetectorLib.panel.detect_panel import DetectPanel

from panel_fixtures import detected, panel_scene, radiograph


@pytest.fixture
def setup(tmp_path):
    scene, logic, parameters = panel_scene(tmp_path)
    return scene, parameters, DetectPanel(logic, lambda: parameters)


def test_what_is_enabled_when(setup):
    scene, parameters, panel = setup
    controls = panel.controls(model_count=1)
    assert not controls.detect and "Select a radiograph" in controls.detect_tooltip
    assert not (controls.review or controls.clear or controls.export)
    parameters.inputVolume = radiograph(scene)
    assert not panel.controls(model_count=0).detect  # no model registered
    controls = panel.controls(model_count=2)
    assert controls.detect and "Find the ossification areas" in controls.detect_tooltip
    assert not controls.clear and not controls.export
    rois = detected(scene, parameters.inputVolume)
    controls = panel.controls(2, selected_ids=[])
    assert controls.clear and controls.export and not controls.review
    assert panel.controls(2, selected_ids=[rois[0].GetID()]).review
    scene.RemoveNode(rois[0])
    assert not panel.controls(2, selected_ids=[rois[0].GetID()]).review  # a row of a node removed since


def test_results_rows_show_class_finger_score_review_and_what_is_hidden(setup):
    scene, parameters, panel = setup
    assert panel.rows() == []
    volume = parameters.inputVolume = radiograph(scene)
    rois = detected(scene, volume)
    rows = panel.rows()
    assert [r.cells for r in rows] == [("DIP", "III", "0.92", "pending"), ("PIP", "II", "0.55", "pending"),
                                       ("Radius", "", "0.31", "pending"), ("Wrist", "", "0.08", "pending")]
    assert [r.node_id for r in rows] == [roi.GetID() for roi in rois]
    assert [r.dimmed for r in rows] == [False, False, True, True]  # below the 0.5 threshold
    assert rows[0].color == (230, 159, 0)
    place_roi_over_box(rois[2], volume, Box("Radius", 13, 24, 24, 30))  # the reviewer resized it
    assert panel.rows()[2].cells[3] == "edited" and not panel.rows()[2].dimmed


def test_threshold_review_clear_and_export(setup, tmp_path):
    scene, parameters, panel = setup
    assert panel.threshold_changed(0.3) is None  # nothing detected: nothing to say
    volume = parameters.inputVolume = radiograph(scene)
    rois = detected(scene, volume)
    assert panel.threshold_changed(0.3) == "3 areas shown at score 0.30 or more."
    assert panel.review([rois[0].GetID(), rois[1].GetID()], "accepted") == "2 areas marked accepted."
    assert [r.GetAttribute(REVIEW) for r in rois[:2]] == ["accepted", "accepted"]
    assert panel.review([rois[2].GetID()], "rejected") == "1 areas marked rejected."
    assert panel.export("") is None  # the folder dialog was cancelled
    status = panel.export(str(tmp_path / "out"))
    assert status == f"2 accepted boxes of hand written to {tmp_path / 'out'} (VOC and COCO)."
    assert (tmp_path / "out" / "Annotations" / "hand.xml").is_file()
    assert panel.clear() == "4 detections removed." and detection_rois(scene, volume) == []
    parameters.inputVolume = None
    assert panel.clear() == "0 detections removed."


def test_the_model_selector_follows_the_parameter_node(setup):
    scene, parameters, panel = setup
    choice = panel.model_choice([])
    assert choice.index == -1 and "No model is registered" in choice.status
    parameters.model = "mine"
    assert panel.model_choice(["default", "mine"]).index == 1
    parameters.model = "a model of another computer"
    choice = panel.model_choice(["default", "mine"])
    assert choice.index == 0 and choice.status is None and parameters.model == "default"
    panel.choose_model("mine")
    assert parameters.model == "mine"
    panel.choose_model("")  # an empty selector changes nothing
    assert parameters.model == "mine"


def test_detect_says_what_it_found_and_the_detector_s_warnings(setup, tiny_model_file):
    scene, parameters, panel = setup
    volume = parameters.inputVolume = radiograph(scene, "hand")
    parameters.model = str(tiny_model_file[0])
    assert panel.detecting_status() == f"Detecting on hand with model {tiny_model_file[0]} ..."
    ticks = iter([10.0, 12.5])
    status = panel.detect(clock=lambda: next(ticks))
    rois = detection_rois(scene, volume)
    shown = sum(1 for roi in rois if roi.GetDisplayVisibility())
    first, *warnings = status.split("\n")
    assert first == f"{len(rois)} ossification areas found in 2.5 s; {shown} shown at score 0.50 or more."
    assert warnings == list(panel.logic.lastDetectionWarnings)


def test_the_first_detect_logs_imports_load_and_detection_apart(setup, tiny_model_file, caplog):
    scene, parameters, panel = setup
    parameters.inputVolume = radiograph(scene, "hand")
    parameters.model = str(tiny_model_file[0])
    with caplog.at_level("INFO"):
        panel.detect()
        first = panel.logic.lastDetectTimer
        panel.detect()
        again = panel.logic.lastDetectTimer
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Detect took")]
    assert len(lines) == 2 and "model load" in lines[0] and "detection" in lines[0]
    assert first.seconds["load"] > 0 and again.seconds["load"] == 0 and again.seconds["imports"] == 0
    assert "model load" not in lines[1]  # the model stayed loaded
