"""Put the per-stratum validation of several models side by side (the validation.json files that
scripts/evaluate_default_model.py writes), as a Markdown table, and say whether the last model is
at least as good as the first on every stratum.

Usage: python scripts/compare_validation.py NAME=FOLDER_OR_JSON NAME=FOLDER_OR_JSON ...
"""
import json
import sys
from pathlib import Path


def _load(spec):
    name, _, where = spec.partition("=")
    path = Path(where or name)
    path = path / "validation.json" if path.is_dir() else path
    return name, {s["name"]: s for s in json.loads(path.read_text(encoding="utf-8"))["strata"]}


def _cell(stratum):
    c, h = stratum["centre_overall"], stratum["hands"]
    m = "–" if stratum["mAP"] is None else f"{100 * stratum['mAP']:.1f}"
    return (f"{m} / {100 * c['precision']:.1f} / {100 * c['recall']:.1f} / {100 * c['f1']:.1f} / "
            f"{h['complete']} of {h['hands']} / {h['thumb_mcp_found']} of {h['thumb_mcp_truths']}")


def _key(stratum):
    """What 'not worse' compares: mAP, centre F1, complete hands, thumb MCPs found."""
    h = stratum["hands"]
    return (stratum["mAP"] or 0.0, stratum["centre_overall"]["f1"], h["complete"], h["thumb_mcp_found"])


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    models = [_load(spec) for spec in argv]
    names = list(models[0][1])
    print("Each cell: mAP@0.5 / centre precision / recall / F1 (percent) / complete hands / thumb MCPs found.\n")
    print("| stratum | images | " + " | ".join(n for n, _ in models) + " |")
    print("|---|---:|" + "---|" * len(models))
    for stratum in names:
        images = len(models[0][1][stratum]["images"])
        print(f"| {stratum} | {images} | " + " | ".join(_cell(m[stratum]) for _, m in models) + " |")
    first, last = models[0], models[-1]
    worse = [s for s in names if any(a < b - 1e-9 for a, b in zip(_key(last[1][s]), _key(first[1][s])))]
    print()
    print(f"{last[0]} is worse than {first[0]} on: {', '.join(worse)}" if worse
          else f"{last[0]} is nowhere worse than {first[0]}.")


if __name__ == "__main__":
    main(sys.argv[1:])
