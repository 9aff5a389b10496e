"""Convert the RSNA hand-keypoint and bone-box sets into VOC training folders of the six classes.

Usage: python scripts/make_extra_training_data.py [OUTPUT_FOLDER] [RSNA_FOLDER]
(defaults: /tmp/od-extra and ../shared/data/rsna-bone-age). Writes OUTPUT/keypoints-voc (DIP, PIP
and MCP boxes; each image cropped below its MCP row, as the keypoints do not mark the radius,
ulna and wrist) and OUTPUT/bones-voc (all 17 boxes), each with Annotations/ and JPEGImages/
(hard links to the originals where possible). Train with them as extra datasets.
"""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))

from OssificationDetectorLib.annotation_import import import_dataset, write_training_folder  # noqa: E402

SOURCES = {"keypoints-voc": ("hand-keypoints-coco.json", "hand-keypoints"),
           "bones-voc": ("rus-bones-voc", "rus-bones")}


def main(argv):
    output = Path(argv[0]) if argv else Path("/tmp/od-extra")
    rsna = Path(argv[1]) if len(argv) > 1 else REPO.parent / "shared" / "data" / "rsna-bone-age"
    for name, (annotations, kind) in SOURCES.items():
        dataset = import_dataset(rsna / "annotations" / annotations, kind, image_root=rsna / "images")
        written, skipped = write_training_folder(dataset, output / name)
        print(f"{output / name}: {len(written)} images written, {len(skipped)} left out")
        for file, reason in skipped:
            print(f"  left out {file}: {reason}")


if __name__ == "__main__":
    main(sys.argv[1:])
