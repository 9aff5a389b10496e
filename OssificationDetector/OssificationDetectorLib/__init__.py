"""OssificationDetector's core: read hand radiographs, detect the 17 ossification areas, train, evaluate.

Plain Python (numpy, torch, torchvision, SimpleITK, pydicom): importable with no Slicer and no Qt.
Importing the package imports no torch, so Slicer can load the module before torch is installed.
"""

__version__ = "0.1.0"

from .moved_modules import install as _install_moved_modules

_install_moved_modules()
