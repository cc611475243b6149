"""Regularisers Omega(model, x_in, h) that keep an autoencoder from copying (lessons 02 and 03).

Each penalty is a `training.Penalty` (a frozen dataclass called as `penalty(model, x_in, h) -> scalar tensor`), so
they combine freely: `fit(model, x, penalty=[KLSparsity(0.05, 3), Contractive(0.1)], corrupt=MaskingNoise(0.25))`.
Each object has a functional twin that works on tensors (like `torch.nn` and `torch.nn.functional`):

    sparsity (02)     L1Activity(lam)        l1_activity(h, lam)          = lam * mean_n sum_i |h_ni|
                      KLSparsity(rho, beta)  kl_sparsity(h, rho, beta)    = beta * sum_j KL(rho || rho_hat_j)
    contraction (03)  Contractive(lam)       contractive_sigmoid(h, W)    = ||J_f(x)||_F^2 for h = sigmoid(Wx + b)
                                             jacobian_frobenius_sq(f, x)  = ||J_f(x)||_F^2 for any encoder f

and the measures lesson 03 uses to see contraction: `jacobian`, `jacobian_singular_values`,
`saturation_fraction` and `contraction_ratio`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .models import Autoencoder
from .training import Penalty
from .validation import check_choice, check_codes, check_data, check_number, check_positive_int

EPS = 1e-6  # keeps log() finite when a unit's mean activation reaches 0 or 1


# ------------------------------------------------------------------------------------------ sparsity (02)

def l1_activity(h: torch.Tensor, lam: float) -> torch.Tensor:
    """L1 activity penalty  lam * sum_i |h_i|, averaged over the examples of the batch (lesson 02).

    >>> l1_activity(torch.tensor([[0.5, -1.0]]), lam=0.1)
    tensor(0.1500)
    """
    return _l1_activity(check_codes(h), check_number(lam, "lam", low=0.0))


def _l1_activity(h: torch.Tensor, lam: float) -> torch.Tensor:
    return lam * h.abs().sum(dim=1).mean()


def bernoulli_kl(rho: float, rho_hat: torch.Tensor) -> torch.Tensor:
    """KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat)), elementwise."""
    rho_hat = rho_hat.clamp(EPS, 1 - EPS)
    return rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))


def kl_sparsity(h: torch.Tensor, rho: float = 0.05, beta: float = 3.0) -> torch.Tensor:
    """KL sparsity penalty (Ng, CS294A)  beta * sum_j KL(rho || rho_hat_j),  rho_hat_j = mean over the batch of h_j
    (lesson 02).

    `h` must be activations in (0, 1), e.g. sigmoid units; the penalty is 0 exactly when every unit's mean
    activation equals the target `rho`.
    """
    h = _check_unit_interval(check_codes(h))
    rho = check_number(rho, "rho", low=0.0, high=1.0, low_open=True, high_open=True)
    return _kl_sparsity(h, rho, check_number(beta, "beta", low=0.0))


def _kl_sparsity(h: torch.Tensor, rho: float, beta: float) -> torch.Tensor:
    return beta * bernoulli_kl(rho, h.mean(dim=0)).sum()


def _check_unit_interval(h: torch.Tensor) -> torch.Tensor:
    if h.min() < 0 or h.max() > 1:
        raise ValueError(f"h: the KL sparsity penalty needs activations in [0, 1], got values in "
                         f"[{h.min().item():.3g}, {h.max().item():.3g}]: use sigmoid code units "
                         "(make_autoencoder(..., code_activation='sigmoid')) or the L1 penalty")
    return h


@dataclass(frozen=True)
class L1Activity(Penalty):
    """Penalty object for `fit`: `L1Activity(lam)(model, x_in, h) = l1_activity(h, lam)` (lesson 02)."""
    lam: float = 1e-3

    def __post_init__(self):
        check_number(self.lam, "lam", low=0.0)

    def __call__(self, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return _l1_activity(h, self.lam)


@dataclass(frozen=True)
class KLSparsity(Penalty):
    """Penalty object for `fit`: `KLSparsity(rho, beta)(model, x_in, h) = kl_sparsity(h, rho, beta)` (lesson 02).

    The codes are checked to lie in [0, 1] on `fit`'s first batch only (a sigmoid code layer keeps them there).
    """
    rho: float = 0.05
    beta: float = 3.0

    def __post_init__(self):
        check_number(self.rho, "rho", low=0.0, high=1.0, low_open=True, high_open=True)
        check_number(self.beta, "beta", low=0.0)

    def check(self, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor) -> None:
        _check_unit_interval(check_codes(h))

    def __call__(self, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return _kl_sparsity(h, self.rho, self.beta)


# --------------------------------------------------------------------------------------- contraction (03)

def contractive_sigmoid(h: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Closed form of ||J_f(x)||_F^2 for a sigmoid encoder h = sigmoid(W x + b), one value per example (lesson 03).

    dh_i/dx_j = h_i (1 - h_i) W_ij, so  ||J||_F^2 = sum_i (h_i (1 - h_i))^2 sum_j W_ij^2.
    `h` is (n, k), `weight` is W with shape (k, d) (an nn.Linear's `.weight`). Returns shape (n,).
    """
    h = check_codes(h)
    if not isinstance(weight, torch.Tensor) or weight.ndim != 2 or weight.shape[0] != h.shape[1]:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(f"weight: expected the encoder's weight W of shape (n_hidden={h.shape[1]}, n_inputs), "
                         f"got {shape}: pass encoder_layer.weight (nn.Linear stores W as (out, in))")
    return _contractive_sigmoid(h, weight)


