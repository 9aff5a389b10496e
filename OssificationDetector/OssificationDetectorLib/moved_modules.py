"""Old import paths keep working: the Lib's modules used to lie side by side in one folder.

`import OssificationDetectorLib.detect` (a script written for an earlier version) gets the module
that now lives in detection/detect.py, the same module object, with a DeprecationWarning that names
the new path. New code imports the new paths.
"""
import importlib
import importlib.abc
import importlib.util
import sys
import warnings

PACKAGE = __name__.rpartition(".")[0]

# old flat module name -> its path under the package now
MOVED = {
    "anatomy": "detection.anatomy",
    "annotation_import": "importers.folders",
    "annotation_io": "annotations.common",
    "annotation_mrml": "mrml.annotations",
    "atomic": "core.atomic",
    "augment": "training.augment",
    "average_precision": "evaluation.average_precision",
    "benchmark": "evaluation.benchmark",
    "bone_import": "importers.bones",
    "box_transforms": "core.box_transforms",
    "boxes": "core.boxes",
    "centre_criterion": "evaluation.centre_criterion",
    "checklist": "annotations.checklist",
    "checkpoints": "model.checkpoints",
    "cli": "cli.main",
    "cli_common": "cli.common",
    "cli_data": "cli.data",
    "cli_detect": "cli.detect",
    "cli_train": "cli.train",
    "coco": "annotations.coco",
    "dataset_store": "annotations.dataset_store",
    "datasets": "annotations.datasets",
    "detect": "detection.detect",
    "detections_json": "detection.detections_json",
    "detections_mrml": "mrml.detections",
    "devices": "model.devices",
    "dicom_reader": "io.dicom_reader",
    "dicom_source": "io.dicom_source",
    "evaluate": "evaluation.evaluate",
    "hand_template": "core.hand_template",
    "hand_template_data": "core.hand_template_data",
    "heldout": "evaluation.heldout",
    "heldout_evaluation": "evaluation.heldout_evaluation",
    "image_files": "annotations.image_files",
    "images": "io.images",
    "imported_annotations": "importers.imported",
    "joint_boxes": "importers.joint_boxes",
    "keypoint_import": "importers.keypoints",
    "model": "model.architectures",
    "model_card": "model.model_card",
    "mrml": "mrml.bridge",
    "orientation": "detection.orientation",
    "overlay": "detection.overlay",
    "pseudo_labels": "training.pseudo_labels",
    "radiograph": "io.radiograph",
    "raster_readers": "io.raster_readers",
    "registry": "model.registry",
    "report": "evaluation.report",
    "taxonomy": "core.taxonomy",
    "train": "training.train",
    "training_data": "training.training_data",
    "training_job": "training.training_job",
    "voc": "annotations.voc",
    "yolo": "annotations.yolo",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        prefix, _, name = fullname.rpartition(".")
        if prefix != PACKAGE or name not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        new = f"{PACKAGE}.{MOVED[spec.name.rpartition('.')[2]]}"
        warnings.warn(f"{spec.name} has moved to {new}; import it from there.", DeprecationWarning, stacklevel=3)
        module = importlib.import_module(new)
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        # The module is already executed; the import machinery has just set its __spec__ to the old
        # name's: give it its own back, so that it stays the module of its new path in every respect.
        module.__spec__ = module.__spec__.loader_state


def install():
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())


def forward_to(package_name, module_name):
    """A module __getattr__ for a package that replaced a module of the same name (cli, model, mrml):
    names of the old module are found in the module that now holds them."""

    def __getattr__(attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        module = importlib.import_module(f"{package_name}.{module_name}")
        try:
            value = getattr(module, attribute)
        except AttributeError:
            raise AttributeError(f"module {package_name!r} has no attribute {attribute!r}") from None
        warnings.warn(f"{package_name}.{attribute} has moved to {package_name}.{module_name}.{attribute}; import it "
                      "from there.", DeprecationWarning, stacklevel=2)
        return value

    return __getattr__
