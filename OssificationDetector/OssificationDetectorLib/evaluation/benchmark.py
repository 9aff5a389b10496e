"""Speed and memory of the detector, beside torchvision's fasterrcnn_resnet50_fpn in the same run.

Each model is measured in a fresh process (so that its peak memory is its own): the time to load
it, the median time per radiograph on the CPU with a given number of threads (the radiographs
already read; normalisation, the network, and the anatomy post-processing included), the time
per radiograph of a folder run (decoding in a worker thread, as `detect` does), the median time
of each stage (decode, preprocess, backbone, RPN, heads, anatomy), the peak resident memory
above the memory after `import torch`, the time for the same radiographs turned a quarter turn
and mirrored (the orientation search, whatever the Detector does), and the throughput in batches
on the device. The reference is fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None,
num_classes=7) at torchvision's own input size, run as torchvision builds it (not prepared for
inference) through the same Detector pipeline.
"""
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import List, Optional

REFERENCE = "torchvision fasterrcnn_resnet50_fpn"


class BenchmarkError(ValueError):
    """A benchmark that cannot run as asked; the message says why."""


@dataclass
class Measurement:
    model: str
    device: str
    threads: Optional[int]
    images: int
    input_size: str                       # the network's min_size/max_size
    parameters: int
    load_seconds: float                   # the model alone: file read, checks, build, weights
    seconds_per_image: float              # median over radiographs of each one's median over repeats
    seconds_per_image_all: List[float] = field(default_factory=list)
    postprocess_ms: Optional[float] = None  # anatomy's share of the time per radiograph (median)
    peak_memory_mb: Optional[float] = None  # process peak resident memory (CPU) or GPU memory allocated
    batch_size: Optional[int] = None
    images_per_second: Optional[float] = None        # batched, detect_batch end to end
    network_images_per_second: Optional[float] = None  # batched, the network alone on tensors already there
    import_seconds: Optional[float] = None  # torch + torchvision + the Lib, once a process
    peak_above_torch_mb: Optional[float] = None  # CPU: peak resident memory above that after `import torch`
    imports_above_torch_mb: Optional[float] = None  # CPU: of that, importing torchvision and the Lib
    triton_imported: Optional[bool] = None  # torch's CUDA builds import triton with torchvision (torch._dynamo)
    folder_seconds_per_image: Optional[float] = None  # a folder run: files decoded ahead, one at a time
    stage_ms: dict = field(default_factory=dict)  # median ms of decode, preprocess, backbone, rpn, heads, anatomy
    orientation_seconds: dict = field(default_factory=dict)  # upright / turned / mirrored / young: median s each


def median_size_images(rsna_folder, count=5):
    """The `count` RSNA radiographs nearest the set's median width and height (from manifest.json)."""
    rsna_folder = Path(rsna_folder)
    entries = json.loads((rsna_folder / "manifest.json").read_text())
    widths = statistics.median(e["width"] for e in entries)
    heights = statistics.median(e["height"] for e in entries)
    nearest = sorted(entries, key=lambda e: (abs(e["width"] - widths) + abs(e["height"] - heights), e["id"]))
    return [rsna_folder / e["file"] for e in nearest[:count]]


def _load(spec, device, threads):
    """(Detector, load seconds, parameter count) for a model spec: ("model", NAME_OR_PATH),
    ("as-loaded", NAME_OR_PATH) (not prepared for inference),
    ("untrained", ARCHITECTURE) or ("reference",)."""
    # Libraries are imported before the clock starts: a process (or Slicer) imports them once, and
    # their import time is reported apart (Measurement.import_seconds).
    import torch
    from torchvision.models.detection import fasterrcnn_resnet50_fpn

    from ..detection.detect import Detector
    from ..model.architectures import build_model

    start = time.perf_counter()
    if spec[0] in ("model", "as-loaded"):
        detector = Detector(spec[1], device=device, threads=threads, prepare=spec[0] == "model")
    else:
        if spec[0] == "reference":
            net = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=7)
        else:
            net = build_model(spec[1], init="none")
        net.eval()
        torch.manual_seed(0)
        # Random weights find no hand: the orientation search would time eight passes, not one.
        # The reference runs as torchvision builds it: the baseline, not prepared for inference.
        detector = Detector((net, {}), device=device, threads=threads, orientations="upright",
                            prepare=spec[0] != "reference")
    seconds = time.perf_counter() - start
    parameters = sum(p.numel() for p in detector.model.parameters())
    return detector, seconds, parameters


