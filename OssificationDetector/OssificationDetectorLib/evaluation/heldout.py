"""The validation protocol of the default model: radiographs of the RSNA folder kept out of training.

Three held-out parts, fixed before any training on them:
- ossification: five radiographs of the ossification-area VOC set (OSSIFICATION_HELD_OUT);
- bones: of the bone-box set's image ids sorted numerically, every HOLD_OUT_EVERY-th one
  (index % HOLD_OUT_EVERY == 0);
- keypoints-only: the same rule over the hand-keypoint images that are not in the bone set.
The split is taken from the annotation files as they are, not from what the importers manage to
convert, so that a change to an importer cannot move an image from one side to the other.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from ..annotations.datasets import DatasetError, load_dataset

OSSIFICATION_HELD_OUT = ("4221", "4253", "4298", "6435", "6470")
HOLD_OUT_EVERY = 4
OSSIFICATION_VOC = Path("annotations") / "ossification-voc"
BONES_VOC = Path("annotations") / "rus-bones-voc"
KEYPOINTS_COCO = Path("annotations") / "hand-keypoints-coco.json"


def image_id(file):
    """The RSNA id of an image or annotation file name ("images/1377.png" -> "1377")."""
    return Path(str(file)).stem


def numeric_order(ids):
    """Distinct ids sorted as numbers (ids that are not numbers after them, alphabetically)."""
    return sorted({str(i) for i in ids}, key=lambda i: (0, int(i), "") if i.isdigit() else (1, 0, i))


def every_nth(ids, every=HOLD_OUT_EVERY):
    """(held out, training): index % every == 0 of the ids in numeric order, and the others."""
    ordered = numeric_order(ids)
    return (tuple(i for k, i in enumerate(ordered) if k % every == 0),
            tuple(i for k, i in enumerate(ordered) if k % every != 0))


@dataclass(frozen=True)
class HeldOutSplit:
    ossification: tuple
    bones: tuple
    bones_train: tuple
    keypoints_only: tuple
    keypoints_only_train: tuple

    @property
    def held_out(self):
        return frozenset(self.ossification + self.bones + self.keypoints_only)

    def training_ids(self):
        """{training folder name: ids it may hold} for the converted sets (see make_extra_training_data)."""
        return {"bones-voc": set(self.bones_train), "keypoints-voc": set(self.keypoints_only_train)}

    def to_dict(self):
        return {"rule": f"ids sorted numerically; held out: index % {HOLD_OUT_EVERY} == 0 of the bone set "
                        "and of the keypoint images not in the bone set",
                "ossification_held_out": list(self.ossification),
                "bones_held_out": list(self.bones), "bones_train": list(self.bones_train),
                "keypoints_only_held_out": list(self.keypoints_only),
                "keypoints_only_train": list(self.keypoints_only_train),
                "counts": {"ossification_held_out": len(self.ossification),
                           "bones_held_out": len(self.bones), "bones_train": len(self.bones_train),
                           "keypoints_only_held_out": len(self.keypoints_only),
                           "keypoints_only_train": len(self.keypoints_only_train)}}


def split_ids(bone_ids, keypoint_ids, ossification=OSSIFICATION_HELD_OUT, every=HOLD_OUT_EVERY):
    """The HeldOutSplit of the given source ids (any order, duplicates ignored)."""
    bones = numeric_order(bone_ids)
    keypoints_only = [i for i in numeric_order(keypoint_ids) if i not in set(bones)]
    return HeldOutSplit(tuple(numeric_order(ossification)), *every_nth(bones, every),
                        *every_nth(keypoints_only, every))


def keypoint_image_ids(coco_file):
    """Ids of the images listed in a COCO keypoints file."""
    try:
        data = json.loads(Path(coco_file).read_text(encoding="utf-8"))
        return [image_id(image.get("file_name", image.get("id"))) for image in data["images"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DatasetError(f"{coco_file} is not a readable COCO file with an 'images' list ({error}).") from None


def rsna_split(rsna):
    """The HeldOutSplit of an rsna-bone-age folder (annotations/rus-bones-voc, hand-keypoints-coco.json)."""
    rsna = Path(rsna)
    bone_files = sorted((rsna / BONES_VOC).glob("*.xml"))
    if not bone_files:
        raise DatasetError(f"{rsna / BONES_VOC} holds no .xml files: give the rsna-bone-age folder (--data).")
    return split_ids([image_id(p) for p in bone_files], keypoint_image_ids(rsna / KEYPOINTS_COCO))


def ossification_truths(rsna, ids=OSSIFICATION_HELD_OUT):
    """The held-out ossification-area VOC images (a Dataset), in the order of ids; all must exist."""
    rsna = Path(rsna)
    dataset = load_dataset(rsna / OSSIFICATION_VOC, image_root=rsna / "images")
    by_id = {image_id(ann.file): ann for ann in dataset.images}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise DatasetError(f"{rsna / OSSIFICATION_VOC} lacks the held-out radiographs {', '.join(missing)}.")
    dataset.images = [by_id[i] for i in ids]
    return dataset


def held_out_ids_in(voc_folder, split):
    """Held-out ids that a VOC training folder (Annotations/*.xml) holds: must be none."""
    return sorted(split.held_out & {image_id(p) for p in Path(voc_folder).glob("Annotations/*.xml")})
