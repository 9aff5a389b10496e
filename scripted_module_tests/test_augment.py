"""Augmentation of radiographs: rotated boxes follow the rotated image, intensities stay in [0, 1]."""
import numpy as np
import pytest

from OssificationDetectorLib.training.augment import AugmentConfig, augment, clip_boxes, rotate


def _blob_image(height=120, width=160, box=(100, 20, 130, 50)):
    image = np.zeros((height, width), dtype=np.float32)
    x1, y1, x2, y2 = box
    yy, xx = np.mgrid[0:height, 0:width] + 0.5
    inside = ((xx - (x1 + x2) / 2) / ((x2 - x1) / 2)) ** 2 + ((yy - (y1 + y2) / 2) / ((y2 - y1) / 2)) ** 2 <= 1
    image[inside] = 1.0
    return image, np.array([box], dtype=np.float64)


@pytest.mark.parametrize("degrees", [-10.0, 7.0, 90.0])
def test_rotated_box_fits_the_rotated_object(degrees):
    image, boxes = _blob_image()
    rotated, new_boxes = rotate(image, boxes, degrees)
    ys, xs = np.nonzero(rotated > 0.5)
    blob = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)
    # An ellipse inscribed in the box stays inscribed in the re-fitted box (within a pixel).
    assert np.allclose(new_boxes[0], blob, atol=1.5), (new_boxes[0], blob)


def test_positive_angles_turn_clockwise_on_screen():
    image, boxes = _blob_image(box=(120, 50, 140, 70))  # right of the centre (80, 60)
    _, new_boxes = rotate(image, boxes, 90.0)
    centre_x, centre_y = (new_boxes[0, 0] + new_boxes[0, 2]) / 2, (new_boxes[0, 1] + new_boxes[0, 3]) / 2
    assert centre_x == pytest.approx(80.0) and centre_y == pytest.approx(110.0)  # now below the centre


def test_boxes_mostly_outside_the_image_are_dropped():
    boxes = np.array([[-30.0, 10, 10, 50], [-5.0, 10, 35, 50]])
    kept, labels = clip_boxes(boxes, np.array([1, 2]), 100, 100, min_visible=0.4)
    assert labels.tolist() == [2]
    assert kept.tolist() == [[0.0, 10.0, 35.0, 50.0]]


def test_augment_is_repeatable_keeps_the_range_and_does_not_mirror():
    image, boxes = _blob_image()
    image = image * 0.8 + 0.1
    runs = [augment(image, boxes, np.array([3]), np.random.default_rng(11), AugmentConfig()) for _ in range(2)]
    (a_image, a_boxes, a_labels), (b_image, b_boxes, _) = runs
    assert np.array_equal(a_image, b_image) and np.array_equal(a_boxes, b_boxes)
    assert a_image.dtype == np.float32 and 0.0 <= a_image.min() and a_image.max() <= 1.0
    assert a_labels.tolist() == [3]
    # Without flipping, the object stays in the right half (a left hand stays a left hand).
    assert a_boxes[0, 0] > image.shape[1] / 2


def test_training_samples_depend_on_seed_epoch_and_index_only(sample_voc_dir):
    from OssificationDetectorLib.training.training_data import TrainingImages, load_items

    items, _ = load_items([sample_voc_dir])
    first = TrainingImages(items, 192, 256, AugmentConfig(), seed=1)
    second = TrainingImages(items, 192, 256, AugmentConfig(), seed=1)
    second.set_epoch(1)
    image_b, _ = second[0]  # a different epoch first, then the same one
    second.set_epoch(0)
    image_a, target_a = first[0]
    image_c, target_c = second[0]
    assert np.array_equal(image_a.numpy(), image_c.numpy())
    assert np.array_equal(target_a["boxes"].numpy(), target_c["boxes"].numpy())
    assert not np.array_equal(image_a.numpy(), image_b.numpy())
    assert max(image_a.shape[1:]) <= 256 and min(image_a.shape[1:]) <= 192
