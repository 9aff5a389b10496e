"""The subcommands that run a model on radiographs: detect (with --overlay PNGs and warnings about the
radiographs), benchmark and pseudo-label."""
import sys
import time
from pathlib import Path

from .common import UserError, close_bar, image_files, progress_bar, say, warn
from .dicom import dicom_results_for
from .preflight import check_model, check_output_file, check_output_folder, check_overlay_folder, overlay_names

# An interrupted or crashed folder run keeps its results: detections.json is rewritten this often.
SAVE_EVERY_SECONDS = 30.0


def _check_detect_outputs(args, files):
    """Every output is checked (and nothing it would replace is the user's) before the model loads."""
    from ..detection.detections_json import is_detections_file

    output = Path(args.output)
    # An earlier run's detections.json is replaced; any other file only with --overwrite.
    replaceable = args.overwrite or not output.is_file() or is_detections_file(output)
    check_output_file(output, "--output", files, overwrite=replaceable, example="detections.json")
    targets = []
    if args.overlay:
        from ..detection.overlay import is_overlay_file

        folder = check_overlay_folder(args.overlay, files)
        targets = [folder / name for name in overlay_names(files)]
        for target in targets:
            if target.exists() and not args.overwrite and not (target.is_file() and is_overlay_file(target)):
                raise UserError(f"{target} exists and is not an overlay of this tool: add --overwrite to replace "
                                "it, or choose an empty --overlay folder.")
    return targets


def cmd_detect(args):
    files = image_files(args.inputs)
    overlays = _check_detect_outputs(args, files)
    check_model(args.model)
    dicom_results = dicom_results_for(args)
    from ..io.images import RadiographError, read_radiograph

    # The first radiograph is read before torch and the model load: a single unreadable input is
    # refused at once, and a folder run of many bad files says so early.
    first = None
    try:
        first = read_radiograph(files[0])
    except (RadiographError, OSError):
        if len(files) == 1:
            raise

    from ..detection.detect import Detector
    from ..detection.detections_json import write_detections_json
    from ..io.read_ahead import read_ahead

    detector = Detector(args.model, device=args.device, threshold=args.threshold, threads=args.threads,
                        orientations=args.orientations)
    # Batches only help a GPU; on the CPU one image at a time keeps memory low.
    chunk = getattr(args, "batch_size", None) or (detector.batch_size if detector.device.type != "cpu" else 1)
    detector.batch_size = max(detector.batch_size, chunk)
    entries, failed = [], []
    started = last_saved = time.monotonic()
    bar = progress_bar(files, "detect", quiet=args.quiet)
    # The next files are decoded while the network runs (a worker thread).
    reading = read_ahead(files, read_radiograph, ahead=max(4, 2 * chunk), first=first)
    try:
        for start in range(0, len(files), chunk):
            readable = []
            for index, radiograph in (next(reading) for _ in range(min(chunk, len(files) - start))):
                if not isinstance(radiograph, Exception):
                    readable.append((index, radiograph))
                    continue
                reason = " ".join(str(radiograph).split())  # a bad file costs only itself
                failed.append(files[index])
                entries.append({"file": str(files[index]), "width": 0, "height": 0, "boxes": [], "error": reason})
                warn(bar, f"error: {reason}" if str(files[index]) in reason else f"error: {files[index]}: {reason}")
            results = detector.detect_batch_with_report([r for _, r in readable]) if readable else []
            for (index, radiograph), result in zip(readable, results):
                path = files[index]
                entries.append({"file": str(path), "width": radiograph.width, "height": radiograph.height,
                                "boxes": result.boxes, "warnings": result.warnings})
                for warning in result.warnings:  # about the radiograph, so shown even with --quiet
                    warn(bar, f"{path}: {warning}")
                if overlays:
                    from ..detection.overlay import write_overlay

                    write_overlay(radiograph, result.boxes, overlays[index])
                if dicom_results:
                    dicom_results.add(path, result.boxes, lambda text: warn(bar, text))
            if hasattr(bar, "update"):
                bar.update(min(chunk, len(files) - start))
            if time.monotonic() - last_saved > SAVE_EVERY_SECONDS:
                write_detections_json(args.output, _in_input_order(entries, files))
                last_saved = time.monotonic()
    finally:
        reading.close()
        close_bar(bar)
        if entries:  # whatever ends the run (Ctrl-C, a bug), the radiographs done so far are kept
            write_detections_json(args.output, _in_input_order(entries, files))
    seconds = time.monotonic() - started
    total = sum(len(e["boxes"]) for e in entries)
    say(args, f"{total} areas in {len(entries) - len(failed)} radiograph(s) -> {args.output}")
    say(args, f"{len(files)} file(s) in {seconds:.1f} s: {len(files) / max(seconds, 1e-9):.2f} radiographs per second "
              f"({detector.device.type}, batches of {chunk}; the model load not counted)")
    if failed:
        print(f"error: {len(failed)} of {len(files)} file(s) could not be read (listed above and in "
              f"{args.output}); the others' results are written.", file=sys.stderr)
        return 1
    return 0


def _in_input_order(entries, files):
    order = {str(path): i for i, path in enumerate(files)}
    return sorted(entries, key=lambda entry: order.get(entry["file"], len(order)))


def cmd_benchmark(args):
    from ..evaluation.benchmark_command import run_command

    return run_command(args)


def cmd_pseudo_label(args):
    from ..training.pseudo_labels import read_id_files, run_command

    files = image_files(args.inputs)
    missing = [f for f in args.exclude_ids if not Path(f).is_file()]
    if missing:
        raise UserError(f"{missing[0]} does not exist: --exclude-ids takes files listing image ids (file names "
                        "without extension), one or more a line.")
    check_output_folder(args.output, "the pseudo-label folder")
    check_model(args.model)
    return run_command(args, files, lambda text: say(args, text), read_id_files(args.exclude_ids))
