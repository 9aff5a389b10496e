"""The Slicer panel, checked without Slicer: every widget the code uses exists in the .ui with a
class that has what the code uses, the parameter-node bindings fit, and nothing torch is imported
when Slicer loads the module."""
import ast
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

MODULE_DIR = Path(__file__).resolve().parents[1] / "OssificationDetector"
UI_FILE = MODULE_DIR / "Resources" / "UI" / "OssificationDetector.ui"
UI_FILES = sorted((MODULE_DIR / "Resources" / "UI").glob("*.ui"))  # the panel and the sections loaded into it
MODULE_FILE = MODULE_DIR / "OssificationDetector.py"
PANEL_FILES = [MODULE_FILE] + sorted((MODULE_DIR / "OssificationDetectorGui").glob("*.py"))

BUTTONS = {"QPushButton", "QToolButton", "QCheckBox", "QRadioButton", "ctkCheckablePushButton", "ctkMenuButton"}
COMBOS = {"QComboBox", "ctkComboBox"}
TABLES = {"QTableWidget"}
NUMBERS = {"ctkSliderWidget", "QDoubleSpinBox", "QSpinBox", "QSlider", "ctkDoubleSpinBox"}
TEXTS = {"QLabel", "QLineEdit", "QPushButton", "QToolButton", "QCheckBox", "QRadioButton"}  # QGroupBox has title
NODE_COMBOS = {"qMRMLNodeComboBox"}
PROGRESS = {"QProgressBar"}
TEXT_VIEWS = {"QTextBrowser", "QTextEdit", "QPlainTextEdit"}
ANY = None  # every QWidget has it

# What the code may use on a widget (attribute, method or signal name) -> classes that have it.
# A name missing here fails the test: add it with the classes that really have it.
MEMBER_CLASSES = {
    "connect": ANY, "disconnect": ANY, "enabled": ANY, "setEnabled": ANY, "visible": ANY, "setVisible": ANY,
    "toolTip": ANY, "setToolTip": ANY, "blockSignals": ANY, "hide": ANY, "show": ANY, "setFocus": ANY,
    "layout": ANY,
    "clicked": BUTTONS, "click": BUTTONS, "toggled": BUTTONS, "checked": BUTTONS, "setChecked": BUTTONS,
    "text": TEXTS, "setText": TEXTS, "textChanged": {"QLineEdit"}, "setIcon": BUTTONS,
    "currentNode": NODE_COMBOS, "setCurrentNode": NODE_COMBOS, "currentNodeID": NODE_COMBOS,
    "currentNodeChanged": NODE_COMBOS, "setMRMLScene": NODE_COMBOS,
    "addItem": COMBOS, "addItems": COMBOS, "clear": COMBOS | TABLES | TEXT_VIEWS | {"QLineEdit"}, "count": COMBOS, "currentIndex": COMBOS,
    "setCurrentIndex": COMBOS, "currentText": COMBOS, "findText": COMBOS, "itemText": COMBOS,
    "itemData": COMBOS, "currentData": COMBOS, "activated": COMBOS, "currentIndexChanged": COMBOS, "currentTextChanged": COMBOS,
    "value": NUMBERS | PROGRESS, "setValue": NUMBERS | PROGRESS, "valueChanged": NUMBERS,
    "minimum": NUMBERS | PROGRESS, "maximum": NUMBERS | PROGRESS, "setRange": NUMBERS | PROGRESS,
    "rowCount": TABLES, "setRowCount": TABLES, "setColumnCount": TABLES, "setHorizontalHeaderLabels": TABLES,
    "horizontalHeader": TABLES, "setSelectionBehavior": TABLES, "setEditTriggers": TABLES, "item": TABLES,
    "setItem": TABLES, "selectRow": TABLES, "selectionModel": TABLES, "cellClicked": TABLES,
    "itemSelectionChanged": TABLES, "selectedItems": TABLES, "setSelectionMode": TABLES,
    "collapsed": {"ctkCollapsibleButton", "ctkCollapsibleGroupBox"}, "contentsCollapsed": {"ctkCollapsibleButton"},
    "directory": {"ctkDirectoryButton"}, "directoryChanged": {"ctkDirectoryButton"},
    "currentPath": {"ctkPathLineEdit"}, "currentPathChanged": {"ctkPathLineEdit"}, "filters": {"ctkPathLineEdit"},
    "format": PROGRESS, "setFormat": PROGRESS,
}


def ui_widgets(files=None):
    """{object name: class} of every widget in the panel's .ui files (names must not repeat)."""
    widgets, repeated = {}, []
    for path in files or UI_FILES:
        for widget in ET.parse(path).getroot().iter("widget"):
            name = widget.get("name")
            if name in widgets:
                repeated.append(f"{name} ({path.name})")
            widgets[name] = widget.get("class")
    assert not repeated, f"widget names used twice across the .ui files: {repeated}"
    return widgets


