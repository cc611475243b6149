"""Checks for solutions/07_manifolds.ipynb: the angle between two lines, and how fast a code moves along u."""
import numpy as np
import torch
from torch import nn

from ...manifold import directional_sensitivity, line_angle
from . import exercise, expect, expect_close


def _vectors(n=40, d=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n, d))


@exercise("07.line_angle", function="line_angle", points=2)
def check_line_angle(fn, case):
    u, v = _vectors()
    with case("one angle per row, shape (n,)"):
        out = np.asarray(fn(u, v))
        expect(out.shape == (len(u),), f"return one angle per row, shape ({len(u)},), got shape {out.shape}: do not "
               "average over the rows; sum the products over axis=1 only")
    with case("perpendicular lines: 90 degrees (degrees, not radians)"):
        a, b = np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[0.0, 3.0], [5.0, 0.0]])
        got = np.asarray(fn(a, b), dtype=float)
        expect(not np.allclose(got, np.pi / 2), "the angle must be in degrees: convert with np.degrees(...)")
        expect(not np.allclose(got, 0.0), "return the angle, arccos of the cosine, not the cosine itself")
        expect_close(got, [90.0, 90.0], hint="perpendicular lines meet at 90 degrees")
    with case("a direction and its opposite span the same line: 0 degrees"):
        got = np.asarray(fn(u, -3.0 * u), dtype=float)
        expect(not np.allclose(got, 180.0, atol=1e-3), "u and -u span the same line (the sign of a singular vector "
               "is arbitrary): take the absolute value of the cosine, so angles lie in [0, 90]")
        expect(not np.isnan(got).any(), "got NaN: rounding can push |cos| a hair above 1, where arccos is NaN; clip "
               "the cosine to [0, 1] (np.clip) and divide by both vectors' norms")
        expect_close(got, np.zeros(len(u)), atol=1e-4, hint="parallel and anti-parallel rows are 0 degrees apart")
    with case("exactly parallel rows give 0, never NaN"):
        w = np.array([[0.1, 0.2, 0.3], [1e-3, 7.0, -2.0], [0.3, 0.3, 0.3]] * 10)
        got = np.asarray(fn(w, w), dtype=float)
        expect(not np.isnan(got).any(), "got NaN for identical rows: in floating point |cos| can come out as "
               "1.0000000000000002; clip it to [0, 1] before np.arccos")
        expect_close(got, np.zeros(len(w)), atol=1e-4, hint="identical rows are 0 degrees apart")
    with case("vectors of any length, known angles"):
        got = np.asarray(fn(u, 7.0 * v), dtype=float)
        expect(np.isfinite(got).all() and (got >= 0).all() and (got <= 90 + 1e-9).all(),
               "angles between lines lie in [0, 90]: divide the dot product by BOTH vectors' norms")
        expect_close(got, line_angle(u, v), rtol=1e-6, atol=1e-6,
                     hint="cos = |u . v| / (|u| |v|) per row (divide by BOTH norms), then np.degrees(np.arccos(cos))")


def _encoder(seed=0, n_inputs=6, n_code=4):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_inputs, 9), nn.Tanh(), nn.Linear(9, n_code), nn.Sigmoid()).double()


def _inputs(n=12, d=6, seed=1):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@exercise("07.directional_sensitivity", function="directional_sensitivity", points=3)
def check_directional_sensitivity(fn, case):
    x, u = _inputs(), 3.0 * _inputs(seed=2)
    with case("one value per example, shape (n,)"):
        out = fn(_encoder(), x, u)
        expect(isinstance(out, torch.Tensor) and tuple(out.shape) == (len(x),),
               f"return a tensor of shape (n,) = ({len(x)},), one ||J u|| per example, got "
               f"{type(out).__name__} {tuple(getattr(out, 'shape', ()))}")
    with case("a linear encoder: ||W u|| for unit u"):
        torch.manual_seed(0)
        linear = nn.Linear(6, 4).double()
        unit = u / u.norm(dim=1, keepdim=True)
        W = linear.weight.detach()
        got = torch.as_tensor(fn(linear, x, u)).detach()
        expect(not torch.allclose(got, (u @ W.T).norm(dim=1)), "normalise each direction to length 1 first "
               "(u / u.norm(dim=1, keepdim=True)): the sensitivity is per unit step along u")
        expect(not torch.allclose(got, (unit @ W.T).pow(2).sum(1)), "return the norm ||J u||, not its square")
        expect(not torch.allclose(got, (unit @ W.T).sum(1)) and not torch.allclose(got, (unit @ W.T).sum(1).abs()),
               "take the Euclidean norm of the vector J u (over the code units), not the sum of its entries")
        expect_close(got, (unit @ W.T).norm(dim=1), rtol=1e-6, hint="for f(x) = Wx + b, J u = W u at every x")
    with case("each example with its own direction, at its own point"):
        encoder = _encoder()
        got = torch.as_tensor(fn(encoder, x, u)).detach()
        first = directional_sensitivity(encoder, x, u[:1].expand_as(u)).double()
        expect(not torch.allclose(got, first, rtol=1e-4), "use direction u[n] for example x[n], not the first "
               "direction for every example")
        expect_close(got, directional_sensitivity(encoder, x, u).double(), rtol=1e-4,
                     hint="J_f(x_n) u_n with an exact Jacobian-vector product (torch.func.jvp(f, (x,), (u,))) or a "
                     "tiny central difference (f(x + eps u) - f(x - eps u)) / (2 eps), eps about 1e-5 in float64")
    with case("a strongly curved encoder: the derivative, not a finite step"):
        torch.manual_seed(3)
        steep = nn.Sequential(nn.Linear(6, 5), nn.Tanh()).double()
        with torch.no_grad():
            steep[0].weight.mul_(20.0)
        xs = 0.05 * _inputs(seed=4)
        expect_close(fn(steep, xs, u), directional_sensitivity(steep, xs, u).double(), rtol=1e-3,
                     hint="the result depends on the step size: with a large step (f(x + eps u) - f(x)) / eps "
                     "measures a secant, not the derivative; use torch.func.jvp, or a central difference with "
                     "eps about 1e-5")
