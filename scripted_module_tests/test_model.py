"""The detector network and its model files: every init offline, save/load, and each bad file."""
import io
import json

import pytest
import torch

from OssificationDetectorLib.model.checkpoints import (ModelFileError, load_model, model_metadata, read_model_file,
                                                 save_model)
from OssificationDetectorLib.model.architectures import ModelBuildError, build_model, parameter_count

torch.set_num_threads(1)
SMALL = dict(min_size=128, max_size=160)


def _image(seed=0, height=150, width=120):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(1, height, width, generator=generator)


def test_from_scratch_builds_and_trains_on_one_channel_images():
    torch.manual_seed(0)
    model = build_model("mobilenet_v2_fpn", init="none", **SMALL)
    target = {"boxes": torch.tensor([[10.0, 20.0, 50.0, 70.0]]), "labels": torch.tensor([2])}
    losses = model([_image()], [target])
    assert set(losses) == {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"}
    assert all(torch.isfinite(v) for v in losses.values())
    assert model.roi_heads.box_predictor.cls_score.out_features == 7  # six classes + background


def test_default_model_fits_the_40_mb_limit(tmp_path):
    model = build_model("mobilenet_v2_fpn", init="none")
    assert 4e6 < parameter_count(model) < 8e6
    save_model(tmp_path / "m.pt", model, model_metadata("mobilenet_v2_fpn", 512, 640))
    assert (tmp_path / "m.pt").stat().st_size <= 40e6


def test_imagenet_init_loads_the_offline_weights(imagenet_weights):
    weights = torch.load(imagenet_weights, weights_only=True)
    model = build_model("mobilenet_v2_fpn", init="imagenet", **SMALL)
    first_conv = model.backbone.stages[0][0][0].weight
    assert torch.equal(first_conv, weights["features.0.0.weight"])
    # The stem stays frozen; the rest of the backbone learns.
    assert not first_conv.requires_grad
    assert model.backbone.stages[2][0].conv[0][0].weight.requires_grad


def test_trainable_layers_freeze_the_shallow_blocks():
    model = build_model("mobilenet_v2_fpn", init="none", trainable_backbone_layers=11, **SMALL)
    stride_8_stage, stride_16_stage = model.backbone.stages[0], model.backbone.stages[1]
    assert not any(p.requires_grad for p in stride_8_stage.parameters())
    assert all(p.requires_grad for p in stride_16_stage.parameters())
    with pytest.raises(ModelBuildError, match="0..18"):
        build_model("mobilenet_v2_fpn", init="none", trainable_backbone_layers=19)


def test_coco_init_offline_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    for variable in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")  # nothing listens there: offline
    with pytest.raises(ModelBuildError, match="imagenet") as error:
        build_model("mobilenet_v3_large_fpn", init="coco", **SMALL)
    assert "COCO" in str(error.value)


def test_architectures_and_inits_are_checked():
    with pytest.raises(ModelBuildError, match="Unknown architecture"):
        build_model("yolo", init="none")
    with pytest.raises(ModelBuildError, match="Unknown init"):
        build_model(init="cityscapes")
    with pytest.raises(ModelBuildError, match="no COCO"):
        build_model("mobilenet_v2_fpn", init="coco")


def test_torchvision_architecture_from_scratch_saves_and_loads(tmp_path):
    model = build_model("mobilenet_v3_large_fpn", init="none", **SMALL)
    save_model(tmp_path / "v3.pt", model, model_metadata("mobilenet_v3_large_fpn", 128, 160))
    loaded, metadata = load_model(tmp_path / "v3.pt")
    assert metadata["architecture"] == "mobilenet_v3_large_fpn"
    assert loaded.state_dict().keys() == model.state_dict().keys()


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(1)
    model = build_model("mobilenet_v2_fpn", init="none", **SMALL).eval()
    path = tmp_path / "model.pt"
    sha256 = save_model(path, model, model_metadata("mobilenet_v2_fpn", 128, 160, note="round trip"))
    return model, path, sha256


def test_save_load_round_trip_gives_equal_detections(saved):
    model, path, sha256 = saved
    loaded, metadata = load_model(path, sha256)
    assert metadata["note"] == "round trip" and metadata["preprocessing"]["min_size"] == 128
    assert not loaded.training
    with torch.inference_mode():
        expected, actual = model([_image(3)])[0], loaded([_image(3)])[0]
    assert len(expected["boxes"]) > 0
    for key in ("boxes", "scores", "labels"):
        assert torch.equal(expected[key], actual[key])
    assert not list(path.parent.glob(".*tmp"))  # the atomic write left nothing behind


def test_tampered_file_fails_its_checksum(saved):
    _, path, sha256 = saved
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(path, sha256)


def test_truncated_file_is_reported(saved):
    _, path, _ = saved
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(path)


def test_missing_and_foreign_files_are_reported(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "nothing.pt")
    (tmp_path / "notes.pt").write_text("not a model")
    with pytest.raises(ModelFileError, match="not an OssificationDetector model file") as refused:
        load_model(tmp_path / "notes.pt")
    assert "weights_only" not in str(refused.value)  # torch's advice would run the file's code
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ModelFileError, match="not an OssificationDetector model"):
        load_model(tmp_path / "other.pt")


def _rewrite_metadata(path, **changes):
    payload = torch.load(path, weights_only=True)
    metadata = json.loads(payload["metadata"])
    metadata.update(changes)
    payload["metadata"] = json.dumps(metadata)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path.write_bytes(buffer.getvalue())


def test_model_for_other_classes_is_refused_by_name(saved):
    _, path, _ = saved
    _rewrite_metadata(path, classes=["Cat", "Dog"])
    with pytest.raises(ModelFileError, match="this model detects Cat, Dog; OssificationDetector needs .*DIP, PIP"):
        read_model_file(path)


def test_unknown_architecture_is_refused(saved):
    _, path, _ = saved
    _rewrite_metadata(path, architecture="detr_resnet101")
    with pytest.raises(ModelFileError, match="detr_resnet101"):
        load_model(path)
