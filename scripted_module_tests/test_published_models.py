"""Models published as release files: the build's CMake download, `models --fetch`, the half-precision
file, and the repository's size budget (the Extensions Index refuses repositories over 100 MB)."""
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cli_run import assert_one_line_error, run_cli

REPO = Path(__file__).resolve().parents[1]
CMAKE_SCRIPT = REPO / "CMake" / "OssificationDetectorModels.cmake"
HISTORY_BUDGET_MB = 95  # under the Extensions Index's 100 MB, with room for the small files


def _release(tmp_path, content=b"model bytes " * 1000):
    """A release file and a models folder whose models.json publishes it (file:// as the URL)."""
    release = tmp_path / "release" / "next.pt"
    release.parent.mkdir()
    release.write_bytes(content)
    models = tmp_path / "models"
    models.mkdir()
    (models / "bundled.pt").write_bytes(b"committed")
    entries = [{"name": "default", "file": "bundled.pt", "sha256": hashlib.sha256(b"committed").hexdigest()},
               {"name": "next", "file": "next.pt", "sha256": hashlib.sha256(content).hexdigest(),
                "url": release.as_uri(), "architecture": "mobilenet_v2_fpn"}]
    (models / "models.json").write_text(json.dumps({"models": entries}))
    return release, models


def _cmake(models, download):
    return subprocess.run(["cmake", f"-DREGISTRY={models / 'models.json'}", f"-DMODELS_DIR={models}",
                           f"-DDOWNLOAD_DIR={download}", "-P", str(CMAKE_SCRIPT)], capture_output=True, text=True)


@pytest.fixture
def cmake():
    if not shutil.which("cmake"):
        pytest.skip("cmake is not installed")


def test_the_build_downloads_published_models_and_checks_them(tmp_path, cmake):
    release, models = _release(tmp_path)
    ran = _cmake(models, tmp_path / "build")
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "build" / "next.pt").read_bytes() == release.read_bytes()
    assert not (tmp_path / "build" / "bundled.pt").exists()  # committed files are installed from the tree


def test_the_build_refuses_a_changed_release_file(tmp_path, cmake):
    release, models = _release(tmp_path)
    release.write_bytes(b"another file")
    ran = _cmake(models, tmp_path / "build")
    assert ran.returncode != 0
    assert "changed or damaged" in ran.stderr
    assert not list((tmp_path / "build").glob("next.pt*"))  # nothing left that looks like a model


def test_the_build_refuses_a_missing_model_without_url(tmp_path, cmake):
    _, models = _release(tmp_path)
    (models / "bundled.pt").unlink()
    ran = _cmake(models, tmp_path / "build")
    assert ran.returncode != 0 and "gives no url" in ran.stderr


def test_models_fetch_downloads_a_published_model(tmp_path):
    release, models = _release(tmp_path)
    env = {"OSSIFICATION_DETECTOR_MODELS": str(models)}
    listed = run_cli("models", env=env)
    assert "not downloaded yet (models --fetch next)" in listed.out, listed.err
    detect = run_cli("detect", REPO / "Testing/Data/radiographs/4221.png", "--model", "next",
                     "--output", tmp_path / "d.json", env=env)
    assert_one_line_error(detect, "models --fetch next")
    fetched = run_cli("models", "--fetch", "next", env=env)
    assert fetched.code == 0, fetched.err
    assert (models / "next.pt").read_bytes() == release.read_bytes()


def test_models_fetch_keeps_nothing_of_a_changed_release_file(tmp_path):
    release, models = _release(tmp_path)
    release.write_bytes(b"tampered")
    ran = run_cli("models", "--fetch", "next", env={"OSSIFICATION_DETECTOR_MODELS": str(models)})
    assert_one_line_error(ran, "changed or damaged")
    assert not list(models.glob("next.pt*"))


def test_models_fetch_refuses_a_model_that_is_not_published(tmp_path):
    _, models = _release(tmp_path)
    ran = run_cli("models", "--fetch", "default", env={"OSSIFICATION_DETECTOR_MODELS": str(models)})
    assert_one_line_error(ran, "not a published release file")


def test_a_half_precision_file_detects_like_the_full_one(tmp_path, sample_png):
    torch = pytest.importorskip("torch")
    from OssificationDetectorLib.detection.detect import Detector
    from OssificationDetectorLib.model.checkpoints import half_precision, read_model_file, save_state
    from OssificationDetectorLib.model.registry import resolve_model

    state, metadata = read_model_file(*resolve_model("default"))
    full_file, half = tmp_path / "full.pt", tmp_path / "half.pt"
    # The bundled file is itself stored in half precision: a float32 file of its weights to halve.
    save_state(full_file, {k: v.float() if v.is_floating_point() else v for k, v in state.items()},
               dict(metadata, weights_precision="float32"))
    save_state(half, half_precision(read_model_file(full_file)[0]), dict(metadata, weights_precision="float16"))
    assert half.stat().st_size < 0.55 * full_file.stat().st_size
    reloaded, _ = read_model_file(half)
    assert {v.dtype for v in reloaded.values() if v.is_floating_point()} == {torch.float16}
    full = Detector(str(full_file), device="cpu").detect_with_report(str(sample_png))[0]
    halved = Detector(str(half), device="cpu").detect_with_report(str(sample_png))[0]
    assert [b.label for b in full] == [b.label for b in halved]
    for a, b in zip(full, halved):
        assert max(abs(p - q) for p, q in zip(a.coords, b.coords)) < 1.0 and abs(a.score - b.score) < 0.01


def test_the_history_stays_under_the_extensions_index_limit():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    command = "git rev-list --objects HEAD | cut -d' ' -f1 | git cat-file --batch-check='%(objectsize:disk)'"
    objects = subprocess.run(command, shell=True, cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    size_mb = sum(map(int, objects)) / 2**20
    assert size_mb < HISTORY_BUDGET_MB, (
        f"the repository's history is {size_mb:.0f} MiB: publish new models as release files "
        "(scripts/publish_model.py --url), not as committed files (README: Publishing a model)")
