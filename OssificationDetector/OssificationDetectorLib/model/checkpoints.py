"""Model files: weights plus JSON metadata, loaded safely and checked.

A model file is a `torch.save`d dict of plain types only: {"format", "format_version",
"metadata" (a JSON string), "state_dict" (tensors), "weights_sha256"}. It loads with
`weights_only=True`, so a file cannot run code. "weights_sha256" (format 2) is a checksum of the
weights themselves (names, dtypes, shapes and bytes), checked at every load, by path or by name.
Format 1 files (the bundled default model among them) carry none: they load only as registered
models (by name or by the registered file's path), whose whole-file sha256 the registry records.
"""
import datetime
import hashlib
import io
import json
from pathlib import Path

from ..core.atomic import atomic_write_bytes
from ..core.taxonomy import CLASSES

FORMAT = "ossification-detector-model"
FORMAT_VERSION = 2


class ModelFileError(ValueError):
    """A model file that is missing, damaged, tampered with or made for something else."""


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def weights_sha256(state_dict):
    """sha256 of a state dict: each tensor's name, dtype, shape and bytes, in name order."""
    import torch

    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name]
        if not isinstance(tensor, torch.Tensor):
            raise ModelFileError(f"the weight {name!r} is not a tensor")
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
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
    return save_state(path, model.state_dict(), metadata)


def half_precision(state_dict):
    """The state dict with its float32 tensors stored as float16 (integers untouched).

    Loading copies them back into the float32 parameters, so a half-precision file runs like any other;
    it is half the size, which keeps the bundled models' history small (measure the accuracy first).
    """
    import torch

    return {k: v.half() if v.dtype == torch.float32 else v for k, v in state_dict.items()}


def save_state(path, state_dict, metadata):
    """Write a state dict and metadata atomically as a model file; return the file's sha256."""
    import torch

    metadata = dict(metadata)
    metadata.setdefault("format_version", FORMAT_VERSION)
    state = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION,
               "metadata": json.dumps(metadata, sort_keys=True), "state_dict": state,
               "weights_sha256": weights_sha256(state)}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    atomic_write_bytes(Path(path), data)
    return hashlib.sha256(data).hexdigest()


def _load_payload(path):
    """torch.load with weights_only; any failure is one line that never suggests an unsafe load."""
    import warnings

    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's remarks on pickle protocols are not the user's business
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch raises many kinds; its messages advise weights_only=False, which would run code
        raise ModelFileError(f"{path} is not an OssificationDetector model file (damaged, truncated, or another "
                             "kind of file); nothing in it was run. Give a model file trained with "
                             "`ossification-detector train`, or a registered model name.") from None


def read_model_file(path, sha256=None, trust_unverified=False):
    """(state_dict, metadata) of a model file, checked; raises ModelFileError.

    sha256: the whole file's checksum the registry records (registry.resolve_model gives it for a
    registered file, by name or by path). A format 1 file (no weights checksum) is refused without it,
    unless trust_unverified (registering a file by hand).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Model file {path} does not exist: give the path of a .pt model file "
                             "or the name of a registered model (see `ossification-detector models`).")
    actual = None
    if sha256 is not None:
        actual = file_sha256(path)
        if actual.lower() != str(sha256).lower():
            raise ModelFileError(
                f"Model file {path} does not match its registered checksum (sha256 {actual[:12]}..., "
                f"expected {str(sha256)[:12]}...): it was changed or damaged (or replaced by another model). "
                "Copy it again, or register the new file (`ossification-detector models --add NAME FILE "
                "--overwrite`).")
    payload = _load_payload(path)
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT and isinstance(payload.get("state_dict"), dict)):
        raise ModelFileError(f"{path} is a PyTorch file but not an OssificationDetector model "
                             "(no model metadata in it). Train one with `ossification-detector train`.")
    version = payload.get("format_version", 0)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(f"{path} was written by a newer OssificationDetector (model format "
                             f"{version}); update OssificationDetector to load it.")
    recorded = payload.get("weights_sha256")
    if recorded is not None:
        if weights_sha256(payload["state_dict"]) != recorded:
            raise ModelFileError(f"The weights in {path} do not match the checksum stored with them: the file "
                                 "was changed or damaged. Copy it again or train it again.")
    elif not trust_unverified and actual is None:
        raise ModelFileError(f"{path} is an older model file without a checksum of its weights and is not a "
                             "registered model, so it cannot be verified. If you trust it, register it: "
                             f"`ossification-detector models --add NAME {path}`.")
    try:
        metadata = json.loads(payload["metadata"])
    except (TypeError, ValueError, KeyError) as error:
        raise ModelFileError(f"The metadata of model file {path} is damaged: {error}") from error
    if not isinstance(metadata, dict):
        raise ModelFileError(f"The metadata of model file {path} is damaged: not a JSON object.")
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
    import torch

    pre = metadata.get("preprocessing", {})
    try:
        # Built without memory ("meta" tensors), then given the file's tensors as they are: no random
        # initialisation to throw away, no copy of the weights (a third of the load time).
        with torch.device("meta"):
            model = build_model(architecture, num_classes=len(CLASSES) + 1, init="none",
                                min_size=int(pre.get("min_size", 512)), max_size=int(pre.get("max_size", 640)))
    except ModelBuildError as error:
        raise ModelFileError(f"{path}: {error}") from error
    try:
        # assign keeps each tensor's dtype: a half-precision file's weights go back to float32 first.
        state = {k: v.float() if v.dtype in (torch.float16, torch.bfloat16) else v for k, v in state.items()}
        model.load_state_dict(state, assign=True)
        left = [name for name, tensor in [*model.named_parameters(), *model.named_buffers()] if tensor.is_meta]
        if left:
            raise ValueError(f"no weights for {', '.join(left[:3])}")
    except (RuntimeError, TypeError, ValueError) as error:
        raise ModelFileError(f"The weights in {path} do not fit the {architecture} architecture "
                             f"(damaged or edited file): {str(error).splitlines()[0]}") from error
    model.eval()
    return model, metadata
