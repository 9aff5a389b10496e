"""torch and torchvision inside Slicer, installed through the PyTorch extension's PyTorchUtils.

PyTorchUtils picks the build that fits the computer's NVIDIA driver (or the CPU build) and asks
the user before downloading. Called where detection or training starts, never at module load.
"""


def torchAvailable():
    """Whether torch and torchvision can be imported now (nothing is installed)."""
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
        return True
    except ImportError:
        return False


def ensureTorch():
    """Import torch and torchvision, installing them (after asking) when they are missing."""
    if torchAvailable():
        return
    try:
        import PyTorchUtils
    except ImportError as error:
        raise RuntimeError(
            "OssificationDetector needs PyTorch: install the 'PyTorch' extension from the Extensions "
            "Manager, restart Slicer, and press Detect again."
        ) from error
    torchLogic = PyTorchUtils.PyTorchUtilsLogic()
    if not torchLogic.torchInstalled():
        torch = torchLogic.installTorch(askConfirmation=True)
        if torch is None:
            raise RuntimeError("PyTorch was not installed, so detection cannot run. Press Detect to be asked again.")
    try:
        import torchvision  # noqa: F401  (installTorch installs it with torch)
    except ImportError as error:
        raise RuntimeError(
            "PyTorch is installed without torchvision: open the 'PyTorch Utils' module, uninstall and "
            "install PyTorch again (it installs both), restart Slicer, and press Detect again."
        ) from error
