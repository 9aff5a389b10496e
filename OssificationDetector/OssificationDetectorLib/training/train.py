"""Finetune the detector on one or more datasets, with checkpoints, resume, progress and cancel.

Recipe: SGD (momentum 0.9, weight decay 1e-4), linear warm-up then cosine decay of the
learning rate per iteration, multi-scale training (a random short side per batch around
min_size), radiograph augmentation (augment.py), batch norm frozen. The training state
(weights, optimizer, iteration, torch's random state) is written to OUTPUT.train-state.pt at the
end of every epoch and when cancelled (the stop file, or Ctrl-C: the run stops at the end of the
iteration under way); `resume=True` continues from it and, with the same config, ends with the same
weights as an uninterrupted run. At the end the model is evaluated on the validation images and
written to OUTPUT with the metrics in its metadata, and its orientation probe beside it (fitted on the
training radiographs: detection/orientation_probe.py).

What is on disk is never lost or misused (check_run, before any work): resume needs a state; a state
of an unfinished run is deleted only by restart=True; an existing OUTPUT, or a registered model's
file, is replaced only with overwrite=True (a bundled model's file never).
"""
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, List, Optional

from .augment import AugmentConfig
from .train_state import TrainingError, ctrl_c_stops, restore_run_state, save_run_state, state_path_for  # noqa: F401
from ..model.architectures import DEFAULT_ARCHITECTURE, DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE

# Training radiographs the orientation probe of a finished model is fitted on, eight views each (about
# 50 ms a view on a 2-core CPU). Fitted for the bundled model on 120 of its probe's 354 radiographs, a
# probe reads 574 of the 576 validation views right (576 with all 354), and none, even from 15, acts
# on a wrong turn.
PROBE_IMAGES = 120





@dataclass
class TrainConfig:
    datasets: List[str]
    output: str
    architecture: str = DEFAULT_ARCHITECTURE
    # Where a run starts: `base` (a model file or registered name) when given, else `init` (imagenet | coco |
    # none: weights that torchvision downloads, or random); with neither, the bundled default model, which
    # needs nothing from the internet.
    init: Optional[str] = None
    base: Optional[str] = None
    epochs: Optional[int] = None
    iterations: Optional[int] = None  # wins over epochs
    batch_size: int = 2
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup_iterations: int = 50
    min_size: int = DEFAULT_MIN_SIZE
    max_size: int = DEFAULT_MAX_SIZE
    trainable_layers: Optional[int] = None  # backbone blocks that learn (model.build_model); None: default
    scale_jitter: float = 0.125  # short sides from min_size*(1-j) to min_size*(1+j), steps of 32
    val_fraction: float = 0.0
    val_list: Optional[List[str]] = None
    seed: int = 0
    device: str = "auto"
    threads: Optional[int] = None
    resume: bool = False
    restart: bool = False  # delete the state of an earlier, unfinished run and start afresh
    overwrite: bool = False  # replace an existing OUTPUT (a user model's file too: its checksum is updated)
    eval_every: int = 1  # epochs between validation mAPs (0: only at the end)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    name: Optional[str] = None
    description: str = ""

    def __post_init__(self):
        if self.base is None and self.init is None:
            from ..model.registry import DEFAULT_MODEL

            if self.architecture != DEFAULT_ARCHITECTURE:
                raise TrainingError(
                    f"The bundled default model is a {DEFAULT_ARCHITECTURE}: to train a {self.architecture}, give "
                    "--init imagenet, coco or none (or --base with a model of that architecture).")
            self.base = DEFAULT_MODEL

    def total_iterations(self, per_epoch):
        if self.iterations:
            return int(self.iterations)
        if self.epochs:
            return int(self.epochs) * per_epoch
        raise TrainingError("Say how long to train: give epochs or iterations.")

    def train_sizes(self):
        low = self.min_size * (1 - self.scale_jitter)
        high = self.min_size * (1 + self.scale_jitter)
        sizes = {self.min_size} | {s for s in range(32, int(high) + 1, 32) if low <= s <= high}
        return tuple(sorted(sizes))

    def to_dict(self):
        data = asdict(self)
        data["datasets"] = [str(d) for d in self.datasets]
        return data


@dataclass
class TrainResult:
    status: str  # "finished", "cancelled" (stop file) or "interrupted" (Ctrl-C); both of the latter resumable
    output: Optional[str]
    state_file: str
    iteration: int
    total: int
    sha256: Optional[str] = None
    metrics: Optional[dict] = None


