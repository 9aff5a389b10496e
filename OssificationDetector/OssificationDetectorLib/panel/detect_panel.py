"""The Detect and Review sections' behaviour: what is enabled, what each button does to the scene, the
status lines and the rows of the results table. The Qt section (OssificationDetectorGui/detect_section.py)
binds widgets to it."""
import time
from dataclasses import dataclass

from ..mrml.bridge import CLASS, REVIEW, REVIEW_PENDING, roi_digit_name, roi_score
from ..mrml.detections import note_edits
from .section_panel import SectionPanel
from .table_rows import TableRow, class_color, nodes_of
from .texts import tr as _

RESULT_COLUMNS = (_("Class"), _("Finger"), _("Score"), _("Review"))


@dataclass(frozen=True)
class DetectControls:
    """Which of the section's buttons are enabled, and the Detect button's tool tip."""

    detect: bool
    detect_tooltip: str
    review: bool  # Accept, Reject, Reset
    clear: bool
    export: bool


@dataclass(frozen=True)
class ModelChoice:
    """What the model selector shows: the index to select (-1: none) and the status line (or None)."""

    index: int
    status: str = None


class DetectPanel(SectionPanel):
    """logic: a DetectionLogic (or the module's Logic); parameters() -> the parameter node, or None."""

    # ---------------------------------------------------------------- what is shown

    def controls(self, model_count, selected_ids=()):
        volume = self.volume()
        has_rows = bool(self.logic.detectionNodes(volume))
        return DetectControls(
            detect=volume is not None and model_count > 0,
            detect_tooltip=_("Find the ossification areas of the selected radiograph.") if volume is not None
            else _("Select a radiograph volume first."),
            review=bool(nodes_of(self.scene, selected_ids)), clear=has_rows, export=has_rows)

    def rows(self):
        """One row a detection ROI of the volume: class, finger, score, review state; dimmed when hidden."""
        volume = self.volume()
        if volume is not None:
            note_edits(self.scene, volume)  # a box moved or resized since is edited
        rows = []
        for node in self.logic.detectionNodes(volume):
            score, label = roi_score(node), node.GetAttribute(CLASS)
            cells = (label, roi_digit_name(node), "" if score is None else f"{score:.2f}",
                     node.GetAttribute(REVIEW) or REVIEW_PENDING)
            rows.append(TableRow(cells, node.GetID(), class_color(label), dimmed=not node.GetDisplayVisibility()))
        return rows

    def model_choice(self, names):
        """The model selector's item for the parameter node's model. A model of another computer, or one
        removed since, gives way to the first listed one (written to the parameter node)."""
        parameters = self.parameters()
        if not names:
            return ModelChoice(-1, _("No model is registered: train one (Finetune) or reinstall the extension."))
        if parameters is None:
            return ModelChoice(0)
        if parameters.model not in names:
            parameters.model = names[0]
        return ModelChoice(names.index(parameters.model))

    def choose_model(self, name):
        parameters = self.parameters()
        if parameters is not None and name:
            parameters.model = name

    # ---------------------------------------------------------------- what the buttons do

    def detect(self, clock=time.monotonic):
        """Detect on the volume; the status lines: what was found, then the detector's warnings."""
        parameters = self.parameters()
        volume = parameters.inputVolume
        start = clock()
        rois = self.logic.detect(volume, parameters.model, parameters.device, parameters.threshold)
        shown = sum(1 for roi in rois if roi.GetDisplayVisibility())
        status = _("{count} ossification areas found in {seconds:.1f} s; {shown} shown at score "
                   "{threshold:.2f} or more.").format(count=len(rois), seconds=clock() - start, shown=shown,
                                                      threshold=parameters.threshold)
        return "\n".join([status] + list(self.logic.lastDetectionWarnings))

    def detecting_status(self):
        parameters = self.parameters()
        return _("Detecting on {name} with model {model} ...").format(name=parameters.inputVolume.GetName(),
                                                                    model=parameters.model)

    def threshold_changed(self, value):
        """Show the boxes from the new score up; the status line, or None when there are no detections."""
        volume = self.volume()
        if not self.logic.detectionNodes(volume):
            return None
        shown = self.logic.applyThreshold(volume, value)
        return _("{shown} areas shown at score {threshold:.2f} or more.").format(shown=shown, threshold=value)

    def review(self, selected_ids, state):
        nodes = nodes_of(self.scene, selected_ids)
        parameters = self.parameters()
        self.logic.setReview(nodes, state, parameters.threshold if parameters else 0.5)
        return _("{count} areas marked {state}.").format(count=len(nodes), state=state)

    def clear(self):
        volume = self.volume()
        removed = self.logic.clear(volume) if volume is not None else 0
        return _("{count} detections removed.").format(count=removed)

    def export(self, folder):
        """Write the accepted (and edited) boxes as VOC and COCO into folder; None when no folder was chosen."""
        if not folder:
            return None
        volume = self.volume()
        written = self.logic.exportReviewed(volume, folder)
        return _("{count} accepted boxes of {name} written to {folder} (VOC and COCO).").format(
            count=len(written.boxes), name=volume.GetName(), folder=folder)
