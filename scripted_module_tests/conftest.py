"""Shared fixtures: where the repository, its sample data and the optional shared data set are."""
import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = REPO_ROOT / "Testing" / "Data"
SAMPLE_IDS = ("4221", "6470", "4298")
SHARED = REPO_ROOT.parent / "shared"
RSNA = SHARED / "data" / "rsna-bone-age"
MOBILENET_V2_WEIGHTS = SHARED / "weights" / "mobilenet_v2-b0353104.pth"

# Nothing may be downloaded in tests: torchvision's weights API looks in TORCH_HOME first, and the
# ImageNet MobileNetV2 file is put there when the shared folder has it.
_TORCH_HOME = REPO_ROOT / ".torch"
os.environ["TORCH_HOME"] = str(_TORCH_HOME)
os.environ.setdefault("OMP_NUM_THREADS", "2")
if MOBILENET_V2_WEIGHTS.is_file():
    _target = _TORCH_HOME / "hub" / "checkpoints" / MOBILENET_V2_WEIGHTS.name
    if not _target.is_file():
        _target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MOBILENET_V2_WEIGHTS, _target)


@pytest.fixture(autouse=True)
def _user_home(tmp_path, monkeypatch):
    """Keep user-level state (the registry of trained models) out of the real home folder."""
    monkeypatch.setenv("OSSIFICATION_DETECTOR_HOME", str(tmp_path / "od-home"))


@pytest.fixture
def sample_png():
    return SAMPLES / "radiographs" / "4221.png"


@pytest.fixture
def sample_pngs():
    return [SAMPLES / "radiographs" / f"{i}.png" for i in SAMPLE_IDS]


@pytest.fixture
def sample_voc_dir():
    return SAMPLES / "ossification-voc"


@pytest.fixture
def imagenet_weights():
    """Skip when the ImageNet MobileNetV2 file is not available offline."""
    target = _TORCH_HOME / "hub" / "checkpoints" / MOBILENET_V2_WEIGHTS.name
    if not target.is_file():
        pytest.skip(f"ImageNet MobileNetV2 weights not found at {MOBILENET_V2_WEIGHTS}")
    return target


@pytest.fixture
def rsna_dir():
    if not (RSNA / "images").is_dir():
        pytest.skip(f"RSNA data set not found at {RSNA} (optional, larger checks only)")
    return RSNA


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory):
    """A real, randomly initialised default-architecture model at a small input size, saved as a
    model file (random weights still give scored boxes, enough to test the detection plumbing)."""
    import torch

    from OssificationDetectorLib.model.checkpoints import model_metadata, save_model
    from OssificationDetectorLib.model.architectures import build_model

    torch.manual_seed(0)
    model = build_model("mobilenet_v2_fpn", init="none", min_size=128, max_size=160)
    path = tmp_path_factory.mktemp("tiny-model") / "tiny.pt"
    sha256 = save_model(path, model, model_metadata("mobilenet_v2_fpn", 128, 160, name="tiny"))
    return path, sha256


@pytest.fixture(scope="session")
def teacher():
    """The bundled default model as pseudo-labelling's teacher (raw boxes, upright), on the CPU."""
    from OssificationDetectorLib.model.registry import bundled_models_dir
    from OssificationDetectorLib.training.pseudo_labels import teacher as make_teacher

    if not (bundled_models_dir() / "models.json").is_file():
        pytest.skip("no bundled default model in Resources/Models")
    return make_teacher("default", device="cpu", threads=1)