def check_run(config):
    """Refuse, before any work, a run that would lose or misuse what is on disk (see the module's text)."""
    from ..model.registry import bundled_models_dir, registered_names_of

    output = Path(config.output)
    state_file = state_path_for(output)
    if output.is_dir():
        raise TrainingError(f"--output {output} is a folder: give the model file to write, such as "
                            f"{output / 'my-model.pt'}.")
    if config.resume and config.restart:
        raise TrainingError("Give --resume (continue the saved run) or --restart (start afresh), not both.")
    if config.resume and not state_file.is_file():
        raise TrainingError(f"Nothing to resume: there is no saved state {state_file} (it is written at the end of "
                            "each epoch and at Ctrl-C). Start without --resume.")
    if state_file.is_file() and not (config.resume or config.restart):
        raise TrainingError(f"{state_file} holds an unfinished run for {output.name}: add --resume to continue it, "
                            "or --restart to start afresh (the saved state is then deleted).")
    names = registered_names_of(output) if output.exists() else []
    bundled = bundled_models_dir().resolve()
    if output.exists() and bundled in output.resolve().parents:
        raise TrainingError(f"{output} is a bundled model's file: it is never replaced. Choose another --output.")
    if output.exists() and not config.overwrite:
        what = f"the file of the registered model {', '.join(map(repr, names))}" if names else "a model file"
        raise TrainingError(f"{output} exists ({what}): add --overwrite to replace it, or choose another --output.")
    if config.base:
        from ..model.registry import resolve_model

        path, _ = resolve_model(config.base)
        if not path.is_file():
            raise TrainingError(f"The --base model {path} does not exist: give a model file or a registered name.")
    return state_file


