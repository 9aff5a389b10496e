"""What the Annotate and Finetune sections share: their own .ui file, loaded into one of the
module's collapsible buttons, and the dataset folder setting they both start from."""
import os

import slicer

UI_FOLDER = os.path.join(os.path.dirname(os.path.dirname(__file__)), "Resources", "UI")
DATASET_SETTING = "OssificationDetector/AnnotationDataset"


class PanelSection:
    """moduleUi: the module's widgets; logic: the module's Logic; parameters() -> its parameter node."""

    def __init__(self, moduleUi, collapsibleButton, uiFileName, logic, parameters):
        self.moduleUi = moduleUi
        self.logic = logic
        self.parameters = parameters
        self.widget = slicer.util.loadUI(os.path.join(UI_FOLDER, uiFileName))
        collapsibleButton.layout().addWidget(self.widget)
        self.ui = slicer.util.childWidgetVariables(self.widget)
