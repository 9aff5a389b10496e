"""How many hands each pseudo-label rule keeps: the complete rule against the partial one, per image.

Each radiograph is detected once by the teacher; both rules read the same boxes. Prints, per rule,
the hands kept with all 17 areas, kept partial and rejected (by reason), and the areas kept and the
regions ignored (uncertain or stray boxes, and areas placed by the average hand); writes every
image's outcome to --output as JSON.

    .venv/bin/python scripts/compare_pseudo_label_rules.py ../shared/data/young-rsna/images \
        --exclude-ids ids.txt --output young.json [--every 5] [--model default] [--threads 2] [--write FOLDER]

--write FOLDER also writes each rule's pseudo-labels as a VOC folder, FOLDER/partial and FOLDER/complete.
"""
import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "OssificationDetector"))

from OssificationDetectorLib.cli.common import image_files  # noqa: E402
from OssificationDetectorLib.core.boxes import AnnotatedImage  # noqa: E402
from OssificationDetectorLib.core.taxonomy import EXPECTED_TOTAL  # noqa: E402
from OssificationDetectorLib.training.pseudo_label_rules import (  # noqa: E402
    DEFAULT_IGNORE_SCORE, DEFAULT_MIN_SCORE, RULES, hand_labels,
)
from OssificationDetectorLib.training.pseudo_labels import (  # noqa: E402
    default_excluded_ids, read_id_files, reason_counts, teacher, write_pseudo_label_folder,
)


def outcome(labels):
    if labels.reason is not None:
        return {"kept": "rejected", "reason": labels.reason}
    placed = sum(b.score is None for b in labels.ignored)
    return {"kept": "complete" if labels.complete else "partial", "areas": len(labels.boxes),
            "ignored_seen": len(labels.ignored) - placed, "ignored_placed": placed,
            "placed": [b.name for b in labels.ignored if b.score is None]}


def summary(rows, rule):
    results = [row[rule] for row in rows]
    kept = [r for r in results if r["kept"] != "rejected"]
    return {"images": len(results),
            "complete": sum(r["kept"] == "complete" for r in results),
            "partial": sum(r["kept"] == "partial" for r in results),
            "rejected": sum(r["kept"] == "rejected" for r in results),
            "areas_kept": sum(r["areas"] for r in kept),
            "ignored_seen": sum(r["ignored_seen"] for r in kept),
            "ignored_placed": sum(r["ignored_placed"] for r in kept),
            "reasons": reason_counts([(None, r["reason"]) for r in results if r["kept"] == "rejected"])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--output", required=True, help="JSON file of every image's outcome")
    parser.add_argument("--exclude-ids", nargs="*", default=[])
    parser.add_argument("--every", type=int, default=1, help="take every n-th radiograph (in name order)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-score", type=float, default=DEFAULT_MIN_SCORE)
    parser.add_argument("--ignore-score", type=float, default=DEFAULT_IGNORE_SCORE)
    parser.add_argument("--write", help="folder for each rule's pseudo-label VOC folder")
    args = parser.parse_args(argv)
    excluded = read_id_files(args.exclude_ids) | default_excluded_ids()
    files = image_files(args.inputs)[::args.every]
    skipped = [f for f in files if f.stem in excluded]
    files = [f for f in files if f.stem not in excluded]
    detector = teacher(args.model, device="cpu", threads=args.threads, threshold=args.ignore_score)
    from OssificationDetectorLib.io.images import read_radiograph

    rows, began = [], time.monotonic()
    kept = {rule: [] for rule in RULES}
    for path in files:
        radiograph = read_radiograph(path)
        raw = detector.detect(radiograph)
        row = {"file": str(path)}
        for rule in RULES:
            labels = hand_labels(raw, radiograph.width, radiograph.height, rule, args.min_score, args.ignore_score)
            row[rule] = outcome(labels)
            if labels.reason is None:
                kept[rule].append(AnnotatedImage(str(path), radiograph.width, radiograph.height, labels.boxes,
                                                 labels.ignored))
        rows.append(row)
    seconds = time.monotonic() - began
    if args.write:
        for rule in RULES:
            rejected = [(row["file"], row[rule]["reason"]) for row in rows if row[rule]["kept"] == "rejected"]
            write_pseudo_label_folder(kept[rule], rejected, Path(args.write) / rule, link=False)
    report = {"images": len(files), "excluded": [str(f) for f in skipped], "seconds": round(seconds, 1),
              "min_score": args.min_score, "ignore_score": args.ignore_score,
              "summary": {rule: summary(rows, rule) for rule in RULES}, "rows": rows}
    Path(args.output).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"{len(files)} radiographs ({len(skipped)} excluded), {seconds / max(1, len(files)):.1f} s each")
    for rule in reversed(RULES):
        s = report["summary"][rule]
        print(f"{rule:>8}: kept {s['complete']} with all {EXPECTED_TOTAL} areas + {s['partial']} partial, "
              f"rejected {s['rejected']}; areas kept {s['areas_kept']}, regions ignored "
              f"{s['ignored_seen']} seen + {s['ignored_placed']} placed")
        for kind, count in s["reasons"].items():
            print(f"          {count} x {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
