"""Evaluation per stratum (an age band, a source): mAP@0.5, AP per class, the centre criterion, and how
many hands are complete, with the images that could not be scored and why.

A hand is complete when the centre criterion finds every area annotated on it (17 for the paper's
boxes, the 14 finger joints where only those are annotated). The thumb's MCP, the area young hands
lose first, is counted on its own: the truth MCP with digit 1, or, for boxes without digits, the MCP
farthest from the other four (the thumb's lies apart from the finger row in any turn or mirror).
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .centre_criterion import MatchCounts, centre_criterion, centre_radius, matched_truths
from .evaluate import EvaluationResult, evaluate
from ..core.taxonomy import DIGIT_CLASSES

YOUNG_MONTHS = 48
OLD_MONTHS = 120
BANDS = ("under 4 years", "4-10 years", "over 10 years")


def age_band(months):
    """The bone-age band of an age in months: under 4 years (< 48), 4-10 (48-120), over 10 (> 120)."""
    if months < YOUNG_MONTHS:
        return BANDS[0]
    return BANDS[1] if months <= OLD_MONTHS else BANDS[2]


@dataclass
class HandCounts:
    hands: int = 0
    complete: int = 0
    thumb_mcp_truths: int = 0
    thumb_mcp_found: int = 0
    incomplete: List[Tuple[str, List[str]]] = field(default_factory=list)  # (image, areas missed)

    def to_dict(self):
        return {"hands": self.hands, "complete": self.complete, "thumb_mcp_truths": self.thumb_mcp_truths,
                "thumb_mcp_found": self.thumb_mcp_found,
                "incomplete": [{"image": image, "missed": missed} for image, missed in self.incomplete]}


@dataclass
class StratumResult:
    name: str
    kind: str  # "boxes": every class scored; "joints": DIP, PIP and MCP centres only
    images: List[str]
    hands: HandCounts
    evaluation: Optional[EvaluationResult] = None  # kind "boxes"
    joints: Dict[str, MatchCounts] = field(default_factory=dict)  # kind "joints"
    not_scored: List[Tuple[str, str]] = field(default_factory=list)

    @property
    def centre(self):
        """Centre-criterion counts over the scored classes."""
        if self.evaluation is not None:
            return self.evaluation.centre_overall
        return sum(self.joints.values(), MatchCounts())

    @property
    def mean_ap(self):
        return self.evaluation.mean_ap if self.evaluation is not None else None

    def to_dict(self):
        summary = {"name": self.name, "kind": self.kind, "images": self.images, "mAP": self.mean_ap,
                   "centre_overall": self.centre.to_dict(), "hands": self.hands.to_dict(),
                   "not_scored": [{"image": image, "reason": why} for image, why in self.not_scored]}
        if self.evaluation is not None:
            summary["classes"] = {label: {"ap": curve.ap, "truths": curve.n_truths}
                                  for label, curve in self.evaluation.curves.items()}
            summary["centre_classes"] = {label: c.to_dict() for label, c in self.evaluation.centre.items()}
        else:
            summary["centre_classes"] = {label: c.to_dict() for label, c in self.joints.items()}
        return summary


def thumb_mcp_index(mcp_boxes):
    """Index of the thumb's MCP among a hand's truth MCP boxes, or None (not five, no digit 1)."""
    digits = [b.digit for b in mcp_boxes]
    if 1 in digits:
        return digits.index(1)
    if len(mcp_boxes) != 5:
        return None
    centres = [complex(*b.center) for b in mcp_boxes]

    def apart(i):
        others = [c for k, c in enumerate(centres) if k != i]
        return abs(centres[i] - sum(others) / len(others))

    return max(range(5), key=apart)


def _count_hand(counts, file, detections, truth, labels):
    radius = centre_radius(truth.height)
    missed = []
    for label in labels:
        wanted = [b for b in truth.boxes if b.label == label]
        found, _ = matched_truths([b for b in detections if b.label == label], [b.center for b in wanted], radius)
        missed += [wanted[i].name or label for i in range(len(wanted)) if i not in found]
        if label == "MCP":
            thumb = thumb_mcp_index(wanted)
            if thumb is not None:
                counts.thumb_mcp_truths += 1
                counts.thumb_mcp_found += thumb in found
    counts.hands += 1
    if missed:
        counts.incomplete.append((file, missed))
    else:
        counts.complete += 1


def score_stratum(name, detections, truths, kind="boxes", not_scored=()):
    """StratumResult of per-image detections (lists of Box) against truth AnnotatedImages.

    kind "joints": only DIP, PIP and MCP are scored (truth boxes of the joints, e.g. from landmarks,
    whose centres are the joints); detections of other classes are left out.
    """
    if kind not in ("boxes", "joints"):
        raise ValueError(f"Unknown stratum kind {kind!r}: use 'boxes' or 'joints'.")
    if len(detections) != len(truths):
        raise ValueError(f"{len(detections)} detection lists for {len(truths)} truth images: give one per image.")
    labels = DIGIT_CLASSES if kind == "joints" else None
    if labels:
        detections = [[b for b in boxes if b.label in labels] for boxes in detections]
    hands = HandCounts()
    for boxes, truth in zip(detections, truths):
        present = labels or sorted({b.label for b in truth.boxes})
        _count_hand(hands, truth.file, boxes, truth, present)
    result = StratumResult(name, kind, [t.file for t in truths], hands, not_scored=list(not_scored))
    if kind == "boxes":
        result.evaluation = evaluate(detections, truths)
    else:
        centres = [{label: [b.center for b in t.boxes if b.label == label] for label in labels} for t in truths]
        counts = centre_criterion(detections, centres, [t.height for t in truths])
        result.joints = {label: counts.get(label, MatchCounts()) for label in labels}
    return result


def _percent(value):
    return "–" if value is None else f"{100 * value:.1f}"


def strata_table(results):
    """Markdown table: one row per stratum."""
    lines = ["| stratum | images | mAP@0.5 | centre precision | centre recall | centre F1 | complete hands "
             "| thumb MCP found |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        c, h = r.centre, r.hands
        areas = "14 joints" if r.kind == "joints" else "all areas"
        lines.append(f"| {r.name} | {len(r.images)} | {_percent(r.mean_ap)} | {_percent(c.precision)} | "
                     f"{_percent(c.recall)} | {_percent(c.f1)} | {h.complete} of {h.hands} ({areas}) | "
                     f"{h.thumb_mcp_found} of {h.thumb_mcp_truths} |")
    return "\n".join(lines)


def strata_markdown(results, title="Per stratum", not_scored=()):
    """The table, then per stratum its AP per class, the incomplete hands and the images not scored;
    not_scored: [(image, why)] of images in no stratum's list."""
    lines = [f"## {title}", "", "Values in percent. Centre criterion: a detection with score >= 0.5 finds an "
             "annotated area of its class whose centre lies within H * 6 / 256 px of its own (H the image "
             "height). A hand is complete when every annotated area on it is found.", "", strata_table(results)]
    for r in results:
        lines += ["", f"### {r.name}", ""]
        if r.evaluation is not None:
            lines.append("AP@0.5 per class: " + ", ".join(
                f"{label} {_percent(curve.ap)}" for label, curve in r.evaluation.curves.items()) + ".")
        lines.append("Centre F1 per class: " + ", ".join(
            f"{label} {_percent(c['f1'])}" for label, c in r.to_dict()["centre_classes"].items()) + ".")
        for image, missed in r.hands.incomplete:
            lines.append(f"- incomplete: {image} (missed {', '.join(missed)})")
        for image, why in r.not_scored:
            lines.append(f"- not scored: {image} ({why})")
    if not_scored:
        lines += ["", "### Not scored", ""] + [f"- {image}: {why}" for image, why in not_scored]
    return "\n".join(lines) + "\n"


