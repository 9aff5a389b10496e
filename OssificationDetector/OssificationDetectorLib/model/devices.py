"""Where torch runs: the device choice and mixed precision, shared by detection and training."""

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(ValueError):
    """A device that was asked for but is not there."""


def resolve_device(name="auto"):
    """torch.device for "auto" (cuda, then mps, else cpu), "cpu", "cuda", "cuda:N" or "mps"."""
    import torch

    name = str(name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(f"Device {name!r} was asked for, but torch sees no CUDA GPU here: use --device cpu or auto.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError("Device 'mps' was asked for, but this machine has no Apple GPU: use --device cpu or auto.")
    if name != "cpu" and not name.startswith(("cuda", "mps")):
        raise DeviceError(f"Unknown device {name!r}: use one of {', '.join(DEVICE_CHOICES)}.")
    return torch.device(name)


def mixed_precision_dtype(device, training=False):
    """bf16 on a GPU that has it, else fp16 (detection only: training in fp16 would need loss
    scaling); None on the CPU, where reduced precision is slower, not faster."""
    import torch

    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return None if training else torch.float16
    if device.type == "mps" and not training:
        return torch.float16
    return None


def limit_cpu_threads(threads=None):
    """Use `threads` CPU threads; when not given, OMP_NUM_THREADS if set, else at most 4
    (more rarely helps one image, and leaves cores to the rest of the machine)."""
    import os

    import torch

    if threads is None:
        if os.environ.get("OMP_NUM_THREADS"):
            return
        threads = min(4, os.cpu_count() or 1)
    torch.set_num_threads(max(1, int(threads)))
