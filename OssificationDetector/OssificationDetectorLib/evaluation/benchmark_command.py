"""The `benchmark` command: its options, its run over the radiographs asked for, and its tables (the
measurements beside the reference, the stages, the hard hands, each target with this run's value).
The measuring itself is benchmark.py's."""
import json
from dataclasses import asdict
from pathlib import Path

from .benchmark import REFERENCE, STAGES, BenchmarkError, median_size_images, run_benchmark


def format_results(results):
    """Plain-text tables of the measurements, and the reference's time over the model's."""
    lines = [f"{'model':40s} {'device':7s} {'input':9s} {'params':>7s} {'import s':>8s} {'load s':>7s} "
             f"{'s/image':>8s} {'folder s/img':>12s} {'peak MB':>8s} {'+torch MB':>9s} {'batch':>5s} "
             f"{'batch img/s':>12s} {'network img/s':>14s}"]
    for m in results:
        batch = f"{m.images_per_second:.1f}" if m.images_per_second else "-"
        network = f"{m.network_images_per_second:.1f}" if m.network_images_per_second else "-"
        above = f"{m.peak_above_torch_mb:.0f}" if m.peak_above_torch_mb is not None else "-"
        folder = f"{m.folder_seconds_per_image:.3f}" if m.folder_seconds_per_image else "-"
        device = m.device + (f"x{m.threads}" if m.threads else "")
        lines.append(f"{m.model[:40]:40s} {device:7s} {m.input_size:9s} {m.parameters / 1e6:6.1f}M "
                     f"{m.import_seconds or 0:8.2f} {m.load_seconds:7.2f} {m.seconds_per_image:8.3f} {folder:>12s} "
                     f"{m.peak_memory_mb:8.0f} {above:>9s} {m.batch_size or '-':>5} {batch:>12s} {network:>14s}")
    lines.append("")
    lines.append(f"{'ms per stage':40s} " + " ".join(f"{name:>10s}" for name in STAGES))
    for m in results:
        if m.stage_ms:
            lines.append(f"{m.model[:40]:40s} " + " ".join(f"{m.stage_ms[name]:10.1f}" for name in STAGES))
    for m in results:
        if m.orientation_seconds:
            upright = m.orientation_seconds["upright"]
            lines.append(f"{m.model} on {m.device}, s per radiograph: " + ", ".join(
                f"{name} {value:.3f} ({value / upright:.2f}x)" for name, value in m.orientation_seconds.items()))
    for m in results:
        if m.imports_above_torch_mb is not None:
            triton = " (torchvision brought in triton, through torch._dynamo)" if m.triton_imported else ""
            lines.append(f"{m.model}: of the {m.peak_above_torch_mb:.0f} MB above `import torch`, "
                         f"{m.imports_above_torch_mb:.0f} MB is importing torchvision and the Lib{triton}")
    for device in dict.fromkeys(m.device for m in results):
        ours = [m for m in results if m.device == device and m.model != REFERENCE]
        ref = [m for m in results if m.device == device and m.model == REFERENCE]
        loaded = [m for m in ours if m.model.endswith("(as loaded)")]
        if ours and ref:
            lines.append(f"{device}: the reference takes {ref[0].seconds_per_image / ours[0].seconds_per_image:.2f} "
                         f"times as long per radiograph as {ours[0].model}")
        if loaded and ours[0] is not loaded[0]:
            lines.append(f"{device}: {loaded[0].model} takes {loaded[0].seconds_per_image / ours[0].seconds_per_image:.2f} "
                         f"times as long per radiograph as prepared for inference")
        if ours and ref and device == "cpu":
            lines += target_lines(ours[0], ref[0])
    return "\n".join(lines)


