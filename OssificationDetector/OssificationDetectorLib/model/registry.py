"""Where models are found: the bundled models.json and the user's own registry.

Bundled: OssificationDetector/Resources/Models/models.json (or the folder named by
OSSIFICATION_DETECTOR_MODELS): {"models": [{"name", "file", "sha256", "architecture",
"description", "card"}]}, files relative to that folder; a model published as a release file also has
"url" (see published.py) and may not be downloaded yet. User models (trained with the
extension or `ossification-detector train --register`): models.json in OSSIFICATION_DETECTOR_HOME,
else ~/.ossification-detector, with absolute paths and the sha256 recorded at registration.
A user model never takes a bundled model's name, and replaces a user model of its name only when
asked (overwrite=True); `unregister_user_model` removes one (its file stays).
"""
import json
import os
from pathlib import Path

from ..core.atomic import atomic_write_text

DEFAULT_MODEL = "default"
REGISTRY_FILE = "models.json"


class RegistryError(ValueError):
    """A model name that is not registered, or a registry file that cannot be read."""


def bundled_models_dir():
    override = os.environ.get("OSSIFICATION_DETECTOR_MODELS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "Resources" / "Models"


def user_home():
    override = os.environ.get("OSSIFICATION_DETECTOR_HOME")
    return Path(override) if override else Path.home() / ".ossification-detector"


def _read_registry(path):
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RegistryError(f"The model registry {path} cannot be read ({error}): fix or delete it.") from error
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list) or not all(isinstance(m, dict) and "name" in m for m in models):
        raise RegistryError(f"The model registry {path} is not a {{\"models\": [{{\"name\": ...}}]}} file: fix or delete it.")
    return models


def _entries():
    """All registered models, user ones first, each with its absolute path and source."""
    entries = []
    for source, folder in (("user", user_home()), ("bundled", bundled_models_dir())):
        for model in _read_registry(folder / REGISTRY_FILE):
            entry = dict(model)
            entry["path"] = str((folder / model.get("file", model.get("path", ""))).resolve())
            entry["source"] = source
            entries.append(entry)
    return entries


def list_models():
    """Registered models (user ones first; a user model hides a bundled one of the same name)."""
    seen, result = set(), []
    for entry in _entries():
        if entry["name"] not in seen:
            seen.add(entry["name"])
            result.append(entry)
    return result


def resolve_model(name_or_path=DEFAULT_MODEL):
    """(model file path, expected sha256 or None) for a registered name or a file path.

    A registered name wins over a file of the same name in the working folder; the path of a registered
    file gets its recorded checksum; another path gets None (its weights checksum is checked on load).
    """
    name = str(name_or_path)
    for entry in list_models():
        if entry["name"] == name:
            if entry.get("url") and not Path(entry["path"]).is_file():
                raise RegistryError(not_downloaded_hint(entry))
            return Path(entry["path"]), entry.get("sha256")
    path = Path(name).expanduser()
    if path.suffix or path.exists() or os.sep in name or "/" in name:
        # A registered model's file named by its path is checked against its recorded checksum too.
        if path.exists():
            for entry in _entries():
                if entry.get("sha256") and Path(entry["path"]) == path.resolve():
                    return path, entry["sha256"]
        return path, None
    names = ", ".join(e["name"] for e in list_models()) or "none"
    raise RegistryError(f"No model named {name!r} is registered (available: {names}): give a model file "
                        "path or one of those names.")


def not_downloaded_hint(entry):
    """What to do about a published model (models.json "url") whose file is not here yet."""
    return (f"The model {entry['name']!r} is published as a release file and not downloaded yet: run "
            f"`ossification-detector models --fetch {entry['name']}` (downloads {entry['url']}, checked "
            "against its sha256), or install the extension, which brings it.")


def bundled_names():
    return {m["name"] for m in _read_registry(bundled_models_dir() / REGISTRY_FILE)}


