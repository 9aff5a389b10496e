"""Annotation formats: VOC, COCO, YOLO and detections.json (datasets of them: test_datasets.py; atomic
writes: test_atomic_writes.py).

"Lossless" here means: VOC, COCO and detections.json give back exactly the same floats; YOLO stores
centre and size normalised by the image size, so its corners come back within 1e-9 px (in practice
about 1e-13) and it has no field for a box's digit.
"""
import json
import xml.etree.ElementTree as ET

import pytest

from annotation_samples import YOLO_TOLERANCE_PX, assert_same_within, synthetic_images, write_blank_pngs
from OssificationDetectorLib.annotations.common import AnnotationFormatError
from OssificationDetectorLib.core.boxes import AnnotatedImage, Box
from OssificationDetectorLib.annotations.coco import read_coco, write_coco
from OssificationDetectorLib.annotations.datasets import load_dataset
from OssificationDetectorLib.detection.detections_json import read_detections_json, write_detections_json
from OssificationDetectorLib.core.taxonomy import CLASSES, UnknownClassError
from OssificationDetectorLib.annotations.voc import read_voc, write_voc
from OssificationDetectorLib.annotations.yolo import read_yolo, write_yolo


# ---------- Pascal VOC ----------

def test_voc_round_trip_exact_on_samples(sample_voc_dir, tmp_path):
    for xml in sorted(sample_voc_dir.glob("*.xml")):
        original = read_voc(xml)
        assert len(original.boxes) == 17
        first = ET.parse(xml).getroot().find("object/bndbox/xmin").text
        assert original.boxes[0].x1 == float(first)
        write_voc(original, tmp_path / xml.name)
        assert read_voc(tmp_path / xml.name) == original


def test_voc_round_trip_exact_on_synthetic_floats(tmp_path):
    for ann in synthetic_images():
        write_voc(ann, tmp_path / "a.xml")
        assert read_voc(tmp_path / "a.xml") == ann  # same floats, scores and digits


def test_voc_output_has_labelimg_layout(tmp_path):
    ann = AnnotatedImage("4221.png", 523, 682, [Box("PIP", 250.8, 151.4, 296.25, 208.0, digit=2)])
    write_voc(ann, tmp_path / "4221.xml", image_path=tmp_path / "JPEGImages" / "4221.png")
    root = ET.parse(tmp_path / "4221.xml").getroot()
    assert [c.tag for c in root] == ["folder", "filename", "path", "source", "size", "segmented", "object"]
    assert [c.tag for c in root.find("size")] == ["width", "height", "depth"]
    obj = root.find("object")
    assert [c.tag for c in obj][:4] == ["name", "pose", "truncated", "difficult"]
    assert root.findtext("folder") == "JPEGImages" and root.findtext("filename") == "4221.png"
    # LabelImg reads corners as int(float(text)), and skips tags it does not know (digit, score).
    box = obj.find("bndbox")
    assert [int(float(box.findtext(t))) for t in ("xmin", "ymin", "xmax", "ymax")] == [250, 151, 296, 208]
    assert box.findtext("ymax") == "208"  # whole numbers are written without ".0"


def test_voc_accepts_integer_corners_and_any_label_case(tmp_path):
    (tmp_path / "a.xml").write_text(
        "<annotation><filename>a.png</filename><size><width>100</width><height>80.0</height></size>"
        "<object><name>wrist</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax>"
        "</bndbox></object></annotation>"
    )
    ann = read_voc(tmp_path / "a.xml")
    assert (ann.width, ann.height) == (100, 80)
    assert ann.boxes == [Box("Wrist", 1, 2, 30, 40)]


