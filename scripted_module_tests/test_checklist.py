"""The annotation checklist: boxes per class against the 17 areas of a left hand."""
from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.annotations.checklist import checklist
from OssificationDetectorLib.core.taxonomy import CLASSES, DIGITS_OF_CLASS, EXPECTED_COUNTS, expected_area_names


def _box(label, digit=None, x=0.0):
    return Box(label, x, 0.0, x + 10.0, 10.0, digit=digit)


def _full_hand():
    boxes = [_box(c, d) for c in ("DIP", "PIP", "MCP") for d in DIGITS_OF_CLASS[c]]
    return boxes + [_box("Radius"), _box("Ulna"), _box("Wrist")]


def test_empty_radiograph_misses_every_class_by_its_expected_count():
    result = checklist([])
    assert [c.label for c in result.classes] == list(CLASSES)
    assert {c.label: c.found for c in result.classes} == dict.fromkeys(CLASSES, 0)
    assert {c.label: c.expected for c in result.classes} == EXPECTED_COUNTS
    assert result.expected == 17 and result.found == 0
    assert sorted(result.missing) == sorted(["DIP"] * 4 + ["PIP"] * 5 + ["MCP"] * 5 + ["Radius", "Ulna", "Wrist"])
    assert not result.complete


def test_complete_hand_with_digits_is_complete():
    result = checklist(_full_hand())
    assert result.found == 17 and result.missing == [] and result.surplus == []
    assert result.complete
    assert result.summary() == "17 of 17 areas"


def test_missing_joints_are_named_when_digits_are_known():
    boxes = [b for b in _full_hand() if b.name not in ("PIP III", "DIP V", "Ulna")]
    result = checklist(boxes)
    assert result.of("PIP").found == 4 and result.of("PIP").missing == ["PIP III"]
    assert result.of("DIP").missing == ["DIP V"]
    assert result.of("Ulna").found == 0 and result.of("Ulna").missing == ["Ulna"]
    assert set(result.missing) == {"PIP III", "DIP V", "Ulna"}
    assert result.summary().startswith("14 of 17 areas; missing: ")
    assert set(result.missing) <= set(expected_area_names())


def test_a_joint_annotated_twice_is_surplus_even_when_the_count_matches():
    boxes = [b for b in _full_hand() if b.name != "MCP II"] + [_box("MCP", 3, x=50.0)]
    result = checklist(boxes)
    mcp = result.of("MCP")
    assert mcp.found == 5 and mcp.missing == ["MCP II"] and mcp.surplus == ["MCP III"]
    assert not mcp.complete and not result.complete


def test_without_digits_only_counts_are_compared():
    boxes = [_box("DIP", x=i * 20.0) for i in range(3)] + [_box("MCP", x=i * 20.0) for i in range(6)]
    boxes += [_box("Wrist"), _box("Wrist", x=30.0)]
    result = checklist(boxes)
    assert result.of("DIP").found == 3 and result.of("DIP").missing == ["DIP"]
    assert result.of("MCP").found == 6 and result.of("MCP").missing == [] and result.of("MCP").surplus == ["MCP"]
    assert result.of("Wrist").surplus == ["Wrist"]
    assert result.of("PIP").missing == ["PIP"] * 5


def test_digits_on_only_some_boxes_fall_back_to_counts():
    boxes = [_box("PIP", 1), _box("PIP", 2), _box("PIP", x=40.0)]
    pip = checklist(boxes).of("PIP")
    assert pip.found == 3 and pip.missing == ["PIP", "PIP"]
