"""Slicer's own Python layer (slicer.util, ScriptedLoadableModule, parameterNodeWrapper, i18n,
SampleData) over the real MRML classes of the slicer-core wheel, for tests outside Slicer.

The layer is Slicer's released code, kept in ../shared/slicer-python/<version> (see its README):
its folder is appended to slicer.__path__, so `import slicer.parameterNodeWrapper` is Slicer's own.
One version a process: test_slicer_python_layer.py runs slicer_layer_cases.py once per version in a
subprocess of its own.
"""
import sys
import types
from pathlib import Path

SLICER_PYTHON = Path(__file__).resolve().parents[2] / "shared" / "slicer-python"
VERSIONS = ("v5.12.3", "v5.10.0")
LAYER_VARIABLE = "OSSIFICATION_DETECTOR_SLICER_LAYER"  # the version folder a subprocess loads

# Qt and CTK classes that Slicer's files name at import (base classes, type annotations, isinstance
# lists of the GUI connectors). PLACEHOLDERS: these names exist so that the files import; nothing a
# test checks runs through them (a test that reached one would fail: they have no members).
_QT_MODULES = ("qt", "ctk")
_SLICER_QT_CLASSES = ("qMRMLNodeComboBox", "qMRMLRangeWidget", "qMRMLSliderWidget", "qMRMLSpinBox",
                      "qMRMLWidget", "qSlicerWidget", "qMRMLScreenShotDialog", "qMRMLUtils")


def _placeholder_module(name):
    module = types.ModuleType(name, f"PLACEHOLDER for {name}: class names only, for Slicer's files to import")

    def class_named(attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return type(attribute, (), {"__module__": name})

    module.__getattr__ = class_named
    return module


def use_slicer_python_layer(version_folder):
    """Put Slicer's Python layer of one release over slicer-core's `slicer` in this process."""
    import slicer

    version_folder = Path(version_folder)
    for name in _QT_MODULES:
        sys.modules.setdefault(name, _placeholder_module(name))
    for name in _SLICER_QT_CLASSES:
        if not hasattr(slicer, name):
            setattr(slicer, name, type(name, (), {"__module__": "slicer (placeholder)"}))
    slicer.__path__.append(str(version_folder / "Base" / "Python" / "slicer"))
    sample_data = version_folder / "Modules" / "Scripted" / "SampleData"
    sys.path.insert(0, str(sample_data))
    import slicer.parameterNodeWrapper  # noqa: F401  (fails here, not in a test, when the layer is broken)

    loaded_from = Path(slicer.parameterNodeWrapper.__file__).resolve()
    if version_folder.resolve() not in loaded_from.parents:
        raise RuntimeError(f"slicer.parameterNodeWrapper came from {loaded_from}, not from {version_folder}")
    return slicer
