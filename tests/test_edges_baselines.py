"""aecourse.baselines at their edges, on small synthetic data: each method's projection against its formula (LSH's
seeded Gaussian, PCA sign's principal axes with the sign convention, ITQ's Procrustes steps), the rank bounds, the
defaults and the full messages."""
import numpy as np
import pytest
import torch

from aecourse.baselines import ITQ, LSH, PCASign
from aecourse.pca import fit_pca


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(0)
    return rng.normal(size=(60, 5)) @ np.diag([4.0, 3.0, 2.0, 1.0, 0.5]) + 1.0


def test_lsh_projection_is_the_seeded_gaussian(x):
    lsh = LSH(7, seed=4).fit(x)
    np.testing.assert_array_equal(lsh.projection_, np.random.default_rng(4).standard_normal((5, 7)))
    np.testing.assert_allclose(lsh.mean_, x.mean(0))
    np.testing.assert_array_equal(lsh.encode(x[:9]), ((x[:9] - x.mean(0)) @ lsh.projection_ > 0).astype(np.uint8))
    assert LSH(3).seed == 0 and LSH(3, seed=0).fit(x).projection_.shape == (5, 3)
    assert repr(LSH(3)) == "LSH(n_bits=3)" and repr(PCASign(2)) == "PCASign(n_bits=2)"


def test_pca_sign_axes_and_their_sign_convention(x):
    p = PCASign(3).fit(x).projection_
    xc = x - x.mean(0)
    vt = np.linalg.svd(xc, full_matrices=False)[2][:3]
    np.testing.assert_allclose(np.abs(p.T), np.abs(vt), atol=1e-10)
    assert np.all(p[np.abs(p).argmax(axis=0), np.arange(3)] > 0)                 # largest entry of each axis > 0
    np.testing.assert_allclose(PCASign(3).fit(-x).projection_, p, atol=1e-10)     # mirrored data, same axes
    np.testing.assert_allclose(fit_pca(x, 2).components.T, p[:, :2], atol=1e-10)
    bits = PCASign(3).fit(x).encode(x)
    np.testing.assert_array_equal(bits, (xc @ p > 0).astype(np.uint8))
    assert PCASign(5).fit(x).projection_.shape == (5, 5)                          # n_bits = min(n, d) is allowed


def test_itq_steps_by_hand(x):
    itq = ITQ(3, n_iter=4, seed=2).fit(x)
    xc = x - x.mean(0)
    pca = fit_pca(x, 3).components.T
    v = xc @ pca
    rotation = np.linalg.qr(np.random.default_rng(2).standard_normal((3, 3)))[0]
    losses = []
    for _ in range(4):
        b = np.where(v @ rotation > 0, 1.0, -1.0)
        losses.append(((b - v @ rotation) ** 2).sum())
        u, _, wt = np.linalg.svd(v.T @ b)
        rotation = u @ wt
    np.testing.assert_allclose(itq.rotation_, rotation, atol=1e-10)
    np.testing.assert_allclose(itq.quantization_loss_, losses, rtol=1e-10)
    np.testing.assert_allclose(itq.projection_, pca @ rotation, atol=1e-10)
    assert ITQ(3).n_iter == 50 and ITQ(3).seed == 0 and repr(ITQ(3, n_iter=7)) == "ITQ(n_bits=3, n_iter=7)"


def test_itq_without_iterations_is_a_random_rotation_of_pca(x):
    itq = ITQ(3, n_iter=0, seed=1).fit(x)
    rotation = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))[0]
    np.testing.assert_allclose(itq.projection_, fit_pca(x, 3).components.T @ rotation, atol=1e-10)
    assert itq.quantization_loss_ == []


def test_inputs_are_used_in_float64(x):
    big = (1e4 + x).astype(np.float32)
    lsh = LSH(4, seed=1).fit(big)
    assert lsh.mean_.dtype == np.float64
    np.testing.assert_allclose(lsh.mean_, big.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_array_equal(lsh.encode(torch.as_tensor(big)), lsh.encode(big))
    assert LSH(4).fit_encode(big).shape == (60, 4)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: ITQ(8).encode(x), RuntimeError, "ITQ: call .fit(x_train) before .encode(x)"),
    (lambda x: PCASign(6).fit(x), ValueError,
     "n_bits: PCASign keeps at most min(n_samples, n_features) = 5 principal directions, got n_bits=6: use fewer "
     "bits, or LSH, which takes any number"),
    (lambda x: ITQ(4).fit(x[:3]), ValueError,
     "n_bits: ITQ keeps at most min(n_samples, n_features) = 3 principal directions, got n_bits=4..."),
    (lambda x: LSH(3).fit(x).encode(x[:, :4]), ValueError, "x: expected 5 features per sample, got 4..."),
    (lambda x: LSH(0), ValueError, "n_bits: expected an integer >= 1, got 0"),
    (lambda x: LSH(2, seed=-1), ValueError, "seed: expected an integer >= 0, got -1"),
    (lambda x: ITQ(2, n_iter=-1), ValueError, "n_iter: expected an integer >= 0, got -1"),
    (lambda x: ITQ(2, seed=-1), ValueError, "seed: expected an integer >= 0, got -1"),
    (lambda x: LSH(2).fit(x.astype(int)), TypeError, "x: expected floating-point values..."),
])
def test_bad_input_gets_the_full_message(x, call, error, message):
    with pytest.raises(error) as info:
        call(x)
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_a_sample_at_the_mean_gets_all_zero_bits(x):
    """bits = [(x - mu) W > 0]: a projection of exactly 0 is a 0 bit, for every method."""
    for method in (LSH(6, seed=3), PCASign(4), ITQ(4, n_iter=3)):
        method.fit(x)
        assert method.encode(method.mean_[None]).tolist() == [[0] * method.n_bits], method
