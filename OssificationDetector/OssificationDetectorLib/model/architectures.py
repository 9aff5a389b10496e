"""The detector network: torchvision's Faster R-CNN on a choice of backbones.

Architectures
- "mobilenet_v2_fpn" (the default): MobileNetV2's features (frozen batch norm) with a feature
  pyramid over its stride 8, 16 and 32 stages (the 1x1 conv to 1280 channels is dropped), an
  extra max-pooled level, and a two-layer box head. Sized to ship: FPN 128 channels and a box
  head of 512 (torchvision's defaults, 256 and 1024, give 18.9 M parameters and a 72 MB file,
  three quarters of it in the box head's first layer). Measured on a 2-core machine: 5.9 M
  parameters, a 24 MB fp32 file; one training iteration (batch 2) 2.5-6 s on a CPU. Detection
  runs the model as inference.py prepares it; the benchmark prints current speeds (README's table). Ossification areas are 20-200 px at that size, so
  the anchors span 24-320 px.
- "mobilenet_v3_large_fpn", "resnet50_fpn": torchvision's own, the only ones with COCO
  detection weights ("coco" init). resnet50_fpn is 4-5 times slower on a CPU and 160 MB.

Every model takes 1-channel images in [0, 1] (images.normalized) and copies them to the three
channels the ImageNet-trained backbones expect; torchvision's transform then resizes them
(short side min_size, long side at most max_size) and maps the boxes back to input pixels.
"""
import contextlib
from collections import OrderedDict
from typing import Optional

from ..core.taxonomy import CLASSES

ARCHITECTURES = ("mobilenet_v2_fpn", "mobilenet_v3_large_fpn", "resnet50_fpn")
INITS = ("imagenet", "coco", "none")
DEFAULT_ARCHITECTURE = "mobilenet_v2_fpn"
DEFAULT_MIN_SIZE = 512
DEFAULT_MAX_SIZE = 640

# Default-architecture sizes, chosen for a file under 40 MB and CPU speed (see module doc).
FPN_CHANNELS = 128
BOX_HEAD_SIZE = 512
ANCHOR_SIZES = ((24, 40), (56, 80), (112, 160), (224, 320))
ASPECT_RATIOS = (0.5, 1.0, 2.0)
# MobileNetV2 feature indices that end the stride 8, 16 and 32 stages.
MOBILENET_V2_STAGE_ENDS = (7, 14, 18)


class ModelBuildError(ValueError):
    """An architecture or initialisation that cannot be built here."""


def check_architecture(architecture):
    if architecture not in ARCHITECTURES:
        raise ModelBuildError(
            f"Unknown architecture {architecture!r}: choose one of {', '.join(ARCHITECTURES)}."
        )
    return architecture


def build_model(architecture=DEFAULT_ARCHITECTURE, num_classes=len(CLASSES) + 1, init="imagenet",
                min_size=DEFAULT_MIN_SIZE, max_size=DEFAULT_MAX_SIZE, trainable_backbone_layers=None,
                **detector_options):
    """A Faster R-CNN for `num_classes` (background included) in training mode.

    init: "imagenet" (backbone weights from torchvision's weights API; offline they must be in
    $TORCH_HOME/hub/checkpoints), "coco" (torchvision's COCO detection weights and a new box
    predictor; torchvision architectures only) or "none" (random weights, for loading a
    checkpoint or training from scratch). trainable_backbone_layers: for mobilenet_v2_fpn the
    number of MobileNetV2 feature blocks (of 18, from the deepest) that learn, default 16; for
    torchvision's architectures their own meaning (stages). detector_options go to FasterRCNN.
    """
    check_architecture(architecture)
    if init not in INITS:
        raise ModelBuildError(f"Unknown init {init!r}: choose one of {', '.join(INITS)}.")
    options = dict(min_size=min_size, max_size=max_size, **_speed_options())
    options.update(detector_options)
    if architecture == "mobilenet_v2_fpn":
        if init == "coco":
            raise ModelBuildError(
                "torchvision has no COCO detection weights for mobilenet_v2_fpn: use init 'imagenet', "
                "or the architecture mobilenet_v3_large_fpn or resnet50_fpn for 'coco'."
            )
        return _mobilenet_v2_fpn(num_classes, init, trainable_backbone_layers, options)
    return _torchvision_model(architecture, num_classes, init, trainable_backbone_layers, options)


