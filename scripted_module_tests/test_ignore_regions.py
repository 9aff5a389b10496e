"""Ignored regions on a real torchvision Faster R-CNN: anchors and proposals in them are never drawn as
background, they are scaled with the image, and without them training is bit-identical to before."""
import numpy as np
import pytest
import torch

from OssificationDetectorLib.model.architectures import build_model
from OssificationDetectorLib.training.ignore_regions import IGNORE_KEY, honour_ignore_regions, overlaps_ignored

torch.set_num_threads(1)

SIZE = 192
AREA = [120.0, 40.0, 150.0, 70.0]     # one labelled area
IGNORED = [10.0, 90.0, 100.0, 180.0]  # a large region the teacher was unsure of


def _model(seed=0):
    torch.manual_seed(seed)
    model = build_model("mobilenet_v2_fpn", init="none", min_size=SIZE, max_size=SIZE)
    return model.train()


def _image():
    rng = np.random.default_rng(0)
    return torch.from_numpy(rng.random((1, SIZE, SIZE), dtype=np.float32))


def _target(ignored=True):
    target = {"boxes": torch.tensor([AREA]), "labels": torch.tensor([3])}
    if ignored:
        target[IGNORE_KEY] = torch.tensor([IGNORED])
    return target


def test_a_sample_counts_as_in_an_ignored_region_by_its_share_inside_or_its_overlap():
    ignored = torch.tensor([IGNORED])
    samples = torch.tensor([[20.0, 100, 40, 120],     # wholly inside
                            [80.0, 100, 120, 120],    # half inside
                            [90.0, 100, 130, 120],    # a quarter inside
                            [0.0, 60, 150, 200],      # around it: 39 % inside, IoU 0.39
                            [120.0, 10, 180, 60]])    # apart
    assert overlaps_ignored(samples, ignored).tolist() == [True, True, False, True, False]
    assert overlaps_ignored(samples, torch.zeros((0, 4))).tolist() == [False] * 5


def _recorded_samples(model, target, seed=1):
    """(RPN anchor labels and anchors, box-head proposals and labels as sampled) of one training step."""
    record = {}
    assign_anchors = model.rpn.assign_targets_to_anchors
    select = model.roi_heads.select_training_samples

    def anchors_recorded(anchors, targets):
        labels, matched = assign_anchors(anchors, targets)
        record["anchors"], record["anchor_labels"] = anchors[0], labels[0]
        return labels, matched

    def samples_recorded(proposals, targets):
        result = select(proposals, targets)
        record["proposals"], record["proposal_labels"] = result[0][0], result[2][0]
        return result

    model.rpn.assign_targets_to_anchors = anchors_recorded
    model.roi_heads.select_training_samples = samples_recorded
    torch.manual_seed(seed)
    losses = model([_image()], [target])
    return record, losses


def test_anchors_and_proposals_in_an_ignored_region_are_never_negatives():
    ignored = torch.tensor([IGNORED])
    plain, plain_losses = _recorded_samples(_model(), _target(ignored=False))
    honoured, honoured_losses = _recorded_samples(honour_ignore_regions(_model()), _target())
    # Without the ignored region, many anchors and sampled proposals in it are background ...
    plain_inside = overlaps_ignored(plain["anchors"], ignored)
    assert (plain["anchor_labels"][plain_inside] == 0).sum() > 100
    assert (plain["proposal_labels"][overlaps_ignored(plain["proposals"], ignored)] == 0).sum() > 5
    # ... with it, none is: the RPN's anchors there are set aside (-1, never drawn by the sampler), and
    # no proposal drawn for the box head's classification loss lies in it.
    inside = overlaps_ignored(honoured["anchors"], ignored)
    assert torch.equal(inside, plain_inside)
    assert (honoured["anchor_labels"][inside] == -1).all()
    assert torch.equal(honoured["anchor_labels"][~inside], plain["anchor_labels"][~inside])
    assert not overlaps_ignored(honoured["proposals"][honoured["proposal_labels"] == 0], ignored).any()
    # The labelled area still teaches: its own anchors and proposals stay positive.
    assert (honoured["anchor_labels"] == 1).sum() == (plain["anchor_labels"] == 1).sum() > 0
    assert (honoured["proposal_labels"] == 3).sum() > 0
    assert honoured_losses["loss_classifier"] != plain_losses["loss_classifier"]


def test_ignored_boxes_are_scaled_with_the_image():
    model = honour_ignore_regions(_model())
    model.transform.min_size = (2 * SIZE,)
    model.transform.max_size = 2 * SIZE
    target = {"boxes": torch.tensor([IGNORED]), "labels": torch.tensor([1]), IGNORE_KEY: torch.tensor([IGNORED])}
    image, resized = model.transform.resize(_image(), dict(target))
    assert image.shape[-1] == 2 * SIZE
    assert torch.equal(resized[IGNORE_KEY], resized["boxes"])
    assert torch.allclose(resized[IGNORE_KEY], 2 * torch.tensor([IGNORED]))


def _two_steps(model, target):
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    losses = []
    for step in range(2):
        torch.manual_seed(10 + step)
        loss = sum(model([_image()], [dict(target)]).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model.state_dict()


@pytest.mark.parametrize("target", [_target(ignored=False),
                                    {**_target(ignored=False), IGNORE_KEY: torch.zeros((0, 4))}],
                         ids=["no ignored key", "empty ignored boxes"])
def test_without_ignored_regions_training_is_bit_identical(target):
    plain_losses, plain_state = _two_steps(_model(), _target(ignored=False))
    losses, state = _two_steps(honour_ignore_regions(_model()), target)
    assert losses == plain_losses
    assert plain_state.keys() == state.keys()
    assert all(torch.equal(plain_state[k], state[k]) for k in state)


def test_honouring_twice_wraps_once_and_updates_the_thresholds():
    model = honour_ignore_regions(_model())
    resize = model.transform.resize
    honour_ignore_regions(model, iof=0.9, iou=0.8)
    assert model.transform.resize is resize
    assert model._ignore_region_settings == {"iof": 0.9, "iou": 0.8}
    assert "_ignore_region_settings" not in "".join(model.state_dict())
