"""The model prepared for inference (model/inference.py) finds what the model as loaded finds, on the
sample radiographs, and batches of radiographs give what one at a time gives."""
import pytest

from OssificationDetectorLib.detection.detect import Detector
from OssificationDetectorLib.io.images import read_radiograph

# Stated tolerances: boxes within half a pixel, scores within 1e-3, the same labels. (Measured on the
# samples: 6e-5 px and 5e-7 prepared against as loaded, 0.02 px and 2e-5 batched against single.)
BOX_PX = 0.5
SCORE = 1e-3
# Boxes compared: those from this score up, found within the tolerance among the other's (kept from
# a lower score, so that one just at the cut is still found there).
COMPARED_FROM = 0.1
KEPT_FROM = 0.05


def assert_same_detections(expected, found, compared_from=COMPARED_FROM):
    expected = [box for box in expected if box.score >= compared_from]
    assert len(expected) >= 10  # a hand was found: the comparison is not of two empty lists
    assert len([box for box in found if box.score >= compared_from + SCORE]) <= len(expected)
    for box in expected:
        near = [other for other in found if other.label == box.label
                and max(abs(box.x1 - other.x1), abs(box.y1 - other.y1),
                        abs(box.x2 - other.x2), abs(box.y2 - other.y2)) <= BOX_PX]
        assert any(abs(other.score - box.score) <= SCORE for other in near), (box, near)


@pytest.fixture
def radiographs(sample_pngs):
    return [read_radiograph(path) for path in sample_pngs]


@pytest.fixture(scope="module")
def as_loaded():
    return Detector("default", device="cpu", threshold=KEPT_FROM, postprocess=False, threads=2, prepare=False)


@pytest.fixture(scope="module")
def prepared():
    return Detector("default", device="cpu", threshold=KEPT_FROM, postprocess=False, threads=2, batch_size=3)


def test_folding_layout_and_resizing_once_find_what_the_loaded_model_finds(radiographs, as_loaded, prepared):
    for radiograph in radiographs:
        assert_same_detections(as_loaded.detect(radiograph), prepared.detect(radiograph))
        assert_same_detections(prepared.detect(radiograph), as_loaded.detect(radiograph))


def test_a_batch_finds_what_one_at_a_time_finds(radiographs, prepared):
    assert len({(r.width, r.height) for r in radiographs}) == len(radiographs)  # padded to one size in a batch
    for single, batched in zip([prepared.detect(r) for r in radiographs], prepared.detect_batch(radiographs)):
        assert_same_detections(single, batched)
        assert_same_detections(batched, single)


def test_preparation_folds_every_batch_norm_and_leaves_a_model_in_memory_as_it_was():
    from torchvision.ops import FrozenBatchNorm2d

    from OssificationDetectorLib.model.architectures import build_model
    from OssificationDetectorLib.model.inference import fold_frozen_batch_norms

    model = build_model("mobilenet_v2_fpn", init="none")
    norms = sum(isinstance(m, FrozenBatchNorm2d) for m in model.modules())
    trainable = sum(p.requires_grad for p in model.parameters())
    detector = Detector((model, {}), device="cpu", threads=1)
    assert detector.model is not model  # the caller's (training's) model is not changed
    assert sum(isinstance(m, FrozenBatchNorm2d) for m in model.modules()) == norms > 50
    assert sum(p.requires_grad for p in model.parameters()) == trainable
    assert not any(isinstance(m, FrozenBatchNorm2d) for m in detector.model.modules())
    assert fold_frozen_batch_norms(detector.model) == 0  # preparing again changes nothing


def test_on_the_cpu_each_convolution_and_its_relu6_run_as_one():
    import torch
    from torch import nn

    from OssificationDetectorLib.model.architectures import build_model
    from OssificationDetectorLib.model.inference import fuse_convolutions_with_relu6

    if not torch.backends.mkldnn.is_available():
        pytest.skip("this torch has no oneDNN: its convolutions run as they are")
    model = build_model("mobilenet_v2_fpn", init="none")
    relu6 = sum(isinstance(m, nn.ReLU6) for m in model.modules())
    detector = Detector((model, {}), device="cpu", threads=1)
    assert relu6 == 34 and not any(isinstance(m, nn.ReLU6) for m in detector.model.modules())
    assert fuse_convolutions_with_relu6(detector.model) == 0
    backbone, x = model.backbone.eval(), torch.rand(1, 3, 160, 128)
    with torch.inference_mode():
        expected, found = backbone(x), detector.model.backbone(x)
    assert all(torch.allclose(found[k], expected[k], atol=1e-4) for k in expected)


def test_the_reference_resnet_layout_is_folded_too():
    import torch
    from torchvision.models import resnet18
    from torchvision.ops import FrozenBatchNorm2d

    from OssificationDetectorLib.model.inference import fold_frozen_batch_norms

    torch.manual_seed(0)
    net = resnet18(norm_layer=FrozenBatchNorm2d).eval()
    for m in net.modules():
        if isinstance(m, FrozenBatchNorm2d):  # not the identity: folding must carry real statistics
            m.weight.uniform_(0.5, 1.5), m.bias.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2), m.running_var.uniform_(0.5, 2.0)
    x = torch.rand(1, 3, 96, 96)
    with torch.inference_mode():
        expected = net(x)
        assert fold_frozen_batch_norms(net) == 20  # conv1/bn1 ... and the downsample pairs
        assert torch.allclose(net(x), expected, atol=1e-4, rtol=1e-4)
