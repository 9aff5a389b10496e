"""Hands turned by any angle and mirrored: what the detector finds, what it says, and what it costs (prints the numbers).

Usage: python scripts/measure_orientation.py [IMAGE...] [--model NAME_OR_PATH] [--step 15] [--threads 2]
                                             [--as-is FOLDER [--every N]]

For each annotated radiograph (default: the three Testing samples, each with its Pascal VOC file
beside it in ../ossification-voc) turned clockwise in steps of --step degrees (0..345), plain and
mirrored: the image is rendered by Pillow (scripted_module_tests/turned_radiographs.py, canvas
enlarged to hold the whole turned image) and the annotated box centres are moved by the same map. Printed per case:
areas named right (a box of the area's class and digit within the paper's centre criterion,
H*6/256 of the original height, of the moved centre), whether the warnings are right (a mirror
remark exactly for mirrored hands; a turn remark within 30 degrees of the true turn whenever
the turn is larger than that), the model passes, and the seconds of CPU and of wall time.
--as-is FOLDER: the radiographs of a folder (every Nth) as they are, e.g. young children's hands
or upright ones: how many get all 17 areas with no mirror remark (all are left hands), the passes
and the time.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))
sys.path.insert(0, str(REPO / "scripted_module_tests"))

from OssificationDetectorLib.annotations.voc import read_voc  # noqa: E402
from OssificationDetectorLib.core.hand_template import upright_left_hand_slots  # noqa: E402
from OssificationDetectorLib.detection.detect import Detector, as_pixels  # noqa: E402
from OssificationDetectorLib.io.images import radiograph_from_array  # noqa: E402
from turned_radiographs import named_right, stated_turn, turned_image, warnings_right  # noqa: E402

SAMPLES = [REPO / "Testing" / "Data" / "radiographs" / f"{i}.png" for i in ("4221", "6470", "4298")]


class Counter:
    """Counts the images of each model call."""

    def __init__(self, detector):
        self.images = 0
        detector.model.register_forward_pre_hook(self._count)

    def _count(self, module, args):
        self.images += len(args[0])


def run(detector, counter, image):
    counter.images = 0
    cpu, wall = time.process_time(), time.perf_counter()
    result = detector.detect_with_report(radiograph_from_array(np.ascontiguousarray(image)))
    return result, counter.images, time.process_time() - cpu, time.perf_counter() - wall


def measure_image(detector, counter, path, step, rows):
    pixels = as_pixels(path)
    annotation = read_voc(path.parent.parent / "ossification-voc" / (path.stem + ".xml"))
    slots = upright_left_hand_slots(annotation)
    radius = pixels.shape[0] * 6 / 256
    upright, _, _, _ = run(detector, counter, pixels)
    own_turn = stated_turn(upright.warnings) or 0.0
    print(f"\n{path.name} ({pixels.shape[1]} x {pixels.shape[0]}), radius {radius:.1f} px")
    print(f"{'turn':>5} {'mirr':>5} {'named':>6} {'warn ok':>8} {'passes':>7} {'cpu s':>7} {'wall s':>7}  orientation")
    for mirrored in (False, True):
        for degrees in range(0, 360, step):
            image, forward = turned_image(pixels, degrees, mirrored)
            expected = {slot: forward(*box.center) for slot, box in slots.items()}
            result, passes, cpu, wall = run(detector, counter, image)
            named = named_right(result.boxes, expected, radius)
            ok = warnings_right(result.warnings, degrees, mirrored, own_turn)
            rows.append((named, ok, passes, cpu, wall, degrees, mirrored))
            print(f"{degrees:5d} {str(mirrored):>5} {named:6d} {str(ok):>8} {passes:7d} {cpu:7.2f} {wall:7.2f}  "
                  f"{result.orientation}" + ("" if ok else f"  {result.warnings}"), flush=True)


def summary(rows):
    def line(title, chosen):
        if not chosen:
            return
        complete = sum(r[0] == 17 for r in chosen)
        print(f"{title:26} {len(chosen):4d} cases: all 17 named right {complete:4d}, warnings right "
              f"{sum(r[1] for r in chosen):4d}, passes {np.mean([r[2] for r in chosen]):.2f}, "
              f"cpu {np.median([r[3] for r in chosen]):.2f} s, wall {np.median([r[4] for r in chosen]):.2f} s (median)")

    print()
    line("upright (0)", [r for r in rows if r[5] == 0 and not r[6]])
    line("turned 15-45", [r for r in rows if 15 <= min(r[5], 360 - r[5]) <= 45 and not r[6]])
    line("turned 60-180", [r for r in rows if min(r[5], 360 - r[5]) >= 60 and not r[6]])
    for degrees in (30, 45, 90, 180):
        line(f"turned {degrees}", [r for r in rows if r[5] == degrees and not r[6]])
    line("mirrored (0)", [r for r in rows if r[5] == 0 and r[6]])
    line("mirrored and turned", [r for r in rows if r[5] != 0 and r[6]])
    line("all", rows)


def as_is(detector, counter, folder, every):
    files = sorted(Path(folder).glob("*.png"))[::every]
    complete, clean, passes, cpu = 0, 0, [], []
    for path in files:
        result, n, seconds, _ = run(detector, counter, as_pixels(path))
        found = len({(b.label, b.digit) for b in result.boxes if b.score >= 0.5})
        mirror = any("right hand" in w for w in result.warnings)
        complete += found == 17
        clean += found == 17 and not mirror
        passes.append(n)
        cpu.append(seconds)
        print(f"{path.name}: {found} areas, {n} passes, {seconds:.2f} s cpu, {result.orientation}, "
              f"{[w for w in result.warnings if 'turned' in w or 'right hand' in w]}", flush=True)
    print(f"{len(files)} hands: all 17 areas on {complete}, all 17 and no mirror remark on {clean}; "
          f"passes {np.mean(passes):.2f} on average, cpu {np.median(cpu):.2f} s median")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--model", default="default")
    parser.add_argument("--step", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--as-is", type=Path, help="a folder of left-hand radiographs, detected as they are")
    parser.add_argument("--every", type=int, default=1, help="with --as-is: every Nth radiograph")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    detector = Detector(args.model, device="cpu", threshold=0.5, threads=args.threads)
    counter = Counter(detector)
    if args.as_is:
        as_is(detector, counter, args.as_is, args.every)
        return
    rows = []
    for path in args.images or SAMPLES:
        measure_image(detector, counter, path, args.step, rows)
    summary(rows)


if __name__ == "__main__":
    main()
