"""The `ossification-detector` command (also `python -m OssificationDetectorLib`).

  detect IMAGE_OR_FOLDER... --output detections.json [--overlay FOLDER] [--model NAME_OR_PATH]
  train DATASET [DATASET...] --output MODEL.pt [options]
  evaluate DETECTIONS_OR_MODEL DATASET --output FOLDER [--strata JSON [--joints-only]]
  convert SRC DST --format voc|coco|yolo
  import SOURCE --kind hand-keypoints|rus-bones|dha-landmarks --output FOLDER
  benchmark [IMAGE_OR_FOLDER...] [--model NAME_OR_PATH]
  pseudo-label IMAGE_OR_FOLDER... --output FOLDER [--model NAME_OR_PATH] [--rule partial|complete]
               [--exclude-ids FILE]
  dicom-report REVIEW IMAGE.dcm --output FOLDER [--gsps]   (and detect ... --dicom-sr FOLDER [--gsps])
  models [--add NAME FILE | --remove NAME | --fetch NAME]

User errors print one line starting with "error:" and exit with status 2; no traceback. Arguments,
inputs and outputs are checked before torch is imported (preflight.py). The exit statuses are the
EXIT_* constants below (the README lists them).
This module holds the parser and main(); the commands themselves are in detect.py (detect, benchmark,
pseudo-label), train.py (train, evaluate) and data.py (convert, import, models), what they share in common.py.
"""
import sys

from .arguments import (OneLineParser, fraction, non_negative_int, positive_float, positive_int,
                        validation_fraction)
from .common import UserError, image_files  # noqa: F401  (image_files: kept importable from cli)
from .data import cmd_convert, cmd_import, cmd_models
from .dicom import add_detect_arguments as dicom_detect_arguments, add_report_command as dicom_report_command
from .detect import cmd_benchmark, cmd_detect, cmd_pseudo_label
from .train import cmd_evaluate, cmd_train, train_config  # noqa: F401  (train_config: likewise)

# Exit statuses (the README lists them too).
EXIT_OK = 0
EXIT_SOME_FAILED = 1      # done, but some inputs could not be read: the others' results are written
EXIT_USER_ERROR = 2       # a bad argument, input or output path: nothing was done
EXIT_INTERNAL_ERROR = 3   # a bug: a traceback follows, please report it
EXIT_INTERRUPTED = 130    # Ctrl-C: what was done is kept

# Exceptions whose message is written for the user (bad files, bad options), by module. Only modules that
# are already imported are looked at: an exception of a module never imported cannot have been raised,
# and importing them all would cost the start-up time that a quick error must not pay.
_USER_ERRORS = (
    ("..annotations.common", "AnnotationFormatError"), ("..evaluation.benchmark", "BenchmarkError"),
    ("..importers.imported", "AnnotationImportError"), ("..model.checkpoints", "ModelFileError"),
    ("..annotations.datasets", "DatasetError"), ("..annotations.datasets", "MissingImageError"),
    ("..model.devices", "DeviceError"), ("..io.radiograph", "RadiographError"),
    ("..model.architectures", "ModelBuildError"), ("..model.registry", "RegistryError"),
    ("..core.taxonomy", "UnknownClassError"), ("..training.train", "TrainingError"),
    ("..training.training_data", "TrainingDataError"), ("..annotations.dataset_store", "AnnotationConflictError"),
    ("..evaluation.evaluate", "EvaluationError"), ("..dicom_results.source_image", "DicomResultsError"),
    ("..evaluation.strata", "StrataError"),
)


def _user_error_types():
    import importlib

    # OSError: a full disk, a vanished network share, a permission: the machine's state, not a bug.
    types = [UserError, OSError]
    for module, name in _USER_ERRORS:
        absolute = importlib.util.resolve_name(module, __package__)
        if absolute in sys.modules:
            found = getattr(sys.modules[absolute], name, None)
            if isinstance(found, type):
                types.append(found)
    return tuple(types)


