"""Slicer's own Python layer of each supported release runs the module's Slicer-facing code
(slicer_layer_cases.py) in a process of its own, so that two releases never mix."""
import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from slicer_python_layer import LAYER_VARIABLE, SLICER_PYTHON, VERSIONS


@pytest.mark.parametrize("version", VERSIONS)
def test_slicer_python_layer_cases(version):
    folder = SLICER_PYTHON / version
    if not (folder / "Base" / "Python" / "slicer" / "parameterNodeWrapper").is_dir():
        pytest.skip(f"Slicer's Python layer {version} not found at {folder} (it lives in ../shared/slicer-python)")
    env = dict(os.environ, **{LAYER_VARIABLE: str(folder)})
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "OssificationDetector"), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(REPO_ROOT / "scripted_module_tests" / "slicer_layer_cases.py"),
         "-q", "-p", "no:cacheprovider", "-rs", "-W", "error::DeprecationWarning:OssificationDetector.*"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"Slicer {version}:\n{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
    assert " passed" in result.stdout, result.stdout[-3000:]
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all("needs slicer.app" in line for line in skips), "\n".join(skips)
