"""What the `ossification-detector` subcommands share: the user's mistake, the radiographs named on the
command line, progress bars and messages."""
import sys
from pathlib import Path


class UserError(Exception):
    """A mistake in the command line or the files given; printed as one line."""


def image_files(inputs):
    """Image files named or inside the folders named, in a stable order."""
    from ..io.scan import radiograph_files_in

    files = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found = radiograph_files_in(path)
            if not found:
                raise UserError(f"The folder {path} holds no radiographs (DICOM, PNG, JPEG, TIFF, BMP, MHA, NRRD, "
                                "NIfTI).")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(f"{path} does not exist: give radiograph files or folders of them.")
    return files


def progress_bar(items, desc, quiet=False):
    """A tqdm bar over the items (iterate it, or update it by hand); the items alone when quiet."""
    if quiet or len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="image", dynamic_ncols=True)


def close_bar(bar):
    """Close a progress bar, so that what is printed next starts on a line of its own."""
    if hasattr(bar, "close"):
        bar.close()


def warn(bar, text):
    """One line on stderr, above the progress bar when there is one."""
    if hasattr(bar, "write"):
        bar.write(text, file=sys.stderr)
    else:
        print(text, file=sys.stderr)


def say(args, text):
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr if getattr(args, "progress_json", False) else sys.stdout)
