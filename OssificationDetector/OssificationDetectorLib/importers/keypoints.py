"""Hand keypoints (COCO keypoints JSON, 21 points a hand) -> boxes of the DIP, PIP and MCP joints.

Keypoint order, as in COCO-WholeBody hands: wrist, then thumb1-4, forefinger1-4, middle_finger1-4,
ring_finger1-4, pinky_finger1-4, each from proximal to distal. For the four fingers 1, 2, 3 are
the MCP, PIP and DIP joints and 4 the tip. For the thumb, thumb1 lies on the first metacarpal's
base (the carpometacarpal joint), thumb2 is its MCP joint and thumb3 its interphalangeal joint,
which the taxonomy counts as PIP I (checked by eye on the RSNA radiographs).

Box sizes come from the average hand fitted to the 14 joints (joint_boxes.py). The radius, ulna
and wrist boxes are not made: extrapolated from the joints, only 30-35 % of radius and ulna
centres fall within the centre criterion's radius of the annotators' (scripts/measure_importers.py),
so those classes are marked as not annotated.
"""
import json
from pathlib import Path

from .imported import AnnotationImportError, ImportedImage, ImportResult
from .joint_boxes import LayoutError, best_placement
from ..core.taxonomy import DIGIT_CLASSES, EXPECTED_COUNTS

FINGERS = ("forefinger", "middle_finger", "ring_finger", "pinky_finger")
KEYPOINT_NAMES = ("wrist",) + tuple(f"{finger}{i}" for finger in ("thumb",) + FINGERS for i in range(1, 5))

# Which keypoint marks which area (label, digit).
AREA_KEYPOINTS = {("MCP", 1): "thumb2", ("PIP", 1): "thumb3"}
for _digit, _finger in enumerate(FINGERS, start=2):
    AREA_KEYPOINTS.update({("MCP", _digit): f"{_finger}1", ("PIP", _digit): f"{_finger}2",
                           ("DIP", _digit): f"{_finger}3"})

# Other keypoint sets name the same points differently ("index_finger2", "little3", ...).
NAME_ALIASES = {"index_finger": "forefinger", "index": "forefinger", "little_finger": "pinky_finger",
                "little": "pinky_finger", "pinky": "pinky_finger", "middle": "middle_finger",
                "ring": "ring_finger"}


def _canonical(name):
    name = str(name).strip().lower().replace(" ", "_")
    for alias in sorted(NAME_ALIASES, key=len, reverse=True):
        rest = name[len(alias):].lstrip("_")
        if name.startswith(alias) and rest.isdigit():
            return NAME_ALIASES[alias] + rest
    return name


def keypoints_by_name(flat, names):
    """{name: x + iy} of the labelled keypoints in a COCO [x, y, v, ...] list (v = 0: not labelled)."""
    if len(flat) != 3 * len(names):
        raise AnnotationImportError(
            f"{len(flat)} keypoint values for {len(names)} keypoint names: COCO keypoints are x, y, v triples.")
    points = {}
    for i, name in enumerate(names):
        x, y, visibility = flat[3 * i: 3 * i + 3]
        if visibility and visibility > 0:
            points[_canonical(name)] = complex(float(x), float(y))
    return points


def boxes_from_keypoints(points, width, height, file="", template=None):
    """One hand's keypoints {name: x + iy} -> ImportedImage with the joints' boxes.

    Raises AnnotationImportError when fewer than three joints are labelled.
    """
    centers = {area: points[name] for area, name in AREA_KEYPOINTS.items() if name in points}
    if len(centers) < 3:
        raise AnnotationImportError(f"{file}: {len(centers)} labelled joints; at least three are needed.")
    placement = best_placement(centers, template=template)
    try:
        placement.check_layout(centers, "the keypoints")
    except LayoutError as error:
        raise AnnotationImportError(str(error)) from None
    boxes = [placement.box(area, center).clipped(width, height) for area, center in centers.items()]
    boxes = [b for b in boxes if b is not None]
    complete = tuple(c for c in DIGIT_CLASSES if sum(b.label == c for b in boxes) == EXPECTED_COUNTS[c])
    side = "right" if placement.transform.mirrored else "left"
    return ImportedImage(file, width, height, boxes, annotated_classes=complete, source="hand-keypoints", side=side)


def _hands_of(annotation, names):
    """The keypoint lists of one COCO annotation: the standard 'keypoints', or per-hand fields."""
    hands = []
    for side in ("lefthand", "righthand"):
        if annotation.get(f"{side}_valid") and annotation.get(f"{side}_kpts"):
            hands.append(annotation[f"{side}_kpts"])
    if not hands and annotation.get("keypoints"):
        hands.append(annotation["keypoints"])
    return [keypoints_by_name(h, names) for h in hands]


def read_hand_keypoints(path, template=None):
    """A COCO keypoints file of hands -> ImportResult (one ImportedImage per single-hand image)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AnnotationImportError(f"{path} is not a readable JSON file ({error}).") from None
    categories = data.get("categories") or []
    names = next((c["keypoints"] for c in categories if c.get("keypoints")), None)
    if not isinstance(data.get("images"), list) or not isinstance(data.get("annotations"), list) or not names:
        raise AnnotationImportError(
            f"{path} is not a COCO keypoints file: it needs 'images', 'annotations' and a category "
            "with a 'keypoints' list of names.")
    missing = [n for n in AREA_KEYPOINTS.values() if n not in {_canonical(k) for k in names}]
    if missing:
        raise AnnotationImportError(
            f"{path}: the keypoint names lack {', '.join(missing)}; expected the 21 hand keypoints "
            f"({', '.join(KEYPOINT_NAMES[:6])}, ...).")
    hands_per_image = {}
    for annotation in data["annotations"]:
        hands_per_image.setdefault(annotation.get("image_id"), []).extend(_hands_of(annotation, names))
    result = ImportResult(kind="hand-keypoints")
    for image in data["images"]:
        file = image.get("file_name", str(image.get("id")))
        hands = hands_per_image.get(image.get("id"), [])
        if len(hands) != 1:
            result.skipped.append((file, f"{len(hands)} labelled hands; one is needed"))
            continue
        try:
            result.images.append(
                boxes_from_keypoints(hands[0], int(image["width"]), int(image["height"]), file, template))
        except AnnotationImportError as error:
            result.skipped.append((file, str(error)))
    return result
