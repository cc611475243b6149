"""Lesson 02 (sparse autoencoders): the claims of notebooks/02_sparse.ipynb, and the exercise checkers."""
import numpy as np
import pytest
import torch

from aecourse.course.checks import run_checks
from aecourse.data import load_digits
from aecourse.models import make_autoencoder
from aecourse.penalties import KLSparsity, L1Activity
from aecourse.training import encode, fit, reconstruct


def overcomplete():
    return make_autoencoder(64, [], 128, code_activation="sigmoid")


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_kl_sparse_mean_activation_near_rho_plain_near_half(digits):
    plain, sparse = overcomplete(), overcomplete()
    fit(plain, digits.x_train, epochs=60, lr=1e-2, seed=0, progress=False)
    fit(sparse, digits.x_train, epochs=60, lr=1e-2, penalty=KLSparsity(0.05, 3.0), seed=0, progress=False)
    assert 0.03 <= encode(sparse, digits.x_test).mean() <= 0.08
    assert 0.4 <= encode(plain, digits.x_test).mean() <= 0.6


def test_sparse_overcomplete_ae_does_not_copy_noise():
    rng = np.random.default_rng(1)
    train, test = rng.random((1500, 64)).astype(np.float32), rng.random((300, 64)).astype(np.float32)
    r2 = {}
    for name, penalty in [("plain", None), ("sparse", KLSparsity(0.05, 3.0))]:
        model = overcomplete()
        fit(model, train, epochs=30, lr=1e-2, penalty=penalty, seed=0, progress=False)
        r2[name] = 1 - np.mean((reconstruct(model, test) - test) ** 2) / test.var()
    assert r2["plain"] > 0.9 and r2["sparse"] < 0.5


def test_kl_penalty_on_the_mean_leaves_every_unit_lukewarm_l1_gives_a_long_tail(digits):
    sparse, l1 = overcomplete(), overcomplete()
    fit(sparse, digits.x_train, epochs=60, lr=1e-2, penalty=KLSparsity(0.05, 3.0), seed=0, progress=False)
    fit(l1, digits.x_train, epochs=60, lr=1e-2, penalty=L1Activity(1e-3), seed=0, progress=False)
    kl_codes, l1_codes = encode(sparse, digits.x_test), encode(l1, digits.x_test)
    assert kl_codes.max() < 0.5 and l1_codes.mean() < 0.1
    assert (l1_codes > 0.5).sum(1).mean() >= 1 and (l1_codes == 0).mean() == 0.0


def test_beta_sweep_trades_reconstruction_for_sparsity(digits):
    result = []
    for beta in (0.0, 0.01, 0.1, 1.0):
        model = overcomplete()
        fit(model, digits.x_train, epochs=30, lr=1e-2, penalty=KLSparsity(0.05, beta), seed=0, progress=False)
        result.append((encode(model, digits.x_test).mean(),
                       np.mean((reconstruct(model, digits.x_test) - digits.x_test) ** 2)))
    errors = [e for _, e in result]
    assert result[0][0] > 0.4 and result[-1][0] < 0.08
    assert errors[-1] > 5 * errors[0] and all(a < b for a, b in zip(errors, errors[1:]))


def test_history_records_reconstruction_and_penalty_separately(digits):
    history = fit(overcomplete(), digits.x_train[:256], epochs=3, lr=1e-2, penalty=KLSparsity(0.05, 3.0), seed=0,
                  progress=False)
    assert len(history.reconstruction) == len(history.penalty) == 3
    assert history.penalty[0] > history.penalty[-1] > 0
    np.testing.assert_allclose(history.loss, np.add(history.reconstruction, history.penalty), rtol=1e-5)


def test_relu_l1_gives_exact_zeros(digits):
    model = make_autoencoder(64, [], 128, code_activation="relu")
    fit(model, digits.x_train, epochs=30, lr=1e-2, penalty=L1Activity(1e-3), seed=0, progress=False)
    assert (encode(model, digits.x_test) == 0).mean() > 0.7


