#!/usr/bin/env bash
# Train the default model reproducibly and install it as the bundled "default" model:
# OssificationDetector/Resources/Models/$FILE, its models.json entry and MODEL_CARD.md.
#
# Data: the 20 ossification-area VOC annotations of ../shared/data/rsna-bone-age, with
# radiographs 4221 4253 4298 6435 6470 held out for validation (never trained on; 4221, 4298 and
# 6470 are the samples in Testing/Data). Extra training sets (e.g. boxes converted from the
# keypoint and bone-box annotations) can be appended: EXTRA_DATASETS="path1 path2".
# Recipe: ImageNet MobileNetV2 + FPN, short side 512 (448-576 while training), long side <= 640,
# SGD lr 0.01, batch 2, 50 warm-up iterations then cosine, seed 0. On a 2-core CPU about
# ITERATIONS x 2-3 s. Options by environment: ITERATIONS, DEVICE (auto|cpu|cuda), THREADS,
# DATA (the rsna-bone-age folder), FILE, RESUME=1 (continue an interrupted run).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/rsna-bone-age}
ITERATIONS=${ITERATIONS:-600}
DEVICE=${DEVICE:-auto}
THREADS=${THREADS:-2}
FILE=${FILE:-ossification-mobilenet_v2_fpn-v1.pt}
VAL="4221 4253 4298 6435 6470"
MODELS=OssificationDetector/Resources/Models
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p "$MODELS" build
# ImageNet weights offline: torchvision looks in $TORCH_HOME/hub/checkpoints.
export TORCH_HOME=${TORCH_HOME:-$PWD/.torch}
WEIGHTS=../shared/weights/mobilenet_v2-b0353104.pth
if [ -f "$WEIGHTS" ] && [ ! -f "$TORCH_HOME/hub/checkpoints/mobilenet_v2-b0353104.pth" ]; then
  mkdir -p "$TORCH_HOME/hub/checkpoints" && cp "$WEIGHTS" "$TORCH_HOME/hub/checkpoints/"
fi
resume=()
if [ "${RESUME:-0}" = "1" ]; then resume=(--resume); fi
# shellcheck disable=SC2086
"$PYTHON" -m OssificationDetectorLib train "$DATA/annotations/ossification-voc" ${EXTRA_DATASETS:-} \
  --output "build/$FILE" --architecture mobilenet_v2_fpn --init imagenet \
  --iterations "$ITERATIONS" --batch-size 2 --lr 0.01 --warmup 50 --min-size 512 --max-size 640 \
  --val-list $VAL --eval-every 10 --seed 0 --device "$DEVICE" --threads "$THREADS" \
  --name default --description "Faster R-CNN MobileNetV2-FPN, ImageNet init, RSNA ossification-area boxes" \
  "${resume[@]}"
"$PYTHON" scripts/publish_model.py "build/$FILE" --name default --models-dir "$MODELS"
