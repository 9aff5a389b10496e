"""How often anatomy.postprocess names every joint right (prints the numbers).

Usage: python scripts/measure_anatomy.py [RSNA_FOLDER]   (default ../shared/data/rsna-bone-age)

- The 20 annotated hands (digits by their left-right order: all are upright left hands, checked
  by eye), as they are, mirrored (read as right hands) and turned -90..90 degrees in 15-degree
  steps, with boxes kept upright around the turned joints or not.
- The same with noise: scores, shifted copies, dropped boxes, stray boxes (seeded).
- Real hands with known digits from other schemes: the 54 keypoint hands (4 of them appear as
  right hands) and the bone-box hands, all converted by the importers.
Digits are judged right when every kept box of the truth gets its digit and no truth box is lost.
"""
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))

from OssificationDetectorLib.detection.anatomy import analyse_hand  # noqa: E402
from OssificationDetectorLib.importers.folders import import_annotations  # noqa: E402
from OssificationDetectorLib.core.box_transforms import flipped_and_turned  # noqa: E402
from OssificationDetectorLib.core.boxes import Box  # noqa: E402
from OssificationDetectorLib.core.hand_template import upright_left_hand_slots  # noqa: E402
from OssificationDetectorLib.annotations.voc import read_voc  # noqa: E402


def key(box):
    return box.label, round(box.x1, 3), round(box.y1, 3)


def judge(truth, given, expected_side):
    """(all digits right, side right, seconds) for the analysis of `given` against `truth` boxes."""
    start = time.process_time()
    analysis = analyse_hand([replace(b, digit=None) for b in given])
    seconds = time.process_time() - start
    got = {key(b): b.digit for b in analysis.boxes}
    right = all(key(b) in got and got[key(b)] == b.digit for b in truth)
    return right, analysis.side == expected_side, seconds


def with_digits(ann):
    slots = upright_left_hand_slots(ann)
    return [replace(box, digit=slot[1]) for slot, box in slots.items()]


def noisy(truth, rng):
    """Scored truth minus a few boxes, plus shifted lower-scored copies and stray boxes."""
    scored = [replace(b, score=rng.uniform(0.6, 1.0)) for b in truth]
    kept = rng.sample(scored, len(scored) - rng.choice([0, 0, 1, 2, 4]))
    extra = []
    for b in rng.sample(kept, rng.choice([0, 1, 3])):
        f, (dx, dy) = rng.uniform(0.3, 0.6), rng.choice([(1, 0), (-1, 0), (0, 1), (0, -1)])
        extra.append(replace(b, x1=b.x1 + dx * f * b.width, x2=b.x2 + dx * f * b.width,
                             y1=b.y1 + dy * f * b.height, y2=b.y2 + dy * f * b.height,
                             score=b.score * rng.uniform(0.3, 0.9)))
    xs, ys = [b.center[0] for b in truth], [b.center[1] for b in truth]
    for _ in range(rng.choice([0, 0, 1, 2])):
        t = rng.choice(kept)
        x, y = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
        extra.append(Box(t.label, x - t.width / 2, y - t.height / 2, x + t.width / 2, y + t.height / 2,
                         score=rng.uniform(0.3, 0.7)))
    return kept, kept + extra


def report(name, results):
    digits = sum(r[0] for r in results)
    sides = sum(r[1] for r in results)
    ms = 1000 * sum(r[2] for r in results) / len(results)
    print(f"{name}: digits right on {digits} of {len(results)} ({100 * digits / len(results):.1f} %), "
          f"side right on {sides} ({100 * sides / len(results):.1f} %), {ms:.1f} ms CPU each")


def main(argv):
    rsna = Path(argv[0]) if argv else REPO.parent / "shared" / "data" / "rsna-bone-age"
    hands = [read_voc(p) for p in sorted((rsna / "annotations" / "ossification-voc").glob("*.xml"))]
    plain, turned, rng, noisy_results = [], [], random.Random(1), []
    for ann in hands:
        truth = with_digits(ann)
        for mirror in (False, True):
            side = "right" if mirror else "left"
            for degrees in range(-90, 91, 15):
                for enclose in (False, True):
                    boxes = flipped_and_turned(truth, ann.width, ann.height, mirror, degrees, enclose)
                    (plain if degrees == 0 and not enclose else turned).append(judge(boxes, boxes, side))
                    kept, given = noisy(boxes, rng)
                    noisy_results.append(judge(kept, given, side))
    report(f"{len(hands)} annotated hands, as they are and mirrored", plain)
    report("the same turned -90..90 degrees", turned)
    report("the same with noise (copies, gaps, strays)", noisy_results)
    sources = {"hand-keypoints": rsna / "annotations" / "hand-keypoints-coco.json",
               "rus-bones": rsna / "annotations" / "rus-bones-voc"}
    for kind, source in sources.items():
        results = []
        for image in import_annotations(source, kind).images:
            joints = [b for b in image.boxes if b.digit is not None]
            results.append(judge(joints, image.boxes, image.side))
        report(f"{len(results)} {kind} hands (digits and side from the importer)", results)


if __name__ == "__main__":
    main(sys.argv[1:])
