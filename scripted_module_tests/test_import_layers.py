"""The Lib's packages stand in layers: each imports only packages below it, and no module imports back
what imports it. OssificationDetectorLib/README.md draws the same map; this test keeps it true.
"""
import ast
from pathlib import Path

import pytest

from conftest import REPO_ROOT

MODULE_DIR = REPO_ROOT / "OssificationDetector"
LIB = MODULE_DIR / "OssificationDetectorLib"

# Bottom to top. A package may import its own modules and any package earlier in this list.
LAYERS = ("core", "io", "annotations", "importers", "model", "detection", "dicom_results", "evaluation",
          "training", "mrml", "panel", "cli")
# Modules at the top of the Lib: moved_modules is below everything (it imports nothing of the Lib);
# __main__ stands above cli; the package's own __init__ imports only moved_modules.
TOP_LEVEL = {"moved_modules": -1, "__init__": -1, "__main__": len(LAYERS)}
# Only the scene bridge and the panel's behaviour know Slicer's MRML classes; nothing in the Lib knows Qt.
SLICER_PACKAGES = {"mrml", "panel"}
FORBIDDEN_EVERYWHERE = {"qt", "ctk", "slicer.util", "OssificationDetector", "OssificationDetectorGui"}


def _module_name(path, root):
    return list(path.relative_to(root).with_suffix("").parts)


def _imports(path, root):
    """(line, absolute dotted name) of every import in a file, function-level imports included."""
    parts = _module_name(path, root)
    package = parts[:-1]  # for an __init__ too: its relative imports start from its own package
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.lineno, node.module
                continue
            base = package[:len(package) - node.level + 1]
            if len(base) < len(package) - node.level + 1:
                yield node.lineno, "<outside the Lib>"
                continue
            stem = ".".join([root.name] + base + ([node.module] if node.module else []))
            if node.module:
                yield node.lineno, stem
            else:  # from . import a, b: each name is a module of that package
                for alias in node.names:
                    yield node.lineno, f"{stem}.{alias.name}"


def _layer(parts):
    """The layer of a module given as path parts below the Lib, or None for an unknown package."""
    if parts[0] in LAYERS:
        return LAYERS.index(parts[0])
    return TOP_LEVEL.get(parts[0]) if len(parts) == 1 else None


def layering_violations(root):
    """Every import in the Lib below `root` that breaks the layering, as readable lines."""
    root = Path(root)
    problems = []
    for path in sorted(root.rglob("*.py")):
        parts = _module_name(path, root)
        where = "/".join(parts) + ".py"
        own = _layer(parts)
        if own is None:
            problems.append(f"{where}: package {parts[0]!r} is not in LAYERS (add it where it belongs)")
            continue
        for line, name in _imports(path, root):
            head = name.split(".")
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_EVERYWHERE):
                problems.append(f"{where}:{line}: imports {name} (the Lib never imports Qt or the module)")
            if head[0] in ("slicer", "vtk") and parts[0] not in SLICER_PACKAGES:
                problems.append(f"{where}:{line}: imports {name} outside mrml/ and panel/")
            if name == "<outside the Lib>":
                problems.append(f"{where}:{line}: a relative import reaches outside the Lib")
            if head[0] != root.name or len(head) < 2:
                continue
            target = _layer(head[1:])
            if target is None:
                problems.append(f"{where}:{line}: imports {name}, which is in no layer")
            elif target > own:
                problems.append(f"{where}:{line}: imports {name} from a layer above its own "
                                f"({parts[0]} may import only {', '.join(LAYERS[:max(own, 0) + 1])})")
    return problems


def module_cycles(root):
    """Strongly connected groups of size > 1 in the import graph of the Python files below `root`."""
    root = Path(root)
    modules = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                stem = node.module or ""
                if node.level:
                    stem = ".".join(package[:len(package) - node.level + 1] + ([stem] if stem else []))
                targets = [stem] + [f"{stem}.{alias.name}" for alias in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_lib_keeps_its_layers():
    problems = layering_violations(LIB)
    assert not problems, "\n".join(problems)


def test_no_module_imports_back_what_imports_it():
    groups = module_cycles(MODULE_DIR)
    assert not groups, "import circles: " + "; ".join(" <-> ".join(group) for group in groups)


def test_every_package_is_a_layer_and_the_map_names_it():
    packages = sorted(p.name for p in LIB.iterdir() if (p / "__init__.py").is_file())
    assert set(packages) <= set(LAYERS), f"packages not in LAYERS: {sorted(set(packages) - set(LAYERS))}"
    lib_map = (LIB / "README.md").read_text()
    for package in packages:
        assert f"`{package}/`" in lib_map, f"OssificationDetectorLib/README.md does not describe {package}/"


def _lib_copy(tmp_path, files):
    root = tmp_path / "OssificationDetectorLib"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_wrong_import_is_caught(tmp_path):
    """The checker on a small Lib of its own: the base importing the detection layer breaks the layering."""
    root = _lib_copy(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/boxes.py": "from ..detection.detect import Detector\n",  # wrong: core is the bottom layer
        "detection/__init__.py": "",
        "detection/detect.py": "from ..core.boxes import Box\n",  # right: detection may import core
    })
    problems = layering_violations(root)
    assert len(problems) == 1 and problems[0].startswith("core/boxes.py:1: imports OssificationDetectorLib.detection")


@pytest.mark.parametrize("text, expected", [
    ("def f():\n    from ..training import train\n", "from a layer above"),  # a function-level import counts too
    ("import qt\n", "never imports Qt"),
    ("import slicer\n", "outside mrml/ and panel/"),
    ("from ..gadgets import thing\n", "in no layer"),
])
def test_other_wrong_imports_are_caught(tmp_path, text, expected):
    root = _lib_copy(tmp_path, {"__init__.py": "", "model/__init__.py": "", "model/registry.py": text})
    problems = layering_violations(root)
    assert len(problems) == 1 and expected in problems[0], problems


def test_a_circle_is_caught(tmp_path):
    top = tmp_path / "Module"
    (top / "Gui").mkdir(parents=True)
    (top / "Module.py").write_text("from Gui.self_test import run\n")
    (top / "Gui" / "__init__.py").write_text("")
    (top / "Gui" / "self_test.py").write_text("def run():\n    from Module import Logic\n")
    assert module_cycles(top) == [["Gui.self_test", "Module"]]
