"""Radiographs turned or mirrored: exact box maps for the eight orientations, and the default model
finding the areas of a turned, flipped or right hand and putting them back in the input's pixels."""
import json
import random

import numpy as np
import pytest

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.detection.orientation import (
    ALL_ORIENTATIONS, UPRIGHT, Orientation, box_from_view, box_to_view, composed, upright_view,
)
from turned_radiographs import turned_image

SAMPLE_ID = "6470"


def pixel_box(mask):
    """The pixel-edge box around the non-zero pixels of a 2D mask."""
    rows, cols = np.nonzero(mask)
    return (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)


@pytest.mark.parametrize("orientation", ALL_ORIENTATIONS)
def test_a_pixel_box_maps_exactly_onto_the_same_pixels_in_the_view(orientation):
    width, height = 7, 5
    rng = np.random.default_rng(orientation.quarter_turns + 4 * orientation.mirrored)
    for _ in range(20):
        x1, x2 = sorted(rng.choice(width + 1, 2, replace=False))
        y1, y2 = sorted(rng.choice(height + 1, 2, replace=False))
        mask = np.zeros((height, width))
        mask[y1:y2, x1:x2] = 1
        view = upright_view(mask, orientation)
        in_view = box_to_view(Box("DIP", x1, y1, x2, y2), width, height, orientation)
        assert tuple(in_view.coords) == pixel_box(view)
        back = box_from_view(in_view, width, height, orientation)
        assert back.coords == [x1, y1, x2, y2]


@pytest.mark.parametrize("orientation", ALL_ORIENTATIONS)
def test_round_trip_keeps_any_box_and_its_label_score_and_digit(orientation):
    width, height = 706.0, 867.0
    rng = random.Random(3)
    for _ in range(50):
        x1, y1 = rng.uniform(0, width - 1), rng.uniform(0, height - 1)
        box = Box("PIP", x1, y1, rng.uniform(x1 + 0.1, width), rng.uniform(y1 + 0.1, height), score=0.7, digit=3)
        in_view = box_to_view(box, width, height, orientation)
        view_width, view_height = (height, width) if orientation.quarter_turns % 2 else (width, height)
        assert 0 <= in_view.x1 < in_view.x2 <= view_width and 0 <= in_view.y1 < in_view.y2 <= view_height
        assert in_view.area == pytest.approx(box.area)
        back = box_from_view(in_view, width, height, orientation)
        assert back.coords == pytest.approx(box.coords, abs=1e-9)
        assert (back.label, back.score, back.digit) == ("PIP", 0.7, 3)


def test_known_corners():
    """The input's top-left pixel in each view of a 10 x 4 image (views of odd turns are 4 x 10)."""
    corner = Box("Wrist", 0, 0, 1, 1)
    expected = {
        Orientation(0, False): [0, 0, 1, 1],
        Orientation(0, True): [9, 0, 10, 1],     # flipped left-right
        Orientation(1, False): [0, 9, 1, 10],    # turned back counter-clockwise: to the bottom-left
        Orientation(2, False): [9, 3, 10, 4],    # upside down: to the bottom-right
        Orientation(3, False): [3, 0, 4, 1],     # turned back clockwise: to the top-right
        Orientation(1, True): [3, 9, 4, 10],
        Orientation(2, True): [0, 3, 1, 4],
        Orientation(3, True): [0, 0, 1, 1],      # a flip about the diagonal keeps this corner
    }
    for orientation, coords in expected.items():
        assert box_to_view(corner, 10, 4, orientation).coords == coords, orientation
        assert box_from_view(Box("Wrist", *coords), 10, 4, orientation).coords == [0, 0, 1, 1]


def test_orientations_compose_like_the_pixels():
    image = np.arange(12).reshape(3, 4)
    for outer in ALL_ORIENTATIONS:
        for inner in ALL_ORIENTATIONS:
            twice = upright_view(upright_view(image, outer), inner)
            assert np.array_equal(twice, upright_view(image, composed(outer, inner))), (outer, inner)


def test_descriptions():
    assert UPRIGHT.describe() == []
    assert "right hand" in " ".join(Orientation(0, True).describe())
    assert "90 degrees clockwise" in Orientation(1, False).describe()[0]
    assert "180 degrees" in Orientation(2, False).describe()[0]
    assert "90 degrees counter-clockwise" in Orientation(3, False).describe()[0]
    both = Orientation(3, True).describe()
    assert len(both) == 2 and "right hand" in both[0] and "counter-clockwise" in both[1]


