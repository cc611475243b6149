"""aecourse.penalties: values, gradients (gradcheck in float64), the closed form vs autograd, validation."""
import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from aecourse.data import load_digits
from aecourse.models import make_autoencoder
from aecourse.penalties import (
    Contractive,
    KLSparsity,
    L1Activity,
    contraction_ratio,
    contractive_sigmoid,
    input_jacobian_frobenius_sq,
    jacobian,
    jacobian_frobenius_sq,
    jacobian_singular_values,
    kl_sparsity,
    l1_activity,
    saturation_fraction,
    tied_sigmoid_autoencoder,
)
from aecourse.semantic_hashing import BitBalance
from aecourse.training import Penalty, fit


@pytest.fixture
def codes():
    return torch.sigmoid(2 * torch.randn(12, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64))


def test_l1_value_and_gradcheck(codes):
    h = codes - 0.5  # negative entries too
    assert torch.isclose(l1_activity(h, 0.1), 0.1 * h.abs().sum(1).mean())
    assert torch.autograd.gradcheck(lambda v: l1_activity(v, 0.1), (h.clone().requires_grad_(True),))


def test_kl_value_zero_at_target_and_gradcheck(codes):
    rho_hat = codes.mean(0)
    expected = 3 * (0.05 * torch.log(0.05 / rho_hat) + 0.95 * torch.log(0.95 / (1 - rho_hat))).sum()
    assert torch.isclose(kl_sparsity(codes, 0.05, 3), expected)
    assert abs(kl_sparsity(torch.full((4, 3), 0.2, dtype=torch.float64), 0.2, 3)) < 1e-12
    assert kl_sparsity(codes, 0.05, 3) > 0
    assert torch.autograd.gradcheck(lambda v: kl_sparsity(v, 0.05, 3.0), (codes.clone().requires_grad_(True),))


def test_kl_finite_for_dead_units():
    h = torch.zeros(4, 3, requires_grad=True)
    out = kl_sparsity(h, 0.05, 3.0)
    out.backward()
    assert torch.isfinite(out) and torch.isfinite(h.grad).all()


def test_penalty_objects_match_functions(codes):
    assert torch.isclose(L1Activity(0.2)(None, None, codes), l1_activity(codes, 0.2))
    assert torch.isclose(KLSparsity(0.1, 2.0)(None, None, codes), kl_sparsity(codes, 0.1, 2.0))
    assert "rho=0.1" in repr(KLSparsity(0.1, 2.0)) and "lam=0.2" in repr(L1Activity(0.2))


def test_one_contract_for_every_penalty():
    """Every penalty is a frozen `Penalty` dataclass: settings checked once, codes checked on fit's first batch."""
    for penalty in (L1Activity(0.1), KLSparsity(0.05, 3.0), Contractive(0.1), BitBalance(0.3)):
        assert isinstance(penalty, Penalty) and dataclasses.is_dataclass(penalty)
        with pytest.raises(dataclasses.FrozenInstanceError):
            penalty.lam = 1.0
    assert repr(Contractive(0.1)) == "Contractive(lam=0.1, method='sigmoid')"
    assert not L1Activity(0.1).needs_input_grad and Contractive(0.1, "autograd").needs_input_grad


def test_penalty_objects_check_once_in_fit_and_the_functions_every_call():
    torch.manual_seed(0)
    relu = make_autoencoder(8, [], 4, code_activation="relu")
    x = torch.rand(64, 8)
    h = 3 * torch.rand(64, 4)                                            # outside [0, 1]
    assert torch.isfinite(KLSparsity(0.05, 3.0)(relu, x, h))             # the object alone: no check per batch
    with pytest.raises(ValueError, match=r"activations in \[0, 1\]"):
        kl_sparsity(h, 0.05, 3.0)                                        # the functional form checks
    with pytest.raises(ValueError, match=r"activations in \[0, 1\]"):
        fit(relu, 3 * x.numpy(), epochs=1, progress=False, penalty=KLSparsity(0.05, 3.0))   # fit: first batch


def _sigmoid_encoder(seed=0, d=10, k=6):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, k), nn.Sigmoid()).double()


