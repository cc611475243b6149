"""Checks for solutions/03_contractive.ipynb: ||J_f(x)||_F^2 in closed form, by autograd, and their comparison."""
import torch
from torch import nn

from ...penalties import contractive_sigmoid, jacobian_frobenius_sq
from . import exercise, expect, expect_close


def _encoder(activation=nn.Sigmoid, n_inputs=7, n_hidden=5, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_inputs, n_hidden), activation()).double()


def _inputs(n=9, d=7, seed=1):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _max_relative_difference(a, b):
    return ((a - b).abs() / b.abs()).max()


@exercise("03.contractive_sigmoid", function="contractive_sigmoid", points=2)
def check_contractive_sigmoid(fn, case):
    encoder, x = _encoder(), _inputs()
    W = encoder[0].weight.detach()
    h = encoder(x).detach()
    with case("one value per example"):
        out = fn(h, W)
        expect(isinstance(out, torch.Tensor) and tuple(out.shape) == (len(x),),
               f"return a tensor of shape (n_examples,) = ({len(x)},), one ||J||_F^2 per example, got "
               f"{tuple(getattr(out, 'shape', ()))}")
    with case("sum_i (h_i (1 - h_i))^2 sum_j W_ij^2"):
        got = fn(h, W)
        unweighted = ((h * (1 - h)) ** 2).sum(1) * (W ** 2).sum()
        expect(not torch.allclose(torch.as_tensor(got), (h * (1 - h)) @ (W ** 2).sum(1)),
               "square the sigmoid derivative: dh_i/dx_j = h_i (1 - h_i) W_ij, so its square has (h_i (1 - h_i))^2")
        expect(not torch.allclose(torch.as_tensor(got), unweighted),
               "weight each unit's (h_i (1 - h_i))^2 by its own row sum_j W_ij^2, (W ** 2).sum(dim=1) (W has "
               "shape (k, d)), not by the total sum of W^2")
        expect_close(got, contractive_sigmoid(h, W), rtol=1e-10, atol=1e-12,
                     hint="((h * (1 - h)) ** 2) @ (W ** 2).sum(dim=1)")
    with case("another layer size"):
        enc, xx = _encoder(n_inputs=4, n_hidden=11, seed=2), _inputs(3, 4)
        hh = enc(xx).detach()
        expect_close(fn(hh, enc[0].weight.detach()), contractive_sigmoid(hh, enc[0].weight.detach()), rtol=1e-10,
                     hint="do not hard-code the sizes")


@exercise("03.jacobian_frobenius_sq", function="jacobian_frobenius_sq", points=3)
def check_jacobian_frobenius_sq(fn, case):
    x = _inputs()
    with case("a linear encoder: ||W||_F^2 for every example"):
        torch.manual_seed(0)
        linear = nn.Linear(7, 3).double()
        expect_close(fn(linear, x), (linear.weight.detach() ** 2).sum().expand(len(x)), rtol=1e-8,
                     hint="for f(x) = Wx + b the Jacobian is W at every x; return one value per example")
    with case("a sigmoid encoder agrees with the closed form"):
        encoder = _encoder()
        h = encoder(x).detach()
        expect_close(fn(encoder, x), contractive_sigmoid(h, encoder[0].weight.detach()), rtol=1e-8,
                     hint="differentiate every code unit h_i with respect to the input x and sum the squares")
    with case("a deeper tanh encoder, each example on its own"):
        torch.manual_seed(3)
        deep = nn.Sequential(nn.Linear(7, 6), nn.Tanh(), nn.Linear(6, 4), nn.Tanh()).double()
        expected = jacobian_frobenius_sq(deep, x)
        got = fn(deep, x)
        expect(tuple(torch.as_tensor(got).shape) == (len(x),), f"return shape ({len(x)},), one value per example")
        expect_close(got, expected, rtol=1e-8, hint="the Jacobian of example n involves only h_n and x_n; "
                     "check that you do not mix examples (e.g. by differentiating a sum over units squared)")


@exercise("03.compare_contractive", function="compare_contractive", points=2)
def check_compare_contractive(fn, case):
    x = _inputs()
    with case("closed form and autograd agree for a sigmoid encoder (float64)"):
        got = float(torch.as_tensor(fn(_encoder(), x)).detach())
        expect(got < 1e-6, f"for h = sigmoid(Wx + b) both forms are the same number: expected a relative difference "
                           f"below 1e-6, got {got:.3g}; compute both in float64")
    with case("the comparison detects a mismatch (tanh encoder)"):
        encoder = _encoder(nn.Tanh)
        h = encoder(x).detach()
        auto = jacobian_frobenius_sq(encoder, x)
        expected = _max_relative_difference(contractive_sigmoid(h, encoder[0].weight.detach()), auto)
        expect_close(fn(encoder, x), expected, rtol=1e-6, hint="return max over examples of |closed - autograd| / "
                     "|autograd|: for a tanh encoder the sigmoid closed form is wrong and the comparison must say so")