def _speed_options():
    # Fewer region proposals and sampled RoIs than torchvision's defaults (1000-2000 proposals,
    # 512 RoIs per image): a hand has 17 areas, and the box head's cost scales with the RoIs.
    return dict(rpn_pre_nms_top_n_test=500, rpn_post_nms_top_n_test=300,
                rpn_pre_nms_top_n_train=1000, rpn_post_nms_top_n_train=600,
                box_batch_size_per_image=256, box_detections_per_img=100)


def _grayscale_rcnn_class():
    from torchvision.models.detection import FasterRCNN

    class GrayscaleFasterRCNN(FasterRCNN):
        """Faster R-CNN that accepts 1-channel images by copying them to 3 channels."""

        def forward(self, images, targets=None):
            images = [im.expand(3, -1, -1) if im.dim() == 3 and im.shape[0] == 1 else im for im in images]
            return super().forward(images, targets)

    return GrayscaleFasterRCNN


def _mobilenet_v2_fpn(num_classes, init, trainable_layers, options):
    from torch import nn
    from torchvision.models import MobileNet_V2_Weights, mobilenet_v2
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.ops import FeaturePyramidNetwork, FrozenBatchNorm2d, MultiScaleRoIAlign
    from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

    weights = MobileNet_V2_Weights.IMAGENET1K_V1 if init == "imagenet" else None
    features = _fetch_weights(lambda: mobilenet_v2(weights=weights, norm_layer=FrozenBatchNorm2d).features,
                              init, "mobilenet_v2")
    s8, s16, s32 = MOBILENET_V2_STAGE_ENDS
    stages = nn.ModuleList([features[:s8], features[s8:s16], features[s16:s32]])

    class MobileNetV2FPN(nn.Module):
        def __init__(self):
            super().__init__()
            self.stages = stages
            self.fpn = FeaturePyramidNetwork([32, 96, 320], FPN_CHANNELS, extra_blocks=LastLevelMaxPool())
            self.out_channels = FPN_CHANNELS

        def forward(self, x):
            levels = {}
            for i, stage in enumerate(self.stages):
                x = stage(x)
                levels[str(i)] = x
            return self.fpn(levels)

    backbone = MobileNetV2FPN()
    anchors = AnchorGenerator(ANCHOR_SIZES, (ASPECT_RATIOS,) * len(ANCHOR_SIZES))
    roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2"], output_size=7, sampling_ratio=2)
    box_head = TwoMLPHead(FPN_CHANNELS * 7 * 7, BOX_HEAD_SIZE)
    predictor = FastRCNNPredictor(BOX_HEAD_SIZE, num_classes)
    model = _grayscale_rcnn_class()(backbone, num_classes=None, rpn_anchor_generator=anchors,
                                    box_roi_pool=roi_pool, box_head=box_head, box_predictor=predictor,
                                    **options)
    if init != "none" or trainable_layers is not None:
        freeze_mobilenet_v2_blocks(model, trainable_layers)
    return model


MOBILENET_V2_BLOCKS = MOBILENET_V2_STAGE_ENDS[-1]  # feature blocks 0..17 (block 18 is dropped)
DEFAULT_TRAINABLE_BLOCKS = MOBILENET_V2_BLOCKS - 2  # stem conv and first inverted residual frozen


def freeze_mobilenet_v2_blocks(model, trainable_blocks=None):
    """Let only the deepest `trainable_blocks` of MobileNetV2's 18 feature blocks learn.

    Pretrained low-level filters are kept as they are (torchvision freezes them by default too).
    Freezing the whole stride 2-8 part (trainable_blocks=11) trains about 40 % faster on a CPU,
    because no gradient flows through the high-resolution layers.
    """
    trainable = DEFAULT_TRAINABLE_BLOCKS if trainable_blocks is None else int(trainable_blocks)
    if not 0 <= trainable <= MOBILENET_V2_BLOCKS:
        raise ModelBuildError(f"trainable backbone layers must be 0..{MOBILENET_V2_BLOCKS} for mobilenet_v2_fpn, "
                              f"not {trainable_blocks}.")
    blocks = [block for stage in model.backbone.stages for block in stage]
    for index, block in enumerate(blocks):
        for p in block.parameters():
            p.requires_grad_(index >= MOBILENET_V2_BLOCKS - trainable)