@pytest.mark.parametrize("text, error, message", [
    ("<annotation><filename>a.png</filename", AnnotationFormatError, "not valid XML"),
    ("<annotation><filename>a.png</filename></annotation>", AnnotationFormatError, "<size>"),
    ("<voc/>", AnnotationFormatError, "not <annotation>"),
    ("<annotation><filename>a.png</filename><size><width>9</width><height>9</height></size><object>"
     "<name>Tibia</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>"
     "</object></annotation>", UnknownClassError, "object 1.*'Tibia'"),
    ("<annotation><filename>a.png</filename><size><width>9</width><height>9</height></size><object>"
     "<name>DIP</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>"
     "</object></annotation>", AnnotationFormatError, "object 1.*inverted"),
    ("<annotation><filename>a.png</filename><size><width>9</width><height>9</height></size><object>"
     "<name>DIP</name><bndbox><xmin>one</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>"
     "</object></annotation>", AnnotationFormatError, "'one' is not a number"),
])
def test_voc_errors_name_the_file(tmp_path, text, error, message):
    path = tmp_path / "broken.xml"
    path.write_text(text)
    with pytest.raises(error, match=message) as raised:
        read_voc(path)
    assert str(path) in str(raised.value)


# ---------- COCO ----------

def test_coco_round_trip_exact(sample_voc_dir, tmp_path):
    images = [read_voc(p) for p in sorted(sample_voc_dir.glob("*.xml"))] + synthetic_images()
    write_coco(images, tmp_path / "c.json")
    assert read_coco(tmp_path / "c.json") == images


