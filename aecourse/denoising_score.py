"""The denoising autoencoder as a score estimator, on a 2-D gaussian mixture whose score is known (lesson 04).

Train r to denoise x~ = x + sigma * eps. The best possible denoiser is r*(x~) = E[x | x~], and Tweedie's formula
(exact for gaussian noise) says

    r*(x~) - x~ = sigma^2 * d/dx~ log p_sigma(x~),      p_sigma = p convolved with N(0, sigma^2 I),

so the vector field r(x) - x points back toward the data along the score (Alain & Bengio 2014). For the mixture
p = sum_k w_k N(c_k, s^2 I) the noisy density is p_sigma = sum_k w_k N(c_k, (s^2 + sigma^2) I), with score

    d/dx log p_sigma(x) = sum_k pi_k(x) (c_k - x) / (s^2 + sigma^2),   pi_k(x) = posterior of component k.
"""
from __future__ import annotations

import numpy as np

from .data import MIXTURE_CENTRES
from .training import reconstruct
from .validation import as_numpy, check_number, check_positive_int


def mixture_sample(n: int, std: float = 0.1, seed: int = 0, centres: np.ndarray = MIXTURE_CENTRES) -> np.ndarray:
    """n points from the equal-weight mixture of N(c_k, std^2 I) around `centres` (float32, shape (n, 2))
    (lesson 04)."""
    n = check_positive_int(n, "n")
    std = check_number(std, "std", low=0.0)
    rng = np.random.default_rng(seed)
    centres = np.asarray(centres, dtype=np.float64)
    x = centres[rng.integers(0, len(centres), n)] + std * rng.standard_normal((n, 2))
    return x.astype(np.float32)


def mixture_score(x, std: float = 0.1, sigma: float = 0.0, centres: np.ndarray = MIXTURE_CENTRES) -> np.ndarray:
    """d/dx log p_sigma(x) for the equal-weight mixture of N(c_k, std^2 I) blurred by noise sigma; shape (n, 2)
    (lesson 04)."""
    x = as_numpy(x, "x", dtype=np.float64, n_features=2)
    std = check_number(std, "std", low=0.0)
    sigma = check_number(sigma, "sigma", low=0.0)
    var = std ** 2 + sigma ** 2
    if var == 0:
        raise ValueError("std, sigma: the score of a mixture of point masses is undefined; make std or sigma > 0")
    diff = np.asarray(centres, dtype=np.float64)[None, :, :] - x[:, None, :]   # (n, K, 2): c_k - x
    logits = -(diff ** 2).sum(axis=2) / (2 * var)
    post = np.exp(logits - logits.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    return (post[:, :, None] * diff).sum(axis=1) / var


def grid(low: float = -2.0, high: float = 2.0, n: int = 15) -> np.ndarray:
    """An n x n grid of points covering [low, high]^2, shape (n * n, 2), float32 (for quiver plots) (lesson 04)."""
    low, high = check_number(low, "low"), check_number(high, "high")
    if low >= high:
        raise ValueError(f"low, high: expected low < high, got {low:g} and {high:g}")
    n = check_positive_int(n, "n", minimum=2)
    a = np.linspace(low, high, n)
    return np.stack(np.meshgrid(a, a), axis=-1).reshape(-1, 2).astype(np.float32)


def dae_vector_field(model, x) -> np.ndarray:
    """r(x) - x at each point: where the trained (denoising) autoencoder moves x; shape (n, 2) (lesson 04)."""
    x = as_numpy(x, "x", dtype=np.float32, n_features=2)
    return reconstruct(model, x) - x


def cosine_similarity(a, b) -> np.ndarray:
    """Row-wise cosine between two (n, d) arrays of vectors (0 where either vector is 0) (lesson 04)."""
    a, b = as_numpy(a, "a", dtype=np.float64), as_numpy(b, "b", dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a, b: expected two arrays of the same shape, got {a.shape} and {b.shape}")
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.divide((a * b).sum(axis=1), norms, out=np.zeros(len(a)), where=norms > 0)
