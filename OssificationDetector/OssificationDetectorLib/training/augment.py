"""Augmentation that suits hand radiographs: exposure, contrast, gamma and a small rotation.

No horizontal flip by default: the taxonomy is that of a left hand, and a mirrored hand would
teach the model that thumbs sit on either side. Scale changes come from the detector's
multi-scale training (a random short side per batch, see train.py).

Images are 2D float32 arrays in [0, 1] (images.normalized); boxes an (N, 4) float array of
x1, y1, x2, y2 in pixels (x right, y down, origin at the top-left corner of the first pixel);
labels are carried along, never read, so ignored regions (training_data.IGNORED_LABEL) turn, flip and
leave the image exactly as the areas do.
"""
import math
from dataclasses import dataclass

import numpy as np


@dataclass
class AugmentConfig:
    gamma: float = 1.4  # gamma drawn log-uniformly in [1/gamma, gamma]
    contrast: float = 0.2  # contrast factor in [1 - c, 1 + c] around the mean
    brightness: float = 0.08  # offset in [-b, b]
    rotation_degrees: float = 10.0  # angle in [-r, r]
    horizontal_flip: bool = False
    min_visible: float = 0.4  # a box rotated partly out of the image is dropped below this fraction

    def to_dict(self):
        return dict(self.__dict__)


def adjust_intensity(image, rng, config):
    gamma = math.exp(rng.uniform(-math.log(config.gamma), math.log(config.gamma))) if config.gamma > 1 else 1.0
    contrast = rng.uniform(1 - config.contrast, 1 + config.contrast)
    brightness = rng.uniform(-config.brightness, config.brightness)
    out = np.power(np.clip(image, 0.0, 1.0), gamma)
    mean = float(out.mean())
    out = (out - mean) * contrast + mean + brightness
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def rotate(image, boxes, degrees):
    """Rotate image and boxes about the image centre by `degrees` (positive: clockwise on screen).

    Each box is re-fitted as the bounding box of its inscribed ellipse after rotation: the
    rotated corners would inflate every box, while bones are round rather than square.
    """
    import torch
    import torch.nn.functional as F

    height, width = image.shape
    theta = math.radians(degrees)
    cos, sin = math.cos(theta), math.sin(theta)
    cx, cy = width / 2.0, height / 2.0
    # Sample the source at the inverse rotation of each output pixel centre (y points down).
    u = torch.arange(width, dtype=torch.float64) + 0.5 - cx
    v = torch.arange(height, dtype=torch.float64) + 0.5 - cy
    vv, uu = torch.meshgrid(v, u, indexing="ij")
    x = cos * uu + sin * vv + cx
    y = -sin * uu + cos * vv + cy
    grid = torch.stack([x / width * 2 - 1, y / height * 2 - 1], dim=-1).float()[None]
    source = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    rotated = F.grid_sample(source, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    centres_x = (boxes[:, 0] + boxes[:, 2]) / 2 - cx
    centres_y = (boxes[:, 1] + boxes[:, 3]) / 2 - cy
    half_w = (boxes[:, 2] - boxes[:, 0]) / 2
    half_h = (boxes[:, 3] - boxes[:, 1]) / 2
    new_x = cos * centres_x - sin * centres_y + cx
    new_y = sin * centres_x + cos * centres_y + cy
    new_hw = np.sqrt((half_w * cos) ** 2 + (half_h * sin) ** 2)
    new_hh = np.sqrt((half_w * sin) ** 2 + (half_h * cos) ** 2)
    out = np.stack([new_x - new_hw, new_y - new_hh, new_x + new_hw, new_y + new_hh], axis=1)
    return rotated[0, 0].numpy(), out


def clip_boxes(boxes, labels, width, height, min_visible):
    """Boxes cut to the image; those with less than `min_visible` of their area left are dropped."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    clipped = boxes.copy()
    clipped[:, [0, 2]] = clipped[:, [0, 2]].clip(0, width)
    clipped[:, [1, 3]] = clipped[:, [1, 3]].clip(0, height)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept_area = (clipped[:, 2] - clipped[:, 0]).clip(0) * (clipped[:, 3] - clipped[:, 1]).clip(0)
    keep = kept_area >= min_visible * np.maximum(area, 1e-9)
    return clipped[keep], np.asarray(labels)[keep]


def augment(image, boxes, labels, rng, config=None):
    """One random variant of (image, boxes, labels); rng is a numpy Generator."""
    config = config or AugmentConfig()
    image = adjust_intensity(image, rng, config)
    if config.horizontal_flip and rng.random() < 0.5:
        width = image.shape[1]
        image = image[:, ::-1].copy()
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        boxes = np.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], axis=1)
    if config.rotation_degrees > 0:
        angle = rng.uniform(-config.rotation_degrees, config.rotation_degrees)
        image, boxes = rotate(image, boxes, angle)
    boxes, labels = clip_boxes(boxes, labels, image.shape[1], image.shape[0], config.min_visible)
    return image, boxes, labels
