"""Which checks the module's self-test runs: every one that needs no detector first, then those that do,
only when torch can be imported. `Slicer --testing` must never install torch (PyTorchUtils asks the user
only outside testing mode, then downloads gigabytes), so a Slicer without it skips them, saying so."""
from dataclasses import dataclass, field
from typing import List, Tuple

from .annotation_cases import ANNOTATION_CASES
from .review_cases import DETECTOR_CASES, REVIEW_CASES
from .scene_cases import GEOMETRY_CASES

# The panel checks of OssificationDetectorGui (names of functions there): detection through the panel.
PANEL_DETECTOR_CHECKS = ("testDetectFromPanel", "testAnnotateFromPanel")


@dataclass
class SelfTestPlan:
    scene_cases: List = field(default_factory=list)  # scene case functions, in the order to run
    panel_checks: List[str] = field(default_factory=list)
    skipped: List[Tuple[str, str]] = field(default_factory=list)  # (name, why)


def self_test_plan(torch_available):
    plan = SelfTestPlan(scene_cases=list(GEOMETRY_CASES + REVIEW_CASES + ANNOTATION_CASES))
    if torch_available:
        plan.scene_cases += list(DETECTOR_CASES)
        plan.panel_checks += list(PANEL_DETECTOR_CHECKS)
        return plan
    why = ("torch is not installed in this Slicer; the self-test never installs it (install the PyTorch extension "
           "and press Detect once to run these)")
    plan.skipped = [(case.__name__, why) for case in DETECTOR_CASES] + [(name, why) for name in PANEL_DETECTOR_CHECKS]
    return plan


def skipped_report(plan):
    """One line a skipped check, for the test log."""
    return [f"skipped {name}: {why}" for name, why in plan.skipped]
