"""Datasets: loading each layout, saving, converting between VOC, COCO and YOLO, and the errors on the way."""
import os
import shutil
from itertools import permutations

import pytest

from annotation_samples import YOLO_TOLERANCE_PX, assert_same_within, by_name, synthetic_images, write_blank_pngs
from OssificationDetectorLib.core.boxes import AnnotatedImage
from OssificationDetectorLib.annotations.coco import write_coco
from OssificationDetectorLib.annotations.datasets import (
    DatasetError, MissingImageError, convert_dataset, load_dataset, save_dataset,
)
from OssificationDetectorLib.core.taxonomy import UnknownClassError


def test_load_sample_voc_dataset_finds_images(sample_voc_dir):
    dataset = load_dataset(sample_voc_dir)
    assert dataset.format == "voc" and len(dataset.images) == 3
    for ann in dataset.images:
        assert dataset.image_path(ann) == sample_voc_dir.parent / "radiographs" / ann.file


@pytest.mark.parametrize("first, second", list(permutations(["voc", "coco", "yolo"], 2)))
def test_conversions_between_every_pair(sample_voc_dir, tmp_path, first, second):
    original = by_name(load_dataset(sample_voc_dir).images)
    convert_dataset(sample_voc_dir, tmp_path / first, first)
    converted = convert_dataset(tmp_path / first, tmp_path / second, second)
    reloaded = load_dataset(tmp_path / second)
    assert reloaded.format == second
    tolerance = YOLO_TOLERANCE_PX if "yolo" in (first, second) else 0.0
    assert_same_within(by_name(reloaded.images), original, tolerance)
    assert_same_within(by_name(converted.images), original, tolerance)
    for ann in reloaded.images:
        copied = reloaded.image_path(ann)
        assert copied.is_relative_to(tmp_path / second)
        assert copied.read_bytes() == (sample_voc_dir.parent / "radiographs" / ann.file).read_bytes()


def test_synthetic_dataset_round_trips_through_all_formats(tmp_path):
    images = synthetic_images()
    write_blank_pngs(images, tmp_path / "src" / "images")
    write_coco(images, tmp_path / "src" / "annotations.json")
    current = tmp_path / "src"
    for fmt in ("voc", "coco"):
        convert_dataset(current, tmp_path / fmt, fmt)
        current = tmp_path / fmt
        assert load_dataset(current).images == images  # exact, digits and scores included
    convert_dataset(current, tmp_path / "yolo", "yolo")
    assert_same_within(load_dataset(tmp_path / "yolo").images, images, YOLO_TOLERANCE_PX, keep_digits=False)


def test_load_dataset_detects_each_layout(sample_voc_dir, tmp_path):
    save_dataset(load_dataset(sample_voc_dir), tmp_path / "c", "coco")
    assert load_dataset(tmp_path / "c" / "annotations.json").format == "coco"
    assert load_dataset(tmp_path / "c").format == "coco"
    shutil.move(tmp_path / "c" / "annotations.json", tmp_path / "c" / "instances_val.json")
    assert load_dataset(tmp_path / "c").format == "coco"  # the only JSON file
    save_dataset(load_dataset(sample_voc_dir), tmp_path / "v", "voc")
    assert sorted(os.listdir(tmp_path / "v")) == ["Annotations", "JPEGImages"]
    assert load_dataset(tmp_path / "v").format == "voc"
    save_dataset(load_dataset(sample_voc_dir), tmp_path / "y", "yolo")
    assert load_dataset(tmp_path / "y").format == "yolo"
    assert load_dataset(tmp_path / "y" / "classes.txt").format == "yolo"


def test_explicit_image_root(sample_voc_dir, tmp_path):
    shutil.copytree(sample_voc_dir, tmp_path / "boxes")
    pictures = sample_voc_dir.parent / "radiographs"
    dataset = load_dataset(tmp_path / "boxes", image_root=pictures)
    assert dataset.image_path(dataset.images[0]).parent == pictures


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match="holds no annotations: expected Pascal VOC"):
        load_dataset(tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")
    with pytest.raises(DatasetError, match="format 'csv'"):
        load_dataset(tmp_path, format="csv")


def test_missing_image_is_an_error(sample_voc_dir, tmp_path):
    shutil.copy(sample_voc_dir / "4221.xml", tmp_path / "4221.xml")
    with pytest.raises(MissingImageError, match="'4221.png'"):
        load_dataset(tmp_path)
    dataset = load_dataset(tmp_path, check_images=False)
    with pytest.raises(MissingImageError):
        save_dataset(dataset, tmp_path / "out", "coco")
    assert not (tmp_path / "out").exists()  # nothing half written


def test_image_of_another_size_is_an_error(sample_voc_dir, tmp_path):
    write_blank_pngs([AnnotatedImage("4221.png", 100, 100)], tmp_path)
    shutil.copy(sample_voc_dir / "4221.xml", tmp_path / "4221.xml")
    with pytest.raises(DatasetError, match="100 x 100 px but its annotation says 523 x 682"):
        load_dataset(tmp_path)


def test_class_outside_the_six_in_a_dataset(sample_voc_dir, tmp_path):
    text = (sample_voc_dir / "4221.xml").read_text().replace("<name>Ulna</name>", "<name>Femur</name>")
    (tmp_path / "4221.xml").write_text(text)
    with pytest.raises(UnknownClassError, match="4221.xml.*'Femur'"):
        load_dataset(tmp_path)


def test_save_never_replaces_a_different_image(sample_voc_dir, tmp_path):
    dataset = load_dataset(sample_voc_dir)
    write_blank_pngs([AnnotatedImage("4221.png", 5, 5)], tmp_path / "images")
    with pytest.raises(DatasetError, match="different image"):
        save_dataset(dataset, tmp_path, "coco")
    save_dataset(dataset, tmp_path / "again", "coco")
    save_dataset(load_dataset(tmp_path / "again"), tmp_path / "again", "coco")  # onto itself: fine


def test_save_can_hard_link_images(sample_voc_dir, tmp_path):
    shutil.copytree(sample_voc_dir.parent, tmp_path / "src")
    saved = save_dataset(load_dataset(tmp_path / "src" / "ossification-voc"), tmp_path / "out", "yolo", link=True)
    linked = saved.image_path(saved.images[0])
    assert os.path.samefile(linked, tmp_path / "src" / "radiographs" / saved.images[0].file)


def test_two_images_with_one_name_are_refused(tmp_path):
    images = [AnnotatedImage("a.png", 4, 4), AnnotatedImage("a.jpg", 4, 4)]
    write_blank_pngs(images, tmp_path / "src")
    from OssificationDetectorLib.annotations.datasets import Dataset

    with pytest.raises(DatasetError, match="'a'"):
        save_dataset(Dataset(tmp_path / "src", images, "coco"), tmp_path / "out", "voc")
