import pytest

from OssificationDetectorLib.core.boxes import Box, BoxError
from OssificationDetectorLib.core.taxonomy import (
    CLASS_COLORS, CLASSES, EXPECTED_COUNTS, EXPECTED_TOTAL, UnknownClassError,
    area_name, check_label, class_index, class_of_index, expected_area_names,
)


def test_seventeen_areas_in_six_classes():
    assert CLASSES == ("DIP", "PIP", "MCP", "Radius", "Ulna", "Wrist")
    assert EXPECTED_TOTAL == 17
    assert EXPECTED_COUNTS["DIP"] == 4 and EXPECTED_COUNTS["PIP"] == 5 and EXPECTED_COUNTS["MCP"] == 5
    names = expected_area_names()
    assert len(names) == len(set(names)) == 17
    assert "PIP I" in names and "DIP I" not in names and "MCP V" in names


def test_labels_and_indices():
    assert check_label("mcp") == "MCP"
    assert [class_of_index(class_index(c)) for c in CLASSES] == list(CLASSES)
    assert class_index("DIP") == 1  # 0 is the detector's background
    with pytest.raises(UnknownClassError, match="expected one of DIP"):
        check_label("Carpal")
    assert len({CLASS_COLORS[c] for c in CLASSES}) == 6


def test_area_names():
    assert area_name("PIP", 3) == "PIP III"
    assert area_name("Radius", 3) == "Radius"
    assert area_name("DIP") == "DIP"


def test_box_geometry():
    a = Box("dip", 0, 0, 10, 10, score=0.9)
    b = Box("DIP", 5, 0, 15, 10)
    assert a.label == "DIP" and a.center == (5.0, 5.0) and a.area == 100
    assert a.iou(b) == pytest.approx(50 / 150)
    assert a.iou(Box("DIP", 20, 20, 30, 30)) == 0.0
    assert a.scaled(2).coords == [0, 0, 20, 20]
    assert Box("Wrist", -5, -5, 5, 5).clipped(3, 4).coords == [0, 0, 3, 4]
    assert Box("Wrist", 10, 10, 12, 12).clipped(5, 5) is None


def test_impossible_box_is_refused():
    with pytest.raises(BoxError, match="x2 must exceed x1"):
        Box("MCP", 10, 0, 10, 5)
