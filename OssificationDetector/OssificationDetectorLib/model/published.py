"""Models published as release files: listed in the bundled models.json with "url" and "sha256",
not committed to the repository (its history would grow by a full model at every version).

The extension's build downloads them (CMake/OssificationDetectorModels.cmake), so an installed
extension works offline. A source checkout gets them with `ossification-detector models --fetch NAME`:
the only network access the tool makes, explicit and checked against the recorded sha256.
"""
import hashlib
import urllib.request
from pathlib import Path

from .checkpoints import file_sha256
from .registry import RegistryError, bundled_models_dir, list_models

CHUNK = 1 << 20


def fetch_model(name, progress=None):
    """Download a published bundled model into the models folder; return its path.

    The file is written as <file>.part and renamed only once its sha256 matches models.json, so a
    broken download never leaves a file that looks like a model. progress(bytes_done) is called per chunk.
    """
    entries = [e for e in list_models() if e["name"] == name and e.get("source") == "bundled"]
    if not entries:
        raise RegistryError(f"No bundled model is named {name!r}: see `ossification-detector models`.")
    entry = entries[0]
    target = Path(entry["path"])
    if not entry.get("url"):
        raise RegistryError(f"The model {name!r} is not a published release file (no url in "
                            f"{bundled_models_dir() / 'models.json'}): nothing to download.")
    expected = str(entry.get("sha256", "")).lower()
    if target.is_file() and file_sha256(target) == expected:
        return target
    partial = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with urllib.request.urlopen(entry["url"], timeout=60) as response, open(partial, "wb") as out:
            done = 0
            for chunk in iter(lambda: response.read(CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done)
    except PermissionError as error:
        raise RegistryError(f"Cannot write the model into {target.parent} ({error.strerror}): run the command as a "
                            "user who may write there, or copy the file there by hand.") from None
    except OSError as error:  # URLError is an OSError: no network, a missing file, a refused connection
        partial.unlink(missing_ok=True)
        raise RegistryError(f"The model {name!r} could not be downloaded from {entry['url']}: "
                            f"{getattr(error, 'reason', None) or error}. Check the network and try again.") from None
    if digest.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        raise RegistryError(f"The file downloaded from {entry['url']} has sha256 {digest.hexdigest()[:12]}..., not "
                            f"the {expected[:12]}... that models.json records: it was changed or damaged; "
                            "nothing was kept.")
    partial.replace(target)
    return target

