#!/usr/bin/env bash
# Train the default model reproducibly and install it as the bundled "default" model:
# OssificationDetector/Resources/Models/$FILE, its models.json entry and MODEL_CARD.md (with the
# held-out evaluation of scripts/evaluate_default_model.py appended).
#
# Data: ../shared/data/rsna-bone-age (and, for stage 4, koitka-240 and dha-landmarks beside it). Held out from the start (OssificationDetectorLib/heldout.py):
# ossification-area radiographs 4221 4253 4298 6435 6470 (4221, 4298 and 6470 are the samples in
# Testing/Data), every 4th bone-box radiograph and every 4th keypoint-only radiograph (ids in numeric
# order). Nothing held out is trained on.
# Stage 1: ImageNet MobileNetV2 + FPN on the 15 training radiographs with ossification-area boxes,
#   short side 512 (448-576 while training), long side <= 640, SGD lr 0.01, batch 2, 50 warm-up
#   iterations then cosine, seed 0.
# Stage 2: finetune stage 1 at lr 0.005 on those 15 (counted twice, to keep the annotators' box style
#   weighty) plus the training parts of the bone-box and keypoint sets converted to the six classes
#   (bone_import.py, keypoint_import.py).
# Stage 3 (PSEUDO_LABELS=0 skips it): the stage-2 model labels the 500 unannotated RSNA radiographs
#   (`pseudo-label`: kept only where it finds a complete, consistent left hand, every area scored
#   >= 0.7), then is finetuned at lr 0.003 on stage 2's data plus those pseudo-labels.
# Stage 4 (NEW_SOURCES=0 skips it): the stage-3 model pseudo-labels the young-rsna radiographs (children
#   under 4) with the partial rule (confident areas kept, uncertain and missing ones ignored regions;
#   validation radiographs never labelled), then stage 3 is finetuned for 300 iterations at lr 0.003
#   (20 warm-up), only the top 11 backbone blocks learning (--trainable-layers 11), on stage 2's data
#   plus those pseudo-labels and the training parts of koitka-240 (the paper's 240 training radiographs
#   at 299 px, their real scale: the network's own resize brings them to the working size) and of the
#   dha-landmarks import (finger joints, cropped). The validation of
#   OssificationDetectorLib/evaluation/validation_split.py (40 koitka-240 radiographs by bone age, 17
#   dha-landmarks) is never written to the training folders. About 6 minutes on a 2-core CPU.
# On a 2-core CPU: stage 1 about 35 min, stage 2 about 15 min, stage 3 about 8 min of pseudo-labelling
# and 15 min of training; DEVICE=cuda makes each a few minutes.
# Options by environment: ITERATIONS (stage 1), FINETUNE_ITERATIONS, PSEUDO_ITERATIONS, PSEUDO_LABELS=0
# (skip stage 3), NEW_SOURCE_ITERATIONS, NEW_SOURCES=0 (skip stage 4), DEVICE (auto|cpu|cuda), THREADS, DATA (the rsna-bone-age folder), FILE, RESUME=1
# (continue an interrupted stage 1), STAGE3_MODEL (start at stage 4 from that model).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/rsna-bone-age}
ITERATIONS=${ITERATIONS:-600}
FINETUNE_ITERATIONS=${FINETUNE_ITERATIONS:-400}
PSEUDO_LABELS=${PSEUDO_LABELS:-1}
PSEUDO_ITERATIONS=${PSEUDO_ITERATIONS:-400}
NEW_SOURCES=${NEW_SOURCES:-1}
NEW_SOURCE_ITERATIONS=${NEW_SOURCE_ITERATIONS:-300}
YOUNG=${YOUNG:-$(dirname "$DATA")/young-rsna/images}
DEVICE=${DEVICE:-auto}
THREADS=${THREADS:-2}
FILE=${FILE:-ossification-mobilenet_v2_fpn-v4.pt}
# STAGE3_MODEL: a registered model name or file to take as stage 3's result (stages 1-3 skipped), e.g. the v3 model
# that v4 was finetuned from (the bundled default until v4; from the history: git show
# 2171c28:OssificationDetector/Resources/Models/ossification-mobilenet_v2_fpn-v3.pt > v3.pt, then
# ossification-detector models --add v3 v3.pt and STAGE3_MODEL=v3).
STAGE3_MODEL=${STAGE3_MODEL:-}
VAL="4221 4253 4298 6435 6470"
VOC="$DATA/annotations/ossification-voc"
MODELS=OssificationDetector/Resources/Models
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p "$MODELS" build
# ImageNet weights offline: torchvision looks in $TORCH_HOME/hub/checkpoints.
export TORCH_HOME=${TORCH_HOME:-$PWD/.torch}
WEIGHTS=../shared/weights/mobilenet_v2-b0353104.pth
if [ -f "$WEIGHTS" ] && [ ! -f "$TORCH_HOME/hub/checkpoints/mobilenet_v2-b0353104.pth" ]; then
  mkdir -p "$TORCH_HOME/hub/checkpoints" && cp "$WEIGHTS" "$TORCH_HOME/hub/checkpoints/"
fi
common=(--architecture mobilenet_v2_fpn --batch-size 2 --min-size 512 --max-size 640 --val-list $VAL
        --seed 0 --device "$DEVICE" --threads "$THREADS" --name default)
