"""A loaded model made fast for inference, once, in memory (the model file and training are untouched).

- Frozen batch norms are folded into the convolutions before them: one pass over memory per
  layer instead of two, same outputs to float rounding (1e-5).
- On the CPU the weights go channels-last (NHWC), the layout oneDNN's convolutions run fastest
  in: with the folding, MobileNetV2-FPN's backbone takes about a third of its time (measured on
  a 2-core CPU, see README's speed table).
- A grayscale radiograph copied to three channels is resized once, not three times: bilinear
  resizing and the per-channel normalisation commute (the weights of each output pixel sum to 1),
  so only the order of float operations changes.
- On the CPU, where oneDNN offers it, each convolution followed by a ReLU6 (MobileNetV2's blocks) runs
  as one oneDNN convolution with the clamp as its post-op: one pass over the activations instead of
  two, the same values (the clamp is exact).
- On the CPU the box head's RoIAlign runs as two small matrix products per region (roi_pooling.py):
  the same values to float rounding (4e-5), about twice as fast as torchvision's CPU kernel.

Measured and left out on a 2-core CPU: TorchScript freezing (about 8 % faster than eager
channels-last, not worth tracing every model at load); fewer region proposals (250 per level
before the RPN's NMS and 150 after it instead of the model's 500 and 300 took 40 % off the box
head and left v3's held-out reports unchanged, but cost v4 a hand under 4 years on the
validation: mAP 93.3 -> 91.1; 150 after NMS is what costs it). Not tried: bf16 and int8 on the CPU.
"""

from contextlib import contextmanager

PREPARED_FLAG = "_prepared_for_inference"


def prepare_for_inference(model, device):
    """Make `model` (a torchvision Faster R-CNN, in eval mode) fast on `device`; returns it.

    Changes the model in place and is idempotent; it can no longer be trained afterwards
    (Detector prepares a copy of a model it is handed in memory). Every step only reorders float
    operations: the detections are the model's own.
    """
    import torch

    if getattr(model, PREPARED_FLAG, False):
        return model
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    fold_frozen_batch_norms(model)
    _resize_grayscale_once(model.transform)
    if torch.device(device).type == "cpu":
        model.to(memory_format=torch.channels_last)
        from .roi_pooling import use_separable_pooling

        use_separable_pooling(model.roi_heads)
        fuse_convolutions_with_relu6(model)
    setattr(model, PREPARED_FLAG, True)
    return model


@contextmanager
def resized_by(transform, scale, height, width):
    """The model's resize (GeneralizedRCNNTransform) set to scale an image height x width by `scale`
    while in the block: a window of a radiograph detected at the radiograph's own scale."""
    saved = transform.min_size, transform.max_size
    transform.min_size = (scale * min(height, width),)
    transform.max_size = scale * max(height, width) * (1.0 + 1e-6)  # the short side decides
    try:
        yield transform
    finally:
        transform.min_size, transform.max_size = saved


@contextmanager
def fewer_proposals(rpn, count):
    """At most `count` region proposals per level before the RPN's NMS and after it, while in the block."""
    saved = rpn._pre_nms_top_n["testing"], rpn._post_nms_top_n["testing"]
    rpn._pre_nms_top_n["testing"], rpn._post_nms_top_n["testing"] = min(saved[0], count), min(saved[1], count)
    try:
        yield rpn
    finally:
        rpn._pre_nms_top_n["testing"], rpn._post_nms_top_n["testing"] = saved


def fuse_convolutions_with_relu6(module):
    """Replace each Conv2d that a ReLU6 follows (Identity modules between, as folding leaves them) in an
    nn.Sequential by one oneDNN convolution with a clamp post-op; returns the count (0 where this torch
    lacks the op or its result differs from the two steps: the model then runs as it was)."""
    from torch import nn

    fused_class = _fused_convolution_class()
    if fused_class is None:
        return 0
    fused = 0
    for parent in list(module.modules()):
        if not isinstance(parent, nn.Sequential):
            continue
        children = list(parent.named_children())
        for i, (name, child) in enumerate(children):
            after = [c for c in children[i + 1:] if not isinstance(c[1], nn.Identity)][:1]
            if isinstance(child, nn.Conv2d) and after and isinstance(after[0][1], nn.ReLU6) \
                    and child.padding_mode == "zeros":
                setattr(parent, name, fused_class(child))
                setattr(parent, after[0][0], nn.Identity())
                fused += 1
    return fused


