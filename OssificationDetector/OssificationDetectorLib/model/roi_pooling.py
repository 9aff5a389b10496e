"""RoIAlign as two small matrix products per region, for the CPU: the box head's pooling at a third of
torchvision's time, the same values to float rounding.

torchvision's RoIAlign (aligned=False, a fixed sampling ratio) averages, in each of the output's bins,
sampling_ratio x sampling_ratio bilinear samples of the feature map. A sample's bilinear weights are a
row weight times a column weight, and whether it counts (inside the map by less than a pixel) is a row
condition and a column condition: the whole pooling is separable. For each region,

    pooled[c] = A_y @ F[c, window] @ A_x.T

where A_y (pooled height x window rows) holds each bin's summed row weights (with the validity and the
average's 1/sampling_ratio), A_x the same for columns, and the window the rows and columns the region's
samples touch. Regions are grouped by window size, so that a few large ones do not make every
window large, and each group is a gather of channels-last windows and two batched matrix products,
where torchvision's CPU kernel walks every sample of every channel one by one. The sample positions,
the clamping at the map's edges and the zero outside it are torchvision's (roi_align_kernel.cpp).
"""
import functools

WINDOW_GROUPS = (5, 7, 9, 11, 13, 16, 20, 24, 32)  # window sides (feature cells) pooled together


def roi_align_separable(features, rois, output_size, spatial_scale, sampling_ratio):
    """torchvision.ops.roi_align(features, rois, output_size, spatial_scale, sampling_ratio, aligned=False)
    for sampling_ratio > 0; rois: (R, 5) rows of (image index, x1, y1, x2, y2)."""
    import torch

    levels = torch.zeros(rois.shape[0], dtype=torch.int64, device=rois.device)
    return pool_levels([features], [spatial_scale], rois, levels, output_size, sampling_ratio)


def pool_levels(features, scales, rois, levels, output_size, sampling_ratio):
    """Each region pooled from its level's feature map (features[level], at scales[level]); (R, C, h, w)."""
    import torch

    if rois.shape[0] == 0:
        return features[0].new_zeros((0, features[0].shape[1]) + tuple(output_size))
    scale = torch.tensor(scales, dtype=rois.dtype, device=rois.device)[levels]
    scaled = rois[:, 1:] * scale[:, None]
    reach = torch.maximum(scaled[:, 2] - scaled[:, 0], scaled[:, 3] - scaled[:, 1]).clamp(min=1.0) + 2.0
    edges = torch.tensor(WINDOW_GROUPS, dtype=reach.dtype, device=reach.device)
    key = levels * (len(WINDOW_GROUPS) + 1) + torch.bucketize(reach, edges)
    order = torch.argsort(key, stable=True)
    keys, counts = torch.unique_consecutive(key[order], return_counts=True)
    result = features[0].new_empty((rois.shape[0], features[0].shape[1]) + tuple(output_size))
    begin = 0
    for value, count in zip(keys.tolist(), counts.tolist()):
        index = order[begin:begin + count]
        begin += count
        level = value // (len(WINDOW_GROUPS) + 1)
        part = _pooled(features[level], rois[index, 0].long(), scaled[index], output_size, sampling_ratio)
        result.index_copy_(0, index, part.contiguous())
    return result


