"""Bone boxes (Pascal VOC, 21 bones of the RUS method) -> boxes of the six classes.

Classes of the bone set: Radius, Ulna, MCPFirst (first metacarpal), MCP (metacarpals II-V),
ProximalPhalanx (5), MiddlePhalanx (4), DistalPhalanx (5). Their boxes frame each bone's growth
region rather than the whole bone (the middle phalanx's box, for one, is centred on the PIP
joint), so a joint is not simply where two boxes meet: it is placed on the line through the
centres of the two bones it joins, at a fraction of the way learned from radiographs that have
both bone boxes and hand keypoints (JOINT_RULES; learn_joint_rules, scripts/measure_importers.py).

Radius and ulna: the box of the distal epiphysis, sized by the average hand, with its distal
edge on the bone box's distal edge. Wrist: where the average hand, fitted to the joints, radius
and ulna, puts it.
"""
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .imported import AnnotationImportError, ImportedImage, ImportResult
from .joint_boxes import LayoutError, place_hand
from ..core.taxonomy import CLASSES

BONE_COUNTS = {"Radius": 1, "Ulna": 1, "MCPFirst": 1, "MCP": 4,
               "ProximalPhalanx": 5, "MiddlePhalanx": 4, "DistalPhalanx": 5}
PHALANGES = ("ProximalPhalanx", "MiddlePhalanx", "DistalPhalanx")

# Joint -> (proximal bone, distal bone), bones as (class, digit).
JOINT_BONES = {("MCP", 1): (("MCPFirst", 1), ("ProximalPhalanx", 1)),
               ("PIP", 1): (("ProximalPhalanx", 1), ("DistalPhalanx", 1))}
for _d in (2, 3, 4, 5):
    JOINT_BONES[("MCP", _d)] = (("MCP", _d), ("ProximalPhalanx", _d))
    JOINT_BONES[("PIP", _d)] = (("ProximalPhalanx", _d), ("MiddlePhalanx", _d))
    JOINT_BONES[("DIP", _d)] = (("MiddlePhalanx", _d), ("DistalPhalanx", _d))

# Joint = P + k (D - P), P and D the centres of the proximal and distal bones' boxes, k complex
# (its imaginary part a sideways offset, mirrored on a right hand). Learned on the 32 RSNA
# radiographs with bone boxes and hand keypoints; on held-out halves the joints land within
# 0.25 of the centre criterion's radius of the keypoints on average.
JOINT_RULES = {"MCP I": complex(0.8513, 0.0318), "PIP I": complex(0.7025, 0.0083),
               "MCP": complex(0.6349, 0.0157), "PIP": complex(0.9697, 0.0139),
               "DIP": complex(0.7292, 0.0102)}
FOREARM_WEIGHT = 4.0  # radius and ulna anchor the wrist's place more than any one joint


