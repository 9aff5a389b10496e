"""Ignored regions on disk: VOC `difficult` and COCO `iscrowd` objects, round trips, merging, and YOLO,
which cannot hold them and says so."""
from dataclasses import replace

import pytest

from OssificationDetectorLib.annotations.datasets import Dataset, DatasetError, load_dataset, save_dataset
from OssificationDetectorLib.annotations.coco import coco_dict, read_coco, write_coco
from OssificationDetectorLib.annotations.merge import same_boxes
from OssificationDetectorLib.annotations.voc import read_voc, voc_xml, write_voc
from OssificationDetectorLib.core.boxes import AnnotatedImage, Box


def _annotated(file="4221.png"):
    areas = [Box("DIP", 10.5, 20, 30, 40.25, score=0.91, digit=2), Box("Radius", 100, 300, 160, 350)]
    ignored = [Box("MCP", 50, 150, 80, 180, digit=1), Box("Ulna", 60, 310, 90, 340, score=0.42)]
    return AnnotatedImage(file, 523, 682, areas, ignored)  # the size of sample 4221


def test_voc_writes_ignored_regions_as_difficult_objects_and_reads_them_back(tmp_path):
    ann = _annotated()
    text = voc_xml(ann).decode()
    assert text.count("<difficult>1</difficult>") == 2 and text.count("<difficult>0</difficult>") == 2
    write_voc(ann, tmp_path / "4221.xml")
    assert read_voc(tmp_path / "4221.xml") == ann


def test_coco_writes_ignored_regions_as_crowd_annotations_and_reads_them_back(tmp_path):
    ann = _annotated()
    crowd = [a["iscrowd"] for a in coco_dict([ann])["annotations"]]
    assert crowd == [0, 0, 1, 1]
    write_coco([ann], tmp_path / "annotations.json")
    assert read_coco(tmp_path / "annotations.json") == [ann]


def test_a_dataset_keeps_its_ignored_regions_through_voc_and_coco_and_refuses_yolo(tmp_path, sample_png):
    dataset = Dataset(sample_png.parent, [_annotated(sample_png.name)], "voc")
    for fmt in ("voc", "coco"):
        save_dataset(dataset, tmp_path / fmt, fmt)
        assert load_dataset(tmp_path / fmt).images[0].ignored == _annotated().ignored
    with pytest.raises(DatasetError, match="YOLO labels cannot hold"):
        save_dataset(dataset, tmp_path / "yolo", "yolo")
    assert not (tmp_path / "yolo").exists()


def test_other_ignored_regions_make_another_annotation():
    ann = _annotated()
    assert same_boxes(ann, _annotated())
    assert not same_boxes(ann, replace(ann, ignored=ann.ignored[:1]))
    assert not same_boxes(ann, replace(ann, ignored=[]))
