"""The Annotate section's behaviour (OssificationDetectorLib/panel/annotate_panel.py, placing.py) on a real
scene: what is enabled, classes and fingers, the tables and checklist, the buttons, place mode on the
real interaction and selection nodes, and that the section works only while it is shown."""
import pytest

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.mrml.annotations import add_annotations
from OssificationDetectorLib.mrml.bridge import CLASS, DIGIT, annotation_rois, detection_rois
from OssificationDetectorLib.mrml.detections import set_review
from OssificationDetectorLib.panel.annotate_panel import AnnotatePanel, class_button_text, class_choice, on_key
from OssificationDetectorLib.panel.placing import BoxPlacer, tag_placed_box

from panel_fixtures import detected, panel_scene, radiograph


@pytest.fixture
def setup(tmp_path):
    scene, logic, parameters = panel_scene(tmp_path)
    folder = {"path": ""}
    calls = []
    panel = AnnotatePanel(logic, lambda: parameters, lambda: folder["path"],
                          on_start=lambda: calls.append("start"), on_stop=lambda: calls.append("stop"))
    return scene, parameters, panel, folder, calls


def test_what_is_enabled_when(setup, tmp_path):
    scene, parameters, panel, folder, _ = setup
    controls = panel.controls()
    assert not (controls.add_box or controls.start_from_detections or controls.save or controls.import_dataset)
    parameters.inputVolume = radiograph(scene)
    controls = panel.controls()
    assert controls.add_box and controls.start_from_detections and not controls.save
    folder["path"] = str(tmp_path / "dataset")
    controls = panel.controls()
    assert controls.save and controls.import_dataset and not controls.relabel and not controls.delete
    box = add_annotations(scene, parameters.inputVolume, [Box("Ulna", 1, 2, 6, 7)])[0]
    assert panel.controls([box.GetID()]).relabel and panel.controls([box.GetID()]).delete


def test_classes_fingers_and_keys():
    dip = class_choice("DIP")
    assert dip.digits == [("unknown", None), ("II", 2), ("III", 3), ("IV", 4), ("V", 5)] and dip.digits_enabled
    radius = class_choice("Radius")
    assert radius.digits == [("unknown", None)] and not radius.digits_enabled
    assert radius.relabel_text == "Relabel as Radius"
    assert class_button_text("Wrist") == ("6 Wrist", "Annotate Wrist boxes (key 6).")
    pressed = []
    assert on_key(keypad=False, action=lambda: pressed.append(1)) and pressed == [1]
    assert not on_key(keypad=True, action=lambda: pressed.append(2)) and pressed == [1]  # the 3D view's keys


def test_the_section_works_only_while_entered_and_expanded(setup, tmp_path):
    """Keys, observers and the dataset lookup (which hashes the radiograph) only while the section is shown."""
    scene, parameters, panel, folder, calls = setup
    volume = parameters.inputVolume = radiograph(scene, "saved hand")
    folder["path"] = str(tmp_path / "dataset")
    add_annotations(scene, volume, [Box("Ulna", 1, 2, 6, 7), Box("PIP", 3, 3, 9, 9, digit=2)])
    panel.save()
    for roi in annotation_rois(scene, volume):
        scene.RemoveNode(roi)
    assert panel.activity.set(entered=True) is None and calls == []  # collapsed: not at work
    assert panel.volume_shown() is None and annotation_rois(scene, volume) == []  # not looked up
    assert panel.activity.set(expanded=True) == "start" and calls == ["start"]
    assert panel.volume_shown() == "saved hand is in the dataset as saved_hand: its 2 boxes are back."
    assert len(annotation_rois(scene, volume)) == 2
    assert panel.volume_shown() is None  # once per volume
    assert panel.activity.set(expanded=False) == "stop" and calls == ["start", "stop"]
    assert panel.activity.set(entered=False) is None and calls == ["start", "stop"]


