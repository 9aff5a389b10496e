#!/usr/bin/env bash
# Set up .venv and run the bundled default model on a sample radiograph:
# writes out/detections.json and an overlay PNG under out/overlay/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ossification-detector detect Testing/Data/radiographs/6470.png \
  --output out/detections.json --overlay out/overlay
echo "Wrote out/detections.json and out/overlay/"
