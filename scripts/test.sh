#!/usr/bin/env bash
# Install everything the tests need (on a fresh machine too), then run the whole test suite twice: with the
# packages Slicer 5.12.3 bundles (.venv) and with those Slicer 5.10.0 bundles (.venv-slicer-5.10).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
bash scripts/install_slicer_env.sh
bash scripts/install_dicom_tools.sh  # dciodvfy and dsrdump for the DICOM results tests
# Two threads: the build machines have two cores.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
for venv in .venv-slicer-5.10 .venv; do
  echo "== $venv: $("$venv/bin/python" -c 'import numpy, pydicom, PIL; print(f"numpy {numpy.__version__}, pydicom {pydicom.__version__}, pillow {PIL.__version__}")')"
  "$venv/bin/python" -m pytest scripted_module_tests -q -p no:cacheprovider "$@"
done