def _input_size(detector):
    transform = detector.model.transform
    return f"{min(transform.min_size)}-{transform.max_size}"


def _time_each(detector, radiographs, repeats, synchronize):
    """Per radiograph: median of `repeats` detections (after one warm-up), and the anatomy share."""
    from ..detection import anatomy

    detector.detect(radiographs[0])  # warm-up: first-call allocations and kernel choices
    per_image, post = [], []
    for radiograph in radiographs:
        times = []
        for _ in range(repeats):
            synchronize()
            start = time.perf_counter()
            boxes = detector.detect(radiograph)
            synchronize()
            times.append(time.perf_counter() - start)
        per_image.append(statistics.median(times))
        start = time.perf_counter()
        anatomy.postprocess(boxes, radiograph.width, radiograph.height)
        post.append(time.perf_counter() - start)
    return per_image, 1000 * statistics.median(post)


def _throughput(detector, radiographs, batch_size, rounds, synchronize):
    """(end-to-end images/s with detect_batch, network-only images/s) in batches of batch_size."""
    import torch

    from ..detection.detect import as_pixels, run_model

    batch = [radiographs[i % len(radiographs)] for i in range(batch_size)]
    detector.batch_size = batch_size
    detector.detect_batch(batch)
    synchronize()
    start = time.perf_counter()
    for _ in range(rounds):
        detector.detect_batch(batch)
    synchronize()
    end_to_end = rounds * batch_size / (time.perf_counter() - start)
    tensors = [torch.from_numpy(as_pixels(r))[None].to(detector.device) for r in batch]
    run_model(detector.model, tensors, detector.device)
    synchronize()
    start = time.perf_counter()
    for _ in range(rounds):
        run_model(detector.model, tensors, detector.device)
    synchronize()
    return end_to_end, rounds * batch_size / (time.perf_counter() - start)


def _folder_run(detector, image_paths, synchronize):
    """Seconds per radiograph of a folder run: files decoded ahead in a worker thread, as `detect` does."""
    from ..io.read_ahead import read_ahead

    synchronize()
    start = time.perf_counter()
    for _, radiograph in read_ahead(image_paths):
        detector.detect_batch_with_report([radiograph])
    synchronize()
    return (time.perf_counter() - start) / len(image_paths)


STAGES = ("decode", "preprocess", "backbone", "rpn", "heads", "anatomy")


def stage_times(detector, image_paths, synchronize=lambda: None, repeats=1):
    """Median milliseconds of each stage of one upright pass, over radiographs (and repeats): decode
    (the file), preprocess (normalise, resize, batch), backbone, rpn, heads (RoI pooling, box
    head, boxes back to input pixels), anatomy (duplicates and the match to the average hand)."""
    import torch

    from ..detection import anatomy
    from ..detection.detect import as_pixels, outputs_to_boxes, suppress_cross_class_duplicates, to_device
    from ..io.images import read_radiograph

    model = detector.model
    times = {name: [] for name in STAGES}

    def timed(name, run):
        synchronize()
        start = time.perf_counter()
        value = run()
        synchronize()
        times[name].append(1000 * (time.perf_counter() - start))
        return value

    with torch.inference_mode():
        for path in image_paths:
            for _ in range(repeats):
                radiograph = timed("decode", lambda: read_radiograph(path))
                pixels = as_pixels(radiograph)
                height, width = pixels.shape

                def preprocess():
                    image = to_device([torch.from_numpy(as_pixels(radiograph))[None]], detector.device)[0]
                    return model.transform([image.expand(3, -1, -1)])[0]

                images = timed("preprocess", preprocess)
                features = timed("backbone", lambda: model.backbone(images.tensors))
                proposals = timed("rpn", lambda: model.rpn(images, features)[0])

                def heads():
                    found = model.roi_heads(features, proposals, images.image_sizes)[0]
                    found = model.transform.postprocess(found, images.image_sizes, [(height, width)])
                    return outputs_to_boxes(found[0], width, height, detector.threshold)

                boxes = timed("heads", heads)
                timed("anatomy", lambda: anatomy.postprocess(suppress_cross_class_duplicates(boxes), width, height))
    return {name: statistics.median(values) for name, values in times.items()}


