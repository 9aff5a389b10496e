"""The benchmark's parts on a tiny radiograph and an untrained model (timings are printed, not tested)."""
import json

import numpy as np
import pytest
from PIL import Image

from OssificationDetectorLib.evaluation.benchmark import (
    REFERENCE, BenchmarkError, Measurement, measure, median_size_images, run_benchmark,
)
from OssificationDetectorLib.evaluation.benchmark_command import format_results


@pytest.fixture
def tiny_radiograph(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.png"
    Image.fromarray(rng.integers(0, 255, (160, 128), dtype=np.uint8)).save(path)
    return path


def test_measure_an_untrained_model_on_the_cpu(tiny_radiograph):
    result = measure(("untrained", "mobilenet_v2_fpn"), [tiny_radiograph, tiny_radiograph], "cpu", threads=1, repeats=2)
    assert result.device == "cpu" and result.threads == 1 and result.images == 2
    assert len(result.seconds_per_image_all) == 2 and result.seconds_per_image > 0
    assert result.load_seconds > 0 and result.parameters > 1e6
    assert result.peak_memory_mb > 50  # the whole process: Python, torch and the model
    assert result.input_size == "512-640" and result.model == "mobilenet_v2_fpn (untrained)"
    assert result.images_per_second is None  # no batch asked for
    assert 0 < result.peak_above_torch_mb < result.peak_memory_mb
    assert result.folder_seconds_per_image > 0
    assert list(result.stage_ms) == ["decode", "preprocess", "backbone", "rpn", "heads", "anatomy"]
    assert all(ms > 0 for ms in result.stage_ms.values())
    assert result.orientation_seconds == {}  # an untrained model finds no hand to turn


def test_a_model_file_is_timed_upright_turned_mirrored_and_on_young_hands(tiny_radiograph, tiny_model_file):
    result = measure(("model", str(tiny_model_file[0])), [tiny_radiograph], "cpu", threads=1, repeats=1,
                     young_paths=[tiny_radiograph])
    assert list(result.orientation_seconds) == ["upright", "turned", "mirrored", "young"]
    assert all(seconds > 0 for seconds in result.orientation_seconds.values())
    table = format_results([result])
    assert "ms per stage" in table and "turned" in table and "mirrored" in table


def test_batched_throughput_runs_on_any_device(tiny_radiograph):
    # run_benchmark asks for batches on a GPU only; the code is the same on the CPU.
    result = measure(("untrained", "mobilenet_v2_fpn"), [tiny_radiograph], "cpu", threads=1, repeats=1,
                     batch_size=2, rounds=1)
    assert result.batch_size == 2 and result.images_per_second > 0 and result.network_images_per_second > 0


def test_results_table_gives_the_ratio():
    ours = Measurement("default", "cpu", 2, 3, "512-640", 6_000_000, 0.4, 0.25, [0.25], 12.0, 900.0)
    reference = Measurement(REFERENCE, "cpu", 2, 3, "800-1333", 41_000_000, 1.0, 2.0, [2.0], 0.0, 1500.0)
    loaded = Measurement("default (as loaded)", "cpu", 2, 3, "512-640", 6_000_000, 0.4, 0.5, [0.5], 12.0, 900.0)
    table = format_results([ours, loaded, reference])
    assert "cpu: the reference takes 8.00 times as long per radiograph as default" in table
    assert "cpu: default (as loaded) takes 2.00 times as long per radiograph as prepared for inference" in table
    assert "fasterrcnn_resnet50_fpn" in table.splitlines()[3]


def test_the_table_sets_each_target_against_this_run():
    ours = Measurement("default", "cpu", 2, 3, "512-640", 6_000_000, 0.4, 0.09, [0.09], 5.0, 900.0,
                       peak_above_torch_mb=300.0, imports_above_torch_mb=170.0, triton_imported=True,
                       folder_seconds_per_image=0.095,
                       orientation_seconds={"upright": 0.1, "turned": 0.12, "mirrored": 0.16})
    reference = Measurement(REFERENCE, "cpu", 2, 3, "800-1333", 41_000_000, 1.0, 2.0, [2.0], 0.0, 1500.0,
                            folder_seconds_per_image=2.1)
    table = format_results([ours, reference])
    assert "folder run <= 0.10 s per radiograph: 0.095 s, met" in table
    assert "about 30x the reference in a folder run: 22.1x, NOT met" in table
    assert "turned <= 1.5x upright: 1.20x, met" in table and "mirrored <= 1.5x upright: 1.60x, NOT met" in table
    assert "peak memory <= 250 MB above `import torch`: 300 MB, NOT met" in table
    assert "170 MB is importing torchvision and the Lib (torchvision brought in triton" in table


def test_median_size_images(tmp_path):
    entries = [{"id": str(i), "file": f"images/{i}.png", "width": w, "height": h}
               for i, (w, h) in enumerate([(100, 100), (640, 810), (650, 800), (2000, 2000), (600, 800)])]
    (tmp_path / "manifest.json").write_text(json.dumps(entries))
    # median 640 x 800: entries 1 and 2 are 10 px off, entry 4 is 40 px off
    assert [p.name for p in median_size_images(tmp_path, 2)] == ["1.png", "2.png"]


def test_no_images_is_an_error():
    with pytest.raises(BenchmarkError, match="No radiographs"):
        run_benchmark([])
