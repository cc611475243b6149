"""The code layer of semantic hashing (lesson 06): sigmoid units with noise added just before the sigmoid.

During training each code unit computes  h = sigmoid(z + sigma * eps),  eps ~ N(0, 1),  and in evaluation
h = sigmoid(z). A unit whose pre-activation z sits near 0 passes on mostly noise, so to reconstruct its input the
network learns to push |z| far beyond sigma: the codes saturate near 0 and 1 and rounding them loses little.
Raising sigma over training (a *schedule*, the Deep Learning book's 14.9) lets the code first learn what to say,
then learn to say it in bits. Salakhutdinov & Hinton (2009) instead fixed the noise per training case.

- `NoisySigmoid`: the layer (fresh noise each step, or one fixed draw per training item).
- `ConstantNoise`, `LinearNoise`, `ExponentialNoise`, `noise_schedule(kind, ...)`: `schedule(epoch, epochs) -> sigma`.
- `NoiseScheduler`: a `fit` callback that sets the layer's sigma each epoch.
- `unsaturated_fraction`: the share of activations that rounding would still change (watched by
  `callbacks.CodeRecorder`).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .validation import as_numpy, check_choice, check_number, check_positive_int


class NoisySigmoid(nn.Module):
    """h = sigmoid(z + sigma * eps) in training, sigmoid(z) in evaluation; `sigma` is set by a schedule (lesson 06a).

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
    """sigma(t) = sigma: the same noise from the first epoch to the last (lesson 06a)."""
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
    """Build a schedule by name: "constant" (sigma = final throughout), "linear" or "exponential" ramps (lesson 06a).

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
    """The share of code activations strictly inside (low, high): those rounding would still change (lesson 06a).

    >>> unsaturated_fraction(np.array([[0.01, 0.5, 0.97, 0.2]]))
    0.5
    """
    codes = as_numpy(codes, "codes")
    check_number(low, "low", low=0.0, high=1.0)
    check_number(high, "high", low=0.0, high=1.0)
    if high <= low:
        raise ValueError(f"low, high: expected low < high, got low={low:g}, high={high:g}")
    return float(((codes > low) & (codes < high)).mean())