class StrataError(ValueError):
    """A strata file that cannot be read; the message says what to give."""


def read_strata(path):
    """{image id: stratum name} from a JSON file: an object {id: name}, or a data folder's manifest
    (a list of entries with "id" or "file" and "boneage_months" or "age_months": the age band)."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StrataError(f"{path} is not a readable JSON file ({error}): give {{image id: stratum}} or a "
                          "manifest.json with ages.") from None
    if isinstance(data, dict):
        return {str(k): str(v) for k, v in data.items()}
    strata = {}
    for entry in data if isinstance(data, list) else []:
        key = entry.get("id") or Path(str(entry.get("file", ""))).stem if isinstance(entry, dict) else None
        months = entry.get("boneage_months", entry.get("age_months")) if isinstance(entry, dict) else None
        if key and isinstance(months, (int, float)):
            strata[str(key)] = age_band(months)
    if not strata:
        raise StrataError(f"{path} names no stratum: give {{image id: stratum}} or a manifest list whose entries "
                          "have an id and boneage_months or age_months.")
    return strata


def score_by_stratum(detections, truths, strata, kind="boxes"):
    """[StratumResult] of aligned detections and truths grouped by {image id: stratum name}, in the order
    the strata first appear; images with no stratum form "no stratum"."""
    groups = {}
    for boxes, truth in zip(detections, truths):
        name = strata.get(Path(truth.file).stem, "no stratum")
        groups.setdefault(name, ([], []))
        groups[name][0].append(boxes)
        groups[name][1].append(truth)
    return [score_stratum(name, d, t, kind) for name, (d, t) in groups.items()]
