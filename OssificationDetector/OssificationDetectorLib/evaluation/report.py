"""An evaluation report: report.md (tables), report.json (all numbers) and precision_recall.png."""
import io
import json
from pathlib import Path
from typing import NamedTuple

from ..core.atomic import atomic_write_bytes, atomic_write_text
from ..core.taxonomy import CLASS_COLORS

DEFAULT_TITLE = "Ossification-area detection: evaluation"


class ReportFiles(NamedTuple):
    markdown: Path
    json: Path
    plot: Path


def _percent(value):
    return "–" if value is None else f"{100 * value:.1f}"


def markdown_report(result, title=DEFAULT_TITLE, plot_name="precision_recall.png"):
    settings = result.settings
    lines = [
        f"# {title}", "",
        f"{result.n_images} images. AP: IoU >= {settings.get('iou_threshold')}, Pascal VOC all-point "
        "interpolation; mAP over the classes that have truth boxes. Centre criterion: detections with "
        f"score >= {settings.get('score_threshold')} match, one to one, a truth box of their class whose "
        f"centre lies within {settings.get('centre_radius')} px (H the image height). Values in percent.", "",
        "| class | truths | detections | AP@0.5 | TP | FP | FN | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, curve in result.curves.items():
        counts = result.centre.get(label)
        centre = ["–"] * 6 if counts is None else [
            counts.tp, counts.fp, counts.fn,
            _percent(counts.precision), _percent(counts.recall), _percent(counts.f1),
        ]
        cells = [label, curve.n_truths, curve.n_detections, _percent(curve.ap), *centre]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    overall = result.centre_overall
    totals = ["**all**", sum(c.n_truths for c in result.curves.values()),
              sum(c.n_detections for c in result.curves.values()), f"**{_percent(result.mean_ap)}** (mAP)",
              overall.tp, overall.fp, overall.fn, _percent(overall.precision), _percent(overall.recall),
              f"**{_percent(overall.f1)}**"]
    lines.append("| " + " | ".join(str(c) for c in totals) + " |")
    lines += ["", f"![Precision-recall curves per class]({plot_name})", ""]
    return "\n".join(lines)


def write_report(result, folder, title=DEFAULT_TITLE):
    """Write the three files into `folder` (created if needed), each atomically."""
    folder = Path(folder)
    files = ReportFiles(folder / "report.md", folder / "report.json", folder / "precision_recall.png")
    document = {"title": title, **result.to_dict()}
    atomic_write_text(files.json, json.dumps(document, indent=2) + "\n")
    atomic_write_text(files.markdown, markdown_report(result, title, files.plot.name))
    buffer = io.BytesIO()
    precision_recall_plot(result, title).save(buffer, format="PNG")
    atomic_write_bytes(files.plot, buffer.getvalue())
    return files


def _font(size):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow < 10.1 or without FreeType: fixed bitmap font
        return ImageFont.load_default()


def _colour(label):
    return tuple(round(255 * c) for c in CLASS_COLORS[label])


def _envelope_steps(curve):
    """The staircase under which AP is the area: precision made non-increasing, held until each recall."""
    points, previous_recall = [], 0.0
    for i, recall in enumerate(curve.recall):
        level = max(curve.precision[i:])
        points += [(previous_recall, level), (recall, level)]
        previous_recall = recall
    if points:
        points.append((previous_recall, 0.0))  # the drop shows where recall ends
    return points


def precision_recall_plot(result, title=DEFAULT_TITLE, size=(820, 560)):
    """A PIL image of every class's interpolated precision-recall curve, with axes and a legend."""
    from PIL import Image, ImageDraw

    width, height = size
    left, right, top, bottom = 70, width - 200, 50, height - 60
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(16), _font(13)

    def at(recall, precision):
        # 1.0 sits a little inside the frame so that curves at precision 1 stay visible.
        return left + recall / 1.03 * (right - left), bottom - precision / 1.03 * (bottom - top)

    for i in range(6):
        value = i / 5
        x, y = at(value, value)
        draw.line([(x, top), (x, bottom)], fill=(225, 225, 225))
        draw.line([(left, y), (right, y)], fill=(225, 225, 225))
        draw.text((x, bottom + 6), f"{value:.1f}", fill="black", font=small, anchor="ma")
        draw.text((left - 8, y), f"{value:.1f}", fill="black", font=small, anchor="rm")
    draw.rectangle([left, top, right, bottom], outline="black", width=1)
    draw.text(((left + right) / 2, height - 22), "Recall", fill="black", font=font, anchor="mm")
    draw.text((width / 2, 22), title, fill="black", font=font, anchor="mm")
    label_image = Image.new("RGB", (120, 24), "white")
    ImageDraw.Draw(label_image).text((60, 12), "Precision", fill="black", font=font, anchor="mm")
    image.paste(label_image.rotate(90, expand=True), (8, int((top + bottom) / 2 - 60)))

    legend_y = top
    curves = list(result.curves.items())
    for index, (label, curve) in enumerate(curves):
        colour = _colour(label)
        steps = _envelope_steps(curve)
        line_width = 3 + round(1.5 * (len(curves) - 1 - index))  # earlier curves wider: overlaps all show
        if len(steps) > 1:
            draw.line([at(r, p) for r, p in steps], fill=colour, width=line_width, joint="curve")
        ap = "no truths" if curve.ap is None else f"AP {100 * curve.ap:.1f}"
        draw.line([(right + 15, legend_y + 8), (right + 45, legend_y + 8)], fill=colour, width=4)
        draw.text((right + 52, legend_y + 8), f"{label}  {ap}", fill="black", font=small, anchor="lm")
        legend_y += 24
    draw.text((right + 15, legend_y + 10), f"mAP {_percent(result.mean_ap)}",
              fill="black", font=small, anchor="lm")
    return image
