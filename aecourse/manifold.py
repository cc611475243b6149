"""What the regularisers learn about the data manifold (lesson 07; DL 14.6-14.7, Alain & Bengio 2014).

A contractive encoder f is flat in most directions and sensitive along the few in which the data vary: at x, the
leading right singular vectors of its Jacobian J_f(x) (k x d) span the directions the code follows, which should
be the tangent plane of the data manifold. A denoising autoencoder r learns E[x | x~], so r(x) - x points back to
the manifold, and for gaussian noise of std sigma Tweedie's formula makes it exact:

    r*(x~) - x~ = sigma^2 * d/dx~ log p_sigma(x~),        p_sigma = p convolved with N(0, sigma^2 I).

For the unit circle blurred by isotropic gaussian noise of variance v the score is known in closed form
(modified Bessel functions I0, I1), so lesson 07 checks the sigma^2 scaling against it:

    d/dx log p_v(x) = (I1(|x| / v) / I0(|x| / v) - |x|) / v * x / |x|.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from .penalties import jacobian
from .validation import check_data, check_number, check_positive_int

# torch.func.jvp's first call imports torch's jvp decompositions, which build on the deprecated torch.jit.script
# and warn about it (torch 2.11): import them once, quietly, so that lessons and exercises print no torch internals.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*torch.jit.script.*is deprecated", category=FutureWarning)
    try:
        import torch._decomp.decompositions_for_jvp  # noqa: F401
    except ImportError:  # another torch version: nothing to silence
        pass


def _points(x, name: str = "x") -> np.ndarray:
    return np.asarray(check_data(x, name, n_features=2), dtype=np.float64)


def circle_tangent(x) -> np.ndarray:
    """The unit tangent (-x2, x1) / |x| of the circle through each 2-D point x about the origin, shape (n, 2)
    (lesson 07)."""
    x = _points(x)
    r = np.linalg.norm(x, axis=1, keepdims=True)
    if (r == 0).any():
        raise ValueError("x: the tangent of a circle about the origin is undefined at the origin; drop the points "
                         "with |x| = 0")
    return np.stack([-x[:, 1], x[:, 0]], axis=1) / r


def circle_score(x, variance: float) -> np.ndarray:
    """d/dx log p_v(x) for the uniform unit circle convolved with N(0, variance I), shape (n, 2).

    With z = |x| / v:  (I1(z) / I0(z) - |x|) / v * x / |x|  (the ratio of the exponentially scaled Bessel
    functions i1e / i0e is the same ratio and never overflows) (lesson 07).
    """
    from scipy.special import i0e, i1e
    x = _points(x)
    v = check_number(variance, "variance", low=0.0, low_open=True)
    r = np.linalg.norm(x, axis=1, keepdims=True)
    if (r == 0).any():
        raise ValueError("x: the score's direction is undefined at the origin; drop the points with |x| = 0")
    z = r / v
    return (i1e(z) / i0e(z) - r) / v * x / r


def line_angle(u, v) -> np.ndarray:
    """Angle in degrees, in [0, 90], between the lines spanned by the rows of u and v (the sign of a direction is
    arbitrary, so u and -u give the same angle); shape (n,) (lesson 07)."""
    u = np.asarray(check_data(u, "u"), np.float64)
    v = np.asarray(check_data(v, "v"), np.float64)
    if u.shape != v.shape:
        raise ValueError(f"u, v: expected two arrays of the same shape (n, d), got {u.shape} and {v.shape}")
    norms = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    if (norms == 0).any():
        raise ValueError("u, v: a zero vector spans no line; drop the rows where u or v is 0")
    cos = np.abs((u * v).sum(axis=1)) / norms
    return np.degrees(np.arccos(np.clip(cos, 0.0, 1.0)))


def _as_tensor(x, name: str = "x", like=None) -> torch.Tensor:
    """x as a tensor with the dtype of the module `like`'s parameters (float32 when it has none)."""
    check_data(x, name)
    dtype = next((p.dtype for p in getattr(like, "parameters", lambda: iter(()))()), torch.float32)
    return torch.as_tensor(x).to(dtype)


