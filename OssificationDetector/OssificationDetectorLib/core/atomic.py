"""Writes that never leave a half-written file behind.

The new content goes to a temporary file in the destination's folder (so the final rename stays on
one file system), is flushed to disk, and then replaces the destination in one `os.replace`. If
anything fails before that, the previous file is untouched and the temporary file is removed.
"""
import contextlib
import os
import secrets
from pathlib import Path


def _temporary_path(path):
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _fsync_folder(folder):
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path, mode="w", encoding="utf-8", newline=None):
    """Open a temporary file for writing; on success it becomes `path`, on error it vanishes.

    `mode` is "w" (text) or "wb" (bytes). Missing parent folders are created. A file that exists
    already keeps its permission bits.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_writer mode must be 'w' or 'wb', not {mode!r}.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_path(path)
    # os.open applies the umask to 0o666, as a plain open() would for a new file.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        if mode == "wb":
            stream = os.fdopen(fd, "wb")
        else:
            stream = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        fd = None  # the stream owns it now
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(path.parent)


def atomic_write_text(path, text, encoding="utf-8"):
    with atomic_writer(path, "w", encoding=encoding, newline="\n") as stream:
        stream.write(text)
    return Path(path)


def atomic_write_bytes(path, data):
    with atomic_writer(path, "wb") as stream:
        stream.write(data)
    return Path(path)
