"""Detection on real (randomly initialised) models: boxes in input pixels, threshold, batches."""
import numpy as np
import pytest
import torch

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.model.checkpoints import load_model
from OssificationDetectorLib.detection.detect import Detector, suppress_cross_class_duplicates
from OssificationDetectorLib.io.images import radiograph_from_array, read_radiograph
from OssificationDetectorLib.model.architectures import build_model
from OssificationDetectorLib.model.registry import RegistryError

torch.set_num_threads(1)


def test_resize_and_back_map_boxes_exactly_in_pixel_edge_coordinates():
    """torchvision's transform scales boxes by the ratio of the image sizes: a bright block whose
    edges are the box stays under the box after resizing, and the box maps back unchanged."""
    model = build_model(init="none", min_size=100, max_size=400).eval()
    image = torch.zeros(1, 200, 300)
    image[:, 40:120, 60:180] = 1.0  # rows 40..119, columns 60..179: box (60, 40, 180, 120)
    box = torch.tensor([[60.0, 40.0, 180.0, 120.0]])
    batch, targets = model.transform([image.expand(3, -1, -1)], [{"boxes": box, "labels": torch.tensor([1])}])
    resized_h, resized_w = batch.image_sizes[0]
    assert (resized_h, resized_w) == (100, 150)
    x1, y1, x2, y2 = targets[0]["boxes"][0].tolist()
    assert (x1, y1, x2, y2) == (30.0, 20.0, 90.0, 60.0)
    # The block's half-bright edge in the resized image lies on the scaled box (within 0.5 px).
    column = batch.tensors[0, 0, round((y1 + y2) / 2), :resized_w]
    bright = (column > column.max() * 0.5 + column.min() * 0.5).nonzero().flatten()
    assert abs(bright[0].item() - x1) <= 0.5 and abs(bright[-1].item() + 1 - x2) <= 0.5
    back = model.transform.postprocess([{"boxes": targets[0]["boxes"], "labels": torch.tensor([1]),
                                         "scores": torch.tensor([1.0])}], batch.image_sizes, [(200, 300)])
    assert torch.allclose(back[0]["boxes"], box, atol=1e-4)


@pytest.fixture
def tiny_detector(tiny_model_file):
    path, sha256 = tiny_model_file
    return Detector(str(path), device="cpu", threshold=0.0, postprocess=False, threads=1)


def test_boxes_are_in_the_input_images_pixels(tiny_detector, sample_png):
    radiograph = read_radiograph(sample_png)
    boxes = tiny_detector.detect(radiograph)
    assert boxes, "a random model still scores some boxes above zero"
    assert all(isinstance(b, Box) and b.score is not None for b in boxes)
    assert all(0 <= b.x1 < b.x2 <= radiograph.width and 0 <= b.y1 < b.y2 <= radiograph.height for b in boxes)
    # The model works at 128-160 px; boxes that large input pixels cover must reach past that size.
    assert max(b.x2 for b in boxes) > 200 or max(b.y2 for b in boxes) > 200
    scores = [b.score for b in boxes]
    assert scores == sorted(scores, reverse=True)


def test_detections_scale_with_the_input_image(tiny_detector):
    """The same picture at twice the size gives the same boxes at twice the coordinates."""
    rng = np.random.default_rng(0)
    small = rng.random((160, 128)).astype(np.float32)
    large = np.kron(small, np.ones((2, 2), dtype=np.float32))
    a = tiny_detector.detect(radiograph_from_array(small))
    b = tiny_detector.detect(radiograph_from_array(large))
    assert len(a) == len(b) > 0
    for box_a, box_b in zip(a[:5], b[:5]):
        assert box_a.label == box_b.label
        assert np.allclose(np.array(box_b.coords), 2 * np.array(box_a.coords), atol=2.0)


