"""The command's parser: a usage mistake is one line ("error: ...") with exit status 2, like every user
error. The number types are in core/argument_types.py (the benchmark's options use them too)."""
import argparse
import sys

from ..core.argument_types import fraction, non_negative_int, positive_float, positive_int, validation_fraction  # noqa: F401


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line and exit status 2, like every user error."""

    def error(self, message):
        print(f"error: {self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)
