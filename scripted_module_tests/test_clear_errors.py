"""Rules: every bad input gets one line and no traceback, checked before any work (and before torch is
imported); models are verified; a bug gets a traceback with a hint. Real files, real subprocesses."""
import io
import json
import subprocess
import sys

import pytest
import torch

from cli_run import assert_one_line_error, run_cli
from OssificationDetectorLib.model.checkpoints import ModelFileError, read_model_file
from OssificationDetectorLib.model.registry import bundled_models_dir, register_user_model, resolve_model


@pytest.mark.parametrize("arguments, fragment", [
    (["detect", "{png}", "--output", "d.json", "--threshold", "1.5"], "--threshold"),
    (["detect", "{png}", "--output", "d.json", "--threshold", "nan"], "not a finite number"),
    (["detect", "{png}", "--output", "d.json", "--threads", "0"], "--threads"),
    (["train", "{voc}", "--output", "m.pt", "--epochs", "1", "--batch-size", "0"], "--batch-size"),
    (["train", "{voc}", "--output", "m.pt", "--epochs", "-2"], "--epochs"),
    (["train", "{voc}", "--output", "m.pt", "--epochs", "1", "--lr", "nan"], "--lr"),
    (["train", "{voc}", "--output", "m.pt", "--epochs", "1", "--lr", "0"], "--lr"),
    (["train", "{voc}", "--output", "m.pt", "--epochs", "1", "--val-fraction", "1"], "--val-fraction"),
    (["benchmark", "--repeats", "0"], "--repeats"),
    (["benchmark", "--threads", "-1"], "--threads"),
    (["pseudo-label", "{png}", "--output", "out", "--min-score", "2"], "--min-score"),
    (["evaluate", "d.json", "{voc}", "--output", "r", "--threshold", "-0.1"], "--threshold"),
    (["detect", "--output", "d.json"], "IMAGE_OR_FOLDER"),
])
def test_bad_numbers_and_usage_are_one_line_with_status_2(arguments, fragment, sample_png, sample_voc_dir, tmp_path):
    ran = run_cli(*[a.format(png=sample_png, voc=sample_voc_dir) for a in arguments], cwd=tmp_path)
    assert_one_line_error(ran, fragment)
    assert list(tmp_path.iterdir()) == []


