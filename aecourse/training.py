"""One training loop for every lesson: `fit(model, x, ...)`.

Each step minimises  L(x, g(f(x~))) + Omega(model, x~, h)  where x~ = corrupt(x) (x itself when no corruption
is given), h = f(x~) and Omega is the sum of the given penalties (lessons 02-04). The loop shows a progress bar
(a widget in Jupyter, text in a terminal), records one loss per epoch and calls callbacks after each epoch.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .device import get_device, seed_everything
from .validation import check_choice, check_data, check_number, check_positive_int

Penalty = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
Corruption = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
Callback = Callable[[int, nn.Module, "History"], object]

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


def as_tensor(x, name: str = "x", device: torch.device | None = None, n_features: int | None = None) -> torch.Tensor:
    """Validate a data matrix (numpy or torch) and return it as a float32 tensor on `device`."""
    check_data(x, name, n_features=n_features)
    t = torch.as_tensor(x) if isinstance(x, np.ndarray) else x
    return t.to(device=device or t.device, dtype=torch.float32)


def model_device(model: nn.Module) -> torch.device:
    """The device the model's parameters live on (CPU for a model without parameters)."""
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def fit(model: nn.Module, x, *, epochs: int = 50, batch_size: int = 64, lr: float = 1e-2,
        weight_decay: float = 0.0, optimizer: str = "adam", loss: str | Callable = "mse",
        penalty: Penalty | Sequence[Penalty] | None = None, corrupt: Corruption | None = None,
        callbacks: Sequence[Callback] = (), x_val=None, seed: int = 0, device: str | torch.device | None = None,
        progress: bool = True) -> History:
    """Train an autoencoder `model` (with `encode` and `decode`) to reconstruct `x` (n_samples, n_features).

    `penalty` is one callable `Omega(model, x_in, h) -> scalar` or a list of them (summed); `corrupt(x, generator)`
    returns the corrupted input x~ that the encoder sees, while the loss still compares with the clean x.
    `callbacks` are called as `callback(epoch, model, history)` after each epoch; one that returns True stops
    training. The model is moved to `device` (default `get_device()`) and stays there.

    >>> history = fit(make_autoencoder(64, [32], 8), load_digits().x_train, epochs=5)
    """
    for name in ("encode", "decode"):
        if not callable(getattr(model, name, None)):
            raise TypeError(f"model: expected an autoencoder with encode() and decode() methods, got "
                            f"{type(model).__name__}: build one with make_autoencoder(...) or Autoencoder(enc, dec)")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_number(lr, "lr", low=0.0, low_open=True)
    weight_decay = check_number(weight_decay, "weight_decay", low=0.0)
    check_choice(optimizer, "optimizer", ("adam", "sgd"))
    if not callable(loss):
        check_choice(loss, "loss", LOSSES)
    loss_fn = loss if callable(loss) else LOSSES[loss]
    penalties = [] if penalty is None else list(penalty) if isinstance(penalty, (list, tuple)) else [penalty]
    for p in penalties + ([corrupt] if corrupt is not None else []) + list(callbacks):
        if not callable(p):
            raise TypeError(f"penalty, corrupt and callbacks must be callables, got {type(p).__name__}")

    device = get_device(device) if device is None or isinstance(device, str) else device
    n_inputs = getattr(model, "n_inputs", None)
    data = as_tensor(x, "x", device, n_inputs)
    val = None if x_val is None else as_tensor(x_val, "x_val", device, data.shape[1])
    generator = seed_everything(seed)
    model.to(device)
    opt_class = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    opt = opt_class(model.parameters(), lr=lr, weight_decay=weight_decay)
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
            omega = sum(p(model, x_in, h) for p in penalties) if penalties else torch.zeros((), device=device)
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


def _progress_bar(epochs: int, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=epochs, desc="training", unit="epoch", disable=not enabled, leave=False)


@torch.no_grad()
def _apply_in_batches(step: Callable, model: nn.Module, x, batch_size: int) -> np.ndarray:
    """`step(batch)` over `x` in batches, in eval mode on the model's device, gathered as one numpy array."""
    model.eval()
    data = as_tensor(x, "x", model_device(model), getattr(model, "n_inputs", None))
    return torch.cat([step(data[i:i + batch_size]) for i in range(0, len(data), batch_size)]).cpu().numpy()


def encode(model: nn.Module, x, batch_size: int = 4096) -> np.ndarray:
    """The codes h = f(x) as a numpy array, computed in eval mode on the model's device."""
    return _apply_in_batches(model.encode, model, x, batch_size)


def reconstruct(model: nn.Module, x, batch_size: int = 4096) -> np.ndarray:
    """The reconstructions r = g(f(x)) as a numpy array, computed in eval mode on the model's device."""
    return _apply_in_batches(model, model, x, batch_size)