def learning_rate(config, iteration, total):
    """Linear warm-up from 1/1000 of lr, then cosine decay to 0 at `total`."""
    warmup = min(config.warmup_iterations, max(1, total // 5))
    if iteration < warmup:
        return config.lr * (0.001 + 0.999 * iteration / warmup)
    progress = (iteration - warmup) / max(1, total - warmup)
    return config.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _initial_model(config):
    from ..model.checkpoints import file_sha256, load_model
    from ..model.architectures import build_model, freeze_mobilenet_v2_blocks

    if config.base:
        from ..model.registry import resolve_model

        path, sha256 = resolve_model(config.base)
        model, metadata = load_model(path, sha256)
        model.transform.min_size = (config.min_size,)
        model.transform.max_size = config.max_size
        if metadata["architecture"] == "mobilenet_v2_fpn":
            freeze_mobilenet_v2_blocks(model, config.trainable_layers)
        return model, metadata["architecture"], {"base": str(path), "base_sha256": sha256 or file_sha256(path)}
    model = build_model(config.architecture, init=config.init, min_size=config.min_size, max_size=config.max_size,
                        trainable_backbone_layers=config.trainable_layers)
    return model, config.architecture, {"init": config.init}


def _fingerprint(config, train_items, total):
    """What must match for a resume to continue the same run."""
    return {"architecture": config.architecture if not config.base else "base:" + str(config.base),
            "train_images": sorted(f"{i.dataset}:{i.key}" for i in train_items), "total": total,
            "batch_size": config.batch_size, "seed": config.seed, "trainable_layers": config.trainable_layers}


def train(config: TrainConfig, progress: Optional[Callable[[dict], None]] = None,
          should_stop: Optional[Callable[[], bool]] = None) -> TrainResult:
    report = progress or (lambda event: None)
    with ctrl_c_stops() as interrupted:
        asked_to_stop = should_stop or (lambda: False)
        return _train(config, report, lambda: interrupted() or asked_to_stop(), interrupted)


def _train(config, report, stop, interrupted):
    from .training_data import (TrainingImages, class_counts, epoch_order, iterations_per_epoch, load_items,
                                split_items)

    # What is on disk and the data are checked before torch is imported (seconds) and the model built.
    output = Path(config.output)
    state_file = check_run(config)
    items, dataset_summary = load_items(config.datasets)
    train_items, val_items = split_items(items, config.val_list, config.val_fraction, config.seed)

    import torch

    from ..model.devices import limit_cpu_threads, mixed_precision_dtype, resolve_device
    from ..model.architectures import autocast_backbone, set_train_sizes

    device = resolve_device(config.device)
    if device.type == "cpu":
        limit_cpu_threads(config.threads)
    sizes = config.train_sizes()
    train_set = TrainingImages(train_items, max(sizes), config.max_size, config.augment, config.seed)
    per_epoch = iterations_per_epoch(len(train_set), config.batch_size)
    total = config.total_iterations(per_epoch)
    fingerprint = _fingerprint(config, train_items, total)

    torch.manual_seed(config.seed)
    model, architecture, origin = _initial_model(config)
    model.to(device).train()
    set_train_sizes(model, sizes)
    if any(item.annotation.ignored for item in train_items):  # pseudo-labels where the teacher was unsure
        from .ignore_regions import honour_ignore_regions

        honour_ignore_regions(model)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum,
                                weight_decay=config.weight_decay)

    start, val_map = 0, None
    if config.restart and state_file.is_file():
        state_file.unlink()
    if config.resume and state_file.is_file():
        start, val_map = restore_run_state(state_file, model, optimizer, fingerprint, device)
        report({"event": "resumed", "iteration": start, "total": total, "state_file": str(state_file)})

    def save_state(iteration):
        save_run_state(state_file, model, optimizer, iteration, fingerprint, val_map, device)

    began, done_here, loss_value = time.monotonic(), 0, None
    for iteration in range(start, total):
        epoch, position = divmod(iteration, per_epoch)
        train_set.set_epoch(epoch)
        order = epoch_order(len(train_set), config.seed, epoch)
        batch = [train_set[i] for i in order[position * config.batch_size:(position + 1) * config.batch_size]]
        lr = learning_rate(config, iteration, total)
        for group in optimizer.param_groups:
            group["lr"] = lr
        images = [image.to(device) for image, _ in batch]
        targets = [{k: v.to(device) for k, v in target.items()} for _, target in batch]
        with autocast_backbone(model, mixed_precision_dtype(device, training=True)):
            losses = model(images, targets)
        loss = sum(losses.values())
        if not torch.isfinite(loss):
            raise TrainingError(f"The loss became {loss.item()} at iteration {iteration + 1}: lower the learning "
                                f"rate (now {config.lr}) or check the boxes of the training data.")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 10.0)
        optimizer.step()
        done_here += 1
        loss_value = float(loss.item())
        elapsed = time.monotonic() - began
        eta = elapsed / done_here * (total - iteration - 1)
        event = {"event": "iteration", "epoch": epoch + 1, "epochs": math.ceil(total / per_epoch),
                 "iteration": iteration + 1, "total": total, "loss": loss_value,
                 "losses": {k: float(v.item()) for k, v in losses.items()}, "lr": lr, "val_map": val_map,
                 "eta": eta}
        report(event)
        end_of_epoch = position == per_epoch - 1 or iteration + 1 == total
        if end_of_epoch:
            if val_items and config.eval_every and (epoch + 1) % config.eval_every == 0 and iteration + 1 < total:
                val_map = _validation_map(model, val_items, device, config)
                set_train_sizes(model, sizes)
            save_state(iteration + 1)
            report({**event, "event": "epoch", "val_map": val_map})
        if iteration + 1 < total and stop():
            save_state(iteration + 1)
            status = "interrupted" if interrupted() else "cancelled"
            report({"event": "cancelled", "iteration": iteration + 1, "total": total, "state_file": str(state_file)})
            return TrainResult(status, None, str(state_file), iteration + 1, total)

    metrics = _final_metrics(model, val_items, device, config)
    metadata = _metadata(config, architecture, origin, dataset_summary, train_items, val_items, total,
                         class_counts(train_items), metrics, loss_value)
    from ..model.checkpoints import save_model

    model.eval()
    set_train_sizes(model, (config.min_size,))
    if not all(bool(torch.isfinite(p).all()) for p in model.state_dict().values() if p.is_floating_point()):
        raise TrainingError(f"The weights became NaN or infinite: lower the learning rate (now {config.lr}); "
                            f"{output} was not written.")
    sha256 = save_model(output, model.cpu(), metadata)
    _write_orientation_probe(model, train_items, device, sha256, output, report)
    if config.overwrite:
        from ..model.registry import refresh_user_models_of

        refresh_user_models_of(output)
    if state_file.exists():
        state_file.unlink()
    report({"event": "finished", "iteration": total, "total": total, "output": str(output), "sha256": sha256,
            "val_map": (metrics or {}).get("mAP"), "metrics": metrics})
    return TrainResult("finished", str(output), str(state_file), total, total, sha256, metrics)


