"""aecourse.pca at its edges: the sign convention (each axis's largest-magnitude entry is positive, so a result does not
depend on the LAPACK build or on the order of the rows), the biased eigenvalues, the bounds of every setting and the
full error messages."""
import numpy as np
import pytest
import torch

from aecourse.device import seed_everything
from aecourse.models import LinearAutoencoder
from aecourse.pca import (
    PCA,
    column_cosines,
    fit_linear_autoencoder,
    fit_pca,
    l2_linear_ae_singular_values,
    pca_baseline_mse,
    principal_angles,
)


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(0)
    return rng.normal(size=(80, 6)) @ np.diag([5.0, 4.0, 3.0, 2.0, 1.0, 0.5]) + 2.0


def test_sign_convention_largest_entry_positive(x):
    pca = fit_pca(x, 6)
    assert np.all(pca.components[np.arange(6), np.abs(pca.components).argmax(axis=1)] > 0)


def test_signs_do_not_depend_on_the_lapack_sign_choice(x):
    # the data mirrored or its rows reversed: LAPACK may flip any axis; the convention flips it back
    reference = fit_pca(x, 4).components
    for other in (x[::-1], -x, x[np.random.default_rng(1).permutation(len(x))]):
        np.testing.assert_allclose(fit_pca(other, 4).components, reference, atol=1e-10)


def test_an_axis_whose_svd_sign_is_negative_is_flipped():
    # one dominant direction (-1, -1, -1, 0)/sqrt(3)... in either sign: the convention stores +(1, 1, 1)/sqrt(3)
    t = np.linspace(-1, 1, 21)[:, None]
    x = t * np.array([[-1.0, -1.0, -1.0, 0.0]]) + 1e-3 * np.eye(4)[np.arange(21) % 4]
    axis = fit_pca(x, 1).components[0]
    assert axis[:3] == pytest.approx([1 / np.sqrt(3)] * 3, abs=1e-3) and axis.max() > 0


def test_eigenvalues_are_biased_variances_of_the_codes(x):
    pca = fit_pca(x, 3)
    codes = pca.encode(x)
    np.testing.assert_allclose(pca.eigenvalues, codes.var(axis=0, ddof=0), rtol=1e-10)
    np.testing.assert_allclose(codes.mean(axis=0), 0, atol=1e-10)
    assert pca.mean == pytest.approx(x.mean(axis=0))
    assert len(pca.all_eigenvalues) == 6 and pca.all_eigenvalues[:3] == pytest.approx(pca.eigenvalues)
    assert pca.n_components == 3


def test_encode_decode_formulas(x):
    pca = fit_pca(x, 2)
    h = np.array([[1.0, -2.0]])
    np.testing.assert_allclose(pca.decode(h), h @ pca.components + pca.mean)
    np.testing.assert_allclose(pca.encode(x[:3]), (x[:3] - pca.mean) @ pca.components.T)
    np.testing.assert_allclose(pca.encode(torch.as_tensor(x[:3])), pca.encode(x[:3]))
    assert fit_pca(x, 6).n_components == 6                                  # k = min(n, d) is allowed


def test_baseline_for_one_k_and_for_a_list(x):
    train, test = x[:60], x[60:]
    manual = {}
    for k in (1, 3):
        pca = fit_pca(train, k)
        manual[k] = float(((pca.reconstruct(test) - test) ** 2).mean())
    assert pca_baseline_mse(train, test, [3, 1]) == pytest.approx(manual)
    assert list(pca_baseline_mse(train, test, [3, 1])) == [3, 1]
    assert pca_baseline_mse(train, test, 3) == pytest.approx(manual[3])
    assert pca_baseline_mse(train, test, np.int64(1)) == pytest.approx(manual[1])
    assert pca_baseline_mse(train, test, 6) == pytest.approx(0.0, abs=1e-20)


def test_principal_angles_hand_worked():
    e = np.eye(3)
    b = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])      # span of e1 and (e2 + e3)/sqrt(2)
    np.testing.assert_allclose(principal_angles(e[:, :2], b), [0.0, 45.0], atol=1e-10)
    np.testing.assert_allclose(principal_angles(e[:, :2], b, degrees=False), [0.0, np.pi / 4], atol=1e-12)
    np.testing.assert_allclose(principal_angles(e[:, :1], e[:, :1]), [0.0], atol=1e-6)
    np.testing.assert_allclose(column_cosines(b, e[:, :2]), [1.0, 1 / np.sqrt(2)])


def test_l2_singular_values_at_the_boundary():
    np.testing.assert_allclose(l2_linear_ae_singular_values([0.2, 0.1], 0.1), [np.sqrt(0.5), 0.0])
    np.testing.assert_allclose(l2_linear_ae_singular_values(np.array([4.0]), 1.0), [np.sqrt(0.75)])


