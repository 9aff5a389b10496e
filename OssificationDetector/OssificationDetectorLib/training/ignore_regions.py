"""Ignored regions in training: where a teacher was unsure, neither an area nor background.

A training target may carry "ignore_boxes" (N x 4, pixels like "boxes"). An anchor of the region
proposal network, or a proposal of the box head, that would be background but lies largely in an
ignored region gets the label -1, which torchvision's BalancedPositiveNegativeSampler never draws
(it draws labels >= 1 as positives and 0 as negatives): an area the teacher missed then teaches
the student nothing rather than teaching it that the area is background. Positives stay positive.

torchvision's Faster R-CNN has no such option, so honour_ignore_regions wraps three methods of one
model instance (nothing in its weights or state_dict changes): the transform's resize, which scales
the ignored boxes with the image; rpn.assign_targets_to_anchors; and roi_heads'
assign_targets_to_proposals, which select_training_samples calls. All three only act on targets
with ignored boxes: without them training is exactly what it was.
"""

IGNORE_KEY = "ignore_boxes"
# A would-be negative sample is ignored when this share of its own area lies in an ignored box ...
IGNORE_IOF = 0.5
# ... or when it overlaps one this much (a large anchor around an unlabelled area; the region proposal
# network's own negatives lie below IoU 0.3).
IGNORE_IOU = 0.3


def overlaps_ignored(samples, ignored, iof=IGNORE_IOF, iou=IGNORE_IOU):
    """Bool tensor: which samples (N x 4) lie largely inside, or overlap, any ignored box (M x 4)."""
    import torch

    if ignored is None or ignored.numel() == 0 or samples.numel() == 0:
        return torch.zeros(samples.shape[0], dtype=torch.bool, device=samples.device)
    ignored = ignored.to(samples)
    top_left = torch.maximum(samples[:, None, :2], ignored[None, :, :2])
    bottom_right = torch.minimum(samples[:, None, 2:], ignored[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    sample_area = (samples[:, 2:] - samples[:, :2]).clamp(min=0).prod(dim=1)[:, None]
    ignored_area = (ignored[:, 2:] - ignored[:, :2]).clamp(min=0).prod(dim=1)[None, :]
    inside = inter >= iof * sample_area.clamp(min=1e-6)
    overlapping = inter >= iou * (sample_area + ignored_area - inter).clamp(min=1e-6)
    return (inside | overlapping).any(dim=1)


def _ignore_negatives(labels, samples, ignored, iof, iou):
    """Background labels (0) of samples in ignored regions become -1, in place."""
    if ignored is not None and ignored.numel():
        labels[(labels == 0) & overlaps_ignored(samples, ignored, iof, iou)] = -1


def honour_ignore_regions(model, iof=IGNORE_IOF, iou=IGNORE_IOU):
    """Make a torchvision Faster R-CNN honour targets' "ignore_boxes" in training; returns the model.

    Calling it again on the same model only updates the thresholds."""
    from torchvision.models.detection.transform import resize_boxes

    settings = getattr(model, "_ignore_region_settings", None)
    if settings is not None:
        settings.update(iof=iof, iou=iou)
        return model
    settings = {"iof": iof, "iou": iou}
    transform, rpn, roi_heads = model.transform, model.rpn, model.roi_heads
    resize = transform.resize
    assign_to_anchors = rpn.assign_targets_to_anchors
    select_training_samples = roi_heads.select_training_samples
    assign_to_proposals = roi_heads.assign_targets_to_proposals
    batch_ignored = []  # the ignored boxes of the images whose proposals are being labelled

    def resize_with_ignored(image, target=None):
        ignored = target.get(IGNORE_KEY) if target is not None else None
        size = image.shape[-2:]
        image, target = resize(image, target)
        if ignored is not None and target is not None:
            target[IGNORE_KEY] = resize_boxes(ignored, size, image.shape[-2:])
        return image, target

    def assign_to_anchors_with_ignored(anchors, targets):
        labels, matched_boxes = assign_to_anchors(anchors, targets)
        for anchors_of_image, target, labels_of_image in zip(anchors, targets, labels):
            _ignore_negatives(labels_of_image, anchors_of_image, target.get(IGNORE_KEY), **settings)
        return labels, matched_boxes

    def select_training_samples_with_ignored(proposals, targets):
        batch_ignored[:] = [t.get(IGNORE_KEY) for t in targets] if targets is not None else []
        try:
            return select_training_samples(proposals, targets)
        finally:
            batch_ignored.clear()

    def assign_to_proposals_with_ignored(proposals, gt_boxes, gt_labels):
        matched_idxs, labels = assign_to_proposals(proposals, gt_boxes, gt_labels)
        for proposals_of_image, ignored, labels_of_image in zip(proposals, batch_ignored, labels):
            _ignore_negatives(labels_of_image, proposals_of_image, ignored, **settings)
        return matched_idxs, labels

    transform.resize = resize_with_ignored
    rpn.assign_targets_to_anchors = assign_to_anchors_with_ignored
    roi_heads.select_training_samples = select_training_samples_with_ignored
    roi_heads.assign_targets_to_proposals = assign_to_proposals_with_ignored
    model._ignore_region_settings = settings
    return model
