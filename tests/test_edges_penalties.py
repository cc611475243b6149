"""aecourse.penalties at its edges: each penalty's weight against its formula on hand-worked numbers, the clamp that
keeps KL finite, the inclusive and open bounds of every setting, and each error message in full."""
import math

import pytest
import torch
from torch import nn

from aecourse.models import make_autoencoder
from aecourse.penalties import (
    EPS,
    Contractive,
    KLSparsity,
    L1Activity,
    TiedDecoder,
    bernoulli_kl,
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

H = torch.tensor([[0.5, -1.0, 0.0], [2.0, 0.25, -0.25]], dtype=torch.float64)


def kl(rho, q):
    return rho * math.log(rho / q) + (1 - rho) * math.log((1 - rho) / (1 - q))


def test_l1_weight_and_per_example_mean():
    # lam * mean_n sum_i |h_ni| = 0.1 * (1.5 + 2.5) / 2
    assert l1_activity(H, 0.1).item() == pytest.approx(0.2, rel=1e-12)
    assert L1Activity(0.3)(None, None, H).item() == pytest.approx(0.6, rel=1e-12)
    assert L1Activity().lam == 1e-3 and l1_activity(H, 0.0).item() == 0.0
    assert repr(L1Activity(0.25)) == "L1Activity(lam=0.25)"


def test_kl_weight_against_the_bernoulli_formula():
    h = torch.tensor([[0.1, 0.6], [0.3, 0.2]], dtype=torch.float64)      # rho_hat = (0.2, 0.4)
    expected = 2.5 * (kl(0.05, 0.2) + kl(0.05, 0.4))
    assert kl_sparsity(h, 0.05, 2.5).item() == pytest.approx(expected, rel=1e-12)
    assert KLSparsity(0.05, 2.5)(None, None, h).item() == pytest.approx(expected, rel=1e-12)
    assert kl_sparsity(h).item() == pytest.approx(3.0 * (kl(0.05, 0.2) + kl(0.05, 0.4)), rel=1e-12)  # defaults
    assert KLSparsity().rho == 0.05 and KLSparsity().beta == 3.0
    assert kl_sparsity(h, 0.05, 0.0).item() == 0.0
    assert repr(KLSparsity(0.1, 2.0)) == "KLSparsity(rho=0.1, beta=2.0)"


def test_bernoulli_kl_clamps_rho_hat_to_eps():
    assert EPS == 1e-6
    values = bernoulli_kl(0.05, torch.tensor([0.0, 1.0, 0.3], dtype=torch.float64))
    assert values.tolist() == pytest.approx([kl(0.05, EPS), kl(0.05, 1 - EPS), kl(0.05, 0.3)], rel=1e-12)
    # activations exactly 0 and 1 are allowed, and the penalty is finite
    dead = torch.tensor([[0.0, 1.0], [0.0, 1.0]], dtype=torch.float64)
    assert kl_sparsity(dead, 0.05, 1.0).item() == pytest.approx(kl(0.05, EPS) + kl(0.05, 1 - EPS), rel=1e-12)


def test_kl_refuses_activations_just_outside_zero_one():
    for bad in (-1e-3, 1.001):
        with pytest.raises(ValueError) as info:
            kl_sparsity(torch.tensor([[0.5, bad]]), 0.05, 3.0)
        assert str(info.value).startswith("h: the KL sparsity penalty needs activations in [0, 1], got values in [")
        assert str(info.value).endswith("use sigmoid code units (make_autoencoder(..., "
                                        "code_activation='sigmoid')) or the L1 penalty")


def test_contractive_weight_against_the_closed_form():
    w = torch.tensor([[1.0, 2.0], [0.0, 3.0], [1.0, 1.0]], dtype=torch.float64)   # (k=3, d=2)
    h = torch.tensor([[0.5, 0.2, 0.9], [0.1, 0.5, 0.5]], dtype=torch.float64)
    row_sq = [5.0, 9.0, 2.0]
    expected = [sum((hi * (1 - hi)) ** 2 * r for hi, r in zip(row, row_sq)) for row in h.tolist()]
    assert contractive_sigmoid(h, w).tolist() == pytest.approx(expected, rel=1e-12)
    encoder = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid()).double()
    with torch.no_grad():
        encoder[0].weight.copy_(w)
    model = make_autoencoder(2, [], 3, code_activation="sigmoid").double()
    model.encoder = encoder
    x = torch.tensor([[0.3, -0.2], [1.0, 0.5]], dtype=torch.float64)
    h = model.encode(x)
    expected = contractive_sigmoid(h, w).mean()
    assert Contractive(0.7)(model, x, h).item() == pytest.approx(0.7 * expected.item(), rel=1e-12)
    xg = x.clone().requires_grad_(True)
    hg = model.encode(xg)
    assert Contractive(0.7, "autograd")(model, xg, hg).item() == pytest.approx(0.7 * expected.item(), rel=1e-10)
    assert Contractive().lam == 0.1 and Contractive().method == "sigmoid"
    assert repr(Contractive(0.5, "autograd")) == "Contractive(lam=0.5, method='autograd')"


