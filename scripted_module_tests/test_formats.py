"""Annotation formats: VOC, COCO, YOLO, datasets, detections.json and atomic writes.

"Lossless" here means: VOC, COCO and detections.json give back exactly the same floats; YOLO stores
centre and size normalised by the image size, so its corners come back within 1e-9 px (in practice
about 1e-13) and it has no field for a box's digit.
"""
import json
import os
import random
import shutil
import xml.etree.ElementTree as ET
from itertools import permutations

import pytest

from OssificationDetectorLib import atomic
from OssificationDetectorLib.annotation_io import AnnotationFormatError
from OssificationDetectorLib.atomic import atomic_write_bytes, atomic_write_text, atomic_writer
from OssificationDetectorLib.boxes import AnnotatedImage, Box
from OssificationDetectorLib.coco import read_coco, write_coco
from OssificationDetectorLib.datasets import (
    DatasetError, MissingImageError, convert_dataset, load_dataset, save_dataset,
)
from OssificationDetectorLib.detections_json import read_detections_json, write_detections_json
from OssificationDetectorLib.taxonomy import CLASSES, UnknownClassError
from OssificationDetectorLib.voc import read_voc, write_voc
from OssificationDetectorLib.yolo import read_yolo, write_yolo

YOLO_TOLERANCE_PX = 1e-9


def synthetic_images(seed=7, count=3):
    """Images with awkward float boxes: many digits, thirds, tiny and edge boxes, scores and digits."""
    rng = random.Random(seed)
    images = []
    for i in range(count):
        width, height = rng.randint(300, 1200), rng.randint(300, 1600)
        boxes = [Box("DIP", 0.1, 1 / 3, 0.3 + 1e-7, 2 / 3, score=0.987654321012345, digit=3)]
        for label in CLASSES:
            x1, y1 = rng.uniform(0, width - 50), rng.uniform(0, height - 50)
            boxes.append(Box(label, x1, y1, x1 + rng.uniform(0.01, 49), y1 + rng.uniform(0.01, 49),
                             score=rng.random() if rng.random() < 0.5 else None))
        boxes.append(Box("Wrist", width - 10.125, height - 20.5, float(width), float(height)))
        boxes.append(Box("MCP", 43.6, 10, 125.3, 50.5))  # 43.6 + (125.3 - 43.6) != 125.3 in floats
        images.append(AnnotatedImage(f"synthetic_{i}.png", width, height, boxes))
    return images


def write_blank_pngs(images, folder):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for ann in images:
        Image.new("L", (ann.width, ann.height), 0).save(folder / ann.file)


def assert_same_within(got, expected, tolerance, keep_digits=True):
    assert [g.file for g in got] == [e.file for e in expected]
    for g, e in zip(got, expected):
        assert (g.width, g.height) == (e.width, e.height)
        assert [b.label for b in g.boxes] == [b.label for b in e.boxes]
        assert [b.score for b in g.boxes] == [b.score for b in e.boxes]
        if keep_digits:
            assert [b.digit for b in g.boxes] == [b.digit for b in e.boxes]
        for gb, eb in zip(g.boxes, e.boxes):
            assert max(abs(a - b) for a, b in zip(gb.coords, eb.coords)) <= tolerance


def by_name(images):
    return sorted(images, key=lambda a: a.file)


# ---------- atomic writes ----------

def test_atomic_write_creates_folders_and_replaces(tmp_path):
    target = tmp_path / "new" / "deeper" / "file.txt"
    atomic_write_text(target, "first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["file.txt"]


def test_exception_inside_atomic_writer_keeps_previous_file(tmp_path):
    target = tmp_path / "annotations.json"
    target.write_text("previous")
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_writer(target) as stream:
            stream.write("half of the new con")
            raise RuntimeError("interrupted")
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["annotations.json"]


def test_failing_rename_keeps_previous_file(tmp_path, monkeypatch):
    """A crash at the last step (the rename) leaves the old file and no temporary file."""
    target = tmp_path / "4221.xml"
    target.write_text("previous")

    def fail(*args):
        raise OSError("disk gone")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk gone"):
        write_voc(AnnotatedImage("4221.png", 10, 10, [Box("DIP", 1, 1, 2, 2)]), target)
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["4221.xml"]


def test_writer_that_raises_midway_keeps_previous_coco(tmp_path, monkeypatch):
    """A COCO dataset file whose serialisation fails after half of it was written."""
    target = tmp_path / "annotations.json"
    write_coco(synthetic_images(), target)
    before = target.read_bytes()
    real_writer = atomic.atomic_writer

    class HalfStream:
        def __init__(self, stream):
            self.stream = stream

        def write(self, text):
            self.stream.write(text[: len(text) // 2])
            raise OSError("no space left on device")

    def half_writer(path, *args, **kwargs):
        context = real_writer(path, *args, **kwargs)

        class Wrapper:
            def __enter__(self):
                return HalfStream(context.__enter__())

            def __exit__(self, *exc):
                return context.__exit__(*exc)

        return Wrapper()

    monkeypatch.setattr(atomic, "atomic_writer", half_writer)
    with pytest.raises(OSError, match="no space"):
        write_coco(synthetic_images(seed=8), target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["annotations.json"]


def test_atomic_write_keeps_permissions(tmp_path):
    target = tmp_path / "shared.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write_text(target, "new")
    assert target.stat().st_mode & 0o777 == 0o640


def test_atomic_writer_rejects_append_mode(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        with atomic_writer(tmp_path / "x", "a"):
            pass


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


# ---------- datasets and conversions ----------

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
    from OssificationDetectorLib.datasets import Dataset

    with pytest.raises(DatasetError, match="'a'"):
        save_dataset(Dataset(tmp_path / "src", images, "coco"), tmp_path / "out", "voc")


# ---------- detections.json ----------

def test_detections_json_exact_format_and_round_trip(tmp_path):
    boxes = [Box("DIP", 1.25, 2.5, 30.125, 40.0, score=0.98),
             Box("Wrist", 0.1, 0.2, 0.30000000000000004, 9, score=0.5)]
    path = write_detections_json(tmp_path / "d.json", [("scans/a.png", 640, 800, boxes),
                                                        AnnotatedImage("b.png", 10, 20, [])])
    data = json.loads(path.read_text())
    assert list(data) == ["images"]
    assert data["images"][0] == {
        "file": "scans/a.png", "width": 640, "height": 800,
        "detections": [{"label": "DIP", "score": 0.98, "box": [1.25, 2.5, 30.125, 40.0]},
                       {"label": "Wrist", "score": 0.5, "box": [0.1, 0.2, 0.30000000000000004, 9.0]}],
    }
    assert read_detections_json(path) == [AnnotatedImage("scans/a.png", 640, 800, boxes),
                                          AnnotatedImage("b.png", 10, 20, [])]


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
