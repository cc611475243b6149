"""Corruptions x -> x~ for denoising autoencoders, and the error on missing entries (lesson 04).

Vincent et al. (JMLR 2010) corrupt each example before the encoder sees it:

    gaussian(sigma)               x~ = x + sigma * eps,  eps ~ N(0, I)
    masking(nu)                   a fraction nu of each example's entries, chosen at random, set to 0
    salt_and_pepper(nu, lo, hi)   a fraction nu of each example's entries set to lo or hi by a fair coin

`gaussian`, `masking` and `salt_and_pepper` build callables for `fit(corrupt=...)`, called as
`corrupt(x, generator)`; `gaussian_noise`, `masking_noise` and `salt_and_pepper_noise` are their functional twins.
Random numbers come from the given `torch.Generator` (on the CPU), so a seed fixes the corruption.
"""
from __future__ import annotations

import numpy as np
import torch

from .validation import check_data, check_number

KINDS = ("gaussian", "masking", "salt_and_pepper")


def _as_tensor(x, name: str = "x") -> torch.Tensor:
    check_data(x, name)
    return torch.as_tensor(x) if isinstance(x, np.ndarray) else x


def _like_input(t: torch.Tensor, x):
    return t.cpu().numpy() if isinstance(x, np.ndarray) else t


def _check_nu(nu) -> float:
    return check_number(nu, "nu (the fraction of entries to corrupt)", low=0.0, high=1.0)


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
    """x + sigma * eps with eps ~ N(0, I) (no clipping). Returns the same type as `x` (numpy or torch)."""
    t = _as_tensor(x)
    sigma = check_number(sigma, "sigma", low=0.0)
    _check_generator(generator)
    noise = torch.randn(t.shape, generator=generator, dtype=t.dtype).to(t.device)
    return _like_input(t + sigma * noise, x)


def masking_noise(x, nu: float, generator: torch.Generator | None = None, return_mask: bool = False):
    """Set a fraction `nu` of each example's entries (exactly round(nu * d) of them) to 0.

    With `return_mask=True` also returns the boolean mask of the entries that were set to 0 (the missing ones).
    """
    t = _as_tensor(x)
    mask = random_mask(tuple(t.shape), nu, generator).to(t.device)
    out = _like_input(t.masked_fill(mask, 0.0), x)
    return (out, _like_input(mask, x)) if return_mask else out


def salt_and_pepper_noise(x, nu: float, low: float = 0.0, high: float = 1.0,
                          generator: torch.Generator | None = None):
    """Set a fraction `nu` of each example's entries (exactly round(nu * d)) to `low` or `high`, by a fair coin."""
    t = _as_tensor(x)
    low = check_number(low, "low")
    high = check_number(high, "high")
    if low > high:
        raise ValueError(f"low, high: expected low <= high (the minimum and maximum input value), got {low:g} > "
                         f"{high:g}: swap them")
    mask = random_mask(tuple(t.shape), nu, generator).to(t.device)
    coin = (torch.rand(t.shape, generator=generator) < 0.5).to(t.device)
    values = torch.where(coin, torch.full_like(t, high), torch.full_like(t, low))
    return _like_input(torch.where(mask, values, t), x)


class _Corruption:
    """A corruption with fixed settings, callable as `corrupt(x, generator)` (the form `fit` expects)."""

    def __init__(self, kind: str, level: float, **settings):
        self.kind, self.level, self.settings = kind, level, settings

    def __call__(self, x, generator: torch.Generator | None = None):
        if self.kind == "gaussian":
            return gaussian_noise(x, self.level, generator)
        if self.kind == "masking":
            return masking_noise(x, self.level, generator)
        return salt_and_pepper_noise(x, self.level, generator=generator, **self.settings)

    def __repr__(self) -> str:
        name = "sigma" if self.kind == "gaussian" else "nu"
        extra = "".join(f", {k}={v:g}" for k, v in self.settings.items())
        return f"{self.kind}({name}={self.level:g}{extra})"


def gaussian(sigma: float) -> _Corruption:
    """Additive gaussian noise for `fit(corrupt=gaussian(0.3))`."""
    return _Corruption("gaussian", check_number(sigma, "sigma", low=0.0))


def masking(nu: float) -> _Corruption:
    """Masking noise (a fraction nu of each example's entries set to 0) for `fit(corrupt=masking(0.25))`."""
    return _Corruption("masking", _check_nu(nu))


def salt_and_pepper(nu: float, low: float = 0.0, high: float = 1.0) -> _Corruption:
    """Salt-and-pepper noise (a fraction nu set to low or high) for `fit(corrupt=salt_and_pepper(0.25))`."""
    low, high = check_number(low, "low"), check_number(high, "high")
    if low > high:
        raise ValueError(f"low, high: expected low <= high, got {low:g} > {high:g}: swap them")
    return _Corruption("salt_and_pepper", _check_nu(nu), low=low, high=high)


def make_corruption(kind: str, level: float) -> _Corruption:
    """`make_corruption("masking", 0.25)` == `masking(0.25)`; `level` is sigma for gaussian, nu otherwise."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {list(KINDS)}, got {kind!r}")
    return {"gaussian": gaussian, "masking": masking, "salt_and_pepper": salt_and_pepper}[kind](level)


def masked_rmse(x, x_hat, mask) -> float:
    """Root mean squared error over the masked (missing) entries only: sqrt(mean_{mask} (x - x_hat)^2)."""
    x, x_hat = np.asarray(check_data(x, "x")), np.asarray(check_data(x_hat, "x_hat"))
    mask = np.asarray(mask.cpu() if isinstance(mask, torch.Tensor) else mask)
    if x.shape != x_hat.shape or mask.shape != x.shape:
        raise ValueError(f"x, x_hat, mask: expected three arrays of the same shape, got {x.shape}, {x_hat.shape} "
                         f"and {mask.shape}")
    if mask.dtype != bool:
        raise TypeError(f"mask: expected a boolean array (True = missing entry), got dtype {mask.dtype}: "
                        "use mask.astype(bool)")
    if not mask.any():
        raise ValueError("mask: no entry is marked missing, so the error on missing entries is undefined")
    return float(np.sqrt(np.mean((x[mask] - x_hat[mask]) ** 2)))