def test_jacobian_entries_of_a_sigmoid_layer():
    encoder = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()).double()
    x = torch.tensor([[0.1, -0.4, 0.7]], dtype=torch.float64)
    h = encoder(x)[0]
    expected = (h * (1 - h))[:, None] * encoder[0].weight
    assert torch.allclose(jacobian(encoder, x)[0], expected, atol=1e-12)
    assert jacobian_frobenius_sq(encoder, x).detach().item() == pytest.approx(float(expected.detach().pow(2).sum()),
                                                                              rel=1e-10)
    s = torch.linalg.svdvals(expected)
    assert torch.allclose(jacobian_singular_values(encoder, x)[0], s, atol=1e-12)
    assert not jacobian_singular_values(encoder, x).requires_grad


def test_input_jacobian_is_summed_per_example():
    linear = nn.Linear(3, 2, bias=False).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]]))
    x = torch.rand(4, 3, dtype=torch.float64, requires_grad=True)
    values = input_jacobian_frobenius_sq(x, linear(x))
    assert values.shape == (4,) and torch.allclose(values, torch.full((4,), 7.0, dtype=torch.float64))
    assert values.requires_grad                                   # differentiable: usable in a loss


def test_tied_decoder_uses_the_transposed_encoder_weight():
    model = tied_sigmoid_autoencoder(4, 3).double()
    layer = model.encoder[0]
    assert isinstance(model.decoder, TiedDecoder) and model.decoder.bias.shape == (4,)
    assert sum(p.numel() for p in model.parameters()) == 4 * 3 + 3 + 4      # W shared, registered once
    with torch.no_grad():
        model.decoder.bias.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))
    x = torch.rand(5, 4, dtype=torch.float64)
    h = torch.sigmoid(x @ layer.weight.T + layer.bias)
    assert torch.allclose(model.encode(x), h)
    assert torch.allclose(model(x), torch.sigmoid(h @ layer.weight + model.decoder.bias))


def test_saturation_fraction_margin_is_strict_and_open():
    h = torch.tensor([[0.049, 0.05, 0.5, 0.95, 0.951, 0.2]], dtype=torch.float64)
    assert saturation_fraction(h) == pytest.approx(2 / 6)
    assert saturation_fraction(h, margin=0.2) == pytest.approx(4 / 6)
    assert saturation_fraction(h.numpy(), margin=0.499) == pytest.approx(5 / 6)
    for margin in (0.0, 0.5):
        with pytest.raises(ValueError, match=r"margin: expected a number in \(0, 0.5\), got"):
            saturation_fraction(h, margin=margin)


def test_contraction_ratio_scales_with_the_encoder_and_not_with_epsilon():
    linear = nn.Linear(4, 4, bias=True).double()
    with torch.no_grad():
        linear.weight.copy_(2.0 * torch.eye(4))
    x = torch.rand(8, 4, dtype=torch.float64)
    for eps in (1e-4, 0.5, 10.0):
        assert contraction_ratio(linear, x, eps, torch.Generator().manual_seed(1)) == pytest.approx(2.0, rel=1e-9)
    model = make_autoencoder(4, [], 4).double()
    model.encoder = linear
    assert contraction_ratio(model, x, 0.1, torch.Generator().manual_seed(1)) == pytest.approx(2.0, rel=1e-9)


