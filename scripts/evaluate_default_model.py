"""Measure a model on the validation radiographs, per stratum: the held-out parts of the RSNA folder
(OssificationDetectorLib.evaluation.heldout: the five held-out ossification-area radiographs, the held-out
quarter of the bone-box images and of the keypoint-only images) and, where ../shared/data has them, the
koitka-240 validation by bone age and the dha-landmarks validation (evaluation.validation_split).

Usage:
  python scripts/evaluate_default_model.py --model default|MODEL.pt [--output FOLDER] [--threads 1] [--limit N]
  python scripts/evaluate_default_model.py --write-train-folders OUT   (training parts only, for extra datasets)
Writes FOLDER/validation.md and validation.json (every stratum: mAP@0.5, AP per class, centre criterion,
complete hands, thumb MCP, images not scored), FOLDER/heldout.json and heldout.md (the RSNA parts), and a
full report (with precision-recall plot) per RSNA part in FOLDER/ossification and FOLDER/bones.
"""
import argparse
import json
import sys
from pathlib import Path

from OssificationDetectorLib.core.atomic import atomic_write_text
from OssificationDetectorLib.evaluation.heldout import held_out_ids_in, image_id, rsna_split
from OssificationDetectorLib.evaluation.heldout_evaluation import evaluate_held_out, held_out_markdown
from OssificationDetectorLib.evaluation.strata import strata_markdown
from OssificationDetectorLib.evaluation.stratified_validation import evaluate_validation
from OssificationDetectorLib.evaluation.validation_split import DHA_VALIDATION, KOITKA_VALIDATION

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "rsna-bone-age"


def write_train_folders(output, rsna, split):
    """The converted bone and keypoint sets without their held-out images, as VOC folders in output."""
    from make_extra_training_data import write_extra_training_data

    keep = split.training_ids()
    names = list(keep) + list(NEW_SOURCE_FOLDERS)
    used = [output / name for name in names if (output / name).exists() and any((output / name).iterdir())]
    if used:
        raise SystemExit(f"{', '.join(map(str, used))} already hold files: give an empty or new folder, so that "
                         "no held-out image left there from an earlier run is trained on.")
    write_extra_training_data(output, rsna, keep)
    if (rsna.parent / "koitka-240").is_dir():
        write_new_source_folders(output, rsna.parent)
    leaked = {name: held_out_ids_in(output / name, split) for name in keep}
    if any(leaked.values()):
        raise SystemExit(f"held-out images written to a training folder: {leaked}")
    print(f"Training folders without held-out images: {', '.join(str(output / n) for n in keep)}")


NEW_SOURCE_FOLDERS = ("koitka-voc", "koitka-halfres-voc", "dha-voc")


def write_new_source_folders(output, data):
    """koitka-240 (and its halfres/ copies) and the dha-landmarks import without their validation
    images (validation_split.py), as VOC folders in output: koitka-voc, koitka-halfres-voc, dha-voc."""
    from OssificationDetectorLib.annotations.datasets import load_dataset
    from OssificationDetectorLib.importers.folders import import_dataset, write_training_folder
    from OssificationDetectorLib.evaluation.validation_split import never_train_ids

    never = never_train_ids()
    koitka = data / "koitka-240"
    sources = {"koitka-voc": load_dataset(koitka), "koitka-halfres-voc": load_dataset(koitka / "halfres"),
               "dha-voc": import_dataset(data / "dha-landmarks", "dha-landmarks")}
    for name, dataset in sources.items():
        held = never["dha"] if name == "dha-voc" else never["rsna"]
        kept = [a for a in dataset.images if Path(a.file).stem not in held]
        validation = len(dataset.images) - len(kept)
        # A radiograph with no boxes at all would teach its whole hand as background.
        empty = [a.file for a in kept if not a.boxes]
        dataset.images = [a for a in kept if a.boxes]
        dataset.skipped = [(f, why) for f, why in getattr(dataset, "skipped", []) if Path(f).stem not in held]
        dataset.skipped += [(f, "no boxes") for f in empty]
        written, skipped = write_training_folder(dataset, output / name)
        print(f"{output / name}: {len(written)} images written, {len(skipped)} left out, "
              f"{validation} validation images not written")
        for file, reason in skipped:
            print(f"  left out {file}: {reason}")
        leaked = held & {image_id(p) for p in (output / name).glob("Annotations/*.xml")}
        if leaked:
            raise SystemExit(f"validation images written to {output / name}: {sorted(leaked)}")


