"""Pseudo-labels: a teacher model's boxes on unannotated radiographs, as training data.

A radiograph's detections are kept only when they look like a whole, plausible left hand: exactly
the 17 expected areas, each scored at least min_score, every joint assigned to its digit, and no
anatomy warning (nothing missing or left out, a left hand, upright). Anything less is rejected
with the reason, so that wrong boxes do not teach the next model its teacher's mistakes.
"""
from pathlib import Path

from ..core.atomic import atomic_write_text
from ..core.boxes import AnnotatedImage
from ..annotations.datasets import Dataset, save_dataset
from ..core.taxonomy import DIGITS_OF_CLASS, EXPECTED_COUNTS, EXPECTED_TOTAL

# The lowest score of the 17 areas of a kept hand. Of the 500 unannotated RSNA radiographs, the
# default model (v2) found 476 complete, consistent left hands: 473 with every area >= 0.6, 464
# >= 0.7, 448 >= 0.8, 376 >= 0.9; the weakest area is mostly the ulna.
DEFAULT_MIN_SCORE = 0.7
REJECTED_FILE = "rejected.txt"


def rejection_reason(boxes, width, height, min_score=DEFAULT_MIN_SCORE):
    """Why one radiograph's detected boxes cannot serve as training boxes; None when they can."""
    from ..detection.anatomy import hand_warnings

    if not boxes:
        return "no ossification areas found"
    counts = {label: sum(b.label == label for b in boxes) for label in EXPECTED_COUNTS}
    if counts != EXPECTED_COUNTS:
        wrong = ", ".join(f"{counts[c]} of {n} {c}" for c, n in EXPECTED_COUNTS.items() if counts[c] != n)
        return f"{len(boxes)} of {EXPECTED_TOTAL} areas ({wrong})"
    weak = [b for b in boxes if b.score is not None and b.score < min_score]
    if weak:
        listed = ", ".join(f"{b.name} {b.score:.2f}" for b in sorted(weak, key=lambda b: b.score))
        return f"{len(weak)} area(s) scored below {min_score:g}: {listed}"
    if any(b.label in DIGITS_OF_CLASS and b.digit is None for b in boxes):
        return "joints not assigned to digits"
    warnings = hand_warnings(boxes, width, height)
    if warnings:
        return "; ".join(warnings)
    return None


def pseudo_label(detector, image_paths, min_score=DEFAULT_MIN_SCORE, progress=None):
    """Detect each radiograph with `detector` (detect.Detector); keep only complete, consistent hands.

    Returns (kept: list of AnnotatedImage with the detected boxes, file = the image path,
    rejected: list of (path, reason)). progress(done, total) is called after each image.
    """
    from ..io.images import RadiographError, read_radiograph

    paths = [Path(p) for p in image_paths]
    kept, rejected = [], []
    for done, path in enumerate(paths, start=1):
        try:
            radiograph = read_radiograph(path)
        except (RadiographError, OSError) as error:
            rejected.append((path, f"unreadable: {error}"))
        else:
            boxes = detector.detect(radiograph)
            reason = rejection_reason(boxes, radiograph.width, radiograph.height, min_score)
            if reason is None:
                kept.append(AnnotatedImage(str(path), radiograph.width, radiograph.height, list(boxes)))
            else:
                rejected.append((path, reason))
        if progress is not None:
            progress(done, len(paths))
    return kept, rejected


def write_pseudo_label_folder(kept, rejected, folder, link=True):
    """A VOC folder (Annotations/, JPEGImages/ hard-linked where possible) plus rejected.txt
    ("path<TAB>reason" per line). An image the folder already annotates differently (a person's
    annotation, or an earlier run's) keeps that annotation; those are the returned Dataset's `kept`
    and are listed in rejected.txt too. Returns the saved Dataset."""
    folder = Path(folder)
    dataset = save_dataset(Dataset(folder, list(kept), "voc"), folder, "voc", link=link, existing="keep")
    rejected = list(rejected) + [(path, reason) for path, reason in dataset.kept]
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / REJECTED_FILE, "".join(f"{path}\t{reason}\n" for path, reason in rejected))
    return dataset


def reason_counts(rejected):
    """{kind of reason: count}, the kind being the reason up to its first ':' (for summaries)."""
    counts = {}
    for _, reason in rejected:
        kind = reason.split(":")[0].split(" (")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def _score_argument(text):
    import argparse

    try:
        score = float(text)
    except ValueError:
        score = -1.0
    if not 0.0 <= score <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a score between 0 and 1 (e.g. {DEFAULT_MIN_SCORE})")
    return score


def add_arguments(p):
    """The `pseudo-label` subcommand's options."""
    p.add_argument("inputs", nargs="+", metavar="IMAGES_OR_FOLDER", help="unannotated radiographs or folders of them")
    p.add_argument("--model", default="default", help="the teacher: registered model name or model file")
    p.add_argument("--output", required=True, help="VOC folder to write (Annotations/, JPEGImages/, rejected.txt)")
    p.add_argument("--min-score", type=_score_argument, default=DEFAULT_MIN_SCORE,
                   help=f"lowest score of each of a kept hand's 17 areas (default {DEFAULT_MIN_SCORE})")
    p.add_argument("--copy", action="store_true", help="copy the images instead of hard-linking them")


def run_command(args, files, say):
    """Pseudo-label `files` as args says; say(text) reports the yield."""
    from ..detection.detect import Detector

    # Only upright left hands are kept: detecting turned and mirrored views as well would only slow
    # the rejection of the others.
    detector = Detector(args.model, device=args.device, threshold=args.threshold, threads=args.threads,
                        orientations="upright")
    bar = None
    if not args.quiet and len(files) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(files), desc="pseudo-label", unit="image", dynamic_ncols=True)
    try:
        kept, rejected = pseudo_label(detector, files, args.min_score,
                                      progress=(lambda done, total: bar.update(1)) if bar else None)
    finally:  # an error's line then starts below the bar, not on it
        if bar:
            bar.close()
    saved = write_pseudo_label_folder(kept, rejected, args.output, link=not args.copy)
    say(f"{args.output}: {len(saved.images)} of {len(files)} radiographs written as pseudo-labels, {len(rejected)} "
        f"rejected (reasons in {Path(args.output) / REJECTED_FILE})")
    if saved.kept:
        say(f"  {len(saved.kept)} already annotated in {args.output}: their annotations are kept as they were")
    for kind, count in reason_counts(rejected).items():
        say(f"  {count} x {kind}")
    return 0
