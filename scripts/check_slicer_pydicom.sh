#!/usr/bin/env bash
# Run the DICOM results tests on the pydicom Slicer 5.10 bundles (2.4.4) with highdicom 0.22.0, the last
# highdicom release for pydicom 2, in a throw-away environment (needs PyPI; no torch, no MRML).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=${VENV:-$(mktemp -d)/venv}
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet pydicom==2.4.4 highdicom==0.22.0 "numpy<2" pillow pytest
PYTHONPATH=OssificationDetector "$VENV/bin/python" -m pytest scripted_module_tests/test_dicom_results.py -q -p no:cacheprovider "$@"
