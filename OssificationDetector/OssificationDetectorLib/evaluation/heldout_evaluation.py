"""Measure a detector on the held-out parts of the RSNA folder (heldout.py): the ossification-area
boxes, boxes converted from bone boxes, and joint centres from hand keypoints.

`detect` is any callable taking a list of image paths and returning, per image, a list of Box in
that image's pixels (e.g. a Detector's detect_batch).
"""
import json
from pathlib import Path

from ..importers.folders import import_dataset
from .centre_criterion import MatchCounts, centre_criterion
from .evaluate import evaluate
from .heldout import BONES_VOC, KEYPOINTS_COCO, image_id, ossification_truths
from ..importers.keypoints import AREA_KEYPOINTS, _hands_of
from ..core.taxonomy import DIGIT_CLASSES

BONES_NOTE = ("against boxes converted from the bone-box annotations (bone_import.py), not boxes drawn by "
              "annotators: the centres are close to the joints, the box sizes are the average hand's, so AP "
              "measures agreement with the conversion more than with an annotator")
KEYPOINTS_NOTE = ("DIP, PIP and MCP detections against the annotated joint keypoints (centre criterion); "
                  "detections of other classes are ignored; the images are uncropped (forearm included)")


def _first(items, limit):
    return list(items) if limit is None else list(items)[:limit]


def evaluate_ossification(detect, rsna, split, limit=None):
    """(image ids, EvaluationResult) on the held-out ossification-area VOC radiographs."""
    dataset = ossification_truths(rsna, tuple(_first(split.ossification, limit)))
    detections = detect([dataset.image_path(ann) for ann in dataset.images])
    return [image_id(a.file) for a in dataset.images], evaluate(detections, dataset.images)


def evaluate_bones(detect, rsna, split, limit=None):
    """(image ids, EvaluationResult, [(id, why not converted)]) on the held-out bone-box images."""
    rsna = Path(rsna)
    dataset = import_dataset(rsna / BONES_VOC, "rus-bones", image_root=rsna / "images")
    held = set(split.bones)
    not_converted = [(image_id(f), why) for f, why in dataset.skipped if image_id(f) in held]
    truths = _first((a for a in dataset.images if image_id(a.file) in held), limit)
    detections = detect([dataset.image_path(ann) for ann in truths]) if truths else []
    return [image_id(a.file) for a in truths], evaluate(detections, truths), not_converted


def keypoint_joint_centres(coco_file, ids):
    """{id: (image entry, {label: [(x, y)]})} of the joints (DIP, PIP, MCP) marked on single-hand
    images of a COCO hand-keypoints file, and [(id, why left out)]."""
    data = json.loads(Path(coco_file).read_text(encoding="utf-8"))
    names = next(c["keypoints"] for c in data["categories"] if c.get("keypoints"))
    hands = {}
    for annotation in data["annotations"]:
        hands.setdefault(annotation.get("image_id"), []).extend(_hands_of(annotation, names))
    found, left_out = {}, []
    for image in data["images"]:
        key = image_id(image.get("file_name", image.get("id")))
        if key not in ids:
            continue
        marked = hands.get(image.get("id"), [])
        if len(marked) != 1:
            left_out.append((key, f"{len(marked)} labelled hands; one is needed"))
            continue
        centres = {label: [] for label in DIGIT_CLASSES}
        for (label, _), name in AREA_KEYPOINTS.items():
            if name in marked[0]:
                centres[label].append((marked[0][name].real, marked[0][name].imag))
        found[key] = (image, centres)
    return found, left_out


def evaluate_keypoints(detect, rsna, split, limit=None):
    """(image ids, {label: MatchCounts}, [(id, why left out)]) on the held-out keypoint-only images."""
    rsna = Path(rsna)
    found, left_out = keypoint_joint_centres(rsna / KEYPOINTS_COCO, set(split.keypoints_only))
    ids = _first((i for i in split.keypoints_only if i in found), limit)
    paths = [rsna / "images" / Path(found[i][0]["file_name"]).name for i in ids]
    detections = detect(paths) if ids else []
    joints_only = [[b for b in boxes if b.label in DIGIT_CLASSES] for boxes in detections]
    counts = centre_criterion(joints_only, [found[i][1] for i in ids], [int(found[i][0]["height"]) for i in ids])
    return ids, {label: counts.get(label, MatchCounts()) for label in DIGIT_CLASSES}, left_out


def _result_summary(result):
    """EvaluationResult.to_dict() without the curves (they are in the part's own report)."""
    return {k: v for k, v in result.to_dict().items() if k != "curves"}


