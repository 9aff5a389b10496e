"""Metrics against cases worked out by hand (the arithmetic is in the comments), and the report."""
import json

import numpy as np
import pytest
from PIL import Image

from OssificationDetectorLib.evaluation.average_precision import voc_average_precision
from OssificationDetectorLib.core.boxes import AnnotatedImage, Box
from OssificationDetectorLib.evaluation.centre_criterion import centre_criterion
from OssificationDetectorLib.detection.detections_json import read_detections_json, write_detections_json
from OssificationDetectorLib.evaluation.evaluate import align_by_file, evaluate
from OssificationDetectorLib.evaluation.report import write_report
from OssificationDetectorLib.core.taxonomy import CLASS_COLORS


def two_truths():
    """One 256 px high image (centre radius 256 * 6 / 256 = 6 px) with two DIP truths."""
    return [AnnotatedImage("a.png", 256, 256, [Box("DIP", 0, 0, 10, 10), Box("DIP", 20, 0, 30, 10)])]


def test_ap_two_truths_three_detections_with_a_duplicate():
    detections = [[
        Box("DIP", 0, 0, 10, 10, score=0.9),  # IoU 1 with truth 1: TP
        Box("DIP", 0, 0, 10, 11, score=0.8),  # IoU 100/110 with truth 1, already matched: duplicate, FP
        Box("DIP", 20, 0, 30, 10, score=0.7),  # IoU 1 with truth 2: TP
    ]]
    result = evaluate(detections, two_truths())
    curve = result.curves["DIP"]
    # cumulative TP 1, 1, 2 and FP 0, 1, 1 over 2 truths:
    assert curve.precision == [1 / 1, 1 / 2, 2 / 3]
    assert curve.recall == [1 / 2, 1 / 2, 2 / 2]
    # precision made non-increasing from the right: 1 up to recall 1/2, then 2/3 up to recall 1.
    # AP = (1/2 - 0) * 1 + (1 - 1/2) * 2/3 = 1/2 + 1/3 = 5/6
    assert curve.ap == pytest.approx(5 / 6, abs=1e-12)
    assert result.mean_ap == pytest.approx(5 / 6, abs=1e-12)  # the only class with truths
    # centre criterion (all scores >= 0.5, radius 6 px): the duplicate's centre (5, 5.5) is on a truth
    # already taken, the other truth's centre (25, 5) is 20 px away: TP 2, FP 1, FN 0.
    dip = result.centre["DIP"]
    assert (dip.tp, dip.fp, dip.fn) == (2, 1, 0)
    assert dip.precision == pytest.approx(2 / 3) and dip.recall == 1.0
    assert dip.f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 0))  # 4/5, the harmonic mean of 2/3 and 1


def test_ap_interpolation_when_a_false_positive_ranks_first():
    detections = [[
        Box("DIP", 100, 100, 110, 110, score=0.9),  # no truth there: FP
        Box("DIP", 0, 0, 10, 10, score=0.8),  # TP
        Box("DIP", 20, 0, 30, 10, score=0.7),  # TP
    ]]
    curve = evaluate(detections, two_truths()).curves["DIP"]
    assert curve.precision == [0 / 1, 1 / 2, 2 / 3]
    assert curve.recall == [0, 1 / 2, 1]
    # interpolated precision is 2/3 everywhere (the best precision at any recall further right):
    # AP = (1/2 - 0) * 2/3 + (1 - 1/2) * 2/3 = 2/3
    assert curve.ap == pytest.approx(2 / 3, abs=1e-12)


def test_voc_all_point_interpolation_directly():
    # points (recall, precision): (0.25, 1), (0.25, 0.5), (0.5, 0.67), (0.5, 0.5), (0.75, 0.6)
    # envelope: 1 up to 0.25, 0.67 up to 0.5, 0.6 up to 0.75, 0 after: 0.25 + 0.25 * 0.67 + 0.25 * 0.6
    recall, precision = [0.25, 0.25, 0.5, 0.5, 0.75], [1, 0.5, 0.67, 0.5, 0.6]
    assert voc_average_precision(recall, precision) == pytest.approx(0.25 + 0.25 * 0.67 + 0.25 * 0.6)
    assert voc_average_precision([], []) == 0.0


