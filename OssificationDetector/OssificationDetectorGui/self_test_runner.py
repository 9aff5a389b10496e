"""The module's self-test in order: every case that needs no detector first, then (torch installed) the
detector cases and the panel checks; what was skipped, and why, goes to the log and the screen."""
import logging

from OssificationDetectorGui.annotation_self_test import testAnnotateFromPanel
from OssificationDetectorGui.self_test import runSceneCases, testDetectFromPanel
from OssificationDetectorGui.torch_setup import torchAvailable
from OssificationDetectorTesting.self_test_plan import self_test_plan, skipped_report

PANEL_CHECKS = {"testDetectFromPanel": testDetectFromPanel, "testAnnotateFromPanel": testAnnotateFromPanel}


def runSelfTests(testCase):
    plan = self_test_plan(torchAvailable())
    runSceneCases(testCase, plan.scene_cases)
    for name in plan.panel_checks:
        testCase.setUp()
        PANEL_CHECKS[name](testCase)
    for line in skipped_report(plan):
        logging.warning(line)
        testCase.delayDisplay(line, 500)
