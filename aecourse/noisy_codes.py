"""The code layer of semantic hashing (lesson 06): sigmoid units with noise added just before the sigmoid.

During training each code unit computes  h = sigmoid(z + sigma * eps),  eps ~ N(0, 1),  and in evaluation
h = sigmoid(z). A unit whose pre-activation z sits near 0 passes on mostly noise, so to reconstruct its input the
network learns to push |z| far beyond sigma: the codes saturate near 0 and 1 and rounding them loses little.
Raising sigma over training (a *schedule*, the Deep Learning book's 14.9) lets the code first learn what to say,
then learn to say it in bits. Salakhutdinov & Hinton (2009) instead fixed the noise per training case.

- `NoisySigmoid`: the layer (fresh noise each step, or one fixed draw per training item).
- `ConstantNoise`, `LinearNoise`, `ExponentialNoise`, `noise_schedule(kind, ...)`: `schedule(epoch, epochs) -> sigma`.
- `NoiseScheduler`: a `fit` callback that sets the layer's sigma each epoch.
- `CodeRecorder`: a `fit` callback that records per-epoch histograms of the codes, the unsaturated fraction
  (share of activations in (0.1, 0.9)), sample codes and, optionally, retrieval precision.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .validation import check_choice, check_data, check_number, check_positive_int


class NoisySigmoid(nn.Module):
    """h = sigmoid(z + sigma * eps) in training, sigmoid(z) in evaluation; `sigma` is set by a schedule.

    With `n_items` the noise is the original's *fixed per-item* noise: one draw eps_i per training item i, made
    once (seeded), reused every epoch; `forward(z, item_ids)` then needs the items' indices.

    >>> layer = NoisySigmoid(16); layer.sigma = 4.0; h = layer(torch.zeros(2, 16))  # noisy in train mode
    """

    def __init__(self, n_units: int, sigma: float = 0.0, *, n_items: int | None = None, seed: int = 0):
        super().__init__()
        self.n_units = check_positive_int(n_units, "n_units")
        self.sigma = check_number(sigma, "sigma", low=0.0)
        self.n_items = None if n_items is None else check_positive_int(n_items, "n_items")
        if self.n_items is not None:
            generator = torch.Generator().manual_seed(check_positive_int(seed, "seed", minimum=0))
            self.register_buffer("fixed_noise", torch.randn(self.n_items, self.n_units, generator=generator))

    @property
    def per_item(self) -> bool:
        return self.n_items is not None

    def forward(self, z: torch.Tensor, item_ids: torch.Tensor | None = None) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.n_units:
            raise ValueError(f"NoisySigmoid: expected pre-activations of shape (batch, {self.n_units}), "
                             f"got {tuple(z.shape)}")
        if not self.training or self.sigma == 0.0:
            return torch.sigmoid(z)
        if self.per_item:
            if item_ids is None:
                raise ValueError("NoisySigmoid(n_items=...): fixed per-item noise needs item_ids, the training "
                                 "items' row numbers; call it as layer(z, item_ids)")
            eps = self.fixed_noise[item_ids]
        else:
            eps = torch.randn_like(z)
        return torch.sigmoid(z + self.sigma * eps)

    def extra_repr(self) -> str:
        return f"n_units={self.n_units}, sigma={self.sigma:g}" + (f", fixed per item ({self.n_items})"
                                                                   if self.per_item else "")


# ------------------------------------------------------------------------------------------------- schedules

@dataclass(frozen=True)
class _Schedule:
    """Noise level as a function of training progress t = epoch / (epochs - 1) in [0, 1]."""

    def __call__(self, epoch: int, epochs: int) -> float:
        epochs = check_positive_int(epochs, "epochs")
        epoch = check_positive_int(epoch, "epoch", minimum=0)
        if epoch >= epochs:
            raise ValueError(f"epoch: expected 0 <= epoch < epochs = {epochs}, got {epoch}")
        return float(self.at(epoch / max(epochs - 1, 1)))

    def at(self, t: float) -> float:
        raise NotImplementedError


def _progress(t: float, start: float, end: float) -> float:
    """Where t lies in [start, end], clipped to [0, 1]: the fraction of the ramp done."""
    return min(max((t - start) / (end - start), 0.0), 1.0)


def _check_ramp(start: float, end: float) -> None:
    check_number(start, "start", low=0.0, high=1.0, high_open=True)
    check_number(end, "end", low=0.0, high=1.0, low_open=True)
    if end <= start:
        raise ValueError(f"start, end: the ramp must begin before it ends (fractions of training), got "
                         f"start={start:g} >= end={end:g}; e.g. start=0.2, end=0.8")


@dataclass(frozen=True)
class ConstantNoise(_Schedule):
    """sigma(t) = sigma: the same noise from the first epoch to the last."""
    sigma: float

    def __post_init__(self):
        check_number(self.sigma, "sigma", low=0.0)

    def at(self, t: float) -> float:
        return self.sigma


@dataclass(frozen=True)
class LinearNoise(_Schedule):
    """sigma(t) = final * u, u = (t - start) / (end - start) clipped to [0, 1]: no noise until `start`, full at
    `end` (fractions of training), so the last epochs train at the final level."""
    final: float
    start: float = 0.0
    end: float = 0.8

    def __post_init__(self):
        check_number(self.final, "final", low=0.0)
        _check_ramp(self.start, self.end)

    def at(self, t: float) -> float:
        return self.final * _progress(t, self.start, self.end)


@dataclass(frozen=True)
class ExponentialNoise(_Schedule):
    """sigma(t) = final * (1 - exp(-rate u)) / (1 - exp(-rate)), u as in `LinearNoise`: rises fast, then levels
    off; a larger `rate` rises faster."""
    final: float
    rate: float = 5.0
    start: float = 0.0
    end: float = 0.8

    def __post_init__(self):
        check_number(self.final, "final", low=0.0)
        check_number(self.rate, "rate", low=0.0, low_open=True)
        _check_ramp(self.start, self.end)

    def at(self, t: float) -> float:
        u = _progress(t, self.start, self.end)
        return self.final * (1.0 - math.exp(-self.rate * u)) / (1.0 - math.exp(-self.rate))


SCHEDULES = {"constant": ConstantNoise, "linear": LinearNoise, "exponential": ExponentialNoise}


def noise_schedule(kind: str = "linear", final: float = 8.0, *, rate: float = 5.0, start: float = 0.0,
                   end: float = 0.8) -> _Schedule:
    """Build a schedule by name: "constant" (sigma = final throughout), "linear" or "exponential" ramps.

    >>> noise_schedule("linear", 8.0)(epoch=0, epochs=100), noise_schedule("linear", 8.0)(99, 100)
    (0.0, 8.0)
    """
    check_choice(kind, "kind", SCHEDULES)
    if kind == "constant":
        return ConstantNoise(final)
    if kind == "linear":
        return LinearNoise(final, start, end)
    return ExponentialNoise(final, rate, start, end)


def find_code_layer(model: nn.Module) -> NoisySigmoid:
    """The model's (single) `NoisySigmoid` layer."""
    layers = [m for m in model.modules() if isinstance(m, NoisySigmoid)]
    if len(layers) != 1:
        raise ValueError(f"model: expected exactly one NoisySigmoid code layer, found {len(layers)}: build the "
                         "model with make_hashing_autoencoder(...)")
    return layers[0]


