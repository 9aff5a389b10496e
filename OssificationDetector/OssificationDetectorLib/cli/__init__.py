"""Layer 10, the top: the ossification-detector command (main.py: parser and dispatch; one module a group of
commands: detect.py, train.py, data.py; common.py what they share)."""
from ..moved_modules import forward_to
from .main import main

__all__ = ["main"]
__getattr__ = forward_to(__name__, "main")  # the names of the former cli.py
