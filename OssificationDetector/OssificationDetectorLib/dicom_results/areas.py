"""What goes into a report: reviewed areas (a Box and its review state) and the algorithm that found them."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from ..core.boxes import Box
from .coding import REVIEW_DETECTED, REVIEW_REJECTED, REVIEW_STATES


@dataclass
class ReviewedArea:
    """One ossification area in the source image's pixels, with its review state.

    tracking_uid: kept from a report read back, so that an area keeps its identity across reports
    (a new UID is made when None)."""

    box: Box
    state: str = REVIEW_DETECTED
    tracking_uid: Optional[str] = None

    def __post_init__(self):
        if self.state not in REVIEW_STATES:
            raise ValueError(f"Unknown review state {self.state!r}: expected one of {', '.join(REVIEW_STATES)}.")


@dataclass
class Algorithm:
    """The model that made the detections (TID 4019 Algorithm Identification)."""

    name: str
    version: str
    sha256: Optional[str] = None
    parameters: List[str] = field(default_factory=list)

    def all_parameters(self):
        return ([f"sha256={self.sha256}"] if self.sha256 else []) + list(self.parameters)


def software_version():
    """The Lib's version, written into every object as Software Versions and the algorithm version."""
    import OssificationDetectorLib

    return str(OssificationDetectorLib.__version__)


def exported_areas(areas, include_rejected=False):
    """The areas a report holds: rejected ones only when asked."""
    return [a for a in areas if include_rejected or a.state != REVIEW_REJECTED]


def algorithm_of_model(model="default", threshold=None):
    """Algorithm for a registered model name or a model file: its name, the Lib's version, its sha256."""
    from ..model.checkpoints import file_sha256
    from ..model.registry import resolve_model

    path, sha256 = resolve_model(model)
    name = Path(path).stem if str(model) == str(path) else f"{model} ({Path(path).stem})"
    parameters = [] if threshold is None else [f"threshold={threshold:g}"]
    return Algorithm(name=f"OssificationDetector {name}", version=software_version(),
                     sha256=sha256 or file_sha256(path), parameters=parameters)
