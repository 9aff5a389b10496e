"""The dataset store: lossless images, VOC + COCO + index written atomically, no silent overwrite."""
import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from OssificationDetectorLib.core import atomic
from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.annotations.coco import read_coco
from OssificationDetectorLib.annotations.dataset_store import (
    AnnotationConflictError, DatasetStore, DatasetStoreError, find_in_dataset, import_dataset, pixel_hash,
    save_radiograph_annotations, training_file,
)
from OssificationDetectorLib.annotations.datasets import load_dataset, save_dataset
from OssificationDetectorLib.io.images import radiograph_from_array, read_radiograph
from OssificationDetectorLib.annotations.voc import read_voc

BOXES = [Box("PIP", 10.25, 20.5, 30.125, 40.75, digit=3), Box("Wrist", 5, 60, 70, 79.5)]


def _radiograph(seed=0, dtype=np.uint8, high=255, metadata=None, source="array"):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, high + 1, size=(80, 100)).astype(dtype)
    return radiograph_from_array(pixels, source=source, metadata=metadata)


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _snapshot(folder):
    return {name: (folder / name).read_bytes() for name in _files(folder)}


def test_save_writes_png_voc_coco_and_index(tmp_path):
    radiograph = _radiograph()
    stored = save_radiograph_annotations(tmp_path, "hand 01", radiograph, BOXES, source=tmp_path / "x.dcm")
    assert stored.name == "hand_01" and not stored.updated
    assert _files(tmp_path) == ["Annotations/hand_01.xml", "annotations.json", "images/hand_01.png", "sources.json"]
    with Image.open(stored.image_path) as png:
        assert png.mode == "L" and np.array_equal(np.array(png), radiograph.pixels)
    voc = read_voc(stored.annotation_path)
    assert voc.file == "hand_01.png" and (voc.width, voc.height) == (100, 80) and voc.boxes == BOXES
    coco = read_coco(tmp_path / "annotations.json")
    assert [(c.file, c.boxes) for c in coco] == [("hand_01.png", BOXES)]
    index = json.loads((tmp_path / "sources.json").read_text())["images"]["hand_01"]
    assert index["source"] == str(tmp_path / "x.dcm") and index["bits"] == 8
    assert index["pixel_sha256"] == index["image_sha256"] == pixel_hash(radiograph)
    # Any tool reads the folder: VOC by its Annotations/ folder, COCO by its file.
    for source in (tmp_path, training_file(tmp_path)):
        dataset = load_dataset(source)
        assert [a.boxes for a in dataset.images] == [BOXES]
        assert dataset.image_path(dataset.images[0]) == stored.image_path


def test_same_image_again_updates_its_boxes_under_its_name(tmp_path):
    radiograph = _radiograph()
    save_radiograph_annotations(tmp_path, "a", radiograph, BOXES)
    other = save_radiograph_annotations(tmp_path, "b", _radiograph(seed=1), [BOXES[1]])
    png_before = (tmp_path / "images" / "a.png").read_bytes()
    again = save_radiograph_annotations(tmp_path, "renamed", radiograph, [BOXES[0]])
    assert again.name == "a" and again.updated
    assert (tmp_path / "images" / "a.png").read_bytes() == png_before
    assert read_voc(tmp_path / "Annotations" / "a.xml").boxes == [BOXES[0]]
    coco = {c.file: c.boxes for c in read_coco(tmp_path / "annotations.json")}
    assert coco == {"a.png": [BOXES[0]], "b.png": [BOXES[1]]}
    assert read_voc(other.annotation_path).boxes == [BOXES[1]]
    assert not (tmp_path / "images" / "renamed.png").exists()


def test_a_name_holding_another_image_is_never_overwritten(tmp_path):
    save_radiograph_annotations(tmp_path, "hand", _radiograph(seed=0), BOXES)
    before = _snapshot(tmp_path)
    with pytest.raises(AnnotationConflictError, match="already holds a different image named 'hand'"):
        save_radiograph_annotations(tmp_path, "hand", _radiograph(seed=1), [BOXES[0]])
    assert _snapshot(tmp_path) == before
    renamed = save_radiograph_annotations(tmp_path, "hand", _radiograph(seed=1), [BOXES[0]], on_conflict="rename")
    assert renamed.name == "hand-2"
    assert read_voc(tmp_path / "Annotations" / "hand.xml").boxes == BOXES
    assert (tmp_path / "images" / "hand.png").read_bytes() == before["images/hand.png"]
    assert sorted(DatasetStore(tmp_path).names) == ["hand", "hand-2"]


