"""Detect on a sample radiograph volume with a real torch Detector, on a real vtkMRMLScene.

The model is a real Faster R-CNN with random weights, saved and loaded as a model file, small
input size: its boxes mean nothing, but they are what the ROIs must show, one for one.
"""
import pytest

from OssificationDetectorTesting import review_cases

from mrml_fixtures import headless_host


@pytest.fixture(scope="module")
def random_detector(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from OssificationDetectorLib.model.checkpoints import load_model, model_metadata, save_model
    from OssificationDetectorLib.detection.detect import Detector
    from OssificationDetectorLib.model.architectures import build_model

    torch.manual_seed(0)
    torch.set_num_threads(1)
    path = tmp_path_factory.mktemp("model") / "random.pt"
    save_model(path, build_model(init="none", min_size=256, max_size=320),
               model_metadata("mobilenet_v2_fpn", 256, 320, description="random weights, for tests"))
    return Detector(load_model(path), device="cpu", threshold=0.0, threads=1)


def test_detect_creates_tagged_rois(tmp_path, sample_pngs, random_detector):
    host = headless_host(tmp_path, detector=random_detector, sample_radiograph=sample_pngs[1])
    review_cases.detect_creates_tagged_rois(host)


def test_detect_with_the_shipped_default_model(tmp_path, sample_pngs):
    pytest.importorskip("torch")
    from OssificationDetectorLib.detection.detect import Detector
    from OssificationDetectorLib.model.registry import RegistryError, resolve_model

    try:
        path, _ = resolve_model("default")
    except RegistryError as error:
        pytest.skip(f"no default model registered yet: {error}")
    if not path.is_file():
        pytest.skip(f"the default model file {path} is not there yet")
    detector = Detector("default", device="cpu", threshold=0.05, threads=1)
    host = headless_host(tmp_path, detector=detector, sample_radiograph=sample_pngs[1])
    review_cases.detect_creates_tagged_rois(host)
