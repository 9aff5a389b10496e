"""Rule: nothing the user did not ask to replace is replaced (inputs, overlays, datasets, imports,
pseudo-labels), tried as a user would: real files on disk, the command in a real subprocess."""
import json
import shutil

import pytest
from PIL import Image

from cli_run import assert_one_line_error, run_cli
from OssificationDetectorLib.annotations.datasets import load_dataset
from OssificationDetectorLib.annotations.voc import read_voc, write_voc
from OssificationDetectorLib.core.boxes import AnnotatedImage, Box


@pytest.fixture
def radiographs(sample_pngs, tmp_path):
    folder = tmp_path / "radiographs"
    folder.mkdir()
    for png in sample_pngs[:2]:
        shutil.copyfile(png, folder / png.name)
    return folder


def _contents(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_overlay_into_the_folder_of_the_radiographs_is_refused_and_they_stay(radiographs, tiny_model_file, tmp_path):
    before = _contents(radiographs)
    ran = run_cli("detect", radiographs, "--output", tmp_path / "d.json", "--overlay", radiographs,
                  "--model", tiny_model_file[0], "--device", "cpu")
    assert_one_line_error(ran, "--overlay", "holds the input")
    assert _contents(radiographs) == before and not (tmp_path / "d.json").exists()


def test_output_onto_an_input_is_refused_and_the_radiograph_stays(radiographs, tiny_model_file):
    image = radiographs / "4221.png"
    before = image.read_bytes()
    ran = run_cli("detect", image, "--output", image, "--model", tiny_model_file[0], "--device", "cpu")
    assert_one_line_error(ran, "is one of the inputs")
    assert image.read_bytes() == before


def test_an_output_file_the_tool_did_not_write_needs_overwrite(radiographs, tiny_model_file, tmp_path):
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    ran = run_cli("detect", radiographs / "4221.png", "--output", notes, "--model", tiny_model_file[0])
    assert_one_line_error(ran, "exists: add --overwrite")
    assert notes.read_text() == '{"my": "notes"}'


def test_same_stems_get_separate_overlays_and_a_rerun_replaces_only_its_own(sample_png, tiny_model_file, tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copyfile(sample_png, tmp_path / sub / "x.png")
    overlay = tmp_path / "overlay"
    arguments = ("detect", tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", "--output", tmp_path / "d.json",
                 "--overlay", overlay, "--model", tiny_model_file[0], "--device", "cpu", "--threads", "1",
                 "--orientations", "upright", "--quiet")
    assert run_cli(*arguments).code == 0
    assert sorted(p.name for p in overlay.iterdir()) == ["x-2.png", "x.png"]
    assert run_cli(*arguments).code == 0  # its own overlays and detections.json are replaced
    (overlay / "x.png").unlink()
    shutil.copyfile(sample_png, overlay / "x.png")  # a radiograph, not an overlay
    ran = run_cli(*arguments)
    assert_one_line_error(ran, "is not an overlay of this tool")
    assert (overlay / "x.png").read_bytes() == sample_png.read_bytes()


def _one_image_dataset(folder, name, boxes, size=(200, 300)):
    """A VOC dataset folder with one real PNG."""
    (folder / "JPEGImages").mkdir(parents=True)
    Image.new("L", size, 80).save(folder / "JPEGImages" / name)
    write_voc(AnnotatedImage(name, *size, boxes), folder / "Annotations" / (name[:-4] + ".xml"),
              image_path=folder / "JPEGImages" / name)
    return folder


def test_convert_into_an_existing_coco_dataset_keeps_its_images(tmp_path):
    first = _one_image_dataset(tmp_path / "first", "a.png", [Box("DIP", 1, 2, 30, 40)])
    second = _one_image_dataset(tmp_path / "second", "b.png", [Box("Ulna", 5, 6, 50, 60)])
    target = tmp_path / "coco"
    assert run_cli("convert", first, target, "--format", "coco", "--quiet").code == 0
    assert run_cli("convert", second, target, "--format", "coco", "--quiet").code == 0
    merged = load_dataset(target)
    assert sorted(a.file for a in merged.images) == ["a.png", "b.png"]
    assert [b.label for a in merged.images for b in a.boxes if a.file == "a.png"] == ["DIP"]


def test_convert_refuses_a_yolo_class_list_in_another_order(tmp_path):
    source = _one_image_dataset(tmp_path / "src", "a.png", [Box("DIP", 1, 2, 30, 40)])
    target = tmp_path / "yolo"
    (target / "labels").mkdir(parents=True)
    (target / "classes.txt").write_text("Wrist\nUlna\nRadius\nMCP\nPIP\nDIP\n")
    (target / "labels" / "old.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (target / "images").mkdir()
    Image.new("L", (100, 100), 50).save(target / "images" / "old.png")
    ran = run_cli("convert", source, target, "--format", "yolo")
    assert_one_line_error(ran, "classes.txt", "change the meaning")
    assert (target / "classes.txt").read_text() == "Wrist\nUlna\nRadius\nMCP\nPIP\nDIP\n"
    assert (target / "labels" / "old.txt").read_text() == "0 0.5 0.5 0.2 0.2\n"
    assert not (target / "labels" / "a.txt").exists()


def test_convert_never_overwrites_an_edited_voc_file_without_overwrite(tmp_path):
    source = _one_image_dataset(tmp_path / "src", "a.png", [Box("DIP", 1, 2, 30, 40)])
    target = tmp_path / "voc"
    assert run_cli("convert", source, target, "--format", "voc", "--quiet").code == 0
    edited = target / "Annotations" / "a.xml"
    write_voc(AnnotatedImage("a.png", 200, 300, [Box("DIP", 1, 2, 30, 40), Box("PIP", 50, 60, 70, 80)]), edited)
    before = edited.read_bytes()
    assert run_cli("convert", source, target, "--format", "voc", "--quiet").code == 2
    assert edited.read_bytes() == before
    ran = run_cli("convert", source, target, "--format", "voc", "--quiet", "--overwrite")
    assert ran.code == 0 and len(read_voc(edited).boxes) == 1


def test_converting_the_same_dataset_again_is_not_a_clash(sample_voc_dir, tmp_path):
    for _ in range(2):
        assert run_cli("convert", sample_voc_dir, tmp_path / "coco", "--format", "coco", "--quiet").code == 0
    assert len(load_dataset(tmp_path / "coco").images) == len(load_dataset(sample_voc_dir).images)


def test_convert_stops_before_writing_when_an_image_name_holds_another_image(tmp_path):
    source = _one_image_dataset(tmp_path / "src", "a.png", [Box("DIP", 1, 2, 30, 40)])
    target = tmp_path / "coco"
    (target / "images").mkdir(parents=True)
    Image.new("L", (200, 300), 200).save(target / "images" / "a.png")  # someone else's a.png
    before = (target / "images" / "a.png").read_bytes()
    ran = run_cli("convert", source, target, "--format", "coco")
    assert_one_line_error(ran, "different image")
    assert (target / "images" / "a.png").read_bytes() == before and not (target / "annotations.json").exists()


def test_import_onto_an_existing_training_folder_replaces_nothing(tmp_path):
    from test_importers import HEIGHT, WIDTH, coco_keypoints_file, hand_keypoints

    images = tmp_path / "images"
    images.mkdir()
    Image.new("L", (WIDTH, HEIGHT), 90).save(images / "1.png")
    coco_keypoints_file(tmp_path / "k.json", [[hand_keypoints()]])
    out = tmp_path / "out"
    full = [Box(label, 10 + i, 10 + i, 40 + i, 40 + i) for i, label in enumerate(["DIP", "PIP", "MCP", "Radius"])]
    (out / "JPEGImages").mkdir(parents=True)
    Image.new("L", (WIDTH, HEIGHT), 30).save(out / "JPEGImages" / "1.png")
    write_voc(AnnotatedImage("1.png", WIDTH, HEIGHT, full), out / "Annotations" / "1.xml")
    before = _contents(out / "Annotations"), _contents(out / "JPEGImages")
    ran = run_cli("import", tmp_path / "k.json", "--kind", "hand-keypoints", "--output", out, "--image-root", images)
    assert_one_line_error(ran, "already holds", "--overwrite")
    assert (_contents(out / "Annotations"), _contents(out / "JPEGImages")) == before
    ran = run_cli("import", tmp_path / "k.json", "--kind", "hand-keypoints", "--output", out, "--image-root", images,
                  "--overwrite", "--quiet")
    assert ran.code == 0 and len(read_voc(out / "Annotations" / "1.xml").boxes) == 14


def test_pseudo_labels_never_replace_a_persons_annotation(tmp_path, sample_png):
    from OssificationDetectorLib.training.pseudo_labels import REJECTED_FILE, write_pseudo_label_folder

    folder = tmp_path / "labels"
    (folder / "JPEGImages").mkdir(parents=True)
    shutil.copyfile(sample_png, folder / "JPEGImages" / sample_png.name)
    width, height = Image.open(sample_png).size
    human = AnnotatedImage(sample_png.name, width, height, [Box("Radius", 10, 20, 300, 400)])
    write_voc(human, folder / "Annotations" / "4221.xml")
    before = (folder / "Annotations" / "4221.xml").read_bytes()
    pseudo = AnnotatedImage(str(sample_png), width, height, [Box("DIP", 1, 2, 30, 40, score=0.9)])
    saved = write_pseudo_label_folder([pseudo], [], folder, link=False)
    assert (folder / "Annotations" / "4221.xml").read_bytes() == before
    assert saved.images == [] and saved.kept[0][0] == "4221.png"
    assert "already annotated" in (folder / REJECTED_FILE).read_text()


def test_the_written_detections_name_what_went_wrong(radiographs, tiny_model_file, tmp_path):
    """A folder run with an unreadable file and a hidden macOS file: the others' results are written."""
    (radiographs / "._4221.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (radiographs / "broken.png").write_bytes((radiographs / "4221.png").read_bytes()[:2000])
    output = tmp_path / "d.json"
    ran = run_cli("detect", radiographs, "--output", output, "--model", tiny_model_file[0], "--device", "cpu",
                  "--threads", "1", "--orientations", "upright")
    assert ran.code == 1 and "Traceback" not in ran.err
    assert any("broken.png" in line for line in ran.error_lines)
    images = {entry["file"].rsplit("/", 1)[-1]: entry for entry in json.loads(output.read_text())["images"]}
    assert sorted(images) == ["4221.png", "6470.png", "broken.png"]  # the hidden file is no radiograph
    assert "error" in images["broken.png"] and "detections" in images["6470.png"]
    for line in ran.err.splitlines():  # error lines start their own line, never the progress bar's
        assert "error:" not in line or line.startswith("error:")


def test_an_interrupted_folder_run_keeps_what_was_done(sample_png, tiny_model_file, tmp_path):
    import fcntl
    import os
    import signal
    import subprocess
    import sys

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(200):
        shutil.copyfile(sample_png, folder / f"{i:03d}.png")
    output = tmp_path / "d.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "OssificationDetectorLib", "detect", str(folder), "--output", str(output),
         "--model", str(tiny_model_file[0]), "--device", "cpu", "--threads", "1", "--orientations", "upright",
         "--quiet"], stderr=subprocess.PIPE, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"),
        # A suite started in the background (`cmd &`) passes SIGINT on ignored: Ctrl-C as a terminal gives it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # A one-page pipe: the command can run at most a few dozen radiographs ahead of what is read here (each
    # writes a line), so however fast it is, Ctrl-C comes mid-run.
    fcntl.fcntl(process.stderr.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    for line in process.stderr:  # each radiograph's warnings come after its detection: then Ctrl-C
        if line.startswith(str(folder / "001.png")):
            process.send_signal(signal.SIGINT)
            break
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130 and "Traceback" not in err, err
    assert "results done so far are kept" in err
    done = json.loads(output.read_text())["images"]
    assert 2 <= len(done) < 200 and [e["file"] for e in done] == [str(folder / f"{i:03d}.png") for i in range(len(done))]
