"""The Annotate and Finetune sections outside Slicer: every widget their code names exists in their .ui
file with the class the code expects, and the module's .ui has the collapsible buttons they fill.

The sections themselves (Qt, place mode, shortcuts, the training timer) run only inside 3D Slicer.
"""
import ast
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO_ROOT

MODULE = REPO_ROOT / "OssificationDetector"
SECTIONS = [("annotate_section.py", "AnnotateSection.ui"), ("finetune_section.py", "FinetuneSection.ui")]
# The class a widget must have, from the suffix of its name (the code relies on that class's API).
CLASS_BY_SUFFIX = {"Button": "QPushButton", "Table": "QTableWidget", "ComboBox": "QComboBox",
                   "PathLineEdit": "ctkPathLineEdit", "LineEdit": "QLineEdit", "Label": "QLabel",
                   "SpinBox": "QSpinBox", "ProgressBar": "QProgressBar", "Browser": "QTextBrowser",
                   "Frame": "QFrame", "CollapsibleButton": "ctkCollapsibleButton"}


def widget_classes(ui_file):
    root = ET.parse(ui_file).getroot()
    return {w.get("name"): w.get("class") for w in root.iter("widget")}


def expected_class(name):
    suffix = max((s for s in CLASS_BY_SUFFIX if name.endswith(s)), key=len, default=None)
    assert suffix is not None, f"{name}: no widget-class rule for this name"
    return CLASS_BY_SUFFIX[suffix]


@pytest.mark.parametrize("source, ui_name", SECTIONS)
def test_section_widgets_exist_with_the_expected_class(source, ui_name):
    code = (MODULE / "OssificationDetectorGui" / source).read_text(encoding="utf-8")
    ast.parse(code)  # valid Python for Slicer's interpreter
    classes = widget_classes(MODULE / "Resources" / "UI" / ui_name)
    used = sorted(set(re.findall(r"self\.ui\.(\w+)", code)))
    assert used, f"{source} names no widgets"
    for name in used:
        assert name in classes, f"{source} uses self.ui.{name}, which {ui_name} does not have"
        assert classes[name] == expected_class(name), f"{ui_name}: {name} is a {classes[name]}"
    module_classes = widget_classes(MODULE / "Resources" / "UI" / "OssificationDetector.ui")
    for name in sorted(set(re.findall(r"(?<![.\w])ui\.(\w+)", code))):
        assert module_classes.get(name) == expected_class(name), f"OssificationDetector.ui lacks the {name} {source} fills"