def _axis(start, length, pooled, ratio, size):
    """(first index (R,), window length, weights (R, pooled, window)) of the samples along one axis."""
    import torch

    count = start.shape[0]
    bin_size = length.clamp(min=1.0) / pooled
    step = torch.arange(pooled * ratio, dtype=start.dtype, device=start.device)
    position = start[:, None] + (step[None] + 0.5) * (bin_size / ratio)[:, None]
    valid = ((position >= -1.0) & (position <= size)).to(start.dtype)
    position = position.clamp(min=0.0)
    low = position.floor()
    edge = low >= size - 1
    low = torch.where(edge, torch.full_like(low, size - 1), low)
    position = torch.where(edge, low, position)
    high = torch.where(edge, low, low + 1)
    fraction = position - low
    first = low[:, 0]                          # the samples increase along the axis
    window = int((high[:, -1] - first).max().item()) + 1
    bins = (torch.arange(pooled * ratio, device=start.device) // ratio).expand(count, -1) * window
    weights = torch.zeros(count, pooled * window, dtype=start.dtype, device=start.device)
    weights.scatter_add_(1, bins + (low - first[:, None]).long(), (1.0 - fraction) * valid / ratio)
    weights.scatter_add_(1, bins + (high - first[:, None]).long(), fraction * valid / ratio)
    return first.long(), window, weights.reshape(count, pooled, window)


def _pooled(features, images, boxes, output_size, ratio):
    import torch

    _, channels, height, width = features.shape
    pooled_h, pooled_w = output_size
    count = boxes.shape[0]
    first_row, rows, a_y = _axis(boxes[:, 1], boxes[:, 3] - boxes[:, 1], pooled_h, ratio, height)
    first_col, cols, a_x = _axis(boxes[:, 0], boxes[:, 2] - boxes[:, 0], pooled_w, ratio, width)
    # Window cells past the map's edge carry no weight: any index in the map will do.
    row_index = (first_row[:, None] + torch.arange(rows, device=features.device)).clamp(max=height - 1)
    col_index = (first_col[:, None] + torch.arange(cols, device=features.device)).clamp(max=width - 1)
    # The windows' cells as rows of C values, gathered from the map as (image, row, column) x C.
    cells = features.permute(0, 2, 3, 1).reshape(-1, channels)
    flat = (images[:, None, None] * height + row_index[:, :, None]) * width + col_index[:, None, :]
    windows = cells.index_select(0, flat.reshape(-1))                                      # R * rows * cols, C
    along_rows = torch.bmm(a_y, windows.reshape(count, rows, cols * channels))          # R, pooled_h, cols * C
    along_rows = along_rows.reshape(count, pooled_h, cols, channels).transpose(1, 2).reshape(count, cols, -1)
    pooled = torch.bmm(a_x, along_rows)                                                 # R, pooled_w, pooled_h * C
    return pooled.reshape(count, pooled_w, pooled_h, channels).permute(0, 3, 2, 1)


def use_separable_pooling(roi_heads):
    """Make a torchvision RoIHeads pool with roi_align_separable (in place); False where its pooler is
    not a MultiScaleRoIAlign with a fixed sampling ratio, or this torchvision lacks what it needs."""
    from torchvision.ops import MultiScaleRoIAlign

    pooler = getattr(roi_heads, "box_roi_pool", None)
    if type(pooler) is not MultiScaleRoIAlign or pooler.sampling_ratio <= 0:
        return False
    try:
        from torchvision.ops.poolers import _setup_scales  # noqa: F401
    except ImportError:
        return False
    pooler.__class__ = separable_class()
    return True


@functools.lru_cache(maxsize=None)
def separable_class():
    """The MultiScaleRoIAlign subclass (made on first use: torchvision is imported only with a model)."""
    from torchvision.ops import MultiScaleRoIAlign

    class Separable(MultiScaleRoIAlign):
        """MultiScaleRoIAlign (the same level for each region, the same output) pooling with roi_align_separable."""

        def forward(self, x, boxes, image_shapes):
            import torch
            from torchvision.ops.poolers import _setup_scales

            features = [x[name] for name in self.featmap_names]
            if self.scales is None or self.map_levels is None:
                self.scales, self.map_levels = _setup_scales(features, image_shapes, self.canonical_scale,
                                                             self.canonical_level)
            rois = torch.cat([torch.cat([torch.full_like(b[:, :1], i), b], dim=1) for i, b in enumerate(boxes)])
            levels = self.map_levels(boxes) if len(features) > 1 else torch.zeros(len(rois), dtype=torch.int64)
            return pool_levels(features, self.scales, rois, levels.to(torch.int64), self.output_size,
                               self.sampling_ratio)

    return Separable
