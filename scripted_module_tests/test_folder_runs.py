"""Folder runs: files are decoded ahead of the detector, in order, a bad file costs only itself; batches
give what one at a time gives; the run ends with its throughput. And the Detect timing split."""
import json
import shutil
import threading

import pytest

from OssificationDetectorLib.cli.main import main
from OssificationDetectorLib.detection.timing import DetectTimer
from OssificationDetectorLib.io.images import RadiographError, read_radiograph
from OssificationDetectorLib.io.read_ahead import read_ahead


def test_read_ahead_gives_every_file_in_order_with_its_error(sample_pngs, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    files = [sample_pngs[0], empty, tmp_path / "gone.png", *sample_pngs[1:]]
    read = list(read_ahead(files, ahead=2))
    assert [index for index, _ in read] == list(range(len(files)))
    assert isinstance(read[1][1], RadiographError) and "empty" in str(read[1][1])
    assert isinstance(read[2][1], (RadiographError, OSError))
    for (_, radiograph), path in zip(read[3:], sample_pngs[1:]):
        assert (radiograph.width, radiograph.height) == (read_radiograph(path).width, read_radiograph(path).height)


def test_read_ahead_uses_a_first_radiograph_already_read_and_reads_in_another_thread(sample_pngs):
    threads, first = [], read_radiograph(sample_pngs[0])

    def read(path):
        threads.append(threading.current_thread().name)
        return read_radiograph(path)

    read = list(read_ahead(sample_pngs, read, first=first))
    assert read[0][1] is first and len(threads) == len(sample_pngs) - 1
    assert all(name.startswith("read-ahead") for name in threads)


def test_a_stopped_run_reads_no_further_than_it_looked_ahead(sample_png):
    reads = []

    def read(path):
        reads.append(path)
        return read_radiograph(path)

    reading = read_ahead([sample_png] * 20, read, ahead=3)
    next(reading), next(reading)
    reading.close()
    assert len(reads) <= 2 + 3 + 1  # the two used, three ahead, and one started as the consumer left


@pytest.fixture
def folder(sample_pngs, tmp_path):
    folder = tmp_path / "radiographs"
    folder.mkdir()
    for png in sample_pngs:
        shutil.copyfile(png, folder / png.name)
    (folder / "broken.png").write_bytes(b"not a png")
    return folder


def test_a_folder_run_in_batches_finds_what_one_at_a_time_finds_and_reports_throughput(
        tiny_model_file, folder, tmp_path, capsys):
    found = {}
    for batch in (1, 3):
        output = tmp_path / f"batch-{batch}.json"
        code = main(["detect", str(folder), "--output", str(output), "--model", str(tiny_model_file[0]),
                     "--device", "cpu", "--threads", "1", "--threshold", "0.05", "--orientations", "upright",
                     "--batch-size", str(batch)])
        assert code == 1  # the broken file is reported, the others are done
        assert f"radiographs per second (cpu, batches of {batch}" in capsys.readouterr().out
        found[batch] = json.loads(output.read_text())["images"]
    assert [e["file"] for e in found[1]] == [e["file"] for e in found[3]] == sorted(map(str, folder.iterdir()))
    assert ["error" in e for e in found[1]] == ["error" in e for e in found[3]] == [
        p.name == "broken.png" for p in sorted(folder.iterdir())]
    assert sum(len(e.get("detections", [])) for e in found[1]) > 0
    for one, batched in zip(found[1], found[3]):
        assert len(one.get("detections", [])) == len(batched.get("detections", []))
        for a, b in zip(one.get("detections", []), batched.get("detections", [])):
            assert a["label"] == b["label"] and abs(a["score"] - b["score"]) < 1e-3
            assert max(abs(x - y) for x, y in zip(a["box"], b["box"])) < 0.5


def test_the_detect_timer_splits_the_time_and_says_so_in_one_line():
    ticks = iter([0.0, 2.5, 2.5, 2.9, 2.9, 3.0, 10.0, 10.2])
    timer = DetectTimer(clock=lambda: next(ticks))
    with timer.stage("imports"):
        pass
    with timer.stage("load"):
        pass
    with timer.stage("detection"):
        pass
    with timer.stage("detection"):  # a second radiograph adds up (0.1 + 0.2 s)
        pass
    assert timer.log_line() == "Detect took 3.20 s: imports 2.50 s, model load 0.40 s, detection 0.30 s"
    assert DetectTimer().log_line() == "Detect took 0.00 s: detection 0.00 s"
    with pytest.raises(ValueError, match="unknown stage"):
        with timer.stage("decode"):
            pass