# -- the bundled default model -------------------------------------------------------------------
@pytest.fixture(scope="module")
def counted_detector():
    """The default model, and a list that gets the number of images of each model call."""
    torch = pytest.importorskip("torch")
    from OssificationDetectorLib.detection.detect import Detector
    from OssificationDetectorLib.model.registry import bundled_models_dir

    if not (bundled_models_dir() / "models.json").is_file():
        pytest.skip("no bundled default model in Resources/Models")
    torch.set_num_threads(1)
    detector = Detector("default", device="cpu", threshold=0.5, threads=1)
    calls = []
    # Every pass starts with the model's transform (detection/model_pass.py), a pass the orientation
    # probe stops after the backbone too.
    detector.model.transform.register_forward_pre_hook(lambda module, args: calls.append(len(args[0])))
    sizes = []
    detector.model.transform.register_forward_pre_hook(
        lambda module, args: sizes.extend(tuple(im.shape[-2:]) for im in args[0]))
    detector.call_sizes = sizes  # (height, width) of every image the model was run on
    return detector, calls


@pytest.fixture(scope="module")
def sample_pixels():
    from conftest import SAMPLES
    from OssificationDetectorLib.io.images import normalized, read_radiograph

    return normalized(read_radiograph(SAMPLES / "radiographs" / f"{SAMPLE_ID}.png"))


@pytest.fixture(scope="module")
def upright_result(counted_detector, sample_pixels):
    from OssificationDetectorLib.io.images import radiograph_from_array

    detector, calls = counted_detector
    calls.clear()
    result = detector.detect_with_report(radiograph_from_array(sample_pixels))
    assert sum(calls) == 1, "an upright left hand takes one pass: no other view is run"
    return result


def test_an_upright_left_hand_takes_one_pass(upright_result):
    assert upright_result.orientation.is_upright
    assert len(upright_result.boxes) == 17
    assert not any("turned" in w or "right hand" in w for w in upright_result.warnings)


@pytest.fixture(scope="module")
def annotated_areas():
    """{(label, digit): centre} of the sample's annotated boxes (an upright left hand)."""
    from conftest import SAMPLES
    from OssificationDetectorLib.annotations.voc import read_voc
    from OssificationDetectorLib.core.hand_template import upright_left_hand_slots

    annotation = read_voc(SAMPLES / "ossification-voc" / f"{SAMPLE_ID}.xml")
    return {slot: box.center for slot, box in upright_left_hand_slots(annotation).items()}


# (clockwise turn in degrees, mirrored): a young child's hand turned 30-60 degrees, quarter turns,
# turns between them, a right hand, and a right hand turned. The full sweep in 15-degree steps is
# scripts/measure_orientation.py.
TURNED = [(30, False), (45, False), (90, False), (135, False), (180, False), (270, False), (0, True), (60, True)]


@pytest.mark.parametrize("degrees,mirrored", TURNED)
def test_a_hand_turned_by_any_angle_or_mirrored_is_found_named_and_told_right(
        degrees, mirrored, counted_detector, sample_pixels, upright_result, annotated_areas):
    """Rendered independently (Pillow, canvas enlarged): every area found and named with its digit within
    the centre criterion of the annotated box moved with the image, the hand's side and turn told
    right (no false mirror or turn remark), in at most three more passes over a view (and small windows)."""
    from OssificationDetectorLib.io.images import radiograph_from_array
    from turned_radiographs import named_right, warnings_right

    detector, calls = counted_detector
    image, forward = turned_image(sample_pixels, degrees, mirrored)
    detector.call_sizes.clear()
    result = detector.detect_with_report(radiograph_from_array(image))
    (height, width), *more = detector.call_sizes
    views = [(h, w) for h, w in more if h * w >= 0.1 * height * width]  # the second look's windows are smaller
    assert more and len(views) <= 3
    assert result.orientation.mirrored == mirrored
    own_turn = upright_result.orientation.turn_degrees
    assert warnings_right(result.warnings, degrees, mirrored, own_turn), result.warnings
    assert all(0 <= b.x1 < b.x2 <= image.shape[1] and 0 <= b.y1 < b.y2 <= image.shape[0] for b in result.boxes)
    expected = {name: forward(*centre) for name, centre in annotated_areas.items()}
    assert named_right(result.boxes, expected, radius=sample_pixels.shape[0] * 6 / 256) == 17