def test_threshold_drops_low_scores(tiny_model_file, sample_png):
    path, _ = tiny_model_file
    every = Detector(str(path), device="cpu", threshold=0.0, postprocess=False).detect(sample_png)
    cut = sorted(b.score for b in every)[len(every) // 2]
    kept = Detector(str(path), device="cpu", threshold=cut, postprocess=False).detect(sample_png)
    assert kept and len(kept) < len(every)
    assert all(b.score >= cut for b in kept)


def test_batch_gives_the_same_boxes_as_one_by_one(tiny_detector, sample_pngs):
    one_by_one = [tiny_detector.detect(p) for p in sample_pngs]
    batched = tiny_detector.detect_batch(sample_pngs)
    assert len(batched) == len(sample_pngs)
    for single, batch in zip(one_by_one, batched):
        assert len(single) == len(batch)
        for a, b in zip(single, batch):
            assert a.label == b.label and np.allclose(a.coords, b.coords, atol=1e-3)


def test_registered_model_is_checked_against_its_checksum(tiny_model_file, tmp_path, monkeypatch, sample_png):
    from OssificationDetectorLib.model.checkpoints import ModelFileError
    from OssificationDetectorLib.model.registry import register_bundled_model

    path, sha256 = tiny_model_file
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "tiny.pt").write_bytes(path.read_bytes())
    register_bundled_model(folder, "default", "tiny.pt", sha256, "mobilenet_v2_fpn")
    monkeypatch.setenv("OSSIFICATION_DETECTOR_MODELS", str(folder))
    assert Detector(device="cpu", threshold=0.0, postprocess=False).detect(sample_png)
    register_bundled_model(folder, "default", "tiny.pt", "0" * 64, "mobilenet_v2_fpn")
    with pytest.raises(ModelFileError, match="checksum"):
        Detector(device="cpu")
    with pytest.raises(RegistryError, match="No model named 'nonesuch'"):
        Detector("nonesuch", device="cpu")


def test_one_area_called_two_classes_keeps_the_better_score():
    boxes = [Box("DIP", 10, 10, 30, 30, score=0.6), Box("PIP", 11, 10, 31, 30, score=0.9),
             Box("MCP", 50, 50, 70, 70, score=0.8)]
    kept = suppress_cross_class_duplicates(boxes)
    assert [(b.label, b.score) for b in kept] == [("PIP", 0.9), ("MCP", 0.8)]


def test_model_object_can_be_passed_in_memory(tiny_model_file, sample_png):
    path, _ = tiny_model_file
    model, metadata = load_model(path)
    detector = Detector((model, metadata), device="cpu", threshold=0.0, postprocess=True)
    boxes = detector.detect(sample_png)
    counts = {}
    for b in boxes:
        counts[b.label] = counts.get(b.label, 0) + 1
    from OssificationDetectorLib.core.taxonomy import EXPECTED_COUNTS
    assert all(counts[label] <= EXPECTED_COUNTS[label] for label in counts)  # anatomy post-processing ran


def test_reduced_precision_backbone_keeps_float32_boxes(tiny_model_file, sample_png):
    """On a GPU the backbone runs in bf16; the heads stay float32 so box corners are not rounded.
    CPU autocast supports bf16 too, so the same code path is checked here."""
    from OssificationDetectorLib.model.architectures import autocast_backbone

    model, _ = load_model(tiny_model_file[0])
    backbone = model.backbone
    image = torch.rand(1, 150, 120, generator=torch.Generator().manual_seed(5))
    with torch.inference_mode():
        exact = model([image])[0]
        with autocast_backbone(model, torch.bfloat16):
            reduced = model([image])[0]
    assert model.backbone is backbone
    assert reduced["boxes"].dtype == torch.float32 and len(reduced["boxes"]) > 0
    # Corners decoded in bf16 would all be bf16 numbers (steps of 0.5-1 px at this size).
    boxes = reduced["boxes"]
    assert (boxes.bfloat16().float() != boxes).any()
    assert len(exact["boxes"]) > 0


def test_the_bundled_default_model_finds_the_areas_of_the_held_out_samples(sample_pngs, sample_voc_dir):
    """The three samples were held out of the default model's training (see its model card)."""
    from OssificationDetectorLib.annotations.datasets import load_dataset
    from OssificationDetectorLib.evaluation.evaluate import evaluate
    from OssificationDetectorLib.model.registry import bundled_models_dir, resolve_model

    if not (bundled_models_dir() / "models.json").is_file():
        pytest.skip("no bundled default model in Resources/Models")
    path, sha256 = resolve_model("default")
    detector = Detector("default", device="cpu", threshold=0.5, threads=1)
    truths = {ann.file: ann for ann in load_dataset(sample_voc_dir).images}
    detections = detector.detect_batch(sample_pngs)
    result = evaluate(detections, [truths[p.name] for p in sample_pngs])
    assert sha256 is not None and path.stat().st_size <= 40e6
    assert result.centre_overall.f1 >= 0.9
    assert all(len(boxes) <= 17 for boxes in detections)