class NoiseScheduler:
    """`fit` callback: sets the code layer's sigma to `schedule(epoch, epochs)` for every epoch.

    `fit` calls callbacks *after* each epoch, so the constructor sets epoch 0's level and each call sets the
    next epoch's. `sigmas` lists the level each epoch trained at.
    """

    def __init__(self, model: nn.Module, schedule: Callable[[int, int], float], epochs: int):
        if not callable(schedule):
            raise TypeError(f"schedule: expected a callable schedule(epoch, epochs) -> sigma such as "
                            f"noise_schedule('linear', 8.0), got {type(schedule).__name__}")
        self.layer = find_code_layer(model)
        self.schedule = schedule
        self.epochs = check_positive_int(epochs, "epochs")
        self.sigmas: list[float] = []
        self._set(0)

    def _set(self, epoch: int) -> None:
        sigma = check_number(self.schedule(epoch, self.epochs), "schedule(epoch, epochs)", low=0.0)
        self.layer.sigma = sigma
        self.sigmas.append(sigma)

    def __call__(self, epoch: int, model: nn.Module, history) -> None:
        if epoch + 1 < self.epochs:
            self._set(epoch + 1)


# ------------------------------------------------------------------------------------------------- watching

def unsaturated_fraction(codes, low: float = 0.1, high: float = 0.9) -> float:
    """The share of code activations strictly inside (low, high): those rounding would still change.

    >>> unsaturated_fraction(np.array([[0.01, 0.5, 0.97, 0.2]]))
    0.5
    """
    codes = check_data(codes, "codes")
    check_number(low, "low", low=0.0, high=1.0)
    check_number(high, "high", low=0.0, high=1.0)
    if high <= low:
        raise ValueError(f"low, high: expected low < high, got low={low:g}, high={high:g}")
    codes = codes.detach().cpu().numpy() if isinstance(codes, torch.Tensor) else np.asarray(codes)
    return float(((codes > low) & (codes < high)).mean())


