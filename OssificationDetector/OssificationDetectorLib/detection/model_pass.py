"""One pass of a torchvision Faster R-CNN in inference, stage by stage, so that the orientation probe can
stop it after the backbone (orientation_probe.py).

Without a probe it computes exactly what GeneralizedRCNN.forward computes in eval mode: the model's
transform, backbone, RPN, box heads and postprocess, in that order, on the same tensors.
"""


def run_in_stages(model, images, probe=None):
    """Detections (torchvision's dicts, in each image's pixels) for a list of C x H x W tensors; where the
    probe is sure the hand lies turned, its Turned instead (the RPN and box heads skipped for that image)."""
    from collections import OrderedDict

    from torchvision.models.detection.image_list import ImageList

    original_sizes = [tuple(int(s) for s in image.shape[-2:]) for image in images]
    batch, _ = model.transform(images)
    features = model.backbone(batch.tensors)
    turned = probe.turns(features) if probe is not None else [None] * len(images)
    outputs = list(turned)
    keep = [i for i, t in enumerate(turned) if t is None]
    if not keep:
        return outputs
    if len(keep) < len(images):
        features = OrderedDict((name, value[keep]) for name, value in features.items())
        batch = ImageList(batch.tensors[keep], [batch.image_sizes[i] for i in keep])
    proposals, _ = model.rpn(batch, features)
    detections, _ = model.roi_heads(features, proposals, batch.image_sizes)
    detections = model.transform.postprocess(detections, batch.image_sizes, [original_sizes[i] for i in keep])
    for i, detection in zip(keep, detections):
        outputs[i] = detection
    return outputs