def test_linear_autoencoder_without_and_with_l2(x):
    model, mean = fit_linear_autoencoder(x, 2, epochs=5)
    assert mean.dtype == np.float32 and mean == pytest.approx(x.mean(0), rel=1e-6)
    assert model.encoder.bias is None and model.decoder.bias is None and model.decoder_weight.shape == (6, 2)
    other, _ = fit_linear_autoencoder(x, 2, epochs=5, seed=1)
    assert not torch.equal(model.decoder_weight, other.decoder_weight)
    small, _ = fit_linear_autoencoder(x, 2, epochs=200, l2=50.0)
    large, _ = fit_linear_autoencoder(x, 2, epochs=200)
    assert small.decoder_weight.norm() < 0.8 * large.decoder_weight.norm()


@pytest.mark.parametrize("call, error, message", [
    (lambda: fit_pca(np.ones((5, 4)), 5), ValueError,
     "n_components: expected at most min(n_samples, n_features) = 4, got 5: PCA cannot find more axes than the "
     "data has samples or features"),
    (lambda: fit_pca(np.ones((3, 4)), 4), ValueError, "n_components: expected at most min(n_samples, n_features) = 3"
     ", got 4..."),
    (lambda: fit_pca(np.ones((5, 4)), 2.0), TypeError, "n_components: expected an integer >= 1..."),
    (lambda: fit_pca(np.ones((5, 4), np.int64), 2), TypeError, "x: expected floating-point values..."),
    (lambda: pca_baseline_mse(np.ones((5, 4)), np.ones((3, 4)), []), ValueError,
     "n_components: expected an integer or a non-empty list of integers, got an empty list"),
    (lambda: pca_baseline_mse(np.ones((5, 4)), np.ones((3, 4)), [2, 0]), ValueError,
     "n_components: expected an integer >= 1, got 0"),
    (lambda: pca_baseline_mse(np.ones((5, 4)), np.ones((3, 3)), 2), ValueError, "x_test: expected 4 features..."),
    (lambda: principal_angles(np.ones((2, 5)), np.ones((2, 1))), ValueError,
     "a: expected a (d, k) matrix whose k <= d columns span a subspace, got shape (2, 5): pass the basis vectors as "
     "columns (transpose it, e.g. pca.components.T)"),
    (lambda: principal_angles(np.eye(3)[:, :1], np.ones((3, 2))), ValueError,
     "b: its columns are linearly dependent, so they do not span a 2-D subspace: drop the redundant columns"),
    (lambda: principal_angles(np.eye(5)[:, :2], np.eye(4)[:, :1]), ValueError,
     "a and b: expected subspaces of the same space, got 5 and 4 rows"),
    (lambda: column_cosines(np.ones((5, 2)), np.ones((5, 3))), ValueError,
     "a and b: expected matrices of the same shape (d, k), got (5, 2) and (5, 3)"),
    (lambda: column_cosines(np.ones((5, 2)), np.zeros((5, 2))), ValueError,
     "a and b: a column is all zeros, so its direction is undefined"),
    (lambda: l2_linear_ae_singular_values([1.0, 0.0], 0.1), ValueError,
     "eigenvalues: expected a 1-D array of positive covariance eigenvalues, got array([1., 0.])"),
    (lambda: l2_linear_ae_singular_values([], 0.1), ValueError, "eigenvalues: expected a 1-D array of positive..."),
    (lambda: l2_linear_ae_singular_values([[1.0]], 0.1), ValueError, "eigenvalues: expected a 1-D array..."),
    (lambda: l2_linear_ae_singular_values([np.inf], 0.1), ValueError, "eigenvalues: expected a 1-D array..."),
    (lambda: l2_linear_ae_singular_values([1.0], -1.0), ValueError, "lam: expected a number in [0, inf], got -1"),
    (lambda: fit_linear_autoencoder(np.ones((5, 4)), 0), ValueError, "n_code: expected an integer >= 1, got 0"),
    (lambda: fit_linear_autoencoder(np.ones(5), 1), ValueError, "x: expected a 2-D array..."),
    (lambda: fit_pca(np.ones((5, 4)), 2).encode(np.ones(4)), ValueError, "x: expected a 2-D array..."),
    (lambda: fit_pca(np.ones((5, 4)), 2).decode(np.ones(2)), ValueError, "h: expected a 2-D array..."),
    (lambda: fit_pca(np.ones((5, 4)), 2).decode(np.ones((1, 3))), ValueError, "h: expected 2 features per sample..."),
    (lambda: pca_baseline_mse(np.ones(5), np.ones((3, 4)), 2), ValueError, "x_train: expected a 2-D array..."),
    (lambda: principal_angles(np.ones(3), np.ones((3, 1))), ValueError, "a: expected a 2-D array..."),
    (lambda: principal_angles(np.ones((3, 1)), np.ones(3)), ValueError, "b: expected a 2-D array..."),
    (lambda: principal_angles(np.zeros((3, 1)), np.ones((3, 1))), ValueError,
     "a: its columns are linearly dependent, so they do not span a 1-D subspace: drop the redundant columns"),
    (lambda: column_cosines(np.ones(3), np.ones((3, 1))), ValueError, "a: expected a 2-D array..."),
    (lambda: column_cosines(np.ones((3, 1)), np.ones(3)), ValueError, "b: expected a 2-D array..."),
    (lambda: fit_linear_autoencoder(np.ones((5, 4)), 2, l2=-1.0), ValueError,
     "l2: expected a number in [0, inf], got -1"),
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_pca_is_a_frozen_record(x):
    pca = fit_pca(x, 2)
    with pytest.raises(AttributeError):
        pca.mean = None
    assert isinstance(pca, PCA)


def test_dependence_is_judged_relative_to_the_scale():
    # the second column is the first plus 1e-11 of a new direction: dependent at any scale
    a = np.array([[1.0, 1.0], [0.0, 1e-11], [0.0, 0.0]])
    for scale in (1.0, 1e6, 1e-6):
        with pytest.raises(ValueError, match="linearly dependent"):
            principal_angles(a * scale, np.eye(3)[:, :1])
    np.testing.assert_allclose(principal_angles(a[:, :1] * 1e6, np.eye(3)[:, :1]), [0.0], atol=1e-12)


def test_angles_of_square_bases_and_of_rounded_cosines():
    rotation = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))[0]
    np.testing.assert_allclose(principal_angles(np.eye(3), rotation), [0.0] * 3, atol=1e-6)   # k = d is allowed
    # one basis of a 3-D subspace of R^6 and another of the same subspace: a cosine rounds to 1 + 2^-52, which
    # would be arccos's NaN without the clip
    rng = np.random.default_rng(2)
    a = rng.normal(size=(6, 3))
    angles = principal_angles(a, a @ rng.normal(size=(3, 3)))
    assert np.isfinite(angles).all() and angles.max() < 1e-5


