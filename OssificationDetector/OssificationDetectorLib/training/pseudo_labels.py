"""Pseudo-labels: a teacher model's boxes on unannotated radiographs, as training data.

Each radiograph is detected once, upright; pseudo_label_rules.py decides what of it is kept: with
the "partial" rule (the default) a hand's confident areas, with what the teacher was unsure of or
missed as ignored regions (written as VOC `difficult` objects); with the "complete" rule only whole,
plausible left hands. Validation radiographs must never become pseudo-labels: images whose id (file
name without extension) is excluded are skipped before detection and listed as such.
"""
from pathlib import Path

from ..core.atomic import atomic_write_text
from ..core.boxes import AnnotatedImage
from ..annotations.datasets import Dataset, save_dataset
from ..core.argument_types import fraction
from ..core.taxonomy import EXPECTED_TOTAL
from .pseudo_label_rules import (  # noqa: F401  (rejection_reason: the complete rule's reasons, importable here)
    DEFAULT_IGNORE_SCORE, DEFAULT_MIN_SCORE, DETECTION_THRESHOLD, RULES, hand_labels, rejection_reason,
)

REJECTED_FILE = "rejected.txt"
EXCLUDED_REASON = "excluded: a validation image is never pseudo-labelled"


def teacher(model="default", device="auto", threads=None, threshold=DEFAULT_IGNORE_SCORE):
    """The Detector that pseudo_label expects: raw boxes from `threshold` up, the image as it is."""
    from ..detection.detect import Detector

    # Only upright views: detecting turned and mirrored copies too would slow every image; the
    # rules read each hand's own turn from its boxes.
    return Detector(model, device=device, threshold=threshold, threads=threads, postprocess=False,
                    orientations="upright")


def default_excluded_ids():
    """Ids never pseudo-labelled whatever the command line says: the validation radiographs (the held-out
    RSNA ossification-area images and the koitka-240 validation, whose ids also name the same radiographs
    in rsna-bone-age and young-rsna, e.g. 4332)."""
    from ..evaluation.validation_split import never_train_ids

    return set(never_train_ids()["rsna"])


def pseudo_label(detector, image_paths, min_score=DEFAULT_MIN_SCORE, progress=None, rule="partial",
                 ignore_score=DEFAULT_IGNORE_SCORE, threshold=DETECTION_THRESHOLD, exclude_ids=()):
    """Detect each radiograph with `detector` (see teacher()) and keep what `rule` accepts.

    Returns (kept: list of AnnotatedImage with the kept boxes and ignored regions, file = the image
    path; rejected: list of (path, reason)). Images whose id is in exclude_ids are rejected unread.
    progress(done, total) is called after each image.
    """
    from ..io.images import RadiographError, read_radiograph

    paths = [Path(p) for p in image_paths]
    exclude_ids = {str(i) for i in exclude_ids}
    kept, rejected = [], []
    for done, path in enumerate(paths, start=1):
        if path.stem in exclude_ids:
            rejected.append((path, EXCLUDED_REASON))
        else:
            try:
                radiograph = read_radiograph(path)
            except (RadiographError, OSError) as error:
                rejected.append((path, f"unreadable: {error}"))
            else:
                raw = detector.detect(radiograph)
                labels = hand_labels(raw, radiograph.width, radiograph.height, rule, min_score, ignore_score,
                                     threshold)
                if labels.reason is None:
                    kept.append(AnnotatedImage(str(path), radiograph.width, radiograph.height, labels.boxes,
                                               labels.ignored))
                else:
                    rejected.append((path, labels.reason))
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


def add_arguments(p):
    """The `pseudo-label` subcommand's options."""
    p.add_argument("inputs", nargs="+", metavar="IMAGES_OR_FOLDER", help="unannotated radiographs or folders of them")
    p.add_argument("--model", default="default", help="the teacher: registered model name or model file")
    p.add_argument("--output", required=True, help="VOC folder to write (Annotations/, JPEGImages/, rejected.txt)")
    p.add_argument("--rule", choices=RULES, default="partial",
                   help="partial: keep a hand's confident areas and mark the rest of the hand as ignored regions "
                        "(VOC difficult); complete: keep only hands with all 17 areas confident (default partial)")
    p.add_argument("--min-score", type=fraction, default=DEFAULT_MIN_SCORE,
                   help=f"lowest score of a kept area (default {DEFAULT_MIN_SCORE})")
    p.add_argument("--ignore-score", type=fraction, default=DEFAULT_IGNORE_SCORE,
                   help="partial rule: areas scored from this up to --min-score become ignored regions "
                        f"(default {DEFAULT_IGNORE_SCORE})")
    p.add_argument("--exclude-ids", nargs="+", default=[], metavar="FILE",
                   help="files of image ids (file names without extension) never to pseudo-label, such as the "
                        "validation images; the held-out radiographs are always excluded")
    p.add_argument("--copy", action="store_true", help="copy the images instead of hard-linking them")


def read_id_files(files):
    """The ids listed in files (separated by spaces, commas or new lines; '#' starts a comment)."""
    ids = set()
    for file in files:
        for line in Path(file).read_text(encoding="utf-8").splitlines():
            ids.update(v for v in line.split("#")[0].replace(",", " ").split() if v)
    return ids


def run_command(args, files, say, exclude_ids=()):
    """Pseudo-label `files` as args says; say(text) reports the yield."""
    # Absolute: the annotations name their images, and a relative name would be read from the output folder.
    files = [str(Path(f).absolute()) for f in files]
    partial = args.rule == "partial"
    detector = teacher(args.model, args.device, args.threads,
                       min(args.threshold, args.ignore_score) if partial else args.threshold)
    bar = None
    if not args.quiet and len(files) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(files), desc="pseudo-label", unit="image", dynamic_ncols=True)
    try:
        kept, rejected = pseudo_label(detector, files, args.min_score,
                                      progress=(lambda done, total: bar.update(1)) if bar else None,
                                      rule=args.rule, ignore_score=args.ignore_score, threshold=args.threshold,
                                      exclude_ids=set(exclude_ids) | default_excluded_ids())
    finally:  # an error's line then starts below the bar, not on it
        if bar:
            bar.close()
    saved = write_pseudo_label_folder(kept, rejected, args.output, link=not args.copy)
    say(f"{args.output}: {len(saved.images)} of {len(files)} radiographs written as pseudo-labels, {len(rejected)} "
        f"rejected (reasons in {Path(args.output) / REJECTED_FILE})")
    if partial:
        written = {Path(a.file).name for a in saved.images}
        hands = [k for k in kept if Path(k.file).name in written]
        whole = sum(len(k.boxes) == EXPECTED_TOTAL for k in hands)
        say(f"  {whole} hands with all {EXPECTED_TOTAL} areas, {len(hands) - whole} partial; "
            f"{sum(len(k.boxes) for k in hands)} areas kept, {sum(len(k.ignored) for k in hands)} regions ignored")
    if saved.kept:
        say(f"  {len(saved.kept)} already annotated in {args.output}: their annotations are kept as they were")
    for kind, count in reason_counts(rejected).items():
        say(f"  {count} x {kind}")
    return 0
