"""Lesson 04 (denoising and missing inputs): the claims of notebooks/04_denoising.ipynb, the score view, the
widget, and the exercise checkers."""
import numpy as np
import pytest
import torch

from aecourse.corruption import GaussianNoise, MaskingNoise, gaussian_noise, masked_rmse, masking_noise
from aecourse.course.checks import run_checks
from aecourse.data import load_digits
from aecourse.denoising_score import cosine_similarity, dae_vector_field, grid, mixture_sample, mixture_score
from aecourse.models import make_autoencoder
from aecourse.penalties import KLSparsity
from aecourse.training import encode, fit, reconstruct
from aecourse.widgets.denoising import DenoisingExplorer


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def trained(digits):
    models = {}
    for name, corrupt in [("plain", None), ("dae", MaskingNoise(0.25))]:
        models[name] = make_autoencoder(64, [128], 32)
        fit(models[name], digits.x_train, epochs=60, lr=3e-3, corrupt=corrupt, seed=0, progress=False)
    return models


def test_masking_dae_imputes_better_than_mean_better_than_plain(digits, trained):
    x_missing, mask = masking_noise(digits.x_test, 0.25, torch.Generator().manual_seed(1), return_mask=True)
    rmse_mean = masked_rmse(digits.x_test, np.where(mask, digits.x_train.mean(0), x_missing), mask)
    rmse_dae = masked_rmse(digits.x_test, reconstruct(trained["dae"], x_missing), mask)
    rmse_plain = masked_rmse(digits.x_test, reconstruct(trained["plain"], x_missing), mask)
    assert rmse_dae < 0.85 * rmse_mean  # measured .17 vs .27
    assert rmse_mean < 0.95 * rmse_plain  # measured .27 vs .33


def test_sparse_denoising_ae_combines_penalty_and_corruption(digits):
    model = make_autoencoder(64, [], 128, code_activation="sigmoid")
    history = fit(model, digits.x_train, epochs=60, lr=1e-2, penalty=KLSparsity(0.05, 3.0), corrupt=MaskingNoise(0.25),
                  seed=0, progress=False)
    assert history.penalty[-1] > 0
    x_missing, mask = masking_noise(digits.x_test, 0.25, torch.Generator().manual_seed(1), return_mask=True)
    assert 0.03 <= encode(model, x_missing).mean() <= 0.08  # measured .048 on masked inputs (.021 on clean ones)
    rmse_mean = masked_rmse(digits.x_test, np.where(mask, digits.x_train.mean(0), x_missing), mask)
    assert masked_rmse(digits.x_test, reconstruct(model, x_missing), mask) < rmse_mean


def test_dae_vector_field_follows_the_score():
    std, sigma = 0.1, 0.3
    model = make_autoencoder(2, [64], 16, activation="tanh", output_activation=None)
    fit(model, mixture_sample(2000, std, seed=0), epochs=40, lr=3e-3, corrupt=GaussianNoise(sigma), seed=0,
        progress=False)
    where = gaussian_noise(mixture_sample(500, std, seed=1), sigma, torch.Generator().manual_seed(2))
    cos = cosine_similarity(dae_vector_field(model, where), sigma ** 2 * mixture_score(where, std, sigma))
    assert np.median(cos) > 0.9


def test_mixture_score_matches_finite_differences_of_log_density():
    from scipy.stats import multivariate_normal

    from aecourse.data import MIXTURE_CENTRES
    std, sigma = 0.2, 0.3
    var = std ** 2 + sigma ** 2

    def log_p(p):
        return np.log(sum(multivariate_normal(c, var * np.eye(2)).pdf(p) for c in MIXTURE_CENTRES) / 4)
    points = np.array([[0.3, -0.2], [1.2, 0.9], [-0.5, 0.1]])
    eps = 1e-5
    numeric = np.stack([(log_p(points + eps * e) - log_p(points - eps * e)) / (2 * eps) for e in np.eye(2)], axis=1)
    assert np.allclose(mixture_score(points, std, sigma), numeric, rtol=1e-5, atol=1e-7)


def test_score_helpers_validate():
    assert grid(-1, 1, 3).shape == (9, 2)
    assert np.allclose(cosine_similarity(np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[2.0, 0.0], [1.0, 1.0]])),
                       [1.0, 0.0])
    with pytest.raises(ValueError, match="2 features"):
        mixture_score(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="low < high"):
        grid(1, 1)
    with pytest.raises(ValueError, match="std or sigma > 0"):
        mixture_score(np.zeros((3, 2)), std=0.0, sigma=0.0)


