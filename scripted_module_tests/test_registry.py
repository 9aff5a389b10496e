"""Where models are found: the bundled models.json, the user's registry, plain paths."""
import json

import pytest

from OssificationDetectorLib.model.checkpoints import ModelFileError
from OssificationDetectorLib.model.registry import (RegistryError, bundled_models_dir, list_models, register_bundled_model,
                                              register_user_model, resolve_model, unregister_user_model, user_home)


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    folder = tmp_path / "bundled"
    monkeypatch.setenv("OSSIFICATION_DETECTOR_MODELS", str(folder))
    register_bundled_model(folder, "default", "default.pt", "ab" * 32, "mobilenet_v2_fpn", "shipped", "MODEL_CARD.md")
    return folder


def test_the_bundled_registry_sits_in_the_module_resources(monkeypatch):
    monkeypatch.delenv("OSSIFICATION_DETECTOR_MODELS", raising=False)
    assert bundled_models_dir().parts[-3:] == ("OssificationDetector", "Resources", "Models")


def test_bundled_entries_resolve_to_files_beside_models_json(bundled):
    path, sha256 = resolve_model("default")
    assert path == (bundled / "default.pt").resolve() and sha256 == "ab" * 32
    entry = json.loads((bundled / "models.json").read_text())["models"][0]
    assert set(entry) == {"name", "file", "sha256", "architecture", "description", "card"}


def test_user_model_is_recorded_with_its_checksum_and_never_takes_a_bundled_name(bundled, tiny_model_file):
    path, sha256 = tiny_model_file
    with pytest.raises(RegistryError, match="'default' is the name of a bundled model"):
        register_user_model("default", path)
    entry = register_user_model("mine", path)
    assert entry["sha256"] == sha256 and entry["architecture"] == "mobilenet_v2_fpn"
    assert (user_home() / "models.json").is_file()
    assert resolve_model("mine") == (path.resolve(), sha256)
    assert resolve_model("default")[1] == "ab" * 32
    with pytest.raises(RegistryError, match="registered already: add --overwrite"):
        register_user_model("mine", path)
    assert register_user_model("mine", path, overwrite=True)["sha256"] == sha256
    unregister_user_model("mine")
    assert [m["source"] for m in list_models()] == ["bundled"]
    with pytest.raises(RegistryError, match="bundled model: it cannot be removed"):
        unregister_user_model("default")


def test_a_path_is_used_as_it_is_and_unknown_names_are_explained(bundled, tmp_path):
    assert resolve_model(str(tmp_path / "my.pt")) == (tmp_path / "my.pt", None)
    with pytest.raises(RegistryError, match="available: default"):
        resolve_model("finetuned")


def test_only_model_files_can_be_registered(tmp_path):
    (tmp_path / "x.pt").write_text("nonsense")
    with pytest.raises(ModelFileError):
        register_user_model("x", tmp_path / "x.pt")
    assert not (user_home() / "models.json").exists()


def test_a_damaged_registry_says_which_file(bundled):
    (bundled / "models.json").write_text("{not json")
    with pytest.raises(RegistryError, match="models.json cannot be read"):
        list_models()