def test_coco_document_layout(tmp_path):
    images = synthetic_images(count=2)
    write_coco(images, tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    assert [(c["id"], c["name"]) for c in data["categories"]] == list(enumerate(CLASSES, start=1))
    assert [i["id"] for i in data["images"]] == [1, 2]
    first_box, first = images[0].boxes[1], data["annotations"][1]
    assert first["bbox"] == [first_box.x1, first_box.y1, first_box.width, first_box.height]
    assert first["area"] == first_box.area and first["iscrowd"] == 0
    assert first["category_id"] == CLASSES.index(first_box.label) + 1
    assert [a["id"] for a in data["annotations"]] == list(range(1, len(data["annotations"]) + 1))


def test_coco_from_another_tool_is_within_rounding(tmp_path):
    """Without our "xyxy" corners, x2 = x + w, which can differ from the original x2 in the last bit."""
    assert 43.6 + (125.3 - 43.6) == 125.29999999999998  # why our files carry the corners
    images = synthetic_images()
    write_coco(images, tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    for annotation in data["annotations"]:
        del annotation["xyxy"]
    (tmp_path / "plain.json").write_text(json.dumps(data))
    plain = read_coco(tmp_path / "plain.json")
    assert plain != images  # not bit-exact ...
    assert_same_within(plain, images, 1e-9)  # ... but within 1e-9 px


def test_coco_bbox_edited_elsewhere_wins_over_stale_corners(tmp_path):
    write_coco([AnnotatedImage("a.png", 50, 50, [Box("MCP", 1, 2, 11, 22)])], tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    data["annotations"][0]["bbox"] = [5, 5, 10, 10]  # moved in another tool, which kept "xyxy"
    (tmp_path / "c.json").write_text(json.dumps(data))
    assert read_coco(tmp_path / "c.json")[0].boxes[0].coords == [5, 5, 15, 15]


def test_coco_reads_string_ids_and_ignores_unused_categories(tmp_path):
    data = {"images": [{"id": "1377", "file_name": "1377.png", "width": 757, "height": 1022}],
            "categories": [{"id": 1, "name": "hand"}, {"id": 7, "name": "radius"}],
            "annotations": [{"id": "a", "image_id": "1377", "category_id": 7, "bbox": [1.5, 2, 3, 4]}]}
    (tmp_path / "c.json").write_text(json.dumps(data))
    assert read_coco(tmp_path / "c.json")[0].boxes == [Box("Radius", 1.5, 2, 4.5, 6)]


@pytest.mark.parametrize("change, error, message", [
    (lambda d: d["categories"].append({"id": 9, "name": "Tibia"})
     or d["annotations"][0].update(category_id=9),
     UnknownClassError, r"annotations\[0\].*'Tibia'"),
    (lambda d: d["annotations"][0].update(image_id=99), AnnotationFormatError, "image_id 99"),
    (lambda d: d["annotations"][0].update(bbox=[1, 2, 3]), AnnotationFormatError, "bbox"),
    (lambda d: d["images"][0].pop("width"), AnnotationFormatError, r"images\[0\] width"),
    (lambda d: d.pop("images"), AnnotationFormatError, "not a COCO detection file"),
])
def test_coco_errors_name_the_file(tmp_path, change, error, message):
    write_coco(synthetic_images(count=1), tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    change(data)
    (tmp_path / "c.json").write_text(json.dumps(data))
    with pytest.raises(error, match=message) as raised:
        read_coco(tmp_path / "c.json")
    assert str(tmp_path / "c.json") in str(raised.value)


def test_coco_not_json(tmp_path):
    (tmp_path / "c.json").write_text("{images: oops")
    with pytest.raises(AnnotationFormatError, match="not valid JSON"):
        read_coco(tmp_path / "c.json")


# ---------- YOLO ----------

def test_yolo_round_trip_within_tolerance(tmp_path):
    images = synthetic_images()
    write_blank_pngs(images, tmp_path / "images")
    write_yolo(images, tmp_path)
    assert (tmp_path / "classes.txt").read_text().split() == list(CLASSES)
    got = read_yolo(tmp_path)
    assert_same_within(got, images, YOLO_TOLERANCE_PX, keep_digits=False)
    assert all(b.digit is None for a in got for b in a.boxes)  # YOLO has no field for digits


def test_yolo_reads_labelimg_layout_with_its_own_class_order(tmp_path):
    """Txt files next to the images; classes.txt in another order than ours."""
    write_blank_pngs([AnnotatedImage("a.png", 200, 100)], tmp_path)
    (tmp_path / "classes.txt").write_text("wrist\nulna\nDIP\n")
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.5 0.2\n\n2 0.25 0.75 0.1 0.1 0.75\n")
    images = read_yolo(tmp_path)
    assert images[0].boxes == [Box("Wrist", 50, 40, 150, 60), Box("DIP", 40, 70, 60, 80, score=0.75)]


def test_yolo_image_without_labels_has_no_boxes(tmp_path):
    write_blank_pngs([AnnotatedImage("a.png", 20, 10), AnnotatedImage("b.png", 30, 10)], tmp_path / "images")
    write_yolo([AnnotatedImage("a.png", 20, 10, [Box("Ulna", 1, 1, 5, 5)])], tmp_path)
    assert [(a.file, len(a.boxes)) for a in read_yolo(tmp_path)] == [("a.png", 1), ("b.png", 0)]


@pytest.mark.parametrize("classes, line, message", [
    ("DIP\n", "1 0.5 0.5 0.1 0.1", "class 1 is not a line of classes.txt"),
    ("DIP\n", "0 0.5 0.5 0.1", "expected `class cx cy w h"),
    ("Tibia\n", "0 0.5 0.5 0.1 0.1", "'Tibia'"),
    (None, "0 0.5 0.5 0.1 0.1", "no classes.txt"),
])
def test_yolo_errors(tmp_path, classes, line, message):
    write_blank_pngs([AnnotatedImage("a.png", 20, 10)], tmp_path / "images")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text(line + "\n")
    if classes is not None:
        (tmp_path / "classes.txt").write_text(classes)
    with pytest.raises(ValueError, match=message):
        read_yolo(tmp_path)


def test_yolo_label_without_image_is_an_error(tmp_path):
    write_blank_pngs([AnnotatedImage("a.png", 20, 10)], tmp_path / "images")
    write_yolo([AnnotatedImage("a.png", 20, 10), AnnotatedImage("lost.png", 20, 10)], tmp_path)
    with pytest.raises(AnnotationFormatError, match="lost.txt"):
        read_yolo(tmp_path)


# ---------- detections.json ----------

def test_detections_json_exact_format_and_round_trip(tmp_path):
    boxes = [Box("DIP", 1.25, 2.5, 30.125, 40.0, score=0.98),
             Box("Wrist", 0.1, 0.2, 0.30000000000000004, 9, score=0.5)]
    path = write_detections_json(tmp_path / "d.json", [("scans/a.png", 640, 800, boxes),
                                                        AnnotatedImage("b.png", 10, 20, [])])
    data = json.loads(path.read_text())
    assert list(data) == ["format", "format_version", "images"]
    assert (data["format"], data["format_version"]) == ("ossification-detector-detections", 2)
    assert data["images"][0] == {
        "file": "scans/a.png", "width": 640, "height": 800,
        "detections": [{"label": "DIP", "name": "DIP", "digit": None, "score": 0.98, "box": [1.25, 2.5, 30.125, 40.0]},
                       {"label": "Wrist", "name": "Wrist", "digit": None, "score": 0.5,
                        "box": [0.1, 0.2, 0.30000000000000004, 9.0]}],
        "warnings": [],
    }
    assert read_detections_json(path) == [AnnotatedImage("scans/a.png", 640, 800, boxes),
                                          AnnotatedImage("b.png", 10, 20, [])]


def test_detections_json_names_each_joint_with_its_digit_and_keeps_warnings_and_errors(tmp_path):
    boxes = [Box("PIP", 1, 2, 30, 40, score=0.9, digit=3), Box("Radius", 5, 6, 70, 80, score=0.8)]
    path = write_detections_json(tmp_path / "d.json", [
        {"file": "a.png", "width": 100, "height": 120, "boxes": boxes, "warnings": ["the image looks inverted"]},
        {"file": "broken.png", "width": 0, "height": 0, "boxes": [], "error": "broken.png: the file is empty"}])
    images = json.loads(path.read_text())["images"]
    assert [(d["name"], d["digit"]) for d in images[0]["detections"]] == [("PIP III", 3), ("Radius", None)]
    assert images[0]["warnings"] == ["the image looks inverted"]
    assert images[1] == {"file": "broken.png", "error": "broken.png: the file is empty"}
    read = read_detections_json(path)  # the unreadable image is no evaluation input
    assert [a.file for a in read] == ["a.png"] and read[0].boxes[0].digit == 3


def test_detections_json_of_version_1_is_still_read_and_a_newer_one_refused(tmp_path):
    (tmp_path / "v1.json").write_text(json.dumps({"images": [{"file": "a.png", "width": 5, "height": 5,
        "detections": [{"label": "DIP", "score": 0.5, "box": [1, 1, 2, 2]}]}]}))
    assert read_detections_json(tmp_path / "v1.json")[0].boxes[0].label == "DIP"
    (tmp_path / "v9.json").write_text(json.dumps({"format": "ossification-detector-detections",
                                                  "format_version": 9, "images": []}))
    with pytest.raises(AnnotationFormatError, match="newer OssificationDetector"):
        read_detections_json(tmp_path / "v9.json")


def test_detections_json_errors(tmp_path):
    with pytest.raises(ValueError, match="no score"):
        write_detections_json(tmp_path / "d.json", [("a.png", 5, 5, [Box("DIP", 1, 1, 2, 2)])])
    assert not (tmp_path / "d.json").exists()
    (tmp_path / "d.json").write_text(json.dumps({"images": [
        {"file": "a.png", "width": 5, "height": 5,
         "detections": [{"label": "Toe", "score": 1, "box": [1, 1, 2, 2]}]}]}))
    with pytest.raises(UnknownClassError, match=r"detections\[0\].*'Toe'"):
        read_detections_json(tmp_path / "d.json")
    (tmp_path / "d.json").write_text(json.dumps({"detections": []}))
    with pytest.raises(AnnotationFormatError, match="not a detections file"):
        read_detections_json(tmp_path / "d.json")


def test_shared_ossification_voc_set_round_trips(rsna_dir, tmp_path):
    """The 20 annotated RSNA radiographs: images found, sizes agree, VOC and COCO give back the same floats."""
    dataset = load_dataset(rsna_dir / "annotations" / "ossification-voc")
    assert len(dataset.images) == 20
    assert dataset.image_path(dataset.images[0]).parent == rsna_dir / "images"
    write_coco(dataset.images, tmp_path / "all.json")
    assert read_coco(tmp_path / "all.json") == dataset.images
    for ann in dataset.images:
        write_voc(ann, tmp_path / "one.xml")
        assert read_voc(tmp_path / "one.xml") == ann