resume=()
if [ "${RESUME:-0}" = "1" ]; then resume=(--resume); fi

rm -rf build/extra
"$PYTHON" scripts/evaluate_default_model.py --data "$DATA" --write-train-folders build/extra

if [ -n "$STAGE3_MODEL" ]; then
  stage3=$STAGE3_MODEL
else
"$PYTHON" -m OssificationDetectorLib train "$VOC" --output build/stage1.pt --init imagenet \
  --iterations "$ITERATIONS" --lr 0.01 --warmup 50 --eval-every 10 "${common[@]}" \
  --description "Faster R-CNN MobileNetV2-FPN, ImageNet init, RSNA ossification-area boxes" "${resume[@]}"

# Each stage writes build/$FILE when it is the last one run, else build/stageN.pt.
stage2="build/$FILE"
stage3="build/$FILE"
if [ "$PSEUDO_LABELS" = "1" ]; then stage2=build/stage2.pt; fi
if [ "$NEW_SOURCES" = "1" ]; then
  if [ "$PSEUDO_LABELS" = "1" ]; then stage3=build/stage3.pt; else stage2=build/stage2.pt; stage3=$stage2; fi
fi
"$PYTHON" -m OssificationDetectorLib train "$VOC" "$VOC" build/extra/bones-voc build/extra/keypoints-voc \
  --output "$stage2" --base build/stage1.pt \
  --iterations "$FINETUNE_ITERATIONS" --lr 0.005 --warmup 20 --eval-every 5 "${common[@]}" \
  --description "Faster R-CNN MobileNetV2-FPN, ImageNet init, RSNA ossification-area boxes, then finetuned with boxes converted from bone boxes and hand keypoints"

if [ "$PSEUDO_LABELS" = "1" ]; then
  # The radiographs of the manifest with no annotations at all: none of them is held out.
  mapfile -t unannotated < <("$PYTHON" -c 'import json, sys
for m in json.load(open(sys.argv[1] + "/manifest.json")):
    if not m["annotations"]: print(sys.argv[1] + "/" + m["file"])' "$DATA")
  rm -rf build/pseudo-voc
  "$PYTHON" -m OssificationDetectorLib pseudo-label "${unannotated[@]}" --rule complete --model "$stage2" --output build/pseudo-voc \
    --min-score 0.7 --device "$DEVICE" --threads "$THREADS" --quiet
  "$PYTHON" -c 'import sys
from OssificationDetectorLib.evaluation.heldout import held_out_ids_in, rsna_split
leaked = held_out_ids_in(sys.argv[2], rsna_split(sys.argv[1]))
sys.exit(f"held-out radiographs among the pseudo-labels: {leaked}" if leaked else 0)' "$DATA" build/pseudo-voc
  "$PYTHON" -m OssificationDetectorLib train "$VOC" "$VOC" build/extra/bones-voc build/extra/keypoints-voc \
    build/pseudo-voc --output "$stage3" --base "$stage2" \
    --iterations "$PSEUDO_ITERATIONS" --lr 0.003 --warmup 20 --eval-every 5 "${common[@]}" \
    --description "Faster R-CNN MobileNetV2-FPN, ImageNet init, RSNA ossification-area boxes, finetuned with boxes converted from bone boxes and hand keypoints, then with pseudo-labels of unannotated radiographs"
fi
fi  # STAGE3_MODEL

if [ "$NEW_SOURCES" = "1" ]; then
  rm -rf build/young-pseudo-voc
  "$PYTHON" -m OssificationDetectorLib pseudo-label "$YOUNG" --rule partial --model "$stage3" \
    --output build/young-pseudo-voc --device "$DEVICE" --threads "$THREADS" --quiet
  "$PYTHON" -m OssificationDetectorLib train "$VOC" "$VOC" build/extra/bones-voc build/extra/keypoints-voc \
    build/extra/koitka-voc build/extra/koitka-halfres-voc build/extra/dha-voc build/young-pseudo-voc \
    --output "build/$FILE" --base "$stage3" \
    --iterations "$NEW_SOURCE_ITERATIONS" --lr 0.003 --warmup 20 --eval-every 0 --trainable-layers 11 "${common[@]}" \
    --description "Faster R-CNN MobileNetV2-FPN, ImageNet init, RSNA ossification-area boxes, finetuned with boxes converted from bone boxes and hand keypoints, with pseudo-labels, then with koitka-240, Digital Hand Atlas landmarks and partial pseudo-labels of children under 4"
fi

"$PYTHON" scripts/evaluate_default_model.py --data "$DATA" --model "build/$FILE" --threads "$THREADS" \
  --output build/heldout
"$PYTHON" scripts/publish_model.py "build/$FILE" --name default --half --models-dir "$MODELS" \
  --notes "$(cat build/heldout/validation.md build/heldout/heldout.md | grep -v "^!\[" | sed "s/^#/##/")"
# The published file's orientation probe (the one `train` wrote belongs to the float32 file): fitted
# again on the bundled file, beside it (scripts/fit_orientation_probe.py, about 4 minutes).
"$PYTHON" scripts/fit_orientation_probe.py --data "$(dirname "$DATA")" --model default