@dataclass
class CodeSnapshot:
    """What `CodeRecorder` saw after one epoch (codes in eval mode, i.e. without noise)."""
    epoch: int
    sigma: float
    histogram: np.ndarray          # counts of code activations in `CodeRecorder.bin_edges`
    unsaturated: float             # share of activations in (0.1, 0.9)
    sample_codes: np.ndarray       # (n_samples, n_bits) real-valued codes of the sample items
    loss: float
    precision: float | None = None  # retrieval precision@k of the rounded codes, when asked for


class CodeRecorder:
    """`fit` callback: after every `every` epochs, encode `x` (no noise) and keep a `CodeSnapshot`.

    `retrieval=(x_query, y_query, x_db, y_db)` adds precision@`k` by Hamming ranking of the rounded codes
    (labels used only to score). `on_snapshot(snapshot)` is called with each new snapshot (live plots).
    """

    def __init__(self, x, *, n_samples: int = 20, bins: int = 20, every: int = 1, retrieval=None, k: int = 100,
                 on_snapshot: Callable[[CodeSnapshot], object] | None = None):
        self.x = check_data(x, "x")
        self.n_samples = min(check_positive_int(n_samples, "n_samples"), len(x))
        self.bin_edges = np.linspace(0.0, 1.0, check_positive_int(bins, "bins") + 1)
        self.every = check_positive_int(every, "every")
        self.k = check_positive_int(k, "k")
        if retrieval is not None:
            if not isinstance(retrieval, (tuple, list)) or len(retrieval) != 4:
                raise ValueError("retrieval: expected a tuple (x_query, y_query, x_db, y_db), got "
                                 f"{type(retrieval).__name__}")
            check_data(retrieval[0], "x_query")
            check_data(retrieval[2], "x_db", n_features=retrieval[0].shape[1])
        self.retrieval = retrieval
        if on_snapshot is not None and not callable(on_snapshot):
            raise TypeError(f"on_snapshot: expected a callable, got {type(on_snapshot).__name__}")
        self.on_snapshot = on_snapshot
        self.snapshots: list[CodeSnapshot] = []

    def start(self, model: nn.Module) -> CodeSnapshot:
        """Record the untrained model's codes as epoch -1 (`train_hashing_autoencoder` calls it)."""
        return self.snapshot(-1, model)

    def snapshot(self, epoch: int, model: nn.Module, loss: float = float("nan")) -> CodeSnapshot:
        from .training import encode
        codes = encode(model, self.x)
        precision = None
        if self.retrieval is not None:
            from .bits import binarize
            from .retrieval import precision_at_k
            x_query, y_query, x_db, y_db = self.retrieval
            precision = precision_at_k(binarize(encode(model, x_query)), binarize(encode(model, x_db)),
                                       y_query, y_db, k=min(self.k, len(x_db)))
        sigma = find_code_layer(model).sigma
        snap = CodeSnapshot(epoch, sigma, np.histogram(codes, self.bin_edges)[0], unsaturated_fraction(codes),
                            codes[:self.n_samples].copy(), loss, precision)
        self.snapshots.append(snap)
        if self.on_snapshot is not None:
            self.on_snapshot(snap)
        return snap

    def __call__(self, epoch: int, model: nn.Module, history) -> None:
        if epoch % self.every == 0:
            self.snapshot(epoch, model, history.loss[-1] if len(history) else float("nan"))

    @property
    def unsaturated(self) -> list[float]:
        return [s.unsaturated for s in self.snapshots]