def _write_orientation_probe(model, train_items, device, sha256, output, report):
    """Fit the finished model's orientation probe on (at most PROBE_IMAGES of) its training radiographs
    and write it beside the model file (detection/orientation_probe.py). Where it cannot be fitted, the
    model is still whole: its detector searches turned hands without a probe, as before probes."""
    from ..detection.orientation_probe import fit_probe, probe_path, save_probe, view_features
    from .training_data import read_normalized

    paths = sorted({str(item.path) for item in train_items})
    paths = [paths[int((i + 0.5) * len(paths) / PROBE_IMAGES)] for i in range(PROBE_IMAGES)] \
        if len(paths) > PROBE_IMAGES else paths
    report({"event": "orientation probe", "images": len(paths)})
    try:
        rows, turns = view_features(model.to(device).eval(), device, [read_normalized(p) for p in paths])
        save_probe(fit_probe(rows, turns, sha256), probe_path(output))
    except (ValueError, RuntimeError, OSError) as error:
        report({"event": "warning", "message": f"no orientation probe was written ({error}): turned hands "
                                               "will be searched for the slower way"})
    finally:
        model.cpu()


def _detections(model, val_items, device, config):
    """(raw detections with score >= 0.05, as for AP; image sizes) of the validation images."""
    import torch

    from ..detection.detect import run_model, suppress_cross_class_duplicates
    from ..model.architectures import set_train_sizes
    from .training_data import read_normalized

    was_training = model.training
    model.eval()
    set_train_sizes(model, (config.min_size,))
    detections, sizes = [], []
    for item in val_items:
        pixels = read_normalized(item.path)
        boxes = run_model(model, [torch.from_numpy(pixels)[None]], device, threshold=0.05)[0]
        detections.append(suppress_cross_class_duplicates(boxes))
        sizes.append((pixels.shape[1], pixels.shape[0]))
    model.train(was_training)
    return detections, sizes


def _validation_map(model, val_items, device, config):
    from ..evaluation.evaluate import evaluate

    detections, _ = _detections(model, val_items, device, config)
    return evaluate(detections, [i.annotation for i in val_items]).mean_ap


def _final_metrics(model, val_items, device, config):
    """Validation metrics of the finished model: raw detections and after anatomy post-processing."""
    if not val_items:
        return None
    from ..detection.detect import anatomy_postprocess
    from ..evaluation.evaluate import evaluate

    truths = [i.annotation for i in val_items]
    detections, sizes = _detections(model, val_items, device, config)
    metrics = {"validation_images": [i.key for i in val_items]}
    raw = _summary(evaluate(detections, truths))
    metrics["raw"] = raw
    metrics["mAP"] = raw["mAP"]
    clean = anatomy_postprocess()
    if clean is not None:
        cleaned = [clean(boxes, w, h) for boxes, (w, h) in zip(detections, sizes)]
        post = _summary(evaluate(cleaned, truths))
        metrics["postprocessed"] = post
        metrics["mAP"] = post["mAP"]
    return metrics


def _summary(result):
    """An evaluation without its precision-recall curves (too long for model metadata)."""
    data = result.to_dict()
    data.pop("curves", None)
    return data


def _metadata(config, architecture, origin, dataset_summary, train_items, val_items, total, counts, metrics,
              final_loss):
    from ..model.checkpoints import model_metadata

    recipe = {k: v for k, v in config.to_dict().items() if k not in ("datasets", "output", "resume", "device",
                                                                     "threads", "name", "description")}
    training_data = {"datasets": dataset_summary, "train_images": len({(i.dataset, i.key) for i in train_items}),
                     "boxes_per_class": counts, "validation_images": [i.key for i in val_items]}
    ignored = sum(len(i.annotation.ignored) for i in train_items)
    if ignored:  # pseudo-labels' regions where the teacher was unsure: neither an area nor background
        training_data["ignored_regions"] = ignored
    return model_metadata(architecture, config.min_size, config.max_size, name=config.name or Path(config.output).stem,
                          description=config.description, origin=origin, recipe=recipe, iterations=total,
                          final_loss=final_loss, training_data=training_data, metrics=metrics)