@torch.no_grad()
def jacobian_directions(encoder, x, n_directions: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The leading right singular vectors of J_f(x) at each example and their singular values.

    Returns (directions (n, n_directions, d), unit rows; singular values (n, n_directions), largest first).
    Moving x along direction i changes the code by about s_i per unit step; along any direction orthogonal to
    all of them by less. Runs on the CPU (move the model there first: `model.cpu()`) (lesson 07).
    """
    x = _as_tensor(x, like=encoder)
    n_directions = check_positive_int(n_directions, "n_directions")
    J = jacobian(encoder, x)
    if n_directions > min(J.shape[1:]):
        raise ValueError(f"n_directions: J_f(x) has {J.shape[1]} rows and {J.shape[2]} columns, so at most "
                         f"{min(J.shape[1:])} singular directions; got {n_directions}")
    _, s, vh = torch.linalg.svd(J, full_matrices=False)
    return vh[:, :n_directions, :], s[:, :n_directions]


@torch.no_grad()
def directional_sensitivity(encoder, x, directions) -> torch.Tensor:
    """||J_f(x_n) u_n|| for each example x_n and direction u_n (rows of `directions`, normalised to length 1).

    How fast the code moves when x moves along u: a forward-mode Jacobian-vector product, shape (n,) (lesson 07).
    """
    x, u = _as_tensor(x, like=encoder), _as_tensor(directions, "directions", like=encoder)
    if u.shape != x.shape:
        raise ValueError(f"directions: expected one direction per example, shape {tuple(x.shape)}, got "
                         f"{tuple(u.shape)}")
    norms = u.norm(dim=1, keepdim=True)
    if (norms == 0).any():
        raise ValueError("directions: a zero vector has no direction; drop those rows")
    f = getattr(encoder, "encoder", encoder)
    _, ju = torch.func.jvp(f, (x,), (u / norms,))
    return ju.norm(dim=1)


def neighbour_directions(x, reference, k: int = 1) -> np.ndarray:
    """Unit vectors from each row of x to its k-th nearest row of `reference` (itself excluded), shape (n, d).

    Differences between nearby digits are steps along the data manifold: a contractive code should follow them
    (lesson 07).
    """
    x = np.asarray(check_data(x, "x"), np.float64)
    reference = np.asarray(check_data(reference, "reference", n_features=x.shape[1]), np.float64)
    k = check_positive_int(k, "k")
    d2 = (x ** 2).sum(1)[:, None] - 2 * x @ reference.T + (reference ** 2).sum(1)[None, :]
    d2[d2 < 1e-12] = np.inf                                       # the point itself and exact duplicates
    if k > reference.shape[0] - 1:
        raise ValueError(f"k: expected at most {reference.shape[0] - 1} (the reference set minus the point), got {k}")
    nearest = np.argsort(d2, axis=1)[:, k - 1]
    diff = reference[nearest] - x
    return diff / np.linalg.norm(diff, axis=1, keepdims=True)


def random_directions(n: int, d: int, seed: int = 0) -> np.ndarray:
    """n directions drawn uniformly on the unit sphere of R^d (normalised gaussians), shape (n, d)
    (lesson 07)."""
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    u = np.random.default_rng(seed).standard_normal((n, d))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def score_slope(displacement, score) -> float:
    """The least-squares a in  displacement ~ a * score, over all rows and coordinates.

    For a denoising autoencoder trained with noise sigma, displacement = r(x) - x and score = d/dx log p_sigma(x)
    give a ~ sigma^2 (Tweedie) (lesson 07).
    """
    displacement = np.asarray(check_data(displacement, "displacement"), np.float64)
    score = np.asarray(check_data(score, "score"), np.float64)
    if displacement.shape != score.shape:
        raise ValueError(f"displacement, score: expected the same shape, got {displacement.shape} and {score.shape}")
    return float((displacement * score).sum() / (score ** 2).sum())
