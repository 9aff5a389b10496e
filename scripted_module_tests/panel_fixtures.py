"""What the panel tests share: a real scene with Slicer's logics, the panel's DetectionLogic on it, and the
parameter values the panel reads (inputVolume, model, threshold, device). Those are a plain record here;
Slicer's own parameterNodeWrapper, which holds them in Slicer, is run in slicer_layer_cases.py."""
import types

import numpy as np

from OssificationDetectorLib.core.boxes import Box
from OssificationDetectorLib.mrml.detections import show_detections
from OssificationDetectorLib.panel.detection_logic import DetectionLogic
from OssificationDetectorTesting.volumes import make_volume

from mrml_fixtures import new_scene

KNOWN = [Box("DIP", 20, 4, 24, 7, score=0.92, digit=3), Box("PIP", 8, 10, 13, 14, score=0.55, digit=2),
         Box("Radius", 14, 24, 24, 30, score=0.31), Box("Wrist", 10, 18, 30, 26, score=0.08)]


def panel_scene(work_dir):
    """(scene, logic, parameters) with no volume selected yet."""
    scene, _ = new_scene(work_dir)
    parameters = types.SimpleNamespace(inputVolume=None, model="default", threshold=0.5, device="cpu")
    return scene, DetectionLogic(scene), parameters


def radiograph(scene, name="hand", step=7):
    """A 40 x 30 gray volume; another step, other pixels."""
    pixels = (np.arange(30 * 40, dtype=np.uint16).reshape(30, 40) * step) % 4000
    return make_volume(scene, pixels, name=name)


def detected(scene, volume, threshold=0.5):
    return show_detections(KNOWN, scene, volume, "known boxes", threshold=threshold)
