"""One training loop for every lesson: `fit(model, x, ...)`.

Each step minimises  L(x, g(f(x~))) + Omega(model, x~, h)  where x~ = corrupt(x) (x itself when no corruption
is given), h = f(x~) and Omega is the sum of the given penalties (lessons 02-04). The loop shows a progress bar
(a widget in Jupyter, text in a terminal), records one loss per epoch and calls callbacks after each epoch.
"""
from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .device import get_device, seed_everything
from .validation import as_tensor, check_choice, check_codes, check_number, check_positive_int, to_numpy

Callback = Callable[[int, nn.Module, "History"], object]


@dataclass(frozen=True)
class Penalty:
    """The contract of `fit(penalty=...)`: a regulariser called as `penalty(model, x_in, h) -> scalar tensor`.

    The library's penalties (`L1Activity`, `KLSparsity`, `Contractive`, `BitBalance`) are frozen dataclasses
    deriving from this one: their settings are checked once, when built; `check(model, x_in, h)` checks the
    codes once, on `fit`'s first batch; `__call__` then checks nothing, since every check of a GPU tensor waits
    for the GPU and `fit` calls it on every batch. Their functional twins (`l1_activity(h, lam)`, ...) check
    every input. `needs_input_grad = True` makes `fit` hand over an x_in that requires grad (for penalties that
    differentiate h with respect to x). Any plain function with the same signature works too.
    """
    needs_input_grad: ClassVar[bool] = False

    def check(self, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor) -> None:
        check_codes(h)

    def __call__(self, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


@dataclass(frozen=True)
class Corruption:
    """The contract of `fit(corrupt=...)`: `corrupt(x, generator) -> x~`, the input the encoder sees.

    The library's corruptions (`GaussianNoise`, `MaskingNoise`, `SaltAndPepperNoise`) are frozen dataclasses
    deriving from this one, settings checked once when built, each with a functional twin that checks its input
    (`gaussian_noise(x, sigma)`, ...); `NeighbourSwap` derives from it too, a plain class since it holds its
    training items. Random numbers come from `generator` (a CPU `torch.Generator`), so `fit`'s seed fixes the
    corruption.
    """

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError


LOSSES = {
    "mse": lambda r, x: ((r - x) ** 2).mean(),
    "bce": lambda r, x: nn.functional.binary_cross_entropy(r.clamp(1e-7, 1 - 1e-7), x),
}


@dataclass
class History:
    """Per-epoch means: `loss` (the whole objective), `reconstruction`, `penalty`, and `val_loss` when
    validation data was given. `stopped_early` is True when a callback asked to stop."""
    loss: list[float] = field(default_factory=list)
    reconstruction: list[float] = field(default_factory=list)
    penalty: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    stopped_early: bool = False

    def __len__(self) -> int:
        return len(self.loss)


def model_device(model: nn.Module) -> torch.device:
    """The device the model's parameters live on (CPU for a model without parameters) (lesson 01)."""
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def fit(model: nn.Module, x, *, epochs: int = 50, batch_size: int = 64, lr: float = 1e-2,
        weight_decay: float = 0.0, optimizer: str = "adam", loss: str | Callable = "mse",
        penalty: Penalty | Sequence[Penalty] | None = None, corrupt: Corruption | None = None,
        callbacks: Sequence[Callback] = (), x_val=None, seed: int = 0, device: str | torch.device | None = None,
        progress: bool = True) -> History:
    """Train an autoencoder `model` (with `encode` and `decode`) to reconstruct `x` (n_samples, n_features) (lesson 00).

    `penalty` is one callable `Omega(model, x_in, h) -> scalar` or a list of them (summed); `corrupt(x, generator)`
    returns the corrupted input x~ that the encoder sees, while the loss still compares with the clean x.
    `callbacks` are called as `callback(epoch, model, history)` after each epoch; one that returns True stops
    training. The model is moved to `device` (default `get_device()`) and stays there.

    >>> history = fit(make_autoencoder(64, [32], 8), load_digits().x_train, epochs=5)
    """
    epochs, batch_size, lr, weight_decay = _check_settings(model, epochs, batch_size, lr, weight_decay, optimizer)
    loss_fn = loss if callable(loss) else LOSSES[check_choice(loss, "loss", LOSSES)]
    penalties = [] if penalty is None else list(penalty) if isinstance(penalty, (list, tuple)) else [penalty]
    _check_callables(penalties, corrupt, callbacks)
    device = get_device(device) if device is None or isinstance(device, str) else device
    n_inputs = getattr(model, "n_inputs", None)
    data = as_tensor(x, "x", device=device, n_features=n_inputs)
    _warn_if_raw_pixels(data)
    val = None if x_val is None else as_tensor(x_val, "x_val", device=device, n_features=data.shape[1])
    generator = seed_everything(seed)
    model.to(device)
    opt = make_optimizer(optimizer, model, lr=lr, weight_decay=weight_decay)
    needs_grad = any(getattr(p, "needs_input_grad", False) for p in penalties)

    history = History()
    n = len(data)
    steps = math.ceil(n / batch_size)
    bar = _progress_bar(epochs, progress)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator).to(device)
        sums = torch.zeros(3, device=device)
        for step in range(steps):
            batch = data[order[step * batch_size:(step + 1) * batch_size]]
            x_in = corrupt(batch, generator) if corrupt is not None else batch
            if needs_grad:
                x_in = x_in.detach().requires_grad_(True)
            h = model.encode(x_in)
            reconstruction = loss_fn(model.decode(h), batch)
            omega = _penalty_sum(penalties, model, x_in, h, first=epoch == 0 and step == 0) if penalties \
                else torch.zeros((), device=device)
            total = reconstruction + omega if penalties else reconstruction
            opt.zero_grad(set_to_none=True)
            total.backward()
            opt.step()
            sums += torch.stack([total.detach(), reconstruction.detach(), omega.detach()])
        for key, value in zip(("loss", "reconstruction", "penalty"), (sums / steps).tolist()):
            getattr(history, key).append(float(value))
        if val is not None:
            model.eval()
            with torch.no_grad():
                history.val_loss.append(float(loss_fn(model(val), val)))
        bar.update(1)
        bar.set_postfix(loss=f"{history.loss[-1]:.4f}")
        if any([cb(epoch, model, history) is True for cb in callbacks]):
            history.stopped_early = True
            break
    bar.close()
    model.eval()
    return history


OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


def make_optimizer(name: str, model: nn.Module, *, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """`fit`'s optimiser ("adam" or "sgd") over the model's parameters, in torch's fused implementation where the
    parameters' device has one (CUDA; CPU from torch 2.4): the same update rule, computed for all parameters in one
    kernel per step instead of a few small operations per tensor. On the digits' models a step takes about 15 % less
    CPU time (benchmarks/fit_overhead.py); the results agree with the default implementation to rounding (float32)."""
    opt_class = OPTIMIZERS[check_choice(name, "optimizer", OPTIMIZERS)]
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch nn.Module (e.g. make_autoencoder(...)), got {type(model).__name__}")
    lr = check_number(lr, "lr", low=0.0, low_open=True)
    weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
    params = list(model.parameters())
    try:
        return opt_class(params, lr=lr, weight_decay=weight_decay, fused=True)
    except RuntimeError:    # "`fused=True` requires all the params to be ... Tensors of supported devices"
        return opt_class(params, lr=lr, weight_decay=weight_decay)


def _check_settings(model, epochs, batch_size, lr, weight_decay, optimizer) -> tuple[int, int, float, float]:
    """`fit`'s model and optimiser settings, checked; returns (epochs, batch_size, lr, weight_decay)."""
    for name in ("encode", "decode"):
        if not callable(getattr(model, name, None)):
            raise TypeError(f"model: expected an autoencoder with encode() and decode() methods, got "
                            f"{type(model).__name__}: build one with make_autoencoder(...) or Autoencoder(enc, dec)")
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    return (check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size"),
            check_number(lr, "lr", low=0.0, low_open=True), check_number(weight_decay, "weight_decay", low=0.0))


SIGNATURES = {"penalty": ("penalty(model, x_in, h) -> scalar tensor", 3),
              "corrupt": ("corrupt(x, generator) -> x~", 2),
              "callbacks": ("callback(epoch, model, history)", 3)}


def _check_callables(penalties: list, corrupt, callbacks) -> None:
    """Each penalty, the corruption and each callback is a callable that takes `fit`'s arguments."""
    for kind, fns in (("penalty", penalties), ("corrupt", [] if corrupt is None else [corrupt]),
                      ("callbacks", list(callbacks))):
        signature, n_args = SIGNATURES[kind]
        for fn in fns:
            if not callable(fn):
                raise TypeError(f"penalty, corrupt and callbacks must be callables, got {type(fn).__name__} for "
                                f"{kind}: expected {signature}")
            try:
                inspect.signature(fn).bind(*range(n_args))
            except TypeError:
                name = getattr(fn, "__name__", type(fn).__name__)
                raise TypeError(f"{kind}: fit calls it as {signature}, but {name} takes {inspect.signature(fn)}: "
                                "give it that signature (it may ignore arguments it does not need)") from None
            except ValueError:      # a builtin without a readable signature: trust it
                pass


def _warn_if_raw_pixels(data: torch.Tensor) -> None:
    """Whole numbers from 0 to more than 2 look like raw pixel intensities (0..16 digits, 0..255 MNIST)."""
    low, high = float(data.min()), float(data.max())
    if low >= 0 and high > 2 and bool((data == data.round()).all()):
        warnings.warn(f"x: values are whole numbers in [0, {high:g}], like raw pixel intensities; the course's models "
                      "expect inputs in [0, 1] (their output is a sigmoid): divide by 255 (MNIST) or 16 (sklearn "
                      "digits) first", UserWarning, stacklevel=3)


def _penalty_sum(penalties: list, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor, first: bool) -> torch.Tensor:
    """Omega = the sum of the penalties; on the first batch `Penalty.check` runs and the values are inspected."""
    total = None
    for p in penalties:
        if first and isinstance(p, Penalty):
            p.check(model, x_in, h)
        value = p(model, x_in, h)
        if first and not (isinstance(value, torch.Tensor) and value.ndim == 0):
            got = f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else \
                f"a {type(value).__name__}"
            raise TypeError(f"penalty: {p!r} must return a scalar torch tensor computed from h (or the model), so "
                            f"fit can backpropagate through it; it returned {got}: stay in torch (no .item(), "
                            "float() or numpy) and reduce with .sum() or .mean()")
        total = value if total is None else total + value
    return total


def _progress_bar(epochs: int, enabled: bool):
    return tqdm(total=epochs, desc="training", unit="epoch", disable=not enabled, leave=False)


@torch.no_grad()
def _apply_in_batches(step: Callable, model: nn.Module, x, batch_size: int) -> np.ndarray:
    """`step(batch)` over `x` in batches, in eval mode on the model's device, gathered as one numpy array."""
    model.eval()
    data = as_tensor(x, "x", device=model_device(model), n_features=getattr(model, "n_inputs", None))
    return to_numpy(torch.cat([step(data[i:i + batch_size]) for i in range(0, len(data), batch_size)]))


def encode(model: nn.Module, x, batch_size: int = 4096) -> np.ndarray:
    """The codes h = f(x) as a numpy array, computed in eval mode on the model's device (lesson 02)."""
    return _apply_in_batches(model.encode, model, x, batch_size)


def reconstruct(model: nn.Module, x, batch_size: int = 4096) -> np.ndarray:
    """The reconstructions r = g(f(x)) as a numpy array, computed in eval mode on the model's device (lesson 00)."""
    return _apply_in_batches(model, model, x, batch_size)
