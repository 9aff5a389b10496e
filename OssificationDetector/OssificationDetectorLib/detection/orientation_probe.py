"""The orientation probe: how many quarter turns a hand lies off upright, read from the first pass's
backbone features before the rest of that pass runs.

A hand lying sideways or upside down costs the orientation search a first pass that finds a few
areas and reads nothing from them, then the views it tries (orientation_search.py). The probe is a
linear classifier (multinomial logistic regression) on the backbone's coarsest FPN level averaged
over a 4 x 4 grid: where the wrist and the fingers lie in the image. Where it is sure
(ACT_PROBABILITY) that the hand lies turned, the first pass stops after the backbone and the search
starts on the view that turns the hand back; anatomy still checks that view, and the search goes on
as without the probe when it does not show an upright hand. Left or right is not the probe's: a
mirrored hand is classified by its turn only, and the search reads its side as before.

A probe belongs to the backbone it was fitted on: it is stored beside the model file (same name,
PROBE_SUFFIX) with that file's sha256, and any other model runs without one.
"""
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

PROBE_SUFFIX = ".orientation.npz"
PROBE_LEVEL = "pool"        # the FPN's coarsest level (stride 64): the hand's layout, little detail
GRID = 4                    # its average over GRID x GRID cells of the image
ACT_PROBABILITY = 0.9       # below this the first pass runs whole, as without a probe
QUARTER_TURNS = 4

log = logging.getLogger(__name__)


class Turned(NamedTuple):
    """A first pass stopped after the backbone: the probe says the hand lies this many quarter turns
    clockwise off upright."""

    quarter_turns: int
    probability: float


@dataclass(frozen=True)
class OrientationProbe:
    """Standardised pooled features -> logits of 0..3 clockwise quarter turns."""

    mean: np.ndarray      # (F,)
    scale: np.ndarray     # (F,)
    weight: np.ndarray    # (F, 4)
    bias: np.ndarray      # (4,)
    model_sha256: str

    def probabilities(self, rows):
        """rows: torch (N, F) pooled features -> torch (N, 4) probabilities of each quarter turn."""
        import torch

        as_tensor = [torch.as_tensor(a, dtype=torch.float32, device=rows.device)
                     for a in (self.mean, self.scale, self.weight, self.bias)]
        mean, scale, weight, bias = as_tensor
        return torch.softmax(((rows.float() - mean) / scale) @ weight + bias, dim=1)

    def turns(self, features):
        """For each image of a backbone's features: Turned when the probe is sure the hand lies turned,
        else None (upright, or not sure: the pass goes on)."""
        probabilities = self.probabilities(pooled(features)).cpu()
        best = probabilities.max(dim=1)
        return [Turned(int(k), float(p)) if int(k) != 0 and float(p) >= ACT_PROBABILITY else None
                for p, k in zip(best.values, best.indices)]


def pooled(features):
    """The probe's input: the PROBE_LEVEL features averaged over a GRID x GRID grid, (N, C * GRID**2)."""
    import torch.nn.functional as F

    return F.adaptive_avg_pool2d(features[PROBE_LEVEL].float(), GRID).flatten(1)


def probe_path(model_path):
    """Where the probe of a model file lives: beside it, same name."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + PROBE_SUFFIX)


def save_probe(probe, path):
    from ..core.atomic import atomic_writer

    with atomic_writer(path, "wb") as stream:
        np.savez(stream, mean=probe.mean, scale=probe.scale, weight=probe.weight, bias=probe.bias,
                 model_sha256=np.array(probe.model_sha256), level=np.array(PROBE_LEVEL), grid=np.array(GRID))


def load_probe(path, model_sha256):
    """The probe at `path` when it was fitted to the model whose file has this sha256; else None
    (no file, another model's, unreadable: the search runs without it, as it did before probes)."""
    path = Path(path)
    if not model_sha256 or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            probe = OrientationProbe(*(np.asarray(data[k], dtype=np.float32) for k in ("mean", "scale", "weight", "bias")),
                                     model_sha256=str(data["model_sha256"]))
            layout = (str(data["level"]), int(data["grid"]))
    except (OSError, ValueError, KeyError) as error:
        log.warning("Orientation probe %s is unreadable (%s): detecting without it.", path, error)
        return None
    if probe.model_sha256 != model_sha256:
        log.info("Orientation probe %s belongs to another model file: detecting without it.", path)
        return None
    if layout != (PROBE_LEVEL, GRID) or probe.weight.shape != (probe.mean.shape[0], QUARTER_TURNS):
        log.warning("Orientation probe %s has another layout: detecting without it.", path)
        return None
    return probe


def probe_for_model(model_path, model_sha256=None):
    """The probe beside a model file, when it was fitted to that file (its sha256, computed when not given)."""
    path = probe_path(model_path)
    if not path.is_file():
        return None
    if not model_sha256:
        from ..model.checkpoints import file_sha256

        model_sha256 = file_sha256(model_path)
    return load_probe(path, model_sha256)


def dihedral_views(pixels):
    """(view, quarter turns the hand lies clockwise in it) for the image as it is and mirrored, each in its
    four quarter turns: an upright hand's eight views with the probe's answer for each."""
    for image in (pixels, pixels[:, ::-1]):
        for k in range(QUARTER_TURNS):
            # np.rot90 turns counter-clockwise: k of its steps leave the hand (4 - k) % 4 turns clockwise.
            yield np.ascontiguousarray(np.rot90(image, k)), (QUARTER_TURNS - k) % QUARTER_TURNS


def view_features(model, device, images):
    """(rows, turns) to fit or test a probe: pooled backbone features of every dihedral view of each
    float32 [0, 1] image, computed as a first pass computes them (the model's transform, its backbone)."""
    import torch

    rows, turns = [], []
    with torch.inference_mode():
        for pixels in images:
            for view, turn in dihedral_views(pixels):
                batch, _ = model.transform([torch.from_numpy(view)[None].to(device)])
                rows.append(pooled(model.backbone(batch.tensors))[0].cpu().numpy())
                turns.append(turn)
    return np.stack(rows), np.array(turns)


def fit_probe(rows, turns, model_sha256, weight_decay=1e-3, iterations=300):
    """An OrientationProbe fitted to pooled features (N, F) and their quarter turns (N,) by L2-regularised
    multinomial logistic regression on standardised features (L-BFGS, deterministic)."""
    import torch

    rows = torch.as_tensor(np.asarray(rows), dtype=torch.float64)
    turns = torch.as_tensor(np.asarray(turns), dtype=torch.long)
    if len(rows) == 0 or set(turns.tolist()) != set(range(QUARTER_TURNS)):
        raise ValueError("An orientation probe needs views of every quarter turn (dihedral_views of each image).")
    mean, scale = rows.mean(0), rows.std(0) + 1e-6
    standard = (rows - mean) / scale
    weight = torch.zeros(rows.shape[1], QUARTER_TURNS, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(QUARTER_TURNS, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=iterations, line_search_fn="strong_wolfe")

    def loss():
        optimizer.zero_grad()
        value = torch.nn.functional.cross_entropy(standard @ weight + bias, turns) + weight_decay * (weight ** 2).sum()
        value.backward()
        return value

    with torch.enable_grad():
        optimizer.step(loss)
    as_numpy = [t.detach().numpy().astype(np.float32) for t in (mean, scale, weight, bias)]
    return OrientationProbe(*as_numpy, model_sha256=model_sha256)
