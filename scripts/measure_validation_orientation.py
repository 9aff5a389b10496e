"""The validation hands upright, mirrored and turned: does the detector say how each hand lies, with no
false mirror or turn remark? (prints the numbers)

Usage: python scripts/measure_validation_orientation.py [--model NAME_OR_PATH] [--data ../shared/data]
                                                        [--turns 0 30 90] [--threads 2]

Every validation radiograph (evaluation/validation_split.py and heldout.py: koitka-240's 40, the
Digital Hand Atlas's 17, the RSNA held-out ones) is rendered turned clockwise by each of --turns
degrees, plain and mirrored (scripted_module_tests/turned_radiographs.py); a case is right when the
remarks say "right hand" exactly when the case shows the other side than the radiograph as it is, and
state a turn within 30 degrees of the true one whenever the hand lies turned more than that. How each
radiograph lies as it is (its side and slant) is read from its own pass, and the ones read as right
hands are listed, for a person to check (some RSNA radiographs show the thumb on the image's left).
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))
sys.path.insert(0, str(REPO / "scripted_module_tests"))

from OssificationDetectorLib.detection.detect import Detector, as_pixels  # noqa: E402
from OssificationDetectorLib.evaluation.heldout import OSSIFICATION_HELD_OUT, rsna_split  # noqa: E402
from OssificationDetectorLib.evaluation.validation_split import DHA_VALIDATION, koitka_validation_ids  # noqa: E402
from OssificationDetectorLib.io.images import radiograph_from_array  # noqa: E402
from turned_radiographs import turned_image, warnings_right  # noqa: E402


def validation_images(data):
    rsna = data / "rsna-bone-age"
    split = rsna_split(rsna)
    rsna_ids = sorted(set(OSSIFICATION_HELD_OUT) | set(split.held_out))
    return {
        "koitka-240": [data / "koitka-240" / "images" / f"{i}.png" for i in sorted(koitka_validation_ids())],
        "dha-landmarks": [data / "dha-landmarks" / "images" / f"{i}.jpg" for i in DHA_VALIDATION],
        "rsna-bone-age": [rsna / "images" / f"{i}.png" for i in rsna_ids],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--turns", type=float, nargs="+", default=[0.0, 30.0, 90.0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    detector = Detector(args.model, device="cpu", threads=args.threads)
    started = time.perf_counter()
    total_wrong = total = 0
    for source, paths in validation_images(Path(args.data)).items():
        paths = [p for p in paths if p.is_file()]
        wrong, read_mirrored = [], []
        for path in paths:
            pixels = as_pixels(path)
            own = detector.detect_with_report(radiograph_from_array(pixels)).orientation
            if own.mirrored:
                read_mirrored.append(path.stem)
            # Against the radiograph as it is: a flip of a right hand shows a left one, its slant reversed.
            own_turn = -own.turn_degrees if own.mirrored else own.turn_degrees
            for degrees in args.turns:
                for mirrored in (False, True):
                    image, _ = turned_image(pixels, degrees, mirrored) if degrees or mirrored else (pixels, None)
                    result = detector.detect_with_report(radiograph_from_array(np.ascontiguousarray(image)))
                    if not warnings_right(result.warnings, degrees, mirrored != own.mirrored, own_turn):
                        wrong.append(f"{path.stem} turned {degrees:.0f}{' mirrored' if mirrored else ''}: "
                                     + "; ".join(w for w in result.warnings if "right hand" in w or "turned" in w))
        cases = len(paths) * len(args.turns) * 2
        total, total_wrong = total + cases, total_wrong + len(wrong)
        print(f"{source}: {len(paths)} hands, {cases} cases, {len(wrong)} with a false or missing remark; "
              f"read as right hands (or mirrored images) as they are: {', '.join(read_mirrored) or 'none'}")
        for line in wrong:
            print(f"  {line}")
    print(f"all: {total_wrong} of {total} cases wrong ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
