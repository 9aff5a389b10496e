"""Scripts written for the flat Lib (OssificationDetectorLib.detect, .voc, .cli ...) keep working."""
import json
import subprocess
import sys

import pytest

from OssificationDetectorLib.moved_modules import MOVED


def test_an_old_module_path_gives_the_module_that_moved():
    """In a fresh interpreter (nothing imported yet): each old path is the new module itself, with a
    warning naming the new path. cli, model and mrml are packages now: see the next test."""
    code = (
        "import importlib, json, sys, warnings\n"
        "from OssificationDetectorLib.moved_modules import MOVED\n"
        "warnings.simplefilter('always')\n"
        "out = {}\n"
        "for old, new in MOVED.items():\n"
        "    if old in ('cli', 'model', 'mrml'):\n"
        "        continue\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        module = importlib.import_module('OssificationDetectorLib.' + old)\n"
        "    moved = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]\n"
        "    real = importlib.import_module('OssificationDetectorLib.' + new)\n"
        "    out[old] = [module is real and module.__spec__.name == real.__name__, moved]\n"
        "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-1500:]
    out = json.loads(result.stdout)
    assert len(out) == len(MOVED) - 3
    for old, (same, moved) in out.items():
        assert same, f"OssificationDetectorLib.{old} is not the module at {MOVED[old]}"
        assert any(f"OssificationDetectorLib.{MOVED[old]}" in message for message in moved), (old, moved)


def test_a_package_that_replaced_a_module_forwards_its_names():
    import warnings

    import OssificationDetectorLib.cli as cli
    import OssificationDetectorLib.model as model
    from OssificationDetectorLib.cli.main import EXIT_USER_ERROR
    from OssificationDetectorLib.model.architectures import build_model

    with pytest.warns(DeprecationWarning, match="model.architectures.build_model"):
        assert model.build_model is build_model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert cli.EXIT_USER_ERROR == EXIT_USER_ERROR
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        model.no_such_name


def test_old_style_script_runs_end_to_end(tmp_path, sample_voc_dir):
    """A script of the flat era converts a dataset through the old paths, as before."""
    script = tmp_path / "old_script.py"
    script.write_text(
        "import sys\n"
        "from OssificationDetectorLib.datasets import convert_dataset, load_dataset\n"
        "convert_dataset(sys.argv[1], sys.argv[2], 'coco')\n"
        "print(len(load_dataset(sys.argv[2]).images))\n")
    result = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", str(script), str(sample_voc_dir),
                             str(tmp_path / "coco")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-1500:]
    assert (tmp_path / "coco" / "annotations.json").is_file()
    assert int(result.stdout) == len(list(sample_voc_dir.glob("*.xml")))
