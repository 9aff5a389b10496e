"""What the Detect and Annotate panels share: the module's logic (its scene) and the parameter node's
selected radiograph."""


class SectionPanel:
    """logic: a DetectionLogic (or the module's Logic); parameters() -> the parameter node, or None."""

    def __init__(self, logic, parameters):
        self.logic = logic
        self.parameters = parameters

    @property
    def scene(self):
        return self.logic.scene

    def volume(self):
        parameters = self.parameters()
        return parameters.inputVolume if parameters else None
