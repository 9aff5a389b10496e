"""Fit the bundled model's orientation probe (OssificationDetectorLib/detection/orientation_probe.py) and
write it beside the model file; print how it does on the validation.

Training images, none of them validation, none of them the benchmark's (the 40 RSNA radiographs
nearest the median size, so that `benchmark` times hands the probe has not seen): 160 rsna-bone-age
radiographs, 100 koitka-240 (299 px), 70 dha-landmarks and the young-rsna children, drawn with seed 0;
each in its eight views (as it is and mirrored, four quarter turns each). Validation: the koitka-240
and dha-landmarks validation (validation_split.py), the RSNA held-out ossification radiographs and
the 10 benchmark radiographs, in the same eight views.

Usage: .venv/bin/python scripts/fit_orientation_probe.py [--data ../shared/data] [--model default]
About 4 minutes on a 2-core CPU.
"""
import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "OssificationDetector"))

from OssificationDetectorLib.detection.detect import Detector, as_pixels  # noqa: E402
from OssificationDetectorLib.detection.orientation_probe import (  # noqa: E402
    ACT_PROBABILITY, fit_probe, probe_path, save_probe, view_features)
from OssificationDetectorLib.evaluation.benchmark import median_size_images  # noqa: E402
from OssificationDetectorLib.evaluation.heldout import rsna_split  # noqa: E402
from OssificationDetectorLib.evaluation.validation_split import (  # noqa: E402
    DHA_VALIDATION, koitka_validation_ids, never_train_ids)
from OssificationDetectorLib.io.images import read_radiograph  # noqa: E402
from OssificationDetectorLib.model.registry import resolve_model  # noqa: E402

SAMPLES = {"rsna-bone-age": 160, "koitka-240": 100, "dha-landmarks": 70, "young-rsna": None}
BENCHMARK_EXCLUDED = 40


def manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def split(data):
    """{"train": [(source, path)], "validation": [(source, path)]}."""
    rsna = data / "rsna-bone-age"
    held = rsna_split(rsna)
    never = never_train_ids(set(held.ossification) | set(held.bones) | set(held.keypoints_only))
    benchmark = {p.stem for p in median_size_images(rsna, BENCHMARK_EXCLUDED)}
    rng = random.Random(0)
    train = []
    for source, count in SAMPLES.items():
        folder = data / source
        excluded = never["dha"] if source == "dha-landmarks" else never["rsna"] | benchmark
        entries = [e for e in manifest(folder) if str(e["id"]) not in excluded]
        rng.shuffle(entries)
        train += [(source, folder / e["file"]) for e in entries[:count]]
    validation = [("rsna benchmark", p) for p in median_size_images(rsna, 10)]
    validation += [("rsna held out", rsna / "images" / f"{i}.png") for i in sorted(held.ossification)]
    validation += [("koitka-240", data / "koitka-240" / e["file"]) for e in manifest(data / "koitka-240")
                   if str(e["id"]) in koitka_validation_ids()]
    validation += [("dha-landmarks", data / "dha-landmarks" / e["file"]) for e in manifest(data / "dha-landmarks")
                   if str(e["id"]) in DHA_VALIDATION]
    return {"train": train, "validation": validation}


def report(probe, rows, turns, sources):
    """Markdown lines: how the probe reads the validation views."""
    import numpy as np
    import torch

    probabilities = probe.probabilities(torch.from_numpy(rows)).numpy()
    best, sure = probabilities.argmax(1), probabilities.max(1) >= ACT_PROBABILITY
    acts = sure & (best != 0)
    lines = [f"Validation views (each radiograph as it is and mirrored, in its four quarter turns): {len(turns)}, "
             f"{int((best == turns).sum())} read right.", ""]
    for source in sorted(set(sources)):
        mine = np.array(sources) == source
        lines.append(f"- {source}: {int(mine.sum() // 8)} radiographs, {int((best == turns)[mine].sum())} of "
                     f"{int(mine.sum())} views right")
    lines.append("")
    lines.append(f"Acted on (p >= {ACT_PROBABILITY}, a turned reading): {int((acts & (best == turns))[turns != 0].sum())} "
                 f"of {int((turns != 0).sum())} turned views; a wrong turn {int((acts & (best != turns)).sum())} times; "
                 f"an upright view sent elsewhere {int(acts[turns == 0].sum())} of {int((turns == 0).sum())} times.")
    return lines


def write_to_card(card, lines, training, name):
    """Replace (or add) the card's "Orientation probe" section."""
    from OssificationDetectorLib.core.atomic import atomic_write_text

    heading = "## Orientation probe"
    text = card.read_text(encoding="utf-8")
    if heading in text:
        start = text.index(heading)
        following = text.find("\n## ", start + len(heading))
        text = text[:start].rstrip() + ("\n\n" + text[following + 1:] if following >= 0 else "\n")
    section = [heading, "", f"`{name}` beside the model (scripts/fit_orientation_probe.py): a linear classifier on "
               "the first pass's coarsest backbone features that says how many quarter turns a hand lies off "
               f"upright, fitted on {training} radiographs (rsna-bone-age, koitka-240, dha-landmarks, young-rsna; "
               "none of the validation, none of the benchmark's) in their eight views.", ""] + lines
    atomic_write_text(card, text.rstrip() + "\n\n" + "\n".join(section) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    data = Path(args.data)
    path, sha256 = resolve_model(args.model)
    detector = Detector(args.model, device="cpu", threads=2, probe=False)
    parts = split(data)
    print(f"training radiographs: {len(parts['train'])}, validation: {len(parts['validation'])}", flush=True)

    def features(items):
        return view_features(detector.model, detector.device, [as_pixels(read_radiograph(p)) for _, p in items])

    rows, turns = features(parts["train"])
    probe = fit_probe(rows, turns, sha256)
    target = probe_path(path)
    save_probe(probe, target)
    print(f"wrote {target}")
    validation_rows, validation_turns = features(parts["validation"])
    lines = report(probe, validation_rows, validation_turns, [s for s, _ in parts["validation"] for _ in range(8)])
    print("\n".join(lines))
    card = target.parent / "MODEL_CARD.md"
    if args.model == "default" and card.is_file():
        write_to_card(card, lines, len(parts["train"]), target.name)
        print(f"wrote the probe's section of {card}")


if __name__ == "__main__":
    main()