def test_widget_redraws_on_kind_and_level(digits, trained):
    x = 0.1 + 0.8 * digits.x_test  # no pixel is 0 or 1, so every corrupted pixel is visible
    w = DenoisingExplorer(x, models={"plain AE": trained["plain"]}, daes={"masking": trained["dae"]}, n_images=6)
    assert w.corrupted.shape == (6, 64) and ((w.corrupted == 0).sum(1) == 16).all()
    w.level.value = 0.5
    assert ((w.corrupted == 0).sum(1) == 32).all()
    assert w.status_text().startswith("masking (missing pixels), nu = 50%: DAE (masking (missing pixels)) MSE")
    w.kind.value = "salt_and_pepper"           # no DAE for it and no x_train: only the plain AE is shown
    changed = w.corrupted != w.x_show
    assert (changed.sum(1) == 32).all() and np.isin(w.corrupted[changed], [0.0, 1.0]).all()
    assert set(w.reconstructions) == {"plain AE"} and w.level.description == "share flipped"
    w.kind.value = "gaussian"
    assert w.level.description == "noise sigma"
    w.level.value = 0.0
    assert np.array_equal(w.corrupted, w.x_show) and w.status_text().startswith("gaussian noise, sigma = 0.00")


def test_widget_numbers_and_images_are_drawn_together(digits, trained):
    w = DenoisingExplorer(digits.x_test, models={"plain AE": trained["plain"]}, daes={"masking": trained["dae"]},
                          n_images=4)
    w.show()
    text, image = w.output.outputs
    assert text["data"]["text/html"] == f"<div class='aecourse-status'>{w.status_text()}</div>"
    assert "image/png" in image["data"]
    assert w.trained_on.value == ("<b>DAE (masking (missing pixels))</b>: trained on masking (missing pixels), "
                                  "nu = 25%; <b>plain AE</b>: trained on clean digits")
    assert [label for label, _ in w.kind.options] == ["gaussian noise", "masking (missing pixels)",
                                                      "salt and pepper"]


def test_widget_errors_are_over_all_the_digits_the_pictures_show_the_first(digits, trained):
    """The MSEs are means over every digit given (300 test digits), the pictures the first n_images of them."""
    w = DenoisingExplorer(digits.x_test, models={"plain AE": trained["plain"]}, n_images=4, kind="gaussian", level=0)
    everything = float(np.mean((reconstruct(trained["plain"], digits.x_test) - digits.x_test) ** 2))
    assert w.errors["plain AE"] == pytest.approx(everything, rel=1e-5)
    assert w.reconstructions["plain AE"].shape == (4, 64) and w.status_text().endswith("(mean over 300 digits)")


def test_widget_trains_one_dae_per_kind_once(digits, trained):
    calls = []

    def train(x_train, kind, level):
        calls.append((kind, level))
        return make_autoencoder(64, [8], 4)
    w = DenoisingExplorer(digits.x_test, models={"plain AE": trained["plain"]}, daes={"masking": trained["dae"]},
                          x_train=digits.x_train, train=train, n_images=3)
    assert calls == []                                   # the given masking DAE is used
    w.kind.value = "gaussian"
    w.kind.value = "salt_and_pepper"
    w.kind.value = "gaussian"
    assert calls == [("gaussian", 0.3), ("salt_and_pepper", 0.25)]
    again = DenoisingExplorer(digits.x_test, x_train=digits.x_train, train=train, kind="gaussian", n_images=3)
    assert "gaussian noise, sigma = 0.30" in again.trained_on_text() and len(calls) == 2   # cached per session


def test_the_gaussian_dae_beats_the_plain_ae_on_gaussian_noise(digits, trained):
    """Lesson 04's widget: the DAE trained on gaussian noise (sigma 0.3) beats the plain AE on noisy digits,
    which the masking DAE did not (measured .049 vs .032 at sigma 0.3)."""
    w = DenoisingExplorer(digits.x_test, models={"plain AE": trained["plain"]}, daes={"masking": trained["dae"]},
                          x_train=digits.x_train, kind="gaussian", level=0.3)
    dae = w.errors["DAE (gaussian noise)"]
    assert dae < 0.8 * w.errors["plain AE"], w.errors
    w.level.value = 0.6
    assert w.errors["DAE (gaussian noise)"] < 0.8 * w.errors["plain AE"], w.errors
    masking_only = DenoisingExplorer(digits.x_test, models={"plain AE": trained["plain"],
                                                            "masking DAE": trained["dae"]},
                                     kind="gaussian", level=0.3)
    assert masking_only.errors["masking DAE"] > masking_only.errors["plain AE"], masking_only.errors


