"""The `ossification-detector` command: detect, train, evaluate, convert, models, and its errors."""
import json
import subprocess
import sys

import pytest
from PIL import Image

from OssificationDetectorLib.cli.main import main
from OssificationDetectorLib.annotations.datasets import load_dataset


@pytest.fixture
def sample_folder(sample_pngs, tmp_path):
    folder = tmp_path / "radiographs"
    folder.mkdir()
    for png in sample_pngs:
        (folder / png.name).write_bytes(png.read_bytes())
    return folder


def test_detect_writes_the_exact_json_format_and_overlays(tiny_model_file, sample_folder, tmp_path):
    output, overlay = tmp_path / "out" / "detections.json", tmp_path / "overlay"
    code = main(["detect", str(sample_folder), "--output", str(output), "--overlay", str(overlay),
                 "--model", str(tiny_model_file[0]), "--threshold", "0.1", "--device", "cpu", "--threads", "1",
                 "--quiet"])
    assert code == 0
    data = json.loads(output.read_text())
    assert list(data) == ["format", "format_version", "images"] and data["format_version"] == 2
    pngs = sorted(sample_folder.glob("*.png"))
    assert [entry["file"] for entry in data["images"]] == [str(p) for p in pngs]
    for entry, png in zip(data["images"], pngs):
        assert list(entry) == ["file", "width", "height", "detections", "warnings"]
        width, height = Image.open(png).size
        assert (entry["width"], entry["height"]) == (width, height)
        for detection in entry["detections"]:
            assert list(detection) == ["label", "name", "digit", "score", "box"]
            x1, y1, x2, y2 = detection["box"]
            assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
            assert detection["score"] >= 0.1
        drawn = Image.open(overlay / png.name)
        assert drawn.size == (width, height) and drawn.mode == "RGB"
    assert any(entry["detections"] for entry in data["images"])


def test_evaluate_a_detections_file_against_a_dataset(tmp_path, sample_voc_dir):
    dataset = load_dataset(sample_voc_dir)
    perfect = {"images": [{"file": ann.file, "width": ann.width, "height": ann.height,
                           "detections": [{"label": b.label, "score": 0.9, "box": b.coords} for b in ann.boxes]}
                          for ann in dataset.images]}
    detections = tmp_path / "detections.json"
    detections.write_text(json.dumps(perfect))
    assert main(["evaluate", str(detections), str(sample_voc_dir), "--output", str(tmp_path / "report"),
                 "--quiet"]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["mAP"] == pytest.approx(1.0)
    assert (tmp_path / "report" / "precision_recall.png").is_file()


def test_evaluate_a_model_runs_it_on_the_dataset(tmp_path, sample_voc_dir, tiny_model_file):
    assert main(["evaluate", str(tiny_model_file[0]), str(sample_voc_dir), "--output", str(tmp_path / "report"),
                 "--device", "cpu", "--threads", "1", "--quiet"]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["images"] == 3
    assert (tmp_path / "report" / "report.md").is_file()


def test_convert_voc_to_coco_and_back(tmp_path, sample_voc_dir):
    assert main(["convert", str(sample_voc_dir), str(tmp_path / "coco"), "--format", "coco", "--quiet"]) == 0
    assert main(["convert", str(tmp_path / "coco"), str(tmp_path / "voc"), "--format", "voc", "--quiet"]) == 0
    original, again = load_dataset(sample_voc_dir), load_dataset(tmp_path / "voc")
    count = sum(len(a.boxes) for a in original.images)
    assert count == sum(len(a.boxes) for a in again.images) == 3 * 17


def test_train_reports_json_progress_and_stops_on_the_stop_file(tmp_path, sample_voc_dir, capsys):
    stop = tmp_path / "stop"
    stop.write_text("stop")
    output = tmp_path / "model.pt"
    code = main(["train", str(sample_voc_dir), "--output", str(output), "--iterations", "3", "--init", "none",
                 "--min-size", "128", "--max-size", "160", "--batch-size", "1", "--device", "cpu", "--threads", "1",
                 "--progress-json", "--stop-file", str(stop)])
    assert code == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["event"] for e in events] == ["iteration", "cancelled"]
    assert events[-1]["iteration"] == 1 and events[-1]["total"] == 3
    assert not output.exists() and (tmp_path / "model.pt.train-state.pt").is_file()


def test_models_lists_bundled_and_user_models(tiny_model_file, tmp_path, monkeypatch, capsys):
    from OssificationDetectorLib.model.registry import register_bundled_model, register_user_model, resolve_model

    path, sha256 = tiny_model_file
    monkeypatch.setenv("OSSIFICATION_DETECTOR_MODELS", str(tmp_path / "bundled"))
    register_bundled_model(tmp_path / "bundled", "default", "default.pt", "ab" * 32, "mobilenet_v2_fpn", "shipped")
    register_user_model("mine", path)
    assert resolve_model("mine") == (path.resolve(), sha256)
    assert main(["models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["name"], m["source"]) for m in listed] == [("mine", "user"), ("default", "bundled")]


@pytest.mark.parametrize("arguments, message", [
    (["detect", "no-such-image.png", "--output", "d.json"], "does not exist"),
    (["detect", "{png}", "--output", "d.json", "--model", "nonesuch"], "No model named 'nonesuch'"),
    (["detect", "{png}", "--output", "d.json", "--model", "{bad_model}"], "not an OssificationDetector model file"),
    (["train", "{voc}", "--output", "m.pt"], "--epochs N or --iterations N"),
    (["train", "{voc}", "--output", "m.pt", "--epochs", "1", "--val-list", "1234"], "1234"),
    (["convert", "no-such-folder", "out", "--format", "coco"], "does not exist"),
])
def test_user_errors_print_one_line_and_exit_2(arguments, message, tmp_path, sample_png, sample_voc_dir, capsys,
                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad_model = tmp_path / "bad.pt"
    bad_model.write_text("not a model")
    arguments = [a.format(png=sample_png, voc=sample_voc_dir, bad_model=bad_model) for a in arguments]
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_python_dash_m_runs_the_same_command_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "OssificationDetectorLib", "detect", str(tmp_path / "none.png"),
                             "--output", str(tmp_path / "d.json")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "does not exist" in result.stderr