def test_losses_are_negative_log_likelihoods_and_the_two_decoders_agree_on_the_digits(digits):
    x, r = torch.as_tensor(digits.x_test[:5], dtype=torch.float64), torch.rand(5, 64, dtype=torch.float64) * 0.9 + 0.05
    s, lam = 0.3, 1e-3
    torch.testing.assert_close(-torch.distributions.Normal(r, s).log_prob(x).sum(),
                               ((x - r) ** 2).sum() / (2 * s ** 2) + x.numel() / 2 * np.log(2 * np.pi * s ** 2))
    binary = (x > 0.5).double()
    torch.testing.assert_close(-torch.distributions.Bernoulli(probs=r).log_prob(binary).sum(),
                               torch.nn.functional.binary_cross_entropy(r, binary, reduction="sum"))
    h = torch.rand(5, 128, dtype=torch.float64)
    torch.testing.assert_close(-torch.distributions.Laplace(0.0, 1 / lam).log_prob(h).sum(),
                               lam * h.abs().sum() - h.numel() * np.log(lam / 2))
    mse = {}
    for loss in ("mse", "bce"):
        model = make_autoencoder(64, [], 16)
        fit(model, digits.x_train, epochs=30, lr=1e-2, loss=loss, seed=0, progress=False)
        mse[loss] = np.mean((reconstruct(model, digits.x_test) - digits.x_test) ** 2)
    assert abs(mse["bce"] - mse["mse"]) < 0.15 * mse["mse"]


# --------------------------------------------------------------------------------------------- exercise checks

def l1_right(h, lam):
    return lam * h.abs().sum(dim=1).mean()


def kl_right(h, rho, beta):
    rho_hat = h.mean(dim=0)
    return beta * (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def numgrad_right(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    flat, g = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = float(f(x))
        flat[i] = old - eps
        down = float(f(x))
        flat[i] = old
        g[i] = (up - down) / (2 * eps)
    return grad


def numgrad_forward(f, x, eps=1e-6):
    grad, base = torch.zeros_like(x), float(f(x))
    flat, g = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        g[i] = (float(f(x)) - base) / eps
        flat[i] = old
    return grad


def numgrad_no_restore(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    flat, g = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        flat[i] += eps
        up = float(f(x))
        flat[i] -= 2 * eps
        g[i] = (up - float(f(x))) / (2 * eps)
    return grad


def kl_reversed(h, rho, beta):
    r = h.mean(0)
    return beta * (r * torch.log(r / rho) + (1 - r) * torch.log((1 - r) / (1 - rho))).sum()


def kl_per_example(h, rho, beta):
    return beta * (rho * torch.log(rho / h) + (1 - rho) * torch.log((1 - rho) / (1 - h))).sum(1).mean()


def test_right_answers_pass():
    for exercise_id, fn in [("02.l1_activity", l1_right), ("02.kl_sparsity", kl_right),
                            ("02.numerical_gradient", numgrad_right)]:
        report = run_checks(exercise_id, fn)
        assert report.all_passed, report.text()


@pytest.mark.parametrize("exercise_id, wrong, hint", [
    ("02.l1_activity", lambda h, lam: lam * h.sum(1).mean(), "absolute value"),
    ("02.l1_activity", lambda h, lam: lam * h.abs().sum(), "average over the examples"),
    ("02.l1_activity", lambda h, lam: (lam * h.abs().sum(1).mean()).item(), "0-d torch tensor"),
    ("02.kl_sparsity", kl_reversed, "swapped"),
    ("02.kl_sparsity", kl_per_example, "over the batch"),
    ("02.kl_sparsity", lambda h, rho, beta: kl_right(h, rho, 3.0), "beta"),
    ("02.numerical_gradient", numgrad_forward, "central"),
    ("02.numerical_gradient", numgrad_no_restore, "restore"),
])
def test_wrong_answers_are_caught(exercise_id, wrong, hint):
    report = run_checks(exercise_id, wrong)
    assert not report.all_passed
    assert hint in report.text(), report.text()


def test_stub_reads_not_attempted():
    def stub(*args):
        raise NotImplementedError()
    assert "not attempted" in run_checks("02.kl_sparsity", stub).text()
