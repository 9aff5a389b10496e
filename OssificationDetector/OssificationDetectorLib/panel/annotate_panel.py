"""The Annotate section's behaviour: class and finger choice, what is enabled, the boxes and checklist
tables, what each button does to the scene and the dataset, and when the section works at all (its
keys and scene observers only while the module is entered and the section expanded; a radiograph is
looked up in the dataset, which hashes its pixels, only then). The Qt section binds widgets to it."""
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

from ..annotations.checklist import checklist
from ..annotations.dataset_store import AnnotationConflictError, import_dataset
from ..core.taxonomy import CLASSES, DIGIT_CLASSES, DIGIT_NAMES, DIGITS_OF_CLASS
from ..mrml import annotations
from ..mrml.bridge import CLASS, annotation_rois, box_from_roi, roi_digit_name
from .section_panel import SectionPanel
from .table_rows import TableRow, class_color, nodes_of
from .texts import tr as _

CLASS_KEYS = {label: str(number) for number, label in enumerate(CLASSES, start=1)}
PLACE_KEY = "A"
CHECKLIST_COLUMNS = (_("Class"), _("Found"), _("Expected"), _("Missing"))
BOX_COLUMNS = (_("Area"), _("Box (pixels)"))


@dataclass(frozen=True)
class AnnotateControls:
    add_box: bool
    relabel: bool
    delete: bool
    start_from_detections: bool
    save: bool
    import_dataset: bool


@dataclass(frozen=True)
class ClassChoice:
    """What choosing a class shows: the finger choices (text, digit), whether the finger can be chosen,
    and the Relabel button's text."""

    digits: List[Tuple[str, Optional[int]]]
    digits_enabled: bool
    relabel_text: str


def class_choice(label):
    digits = [(_("unknown"), None)] + [(DIGIT_NAMES[d], d) for d in DIGITS_OF_CLASS.get(label, ())]
    return ClassChoice(digits, label in DIGIT_CLASSES, _("Relabel as {label}").format(label=label))


def class_button_text(label):
    return f"{CLASS_KEYS[label]} {label}", _("Annotate {label} boxes (key {key}).").format(label=label,
                                                                                          key=CLASS_KEYS[label])


def on_key(keypad, action):
    """A class or place key: from the main keyboard only, as the keypad's digits turn the 3D view's camera
    (Slicer's vtkMRMLCameraWidget: KP_1 anterior, KP_3 left, KP_7 superior, KP_2/4/6/8 rotate). True
    when `action` ran."""
    if keypad:
        return False
    action()
    return True


def volume_source_path(volume_node, dicom_file=None):
    """The file a volume came from: its DICOM file, else its storage node's file (or None)."""
    if dicom_file:
        return dicom_file
    storage = volume_node.GetStorageNode()
    return storage.GetFileName() if storage is not None and storage.GetFileName() else None


class AnnotateActivity:
    """Whether the Annotate section is at work: the module is entered and the section expanded. Only then
    do its keys exist, its scene observers run and a radiograph get looked up in the dataset.
    on_start() / on_stop(): called when that begins and ends (the Qt section adds and removes them)."""

    def __init__(self, on_start=None, on_stop=None):
        self.entered = False
        self.expanded = False
        self.on_start, self.on_stop = on_start, on_stop

    @property
    def active(self):
        return self.entered and self.expanded

    def set(self, entered=None, expanded=None):
        """Update; returns 'start' or 'stop' when the section starts or stops working, else None."""
        before = self.active
        if entered is not None:
            self.entered = bool(entered)
        if expanded is not None:
            self.expanded = bool(expanded)
        if self.active == before:
            return None
        callback = self.on_start if self.active else self.on_stop
        if callback is not None:
            callback()
        return "start" if self.active else "stop"


