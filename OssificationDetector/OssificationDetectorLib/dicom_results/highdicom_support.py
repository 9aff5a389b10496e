"""Which highdicom fits the installed pydicom, and whether it is there (checked without importing it).

highdicom 0.23 and later need pydicom 3 (>= 3.0.1); 0.22.0 is the last release for pydicom 2
(>= 2.3, not 2.4.0). The command line pins pydicom 3.0.2 and highdicom 0.28.2 (requirements.txt);
Slicer 5.10 bundles pydicom 2.4.4, where highdicom 0.22.0 is the one that works. The same code writes
and reads with both (tests run it with 0.28.2).
"""
from importlib import metadata

LATEST_FOR_PYDICOM_3 = "highdicom==0.28.2"
LAST_FOR_PYDICOM_2 = "highdicom==0.22.0"
BROKEN_PYDICOM = ("2.4.0",)


def _version_tuple(text):
    parts = []
    for piece in str(text).split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts + [0] * (3 - len(parts)))


def installed_version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def requirement_for_pydicom(pydicom_version):
    """The pip requirement of the highdicom that works with this pydicom, or None when none does."""
    version = _version_tuple(pydicom_version)
    if version >= (3, 0, 1):
        return LATEST_FOR_PYDICOM_3
    if (2, 3, 0) <= version < (3, 0, 0) and str(pydicom_version) not in BROKEN_PYDICOM:
        return LAST_FOR_PYDICOM_2
    return None


def highdicom_fits(highdicom_version, pydicom_version):
    """Whether an installed highdicom can run on this pydicom (0.23+ needs pydicom 3.0.1+)."""
    needs_pydicom_3 = _version_tuple(highdicom_version) >= (0, 23, 0)
    return _version_tuple(pydicom_version) >= (3, 0, 1) if needs_pydicom_3 else requirement_for_pydicom(
        pydicom_version) == LAST_FOR_PYDICOM_2


INSTALLED = object()  # HighdicomStatus's default: look the version up


class HighdicomStatus:
    """ready: highdicom can be used now. requirement: what to pip-install otherwise (None: nothing fits).
    message: one line for the user."""

    def __init__(self, pydicom_version=None, highdicom_version=INSTALLED):
        """Versions of what is installed, unless given; highdicom_version=None: highdicom is not installed."""
        self.pydicom_version = pydicom_version or installed_version("pydicom")
        self.highdicom_version = installed_version("highdicom") if highdicom_version is INSTALLED else highdicom_version
        self.requirement = requirement_for_pydicom(self.pydicom_version) if self.pydicom_version else None
        self.ready = bool(self.highdicom_version and self.pydicom_version
                          and highdicom_fits(self.highdicom_version, self.pydicom_version))

    @property
    def message(self):
        if self.ready:
            return f"highdicom {self.highdicom_version} (pydicom {self.pydicom_version}) writes the DICOM results."
        if self.requirement is None:
            return (f"No highdicom release works with pydicom {self.pydicom_version}: DICOM results cannot be "
                    "written here (use the ossification-detector command line, which brings its own pydicom).")
        if self.highdicom_version:
            return (f"highdicom {self.highdicom_version} needs another pydicom than {self.pydicom_version}; "
                    f"install {self.requirement}, the release that works with it.")
        return f"DICOM results need highdicom: install {self.requirement} (works with pydicom {self.pydicom_version})."
