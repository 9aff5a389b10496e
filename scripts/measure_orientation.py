"""What the orientation search does for turned, flipped and right hands, and what it costs (prints the numbers).

Usage: python scripts/measure_orientation.py [IMAGE...] [--model NAME_OR_PATH] [--scan FOLDER --every N]

For each radiograph (default: the three Testing samples) in its eight orientations (np.rot90 and
np.fliplr of the upright image): areas found at score >= 0.5 detecting on the image as it is
("upright") and with the search ("auto"), how many of the upright image's areas come back named
alike within the centre criterion (H*6/256), the model passes and the seconds of each.
--scan: upright radiographs of a folder (every Nth), how many start a search and what it costs.
One CPU thread.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))

from OssificationDetectorLib.detection.detect import Detector, as_pixels  # noqa: E402
from OssificationDetectorLib.io.images import radiograph_from_array  # noqa: E402
from OssificationDetectorLib.detection.orientation import (  # noqa: E402
    ALL_ORIENTATIONS, CONFIDENT_SCORE, box_from_view, upright_view,
)

SAMPLES = [REPO / "Testing" / "Data" / "radiographs" / f"{i}.png" for i in ("4221", "6470", "4298")]


def counted(detector):
    calls = []
    detector.model.register_forward_pre_hook(lambda module, args: calls.append(len(args[0])))
    return calls


def timed(detector, calls, image):
    calls.clear()
    start = time.perf_counter()
    result = detector.detect_with_report(radiograph_from_array(np.ascontiguousarray(image)))
    return result, sum(calls), time.perf_counter() - start


def same_places(found, expected, radius):
    by_name = {(b.label, b.digit): b for b in found}
    return sum((b.label, b.digit) in by_name and np.hypot(*np.subtract(by_name[(b.label, b.digit)].center,
                                                                        b.center)) <= radius for b in expected)


def confident(boxes):
    return sum(b.score >= CONFIDENT_SCORE for b in boxes)


def measure_turned(auto, upright, calls, path):
    pixels = as_pixels(path)
    reference = auto.detect(radiograph_from_array(pixels))
    radius = pixels.shape[0] * 6 / 256
    print(f"\n{path.name}: {len(reference)} areas upright")
    print(f"{'hand lies as':28} {'upright':>8} {'auto':>5} {'placed':>7} {'passes':>7} {'s upright':>10} {'s auto':>7}")
    for lies_as in ALL_ORIENTATIONS:
        # The image whose upright view is the radiograph: undo upright_view exactly.
        image = pixels
        if lies_as.mirrored:
            image = np.fliplr(image)
        image = np.rot90(image, -lies_as.quarter_turns)
        assert np.array_equal(upright_view(image, lies_as), pixels)
        expected = [box_from_view(b, image.shape[1], image.shape[0], lies_as) for b in reference]
        plain, _, plain_seconds = timed(upright, calls, image)
        result, passes, seconds = timed(auto, calls, image)
        name = f"turned {90 * lies_as.quarter_turns} cw" + (", mirrored" if lies_as.mirrored else "")
        print(f"{name:28} {confident(plain.boxes):8d} {confident(result.boxes):5d} "
              f"{same_places(result.boxes, expected, radius):7d} {passes:7d} {plain_seconds:10.2f} {seconds:7.2f}")


def scan(auto, calls, folder, every):
    files = sorted(Path(folder).glob("*.png"))[::every]
    searched, extra = [], []
    for path in files:
        result, passes, seconds = timed(auto, calls, as_pixels(path))
        if passes > 1:
            searched.append(path.name)
            extra.append(seconds)
            print(f"{path.name}: {passes} passes, {seconds:.2f} s, kept {result.orientation}")
    print(f"{len(files)} upright radiographs: {len(searched)} searched"
          + (f", {np.mean(extra):.2f} s each on average" if extra else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--model", default="default")
    parser.add_argument("--scan", type=Path, help="a folder of upright radiographs")
    parser.add_argument("--every", type=int, default=15)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    auto = Detector(args.model, device="cpu", threshold=0.5, threads=1)
    upright = Detector((auto.model, auto.metadata), device="cpu", threshold=0.5, threads=1, orientations="upright")
    calls = counted(auto)
    if args.scan:
        scan(auto, calls, args.scan, args.every)
        return
    for path in args.images or SAMPLES:
        measure_turned(auto, upright, calls, path)


if __name__ == "__main__":
    main()
