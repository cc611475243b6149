"""Corruptions x -> x~ for denoising autoencoders, and the error on missing entries (lesson 04).

Vincent et al. (JMLR 2010) corrupt each example before the encoder sees it:

    GaussianNoise(sigma)               x~ = x + sigma * eps,  eps ~ N(0, I)
    MaskingNoise(nu)                   a fraction nu of each example's entries, chosen at random, set to 0
    SaltAndPepperNoise(nu, low, high)  a fraction nu of each example's entries set to low or high by a fair coin

Each is a `training.Corruption` for `fit(corrupt=...)`, called as `corrupt(x, generator)`, with a functional
twin that checks its input: `gaussian_noise`, `masking_noise` and `salt_and_pepper_noise`.
Random numbers come from the given `torch.Generator` (on the CPU), so a seed fixes the corruption.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .training import Corruption
from .validation import as_numpy, as_tensor, check_number, to_numpy


def _like_input(t: torch.Tensor, x):
    return to_numpy(t) if isinstance(x, np.ndarray) else t


def _unchecked(core, x, *settings):
    """`core(tensor, *settings)` on a numpy array or tensor, returned as the same type, without checks (for the
    corruption objects, which `fit` calls every batch on data it has checked once)."""
    return _like_input(core(torch.as_tensor(x) if isinstance(x, np.ndarray) else x, *settings), x)


def _check_nu(nu) -> float:
    return check_number(nu, "nu (the fraction of entries to corrupt)", low=0.0, high=1.0)


def _check_range(low, high) -> tuple[float, float]:
    low, high = check_number(low, "low"), check_number(high, "high")
    if low > high:
        raise ValueError(f"low, high: expected low <= high (the minimum and maximum input value), got {low:g} > "
                         f"{high:g}: swap them")
    return low, high


def _check_generator(generator) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}: "
                        "make one with torch.Generator().manual_seed(0)")


def random_mask(shape: tuple[int, int], nu: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A boolean (n, d) mask with exactly round(nu * d) True entries per row, at random positions.

    The positions are the round(nu * d) smallest of d uniform draws per row, so every subset is equally likely.
    """
    nu = _check_nu(nu)
    _check_generator(generator)
    n, d = shape
    m = round(nu * d)
    ranks = torch.rand((n, d), generator=generator).argsort(dim=1).argsort(dim=1)
    return ranks < m


def gaussian_noise(x, sigma: float, generator: torch.Generator | None = None):
    """x + sigma * eps with eps ~ N(0, I) (no clipping). Returns the same type as `x` (numpy or torch) (lesson 04)."""
    t = as_tensor(x, dtype=None)
    sigma = check_number(sigma, "sigma", low=0.0)
    _check_generator(generator)
    return _like_input(_gaussian(t, sigma, generator), x)


def masking_noise(x, nu: float, generator: torch.Generator | None = None, return_mask: bool = False):
    """Set a fraction `nu` of each example's entries (exactly round(nu * d) of them) to 0 (lesson 04).

    With `return_mask=True` also returns the boolean mask of the entries that were set to 0 (the missing ones).
    """
    t = as_tensor(x, dtype=None)
    mask = random_mask(tuple(t.shape), nu, generator).to(t.device)
    out = _like_input(_masked(t, mask), x)
    return (out, _like_input(mask, x)) if return_mask else out


def salt_and_pepper_noise(x, nu: float, low: float = 0.0, high: float = 1.0,
                          generator: torch.Generator | None = None):
    """Set a fraction `nu` of each example's entries (exactly round(nu * d)) to `low` or `high`, by a fair coin
    (lesson 04)."""
    t = as_tensor(x, dtype=None)
    low, high = _check_range(low, high)
    nu = _check_nu(nu)
    _check_generator(generator)
    return _like_input(_salt_and_pepper(t, nu, low, high, generator), x)


def _gaussian(t: torch.Tensor, sigma: float, generator) -> torch.Tensor:
    return t + sigma * torch.randn(t.shape, generator=generator, dtype=t.dtype).to(t.device)


def _masked(t: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return t.masked_fill(mask, 0.0)


def _masking(t: torch.Tensor, nu: float, generator) -> torch.Tensor:
    return _masked(t, random_mask(tuple(t.shape), nu, generator).to(t.device))


def _salt_and_pepper(t: torch.Tensor, nu: float, low: float, high: float, generator) -> torch.Tensor:
    mask = random_mask(tuple(t.shape), nu, generator).to(t.device)
    coin = (torch.rand(t.shape, generator=generator) < 0.5).to(t.device)
    values = torch.where(coin, torch.full_like(t, high), torch.full_like(t, low))
    return torch.where(mask, values, t)


@dataclass(frozen=True)
class GaussianNoise(Corruption):
    """`fit(corrupt=GaussianNoise(0.3))`: additive gaussian noise, `gaussian_noise(x, sigma)` (lesson 04)."""
    sigma: float

    def __post_init__(self):
        check_number(self.sigma, "sigma", low=0.0)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return _unchecked(_gaussian, x, self.sigma, generator)


@dataclass(frozen=True)
class MaskingNoise(Corruption):
    """`fit(corrupt=MaskingNoise(0.25))`: a fraction nu of each example's entries set to 0, `masking_noise(x, nu)`
    (lesson 04)."""
    nu: float

    def __post_init__(self):
        _check_nu(self.nu)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return _unchecked(_masking, x, self.nu, generator)


@dataclass(frozen=True)
class SaltAndPepperNoise(Corruption):
    """`fit(corrupt=SaltAndPepperNoise(0.25))`: a fraction nu set to low or high, `salt_and_pepper_noise(x, nu)`
    (lesson 04)."""
    nu: float
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self):
        _check_nu(self.nu)
        _check_range(self.low, self.high)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return _unchecked(_salt_and_pepper, x, self.nu, self.low, self.high, generator)


CORRUPTIONS = {"gaussian": GaussianNoise, "masking": MaskingNoise, "salt_and_pepper": SaltAndPepperNoise}
KINDS = tuple(CORRUPTIONS)


def make_corruption(kind: str, level: float) -> Corruption:
    """`make_corruption("masking", 0.25)` == `MaskingNoise(0.25)`; `level` is sigma for gaussian, nu otherwise."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"kind: expected one of {list(KINDS)}, got {kind!r}")
    return CORRUPTIONS[kind](level)


def masked_rmse(x, x_hat, mask) -> float:
    """Root mean squared error over the masked (missing) entries only: sqrt(mean_{mask} (x - x_hat)^2) (lesson 04)."""
    x, x_hat = as_numpy(x, "x"), as_numpy(x_hat, "x_hat")
    mask = np.asarray(to_numpy(mask))
    if x.shape != x_hat.shape or mask.shape != x.shape:
        raise ValueError(f"x, x_hat, mask: expected three arrays of the same shape, got {x.shape}, {x_hat.shape} "
                         f"and {mask.shape}")
    if mask.dtype != bool:
        raise TypeError(f"mask: expected a boolean array (True = missing entry), got dtype {mask.dtype}: "
                        "use mask.astype(bool)")
    if not mask.any():
        raise ValueError("mask: no entry is marked missing, so the error on missing entries is undefined")
    return float(np.sqrt(np.mean((x[mask] - x_hat[mask]) ** 2)))