def test_iou_exactly_one_half_matches_and_just_below_does_not():
    truth = [AnnotatedImage("a.png", 100, 100, [Box("MCP", 0, 0, 10, 10)])]
    # (0, 0, 10, 20): intersection 100, union 100 + 200 - 100 = 200, IoU 0.5 -> TP, AP 1
    assert evaluate([[Box("MCP", 0, 0, 10, 20, score=0.9)]], truth).ap["MCP"] == 1.0
    # (0, 0, 10, 20.5): IoU 100 / 205 < 0.5 -> FP, AP 0
    assert evaluate([[Box("MCP", 0, 0, 10, 20.5, score=0.9)]], truth).ap["MCP"] == 0.0


def test_map_counts_only_classes_with_truths():
    truths = [AnnotatedImage("a.png", 100, 100, [Box("DIP", 0, 0, 10, 10), Box("PIP", 50, 50, 60, 60)])]
    detections = [[Box("DIP", 0, 0, 10, 10, score=0.9), Box("Radius", 70, 70, 90, 90, score=0.8)]]
    result = evaluate(detections, truths)
    # DIP found: AP 1; PIP missed: AP 0; Radius has no truth: AP undefined, left out of the mean.
    assert result.ap == {"DIP": 1.0, "PIP": 0.0, "MCP": None, "Radius": None, "Ulna": None, "Wrist": None}
    assert result.mean_ap == 0.5
    # centre criterion: DIP TP 1; PIP FN 1; Radius FP 1; micro over classes TP 1, FP 1, FN 1.
    assert {k: (c.tp, c.fp, c.fn) for k, c in result.centre.items()} == {
        "DIP": (1, 0, 0), "PIP": (0, 0, 1), "Radius": (0, 1, 0)}
    overall = result.centre_overall
    assert (overall.precision, overall.recall, overall.f1) == (0.5, 0.5, 0.5)


def centred_box(label, cx, cy, score, half=10.0):
    return Box(label, cx - half, cy - half, cx + half, cy + half, score=score)


def test_centre_just_inside_and_just_outside_the_radius():
    # H = 512: radius 512 * 6 / 256 = 12 px; the truth box is centred at (100, 100)
    truths = [AnnotatedImage("a.png", 400, 512, [centred_box("PIP", 100, 100, None)])]
    inside = evaluate([[centred_box("PIP", 111.99, 100, 0.9)]], truths).centre["PIP"]
    assert (inside.tp, inside.fp, inside.fn) == (1, 0, 0)
    outside = evaluate([[centred_box("PIP", 112.01, 100, 0.9)]], truths).centre["PIP"]
    assert (outside.tp, outside.fp, outside.fn) == (0, 1, 1)
    diagonal = evaluate([[centred_box("PIP", 100 + 8.4, 100 + 8.5, 0.9)]], truths).centre["PIP"]
    assert diagonal.tp == 1  # sqrt(8.4^2 + 8.5^2) = 11.95 px
    taller = [AnnotatedImage("a.png", 400, 513, truths[0].boxes)]  # radius 12.023 px
    assert evaluate([[centred_box("PIP", 112.01, 100, 0.9)]], taller).centre["PIP"].tp == 1


def test_centre_score_threshold():
    truths = [AnnotatedImage("a.png", 400, 512, [centred_box("Ulna", 100, 100, None)])]
    below = evaluate([[centred_box("Ulna", 100, 100, 0.49)]], truths).centre["Ulna"]
    assert (below.tp, below.fp, below.fn) == (0, 0, 1)  # ignored, not a false positive
    at = evaluate([[centred_box("Ulna", 100, 100, 0.5)]], truths).centre["Ulna"]
    assert (at.tp, at.fp, at.fn) == (1, 0, 0)
    assert evaluate([[centred_box("Ulna", 100, 100, 0.49)]], truths).ap["Ulna"] == 1.0  # AP uses all scores


