#!/usr/bin/env bash
# Run the DICOM results tests on the pydicom Slicer 5.10 bundles (2.4.4) with highdicom 0.22.0, the last
# highdicom release for pydicom 2, in a throw-away environment (needs PyPI; no torch, no MRML).
# NUMPY="numpy==2.2.6" bash scripts/check_slicer_pydicom.sh checks it with numpy 2 too.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ -z "${VENV:-}" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  VENV=$scratch/venv
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet pydicom==2.4.4 highdicom==0.22.0 "${NUMPY:-numpy<2}" pillow pytest
PYTHONPATH=OssificationDetector "$VENV/bin/python" -m pytest scripted_module_tests/test_dicom_results.py -q -p no:cacheprovider "$@"