@pytest.mark.parametrize("call, error, message", [
    (lambda: l1_activity(H.numpy(), 0.1), TypeError,
     "h: expected a torch tensor of codes (n_samples, n_units), got a numpy array of shape (2, 3) and dtype "
     "float64: pass model.encode(x), not a numpy array, so gradients can flow"),
    (lambda: l1_activity(H, -0.1), ValueError, "lam: expected a number in [0, inf], got -0.1"),
    (lambda: L1Activity(-0.1), ValueError, "lam: expected a number in [0, inf], got -0.1"),
    (lambda: kl_sparsity(H.abs().clamp(max=1), 1.0, 3.0), ValueError, "rho: expected a number in (0, 1), got 1"),
    (lambda: kl_sparsity(H.abs().clamp(max=1), 0.0, 3.0), ValueError, "rho: expected a number in (0, 1), got 0"),
    (lambda: kl_sparsity(H.abs().clamp(max=1), 0.05, -1.0), ValueError, "beta: expected a number in [0, inf], got -1"),
    (lambda: KLSparsity(0.05, -1.0), ValueError, "beta: expected a number in [0, inf], got -1"),
    (lambda: KLSparsity(1.0), ValueError, "rho: expected a number in (0, 1), got 1"),
    (lambda: Contractive(-1.0), ValueError, "lam: expected a number in [0, inf], got -1"),
    (lambda: Contractive(0.1, "exact"), ValueError, "method: expected one of ['autograd', 'sigmoid'], got 'exact'"),
    (lambda: contractive_sigmoid(torch.rand(2, 3), torch.rand(3)), ValueError,
     "weight: expected the encoder's weight W of shape (n_hidden=3, n_inputs), got (3,): pass encoder_layer.weight "
     "(nn.Linear stores W as (out, in))"),
    (lambda: contractive_sigmoid(torch.rand(2, 3), "W"), ValueError,
     "weight: expected the encoder's weight W of shape (n_hidden=3, n_inputs), got str: "
     "pass encoder_layer.weight (nn.Linear stores W as (out, in))"),
    (lambda: jacobian(3, torch.rand(2, 3)), TypeError,
     "encoder: expected a callable x -> h (an nn.Module such as model.encoder), got int"),
    (lambda: jacobian(nn.Identity(), [[1.0]]), TypeError,
     "x: expected a torch tensor (n_samples, n_inputs), got list: use torch.as_tensor(x)"),
    (lambda: jacobian(nn.Identity(), torch.rand(3)), ValueError, "x: expected a 2-D array..."),
    (lambda: input_jacobian_frobenius_sq(torch.rand(2, 3), torch.rand(2, 3)), ValueError,
     "x_in: expected a tensor with requires_grad=True that h was computed from; fit() does this for penalties "
     "with needs_input_grad = True"),
    (lambda: Contractive(0.1)(nn.Sequential(nn.Linear(3, 2), nn.Tanh()), torch.rand(2, 3), torch.rand(2, 2)),
     ValueError, "Contractive(method='sigmoid'): the closed form needs a one-layer sigmoid encoder..."),
    (lambda: saturation_fraction([[0.5]]), TypeError, "h: expected a numpy array or torch tensor, got a list..."),
    (lambda: contraction_ratio(nn.Identity(), torch.rand(2, 3), -1.0), ValueError,
     "epsilon: expected a number in (0, inf], got -1"),
    (lambda: contraction_ratio(nn.Identity(), torch.rand(3), 1.0), ValueError, "x: expected a 2-D array..."),
    (lambda: tied_sigmoid_autoencoder(0, 3), ValueError, "n_inputs: expected an integer >= 1, got 0"),
    (lambda: tied_sigmoid_autoencoder(3, 0), ValueError, "n_hidden: expected an integer >= 1, got 0"),
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert_message(str(info.value), message)


def assert_message(text, message):
    """The whole message, or its beginning where `message` ends with "..." (the rest comes from validation)."""
    if message.endswith("..."):
        assert text.startswith(message[:-3]), text
    else:
        assert text == message


def test_a_sigmoid_encoder_given_directly_works_for_the_closed_form():
    encoder = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()).double()
    x = torch.rand(4, 3, dtype=torch.float64)
    h = encoder(x)
    assert torch.isclose(Contractive(1.0)(encoder, x, h), contractive_sigmoid(h, encoder[0].weight).mean())


def test_the_closed_form_names_the_encoder_it_refuses():
    encoder = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Sigmoid())
    with pytest.raises(ValueError) as info:
        Contractive(0.1)(encoder, torch.rand(2, 3), torch.rand(2, 2))
    assert str(info.value) == (
        "Contractive(method='sigmoid'): the closed form needs a one-layer sigmoid encoder h = sigmoid(Wx + b), "
        "e.g. make_autoencoder(64, [], 100, code_activation='sigmoid'); "
        f"got encoder {encoder}; use Contractive(lam, method='autograd') for any other encoder")


def test_contractive_check_refuses_an_encoder_without_the_closed_form():
    deep = make_autoencoder(4, [3], 2, code_activation="sigmoid")
    h = torch.rand(2, 2)
    with pytest.raises(ValueError, match="one-layer sigmoid encoder"):
        Contractive(0.1).check(deep, torch.rand(2, 4), h)
    Contractive(0.1, "autograd").check(deep, torch.rand(2, 4), h)                  # any encoder will do
    Contractive(0.1).check(tied_sigmoid_autoencoder(4, 2), torch.rand(2, 4), h)
    with pytest.raises(TypeError, match="torch tensor of codes"):
        Contractive(0.1, "autograd").check(deep, torch.rand(2, 4), h.numpy())


def test_the_closed_form_needs_a_sequential_linear_then_sigmoid():
    class LinearSigmoid(nn.Module):                    # the right two children, but not an nn.Sequential
        def __init__(self):
            super().__init__()
            self.linear, self.sigmoid = nn.Linear(3, 2), nn.Sigmoid()

        def forward(self, x):
            return self.sigmoid(self.linear(x))
    with pytest.raises(ValueError, match="one-layer sigmoid encoder"):
        Contractive(0.1)(LinearSigmoid(), torch.rand(2, 3), torch.rand(2, 2))