def test_a_right_hand_near_upright_takes_one_pass_and_small_looks(counted_detector, sample_pixels, annotated_areas):
    """The mirrored sample: the first pass finds nearly every area; what it misses is looked for on
    small windows of the flipped image, not on the whole flipped radiograph."""
    from OssificationDetectorLib.io.images import radiograph_from_array
    from turned_radiographs import named_right

    detector, _ = counted_detector
    image, forward = turned_image(sample_pixels, 0, mirrored=True)
    detector.call_sizes.clear()
    result = detector.detect_with_report(radiograph_from_array(image))
    (height, width), *looks = detector.call_sizes
    assert looks and all(h * w < 0.1 * height * width for h, w in looks)
    assert result.orientation.mirrored
    expected = {name: forward(*centre) for name, centre in annotated_areas.items()}
    assert named_right(result.boxes, expected, radius=sample_pixels.shape[0] * 6 / 256) == 17


def test_upright_only_detection_misses_a_turned_hand(counted_detector, sample_pixels):
    """What the search is for: detected as it is, a turned hand loses most of its areas."""
    from OssificationDetectorLib.detection.detect import Detector
    from OssificationDetectorLib.io.images import radiograph_from_array

    detector, calls = counted_detector
    as_is = Detector((detector.model, detector.metadata), device="cpu", threshold=0.5, threads=1,
                     orientations="upright")
    calls.clear()
    turned = radiograph_from_array(np.ascontiguousarray(np.rot90(sample_pixels)))
    boxes, _, orientation = as_is.detect_with_report(turned)
    assert sum(calls) == 1 and orientation == UPRIGHT
    assert len(boxes) < 12


def test_unknown_orientation_mode_is_refused(counted_detector):
    from OssificationDetectorLib.detection.detect import Detector

    detector, _ = counted_detector
    with pytest.raises(ValueError, match="'auto'.*'upright'"):
        Detector((detector.model, detector.metadata), device="cpu", threads=1, orientations="sideways")


def test_cli_reports_a_turned_radiograph_and_keeps_the_json_format(counted_detector, sample_pixels, tmp_path,
                                                                  capsys):
    from OssificationDetectorLib.cli.main import main
    from OssificationDetectorLib.io.images import write_png

    path = write_png(np.rot90(sample_pixels, 2), tmp_path / "upside-down.png")
    output = tmp_path / "detections.json"
    assert main(["detect", str(path), "--output", str(output), "--device", "cpu", "--threads", "1", "--quiet"]) == 0
    errors = capsys.readouterr().err.splitlines()
    assert f"{path}: the radiograph is turned 180 degrees (upside down): the areas were found on it turned back " \
           "upright" in errors
    entry = json.loads(output.read_text())["images"][0]
    assert list(entry) == ["file", "width", "height", "detections", "warnings"]
    assert "the radiograph is turned 180 degrees (upside down): the areas were found on it turned back upright" \
        in entry["warnings"]
    assert len(entry["detections"]) >= 15
    assert all(list(d) == ["label", "name", "digit", "score", "box"] for d in entry["detections"])


def test_slicer_bridge_shows_the_areas_of_a_right_hand_in_place(counted_detector, sample_pixels, annotated_areas,
                                                               tmp_path):
    pytest.importorskip("slicer")
    from mrml_fixtures import headless_host
    from OssificationDetectorLib.mrml.detections import detect_volume_with_warnings
    from OssificationDetectorLib.io.images import write_png
    from OssificationDetectorLib.mrml.bridge import box_from_roi
    from turned_radiographs import named_right

    detector, _ = counted_detector
    image, forward = turned_image(sample_pixels, 0, mirrored=True)
    path = write_png(image, tmp_path / "right-hand.png")
    host = headless_host(tmp_path, detector=detector)
    volume = host.load_volume(path)
    rois, warnings = detect_volume_with_warnings(host.scene, volume, detector, threshold=0.5)
    assert any("right hand" in w for w in warnings)
    expected = {name: forward(*centre) for name, centre in annotated_areas.items()}
    found = [box_from_roi(roi, volume) for roi in rois]
    assert named_right(found, expected, radius=sample_pixels.shape[0] * 6 / 256) == 17
