"""Hands turned by any angle and mirrored: what the detector finds, what it says, and what it costs (prints the numbers).

Usage: python scripts/measure_orientation.py [IMAGE...] [--model NAME_OR_PATH] [--step 15] [--threads 2]
                                             [--young FOLDER]

For each annotated radiograph (default: the three Testing samples, each with its Pascal VOC file
beside it in ../ossification-voc) turned clockwise in steps of --step degrees (0..345), plain and
mirrored: the image is rendered by Pillow from an explicit affine map (canvas enlarged to hold the
whole turned image) and the annotated box centres are moved by the same map. Printed per case:
areas named right (a box of the area's class and digit within the paper's centre criterion,
H*6/256 of the original height, of the moved centre), whether the warnings are right (a mirror
remark exactly for mirrored hands; a turn remark within TURN_TOLERANCE of the true turn whenever
the turn is larger than that), the model passes, and the seconds of CPU and of wall time.
--young FOLDER: radiographs of young children as they are: how many get all 17 areas with no
mirror remark, and the passes and time.
"""
import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))

from OssificationDetectorLib.annotations.voc import read_voc  # noqa: E402
from OssificationDetectorLib.core.hand_template import upright_left_hand_slots  # noqa: E402
from OssificationDetectorLib.detection.detect import Detector, as_pixels  # noqa: E402
from OssificationDetectorLib.io.images import radiograph_from_array  # noqa: E402

SAMPLES = [REPO / "Testing" / "Data" / "radiographs" / f"{i}.png" for i in ("4221", "6470", "4298")]
TURN_TOLERANCE = 30.0  # degrees: a stated turn this far from the true one is a wrong remark


def turned_image(pixels, degrees, mirrored):
    """(image, point map): pixels flipped left-right (when mirrored), then turned clockwise on a canvas
    that holds all of it; the map takes (x, y) of the input (pixel edges) to the turned image."""
    from PIL import Image

    height, width = pixels.shape
    image = np.fliplr(pixels) if mirrored else pixels
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    out_w = int(np.ceil(abs(c) * width + abs(s) * height - 1e-6))
    out_h = int(np.ceil(abs(s) * width + abs(c) * height - 1e-6))

    def forward(x, y):
        x = width - x if mirrored else x
        dx, dy = x - width / 2, y - height / 2
        return out_w / 2 + c * dx - s * dy, out_h / 2 + s * dx + c * dy  # clockwise with y down

    # Pillow's AFFINE data maps each output point to the input point: the inverse turn.
    a, b, d, e = c, s, -s, c
    cx, cy = width / 2 - a * out_w / 2 - b * out_h / 2, height / 2 - d * out_w / 2 - e * out_h / 2
    rendered = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32), mode="F").transform(
        (out_w, out_h), Image.Transform.AFFINE, (a, b, cx, d, e, cy), resample=Image.Resampling.BILINEAR)
    return np.asarray(rendered, dtype=np.float32), forward


def stated_turn(warnings):
    """The clockwise turn the warnings state (summed), or None when none is stated."""
    total, stated = 0.0, False
    for warning in warnings:
        if "upside down" in warning:
            total, stated = total + 180.0, True
            continue
        for number, direction in re.findall(r"turned (?:about )?(\d+) degrees (counter-clockwise|clockwise)", warning):
            total += float(number) if direction == "clockwise" else -float(number)
            stated = True
    return total if stated else None


def angle_gap(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def warnings_right(warnings, degrees, mirrored, own_turn):
    """A mirror remark exactly for mirrored hands, a turn remark (if any) near the true turn, and one
    whenever the true turn is beyond the tolerance. own_turn: the upright hand's own slant."""
    said_mirrored = any("right hand" in w for w in warnings)
    truth = degrees + (-own_turn if mirrored else own_turn)
    stated = stated_turn(warnings)
    if stated is None:
        turn_ok = angle_gap(truth, 0.0) <= TURN_TOLERANCE
    else:
        turn_ok = angle_gap(stated, truth) <= TURN_TOLERANCE
    return said_mirrored == mirrored and turn_ok


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


def named_right(found, expected, radius):
    by_name = {(b.label, b.digit): b for b in found}
    return sum(name in by_name and np.hypot(*np.subtract(by_name[name].center, centre)) <= radius
               for name, centre in expected.items())


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


def young(detector, counter, folder):
    files = sorted(Path(folder).glob("*.png"))
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
    print(f"{len(files)} young hands: all 17 areas on {complete}, all 17 and no mirror remark on {clean}; "
          f"passes {np.mean(passes):.2f} on average, cpu {np.median(cpu):.2f} s median")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--model", default="default")
    parser.add_argument("--step", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--young", type=Path, help="a folder of young children's radiographs (unannotated)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    detector = Detector(args.model, device="cpu", threshold=0.5, threads=args.threads)
    counter = Counter(detector)
    if args.young:
        young(detector, counter, args.young)
        return
    rows = []
    for path in args.images or SAMPLES:
        measure_image(detector, counter, path, args.step, rows)
    summary(rows)


if __name__ == "__main__":
    main()
