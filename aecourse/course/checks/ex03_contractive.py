"""Checks for solutions/03_contractive.ipynb: ||J_f(x)||_F^2 in closed form, by autograd, and their comparison."""
import numpy as np
import torch
from torch import nn

from ...penalties import contractive_sigmoid, jacobian_frobenius_sq
from . import exercise, expect, expect_close, expect_not_close


def _encoder(activation=nn.Sigmoid, n_inputs=7, n_hidden=5, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_inputs, n_hidden), activation()).double()


def _inputs(n=9, d=7, seed=1):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _max_relative_difference(a, b):
    return ((a - b).abs() / b.abs()).max()


@exercise("03.contractive_sigmoid", function="contractive_sigmoid", points=2, reference="penalties.contractive_sigmoid")
def check_contractive_sigmoid(fn, case):
    encoder, x = _encoder(), _inputs()
    W = encoder[0].weight.detach()
    h = encoder(x).detach()
    shapes = ("the shapes do not fit: h has shape (n, k), one row per example, and W has shape (k, d), one row per "
              "code unit, so sum_j W_ij^2 is (W ** 2).sum(dim=1)")
    with case("one value per example", error_hint=shapes):
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
        s = torch.sigmoid(h)
        expect_not_close(got, contractive_sigmoid(s, W), "h is already the sigmoid's output: its derivative is "
                         "h (1 - h); do not apply torch.sigmoid again", rtol=1e-8)
        expect_not_close(got, contractive_sigmoid(h, W) / h.shape[1], "sum over the code units, do not average",
                         rtol=1e-8)
        expect_close(got, contractive_sigmoid(h, W), rtol=1e-10, atol=1e-12,
                     hint="((h * (1 - h)) ** 2) @ (W ** 2).sum(dim=1)")
    sizes = "do not hard-code the sizes: take n, k and d from the shapes of h and W"
    with case("another layer size", error_hint=sizes):
        enc, xx = _encoder(n_inputs=4, n_hidden=11, seed=2), _inputs(3, 4)
        hh = enc(xx).detach()
        expect_close(fn(hh, enc[0].weight.detach()), contractive_sigmoid(hh, enc[0].weight.detach()), rtol=1e-10,
                     hint=sizes)


@exercise("03.jacobian_frobenius_sq", function="jacobian_frobenius_sq", points=3,
          reference="penalties.jacobian_frobenius_sq")
def check_jacobian_frobenius_sq(fn, case):
    x = _inputs()
    with case("a linear encoder: ||W||_F^2 for every example",
              error_hint="differentiate the encoder by autograd (torch.func.jacrev, or torch.autograd.functional."
                         "jacobian): it can be any module, not only Linear + sigmoid"):
        torch.manual_seed(0)
        linear = nn.Linear(7, 3).double()
        W = linear.weight.detach()
        got = fn(linear, x)
        expect(tuple(torch.as_tensor(got).shape) == (len(x),), f"return shape ({len(x)},), one value per example, "
               f"got {tuple(torch.as_tensor(got).shape)}: sum the squared Jacobian entries of each example over "
               "the code units and the inputs only")
        expect_not_close(got, (W.sum(0) ** 2).sum().expand(len(x)), "you differentiated the SUM of the code units: "
                         "that gives sum_j (sum_i dh_i/dx_j)^2; take every unit's own gradient (torch.func.jacrev)",
                         rtol=1e-8)
        expect_not_close(got, (W ** 2).sum().sqrt().expand(len(x)), "that is ||J||_F: return its SQUARE",
                         rtol=1e-8)
        expect_not_close(got, (W ** 2).mean().expand(len(x)), "sum the squared entries of J, do not average them",
                         rtol=1e-8)
        expect_close(got, (W ** 2).sum().expand(len(x)), rtol=1e-8,
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
        got = torch.as_tensor(fn(_encoder(), x)).detach()
        expect(got.ndim == 0, f"return one number, the largest relative difference over the examples, got shape "
               f"{tuple(got.shape)}: take .max()")
        got = float(got)
        expect(abs(got - 1) > 1e-3, "the ratio closed / autograd is 1 when they agree: return the relative "
               "DIFFERENCE |closed - autograd| / |autograd|, which is 0")
        expect(got < 1e-6, f"for h = sigmoid(Wx + b) both forms are the same number: expected a relative difference "
                           f"below 1e-6, got {got:.3g}; compute both in float64")
    with case("the comparison detects a mismatch (tanh encoder)"):
        encoder = _encoder(nn.Tanh)
        h = encoder(x).detach()
        auto = jacobian_frobenius_sq(encoder, x)
        closed = contractive_sigmoid(h, encoder[0].weight.detach())
        expected = _max_relative_difference(closed, auto)
        got = fn(encoder, x)
        expect(np.ndim(got) == 0, f"return one number, the largest relative difference over the examples, got "
               f"shape {tuple(np.shape(got))}: take .max()")
        for wrong, hint in [((closed - auto).abs().max(), "divide by |autograd|: the RELATIVE difference"),
                            (((closed - auto).abs() / auto.abs()).mean(), "take the max over examples, not the "
                                                                          "mean"),
                            (((closed - auto).abs() / closed.abs()).max(), "divide by |autograd|, the reference, "
                                                                           "not by the closed form"),
                            (((closed - auto) / auto.abs()).max(), "take the absolute value |closed - autograd|")]:
            expect_not_close(got, wrong, hint, rtol=1e-6)
        expect_close(got, expected, rtol=1e-6, hint="return max over examples of |closed - autograd| / "
                     "|autograd|: for a tanh encoder the sigmoid closed form is wrong and the comparison must say so")
