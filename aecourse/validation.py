"""Input validation shared by every public function.

Each error says what was expected, what was given and what to do, so a learner can fix
the call without reading the library's source.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch


def _describe(x) -> str:
    if isinstance(x, torch.Tensor):
        return f"a torch tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    if isinstance(x, np.ndarray):
        return f"a numpy array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:120]


def check_data(x, name: str = "x", *, ndim: int = 2, n_features: int | None = None,
               allow_empty: bool = False) -> np.ndarray | torch.Tensor:
    """Check a data matrix of shape (n_samples, n_features): rank, width, real dtype, finite values.

    Returns `x` unchanged (numpy arrays and tensors are both accepted); raises TypeError or
    ValueError with a message that tells the learner how to fix the input.
    """
    if isinstance(x, (list, tuple)):
        raise TypeError(f"{name}: expected a numpy array or torch tensor, got a {type(x).__name__}: "
                        f"wrap it with np.asarray({name}, dtype=np.float32)")
    if not isinstance(x, (np.ndarray, torch.Tensor)):
        raise TypeError(f"{name}: expected a numpy array or torch tensor, got {_describe(x)}")
    is_float = x.is_floating_point() if isinstance(x, torch.Tensor) else np.issubdtype(x.dtype, np.floating)
    if not is_float:
        raise TypeError(f"{name}: expected floating-point values, got dtype {x.dtype}: "
                        f"convert with {name}.astype(np.float32) (numpy) or {name}.float() (torch)")
    if x.ndim != ndim:
        hint = " flatten images first, e.g. x.reshape(len(x), -1)" if x.ndim > ndim else \
            " add a batch dimension, e.g. x.reshape(1, -1)" if x.ndim == ndim - 1 else ""
        shape = "(n_samples, n_features)" if ndim == 2 else f"{ndim} dimensions"
        raise ValueError(f"{name}: expected a {ndim}-D array {shape}, got shape {tuple(x.shape)}:{hint}")
    if not allow_empty and (x.shape[0] == 0 or (ndim > 1 and x.shape[1] == 0)):
        raise ValueError(f"{name}: expected at least one sample and one feature, got shape {tuple(x.shape)}: "
                         "check that the data loaded and the split is not empty")
    if n_features is not None and x.shape[-1] != n_features:
        raise ValueError(f"{name}: expected {n_features} features per sample, got {x.shape[-1]} "
                         f"(shape {tuple(x.shape)}): the model and the data must agree on the input size")
    finite = bool(torch.isfinite(x).all()) if isinstance(x, torch.Tensor) else bool(np.isfinite(x).all())
    if not finite:
        raise ValueError(f"{name}: expected finite values, got NaN or inf: "
                         f"find them with np.isfinite({name}) and drop or impute those entries")
    return x


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Check an integer >= `minimum` (bools are refused) and return it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer >= {minimum}, got {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def check_number(value, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """Check a real number within [low, high] (open ends where asked) and return it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
        raise TypeError(f"{name}: expected a finite real number, got {_describe(value)}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = ("(" if low_open else "[") + f"{lo}, {hi}" + (")" if high_open else "]")
        raise ValueError(f"{name}: expected a number in {interval}, got {value:g}")
    return value


def check_choice(value, name: str, choices) -> str:
    """Check that `value` is one of `choices` and return it."""
    if value not in choices:
        known = sorted(choices, key=str)
        raise ValueError(f"{name}: expected one of {known}, got {value!r}")
    return value
