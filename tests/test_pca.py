"""aecourse.pca: PCA through the SVD, principal angles, the PCA baseline and the linear-AE helpers."""
import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles

from aecourse.data import load_digits
from aecourse.pca import (
    column_cosines,
    fit_linear_autoencoder,
    fit_pca,
    l2_linear_ae_singular_values,
    pca_baseline_mse,
    principal_angles,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_pca_matches_sklearn(digits):
    from sklearn.decomposition import PCA as SkPCA
    ours = fit_pca(digits.x_train, 8)
    sk = SkPCA(8).fit(digits.x_train.astype(np.float64))
    assert np.allclose(np.abs((ours.components * sk.components_).sum(1)), 1, atol=1e-6)
    assert np.allclose(ours.reconstruct(digits.x_test), sk.inverse_transform(sk.transform(digits.x_test)), atol=1e-6)
    n = len(digits.x_train)
    assert np.allclose(ours.eigenvalues, sk.explained_variance_ * (n - 1) / n)


def test_pca_properties(digits):
    pca = fit_pca(digits.x_train, 10)
    assert pca.n_components == 10 and pca.components.shape == (10, 64)
    assert np.allclose(pca.components @ pca.components.T, np.eye(10), atol=1e-10)
    assert np.all(np.diff(pca.all_eigenvalues) <= 1e-12)
    codes = pca.encode(digits.x_test)
    assert codes.shape == (300, 10)
    assert np.allclose(pca.decode(codes), pca.reconstruct(digits.x_test))
    full = fit_pca(digits.x_train, 64)
    assert np.allclose(full.reconstruct(digits.x_test), digits.x_test, atol=1e-6)
    # the axes' signs are fixed: each axis's largest-magnitude entry is positive
    assert np.all(pca.components[np.arange(10), np.abs(pca.components).argmax(axis=1)] > 0)


def test_pca_accepts_tensors(digits):
    pca = fit_pca(torch.as_tensor(digits.x_train), 2)
    assert np.allclose(pca.encode(torch.as_tensor(digits.x_test)), fit_pca(digits.x_train, 2).encode(digits.x_test))


def test_pca_baseline_matches_reference_numbers(digits):
    errors = pca_baseline_mse(digits.x_train, digits.x_test, [2, 4, 8, 16, 32])
    reference = {2: .053, 4: .039, 8: .024, 16: .0115, 32: .0026}  # shared/REFERENCE.md
    for k, value in reference.items():
        assert abs(errors[k] - value) < 0.05 * value + 1e-3, (k, errors[k])
    assert pca_baseline_mse(digits.x_train, digits.x_test, 8) == pytest.approx(errors[8])
    assert list(errors.values()) == sorted(errors.values(), reverse=True)


def test_principal_angles_match_scipy():
    rng = np.random.default_rng(0)
    for k1, k2 in [(3, 3), (2, 4), (5, 1)]:
        a, b = rng.normal(size=(12, k1)), rng.normal(size=(12, k2))
        assert np.allclose(principal_angles(a, b), np.degrees(subspace_angles(a, b))[::-1], atol=1e-8)
        assert np.allclose(principal_angles(a, b, degrees=False), subspace_angles(a, b)[::-1], atol=1e-10)


def test_principal_angles_ignore_the_basis_but_column_cosines_do_not():
    rng = np.random.default_rng(1)
    a = np.linalg.qr(rng.normal(size=(10, 3)))[0]
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    assert principal_angles(a, a @ rotation).max() < 1e-5
    assert column_cosines(a, a).min() == pytest.approx(1.0)
    assert column_cosines(a, a @ rotation).min() < 0.99
    assert column_cosines(a, -a).min() == pytest.approx(1.0)  # sign does not matter
    e = np.eye(4)
    assert np.allclose(principal_angles(e[:, :2], e[:, 2:]), [90, 90])


def test_l2_singular_values():
    assert np.allclose(l2_linear_ae_singular_values([1.0, 0.5, 0.1], 0.1), np.sqrt([0.9, 0.8, 0.0]))
    assert np.allclose(l2_linear_ae_singular_values([2.0], 0.0), [1.0])
    assert np.allclose(l2_linear_ae_singular_values([0.05], 0.1), [0.0])  # axes weaker than lam are dropped


def test_fit_linear_autoencoder_is_seeded(digits):
    x = digits.x_train[:200]
    a, mean = fit_linear_autoencoder(x, 2, epochs=20)
    b, _ = fit_linear_autoencoder(x, 2, epochs=20)
    assert torch.equal(a.decoder_weight, b.decoder_weight)
    assert np.allclose(mean, x.mean(0))
    assert a.encoder.bias is None


@pytest.mark.parametrize("call,error,message", [
    (lambda: fit_pca(np.zeros((5, 8, 8), np.float32), 2), ValueError, "flatten images first"),
    (lambda: fit_pca(np.ones((5, 4), np.float32), 6), ValueError, "at most min(n_samples, n_features) = 4"),
    (lambda: fit_pca(np.ones((5, 4), np.float32), 0), ValueError, "expected an integer >= 1"),
    (lambda: fit_pca([[1.0, 2.0]], 1), TypeError, "np.asarray"),
    (lambda: fit_pca(np.ones((5, 4), np.float32), 2).encode(np.ones((3, 5), np.float32)), ValueError,
     "expected 4 features"),
    (lambda: pca_baseline_mse(np.ones((5, 4)), np.ones((3, 3)), 2), ValueError, "expected 4 features"),
    (lambda: pca_baseline_mse(np.ones((5, 4)), np.ones((3, 4)), []), ValueError, "non-empty list"),
    (lambda: principal_angles(np.ones((2, 5)), np.ones((2, 1))), ValueError, "pass the basis vectors as columns"),
    (lambda: principal_angles(np.ones((5, 2)), np.ones((5, 1))), ValueError, "linearly dependent"),
    (lambda: principal_angles(np.eye(5)[:, :2], np.eye(4)[:, :1]), ValueError, "same space"),
    (lambda: column_cosines(np.ones((5, 2)), np.ones((5, 3))), ValueError, "same shape"),
    (lambda: column_cosines(np.zeros((5, 2)), np.ones((5, 2))), ValueError, "all zeros"),
    (lambda: l2_linear_ae_singular_values([1.0, -0.5], 0.1), ValueError, "positive covariance eigenvalues"),
    (lambda: l2_linear_ae_singular_values([1.0], -0.1), ValueError, "expected a number in [0, inf]"),
    (lambda: fit_linear_autoencoder(np.ones((5, 4), np.float32), 2, l2=-1.0), ValueError, "l2"),
])
def test_bad_input_is_explained(call, error, message):
    with pytest.raises(error, match=None) as info:
        call()
    assert message in str(info.value)