def detector_function(args):
    from tqdm import tqdm

    from OssificationDetectorLib.detection.detect import Detector

    detector = Detector(args.model, device=args.device, threshold=args.threshold, threads=args.threads,
                        probe=not args.no_probe)
    done = {}  # an image in two parts is detected once

    def detect_turned(path):
        """The boxes found on the radiograph turned by args.quarter_turns (np.rot90 steps, counter-clockwise),
        in the radiograph's own pixels (exact for quarter turns)."""
        import numpy as np

        from OssificationDetectorLib.detection.detect import as_pixels
        from OssificationDetectorLib.detection.orientation import Orientation
        from OssificationDetectorLib.detection.turned_view import TurnedView

        pixels = as_pixels(path)
        turned = np.ascontiguousarray(np.rot90(pixels, args.quarter_turns))
        as_shown = TurnedView(Orientation(args.quarter_turns), pixels.shape[1], pixels.shape[0])
        return [b for b in (as_shown.box_from_view(box) for box in detector.detect(turned)) if b is not None]

    def detect(paths):
        for path in tqdm([p for p in paths if str(p) not in done], desc="detect", unit="image",
                         disable=len(paths) < 2):
            done[str(path)] = detect_turned(path) if args.quarter_turns else detector.detect(path)
        return [done[str(p)] for p in paths]

    return detector, detect


def evaluate_model(args, rsna, split):
    from OssificationDetectorLib.evaluation.report import write_report

    detector, detect = detector_function(args)
    summary, results = evaluate_held_out(detect, rsna, split, args.limit)
    output = Path(args.output)
    for part, result in results.items():
        write_report(result, output / part, title=f"{args.model}: held-out {part} ({result.n_images} images)")
    summary = {"model": str(args.model), "model_file": detector.source,
               "settings": {"device": str(detector.device), "threads": args.threads, "threshold": args.threshold},
               **summary}
    markdown = held_out_markdown(summary, results, args.model,
                                 {part: f"{part}/precision_recall.png" for part in results})
    atomic_write_text(output / "heldout.json", json.dumps(summary, indent=2) + "\n")
    atomic_write_text(output / "heldout.md", markdown)
    print(f"Written: {output / 'heldout.json'}, {output / 'heldout.md'}")
    strata = evaluate_validation(detect, rsna.parent, split, args.limit)
    table = strata_markdown(strata, f"Validation of {args.model} per stratum")
    atomic_write_text(output / "validation.json", json.dumps(
        {"model": str(args.model), "model_file": detector.source, "limit": args.limit,
         "split": {"rsna": split.to_dict(), "koitka-240": KOITKA_VALIDATION, "dha-landmarks": list(DHA_VALIDATION)},
         "strata": [r.to_dict() for r in strata]}, indent=2) + "\n")
    atomic_write_text(output / "validation.md", table)
    print(table)
    print(f"Written: {output / 'validation.json'}, {output / 'validation.md'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="registered model name or model file (not a training state)")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="the rsna-bone-age folder")
    parser.add_argument("--output", default=str(REPO / "build" / "heldout"), help="report folder")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads")
    parser.add_argument("--threshold", type=float, default=0.05,
                        help="lowest score kept (AP needs low scores; the centre criterion uses >= 0.5)")
    parser.add_argument("--limit", type=int, default=None, help="at most N images of each part (quick check)")
    parser.add_argument("--quarter-turns", type=int, choices=(0, 1, 2, 3), default=0,
                        help="detect each radiograph turned this many quarter turns counter-clockwise (np.rot90); "
                             "boxes are scored back in its own pixels")
    parser.add_argument("--no-probe", action="store_true",
                        help="search the orientation without the model's orientation probe")
    parser.add_argument("--write-train-folders", metavar="OUT",
                        help="write the training parts of the bone and keypoint sets as VOC folders in OUT")
    args = parser.parse_args(argv)
    if not args.model and not args.write_train_folders:
        parser.error("give --model to evaluate, --write-train-folders to write training data, or both")
    rsna = Path(args.data)
    split = rsna_split(rsna)
    counts = split.to_dict()["counts"]
    print("Split: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if args.write_train_folders:
        write_train_folders(Path(args.write_train_folders), rsna, split)
    if args.model:
        evaluate_model(args, rsna, split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
