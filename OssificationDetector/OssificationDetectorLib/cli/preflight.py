"""Checks made before any work (and before torch is imported): outputs can be written, and writing
them replaces nothing the user did not ask to replace."""
import contextlib
import os
import secrets
from pathlib import Path

from .common import UserError


def _writable_folder(folder, what):
    """Create `folder` (and its parents) if needed and prove a file can be written there."""
    folder = Path(folder)
    for parent in [folder, *folder.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(f"{parent} is a file, but {what} needs a folder there: choose another path.")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test.{os.getpid()}.{secrets.token_hex(4)}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UserError(f"Cannot write {what} into {folder} ({error.strerror or error}): "
                        "choose a folder you can write to.") from None


def _same_file(a, b):
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return Path(a).resolve() == Path(b).resolve()


def check_output_file(path, what, inputs=(), overwrite=True, overwrite_flag="--overwrite", example="out"):
    """An output file that can be written, is no input, and replaces an existing file only when allowed."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder, but {what} is a file: give a file name such as {path / example}.")
    for source in inputs:
        if path.exists() and _same_file(path, source):
            raise UserError(f"{what} {path} is one of the inputs: writing it would replace that input. "
                            "Choose another output name.")
    if path.exists() and not overwrite:
        raise UserError(f"{path} exists: add {overwrite_flag} to replace it, or choose another name.")
    _writable_folder(path.parent if str(path.parent) else Path("."), what)
    return path


def check_output_folder(path, what):
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path} is a file, but {what} is a folder: choose a folder name.")
    _writable_folder(path, what)
    return path


def check_overlay_folder(folder, inputs):
    """The overlay folder may hold no input radiograph (an overlay of the same name would replace it)."""
    folder = check_output_folder(folder, "--overlay")
    for source in inputs:
        if _same_file(Path(source).parent, folder):
            raise UserError(f"--overlay {folder} holds the input {source}: overlays would sit among (and could "
                            "replace) the radiographs. Choose a separate folder.")
    return folder


def overlay_names(inputs):
    """An overlay PNG name for each input: its stem, made unique (stem-2, ...) where stems repeat."""
    names, used = [], set()
    for source in inputs:
        stem = Path(source).name
        for suffix in (".gz",):
            stem = stem[:-len(suffix)] if stem.lower().endswith(suffix) else stem
        stem = Path(stem).stem or stem
        name, n = f"{stem}.png", 1
        while name.lower() in used:
            n += 1
            name = f"{stem}-{n}.png"
        used.add(name.lower())
        names.append(name)
    return names


def check_model(name_or_path):
    """The model is registered or an existing file (its content is checked when it loads)."""
    from ..model.checkpoints import ModelFileError
    from ..model.registry import resolve_model

    path, _ = resolve_model(name_or_path)
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder: give a .pt model file or a registered model name "
                             "(see `ossification-detector models`).")
    if not path.is_file():
        raise ModelFileError(f"Model file {path} does not exist: give the path of a .pt model file "
                             "or the name of a registered model (see `ossification-detector models`).")
    return path
