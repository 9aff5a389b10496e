"""Model files: weights plus JSON metadata, loaded safely and checked.

A model file is a `torch.save`d dict of plain types only: {"format", "format_version",
"metadata" (a JSON string), "state_dict" (tensors)}. It loads with `weights_only=True`, so a
file cannot run code. Its sha256 (of the whole file) is what the model registry records.
"""
import datetime
import hashlib
import io
import json
from pathlib import Path

from ..core.atomic import atomic_write_bytes
from ..core.taxonomy import CLASSES

FORMAT = "ossification-detector-model"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A model file that is missing, damaged, tampered with or made for something else."""


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_metadata(architecture, min_size, max_size, **extra):
    """The metadata every model file carries; `extra` adds training data, metrics, recipe ..."""
    from ..io.images import PERCENTILES

    metadata = {
        "classes": list(CLASSES),
        "architecture": architecture,
        "preprocessing": {"min_size": int(min_size), "max_size": int(max_size),
                          "normalisation": "percentiles {}-{} to 0-1".format(*PERCENTILES), "channels": 1},
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "format_version": FORMAT_VERSION,
    }
    metadata.update(extra)
    return metadata


def save_model(path, model, metadata):
    """Write the model's weights and metadata atomically; return the file's sha256."""
    import torch

    metadata = dict(metadata)
    metadata.setdefault("format_version", FORMAT_VERSION)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION,
               "metadata": json.dumps(metadata, sort_keys=True), "state_dict": state}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    atomic_write_bytes(Path(path), data)
    return hashlib.sha256(data).hexdigest()


def read_model_file(path, sha256=None):
    """(state_dict, metadata) of a model file, checked; raises ModelFileError."""
    import pickle
    import zipfile

    import torch

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Model file {path} does not exist: give the path of a .pt model file "
                             "or the name of a registered model (see `ossification-detector models`).")
    if sha256 is not None:
        actual = file_sha256(path)
        if actual.lower() != str(sha256).lower():
            raise ModelFileError(
                f"Model file {path} does not match its registered checksum (sha256 {actual[:12]}..., "
                f"expected {str(sha256)[:12]}...): it was changed or damaged. Download or copy it again.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, ValueError, OSError) as error:
        raise ModelFileError(f"{path} is not a readable OssificationDetector model file (truncated, damaged, "
                             f"or another kind of file): {str(error).splitlines()[0] if str(error) else error!r}"
                             ) from error
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT and "state_dict" in payload):
        raise ModelFileError(f"{path} is a PyTorch file but not an OssificationDetector model "
                             "(no model metadata in it). Train one with `ossification-detector train`.")
    if int(payload.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelFileError(f"{path} was written by a newer OssificationDetector (model format "
                             f"{payload['format_version']}); update OssificationDetector to load it.")
    try:
        metadata = json.loads(payload["metadata"])
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"The metadata of model file {path} is damaged: {error}") from error
    check_classes(metadata, path)
    return payload["state_dict"], metadata


def check_classes(metadata, path="the model"):
    classes = tuple(metadata.get("classes") or ())
    if classes != tuple(CLASSES):
        raise ModelFileError(
            f"{path}: this model detects {', '.join(classes) or 'no classes'}; OssificationDetector needs a "
            f"model for {', '.join(CLASSES)} (in that order). Choose another model or train one.")


def load_model(path, sha256=None):
    """(model in eval mode on the CPU, metadata) from a model file; raises ModelFileError."""
    from .architectures import ARCHITECTURES, ModelBuildError, build_model

    state, metadata = read_model_file(path, sha256)
    architecture = metadata.get("architecture")
    if architecture not in ARCHITECTURES:
        raise ModelFileError(f"{path} uses the architecture {architecture!r}, which this version of "
                             f"OssificationDetector does not know ({', '.join(ARCHITECTURES)}); update it.")
    pre = metadata.get("preprocessing", {})
    try:
        model = build_model(architecture, num_classes=len(CLASSES) + 1, init="none",
                            min_size=int(pre.get("min_size", 512)), max_size=int(pre.get("max_size", 640)))
    except ModelBuildError as error:
        raise ModelFileError(f"{path}: {error}") from error
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise ModelFileError(f"The weights in {path} do not fit the {architecture} architecture "
                             f"(damaged or edited file): {str(error).splitlines()[0]}") from error
    model.eval()
    return model, metadata
