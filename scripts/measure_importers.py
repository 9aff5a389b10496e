"""How well the keypoint and bone importers reproduce the annotators' boxes (prints the numbers).

Usage: python scripts/measure_importers.py [RSNA_FOLDER]   (default ../shared/data/rsna-bone-age)
(with koitka-240 beside it, step 1 is repeated on its 240 hands with the importers' own average hand)

1. Box sizes: the average hand learned on 15 of the 20 annotated hands, fitted to the 14 joint
   centres of each of the other 5 (4 folds): IoU of the sized box with the annotator's box, and
   how far the radius, ulna and wrist land when extrapolated from the joints alone, or (wrist)
   from the joints plus the radius and ulna.
2. Bone boxes -> joints: on the radiographs with both bone boxes and hand keypoints, the joint
   rules learned on one half and checked on the other: distance of each bone-derived joint from
   the keypoint, in pixels and as a fraction of the centre criterion's radius (H * 6 / 256).
   Then the rules learned on all of them, to compare with bone_import.JOINT_RULES.
"""
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))

from OssificationDetectorLib.importers.bones import (  # noqa: E402
    JOINT_RULES, bones_by_digit, joint_position, learn_joint_rules, read_bone_voc)
from OssificationDetectorLib.core.hand_template import (  # noqa: E402
    SLOTS, default_template, learn_template, upright_left_hand_slots)
from OssificationDetectorLib.importers.joint_boxes import place_hand  # noqa: E402
from OssificationDetectorLib.importers.keypoints import AREA_KEYPOINTS, keypoints_by_name  # noqa: E402
from OssificationDetectorLib.annotations.voc import read_voc  # noqa: E402

JOINTS = [s for s in SLOTS if s[1] is not None]
FOREARM = [("Radius", None), ("Ulna", None)]


def criterion_radius(height):
    return height * 6 / 256


def describe(values, within=None):
    v = np.asarray(values, float)
    text = f"mean {v.mean():.3f}, min {v.min():.3f}, max {v.max():.3f}"
    if within is not None:
        text += f", {np.mean(v <= within) * 100:.1f} % <= {within}"
    return text


def measure_sizes(voc_folder, folds=4, template=None):
    """With a template (the importers' default): that one, on every complete hand of the folder."""
    images = [read_voc(p) for p in sorted(Path(voc_folder).glob("*.xml"))]
    if template is not None:
        images, folds = [a for a in images if len(a.boxes) == 17], 1
    iou, centre, wrist_anchored = {}, {}, []
    for fold in range(folds):
        test = images[fold::folds]
        if template is None or fold > 0:
            template = learn_template([a for a in images if a not in test])
        for ann in test:
            truth = upright_left_hand_slots(ann)
            joints = {s: complex(*truth[s].center) for s in JOINTS}
            placement = place_hand(joints, template=template)
            for slot, box in truth.items():
                iou.setdefault(slot[0], []).append(box.iou(placement.box(slot, complex(*box.center))))
                if slot[1] is None:
                    predicted = placement.box(slot)
                    distance = abs(complex(*predicted.center) - complex(*box.center))
                    centre.setdefault(slot[0], []).append(
                        (distance / criterion_radius(ann.height), box.iou(predicted)))
            anchors = {**joints, **{s: complex(*truth[s].center) for s in FOREARM}}
            anchored = place_hand(anchors, {s: 4.0 for s in FOREARM}, template)
            wrist_anchored.append(truth[("Wrist", None)].iou(anchored.box(("Wrist", None))))
    if folds == 1:
        print(f"1. Box sizes from the importers' average hand on {len(images)} complete hands of {voc_folder}, "
              "IoU with the annotator's box at its centre:")
    else:
        print(f"1. Box sizes from the average hand ({len(images)} hands, {folds} folds of "
              f"{len(images) - len(images) // folds}/{len(images) // folds}), IoU with the annotator's box "
              "at its centre:")
    for label, values in iou.items():
        print(f"   {label:6s} {describe(values, None)}, {np.mean(np.array(values) >= 0.5) * 100:.0f} % >= 0.5")
    print("   Extrapolated from the 14 joints: distance / criterion radius; IoU")
    for label, pairs in centre.items():
        d, i = zip(*pairs)
        print(f"   {label:6s} distance {describe(d, 1.0)}; IoU mean {np.mean(i):.3f}, "
              f"{np.mean(np.array(i) >= 0.5) * 100:.0f} % >= 0.5")
    print(f"   Wrist from the joints plus radius and ulna: IoU {describe(wrist_anchored)}, "
          f"{np.mean(np.array(wrist_anchored) >= 0.5) * 100:.0f} % >= 0.5")


def keypoint_joints(annotation, names):
    for side in ("lefthand", "righthand"):
        if annotation.get(f"{side}_valid"):
            points = keypoints_by_name(annotation[f"{side}_kpts"], names)
            return {area: points[name] for area, name in AREA_KEYPOINTS.items() if name in points}
    return keypoints_by_name(annotation["keypoints"], names)


def measure_bone_rules(rsna):
    data = json.loads((rsna / "annotations" / "hand-keypoints-coco.json").read_text())
    names = data["categories"][0]["keypoints"]
    heights = {str(i["id"]): i["height"] for i in data["images"]}
    samples = []
    for annotation in data["annotations"]:
        key = str(annotation["image_id"])
        bone_file = rsna / "annotations" / "rus-bones-voc" / f"{key}.xml"
        if bone_file.is_file():
            bones, mirrored = bones_by_digit(read_bone_voc(bone_file)[3])
            samples.append((key, heights[key], bones, mirrored, keypoint_joints(annotation, names)))
    errors_px, errors_rel, per_kind = [], [], {}
    for half in (0, 1):
        test = samples[half::2]
        rules = learn_joint_rules([(b, m, j) for s in samples if s not in test for _, _, b, m, j in [s]])
        for key, height, bones, mirrored, joints in test:
            for joint, truth in joints.items():
                d = abs(joint_position(joint, bones, mirrored, rules) - truth)
                errors_px.append(d)
                errors_rel.append(d / criterion_radius(height))
                per_kind.setdefault(joint[0] + (" I" if joint[1] == 1 else ""), []).append(errors_rel[-1])
    print(f"2. Bone boxes -> joints on {len(samples)} radiographs with both sets "
          f"({len(errors_px)} joints, rules learned on one half, checked on the other):")
    print(f"   distance to the keypoint: {describe(errors_px)} px")
    print(f"   / criterion radius: {describe(errors_rel, 1.0)}")
    for kind, values in per_kind.items():
        print(f"   {kind:6s} {describe(values, 1.0)}")
    learned = learn_joint_rules([(b, m, j) for _, _, b, m, j in samples])
    print("   rules learned on all:", {k: complex(round(v.real, 4), round(v.imag, 4)) for k, v in learned.items()})
    print("   rules shipped:       ", JOINT_RULES)


def main(argv):
    rsna = Path(argv[0]) if argv else REPO.parent / "shared" / "data" / "rsna-bone-age"
    if not (rsna / "annotations").is_dir():
        sys.exit(f"{rsna} has no annotations/ folder: give the RSNA bone-age data folder.")
    measure_sizes(rsna / "annotations" / "ossification-voc")
    measure_bone_rules(rsna)
    koitka = rsna.parent / "koitka-240" / "annotations"
    if koitka.is_dir():  # the paper's 240 training hands: a check of the sizes the importers really use
        measure_sizes(koitka, template=default_template())


if __name__ == "__main__":
    main(sys.argv[1:])