def test_centre_matching_is_greedy_by_score_to_the_nearest_centre():
    # radius 12 px; truth centres A (100, 100) and B (110, 100)
    truth = {"MCP": [(100.0, 100.0), (110.0, 100.0)]}
    # first (0.9) at x 104: A is 4 px away, B 6 -> takes A; second (0.8) at x 90: A taken, B 20 px -> FP
    detections = [[centred_box("MCP", 104, 100, 0.9), centred_box("MCP", 90, 100, 0.8)]]
    counts = centre_criterion(detections, [truth], [512])
    assert (counts["MCP"].tp, counts["MCP"].fp, counts["MCP"].fn) == (1, 1, 1)
    # swap the scores: x 90 goes first and takes A (10 px), then x 104 takes B (6 px): both match
    detections = [[centred_box("MCP", 104, 100, 0.8), centred_box("MCP", 90, 100, 0.9)]]
    counts = centre_criterion(detections, [truth], [512])
    assert (counts["MCP"].tp, counts["MCP"].fp, counts["MCP"].fn) == (2, 0, 0)


def test_centre_criterion_on_keypoint_centres_over_images():
    detections = [[centred_box("PIP", 50, 50, 0.9)], [centred_box("DIP", 10, 10, 0.9)]]
    truths = [{"pip": [(55.0, 50.0)]}, {"DIP": [(30.0, 10.0)], "PIP": [(200.0, 200.0)]}]
    counts = centre_criterion(detections, truths, heights=[256, 1024])
    # image 1: radius 6, PIP 5 px away -> TP. image 2: radius 24, DIP 20 px away -> TP; PIP missed -> FN
    assert {k: (c.tp, c.fp, c.fn) for k, c in counts.items()} == {"PIP": (1, 0, 1), "DIP": (1, 0, 0)}


def test_evaluate_needs_one_detection_list_per_image():
    with pytest.raises(ValueError, match="one per image"):
        evaluate([], two_truths())


def test_align_detections_json_with_a_dataset(tmp_path):
    truths = [AnnotatedImage("4221.png", 523, 682), AnnotatedImage("6470.png", 600, 700)]
    found = [Box("Wrist", 1, 2, 30, 40, score=0.7)]
    write_detections_json(tmp_path / "d.json", [("/data/x/6470.png", 600, 700, found),
                                                ("/data/x/4221.png", 523, 682, [])])
    detections, aligned_truths = align_by_file(read_detections_json(tmp_path / "d.json"), truths)
    assert detections == [[], found] and aligned_truths == truths
    with pytest.raises(ValueError, match="No detections for 9999.png"):
        align_by_file(read_detections_json(tmp_path / "d.json"), truths + [AnnotatedImage("9999.png", 5, 5)])
    with pytest.raises(ValueError, match="detected at 523 x 682 px but annotated at 1046 x 1364"):
        align_by_file(read_detections_json(tmp_path / "d.json"), [AnnotatedImage("4221.png", 1046, 1364)])


def test_report_files(tmp_path):
    detections = [[Box("DIP", 0, 0, 10, 10, score=0.9), Box("DIP", 0, 0, 10, 11, score=0.8),
                   Box("DIP", 20, 0, 30, 10, score=0.7)]]
    result = evaluate(detections, two_truths())
    files = write_report(result, tmp_path / "report", title="Hand-computed case")
    markdown = files.markdown.read_text()
    assert markdown.startswith("# Hand-computed case")
    assert "| DIP | 2 | 3 | 83.3 | 2 | 1 | 0 | 66.7 | 100.0 | 80.0 |" in markdown
    assert "| PIP | 0 | 0 | – | – |" in markdown
    document = json.loads(files.json.read_text())
    assert document == {"title": "Hand-computed case", **json.loads(json.dumps(result.to_dict()))}
    assert document["classes"]["DIP"]["ap"] == pytest.approx(5 / 6)
    assert document["mAP"] == pytest.approx(5 / 6)
    with Image.open(files.plot) as plot:
        assert plot.size == (820, 560)
        pixels = np.asarray(plot.convert("RGB"))
    dip_colour = [round(255 * c) for c in CLASS_COLORS["DIP"]]
    # the legend swatch alone is about 30 x 4 px; the DIP curve adds hundreds more
    assert np.all(pixels == dip_colour, axis=-1).sum() > 1000
    written = sorted(p.name for p in (tmp_path / "report").iterdir())
    assert written == ["precision_recall.png", "report.json", "report.md"]
