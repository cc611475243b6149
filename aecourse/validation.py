"""Input validation shared by every public function.

Each error says what was expected, what was given and what to do, so a learner can fix
the call without reading the library's source. The `check_*` functions return what they checked; the `as_*`
converters return it converted (`as_numpy`, `as_tensor`), so a public function validates and converts in one line:

    x = as_numpy(x, "x", dtype=np.float64)          y = check_labels(y, "y", len(x))
    bits = check_bits(bits, "bits", n_bits=16)      radius = check_radius(radius, 16)
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
    if hasattr(x, "x_train") and hasattr(x, "x_test"):
        raise TypeError(f"{name}: expected a numpy array or torch tensor, got a {type(x).__name__}: pass its "
                        f"images, e.g. digits.x_train (training) or digits.x_test")
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


# --------------------------------------------------------------------------------------------- converters
def to_numpy(x):
    """A tensor as a numpy array (detached, on the CPU); anything else unchanged."""
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x


def as_numpy(x, name: str = "x", *, dtype=None, n_features: int | None = None, ndim: int = 2,
             allow_empty: bool = False) -> np.ndarray:
    """Check a data matrix like `check_data` and return it as a numpy array (of `dtype`, when given).

    Tensors are detached and copied to the CPU, so GPU results and tensors that require grad both work.
    >>> as_numpy(torch.zeros(2, 3), dtype=np.float64).dtype
    dtype('float64')
    """
    check_data(x, name, ndim=ndim, n_features=n_features, allow_empty=allow_empty)
    return np.asarray(to_numpy(x), dtype=dtype)


def as_tensor(x, name: str = "x", *, device: torch.device | str | None = None, dtype=torch.float32,
              n_features: int | None = None) -> torch.Tensor:
    """Check a data matrix like `check_data` and return it as a tensor on `device` (default: where it is).

    `dtype=None` keeps the input's floating-point dtype.
    """
    check_data(x, name, n_features=n_features)
    t = torch.as_tensor(x) if isinstance(x, np.ndarray) else x
    return t.to(device=device or t.device, dtype=dtype or t.dtype)


def check_codes(h, name: str = "h") -> torch.Tensor:
    """Check a torch tensor of codes (n_samples, n_units) that gradients flow through, and return it."""
    if not isinstance(h, torch.Tensor):
        raise TypeError(f"{name}: expected a torch tensor of codes (n_samples, n_units), got {_describe(h)}: "
                        "pass model.encode(x), not a numpy array, so gradients can flow")
    return check_data(h, name)


def check_labels(y, name: str, n: int) -> np.ndarray:
    """Check one label per item (numpy, torch or a list) and return them as a 1-D numpy array of length n."""
    y = np.asarray(y) if isinstance(y, (list, tuple)) else to_numpy(y)
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{name}: expected a 1-D numpy array of labels, got {_describe(y)}")
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{name}: expected one label per item, shape ({n},), got shape {y.shape}: pass the labels "
                         "of the same items, in the same order (one per row of the codes)")
    return y


# --------------------------------------------------------------------------------------------- bits
def packed_width(n_bits: int) -> int:
    """Bytes a code of `n_bits` bits takes when packed 8 to a byte: ceil(n_bits / 8)."""
    return (n_bits + 7) // 8


def check_bits(bits, name: str = "bits", n_bits: int | None = None) -> np.ndarray:
    """Check an (n, b) array of 0/1 (uint8 or bool, numpy or torch) and return it as uint8 numpy."""
    bits = to_numpy(bits)
    if not isinstance(bits, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array of 0/1 bits of shape (n_items, n_bits), got {_describe(bits)}")
    if np.issubdtype(bits.dtype, np.floating):
        raise TypeError(f"{name}: expected bits of dtype uint8 or bool, got floating-point codes ({bits.dtype}): "
                        f"turn them into bits first with binarize({name})")
    if bits.dtype != np.bool_ and not np.issubdtype(bits.dtype, np.integer):
        raise TypeError(f"{name}: expected bits of dtype uint8 or bool, got dtype {bits.dtype}")
    if bits.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (n_items, n_bits), got shape {bits.shape}: "
                         f"for a single code use {name}.reshape(1, -1)")
    if n_bits is not None and bits.shape[1] != n_bits:
        raise ValueError(f"{name}: expected {n_bits} bits per code, got {bits.shape[1]} (shape {bits.shape}): "
                         "queries and database must use codes of the same length")
    if bits.size and (bits.min() < 0 or bits.max() > 1):
        raise ValueError(f"{name}: expected bits equal to 0 or 1, got values in [{bits.min()}, {bits.max()}]: "
                         f"binarize float codes with binarize(codes); unpack packed codes with unpack_bits")
    return bits.astype(np.uint8, copy=False)


def check_packed(packed, name: str = "packed", n_bits: int | None = None, n_bytes: int | None = None) -> np.ndarray:
    """Check an (n, ceil(b/8)) uint8 array of packed codes whose padding bits are zero, and return it as numpy."""
    packed = to_numpy(packed)
    if not isinstance(packed, np.ndarray):
        raise TypeError(f"{name}: expected a numpy uint8 array of packed codes, got {_describe(packed)}")
    if packed.dtype != np.uint8:
        hint = f"binarize float codes with binarize({name}), then pack_bits" \
            if np.issubdtype(packed.dtype, np.floating) else "pack 0/1 bits with pack_bits(bits)"
        raise TypeError(f"{name}: expected packed codes of dtype uint8, got dtype {packed.dtype}: {hint}")
    if packed.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (n_items, n_bytes), got shape {packed.shape}: "
                         f"for a single code use {name}.reshape(1, -1)")
    if n_bits is not None:
        n_bytes = (n_bits + 7) // 8
    if n_bytes is not None and packed.shape[1] != n_bytes:
        what = f"{n_bits}-bit codes packed into {n_bytes} bytes" if n_bits is not None else f"{n_bytes} bytes per code"
        raise ValueError(f"{name}: expected {what}, got {packed.shape[1]} bytes per code (shape {packed.shape}): "
                         "queries and database must use codes of the same length")
    if n_bits is not None and n_bits % 8 and packed.size:
        padding = np.uint8((1 << (8 - n_bits % 8)) - 1)
        if np.any(packed[:, -1] & padding):
            raise ValueError(f"{name}: the {8 - n_bits % 8} padding bits after bit {n_bits} must be 0, got set bits: "
                             "pack the codes with pack_bits(bits), or check n_bits")
    return packed


def check_radius(radius, n_bits: int) -> int:
    """Check a Hamming radius, an integer in [0, n_bits], and return it."""
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)):
        raise TypeError(f"radius: expected an integer number of bits in [0, {n_bits}], got {_describe(radius)}")
    if not 0 <= radius <= n_bits:
        raise ValueError(f"radius: expected an integer in [0, {n_bits}] (the code has {n_bits} bits), got {radius}")
    return int(radius)