def user_models():
    return _read_registry(user_home() / REGISTRY_FILE)


def check_registrable(name, overwrite=False):
    """Raise RegistryError unless `name` may be given to a user model (checked before training)."""
    name = str(name)
    if not name.strip() or name != name.strip() or "/" in name or os.sep in name:
        raise RegistryError(f"{name!r} cannot be a model name: use letters, digits, '-' or '_' (no slashes).")
    if name in bundled_names():
        raise RegistryError(f"{name!r} is the name of a bundled model and cannot be reused: choose another "
                            "name for --register.")
    if not overwrite and any(m["name"] == name for m in user_models()):
        raise RegistryError(f"A user model named {name!r} is registered already: add --overwrite to replace it, "
                            "or choose another name (see `ossification-detector models`).")


def registered_names_of(path):
    """The names of the models (user and bundled) whose file is `path`."""
    target = Path(path).resolve()
    return [e["name"] for e in _entries() if Path(e["path"]) == target]


def register_user_model(name, path, metadata=None, overwrite=False):
    """Add a user model entry with the file's sha256 (replacing one of that name only with overwrite);
    returns the entry."""
    from .checkpoints import file_sha256, read_model_file

    check_registrable(name, overwrite)
    path = Path(path).resolve()
    if metadata is None:
        _, metadata = read_model_file(path, trust_unverified=True)  # checks it is a model for our classes
    entry = {"name": str(name), "file": str(path), "sha256": file_sha256(path),
             "architecture": metadata.get("architecture"), "description": metadata.get("description", ""),
             "metrics": _short_metrics(metadata.get("metrics"))}
    registry = user_home() / REGISTRY_FILE
    models = [m for m in _read_registry(registry) if m["name"] != entry["name"]]
    models.append(entry)
    atomic_write_text(registry, json.dumps({"models": models}, indent=2) + "\n")
    return entry


def refresh_user_models_of(path):
    """Record the new sha256 of the user models whose file was rewritten on purpose (train --overwrite)."""
    from .checkpoints import file_sha256

    registry, target = user_home() / REGISTRY_FILE, Path(path).resolve()
    models = _read_registry(registry)
    changed = [m for m in models if Path(m.get("file", "")).resolve() == target]
    for model in changed:
        model["sha256"] = file_sha256(target)
    if changed:
        atomic_write_text(registry, json.dumps({"models": models}, indent=2) + "\n")
    return [m["name"] for m in changed]


def unregister_user_model(name):
    """Remove a user model from the registry (its file is kept); bundled models cannot be removed."""
    registry = user_home() / REGISTRY_FILE
    models = _read_registry(registry)
    kept = [m for m in models if m["name"] != name]
    if len(kept) == len(models):
        if name in bundled_names():
            raise RegistryError(f"{name!r} is a bundled model: it cannot be removed (only user models can).")
        names = ", ".join(m["name"] for m in models) or "none"
        raise RegistryError(f"No user model named {name!r} is registered (user models: {names}).")
    atomic_write_text(registry, json.dumps({"models": kept}, indent=2) + "\n")
    return next(m for m in models if m["name"] == name)


def _short_metrics(metrics):
    if not metrics:
        return None
    overall = (metrics.get("postprocessed") or metrics.get("raw") or {}).get("centre_overall") or {}
    return {"mAP": metrics.get("mAP"), "centre_f1": overall.get("f1")}


def register_bundled_model(folder, name, file, sha256, architecture, description="", card=None, url=None):
    """Add (or replace) an entry of a bundled models.json (used when publishing a model)."""
    registry = Path(folder) / REGISTRY_FILE
    entry = {"name": name, "file": str(file), "sha256": sha256, "architecture": architecture,
             "description": description, "card": card}
    if url:
        entry["url"] = str(url)
    models = [m for m in _read_registry(registry) if m["name"] != name] + [entry]
    atomic_write_text(registry, json.dumps({"models": models}, indent=2) + "\n")
    return entry