def test_float32_inputs_are_computed_in_float64():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(7, 2)).astype(np.float32), rng.normal(size=(7, 2)).astype(np.float32)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    np.testing.assert_allclose(principal_angles(a, b), principal_angles(a64, b64), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(principal_angles(a64, b), principal_angles(a64, b64), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(column_cosines(a, b), column_cosines(a64, b64), rtol=1e-13)
    np.testing.assert_allclose(column_cosines(a64, b), column_cosines(a64, b64), rtol=1e-13)
    e = np.array([3.3, 1.7, 0.3], dtype=np.float32)
    s = l2_linear_ae_singular_values(e, 0.2)
    assert s.dtype == np.float64
    np.testing.assert_allclose(s, np.sqrt(1 - 0.2 / e.astype(np.float64)), rtol=1e-15)
    big = (1e4 + rng.random((40, 3))).astype(np.float32)       # the mean of float32 values, taken in float64
    _, mean = fit_linear_autoencoder(big, 1, epochs=1)
    np.testing.assert_array_equal(mean, big.astype(np.float64).mean(0).astype(np.float32))


def adam_reference(x, n_code, *, l2, epochs, lr, seed):
    """What fit_linear_autoencoder documents: full-batch Adam on the centred data, loss = mean over items of
    ||x - W2 W1 x||^2 + l2 (||W1||^2 + ||W2||^2), the model initialised after seed_everything(seed)."""
    data = torch.as_tensor((x - x.mean(0)).astype(np.float32))
    seed_everything(seed)
    model = LinearAutoencoder(x.shape[1], n_code, bias=False)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        loss = ((model.decode(model.encode(data)) - data) ** 2).sum(dim=1).mean()
        loss = loss + l2 * (model.encoder.weight.pow(2).sum() + model.decoder.weight.pow(2).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def weights(model):
    return [p.detach().cpu() for p in (model.encoder.weight, model.decoder.weight)]


@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_linear_autoencoder_is_full_batch_adam_on_its_objective(x, l2, capsys):
    model, mean = fit_linear_autoencoder(x, 2, l2=l2, epochs=4, lr=0.05, seed=3)      # 80 items: > one batch of 64
    assert capsys.readouterr().err == ""                                                # no progress bar
    for got, expected in zip(weights(model), weights(adam_reference(x, 2, l2=l2, epochs=4, lr=0.05, seed=3))):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_linear_autoencoder_defaults(x):
    small = x[:20, :3]
    model, _ = fit_linear_autoencoder(small, 1)                                        # l2 = 0, 600 epochs, lr 1e-2
    for got, expected in zip(weights(model), weights(adam_reference(small, 1, l2=0.0, epochs=600, lr=1e-2, seed=0))):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