@dataclass(frozen=True)
class Bone:
    label: str
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def center(self):
        return complex((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)

    def reach(self, direction):
        """How far the box reaches from its centre along a unit vector (complex)."""
        return abs(direction.real) * (self.x2 - self.x1) / 2 + abs(direction.imag) * (self.y2 - self.y1) / 2


def rule_kind(joint):
    return f"{joint[0]} I" if joint[1] == 1 else joint[0]


def read_bone_voc(path):
    """(image file, width, height, [Bone]) of one VOC file of the bone set."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
        size = root.find("size")
        width, height = int(float(size.find("width").text)), int(float(size.find("height").text))
        file = (root.findtext("filename") or path.with_suffix(".png").name).strip()
        bones = []
        for obj in root.iter("object"):
            box = obj.find("bndbox")
            bones.append(Bone(obj.findtext("name").strip(),
                              *(float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))))
    except (ET.ParseError, AttributeError, TypeError, ValueError) as error:
        raise AnnotationImportError(
            f"{path} is not a readable Pascal VOC file of bone boxes ({error}): it needs <size> with "
            "<width> and <height>, and objects with <name> and <bndbox>.") from None
    return file, width, height, bones


def bones_by_digit(bones):
    """{(class, digit): Bone} with digits 1 (thumb) .. 5 found from the bones' places.

    Digits follow the angle around the forearm, from the thumb's side (the side of the first
    metacarpal) to the little finger's, so flipped and turned hands are read right.
    Raises AnnotationImportError when a class has the wrong number of boxes.
    """
    groups = {label: [b for b in bones if b.label == label] for label in BONE_COUNTS}
    wrong = [f"{len(groups[k])} {k} (expected {n})" for k, n in BONE_COUNTS.items() if len(groups[k]) != n]
    unknown = sorted({b.label for b in bones} - set(BONE_COUNTS))
    if wrong or unknown:
        raise AnnotationImportError(
            "bone boxes do not form one hand: " + ", ".join(wrong + [f"unknown class {u}" for u in unknown]))
    forearm = np.mean([b.center for k in ("Radius", "Ulna") for b in groups[k]])
    fingers = np.mean([b.center for k in PHALANGES for b in groups[k]])
    distal = (fingers - forearm) / abs(fingers - forearm)
    thumb_side = ((groups["MCPFirst"][0].center - np.mean([b.center for b in groups["MCP"]])) / distal).imag
    result = {("Radius", None): groups["Radius"][0], ("Ulna", None): groups["Ulna"][0],
              ("MCPFirst", 1): groups["MCPFirst"][0]}
    for label in ("MCP",) + PHALANGES:
        towards_thumb = math.copysign(1, thumb_side)
        row = sorted(groups[label], key=lambda b: -towards_thumb * np.angle((b.center - forearm) / distal))
        first = 6 - len(row)  # 5 bones start at the thumb, 4 at the index finger
        result.update({(label, digit): bone for digit, bone in enumerate(row, start=first)})
    return result, thumb_side < 0


def joint_position(joint, bones, mirrored, rules=None):
    proximal, distal = (bones[b].center for b in JOINT_BONES[joint])
    k = (rules or JOINT_RULES)[rule_kind(joint)]
    # Image y points down, so a left hand's sideways offsets are mirrored ones for a right hand.
    return proximal + (np.conj(k) if mirrored else k) * (distal - proximal)


def learn_joint_rules(samples):
    """{kind: k} from (bones by digit, mirrored, {joint: position}) samples (least squares)."""
    ratios = {}
    for bones, mirrored, joints in samples:
        for joint, position in joints.items():
            proximal, distal = (bones[b].center for b in JOINT_BONES[joint])
            k = (position - proximal) / (distal - proximal)
            ratios.setdefault(rule_kind(joint), []).append(np.conj(k) if mirrored else k)
    return {kind: complex(np.mean(values)) for kind, values in ratios.items()}


def _epiphysis_box(placement, slot, bone):
    """The VOC-style box of the distal radius or ulna: average size, distal edge on the bone's."""
    box = placement.box(slot, bone.center)
    distal = placement.distal
    back = bone.reach(distal) - (abs(distal.real) * box.width / 2 + abs(distal.imag) * box.height / 2)
    return placement.box(slot, bone.center + distal * back)


def boxes_from_bones(bones, width, height, file="", template=None, rules=None):
    """One hand's bone boxes -> ImportedImage with all 17 boxes (AnnotationImportError if it can't)."""
    by_digit, mirrored = bones_by_digit(bones)
    joints = {joint: joint_position(joint, by_digit, mirrored, rules) for joint in JOINT_BONES}
    placement = place_hand(joints, template=template, mirrored=mirrored)
    try:
        placement.check_layout(joints, "the joints found from the bone boxes")
    except LayoutError as error:
        raise AnnotationImportError(str(error)) from None
    forearm = {slot: _epiphysis_box(placement, slot, by_digit[slot]) for slot in (("Radius", None), ("Ulna", None))}
    anchors = {**joints, **{slot: complex(*box.center) for slot, box in forearm.items()}}
    weights = {slot: FOREARM_WEIGHT for slot in forearm}
    wrist = place_hand(anchors, weights, template, mirrored).box(("Wrist", None))
    boxes = [placement.box(joint, center) for joint, center in joints.items()] + list(forearm.values()) + [wrist]
    boxes = [c for c in (b.clipped(width, height) for b in boxes) if c is not None]
    return ImportedImage(file, width, height, boxes, annotated_classes=CLASSES, source="rus-bones",
                         side="right" if mirrored else "left")


def read_bone_folder(folder, template=None):
    """A folder of bone-box VOC files -> ImportResult (hands whose bones do not add up are left out)."""
    files = sorted(Path(folder).glob("*.xml"))
    if not files:
        raise AnnotationImportError(f"{folder} holds no .xml files: give the folder of the bone boxes' VOC files.")
    result = ImportResult(kind="rus-bones")
    for path in files:
        file, width, height, bones = read_bone_voc(path)
        try:
            result.images.append(boxes_from_bones(bones, width, height, file, template))
        except AnnotationImportError as error:
            result.skipped.append((file, str(error)))
    return result