class AnnotatePanel(SectionPanel):
    """logic: the module's Logic (scene, dicomFile); parameters() -> the parameter node or None;
    dataset_folder() -> the dataset folder chosen in the panel ('' when none)."""

    def __init__(self, logic, parameters, dataset_folder, on_start=None, on_stop=None):
        SectionPanel.__init__(self, logic, parameters)
        self.dataset_folder = dataset_folder
        self.activity = AnnotateActivity(on_start, on_stop)
        self._looked_up = set()  # volume IDs already looked up in the dataset this scene

    def folder(self):
        return (self.dataset_folder() or "").strip()

    # ---------------------------------------------------------------- what is shown

    def controls(self, selected_ids=()):
        volume, folder = self.volume(), self.folder()
        selected = bool(nodes_of(self.scene, selected_ids))
        return AnnotateControls(add_box=volume is not None, relabel=selected, delete=selected,
                                start_from_detections=volume is not None, save=volume is not None and bool(folder),
                                import_dataset=bool(folder))

    def _boxes(self):
        volume = self.volume()
        nodes = annotation_rois(self.scene, volume) if volume is not None else []
        boxes = {}
        for node in nodes:
            try:
                boxes[node.GetID()] = box_from_roi(node, volume)
            except ValueError:
                pass  # still being placed
        return nodes, boxes

    def box_rows(self):
        nodes, boxes = self._boxes()
        rows = []
        for node in nodes:
            label, digit, box = node.GetAttribute(CLASS), roi_digit_name(node), boxes.get(node.GetID())
            where = "" if box is None else f"{box.x1:.0f}, {box.y1:.0f} - {box.x2:.0f}, {box.y2:.0f}"
            rows.append(TableRow((f"{label} {digit}" if digit else label, where), node.GetID(), class_color(label)))
        return rows

    def checklist_rows(self):
        """One row a class (found, expected, missing and surplus areas) and the summary line."""
        _nodes, boxes = self._boxes()
        result = checklist(list(boxes.values()))
        rows = [TableRow((c.label, str(c.found), str(c.expected), ", ".join(c.missing + c.surplus)),
                         warn_column=None if c.complete else 1) for c in result.classes]
        return rows, result.summary() if self.volume() is not None else ""

    # ---------------------------------------------------------------- the radiograph and its dataset

    def volume_shown(self):
        """The parameter node changed: look a newly selected radiograph up in the dataset (once per volume,
        only while the section is at work, as it hashes the pixels). The status line, or None."""
        volume = self.volume()
        if volume is None or not self.activity.active or volume.GetID() in self._looked_up:
            return None
        self._looked_up.add(volume.GetID())
        return self.restore(volume)

    def scene_closed(self):
        self._looked_up.clear()  # node IDs are given out again in a new scene

    def restore(self, volume=None):
        """Bring back the saved boxes of a radiograph that the dataset already holds. The status line or None."""
        volume = volume or self.volume()
        folder = self.folder()
        if volume is None or not folder or not os.path.isdir(folder):
            return None
        had_boxes = bool(annotation_rois(self.scene, volume))
        dicom_file = self.logic.dicomFile(volume)
        stored = annotations.restore_from_dataset(self.scene, volume, folder, volume_source_path(volume, dicom_file),
                                                  dicom_file=dicom_file)
        if stored is None or had_boxes:
            return None
        return _("{name} is in the dataset as {stored}: its {count} boxes are back.").format(
            name=volume.GetName(), stored=stored.name, count=len(stored.boxes))

    def dataset_changed(self):
        """Another dataset folder: look the radiograph up in it (status line or None)."""
        self._looked_up.clear()
        return self.restore() if self.activity.active else None

    # ---------------------------------------------------------------- what the buttons do

    def relabel(self, selected_ids, label, digit):
        nodes = nodes_of(self.scene, selected_ids)
        for node in nodes:
            annotations.relabel_annotation(node, label, digit)
        return _("{count} box(es) relabelled as {label}.").format(count=len(nodes), label=label)

    def delete(self, selected_ids):
        nodes = nodes_of(self.scene, selected_ids)
        for node in nodes:
            annotations.delete_annotation(self.scene, node)
        return _("{count} box(es) deleted.").format(count=len(nodes))

    def replace_question(self):
        """The question to ask before Start from detections replaces the user's boxes, or None."""
        volume = self.volume()
        existing = annotation_rois(self.scene, volume) if volume is not None else []
        if not existing:
            return None
        return _("{name} has {count} annotation boxes. Replace them with the accepted detections?").format(
            name=volume.GetName(), count=len(existing))

    def start_from_detections(self, confirm):
        """Copy the accepted detections into annotation boxes; confirm(question) -> bool is asked first when
        that replaces the user's boxes. The status line, or None when the user said no."""
        question = self.replace_question()
        if question is not None and not confirm(question):
            return None
        created = annotations.start_from_detections(self.scene, self.volume(), replace=question is not None)
        return _("{count} accepted detections copied into annotation boxes: correct them, then save.").format(
            count=len(created))

    def save_asking(self, confirm):
        """Save; when the name holds another image, confirm(question) -> bool decides whether to save it under
        a new name. The status line, or None when the user said no."""
        try:
            return self.save()
        except AnnotationConflictError as conflict:
            if not confirm(str(conflict) + "\n\n" + _("Save it under a new name?")):
                return None
            return self.save(on_conflict="rename")

    def save(self, on_conflict="error"):
        """Save the radiograph and its boxes into the dataset folder (AnnotationConflictError when the name
        holds another image and on_conflict is "error")."""
        volume, folder = self.volume(), self.folder()
        dicom_file = self.logic.dicomFile(volume)
        stored = annotations.save_volume_annotations(self.scene, volume, folder,
                                                     source=volume_source_path(volume, dicom_file),
                                                     on_conflict=on_conflict, dicom_file=dicom_file)
        verb = _("updated") if stored.updated else _("saved")
        return _("{count} boxes of {name} {verb} in {folder} as {stored}.").format(
            count=len(stored.boxes), name=volume.GetName(), verb=verb, folder=folder, stored=stored.name)

    def import_from(self, source):
        """Import a VOC, COCO or YOLO dataset into the dataset folder; None when no source was chosen."""
        if not source:
            return None
        result = import_dataset(self.folder(), source)
        status = _("{imported} radiographs imported; {present} were in the dataset already and kept their "
                   "boxes.").format(imported=len(result.imported), present=len(result.already_present))
        self.restore()
        return status
