#!/usr/bin/env bash
# Install everything the tests need (on a fresh machine too), then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
bash scripts/install_dicom_tools.sh  # dciodvfy and dsrdump for the DICOM results tests
# Two threads: the build machines have two cores.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
.venv/bin/python -m pytest scripted_module_tests -q -p no:cacheprovider "$@"