def ui_parameter_bindings():
    """{SlicerParameterName: widget class} from the .ui's dynamic properties."""
    bindings = {}
    for widget in ET.parse(UI_FILE).getroot().iter("widget"):
        for prop in widget.findall("property"):
            if prop.get("name") == "SlicerParameterName":
                bindings[prop.find("string").text] = widget.get("class")
    return bindings


def is_ui(node):
    """`ui` or `<anything>.ui`: the object that holds the .ui's widgets."""
    return (isinstance(node, ast.Name) and node.id == "ui") or (isinstance(node, ast.Attribute) and node.attr == "ui")


def widget_uses(path):
    """[(widget name, member or None, line)] for every `ui.<widget>[.<member>]` in a file.

    A connect("signal(args)", ...) call also counts as a use of that signal.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if not is_ui(node.value):
            continue
        parent = parents.get(node)
        member = parent.attr if isinstance(parent, ast.Attribute) and parent.value is node else None
        uses.append((node.attr, member, node.lineno))
        call = parents.get(parent) if member in ("connect", "disconnect") else None
        if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant):
            uses.append((node.attr, str(call.args[0].value).split("(")[0], node.lineno))
    return uses


@pytest.mark.parametrize("path", PANEL_FILES, ids=lambda p: p.name)
def test_every_widget_the_code_uses_is_in_the_ui_with_a_fitting_class(path):
    widgets = ui_widgets()
    problems = []
    for name, member, line in widget_uses(path):
        where = f"{path.name}:{line} ui.{name}" + (f".{member}" if member else "")
        if name not in widgets:
            problems.append(f"{where}: no widget named {name!r} in {', '.join(p.name for p in UI_FILES)}")
            continue
        if member is None:
            continue
        if member not in MEMBER_CLASSES:
            problems.append(f"{where}: {member!r} is not in MEMBER_CLASSES; add it with the classes that have it")
            continue
        allowed = MEMBER_CLASSES[member]
        if allowed is not ANY and widgets[name] not in allowed:
            problems.append(f"{where}: {name} is a {widgets[name]}, which has no {member!r}")
    assert not problems, "\n".join(problems)


# Signals with the arguments Qt declares them with: connect() with any other string never fires.
SIGNATURES = {
    "clicked": {"clicked()", "clicked(bool)"}, "toggled": {"toggled(bool)"}, "activated": {"activated(int)"},
    "currentIndexChanged": {"currentIndexChanged(int)"}, "currentTextChanged": {"currentTextChanged(QString)"},
    "textChanged": {"textChanged(QString)"}, "cellClicked": {"cellClicked(int,int)"},
    "currentNodeChanged": {"currentNodeChanged(vtkMRMLNode*)", "currentNodeChanged(bool)"},
    "itemSelectionChanged": {"itemSelectionChanged()"}, "contentsCollapsed": {"contentsCollapsed(bool)"},
    "currentPathChanged": {"currentPathChanged(QString)"}, "directoryChanged": {"directoryChanged(QString)"},
}
INT_VALUES = {"QSpinBox", "QSlider"}  # valueChanged(int); the other NUMBERS send valueChanged(double)


def connected_signals(path):
    """[(widget name, signal as written, line)] for every ui.<widget>.connect("signal(args)", ...)."""
    signals = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Attribute) and node.args
                and isinstance(node.args[0], ast.Constant)):
            continue
        if is_ui(node.func.value.value):
            signals.append((node.func.value.attr, str(node.args[0].value).replace(" ", ""), node.lineno))
    return signals


@pytest.mark.parametrize("path", PANEL_FILES, ids=lambda p: p.name)
def test_connected_signals_have_the_arguments_qt_declares(path):
    widgets = ui_widgets()
    problems = []
    for name, signal, line in connected_signals(path):
        member = signal.split("(")[0]
        if member == "valueChanged":
            allowed = {"valueChanged(int)" if widgets.get(name) in INT_VALUES else "valueChanged(double)"}
        else:
            allowed = SIGNATURES.get(member)
        if allowed is None:
            problems.append(f"{path.name}:{line} {signal}: not in SIGNATURES; add it as Qt declares it")
        elif signal not in allowed:
            problems.append(f"{path.name}:{line} ui.{name}.connect({signal!r}): a {widgets.get(name)} has "
                            f"{' or '.join(sorted(allowed))}")
    assert not problems, "\n".join(problems)


def test_the_panel_code_uses_the_widgets_at_all():
    used = {name for path in PANEL_FILES for name, _, _ in widget_uses(path)}
    assert {"inputVolumeSelector", "detectButton", "resultsTable", "thresholdSliderWidget"} <= used


def parameter_node_fields():
    """{name: annotation source} of the @parameterNodeWrapper class (OssificationDetectorGui/parameter_node.py)."""
    tree = ast.parse((MODULE_DIR / "OssificationDetectorGui" / "parameter_node.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
                isinstance(d, ast.Name) and d.id == "parameterNodeWrapper" for d in node.decorator_list):
            return {item.target.id: ast.unparse(item.annotation) for item in node.body
                    if isinstance(item, ast.AnnAssign)}
    raise AssertionError("no @parameterNodeWrapper class in the module file")


def test_parameter_node_has_what_the_issue_asks():
    assert {"inputVolume", "model", "threshold", "device"} <= set(parameter_node_fields())


def test_ui_bindings_fit_the_parameter_types():
    """Each SlicerParameterName names a parameter whose type that widget's connector accepts."""
    fields = parameter_node_fields()
    bindings = ui_parameter_bindings()
    assert set(bindings) == {"inputVolume", "threshold", "device"}
    for name, widget_class in bindings.items():
        annotation = fields[name]
        if widget_class == "qMRMLNodeComboBox":
            assert re.search(r"vtkMRML\w+Node", annotation), f"{name}: {annotation} is not a node type"
        elif widget_class == "ctkSliderWidget":
            assert annotation.startswith("Annotated[float") and "WithinRange" in annotation, \
                f"{name}: a slider needs a bounded float, not {annotation}"
        elif widget_class == "QComboBox":
            assert "Choice(" in annotation, f"{name}: a combo box needs a Choice annotation, not {annotation}"
        else:
            raise AssertionError(f"{name}: no known connector for a {widget_class}")