def test_files_left_by_an_interrupted_save_still_count_as_taken(tmp_path):
    """A crash after the PNG and before the index: the name still belongs to that image."""
    save_radiograph_annotations(tmp_path, "first", _radiograph(seed=0), BOXES)
    orphan = _radiograph(seed=5)
    Image.fromarray(orphan.pixels.astype(np.uint8)).save(tmp_path / "images" / "lost.png")
    with pytest.raises(AnnotationConflictError):
        save_radiograph_annotations(tmp_path, "lost", _radiograph(seed=6), BOXES)
    stored = save_radiograph_annotations(tmp_path, "lost", orphan, BOXES)  # the same image: taken over
    assert stored.name == "lost" and read_voc(stored.annotation_path).boxes == BOXES


def test_a_source_file_whose_pixels_changed_is_not_silently_replaced(tmp_path):
    source = tmp_path / "scan.dcm"
    source.write_bytes(b"stand-in for a DICOM path")
    save_radiograph_annotations(tmp_path / "ds", "scan", _radiograph(seed=0), BOXES, source=source)
    with pytest.raises(AnnotationConflictError, match="different pixels"):
        save_radiograph_annotations(tmp_path / "ds", "scan", _radiograph(seed=2), BOXES, source=source)


class _FailingStream(io.RawIOBase):
    """Writes the first half of what it is given, then fails: a disk that fills up midway."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, data):
        self.stream.write(bytes(data[: max(1, len(data) // 2)]))
        self.stream.flush()
        raise OSError(28, "No space left on device")

    def writable(self):
        return True

    def fileno(self):
        return self.stream.fileno()

    def close(self):
        self.stream.close()
        super().close()


def _fail_writes_midway(monkeypatch):
    real_fdopen = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        stream = real_fdopen(fd, "wb")
        return _FailingStream(stream) if "b" in mode else io.TextIOWrapper(_FailingStream(stream))

    monkeypatch.setattr(atomic.os, "fdopen", fdopen)


def test_an_interrupted_write_leaves_the_previous_files_intact(tmp_path, monkeypatch):
    radiograph = _radiograph()
    save_radiograph_annotations(tmp_path, "hand", radiograph, BOXES)
    before = _snapshot(tmp_path)
    with monkeypatch.context() as patch:
        _fail_writes_midway(patch)
        with pytest.raises(OSError, match="No space left"):
            save_radiograph_annotations(tmp_path, "hand", radiograph, [BOXES[0]])  # rewrites the VOC first
        with pytest.raises(OSError, match="No space left"):
            save_radiograph_annotations(tmp_path, "new", _radiograph(seed=3), BOXES)  # writes a PNG first
    assert _snapshot(tmp_path) == before  # no half file, no temporary file, nothing replaced
    assert read_voc(tmp_path / "Annotations" / "hand.xml").boxes == BOXES
    stored = save_radiograph_annotations(tmp_path, "new", _radiograph(seed=3), BOXES)
    assert stored.name == "new" and sorted(DatasetStore(tmp_path).names) == ["hand", "new"]


def test_more_than_8_bits_are_kept_in_a_16_bit_png(tmp_path):
    twelve_bit = _radiograph(dtype=np.uint16, high=4095, metadata={"bits_stored": 12})
    stored = save_radiograph_annotations(tmp_path, "dx", twelve_bit, BOXES)
    with Image.open(stored.image_path) as png:
        assert png.mode.startswith("I") and np.array_equal(np.array(png), twelve_bit.pixels)
    assert read_radiograph(stored.image_path).metadata["bits"] == 16
    # 12-bit data whose values happen to stay below 256 is still written with 16 bits.
    dark = radiograph_from_array(twelve_bit.pixels % 200, metadata={"bits_stored": 12})
    assert DatasetStore(tmp_path).save("dark", dark, BOXES).name == "dark"
    with Image.open(tmp_path / "images" / "dark.png") as png:
        assert png.mode.startswith("I")


def test_float_and_negative_values_are_stretched_to_16_bits_with_their_mapping(tmp_path):
    rng = np.random.default_rng(4)
    pixels = rng.normal(-300.0, 800.0, size=(80, 100)).astype(np.float32)  # e.g. a VOI-windowed DICOM
    stored = save_radiograph_annotations(tmp_path, "float", radiograph_from_array(pixels), BOXES)
    entry = json.loads((tmp_path / "sources.json").read_text())["images"]["float"]
    mapping = entry["value_mapping"]
    with Image.open(stored.image_path) as png:
        png_values = np.array(png).astype(np.float64)
    assert png_values.min() == 0 and png_values.max() == 65535
    restored = mapping["offset"] + mapping["scale"] * png_values
    assert np.abs(restored - pixels).max() <= mapping["scale"] / 2 + 1e-3
    assert find_in_dataset(tmp_path, radiograph_from_array(pixels)).name == "float"
    assert find_in_dataset(tmp_path, stored.image_path).name == "float"  # the stored PNG itself


def test_find_in_dataset_by_pixels_or_source(tmp_path, sample_png):
    assert find_in_dataset(tmp_path, read_radiograph(sample_png)) is None  # no dataset yet
    radiograph = read_radiograph(sample_png)
    save_radiograph_annotations(tmp_path, "sample", radiograph, BOXES, source=sample_png)
    by_pixels = find_in_dataset(tmp_path, radiograph_from_array(radiograph.pixels.copy()))
    by_path = find_in_dataset(tmp_path, sample_png)
    by_source = find_in_dataset(tmp_path, source=str(sample_png))
    by_hash = find_in_dataset(tmp_path, pixel_sha256=pixel_hash(radiograph))
    for found in (by_pixels, by_path, by_source, by_hash):
        assert found.name == "sample" and found.boxes == BOXES and found.source == str(sample_png.resolve())
    assert find_in_dataset(tmp_path, _radiograph(seed=9)) is None


def test_boxes_are_clipped_and_a_box_off_the_image_is_refused(tmp_path):
    stored = save_radiograph_annotations(tmp_path, "edge", _radiograph(), [Box("Ulna", -5, 70, 20, 95)])
    assert stored.boxes == [Box("Ulna", 0, 70, 20, 80)]
    with pytest.raises(DatasetStoreError, match="lies outside the 100 x 80 image"):
        save_radiograph_annotations(tmp_path, "edge", _radiograph(), [Box("Ulna", 120, 10, 130, 20)])
    assert read_voc(tmp_path / "Annotations" / "edge.xml").boxes == [Box("Ulna", 0, 70, 20, 80)]


def test_bad_names_and_damaged_index_get_clear_errors(tmp_path):
    with pytest.raises(DatasetStoreError, match="cannot name an image"):
        save_radiograph_annotations(tmp_path, "///", _radiograph(), BOXES)
    save_radiograph_annotations(tmp_path, "ok", _radiograph(), BOXES)
    (tmp_path / "sources.json").write_text("{not json")
    with pytest.raises(DatasetStoreError, match="sources.json is damaged"):
        find_in_dataset(tmp_path, _radiograph())
    with pytest.raises(DatasetStoreError, match="holds no annotations.json"):
        training_file(tmp_path / "elsewhere")


def _sample_dataset(samples_voc, samples_images):
    return load_dataset(samples_voc, image_root=samples_images)


@pytest.mark.parametrize("fmt", ["voc", "coco", "yolo"])
def test_import_an_existing_dataset(fmt, tmp_path, sample_voc_dir, sample_pngs):
    original = _sample_dataset(sample_voc_dir, sample_pngs[0].parent)
    source = tmp_path / f"source-{fmt}"
    save_dataset(original, source, fmt)
    store = tmp_path / "store"
    save_radiograph_annotations(store, "4221", _radiograph(seed=8), BOXES)  # a different image named 4221
    result = import_dataset(store, source)
    assert sorted(result.imported) == ["4221-2", "4298", "6470"] and result.already_present == []
    imported = load_dataset(store)
    assert imported.format == "voc" and len(imported.images) == 4
    by_file = {a.file: a for a in imported.images}
    tolerance = 1e-9 if fmt == "yolo" else 0.0
    for ann in original.images:
        name = "4221-2" if ann.file.startswith("4221") else ann.file[:-4]
        mine = by_file[f"{name}.png"]
        assert (mine.width, mine.height) == (ann.width, ann.height)
        assert [b.label for b in mine.boxes] == [b.label for b in ann.boxes]
        assert np.abs(np.array([b.coords for b in mine.boxes]) - [b.coords for b in ann.boxes]).max() <= tolerance
        image = read_radiograph(imported.image_path(mine))
        assert np.array_equal(image.pixels, read_radiograph(original.image_path(ann)).pixels)
    assert read_voc(store / "Annotations" / "4221.xml").boxes == BOXES  # the other image kept its boxes
    coco_files = sorted(a.file for a in read_coco(store / "annotations.json"))
    assert coco_files == ["4221-2.png", "4221.png", "4298.png", "6470.png"]
    again = import_dataset(store, source)
    assert again.imported == [] and sorted(again.already_present) == ["4221-2", "4298", "6470"]
