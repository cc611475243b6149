"""Binary codes without a neural network: the baselines a hashing autoencoder must beat.

All three centre the data with the training mean mu, project it, and keep the signs:

    LSH      (Charikar 2002)          bits = [(x - mu) W > 0],   W ~ N(0, 1), random hyperplanes
    PCA sign                          bits = [(x - mu) P > 0],   P = top-b principal directions
    ITQ      (Gong & Lazebnik 2011)   bits = [(x - mu) P R > 0], R rotation minimising ||B - V R||_F

ITQ alternates: B = sign(V R) with V = (x - mu) P fixed, then R = U W^T from the SVD V^T B = U S W^T
(orthogonal Procrustes). Rotating spreads the variance evenly over the bits, which PCA sign does not.
The estimators follow scikit-learn's shape with the course's verbs: `fit(x)` learns, `encode(x)` returns uint8 0/1
bits (as every x -> code map in the course does).
"""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from .pca import fit_pca
from .validation import as_numpy, check_positive_int


class _SignHash:
    """Shared fit/encode: subclasses return the projection (n_features, n_bits) from `_fit(x)`."""

    def __init__(self, n_bits: int):
        self.n_bits = check_positive_int(n_bits, "n_bits")

    def fit(self, x) -> _SignHash:
        """Learn the mean and the projection from training data x (n_samples, n_features)."""
        x = as_numpy(x, "x", dtype=np.float64)
        self.mean_ = x.mean(axis=0)
        self.projection_ = self._fit(x)
        return self

    def encode(self, x) -> np.ndarray:
        """Bits (n_samples, n_bits), uint8 0/1: the signs of the centred, projected data."""
        if not hasattr(self, "projection_"):
            raise RuntimeError(f"{type(self).__name__}: call .fit(x_train) before .encode(x)")
        x = as_numpy(x, "x", dtype=np.float64, n_features=len(self.mean_))
        return ((x - self.mean_) @ self.projection_ > 0).astype(np.uint8)

    def fit_encode(self, x) -> np.ndarray:
        """`fit(x)`, then `encode(x)`: the training data's own bits."""
        return self.fit(x).encode(x)

    def _check_rank(self, x: np.ndarray) -> None:
        if self.n_bits > min(x.shape):
            raise ValueError(f"n_bits: {type(self).__name__} keeps at most min(n_samples, n_features) = "
                             f"{min(x.shape)} principal directions, got n_bits={self.n_bits}: use fewer bits, "
                             "or LSH, which takes any number")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_bits={self.n_bits})"


class LSH(_SignHash):
    """Random-hyperplane LSH: the signs of `n_bits` Gaussian random projections of the centred data (lesson 06b)."""

    def __init__(self, n_bits: int, seed: int = 0):
        super().__init__(n_bits)
        self.seed = check_positive_int(seed, "seed", minimum=0)

    def _fit(self, x: np.ndarray) -> np.ndarray:
        return np.random.default_rng(self.seed).standard_normal((x.shape[1], self.n_bits))


class PCASign(_SignHash):
    """PCA sign: the signs of the top-`n_bits` principal components (lesson 06b)."""

    def _fit(self, x: np.ndarray) -> np.ndarray:
        self._check_rank(x)
        return fit_pca(x, self.n_bits).components.T


class ITQ(_SignHash):
    """Iterative quantisation: PCA to `n_bits` dimensions, then the rotation that best fits binary codes
    (lesson 06b)."""

    def __init__(self, n_bits: int, n_iter: int = 50, seed: int = 0):
        super().__init__(n_bits)
        self.n_iter = check_positive_int(n_iter, "n_iter", minimum=0)
        self.seed = check_positive_int(seed, "seed", minimum=0)

    def _fit(self, x: np.ndarray) -> np.ndarray:
        self._check_rank(x)
        pca = fit_pca(x, self.n_bits)
        v = pca.encode(x)                                     # (x - mu) P: the centred data's PCA coordinates
        rotation, _ = np.linalg.qr(np.random.default_rng(self.seed).standard_normal((self.n_bits, self.n_bits)))
        self.quantization_loss_ = []
        with threadpool_limits(1):       # small products: BLAS threads only add overhead (10x on a busy machine)
            for _ in range(self.n_iter):
                b = np.where(v @ rotation > 0, 1.0, -1.0)
                self.quantization_loss_.append(float(((b - v @ rotation) ** 2).sum()))
                u, _, wt = np.linalg.svd(v.T @ b)
                rotation = u @ wt
        self.rotation_ = rotation
        return pca.components.T @ rotation

    def __repr__(self) -> str:
        return f"ITQ(n_bits={self.n_bits}, n_iter={self.n_iter})"
