"""The subcommands that make and judge models: train (with its progress bar and validation report) and
evaluate."""
import json
import os
import sys
from pathlib import Path

from .common import UserError, close_bar, progress_bar, say
from .preflight import check_model, check_output_file, check_output_folder


def train_config(args):
    from ..training.train import TrainConfig

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
        threads=args.threads, resume=args.resume, restart=getattr(args, "restart", False),
        overwrite=getattr(args, "overwrite", False), eval_every=args.eval_every, name=args.name,
        description=args.description or "")


def _check_train(args, config):
    """Everything a run needs from the disk, checked before torch is imported and the data is read."""
    from ..training.train import check_run

    for dataset in config.datasets:
        if not Path(dataset).exists():
            raise UserError(f"The dataset {dataset} does not exist: give VOC/COCO/YOLO dataset folders or files.")
    check_run(config)
    check_output_file(config.output, "--output", example="my-model.pt")
    if config.base:
        check_model(config.base)
    if args.report:
        check_output_folder(args.report, "--report")
    if args.register:
        from ..model.registry import check_registrable

        check_registrable(args.register, overwrite=args.overwrite)


def cmd_train(args):
    from ..training.train import train

    config = train_config(args)
    _check_train(args, config)
    stop_file = Path(args.stop_file) if args.stop_file else None
    should_stop = (lambda: stop_file.exists()) if stop_file else None
    if args.progress_json:
        def progress(event):
            print_or_lose_reader(json.dumps(event))
        result = train(config, progress, should_stop)
    else:
        result = _train_with_bar(config, should_stop, train)
    if result.status in ("cancelled", "interrupted"):
        say(args, f"Stopped at iteration {result.iteration}/{result.total}; the state is saved in {result.state_file}: "
                  "run the same command with --resume to continue.")
        return 130 if result.status == "interrupted" else 0
    mean_ap = (result.metrics or {}).get("mAP")
    summary = f"; validation mAP@0.5 {mean_ap:.3f}" if mean_ap is not None else ""
    say(args, f"Model written to {result.output} (sha256 {result.sha256}){summary}")
    if args.report:
        files = _write_training_report(config, result, args.report)
        if files is None:
            say(args, "No report: there are no validation images (use --val-fraction or --val-list).")
        elif args.progress_json:
            print_or_lose_reader(json.dumps({"event": "report", "folder": str(args.report),
                                             "markdown": str(files.markdown), "plot": str(files.plot)}))
        else:
            say(args, f"Report written to {args.report}")
    if args.register:
        from ..model.registry import register_user_model

        register_user_model(args.register, result.output, overwrite=args.overwrite)
        say(args, f"Registered as {args.register!r}: use --model {args.register}")
    return 0


def print_or_lose_reader(line):
    """Print a progress line; when the reader has gone (the panel that started this run was closed),
    go on without it: stdout and stderr go to the null device, and the run ends at its stop file or
    its last iteration with its state saved, as it would have with a reader."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            try:
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError):
                pass
        os.close(devnull)


def _write_training_report(config, result, folder):
    """Evaluate the finished model on the run's validation images (the same split as training) and
    write report.md, report.json and precision_recall.png; None when there are no validation images."""
    from ..detection.detect import Detector
    from ..evaluation.evaluate import evaluate
    from ..evaluation.report import write_report
    from ..training.training_data import load_items, split_items

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
            close_bar(bar)


def cmd_evaluate(args):
    source = Path(args.detections_or_model)
    is_json = source.suffix.lower() == ".json"
    if is_json and not source.is_file():
        raise UserError(f"The detections file {source} does not exist: give a detections.json or a model.")
    if not is_json:
        check_model(args.detections_or_model)
    if not Path(args.dataset).exists():
        raise UserError(f"The dataset {args.dataset} does not exist: give a VOC/COCO/YOLO dataset folder or file.")
    check_output_folder(args.output, "the report")
    strata = None
    if args.strata:
        from ..evaluation.strata import read_strata

        strata = read_strata(args.strata)

    from ..annotations.datasets import load_dataset
    from ..detection.detections_json import read_detections_json
    from ..evaluation.evaluate import align_by_file, evaluate
    from ..evaluation.report import write_report

    dataset = load_dataset(args.dataset)
    not_scored = []
    if is_json:
        detections, truths = align_by_file(read_detections_json(source), dataset.images, missing="skip")
        if len(truths) < len(dataset.images):
            say(args, f"{len(dataset.images) - len(truths)} of the dataset's {len(dataset.images)} images have no "
                      f"detections in {source}: evaluating the {len(truths)} that have.")
            kept = {id(t) for t in truths}
            not_scored = [(ann.file, f"no detections in {source.name}")
                          for ann in dataset.images if id(ann) not in kept]
    else:
        from ..detection.detect import Detector

        detector = Detector(args.detections_or_model, device=args.device, threshold=args.threshold,
                            threads=args.threads)
        truths = dataset.images
        bar = progress_bar(truths, "detect", quiet=args.quiet)
        try:
            detections = [detector.detect(dataset.image_path(ann)) for ann in bar]
        finally:
            close_bar(bar)
    result = evaluate(detections, truths)
    write_report(result, args.output)
    if strata is not None:
        _write_strata_report(detections, truths, strata, args, not_scored)
    overall = result.centre_overall
    mean_ap = f"{result.mean_ap:.4f}" if result.mean_ap is not None else "n/a"
    say(args, f"mAP@0.5 {mean_ap}, centre F1 {overall.f1:.4f} on {result.n_images} images -> {args.output}")
    return 0


def _write_strata_report(detections, truths, strata, args, not_scored):
    """strata.md and strata.json in the report folder: every stratum, then the images not scored."""
    from ..core.atomic import atomic_write_text
    from ..evaluation.strata import score_by_stratum, strata_markdown

    results = score_by_stratum(detections, truths, strata, "joints" if args.joints_only else "boxes")
    folder = Path(args.output)
    atomic_write_text(folder / "strata.json", json.dumps(
        {"strata": [r.to_dict() for r in results],
         "not_scored": [{"image": f, "reason": why} for f, why in not_scored]}, indent=2) + "\n")
    atomic_write_text(folder / "strata.md", strata_markdown(results, not_scored=not_scored))
    for r in results:
        say(args, f"{r.name}: {len(r.images)} images, centre F1 {r.centre.f1:.4f}, "
                  f"{r.hands.complete} of {r.hands.hands} hands complete")
