"""The `ossification-detector` command (also `python -m OssificationDetectorLib`).

  detect IMAGE_OR_FOLDER... --output detections.json [--overlay FOLDER] [--model NAME_OR_PATH]
  train DATASET [DATASET...] --output MODEL.pt [options]
  evaluate DETECTIONS_OR_MODEL DATASET --output FOLDER
  convert SRC DST --format voc|coco|yolo
  import SOURCE --kind hand-keypoints|rus-bones --output FOLDER
  benchmark [IMAGE_OR_FOLDER...] [--model NAME_OR_PATH]
  pseudo-label IMAGE_OR_FOLDER... --output FOLDER [--model NAME_OR_PATH] [--min-score 0.7]
  models

User errors print one line starting with "error:" and exit with status 2; no traceback.
"""
import argparse
import json
import sys
from pathlib import Path

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A mistake in the command line or the files given; printed as one line."""


def _user_error_types():
    """Exceptions whose message is written for the user (bad files, bad options)."""
    from .annotation_io import AnnotationFormatError
    from .benchmark import BenchmarkError
    from .imported_annotations import AnnotationImportError
    from .checkpoints import ModelFileError
    from .datasets import DatasetError, MissingImageError
    from .devices import DeviceError
    from .images import RadiographError
    from .model import ModelBuildError
    from .registry import RegistryError
    from .taxonomy import UnknownClassError
    from .train import TrainingError
    from .training_data import TrainingDataError

    return (UserError, AnnotationFormatError, ModelFileError, DatasetError, MissingImageError, DeviceError,
            RadiographError, ModelBuildError, RegistryError, UnknownClassError, TrainingError, TrainingDataError,
            AnnotationImportError, BenchmarkError, FileNotFoundError, PermissionError, IsADirectoryError)


# -- detect -------------------------------------------------------------------------------------
def image_files(inputs):
    """Image files named or inside the folders named, in a stable order."""
    from .image_files import is_image_file

    files = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and is_image_file(p))
            if not found:
                raise UserError(f"The folder {path} holds no radiographs (PNG, JPEG, TIFF, DICOM, ...).")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(f"{path} does not exist: give radiograph files or folders of them.")
    return files


def cmd_detect(args):
    from .detect import Detector
    from .detections_json import write_detections_json
    from .images import read_radiograph

    files = image_files(args.inputs)
    detector = Detector(args.model, device=args.device, threshold=args.threshold, threads=args.threads,
                        orientations=args.orientations)
    # Batches only help a GPU; on the CPU one image at a time keeps memory low.
    chunk = detector.batch_size if detector.device.type != "cpu" else 1
    entries = []
    bar = _progress(files, "detect", quiet=args.quiet)
    for start in range(0, len(files), chunk):
        paths = files[start:start + chunk]
        radiographs = [read_radiograph(path) for path in paths]
        for path, radiograph, result in zip(paths, radiographs, detector.detect_batch_with_report(radiographs)):
            boxes = result.boxes
            entries.append((str(path), radiograph.width, radiograph.height, boxes))
            for warning in result.warnings:  # about the radiograph, so shown even with --quiet
                _warn(bar, f"{path}: {warning}")
            if args.overlay:
                from .overlay import write_overlay

                write_overlay(radiograph, boxes, Path(args.overlay) / (path.stem + ".png"))
        if hasattr(bar, "update"):
            bar.update(len(paths))
    if hasattr(bar, "close"):
        bar.close()
    write_detections_json(args.output, entries)
    total = sum(len(e[3]) for e in entries)
    _say(args, f"{total} areas in {len(entries)} radiograph(s) -> {args.output}")
    return 0


# -- train --------------------------------------------------------------------------------------
def train_config(args):
    from .train import TrainConfig

    val_list = None
    if args.val_list:
        val_list = []
        for part in args.val_list:
            path = Path(part)
            text = path.read_text(encoding="utf-8") if path.is_file() else part
            val_list += [v for v in text.replace(",", " ").split() if v]
    if not args.epochs and not args.iterations:
        raise UserError("Say how long to train: --epochs N or --iterations N.")
    return TrainConfig(
        datasets=list(args.datasets), output=args.output, architecture=args.architecture, init=args.init,
        base=args.base, epochs=args.epochs, iterations=args.iterations, batch_size=args.batch_size, lr=args.lr,
        warmup_iterations=args.warmup, trainable_layers=args.trainable_layers, min_size=args.min_size, max_size=args.max_size,
        val_fraction=args.val_fraction, val_list=val_list, seed=args.seed, device=args.device,
        threads=args.threads, resume=args.resume, eval_every=args.eval_every, name=args.name,
        description=args.description or "")


def cmd_train(args):
    from .train import train

    config = train_config(args)
    stop_file = Path(args.stop_file) if args.stop_file else None
    should_stop = (lambda: stop_file.exists()) if stop_file else None
    if args.progress_json:
        def progress(event):
            print(json.dumps(event), flush=True)
        result = train(config, progress, should_stop)
    else:
        result = _train_with_bar(config, should_stop, train)
    if result.status == "cancelled":
        _say(args, f"Cancelled at iteration {result.iteration}/{result.total}; resume with --resume "
                   f"(state in {result.state_file}).")
        return 0
    mean_ap = (result.metrics or {}).get("mAP")
    summary = f"; validation mAP@0.5 {mean_ap:.3f}" if mean_ap is not None else ""
    _say(args, f"Model written to {result.output} (sha256 {result.sha256}){summary}")
    if args.report:
        files = _write_training_report(config, result, args.report)
        if files is None:
            _say(args, "No report: there are no validation images (use --val-fraction or --val-list).")
        elif args.progress_json:
            print(json.dumps({"event": "report", "folder": str(args.report), "markdown": str(files.markdown),
                              "plot": str(files.plot)}), flush=True)
        else:
            _say(args, f"Report written to {args.report}")
    if args.register:
        from .registry import register_user_model

        register_user_model(args.register, result.output)
        _say(args, f"Registered as {args.register!r}: use --model {args.register}")
    return 0


def _write_training_report(config, result, folder):
    """Evaluate the finished model on the run's validation images (the same split as training) and
    write report.md, report.json and precision_recall.png; None when there are no validation images."""
    from .detect import Detector
    from .evaluate import evaluate
    from .report import write_report
    from .training_data import load_items, split_items

    items, _ = load_items(config.datasets)
    _, validation = split_items(items, config.val_list, config.val_fraction, config.seed)
    if not validation:
        return None
    # The model as trained, on the images as they are: no orientation search.
    detector = Detector(result.output, device=config.device, threshold=0.05, threads=config.threads,
                        orientations="upright")
    detections = detector.detect_batch([item.path for item in validation])
    title = f"{Path(result.output).stem}: validation ({len(validation)} images)"
    return write_report(evaluate(detections, [item.annotation for item in validation]), folder, title=title)


def _train_with_bar(config, should_stop, train):
    from tqdm import tqdm

    bars = []  # made at the first progress event, so that data errors print no empty bar

    def progress(event):
        if not bars:
            bars.append(tqdm(total=event.get("total"), unit="it", desc="train", dynamic_ncols=True))
        bar = bars[0]
        if event["event"] in ("resumed", "iteration"):
            bar.n = event["iteration"]
        if event["event"] == "iteration":
            extra = {"loss": f"{event['loss']:.3f}", "lr": f"{event['lr']:.4f}"}
            if event.get("val_map") is not None:
                extra["val_mAP"] = f"{event['val_map']:.3f}"
            bar.set_postfix(extra, refresh=False)
        bar.refresh()

    try:
        return train(config, progress, should_stop)
    finally:
        for bar in bars:
            bar.close()


# -- evaluate -----------------------------------------------------------------------------------
def cmd_evaluate(args):
    from .datasets import load_dataset
    from .detections_json import read_detections_json
    from .evaluate import align_by_file, evaluate
    from .report import write_report

    dataset = load_dataset(args.dataset)
    source = Path(args.detections_or_model)
    if source.suffix.lower() == ".json" and source.is_file():
        detections, truths = align_by_file(read_detections_json(source), dataset.images)
    else:
        from .detect import Detector

        detector = Detector(args.detections_or_model, device=args.device, threshold=args.threshold,
                            threads=args.threads)
        truths = dataset.images
        detections = [detector.detect(dataset.image_path(ann))
                      for ann in _progress(truths, "detect", quiet=args.quiet)]
    result = evaluate(detections, truths)
    write_report(result, args.output)
    overall = result.centre_overall
    mean_ap = f"{result.mean_ap:.4f}" if result.mean_ap is not None else "n/a"
    _say(args, f"mAP@0.5 {mean_ap}, centre F1 {overall.f1:.4f} on {result.n_images} images -> {args.output}")
    return 0


# -- convert, models ----------------------------------------------------------------------------
def cmd_convert(args):
    from .datasets import convert_dataset

    dataset = convert_dataset(args.source, args.destination, args.format, image_root=args.image_root)
    _say(args, f"{len(dataset.images)} images written as {args.format} to {args.destination}")
    return 0


def cmd_import(args):
    from .annotation_import import import_dataset, write_training_folder

    dataset = import_dataset(args.source, args.kind, args.image_root)
    written, skipped = write_training_folder(dataset, args.output, link=not args.copy)
    _say(args, f"{args.output}: {len(written)} images written as Pascal VOC, {len(skipped)} left out")
    for file, reason in skipped:
        _say(args, f"  left out {file}: {reason}")
    return 0


def cmd_benchmark(args):
    from .benchmark import run_command

    return run_command(args)


def cmd_pseudo_label(args):
    from .pseudo_labels import run_command

    return run_command(args, image_files(args.inputs), lambda text: _say(args, text))


def cmd_models(args):
    from .registry import list_models

    models = list_models()
    if args.json:
        print(json.dumps(models, indent=2))
        return 0
    if not models:
        print("No models registered.")
    for entry in models:
        where = entry.get("path") or entry.get("file")
        print(f"{entry['name']:<24} {entry.get('architecture', '?'):<24} {entry.get('source', '')}: {where}")
        if entry.get("description"):
            print(f"    {entry['description']}")
    return 0


# -- plumbing -----------------------------------------------------------------------------------
def _progress(items, desc, quiet=False):
    """A tqdm bar over the items (iterate it, or update it by hand); the items alone when quiet."""
    if quiet or len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="image", dynamic_ncols=True)


def _warn(bar, text):
    """One line on stderr, above the progress bar when there is one."""
    if hasattr(bar, "write"):
        bar.write(text, file=sys.stderr)
    else:
        print(text, file=sys.stderr)


def _say(args, text):
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr if getattr(args, "progress_json", False) else sys.stdout)


def parser():
    from .devices import DEVICE_CHOICES
    from .model import ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, INITS

    top = argparse.ArgumentParser(prog="ossification-detector",
                                  description="Detect, train and evaluate the 17 ossification areas of hand radiographs.")
    sub = top.add_subparsers(dest="command", required=True)

    def common(p, threshold=0.5):
        p.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
        p.add_argument("--threads", type=int, default=None, help="CPU threads (default: OMP_NUM_THREADS or up to 4)")
        p.add_argument("--quiet", action="store_true")
        if threshold is not None:
            p.add_argument("--threshold", type=float, default=threshold, help="lowest score kept")

    p = sub.add_parser("detect", help="detect the ossification areas of radiographs")
    p.add_argument("inputs", nargs="+", metavar="IMAGE_OR_FOLDER")
    p.add_argument("--output", required=True, help="detections.json to write")
    p.add_argument("--overlay", help="folder for PNGs with the boxes drawn")
    p.add_argument("--model", default="default", help="registered model name or model file")
    p.add_argument("--orientations", default="auto", choices=("auto", "upright"),
                   help="auto: when no upright left hand is found, also try the radiograph turned and mirrored "
                        "(right hands, flipped or turned images); upright: the image as it is")
    common(p)
    p.set_defaults(run=cmd_detect)

    p = sub.add_parser("train", help="train or finetune a model on annotated datasets")
    p.add_argument("datasets", nargs="+", metavar="DATASET", help="VOC/COCO/YOLO dataset folders or files")
    p.add_argument("--output", required=True, help="model file to write (.pt)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--iterations", type=int, help="total iterations (wins over --epochs)")
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=50, help="warm-up iterations")
    p.add_argument("--init", default="imagenet", choices=INITS)
    p.add_argument("--base", help="model (file or name) to continue finetuning")
    p.add_argument("--architecture", default=DEFAULT_ARCHITECTURE, choices=ARCHITECTURES)
    p.add_argument("--trainable-layers", type=int, help="backbone blocks that learn (mobilenet_v2_fpn: 0-18, "
                                                        "default 16; 11 trains ~40%% faster on a CPU)")
    p.add_argument("--min-size", type=int, default=DEFAULT_MIN_SIZE)
    p.add_argument("--max-size", type=int, default=DEFAULT_MAX_SIZE)
    p.add_argument("--val-fraction", type=float, default=0.0)
    p.add_argument("--val-list", nargs="+", help="validation image ids (file names without extension), "
                                                  "comma/space separated or a text file of them")
    p.add_argument("--eval-every", type=int, default=1, help="epochs between validation mAPs (0: end only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from OUTPUT.train-state.pt")
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
    common(p, threshold=0.05)
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("convert", help="convert a dataset between VOC, COCO and YOLO")
    p.add_argument("source", metavar="SRC")
    p.add_argument("destination", metavar="DST")
    p.add_argument("--format", required=True, choices=("voc", "coco", "yolo"))
    p.add_argument("--image-root", help="folder of the images when not next to the annotations")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("import", help="convert hand keypoints or bone boxes into a VOC training folder")
    p.add_argument("source", metavar="SOURCE", help="COCO keypoints .json, or folder of bone-box VOC files")
    p.add_argument("--kind", required=True, choices=("hand-keypoints", "rus-bones"))
    p.add_argument("--output", required=True, help="folder to write (Annotations/, JPEGImages/)")
    p.add_argument("--image-root", help="folder of the images when not next to the annotations")
    p.add_argument("--copy", action="store_true", help="copy the images instead of hard-linking them")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_import)

    from .benchmark import add_arguments as benchmark_arguments

    p = sub.add_parser("benchmark", help="time detection and memory, beside fasterrcnn_resnet50_fpn")
    benchmark_arguments(p)
    p.set_defaults(run=cmd_benchmark)

    from .pseudo_labels import add_arguments as pseudo_label_arguments

    p = sub.add_parser("pseudo-label", help="label unannotated radiographs with a model, keeping only complete hands")
    pseudo_label_arguments(p)
    common(p)
    p.set_defaults(run=cmd_pseudo_label)

    p = sub.add_parser("models", help="list the available models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_models)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        errors = _user_error_types()
    except ImportError as error:  # a broken installation is not the user's input
        raise SystemExit(f"error: OssificationDetector is incompletely installed: {error}")
    try:
        return args.run(args)
    except errors as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