def test_widget_rejects_bad_input(digits):
    with pytest.raises(ValueError, match="models"):
        DenoisingExplorer(digits.x_test, models={})
    with pytest.raises(ValueError, match="kind"):
        DenoisingExplorer(digits.x_test, models={"AE": make_autoencoder(64, [8], 2)}, kind="blur")
    with pytest.raises(ValueError, match="kind"):
        DenoisingExplorer(digits.x_test, daes={"blur": make_autoencoder(64, [8], 2)})


# --------------------------------------------------------------------------------------------- exercise checks

def masking_right(x, nu, generator):
    n, d = x.shape
    ranks = torch.rand(n, d, generator=generator).argsort(dim=1).argsort(dim=1)
    return x.masked_fill(ranks < round(nu * d), 0.0)


def sp_right(x, nu, generator):
    n, d = x.shape
    ranks = torch.rand(n, d, generator=generator).argsort(dim=1).argsort(dim=1)
    coin = (torch.rand(n, d, generator=generator) < 0.5).to(x.dtype)
    return torch.where(ranks < round(nu * d), coin, x)


def rmse_right(x, x_hat, mask):
    return float(np.sqrt(np.mean((x[mask] - x_hat[mask]) ** 2)))


def masking_bernoulli(x, nu, generator):
    return x * (torch.rand(x.shape, generator=generator) >= nu)


def masking_unseeded(x, nu, generator):
    return masking_right(x, nu, None)


def masking_in_place(x, nu, generator):
    n, d = x.shape
    ranks = torch.rand(n, d, generator=generator).argsort(dim=1).argsort(dim=1)
    x[ranks < round(nu * d)] = 0.0
    return x


def masking_same_positions(x, nu, generator):
    keep = torch.ones(x.shape[1], dtype=torch.bool)
    keep[:round(nu * x.shape[1])] = False
    return x * keep


def masking_to_nu(x, nu, generator):
    n, d = x.shape
    ranks = torch.rand(n, d, generator=generator).argsort(dim=1).argsort(dim=1)
    return x.masked_fill(ranks < round(nu * d), nu)


def sp_always_salt(x, nu, generator):
    n, d = x.shape
    ranks = torch.rand(n, d, generator=generator).argsort(dim=1).argsort(dim=1)
    return x.masked_fill(ranks < round(nu * d), 1.0)


def sp_uniform_values(x, nu, generator):
    n, d = x.shape
    ranks = torch.rand(n, d, generator=generator).argsort(dim=1).argsort(dim=1)
    return torch.where(ranks < round(nu * d), torch.rand(n, d, generator=generator), x)


def test_right_answers_pass():
    for exercise_id, fn in [("04.masking_noise", masking_right), ("04.salt_and_pepper", sp_right),
                            ("04.masked_rmse", rmse_right)]:
        report = run_checks(exercise_id, fn)
        assert report.all_passed, report.text()


@pytest.mark.parametrize("exercise_id, wrong, hint", [
    ("04.masking_noise", masking_bernoulli, "exactly round(nu * d)"),
    ("04.masking_noise", masking_unseeded, "same seed"),
    ("04.masking_noise", masking_in_place, "in place"),
    ("04.masking_noise", masking_same_positions, "new positions for every example"),
    ("04.masking_noise", masking_to_nu, "set to 0"),
    ("04.salt_and_pepper", sp_always_salt, "fair coin"),
    ("04.salt_and_pepper", sp_uniform_values, "(pepper)"),
    ("04.masked_rmse", lambda x, x_hat, mask: float(np.sqrt(np.mean((x - x_hat) ** 2))), "masked entries only"),
    ("04.masked_rmse", lambda x, x_hat, mask: float(np.mean((x[mask] - x_hat[mask]) ** 2)), "square root"),
    ("04.masked_rmse", lambda x, x_hat, mask: float(np.sqrt(np.sum((x - x_hat) ** 2 * mask) / x.size)),
     "number of masked entries"),
])
def test_wrong_answers_are_caught(exercise_id, wrong, hint):
    report = run_checks(exercise_id, wrong)
    assert not report.all_passed
    assert hint in report.text(), report.text()