def evaluate_held_out(detect, rsna, split, limit=None):
    """All three parts as one JSON-ready dict, plus the two EvaluationResults for full reports.

    limit: at most that many images of each part (a quick check, not the protocol's numbers).
    """
    oss_ids, oss = evaluate_ossification(detect, rsna, split, limit)
    bone_ids, bones, not_converted = evaluate_bones(detect, rsna, split, limit)
    key_ids, joints, left_out = evaluate_keypoints(detect, rsna, split, limit)
    joints_overall = sum(joints.values(), MatchCounts())
    summary = {
        "split": split.to_dict(),
        "limit": limit,
        "headline": {
            "ossification_mAP": oss.mean_ap, "ossification_centre_f1": oss.centre_overall.f1,
            "bones_centre_f1": bones.centre_overall.f1, "bones_mAP_against_converted_boxes": bones.mean_ap,
            "keypoints_joint_centre_f1": joints_overall.f1,
        },
        "ossification": {"image_ids": oss_ids, **_result_summary(oss)},
        "bones": {"note": BONES_NOTE, "image_ids": bone_ids,
                  "held_out_not_converted": [{"id": i, "reason": why} for i, why in not_converted],
                  **_result_summary(bones)},
        "keypoints": {"note": KEYPOINTS_NOTE, "image_ids": key_ids,
                      "held_out_left_out": [{"id": i, "reason": why} for i, why in left_out],
                      "centre_overall": joints_overall.to_dict(),
                      "classes": {label: c.to_dict() for label, c in joints.items()}},
    }
    return summary, {"ossification": oss, "bones": bones}


def _percent(value):
    return "–" if value is None else f"{100 * value:.1f}"


def _sentence(text):
    return text[:1].upper() + text[1:] + "."


def _section(result, title, plot):
    """report.markdown_report of one part, its title one level down."""
    from .report import markdown_report

    return "#" + markdown_report(result, title, plot)


def held_out_markdown(summary, results, model, plots=None):
    """The Markdown summary: headline numbers, the split, then each part's table.

    plots: {part: path of its precision-recall plot relative to the Markdown file}.
    """
    plots = plots or {}
    head, split = summary["headline"], summary["split"]["counts"]
    joints = summary["keypoints"]
    lines = [f"# Held-out validation of {model}", "",
             "Values in percent." + (f" Quick check on at most {summary['limit']} images per part: not the "
                                     "protocol's numbers." if summary["limit"] is not None else ""), "",
             "| part | images | mAP@0.5 | centre F1 |", "|---|---:|---:|---:|",
             f"| ossification-area boxes | {len(summary['ossification']['image_ids'])} | "
             f"{_percent(head['ossification_mAP'])} | {_percent(head['ossification_centre_f1'])} |",
             f"| bone-derived boxes (mAP against converted boxes) | {len(summary['bones']['image_ids'])} | "
             f"{_percent(head['bones_mAP_against_converted_boxes'])} | {_percent(head['bones_centre_f1'])} |",
             f"| keypoint joints (DIP, PIP, MCP) | {len(joints['image_ids'])} | – | "
             f"{_percent(head['keypoints_joint_centre_f1'])} |", "",
             "## Split", "", summary["split"]["rule"] + ".", "",
             f"- ossification held out ({split['ossification_held_out']}): "
             + ", ".join(summary["split"]["ossification_held_out"]),
             f"- bones held out ({split['bones_held_out']}, training {split['bones_train']}): "
             + ", ".join(summary["split"]["bones_held_out"]),
             f"- keypoints-only held out ({split['keypoints_only_held_out']}, training "
             f"{split['keypoints_only_train']}): " + ", ".join(summary["split"]["keypoints_only_held_out"])]
    for item in summary["bones"]["held_out_not_converted"] + joints["held_out_left_out"]:
        lines.append(f"- not evaluated: {item['id']} ({item['reason']})")
    lines += ["", _section(results["ossification"], "Ossification-area boxes",
                           plots.get("ossification", "precision_recall.png")),
              _section(results["bones"], "Bone-derived boxes", plots.get("bones", "precision_recall.png")),
              _sentence(summary["bones"]["note"]), "",
              "## Keypoint joints", "", _sentence(joints["note"]), "",
              "| class | TP | FP | FN | precision | recall | F1 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for label, c in list(joints["classes"].items()) + [("**all**", joints["centre_overall"])]:
        lines.append(f"| {label} | {c['tp']} | {c['fp']} | {c['fn']} | {_percent(c['precision'])} | "
                     f"{_percent(c['recall'])} | {_percent(c['f1'])} |")
    return "\n".join(lines) + "\n"