def measure(spec, image_paths, device="cpu", threads=2, repeats=3, batch_size=None, rounds=3, young_paths=()):
    """One model's Measurement in this process (use measure_in_child for a clean peak memory)."""
    import resource

    started = time.perf_counter()
    import torch
    after_torch_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    import torchvision.models.detection  # noqa: F401

    from ..detection import detect  # noqa: F401
    import_seconds = time.perf_counter() - started
    imports_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - after_torch_mb
    from ..io.images import read_radiograph

    if device == "cpu":
        torch.set_num_threads(int(threads))
    radiographs = [read_radiograph(p) for p in image_paths]
    detector, load_seconds, parameters = _load(spec, device, threads if device == "cpu" else None)
    on_gpu = detector.device.type == "cuda"
    synchronize = torch.cuda.synchronize if on_gpu else (lambda: None)
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    per_image, post_ms = _time_each(detector, radiographs, repeats, synchronize)
    folder = _folder_run(detector, image_paths, synchronize)
    stages = stage_times(detector, image_paths, synchronize)
    turns = {}
    if spec[0] == "model":
        from .hard_hands import hard_hand_times

        young = [read_radiograph(p) for p in young_paths]
        turns = hard_hand_times(detector, radiographs, young, repeats, synchronize)
    name = {"reference": REFERENCE, "untrained": f"{spec[-1]} (untrained)",
            "as-loaded": f"{spec[-1]} (as loaded)"}.get(spec[0], str(spec[-1]))
    result = Measurement(
        model=name,
        device=str(detector.device), threads=int(threads) if device == "cpu" else None, images=len(radiographs),
        input_size=_input_size(detector), parameters=parameters, load_seconds=load_seconds, import_seconds=import_seconds,
        seconds_per_image=statistics.median(per_image), seconds_per_image_all=per_image, postprocess_ms=post_ms,
        folder_seconds_per_image=folder, stage_ms=stages, orientation_seconds=turns)
    # The peak of one radiograph at a time, before batches raise it.
    if on_gpu:
        result.peak_memory_mb = torch.cuda.max_memory_allocated() / 2 ** 20
    else:
        result.peak_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        result.peak_above_torch_mb = result.peak_memory_mb - after_torch_mb
        result.imports_above_torch_mb = imports_mb
        result.triton_imported = "triton" in sys.modules
    if batch_size:
        result.batch_size = batch_size
        result.images_per_second, result.network_images_per_second = _throughput(
            detector, radiographs, batch_size, rounds, synchronize)
    return result


def _measure_as_dict(*args):
    return asdict(measure(*args))


def measure_in_child(spec, image_paths, device="cpu", threads=2, repeats=3, batch_size=None, rounds=3,
                     young_paths=()):
    """measure() in a fresh process: its peak memory is that model's alone."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        data = pool.apply(_measure_as_dict, ([*spec], [str(p) for p in image_paths], device, threads,
                                             repeats, batch_size, rounds, [str(p) for p in young_paths]))
    return Measurement(**data)


def run_benchmark(image_paths, model=("model", "default"), threads=2, repeats=3, gpu=None,
                  batch_size=16, rounds=3, reference=True, progress=None, as_loaded=False, young_paths=()):
    """Measurements of the model and (reference=True) the reference, on the CPU and, when a GPU is
    there (gpu=None: if torch sees one), on the GPU."""
    import torch

    if not image_paths:
        raise BenchmarkError("No radiographs to time: give image files or folders.")
    specs = [model] + ([("as-loaded", model[1])] if as_loaded and model[0] == "model" else []) + (
        [("reference",)] if reference else [])
    use_gpu = torch.cuda.is_available() if gpu is None else bool(gpu)
    if use_gpu and not torch.cuda.is_available():
        raise BenchmarkError("A GPU benchmark was asked for, but torch sees no CUDA GPU here.")
    results = []
    for spec in specs:
        for device in ("cpu", "cuda") if use_gpu else ("cpu",):
            if progress:
                progress(f"timing {spec[-1]} on {device} ...")
            # Batches on the CPU too (small ones, and not for the slow reference): the same code as on a GPU.
            batch = batch_size if device == "cuda" else (None if spec[0] != "model" else min(batch_size, 4))
            results.append(measure_in_child(spec, image_paths, device, threads, repeats, batch,
                                            rounds if device == "cuda" else 1, young_paths))
    return results
