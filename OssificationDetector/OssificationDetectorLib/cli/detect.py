"""The subcommands that run a model on radiographs: detect (with --overlay PNGs and warnings about the
radiographs), benchmark and pseudo-label."""
from pathlib import Path

from .common import image_files, progress_bar, say, warn
from .dicom import dicom_results_for


def cmd_detect(args):
    from ..detection.detect import Detector
    from ..detection.detections_json import write_detections_json
    from ..io.images import read_radiograph

    files = image_files(args.inputs)
    dicom_results = dicom_results_for(args)
    detector = Detector(args.model, device=args.device, threshold=args.threshold, threads=args.threads,
                        orientations=args.orientations)
    # Batches only help a GPU; on the CPU one image at a time keeps memory low.
    chunk = detector.batch_size if detector.device.type != "cpu" else 1
    entries = []
    bar = progress_bar(files, "detect", quiet=args.quiet)
    for start in range(0, len(files), chunk):
        paths = files[start:start + chunk]
        radiographs = [read_radiograph(path) for path in paths]
        for path, radiograph, result in zip(paths, radiographs, detector.detect_batch_with_report(radiographs)):
            boxes = result.boxes
            entries.append((str(path), radiograph.width, radiograph.height, boxes))
            for warning in result.warnings:  # about the radiograph, so shown even with --quiet
                warn(bar, f"{path}: {warning}")
            if args.overlay:
                from ..detection.overlay import write_overlay

                write_overlay(radiograph, boxes, Path(args.overlay) / (path.stem + ".png"))
            if dicom_results:
                dicom_results.add(path, boxes, lambda text: warn(bar, text))
        if hasattr(bar, "update"):
            bar.update(len(paths))
    if hasattr(bar, "close"):
        bar.close()
    write_detections_json(args.output, entries)
    total = sum(len(e[3]) for e in entries)
    say(args, f"{total} areas in {len(entries)} radiograph(s) -> {args.output}")
    return 0


def cmd_benchmark(args):
    from ..evaluation.benchmark import run_command

    return run_command(args)


def cmd_pseudo_label(args):
    from ..training.pseudo_labels import run_command

    return run_command(args, image_files(args.inputs), lambda text: say(args, text))
