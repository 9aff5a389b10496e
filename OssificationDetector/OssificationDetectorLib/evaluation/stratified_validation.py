"""The whole validation, per stratum: the RSNA folder's held-out parts (heldout.py) and the koitka-240 and
dha-landmarks validation (validation_split.py), each scored by strata.score_stratum.

`detect` is any callable taking a list of image paths and returning, per image, a list of Box in
that image's pixels; an image it cannot read is reported as not scored, with the reason.
"""
from pathlib import Path

from ..annotations.datasets import load_dataset
from ..importers.folders import import_dataset
from .heldout import BONES_VOC, KEYPOINTS_COCO, image_id, ossification_truths
from .strata import score_stratum
from .validation_split import BANDS, DHA_VALIDATION, KOITKA_VALIDATION

KOITKA = "koitka-240"
DHA = "dha-landmarks"


def _pick(dataset, ids, limit):
    """(annotations of the ids in id order, [(id, why not scored)] for ids it lacks)."""
    by_id = {image_id(a.file): a for a in dataset.images}
    chosen = [by_id[i] for i in ids if i in by_id]
    missing = [(i, f"not in {dataset.root}") for i in ids if i not in by_id]
    return (chosen if limit is None else chosen[:limit]), missing


def validation_sets(data, split, limit=None):
    """[(stratum name, kind, dataset, annotations, [(id, why not scored)])] of the data folder
    (holding rsna-bone-age, koitka-240, dha-landmarks); a source that is not there is left out."""
    data = Path(data)
    rsna = data / "rsna-bone-age"
    sets = []
    paper = ossification_truths(rsna, split.ossification)
    sets.append(("RSNA half resolution, paper boxes", "boxes", paper, _pick(paper, split.ossification, limit)))
    if (data / KOITKA).is_dir():
        koitka = load_dataset(data / KOITKA)
        for band in BANDS:
            sets.append((f"koitka-240 (299 px), {band}", "boxes", koitka,
                         _pick(koitka, KOITKA_VALIDATION[band], limit)))
    if (data / DHA).is_dir():
        dha = import_dataset(data / DHA, "dha-landmarks")
        left_out = [(image_id(f), why) for f, why in dha.skipped if image_id(f) in DHA_VALIDATION]
        chosen, missing = _pick(dha, [i for i in DHA_VALIDATION if i not in dict(left_out)], limit)
        sets.append(("Digital Hand Atlas, finger joints", "joints", dha, (chosen, left_out + missing)))
    bones = import_dataset(rsna / BONES_VOC, "rus-bones", image_root=rsna / "images")
    bone_left_out = [(image_id(f), why) for f, why in bones.skipped if image_id(f) in split.bones]
    chosen, missing = _pick(bones, [i for i in split.bones if i not in dict(bone_left_out)], limit)
    sets.append(("RSNA, boxes converted from bone boxes", "boxes", bones, (chosen, bone_left_out + missing)))
    keypoints = import_dataset(rsna / KEYPOINTS_COCO, "hand-keypoints", image_root=rsna / "images")
    key_left_out = [(image_id(f), why) for f, why in keypoints.skipped if image_id(f) in split.keypoints_only]
    chosen, missing = _pick(keypoints, [i for i in split.keypoints_only if i not in dict(key_left_out)], limit)
    sets.append(("RSNA, joints from hand keypoints", "joints", keypoints, (chosen, key_left_out + missing)))
    return [(name, kind, dataset, chosen, not_scored) for name, kind, dataset, (chosen, not_scored) in sets]


def evaluate_validation(detect, data, split, limit=None):
    """[StratumResult] of every stratum of validation_sets."""
    results = []
    for name, kind, dataset, chosen, not_scored in validation_sets(data, split, limit):
        detections, truths = [], []
        for ann in chosen:
            try:
                boxes = detect([dataset.image_path(ann)])[0]
            except (OSError, ValueError) as error:
                not_scored.append((image_id(ann.file), str(error)))
                continue
            detections.append(boxes)
            truths.append(ann)
        results.append(score_stratum(name, detections, truths, kind, not_scored))
    return results
