"""The separable RoIAlign (model/roi_pooling.py) gives torchvision's RoIAlign values: regions inside,
across and outside the map's edges, smaller than a cell and larger than the map, several images,
either memory layout, and torchvision's MultiScaleRoIAlign on a real model's features."""
import pytest
import torch
from torchvision.ops import MultiScaleRoIAlign, roi_align

from OssificationDetectorLib.model.roi_pooling import roi_align_separable, separable_class, use_separable_pooling

TOLERANCE = 1e-4  # float rounding: sums of the same products in another order (measured 4e-5)


def _regions(count, images, width, height, generator):
    corner = torch.rand(count, 2, generator=generator) * torch.tensor([width * 1.2, height * 1.2]) - 0.1 * torch.tensor(
        [width, height])
    size = torch.rand(count, 2, generator=generator) ** 3 * torch.tensor([width, height]) * 1.3 + 0.05
    index = torch.randint(0, images, (count, 1), generator=generator).float()
    return torch.cat([index, corner, corner + size], dim=1)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("ratio", [1, 2, 3])
def test_the_values_are_torchvisions(channels_last, ratio):
    generator = torch.Generator().manual_seed(ratio)
    features = torch.randn(2, 16, 37, 29, generator=generator)
    if channels_last:
        features = features.contiguous(memory_format=torch.channels_last)
    scale = 0.125
    rois = _regions(400, 2, 29 / scale, 37 / scale, generator)
    # Edge cases by hand: outside the map, on its last row and column, a degenerate region.
    rois = torch.cat([rois, torch.tensor([[0, -50.0, -50.0, -20.0, -20.0], [1, 220.0, 280.0, 300.0, 400.0],
                                          [1, 10.0, 10.0, 10.0, 10.0], [0, -30.0, 100.0, 400.0, 120.0]])])
    expected = roi_align(features, rois, (7, 7), scale, ratio, aligned=False)
    found = roi_align_separable(features, rois, (7, 7), scale, ratio)
    assert found.shape == expected.shape
    assert (found - expected).abs().max() < TOLERANCE
    assert roi_align_separable(features, rois[:0], (7, 7), scale, ratio).shape == (0, 16, 7, 7)


def test_the_multiscale_pooler_is_torchvisions_on_a_real_models_features(sample_pngs):
    from OssificationDetectorLib.detection.detect import Detector, as_pixels

    detector = Detector("default", device="cpu", threads=2)
    model = detector.model
    assert type(model.roi_heads.box_roi_pool) is separable_class()  # the CPU detector pools this way
    torchvision_pooler = MultiScaleRoIAlign(list(model.roi_heads.box_roi_pool.featmap_names), 7, 2)
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        images = [torch.from_numpy(as_pixels(path))[None] for path in sample_pngs[:2]]
        batch, _ = model.transform(images)
        features = model.backbone(batch.tensors)
        proposals, _ = model.rpn(batch, features)
        # Large regions as well, so that every level of the pyramid pools some.
        boxes = [torch.cat([p, _regions(60, 1, w, h, generator)[:, 1:].clamp(min=0)])
                 for p, (h, w) in zip(proposals, batch.image_sizes)]
        expected = torchvision_pooler(features, boxes, batch.image_sizes)
        found = model.roi_heads.box_roi_pool(features, boxes, batch.image_sizes)
        levels = torchvision_pooler.map_levels(boxes)
    assert len(torch.unique(levels)) >= 2
    assert (found - expected).abs().max() < TOLERANCE


def test_an_adaptive_sampling_ratio_keeps_torchvisions_pooler():
    from torchvision.models.detection.roi_heads import RoIHeads

    pooler = MultiScaleRoIAlign(["0"], 7, 0)  # adaptive: samples per bin from each region's size
    heads = RoIHeads(pooler, None, None, 0.5, 0.5, 512, 0.25, None, 0.05, 0.5, 100)
    assert not use_separable_pooling(heads)
    assert type(heads.box_roi_pool) is MultiScaleRoIAlign