def _fused_convolution_class():
    """The fused module class, or None where oneDNN's pointwise convolution is missing or disagrees."""
    import torch
    from torch import nn

    try:
        pointwise = torch.ops.mkldnn._convolution_pointwise
    except (AttributeError, RuntimeError):
        return None

    class ConvolutionReLU6(nn.Module):
        """relu6(conv(x)) in one oneDNN convolution (inference, CPU, float32)."""

        def __init__(self, conv):
            super().__init__()
            self.conv = conv

        def forward(self, x):
            c = self.conv
            return pointwise(x, c.weight, c.bias, c.padding, c.stride, c.dilation, c.groups, "hardtanh", [0.0, 6.0], "")

    try:  # a quick check of this build's op against the two steps, on a depthwise and a plain convolution
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(1, 8, 9, 7, generator=generator).contiguous(memory_format=torch.channels_last) * 4
        with torch.inference_mode():
            for conv in (nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.Conv2d(8, 4, 1)):
                conv = conv.eval().to(memory_format=torch.channels_last)
                if not torch.allclose(ConvolutionReLU6(conv)(x), torch.clamp(conv(x), 0.0, 6.0), atol=1e-5):
                    return None
    except (RuntimeError, NotImplementedError, TypeError):  # an op of another signature or not built here
        return None
    return ConvolutionReLU6


def fold_frozen_batch_norms(module):
    """Fold every FrozenBatchNorm2d that directly follows a Conv2d (in an nn.Sequential, as in
    MobileNet, or as convN/bnN attributes, as in ResNet) into that convolution; returns the count."""
    from torch import nn
    from torchvision.ops import FrozenBatchNorm2d

    folded = 0
    for parent in list(module.modules()):
        children = list(parent.named_children())
        pairs = list(zip(children, children[1:])) if isinstance(parent, nn.Sequential) else [
            ((name, child), (name.replace("conv", "bn"), getattr(parent, name.replace("conv", "bn"), None)))
            for name, child in children if name.startswith("conv")]
        for (conv_name, conv), (norm_name, norm) in pairs:
            if isinstance(conv, nn.Conv2d) and isinstance(norm, FrozenBatchNorm2d):
                setattr(parent, conv_name, _folded(conv, norm))
                setattr(parent, norm_name, nn.Identity())
                folded += 1
    return folded


def _folded(conv, norm):
    """The Conv2d, changed in place to compute norm(conv(x)): weights scaled per output channel,
    the shift as its bias (no new module: building one would initialise weights only to replace them)."""
    import torch
    from torch import nn

    with torch.no_grad():
        scale = norm.weight * (norm.running_var + norm.eps).rsqrt()
        shift = norm.bias - norm.running_mean * scale
        bias = shift if conv.bias is None else conv.bias * scale + shift
        conv.weight = nn.Parameter(conv.weight * scale[:, None, None, None], requires_grad=False)
        conv.bias = nn.Parameter(bias, requires_grad=False)
    return conv


def _resize_grayscale_once(transform):
    from torchvision.models.detection.image_list import ImageList
    from torchvision.models.detection.transform import GeneralizedRCNNTransform

    class GrayscaleOnceTransform(GeneralizedRCNNTransform):
        """Inference: a gray image expanded to 3 channels (a stride-0 view) is resized as 1 channel."""

        def forward(self, images, targets=None):
            if targets is not None or self.training:
                return super().forward(images, targets)
            prepared = []
            for image in images:
                if image.dim() != 3:
                    raise ValueError(f"images must be 3D tensors [C, H, W], not {tuple(image.shape)}")
                if image.shape[0] == 3 and image.stride(0) == 0:  # copies of one gray channel
                    resized, _ = self.resize(image[:1], None)
                    prepared.append(self.normalize(resized.expand(3, -1, -1)))
                else:
                    prepared.append(self.resize(self.normalize(image), None)[0])
            sizes = [(int(image.shape[-2]), int(image.shape[-1])) for image in prepared]
            batch = self.batch_images(prepared, size_divisible=self.size_divisible)
            return ImageList(batch, sizes), None

    if isinstance(transform, GeneralizedRCNNTransform) and type(transform) is GeneralizedRCNNTransform:
        transform.__class__ = GrayscaleOnceTransform