def test_ui_leaves_room_for_annotate_and_finetune():
    widgets = ui_widgets([UI_FILE])
    assert widgets.get("annotateCollapsibleButton") == "ctkCollapsibleButton"
    assert widgets.get("finetuneCollapsibleButton") == "ctkCollapsibleButton"


def test_ui_root_passes_the_scene_to_the_volume_selector():
    root = ET.parse(UI_FILE).getroot()
    assert root.find("widget").get("class") == "qMRMLWidget"
    receivers = {c.findtext("receiver") for c in root.iter("connection")
                 if c.findtext("signal") == "mrmlSceneChanged(vtkMRMLScene*)"}
    assert "inputVolumeSelector" in receivers


def top_level_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module)
    return names


def test_nothing_torch_is_imported_when_slicer_loads_the_panel():
    """Slicer imports the module at start-up, before PyTorchUtils may have installed torch."""
    lib_modules = set()
    for path in PANEL_FILES:
        for name in top_level_imports(path):
            assert name.split(".")[0] not in ("torch", "torchvision"), f"{path.name} imports {name} at load"
            if name.startswith("OssificationDetectorLib"):
                lib_modules.add(name)
    code = "import sys\n" + "".join(f"import {m}\n" for m in sorted(lib_modules)) + \
        "bad = [m for m in ('torch', 'torchvision') if m in sys.modules]\nassert not bad, bad\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_help_text_cites_the_paper():
    tree = ast.parse((MODULE_DIR / "OssificationDetectorGui" / "module_description.py").read_text(encoding="utf-8"))
    citation = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "CITATION" for t in node.targets))
    for part in ("Koitka S, Demircioglu A, Kim MS, Friedrich CM, Nensa F", "PLoS One. 2018;13(11):e0207496",
                 "Ossification area localization in pediatric hand radiographs"):
        assert part in citation
    help_texts = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Attribute) and t.attr == "helpText" for t in node.targets)]
    assert any(isinstance(n, ast.Name) and n.id == "CITATION" for text in help_texts for n in ast.walk(text))


def test_the_module_builds_every_section_the_gui_defines():
    """A section class that the widget never builds is a panel the user never sees."""
    gui = MODULE_DIR / "OssificationDetectorGui"
    texts = [path.read_text(encoding="utf-8") for path in gui.glob("*_section.py")]
    defined = {name for text in texts for name in re.findall(r"^class (\w+Section)\b", text, re.M)}
    bases = {base for text in texts for base in re.findall(r"^class \w+\((\w+)\)", text, re.M)}
    defined -= bases  # a shared base is built through its subclasses
    module = MODULE_FILE.read_text(encoding="utf-8")
    built = set(re.findall(r"\b(\w+Section)\(", module))
    assert defined and defined <= built, f"defined but never built by the widget: {sorted(defined - built)}"
