"""Placing annotation boxes: Markups ROI place mode, persistent until Esc, on the application's
interaction and selection nodes (MRML nodes, so this runs on any real scene)."""
from ..mrml import annotations
from ..mrml.bridge import ROLE
from .texts import tr as _


class BoxPlacer:
    """interaction: the vtkMRMLInteractionNode; selection: the vtkMRMLSelectionNode (the application's)."""

    def __init__(self, scene, interaction, selection):
        self.scene = scene
        self.interaction = interaction
        self.selection = selection
        self.placing = False
        self._previous_persistence = None

    def toggle(self, checked, volume, label):
        """The Add box button: (placing, status line or None)."""
        if checked:
            return self.start(volume, label)
        self.stop()
        return False, None

    def start(self, volume, label):
        """ROI place mode, persistent: each two clicks make a new box of `label` until Esc. Returns
        (placing, status line)."""
        if volume is None:
            return False, _("Select a radiograph volume first.")
        self.selection.SetReferenceActivePlaceNodeClassName("vtkMRMLMarkupsROINode")
        self.selection.SetActivePlaceNodeID(None)  # a new ROI node, not more points on the last one
        if self._previous_persistence is None:
            self._previous_persistence = self.interaction.GetPlaceModePersistence()
        self.placing = True
        self.interaction.SetPlaceModePersistence(1)
        self.interaction.SetCurrentInteractionMode(self.interaction.Place)
        return True, _("Click two opposite corners of each {label} box; Esc ends.").format(label=label)

    def stop(self):
        """End place mode and give back the user's persistence setting. True when it was placing."""
        if not self.placing:
            return False
        self.placing = False
        if self.interaction.GetCurrentInteractionMode() == self.interaction.Place:
            self.interaction.SetCurrentInteractionMode(self.interaction.ViewTransform)
        if self._previous_persistence is not None:
            self.interaction.SetPlaceModePersistence(self._previous_persistence)
            self._previous_persistence = None
        return True

    def volume_changed(self, volume):
        """No radiograph any more: placing ends. True when that ended placing."""
        return self.stop() if volume is None else False

    def mode_changed(self):
        """The interaction mode changed (Esc, or another mouse mode in the toolbar): True when that ended placing."""
        if self.placing and self.interaction.GetCurrentInteractionMode() != self.interaction.Place:
            return self.stop()
        return False

    def is_new_box(self, node):
        """A node just added while placing that this module has not tagged yet: the user's new box."""
        return self.placing and node.IsA("vtkMRMLMarkupsROINode") and not node.GetAttribute(ROLE)

    def retag_pending(self, volume, label, digit):
        """Place mode makes the next ROI node as soon as the mouse enters a view: when the class or finger
        changes before its first click, that node takes the new ones. True when a node was retagged."""
        if not self.placing or volume is None:
            return False
        node = self.scene.GetNodeByID(self.selection.GetActivePlaceNodeID() or "")
        if node is None or not annotations.is_annotation(node) or node.GetNumberOfDefinedControlPoints() != 0:
            return False
        annotations.tag_annotation_roi(node, volume, label, digit)
        return True


def tag_placed_box(node, volume, label, digit):
    """Tag a box the user placed as an annotation of `volume`; False when it went meanwhile or this module
    made it (start from detections, restore), which tags its own."""
    if node.GetScene() is None or volume is None or node.GetAttribute(ROLE):
        return False
    annotations.tag_annotation_roi(node, volume, label, digit)
    return True
