"""Convert the RSNA hand-keypoint and bone-box sets into VOC training folders of the six classes.

Usage: python scripts/make_extra_training_data.py [OUTPUT_FOLDER] [RSNA_FOLDER]
(defaults: /tmp/od-extra and ../shared/data/rsna-bone-age). Writes OUTPUT/keypoints-voc (DIP, PIP
and MCP boxes; each image cropped below its MCP row, as the keypoints do not mark the radius,
ulna and wrist) and OUTPUT/bones-voc (all 17 boxes), each with Annotations/ and JPEGImages/
(hard links to the originals where possible). Train with them as extra datasets.
These folders hold every converted image, the held-out validation ones too: to train a model that
is measured by scripts/evaluate_default_model.py, write its training parts with that script's
--write-train-folders instead.
"""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))

from OssificationDetectorLib.importers.folders import import_dataset, write_training_folder  # noqa: E402

SOURCES = {"keypoints-voc": ("hand-keypoints-coco.json", "hand-keypoints"),
           "bones-voc": ("rus-bones-voc", "rus-bones")}


def write_extra_training_data(output, rsna, keep=None):
    """Write OUTPUT/<name> for each source; keep: {name: image ids (file stems) to write} or None for all.

    Returns {name: (written file names, [(file, reason)] left out)}.
    """
    results = {}
    for name, (annotations, kind) in SOURCES.items():
        dataset = import_dataset(rsna / "annotations" / annotations, kind, image_root=rsna / "images")
        if keep is not None:
            dataset.images = [a for a in dataset.images if Path(a.file).stem in keep[name]]
            dataset.skipped = [(f, why) for f, why in dataset.skipped if Path(f).stem in keep[name]]
        written, skipped = results[name] = write_training_folder(dataset, output / name)
        print(f"{output / name}: {len(written)} images written, {len(skipped)} left out")
        for file, reason in skipped:
            print(f"  left out {file}: {reason}")
    return results


def main(argv):
    output = Path(argv[0]) if argv else Path("/tmp/od-extra")
    rsna = Path(argv[1]) if len(argv) > 1 else REPO.parent / "shared" / "data" / "rsna-bone-age"
    write_extra_training_data(output, rsna)


if __name__ == "__main__":
    main(sys.argv[1:])