def _torchvision_model(architecture, num_classes, init, trainable_layers, options):
    from torchvision.models import detection as det
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor

    builder, coco_weights, backbone_weights = {
        "mobilenet_v3_large_fpn": (det.fasterrcnn_mobilenet_v3_large_fpn,
                                   det.FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1, "MobileNet_V3_Large_Weights"),
        "resnet50_fpn": (det.fasterrcnn_resnet50_fpn, det.FasterRCNN_ResNet50_FPN_Weights.COCO_V1, "ResNet50_Weights"),
    }[architecture]
    import torchvision.models as tvm

    kwargs = dict(weights=None, weights_backbone=None)
    if init == "imagenet":
        kwargs["weights_backbone"] = getattr(tvm, backbone_weights).IMAGENET1K_V1
    elif init == "coco":
        kwargs["weights"] = coco_weights
    if trainable_layers is not None:
        kwargs["trainable_backbone_layers"] = trainable_layers
    if init == "coco":
        # The COCO head has 91 classes; it is replaced below.
        model = _fetch_weights(lambda: builder(**kwargs, **options), init, architecture)
    else:
        model = _fetch_weights(lambda: builder(num_classes=num_classes, **kwargs, **options), init, architecture)
    model.__class__ = _grayscale_rcnn_class()
    if init == "none":
        # torchvision uses trainable batch norm without pretrained weights; freeze it so that
        # every init gives the same state_dict keys (a checkpoint loads into any of them).
        _freeze_batch_norm(model.backbone)
    if init == "coco":
        in_features = model.roi_heads.box_predictor.cls_score.in_features
        model.roi_heads.box_predictor = FastRCNNPredictor(in_features, num_classes)
    return model


def _freeze_batch_norm(module):
    from torch import nn
    from torchvision.ops import FrozenBatchNorm2d

    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            frozen = FrozenBatchNorm2d(child.num_features, eps=child.eps)
            setattr(module, name, frozen)
        else:
            _freeze_batch_norm(child)


def _fetch_weights(make, init, name):
    """Run a torchvision builder; turn a failed weights download into a clear error."""
    if init == "none":
        return make()
    try:
        return make()
    except (OSError, RuntimeError) as error:
        import torch

        where = f"{torch.hub.get_dir()}/checkpoints"
        if init == "coco":
            advice = ("torchvision's COCO detection weights need an internet connection the first time. "
                      "Without one, use init 'imagenet' or continue from a checkpoint (--base).")
        else:
            advice = (f"Put torchvision's ImageNet weights file for {name} in {where} "
                      "(TORCH_HOME selects that folder), or use init 'none'.")
        raise ModelBuildError(f"Could not get the {init} weights for {name} ({error}). {advice}") from error


@contextlib.contextmanager
def autocast_backbone(model, dtype):
    """Run the backbone (most of the compute) in reduced precision, the heads in float32.

    torchvision's box decoding casts anchors and proposals to the dtype of the regression
    output: under a whole-model bf16 autocast, box corners would be rounded to 2-4 px.
    """
    if dtype is None:
        yield model
        return
    import torch
    from torch import nn

    class AutocastFeatures(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.out_channels = inner.out_channels

        def forward(self, x):
            with torch.autocast(x.device.type, dtype=dtype):
                features = self.inner(x)
            return OrderedDict((name, value.float()) for name, value in features.items())

    backbone = model.backbone
    model.backbone = AutocastFeatures(backbone)
    try:
        yield model
    finally:
        model.backbone = backbone


def parameter_count(model, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def set_train_sizes(model, sizes: Optional[tuple]):
    """Multi-scale training: torchvision's transform picks one short side per batch."""
    model.transform.min_size = tuple(int(s) for s in sizes)
