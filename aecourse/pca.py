"""PCA through the SVD, and how to compare subspaces (lesson 01).

Centre the data, X_c = X - mu, and take its thin SVD X_c = U S V^T. The rows of V^T are the principal axes,
ordered by the eigenvalues e_i = s_i^2 / n of the (biased) covariance C = X_c^T X_c / n. Keeping the top k axes
V_k gives the best rank-k reconstruction in squared error (Eckart-Young):  x_hat = mu + V_k V_k^T (x - mu).

A linear autoencoder trained with MSE spans the same subspace as V_k but with any basis of it, so compare the two
with principal angles (`principal_angles`), not column by column (`column_cosines`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .device import seed_everything
from .models import LinearAutoencoder
from .training import fit
from .validation import as_numpy, check_number, check_positive_int


@dataclass(frozen=True)
class PCA:
    """A fitted PCA: `mean` (d,), `components` (k, d) with orthonormal rows, `eigenvalues` (k,) of the biased
    covariance, largest first, and `all_eigenvalues` (min(n, d),). Use `encode`, `decode`, `reconstruct`."""
    mean: np.ndarray
    components: np.ndarray
    eigenvalues: np.ndarray
    all_eigenvalues: np.ndarray

    @property
    def n_components(self) -> int:
        return len(self.components)

    def encode(self, x) -> np.ndarray:
        """h = V_k^T (x - mu), shape (n, k)."""
        x = as_numpy(x, "x", dtype=np.float64, n_features=self.mean.shape[0])
        return (x - self.mean) @ self.components.T

    def decode(self, h) -> np.ndarray:
        """x_hat = mu + V_k h, shape (n, d)."""
        h = as_numpy(h, "h", dtype=np.float64, n_features=self.n_components)
        return h @ self.components + self.mean

    def reconstruct(self, x) -> np.ndarray:
        """x_hat = mu + V_k V_k^T (x - mu): the best rank-k approximation of x in squared error."""
        return self.decode(self.encode(x))


def fit_pca(x, n_components: int) -> PCA:
    """Fit PCA with `n_components` axes to x (n_samples, n_features) through the SVD of the centred data (lesson 01).

    >>> pca = fit_pca(load_digits().x_train, 8); pca.reconstruct(x_test).shape
    (300, 64)
    """
    x = as_numpy(x, "x", dtype=np.float64)
    k = check_positive_int(n_components, "n_components")
    if k > min(x.shape):
        raise ValueError(f"n_components: expected at most min(n_samples, n_features) = {min(x.shape)}, got {k}: "
                         "PCA cannot find more axes than the data has samples or features")
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    eigenvalues = s ** 2 / len(x)
    # fix each axis's sign (largest entry positive) so results do not depend on the LAPACK build
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    vt = vt * signs[:, None]
    return PCA(mean, vt[:k].copy(), eigenvalues[:k].copy(), eigenvalues)


def pca_baseline_mse(x_train, x_test, n_components) -> float | dict[int, float]:
    """Test MSE (mean over items and features) of PCA fitted on x_train with k axes, for one k or a list of ks
    (lesson 01).

    >>> pca_baseline_mse(data.x_train, data.x_test, [2, 8])   # {2: 0.053, 8: 0.024} on the digits
    """
    x_train = as_numpy(x_train, "x_train", dtype=np.float64)
    x_test = as_numpy(x_test, "x_test", dtype=np.float64, n_features=x_train.shape[1])
    ks = [n_components] if np.isscalar(n_components) else list(n_components)
    if not ks:
        raise ValueError("n_components: expected an integer or a non-empty list of integers, got an empty list")
    full = fit_pca(x_train, max(check_positive_int(k, "n_components") for k in ks))
    errors = {}
    for k in ks:
        pca = PCA(full.mean, full.components[:k], full.eigenvalues[:k], full.all_eigenvalues)
        errors[int(k)] = float(((pca.reconstruct(x_test) - x_test) ** 2).mean())
    return errors[ks[0]] if np.isscalar(n_components) else errors


def _basis(a, name: str) -> np.ndarray:
    a = as_numpy(a, name, dtype=np.float64)
    if a.shape[1] > a.shape[0]:
        raise ValueError(f"{name}: expected a (d, k) matrix whose k <= d columns span a subspace, got shape "
                         f"{a.shape}: pass the basis vectors as columns (transpose it, e.g. pca.components.T)")
    q, r = np.linalg.qr(a)
    if np.abs(np.diag(r)).min() <= 1e-10 * np.abs(r).max():
        raise ValueError(f"{name}: its columns are linearly dependent, so they do not span a {a.shape[1]}-D "
                         "subspace: drop the redundant columns")
    return q


def principal_angles(a, b, degrees: bool = True) -> np.ndarray:
    """Principal angles between the column spaces of a (d, k1) and b (d, k2), smallest first (lesson 01).

    With orthonormal bases Q_a, Q_b (QR), the cosines of the angles are the singular values of Q_a^T Q_b.
    The largest angle is 0 exactly when one subspace contains the other. Matches scipy.linalg.subspace_angles
    (which lists them largest first).
    """
    qa, qb = _basis(a, "a"), _basis(b, "b")
    if qa.shape[0] != qb.shape[0]:
        raise ValueError(f"a and b: expected subspaces of the same space, got {qa.shape[0]} and {qb.shape[0]} rows")
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    angles = np.arccos(np.clip(cosines, -1.0, 1.0))
    return np.degrees(angles) if degrees else angles


def column_cosines(a, b) -> np.ndarray:
    """|cos| of the angle between column i of a and column i of b, for each i: 1 means the same axis (up to sign)
    (lesson 01).

    Unlike principal angles, this depends on the basis: two bases of one subspace can have cosines near 0.
    """
    a, b = as_numpy(a, "a", dtype=np.float64), as_numpy(b, "b", dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b: expected matrices of the same shape (d, k), got {a.shape} and {b.shape}")
    norms = np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0)
    if (norms == 0).any():
        raise ValueError("a and b: a column is all zeros, so its direction is undefined")
    return np.abs((a * b).sum(axis=0)) / norms


# ------------------------------------------------------------------------------ linear autoencoders vs PCA

def l2_linear_ae_singular_values(eigenvalues, lam: float) -> np.ndarray:
    """Singular values of W2 at the optimum of a linear AE with an L2 penalty (Kunin et al., ICML 2019) (lesson 01).

    Objective (centred data, no biases):  mean over items of ||x - W2 W1 x||^2 + lam (||W1||_F^2 + ||W2||_F^2),
    with `eigenvalues` e_i of the biased covariance C = X_c^T X_c / n, largest first. At the optimum W1 = W2^T,
    the left singular vectors of W2 are the principal axes and s_i = sqrt(1 - lam / e_i) (0 when e_i <= lam).
    Derivation along one axis: e (1 - a b)^2 + lam (a^2 + b^2) is smallest at a = b, a^2 = 1 - lam / e.
    """
    lam = check_number(lam, "lam", low=0.0)
    e = np.asarray(eigenvalues, dtype=np.float64)
    if e.ndim != 1 or len(e) == 0 or not np.isfinite(e).all() or (e <= 0).any():
        raise ValueError(f"eigenvalues: expected a 1-D array of positive covariance eigenvalues, got {e!r:.80}")
    return np.sqrt(np.clip(1.0 - lam / e, 0.0, None))


def fit_linear_autoencoder(x, n_code: int, *, l2: float = 0.0, epochs: int = 600, lr: float = 1e-2, seed: int = 0):
    """Train `LinearAutoencoder(d, n_code, bias=False)` on the centred data x - mean(x), full batch with Adam
    (lesson 01).

    Loss: mean over items of ||x - W2 W1 x||^2 (summed over features, so the eigenvalues in
    `l2_linear_ae_singular_values` are those of the biased covariance), plus l2 (||W1||^2 + ||W2||^2).
    Full batches make the optimum reachable in about a second (minibatch noise keeps it tens of degrees off).
    Returns (model, mean); reconstruct new data as mean + model((x - mean)).
    """
    x = as_numpy(x, "x", dtype=np.float64)
    n_code = check_positive_int(n_code, "n_code")
    l2 = check_number(l2, "l2", low=0.0)
    mean = x.mean(axis=0)
    seed_everything(seed)
    model = LinearAutoencoder(x.shape[1], n_code, bias=False)

    def penalty(m, x_in, h):
        return l2 * (m.encoder.weight.pow(2).sum() + m.decoder.weight.pow(2).sum())

    fit(model, (x - mean).astype(np.float32), epochs=epochs, batch_size=len(x), lr=lr, seed=seed, progress=False,
        loss=lambda r, target: ((r - target) ** 2).sum(dim=1).mean(), penalty=penalty if l2 > 0 else None)
    return model, mean.astype(np.float32)
