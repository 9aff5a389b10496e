#!/usr/bin/env bash
# The second test environment: .venv-slicer-5.10 holds the packages Slicer 5.10.0 bundles
# (requirements-slicer-5.10.txt) and takes everything else (torch, SimpleITK, slicer-core, pytest, the Lib)
# from .venv, so the suite runs against both supported Slicer releases' packages without a second torch.
# Needs .venv first (scripts/install.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-slicer-5.10
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --no-deps -r requirements-slicer-5.10.txt
# Its own site-packages come first on sys.path; .venv's follow (with their .pth files: the editable Lib).
base=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
own=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "import site; site.addsitedir('$base')" > "$own/zz_ossification_detector_base.pth"
"$VENV/bin/python" - <<'PY'
from importlib.metadata import version
expected = dict(line.strip().split("==") for line in open("requirements-slicer-5.10.txt")
                if line.strip() and not line.startswith("#"))
found = {name: version(name) for name in expected}
assert found == expected, f"the Slicer 5.10 environment holds {found}, not {expected}"
PY