def target_lines(ours, reference):
    """The CPU targets, each with the value of this run (two threads, the run's radiographs)."""
    def verdict(met):
        return "met" if met else "NOT met"

    folder = ours.folder_seconds_per_image or ours.seconds_per_image
    speedup = reference.folder_seconds_per_image / folder if reference.folder_seconds_per_image else None
    lines = ["targets:",
             f"  folder run <= 0.10 s per radiograph: {folder:.3f} s, {verdict(folder <= 0.10)}",
             f"  about 30x the reference in a folder run: {speedup:.1f}x, {verdict(speedup >= 30)}"
             if speedup else "  about 30x the reference: no reference folder run"]
    upright = ours.orientation_seconds.get("upright")
    for name, value in ours.orientation_seconds.items():
        if name != "upright" and upright:
            lines.append(f"  {name} <= 1.5x upright: {value / upright:.2f}x, {verdict(value <= 1.5 * upright)}")
    if ours.peak_above_torch_mb is not None:
        lines.append(f"  peak memory <= 250 MB above `import torch`: {ours.peak_above_torch_mb:.0f} MB, "
                     f"{verdict(ours.peak_above_torch_mb <= 250)}")
    lines.append("  a bad argument or unreadable input answered in < 0.5 s: scripts/measure_startup.py")
    return lines


def add_arguments(parser):
    """The benchmark's command-line options (shared by the CLI and scripts/benchmark.py)."""
    from ..core.argument_types import positive_int

    parser.add_argument("images", nargs="*", metavar="IMAGE_OR_FOLDER",
                        help="radiographs to time (default: the sample radiographs in Testing/Data/radiographs)")
    parser.add_argument("--model", default="default", help="registered model name or model file")
    parser.add_argument("--untrained", metavar="ARCHITECTURE",
                        help="time an untrained model of this architecture instead of --model")
    parser.add_argument("--rsna-median", type=positive_int, metavar="N",
                        help="also time the N radiographs of ../shared/data/rsna-bone-age nearest its median size")
    parser.add_argument("--young", type=positive_int, metavar="N",
                        help="also time N radiographs of ../shared/data/young-rsna (children under 4) as they are")
    parser.add_argument("--threads", type=positive_int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--repeats", type=positive_int, default=3, help="detections per radiograph (median taken)")
    parser.add_argument("--batch-size", type=positive_int, default=16, help="GPU batch for the throughput")
    parser.add_argument("--gpu", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--no-reference", action="store_true", help="skip fasterrcnn_resnet50_fpn")
    parser.add_argument("--as-loaded", action="store_true",
                        help="also time the model as loaded, not prepared for inference (what preparing gains)")
    parser.add_argument("--json", metavar="FILE", help="also write the measurements as JSON")


def _repository_root():
    return Path(__file__).resolve().parents[3]


def run_command(args):
    from ..core.atomic import atomic_write_text
    from ..io.scan import radiograph_files_in

    paths = []
    for name in args.images or [_repository_root() / "Testing" / "Data" / "radiographs"]:
        path = Path(name)
        if path.is_dir():
            paths += radiograph_files_in(path)
        elif path.is_file():
            paths.append(path)
        else:
            raise BenchmarkError(f"{path} does not exist: give radiograph files or folders of them.")
    if args.rsna_median:
        rsna = _repository_root().parent / "shared" / "data" / "rsna-bone-age"
        if not (rsna / "manifest.json").is_file():
            raise BenchmarkError(f"--rsna-median needs the RSNA set at {rsna}; it is not there.")
        paths += median_size_images(rsna, args.rsna_median)
    young = []
    if args.young:
        folder = _repository_root().parent / "shared" / "data" / "young-rsna" / "images"
        if not folder.is_dir():
            raise BenchmarkError(f"--young needs the young-rsna set at {folder}; it is not there.")
        young = radiograph_files_in(folder)[:args.young]
    model = ("untrained", args.untrained) if args.untrained else ("model", args.model)
    gpu = {"auto": None, "yes": True, "no": False}[args.gpu]
    results = run_benchmark(paths, model, args.threads, args.repeats, gpu, args.batch_size,
                            reference=not args.no_reference, progress=print, as_loaded=args.as_loaded,
                            young_paths=young)
    print(f"{len(paths)} radiographs, {args.repeats} detections each (median), {args.threads} CPU threads")
    print(format_results(results))
    if args.json:
        atomic_write_text(args.json, json.dumps([asdict(m) for m in results], indent=2) + "\n")
    return 0
