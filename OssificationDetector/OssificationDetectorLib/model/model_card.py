"""A model card (Markdown) written from a model file's metadata: data, recipe, validation metrics."""
import json

from ..core.taxonomy import CLASSES


def _pct(value):
    return "n/a" if value is None else f"{100 * value:.1f}"


def _metrics_table(evaluation):
    lines = ["| class | AP@0.5 | centre precision | centre recall | centre F1 |", "|---|---|---|---|---|"]
    for name in CLASSES:
        entry = evaluation.get("classes", {}).get(name) or {}
        centre = entry.get("centre") or {}
        lines.append(f"| {name} | {_pct(entry.get('ap'))} | {_pct(centre.get('precision'))} | "
                     f"{_pct(centre.get('recall'))} | {_pct(centre.get('f1'))} |")
    overall = evaluation.get("centre_overall") or {}
    lines.append(f"| **all** | **{_pct(evaluation.get('mAP'))}** (mAP) | {_pct(overall.get('precision'))} | "
                 f"{_pct(overall.get('recall'))} | **{_pct(overall.get('f1'))}** |")
    return lines


def model_card_markdown(metadata, file_name, sha256, extra_notes=""):
    data = metadata.get("training_data", {})
    metrics = metadata.get("metrics") or {}
    pre = metadata.get("preprocessing", {})
    lines = [f"# Model card: {metadata.get('name', file_name)}", "",
             metadata.get("description", ""), "",
             f"- File: `{file_name}` (sha256 `{sha256}`)",
             f"- Architecture: Faster R-CNN `{metadata.get('architecture')}`, classes {', '.join(metadata['classes'])}",
             f"- Input: one-channel radiograph normalised by `{pre.get('normalisation')}`, resized to short side "
             f"{pre.get('min_size')} px, long side at most {pre.get('max_size')} px",
             f"- Created: {metadata.get('created')}", "",
             "## Training data", ""]
    for dataset in data.get("datasets", []):
        lines.append(f"- `{dataset['path']}` ({dataset['format']}, {dataset['images']} annotated images)")
    lines += [f"- Training images: {data.get('train_images')}; boxes per class: "
              + ", ".join(f"{k} {v}" for k, v in (data.get("boxes_per_class") or {}).items()),
              f"- Validation images (never trained on): {', '.join(data.get('validation_images') or []) or 'none'}",
              "", "## Recipe", "", "```json", json.dumps({"origin": metadata.get("origin"), **(metadata.get("recipe") or {}),
                                                         "iterations": metadata.get("iterations")}, indent=2), "```",
              f"Final training loss: {metadata.get('final_loss')}", "", "## Validation metrics", ""]
    if not metrics:
        lines.append("No validation images were kept aside: no metrics.")
    for key, title in (("postprocessed", "After anatomy post-processing (what users get)"),
                       ("raw", "Raw detector output (score >= 0.05; centre criterion at score >= 0.5)")):
        if metrics.get(key):
            lines += [f"### {title}", ""] + _metrics_table(metrics[key]) + [""]
    if extra_notes:
        lines += ["## Notes", "", extra_notes, ""]
    return "\n".join(lines) + "\n"