def _refused_without_torch(arguments, tmp_path):
    """Run main() in a fresh interpreter; (exit status, stderr, whether torch got imported)."""
    code = ("import sys\nfrom OssificationDetectorLib.cli.main import main\n"
            "try:\n    status = main(sys.argv[1:])\nexcept SystemExit as exit:\n    status = exit.code\n"
            "print('torch imported' if 'torch' in sys.modules else 'no torch', file=sys.stderr)\n"
            "sys.exit(status)\n")
    result = subprocess.run([sys.executable, "-c", code, *map(str, arguments)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    return result.returncode, result.stderr


def test_help_models_convert_and_every_refusal_start_without_torch(tmp_path, sample_png, sample_voc_dir,
                                                                   tiny_model_file):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "no-annotations").mkdir()
    cases = [
        (["--help"], 0),
        (["detect", "--help"], 0),
        (["models"], 0),
        (["convert", sample_voc_dir, tmp_path / "coco", "--format", "coco", "--quiet"], 0),
        (["detect", tmp_path / "missing.png", "--output", "d.json"], 2),
        (["detect", sample_png, "--output", a_file / "d.json"], 2),          # a file where a folder is needed
        (["detect", sample_png, "--output", tmp_path / "folder.json"], 2),   # an existing folder as the file
        (["detect", sample_png, "--output", "d.json", "--overlay", a_file], 2),
        (["detect", sample_png, "--output", "d.json", "--model", tmp_path / "none.pt"], 2),
        (["detect", sample_png, "--output", "d.json", "--model", "no-such-name"], 2),
        (["detect", sample_png, "--output", "d.json", "--threads", "0"], 2),
        (["train", sample_voc_dir, "--output", a_file / "m.pt", "--epochs", "1"], 2),
        (["train", sample_voc_dir, "--output", "m.pt", "--epochs", "1", "--register", "default"], 2),
        (["train", sample_voc_dir, "--output", "m.pt", "--epochs", "1", "--resume"], 2),
        (["train", tmp_path / "no-data", "--output", "m.pt", "--epochs", "1"], 2),
        (["train", tmp_path / "no-annotations", "--output", "m.pt", "--epochs", "1"], 2),
        (["detect", tmp_path / "no-annotations", "--output", "d.json"], 2),  # a folder with no radiographs
        (["evaluate", tmp_path / "none.json", sample_voc_dir, "--output", "r"], 2),
        (["evaluate", tiny_model_file[0], sample_voc_dir, "--output", a_file], 2),
        (["import", tmp_path / "none.json", "--kind", "hand-keypoints", "--output", "o"], 2),
        (["pseudo-label", sample_png, "--output", a_file], 2),
        (["models", "--remove", "default"], 2),
    ]
    for arguments, expected in cases:
        status, err = _refused_without_torch(arguments, tmp_path)
        assert (status, err.strip().splitlines()[-1]) == (expected, "no torch"), (arguments, err)
        assert "Traceback" not in err, (arguments, err)
        if expected:
            assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1, (arguments, err)
    assert not (tmp_path / "m.pt.train-state.pt").exists() and not (tmp_path / "d.json").exists()


def test_a_bug_gives_a_traceback_with_a_hint_and_status_3(monkeypatch, capsys, tmp_path):
    import importlib

    cli_main = importlib.import_module("OssificationDetectorLib.cli.main")

    def broken(args):
        raise ZeroDivisionError("an internal mistake")

    parser = cli_main.parser

    def parser_with_bug():
        top = parser()
        top._subparsers._group_actions[0].choices["models"].set_defaults(run=broken)
        return top

    monkeypatch.setattr(cli_main, "parser", parser_with_bug)
    assert cli_main.main(["models"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err and "please report it" in err


def test_evaluate_detections_of_part_of_the_dataset(sample_voc_dir, tmp_path):
    from OssificationDetectorLib.annotations.datasets import load_dataset

    images = load_dataset(sample_voc_dir).images
    part = {"images": [{"file": a.file, "width": a.width, "height": a.height,
                        "detections": [{"label": b.label, "score": 0.9, "box": b.coords} for b in a.boxes]}
                       for a in images[:1]]}
    (tmp_path / "d.json").write_text(json.dumps(part))
    ran = run_cli("evaluate", tmp_path / "d.json", sample_voc_dir, "--output", tmp_path / "report")
    assert ran.code == 0 and "Traceback" not in ran.err, ran.err
    assert f"{len(images) - 1} of the dataset's {len(images)} images have no detections" in ran.out
    assert "on 1 images" in ran.out and (tmp_path / "report" / "report.json").is_file()
    (tmp_path / "none.json").write_text(json.dumps({"images": [{"file": "other.png", "width": 5, "height": 5,
                                                                "detections": []}]}))
    assert_one_line_error(run_cli("evaluate", tmp_path / "none.json", sample_voc_dir, "--output", tmp_path / "r2"),
                          "None of the dataset's images")


def test_register_refuses_bundled_and_taken_names_and_models_remove_unregisters(tiny_model_file, tmp_path):
    path = tiny_model_file[0]
    assert_one_line_error(run_cli("models", "--add", "default", path), "bundled model")
    assert run_cli("models", "--add", "mine", path).code == 0
    assert_one_line_error(run_cli("models", "--add", "mine", path), "registered already", "--overwrite")
    assert run_cli("models", "--add", "mine", path, "--overwrite").code == 0
    listed = json.loads(run_cli("models", "--json").out)
    assert [(m["name"], m["source"]) for m in listed][:2] == [("mine", "user"), ("default", "bundled")]
    ran = run_cli("models", "--remove", "mine")
    assert ran.code == 0 and "is kept" in ran.out and path.is_file()
    assert [m["name"] for m in json.loads(run_cli("models", "--json").out)] == ["default"]
    assert_one_line_error(run_cli("models", "--remove", "mine"), "No user model named 'mine'")
    assert_one_line_error(run_cli("models", "--remove", "default"), "cannot be removed")


def _tampered_copy(source, target):
    """The model file with one weight changed, its stored checksum left as it was."""
    payload = torch.load(source, weights_only=True)
    name = sorted(payload["state_dict"])[0]
    payload["state_dict"][name] = payload["state_dict"][name].clone()
    payload["state_dict"][name].view(-1)[0] += 1.0
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    target.write_bytes(buffer.getvalue())
    return target


def test_a_changed_weight_is_refused_by_path_and_by_name(tiny_model_file, tmp_path, sample_png):
    tampered = _tampered_copy(tiny_model_file[0], tmp_path / "tampered.pt")
    with pytest.raises(ModelFileError, match="do not match the checksum stored with them"):
        read_model_file(tampered)
    ran = run_cli("detect", sample_png, "--output", tmp_path / "d.json", "--model", tampered)
    assert_one_line_error(ran, "do not match the checksum")
    registered = tmp_path / "registered.pt"
    registered.write_bytes(tiny_model_file[0].read_bytes())
    register_user_model("mine", registered)
    registered.write_bytes(tampered.read_bytes())  # replaced behind the registry's back
    assert_one_line_error(run_cli("detect", sample_png, "--output", tmp_path / "d.json", "--model", "mine"),
                          "does not match its registered checksum")
    assert_one_line_error(run_cli("detect", sample_png, "--output", tmp_path / "d.json", "--model", registered),
                          "does not match its registered checksum")


def test_non_model_files_get_one_line_that_never_suggests_an_unsafe_load(tmp_path, sample_png):
    import pickle

    (tmp_path / "text.pt").write_text("a text file, not a model\n")
    (tmp_path / "pickle.pt").write_bytes(pickle.dumps({"code": print}))
    torch.save({"weights": torch.zeros(2)}, tmp_path / "state.pt")
    for name in ("text.pt", "pickle.pt", "state.pt"):
        ran = run_cli("detect", sample_png, "--output", tmp_path / "d.json", "--model", tmp_path / name)
        assert_one_line_error(ran, name)
        assert "weights_only" not in ran.err and "KeyError" not in ran.err


def test_the_bundled_model_loads_by_name_and_path(tmp_path):
    path, sha256 = resolve_model("default")
    assert sha256 and resolve_model(str(path)) == (path, sha256)
    state, metadata = read_model_file(path, sha256)
    assert metadata["architecture"] and state
    copy = tmp_path / "copy.pt"
    copy.write_bytes(path.read_bytes())
    assert read_model_file(copy)[1]["architecture"] == metadata["architecture"]  # it carries its weights' checksum
    assert bundled_models_dir() in path.parents


def test_a_model_file_of_the_old_format_loads_registered_but_an_unregistered_one_is_refused(tmp_path, tiny_model_file):
    """Files written before model files carried a checksum of their weights (v1-v3 were)."""
    payload = torch.load(tiny_model_file[0], map_location="cpu", weights_only=True)
    del payload["weights_sha256"]
    old = tmp_path / "old.pt"
    torch.save(payload, old)
    with pytest.raises(ModelFileError, match="without a checksum of its weights.*models --add"):
        read_model_file(old)
    register_user_model("my-old", old)  # the user vouches for it
    assert read_model_file(*resolve_model("my-old"))[1]["architecture"]