def test_contractive_closed_form_equals_autograd_float64():
    encoder = _sigmoid_encoder()
    x = torch.rand(20, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    closed = contractive_sigmoid(encoder(x), encoder[0].weight)
    auto = jacobian_frobenius_sq(encoder, x)
    assert closed.shape == auto.shape == (20,)
    assert ((closed - auto).abs() / auto.abs()).max() < 1e-6
    xg = x.clone().requires_grad_(True)
    batched = input_jacobian_frobenius_sq(xg, encoder(xg))
    assert ((batched - auto).abs() / auto.abs()).max() < 1e-6


def test_jacobian_shape_linear_and_tied_model():
    torch.manual_seed(0)
    linear = nn.Linear(5, 3).double()
    x = torch.rand(4, 5, dtype=torch.float64)
    assert jacobian(linear, x).shape == (4, 3, 5)
    assert torch.allclose(jacobian(linear, x), linear.weight.expand(4, 3, 5))
    model = tied_sigmoid_autoencoder(5, 7).double()
    assert jacobian_frobenius_sq(model, x).shape == (4,)  # an Autoencoder is differentiated through .encoder
    assert jacobian_singular_values(model, x).shape == (4, 5)


def test_contractive_penalty_both_methods_agree_and_train():
    model = tied_sigmoid_autoencoder(64, 16)
    x = torch.as_tensor(load_digits().x_train[:64])
    xg = x.clone().requires_grad_(True)
    h = model.encode(xg)
    a, b = Contractive(0.5, "sigmoid")(model, xg, h), Contractive(0.5, "autograd")(model, xg, h)
    assert torch.isclose(a, b, rtol=1e-4)
    assert Contractive(0.5, "autograd").needs_input_grad and not Contractive(0.5).needs_input_grad
    deep = make_autoencoder(64, [16], 8, activation="tanh")
    history = fit(deep, x, epochs=2, penalty=Contractive(0.1, "autograd"), progress=False)
    assert all(np.isfinite(history.penalty)) and history.penalty[0] > 0


def test_saturation_fraction_and_contraction_ratio():
    h = torch.tensor([[0.01, 0.5, 0.99, 0.2]])
    assert saturation_fraction(h) == 0.5
    torch.manual_seed(0)
    linear = nn.Linear(6, 6, bias=False)
    with torch.no_grad():
        linear.weight.copy_(0.3 * torch.eye(6))
    x = torch.rand(10, 6)
    for eps in (1e-3, 1.0):
        assert contraction_ratio(linear, x, eps, torch.Generator().manual_seed(0)) == pytest.approx(0.3, rel=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda: l1_activity(np.ones((2, 3)), 0.1), "torch tensor"),
    (lambda: l1_activity(torch.ones(3), 0.1), "2-D array"),
    (lambda: l1_activity(torch.ones(2, 3), -1), "lam"),
    (lambda: kl_sparsity(torch.ones(2, 3) * 2, 0.05, 3), "activations in [0, 1]"),
    (lambda: KLSparsity(rho=1.5), "rho"),
    (lambda: KLSparsity(rho=0.0), "rho"),
    (lambda: Contractive(0.1, method="exact"), "method"),
    (lambda: contractive_sigmoid(torch.rand(2, 3), torch.rand(4, 5)), "shape (n_hidden=3, n_inputs)"),
    (lambda: Contractive(0.1)(make_autoencoder(8, [4], 2), torch.rand(2, 8), torch.rand(2, 2)),
     "one-layer sigmoid encoder"),
    (lambda: input_jacobian_frobenius_sq(torch.rand(2, 3), torch.rand(2, 3)), "requires_grad"),
    (lambda: saturation_fraction(torch.rand(2, 3), margin=0.7), "margin"),
    (lambda: contraction_ratio(nn.Identity(), torch.rand(2, 3), 0.0), "epsilon"),
    (lambda: jacobian("not a model", torch.rand(2, 3)), "callable"),
])
def test_bad_input_messages(call, message):
    with pytest.raises((TypeError, ValueError)) as err:
        call()
    assert message in str(err.value)