def test_tables_checklist_and_buttons(setup, tmp_path):
    scene, parameters, panel, folder, _ = setup
    rows, summary = panel.checklist_rows()
    assert summary == "" and [r.cells[0] for r in rows] == ["DIP", "PIP", "MCP", "Radius", "Ulna", "Wrist"]
    volume = parameters.inputVolume = radiograph(scene)
    rois = detected(scene, volume)
    for roi in rois[:2]:
        set_review(roi, "accepted", 0.5)
    asked = []
    status = panel.start_from_detections(lambda question: asked.append(question) or True)
    assert status == "2 accepted detections copied into annotation boxes: correct them, then save." and not asked
    boxes = panel.box_rows()
    assert [r.cells for r in boxes] == [("DIP III", "20, 4 - 24, 7"), ("PIP II", "8, 10 - 13, 14")]
    rows, summary = panel.checklist_rows()
    assert rows[0].cells == ("DIP", "1", "4", "DIP II, DIP IV, DIP V") and rows[0].warn_column == 1
    assert summary.startswith("2 of 17 areas")
    assert panel.start_from_detections(lambda question: asked.append(question) and False) is None
    assert asked == ["hand has 2 annotation boxes. Replace them with the accepted detections?"]
    assert len(annotation_rois(scene, volume)) == 2  # the user said no: nothing replaced

    ids = [boxes[0].node_id]
    assert panel.relabel(ids, "MCP", 3) == "1 box(es) relabelled as MCP."
    node = scene.GetNodeByID(ids[0])
    assert (node.GetAttribute(CLASS), node.GetAttribute(DIGIT)) == ("MCP", "3")
    assert panel.delete(ids) == "1 box(es) deleted." and scene.GetNodeByID(ids[0]) is None
    assert len(detection_rois(scene, volume)) == 4  # detections are never touched by Annotate

    folder["path"] = str(tmp_path / "dataset")
    status = panel.save_asking(lambda question: True)
    assert status == f"1 boxes of hand saved in {tmp_path / 'dataset'} as hand."
    assert panel.save_asking(lambda question: True).startswith("1 boxes of hand updated")
    other = parameters.inputVolume = radiograph(scene, "hand", step=11)  # another image of the same name
    add_annotations(scene, other, [Box("Ulna", 1, 2, 6, 7)])
    assert panel.save_asking(lambda question: False) is None  # the user said no: nothing written
    status = panel.save_asking(lambda question: "Save it under a new name?" in question)
    assert " saved in " in status and not status.endswith(" as hand.")  # under a new name


def test_import_brings_the_radiograph_s_boxes_back(setup, tmp_path, sample_voc_dir):
    scene, parameters, panel, folder, _ = setup
    folder["path"] = str(tmp_path / "dataset")
    assert panel.import_from("") is None  # the folder dialog was cancelled
    status = panel.import_from(str(sample_voc_dir))
    assert status.startswith("3 radiographs imported; 0 were in the dataset already")


def test_place_mode_on_the_real_interaction_and_selection_nodes(setup):
    scene, parameters, panel, _, _ = setup
    interaction = scene.AddNewNodeByClass("vtkMRMLInteractionNode")
    selection = scene.AddNewNodeByClass("vtkMRMLSelectionNode")
    interaction.SetPlaceModePersistence(0)
    placer = BoxPlacer(scene, interaction, selection)
    assert placer.toggle(True, None, "DIP") == (False, "Select a radiograph volume first.")
    volume = parameters.inputVolume = radiograph(scene)
    placing, status = placer.toggle(True, volume, "PIP")
    assert placing and status == "Click two opposite corners of each PIP box; Esc ends."
    assert interaction.GetCurrentInteractionMode() == interaction.Place and interaction.GetPlaceModePersistence() == 1
    assert selection.GetActivePlaceNodeClassName() == "vtkMRMLMarkupsROINode"

    new_box = scene.AddNewNodeByClass("vtkMRMLMarkupsROINode")  # what the first mouse move into a view makes
    assert placer.is_new_box(new_box)
    assert tag_placed_box(new_box, volume, "PIP", 4) and new_box.GetAttribute(CLASS) == "PIP"
    assert not tag_placed_box(new_box, volume, "DIP", None)  # tagged once
    selection.SetActivePlaceNodeID(new_box.GetID())
    assert placer.retag_pending(volume, "MCP", 2)  # class changed before its first click
    assert (new_box.GetAttribute(CLASS), new_box.GetAttribute(DIGIT)) == ("MCP", "2")

    interaction.SetCurrentInteractionMode(interaction.ViewTransform)  # Esc
    assert placer.mode_changed() and not placer.placing
    assert interaction.GetPlaceModePersistence() == 0  # the user's setting back
    assert not placer.retag_pending(volume, "DIP", None)
    placer.toggle(True, volume, "Ulna")
    assert placer.volume_changed(None) and interaction.GetCurrentInteractionMode() == interaction.ViewTransform