def _contractive_sigmoid(h: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return ((h * (1 - h)) ** 2) @ (weight ** 2).sum(dim=1)


def _encoder_fn(encoder) -> Callable[[torch.Tensor], torch.Tensor]:
    # An Autoencoder's encode() validates its input with data-dependent checks that torch.func cannot trace,
    # so use its bare encoder network.
    encoder = getattr(encoder, "encoder", encoder)
    if not callable(encoder):
        raise TypeError(f"encoder: expected a callable x -> h (an nn.Module such as model.encoder), "
                        f"got {type(encoder).__name__}")
    return encoder


def jacobian(encoder, x: torch.Tensor) -> torch.Tensor:
    """The Jacobians J_f(x_n) = dh/dx of `encoder` at each example, shape (n, n_hidden, n_inputs).

    Batched with `torch.func.vmap(torch.func.jacrev(f))`: one vectorised reverse pass per code unit, for all
    examples at once. Differentiable, so it can be used inside a training loss.
    """
    f = _encoder_fn(encoder)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x: expected a torch tensor (n_samples, n_inputs), got {type(x).__name__}: "
                        "use torch.as_tensor(x)")
    check_data(x, "x")
    return torch.func.vmap(torch.func.jacrev(lambda v: f(v[None])[0]))(x)


def jacobian_frobenius_sq(encoder, x: torch.Tensor) -> torch.Tensor:
    """||J_f(x)||_F^2 = sum_ij (dh_i/dx_j)^2 for any encoder f, by autograd; one value per example, shape (n,)
    (lesson 03)."""
    return jacobian(encoder, x).pow(2).sum(dim=(1, 2))


def jacobian_singular_values(encoder, x: torch.Tensor) -> torch.Tensor:
    """Singular values of J_f(x) for each example, largest first, shape (n, min(n_hidden, n_inputs)) (lesson 03).

    A value above 1 is a direction in input space that the encoder stretches; a CAE keeps few of them.
    """
    with torch.no_grad():
        return torch.linalg.svdvals(jacobian(encoder, x))