def parser():
    from ..model.devices import DEVICE_CHOICES
    from ..model.architectures import ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, INITS

    top = OneLineParser(prog="ossification-detector",
                        description="Detect, train and evaluate the 17 ossification areas of hand radiographs.")
    sub = top.add_subparsers(dest="command", required=True)

    def common(p, threshold=0.5):
        p.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
        p.add_argument("--threads", type=positive_int, default=None,
                       help="CPU threads (default: OMP_NUM_THREADS or up to 4)")
        p.add_argument("--quiet", action="store_true")
        if threshold is not None:
            p.add_argument("--threshold", type=fraction, default=threshold, help="lowest score kept (0-1)")

    p = sub.add_parser("detect", help="detect the ossification areas of radiographs")
    p.add_argument("inputs", nargs="+", metavar="IMAGE_OR_FOLDER")
    p.add_argument("--output", required=True, help="detections.json to write")
    p.add_argument("--overlay", help="folder for PNGs with the boxes drawn (not a folder of the inputs)")
    p.add_argument("--model", default="default", help="registered model name or model file")
    p.add_argument("--orientations", default="auto", choices=("auto", "upright"),
                   help="auto: when no upright left hand is found, also try the radiograph turned and mirrored "
                        "(right hands, flipped or turned images); upright: the image as it is")
    dicom_detect_arguments(p)
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing --output or overlay file that this command did not write")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help="radiographs per forward pass (default: 1 on the CPU, 4 on a GPU)")
    common(p)
    p.set_defaults(run=cmd_detect)

    p = sub.add_parser("train", help="train or finetune a model on annotated datasets")
    p.add_argument("datasets", nargs="+", metavar="DATASET", help="VOC/COCO/YOLO dataset folders or files")
    p.add_argument("--output", required=True, help="model file to write (.pt)")
    p.add_argument("--epochs", type=positive_int)
    p.add_argument("--iterations", type=positive_int, help="total iterations (wins over --epochs)")
    p.add_argument("--batch-size", type=positive_int, default=2)
    p.add_argument("--lr", type=positive_float, default=0.01)
    p.add_argument("--warmup", type=non_negative_int, default=50, help="warm-up iterations")
    p.add_argument("--init", choices=INITS,
                   help="start from torchvision's ImageNet (or COCO) weights, downloaded once into TORCH_HOME, or "
                        "from random weights (none); default: the bundled default model, offline")
    p.add_argument("--base", help="model (file or name) to continue finetuning (default: the bundled default "
                                  "model unless --init is given)")
    p.add_argument("--architecture", default=DEFAULT_ARCHITECTURE, choices=ARCHITECTURES)
    p.add_argument("--trainable-layers", type=non_negative_int,
                   help="backbone blocks that learn (mobilenet_v2_fpn: 0-18, default 16; 11 trains ~40%% faster "
                        "on a CPU)")
    p.add_argument("--min-size", type=positive_int, default=DEFAULT_MIN_SIZE)
    p.add_argument("--max-size", type=positive_int, default=DEFAULT_MAX_SIZE)
    p.add_argument("--val-fraction", type=validation_fraction, default=0.0)
    p.add_argument("--val-list", nargs="+", help="validation image ids (file names without extension), "
                                                  "comma/space separated or a text file of them")
    p.add_argument("--eval-every", type=non_negative_int, default=1,
                   help="epochs between validation mAPs (0: end only)")
    p.add_argument("--seed", type=int, default=0)
    start = p.add_mutually_exclusive_group()
    start.add_argument("--resume", action="store_true", help="continue from OUTPUT.train-state.pt")
    start.add_argument("--restart", action="store_true",
                       help="start afresh, deleting the saved state OUTPUT.train-state.pt of an earlier run")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing OUTPUT model file, and a user model of the --register name")
    p.add_argument("--progress-json", action="store_true", help="one JSON progress object a line on stdout")
    p.add_argument("--stop-file", help="stop (saving the state) when this file appears")
    p.add_argument("--name", help="model name stored in the file")
    p.add_argument("--description")
    p.add_argument("--register", metavar="NAME", help="add the finished model to the user's models")
    p.add_argument("--report", metavar="FOLDER", help="write the validation report (report.md, report.json, "
                                                      "precision_recall.png) of the finished model here")
    common(p, threshold=None)
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("evaluate", help="evaluate detections.json or a model against a dataset")
    p.add_argument("detections_or_model", metavar="DETECTIONS_OR_MODEL")
    p.add_argument("dataset", metavar="DATASET")
    p.add_argument("--output", required=True, help="folder for report.md, report.json, precision_recall.png")
    p.add_argument("--strata", metavar="JSON",
                   help="also report per stratum (strata.md, strata.json): a JSON object {image id: stratum}, or a "
                        "manifest.json whose entries have an id and boneage_months or age_months (age bands)")
    p.add_argument("--joints-only", action="store_true",
                   help="score only the DIP, PIP and MCP centres per stratum (truths made from joint landmarks)")
    common(p, threshold=0.05)
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("convert", help="convert a dataset between VOC, COCO and YOLO")
    p.add_argument("source", metavar="SRC")
    p.add_argument("destination", metavar="DST",
                   help="folder to write; an existing dataset there is merged with (new images added)")
    p.add_argument("--format", required=True, choices=("voc", "coco", "yolo"))
    p.add_argument("--image-root", help="folder of the images when not next to the annotations")
    p.add_argument("--overwrite", action="store_true",
                   help="replace annotations in DST that differ from SRC's (and a YOLO class list in another order)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("import", help="convert hand keypoints, bone boxes or hand landmarks into a VOC training folder")
    p.add_argument("source", metavar="SOURCE",
                   help="COCO keypoints .json, folder of bone-box VOC files, or dha-landmarks folder (landmarks37.csv)")
    p.add_argument("--kind", required=True, choices=("hand-keypoints", "rus-bones", "dha-landmarks"))
    p.add_argument("--output", required=True, help="folder to write (Annotations/, JPEGImages/)")
    p.add_argument("--image-root", help="folder of the images when not next to the annotations")
    p.add_argument("--copy", action="store_true", help="copy the images instead of hard-linking them")
    p.add_argument("--overwrite", action="store_true", help="replace annotations and images already in --output")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_import)

    from ..evaluation.benchmark_command import add_arguments as benchmark_arguments

    p = sub.add_parser("benchmark", help="time detection and memory, beside fasterrcnn_resnet50_fpn")
    benchmark_arguments(p)
    p.set_defaults(run=cmd_benchmark)

    from ..training.pseudo_labels import add_arguments as pseudo_label_arguments

    p = sub.add_parser("pseudo-label", help="label unannotated radiographs with a model: confident areas kept, "
                                            "the rest of each hand ignored in training")
    pseudo_label_arguments(p)
    common(p)
    p.set_defaults(run=cmd_pseudo_label)

    dicom_report_command(sub)

    p = sub.add_parser("models", help="list the available models; add or remove user models")
    p.add_argument("--json", action="store_true")
    p.add_argument("--remove", metavar="NAME", help="unregister a user model (its file is kept)")
    p.add_argument("--add", nargs=2, metavar=("NAME", "FILE"), help="register a model file under a name")
    p.add_argument("--overwrite", action="store_true", help="with --add: replace a user model of that name")
    p.add_argument("--fetch", metavar="NAME", help="download a bundled model published as a release file "
                                                   "(checked against its sha256)")
    p.set_defaults(run=cmd_models)
    return top


def _one_line(error):
    return " ".join(str(error).split()) or type(error).__name__


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("\nerror: interrupted; the results done so far are kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if isinstance(error, _user_error_types()):
            print(f"error: {_one_line(error)}", file=sys.stderr)
            return EXIT_USER_ERROR
        if isinstance(error, ImportError):  # a broken installation is not the user's input
            print(f"error: OssificationDetector is incompletely installed: {_one_line(error)}", file=sys.stderr)
            return EXIT_INTERNAL_ERROR
        import traceback

        traceback.print_exc()
        print("error: an internal error in OssificationDetector (a bug, not your input): please report it with "
              "the lines above and the command you ran.", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())