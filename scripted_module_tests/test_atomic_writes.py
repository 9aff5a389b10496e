"""Atomic writes: a file is replaced whole or not at all, whatever fails on the way."""
import os

import pytest

from annotation_samples import synthetic_images
from OssificationDetectorLib.core import atomic
from OssificationDetectorLib.core.atomic import atomic_write_bytes, atomic_write_text, atomic_writer
from OssificationDetectorLib.core.boxes import AnnotatedImage, Box
from OssificationDetectorLib.annotations.coco import write_coco
from OssificationDetectorLib.annotations.voc import write_voc


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
