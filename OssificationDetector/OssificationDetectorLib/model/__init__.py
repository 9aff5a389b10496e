"""Layer 4: the network (architectures.py), model files (checkpoints.py, with sha256), the registry of
bundled and trained models, devices and model cards. A new architecture goes in architectures.py."""

from ..moved_modules import forward_to

__getattr__ = forward_to(__name__, "architectures")  # the names of the former model.py