def input_jacobian_frobenius_sq(x_in: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """||dh/dx_in||_F^2 per example from an existing graph h(x_in) (x_in must require grad), differentiable.

    Uses one batched backward pass (`is_grads_batched`) with every unit vector as output gradient; valid because
    each example's code depends only on its own input.
    """
    if not x_in.requires_grad:
        raise ValueError("x_in: expected a tensor with requires_grad=True that h was computed from; fit() does "
                         "this for penalties with needs_input_grad = True")
    k = h.shape[1]
    basis = torch.eye(k, dtype=h.dtype, device=h.device)[:, None, :].expand(k, *h.shape)
    (rows,) = torch.autograd.grad(h, x_in, grad_outputs=basis, is_grads_batched=True, create_graph=True)
    return rows.pow(2).sum(dim=(0, 2))  # rows[i, n, j] = dh_ni / dx_nj


def _sigmoid_layer(model: nn.Module) -> nn.Linear:
    encoder = getattr(model, "encoder", model)
    layers = list(encoder.children()) if isinstance(encoder, nn.Sequential) else [encoder]
    if len(layers) != 2 or not isinstance(layers[0], nn.Linear) or not isinstance(layers[1], nn.Sigmoid):
        raise ValueError("Contractive(method='sigmoid'): the closed form needs a one-layer sigmoid encoder "
                         "h = sigmoid(Wx + b), e.g. make_autoencoder(64, [], 100, code_activation='sigmoid'); "
                         f"got encoder {encoder}; use Contractive(lam, method='autograd') for any other encoder")
    return layers[0]


class TiedDecoder(nn.Module):
    """g(h) = sigmoid(W^T h + c), sharing W with the encoder's `nn.Linear` (tied weights, as in Rifai et al.)."""

    def __init__(self, layer: nn.Linear):
        super().__init__()
        self._layer = [layer]  # a list, so the shared weight is registered once (by the encoder)
        self.bias = nn.Parameter(torch.zeros(layer.in_features))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(h @ self._layer[0].weight + self.bias)


def tied_sigmoid_autoencoder(n_inputs: int, n_hidden: int) -> nn.Module:
    """h = sigmoid(W x + b), r = sigmoid(W^T h + c): the CAE of Rifai et al. (2011) (lesson 03).

    With tied weights the encoder cannot shrink ||J|| by shrinking W (the decoder needs W too), so a contractive
    penalty pushes units into saturation instead, where h (1 - h) is near 0.
    """
    n_inputs, n_hidden = check_positive_int(n_inputs, "n_inputs"), check_positive_int(n_hidden, "n_hidden")
    layer = nn.Linear(n_inputs, n_hidden)
    return Autoencoder(nn.Sequential(layer, nn.Sigmoid()), TiedDecoder(layer))


@dataclass(frozen=True)
class Contractive(Penalty):
    """Penalty object for `fit`: lam * mean_n ||J_f(x_n)||_F^2 (Rifai et al. 2011) (lesson 03).

    method="sigmoid" uses the closed form (one-layer sigmoid encoders only, cheapest); method="autograd"
    differentiates through the encoder, so it works for any encoder (it sets `needs_input_grad`, which makes
    `fit` hand over an x_in that requires grad).
    """
    lam: float = 0.1
    method: str = "sigmoid"

    def __post_init__(self):
        check_number(self.lam, "lam", low=0.0)
        check_choice(self.method, "method", ("sigmoid", "autograd"))

    @property
    def needs_input_grad(self) -> bool:
        return self.method == "autograd"

    def check(self, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor) -> None:
        check_codes(h)
        if self.method == "sigmoid":
            _sigmoid_layer(model)

    def __call__(self, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        if self.method == "sigmoid":
            return self.lam * _contractive_sigmoid(h, _sigmoid_layer(model).weight).mean()
        return self.lam * input_jacobian_frobenius_sq(x_in, h).mean()


# ------------------------------------------------------------------------------- measures of contraction (03)

def saturation_fraction(h, margin: float = 0.05) -> float:
    """Fraction of sigmoid activations within `margin` of 0 or 1 (saturated: their derivative is near 0) (lesson 03)."""
    check_data(h, "h")
    margin = check_number(margin, "margin", low=0.0, high=0.5, low_open=True, high_open=True)
    h = torch.as_tensor(h)
    return float(((h < margin) | (h > 1 - margin)).float().mean())


@torch.no_grad()
def contraction_ratio(encoder, x: torch.Tensor, epsilon: float, generator: torch.Generator | None = None) -> float:
    """Mean ||f(x + e) - f(x)|| / ||e|| over the examples, for random directions e of length `epsilon` (lesson 03).

    For small epsilon this is an average of ||J u|| over random unit vectors u; a contractive encoder keeps it small.
    """
    f = _encoder_fn(encoder)
    check_data(x, "x")
    epsilon = check_number(epsilon, "epsilon", low=0.0, low_open=True)
    u = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    e = epsilon * u / u.norm(dim=1, keepdim=True)
    return float(((f(x + e) - f(x)).norm(dim=1) / epsilon).mean())
