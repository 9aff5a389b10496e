"""Learn the average left hand (OssificationDetectorLib/hand_template_data.py) from VOC boxes.

Usage: python scripts/learn_hand_template.py [VOC_FOLDER]
(default: ../shared/data/rsna-bone-age/annotations/ossification-voc, the 20 radiographs of
Koitka et al., all upright left hands, checked by eye). Every image must hold all 17 boxes.
"""
import pprint
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OssificationDetector"))

from OssificationDetectorLib.core.atomic import atomic_write_text  # noqa: E402
from OssificationDetectorLib.core.hand_template import learn_template  # noqa: E402
from OssificationDetectorLib.annotations.voc import read_voc  # noqa: E402

DEFAULT_VOC = REPO.parent / "shared" / "data" / "rsna-bone-age" / "annotations" / "ossification-voc"
TARGET = REPO / "OssificationDetector" / "OssificationDetectorLib" / "hand_template_data.py"


def _rounded(value):
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def main(argv):
    folder = Path(argv[0]) if argv else DEFAULT_VOC
    files = sorted(folder.glob("*.xml"))
    if not files:
        sys.exit(f"No .xml files in {folder}: give the folder of Pascal VOC files with the 17 boxes per hand.")
    images = [read_voc(f) for f in files]
    source = f"{len(images)} upright left hands ({folder.name}: {', '.join(f.stem for f in files)})"
    data = _rounded(learn_template(images, source=source).to_dict())
    text = (
        '"""The average left hand, learned by scripts/learn_hand_template.py (do not edit by hand)."""\n\n'
        f"TEMPLATE = {pprint.pformat(data, width=110, sort_dicts=False)}\n"
    )
    atomic_write_text(TARGET, text)
    print(f"wrote {TARGET} from {source}")


if __name__ == "__main__":
    main(sys.argv[1:])
