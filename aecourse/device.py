"""Where the course computes, and how it is made repeatable.

`get_device()` picks CUDA, then Apple MPS, then the CPU; `AECOURSE_DEVICE=cpu|cuda|mps` overrides the
choice, and asking for a device that is not there warns and falls back to the CPU.

`configure_threads()` (called once by `seed_everything`, so by every `fit`) runs torch's CPU work on one
thread: the course's models are tiny, a second thread saves at most about 12 % on an idle machine, and beside
another busy process thread pools fighting for the cores made training 14 times slower or worse
(benchmarks/results/threads.md). `AECOURSE_THREADS=N` asks for N threads, `AECOURSE_THREADS=torch` keeps
torch's own choice.
"""
from __future__ import annotations

import os
import random
import warnings

import numpy as np
import torch

from .validation import check_positive_int

DEVICE_ENV = "AECOURSE_DEVICE"
THREADS_ENV = "AECOURSE_THREADS"
KNOWN_DEVICES = ("cpu", "cuda", "mps")


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    return kind == "cpu"


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device to use: `prefer`, else $AECOURSE_DEVICE, else cuda > mps > cpu (lesson 00).

    >>> get_device("cpu")
    device(type='cpu')
    """
    requested = prefer if prefer is not None else os.environ.get(DEVICE_ENV, "").strip().lower() or None
    if requested is not None:
        if isinstance(requested, torch.device):
            requested = requested.type
        if requested not in KNOWN_DEVICES:
            source = "prefer" if prefer is not None else f"${DEVICE_ENV}"
            raise ValueError(f"{source}: expected one of {list(KNOWN_DEVICES)}, got {requested!r}: "
                             f"unset {DEVICE_ENV} to let the course choose")
        if _available(requested):
            return torch.device(requested)
        warnings.warn(f"device {requested!r} was asked for but is not available on this machine; "
                      "falling back to the CPU", RuntimeWarning, stacklevel=2)
        return torch.device("cpu")
    for kind in ("cuda", "mps"):
        if _available(kind):
            return torch.device(kind)
    return torch.device("cpu")


def describe_device(device: torch.device | None = None) -> str:
    """One sentence on the device in use and why it was chosen (lesson 00)."""
    device = get_device() if device is None else torch.device(device)
    override = os.environ.get(DEVICE_ENV)
    why = f"because {DEVICE_ENV}={override}" if override else "chosen automatically (cuda > mps > cpu)"
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        return f"GPU ({name}), {why}"
    if device.type == "mps":
        return f"Apple GPU (MPS), {why}"
    return f"CPU with {torch.get_num_threads()} threads, {why}"


_threads_configured = False


def configure_threads(force: bool = False) -> int:
    """Set torch's CPU threads from $AECOURSE_THREADS (default 1; "torch": leave torch's choice) and return the
    number in use. Only the first call acts (so a later `torch.set_num_threads` of yours stands), unless `force`."""
    global _threads_configured
    if _threads_configured and not force:
        return torch.get_num_threads()
    wanted = os.environ.get(THREADS_ENV, "1").strip().lower()
    if wanted != "torch":
        if not wanted.isdigit() or int(wanted) < 1:
            raise ValueError(f"${THREADS_ENV}: expected a positive number of CPU threads or 'torch', got "
                             f"{wanted!r}: unset it to use one thread")
        torch.set_num_threads(int(wanted))
    _threads_configured = True
    return torch.get_num_threads()


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's `random`, NumPy's global generator and torch (CPU and CUDA) with one call (lesson 00).

    Returns a CPU `torch.Generator` seeded with the same value, for code that wants its own stream.
    """
    seed = check_positive_int(seed, "seed", minimum=0)
    configure_threads()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
