#!/usr/bin/env bash
# Create .venv at the repository root with the pinned dependencies and the Lib installed (editable).
# Usage: scripts/install.sh [--test]   (--test adds pytest and slicer-core for the test suite)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
reqs=(-r requirements.txt)
if [ "${1:-}" = "--test" ]; then reqs+=(-r requirements-test.txt); fi
.venv/bin/python -m pip install --quiet "${reqs[@]}"
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
