"""Lesson 03 (contractive autoencoders): the claims of notebooks/03_contractive.ipynb, and the exercise checkers."""
import numpy as np
import pytest
import torch

from aecourse.course.checks import run_checks
from aecourse.penalties import (
    Contractive,
    contraction_ratio,
    contractive_sigmoid,
    jacobian_frobenius_sq,
    jacobian_singular_values,
    saturation_fraction,
    tied_sigmoid_autoencoder,
)
from aecourse.training import encode, fit, reconstruct


@pytest.fixture(scope="module")
def trained(tied_cae_models):
    return tied_cae_models


def test_cae_jacobian_norm_under_half_of_plain(trained):
    digits, models = trained
    x = torch.as_tensor(digits.x_test)
    norm = {name: jacobian_frobenius_sq(m, x).sqrt().mean().item() for name, m in models.items()}
    assert norm["cae"] < 0.5 * norm["plain"]


def test_singular_values_above_one_few_for_cae_many_for_plain(trained):
    digits, models = trained
    x = torch.as_tensor(digits.x_test)
    above = {name: (jacobian_singular_values(m, x) > 1).sum(1).float().mean().item() for name, m in models.items()}
    assert above["cae"] <= 3 and above["plain"] >= 10


def test_cae_saturates_units(trained):
    digits, models = trained
    sat = {name: saturation_fraction(encode(m, digits.x_test)) for name, m in models.items()}
    assert sat["cae"] > 0.3 and sat["plain"] < 0.1


def test_contraction_ratio_smaller_at_every_scale(trained):
    digits, models = trained
    x = torch.as_tensor(digits.x_test)
    for eps in (0.01, 0.1, 1.0, 3.0):
        r = {name: contraction_ratio(m, x, eps, torch.Generator().manual_seed(0)) for name, m in models.items()}
        assert r["cae"] < 0.5 * r["plain"]


def test_closed_form_penalty_equals_autograd_penalty_on_trained_model(trained):
    digits, models = trained
    x = torch.as_tensor(digits.x_train[:64], dtype=torch.float64).requires_grad_(True)
    model = models["cae"].double()
    h = model.encode(x)
    closed, auto = Contractive(1.0, "sigmoid")(model, x, h), Contractive(1.0, "autograd")(model, x, h)
    assert abs(closed - auto) <= 1e-6 * abs(auto)
    models["cae"].float()


def test_lambda_sweep_trades_reconstruction_for_contraction(trained):
    digits, models = trained
    x = torch.as_tensor(digits.x_test)
    sweep = {0.0: models["plain"], 3e-3: models["cae"]}
    for lam in (1e-3, 1e-2, 3e-2):
        sweep[lam] = tied_sigmoid_autoencoder(64, 128)
        fit(sweep[lam], digits.x_train, epochs=60, lr=1e-2, penalty=Contractive(lam), seed=0, progress=False)
        sweep[lam].cpu()
    lams = sorted(sweep)
    norm = [jacobian_frobenius_sq(sweep[lam], x).sqrt().mean().item() for lam in lams]
    mse = [np.mean((reconstruct(sweep[lam], digits.x_test) - digits.x_test) ** 2) for lam in lams]
    assert all(a > b for a, b in zip(norm, norm[1:])) and all(a < b for a, b in zip(mse, mse[1:]))


# --------------------------------------------------------------------------------------------- exercise checks

def closed_right(h, W):
    return ((h * (1 - h)) ** 2) @ (W ** 2).sum(dim=1)


def autograd_right(encoder, x):
    return torch.func.vmap(torch.func.jacrev(encoder))(x).pow(2).sum(dim=(1, 2))


def compare_right(encoder, x):
    closed, auto = closed_right(encoder(x), encoder[0].weight), autograd_right(encoder, x)
    return ((closed - auto).abs() / auto.abs()).max().item()


def autograd_mixed(encoder, x):
    """Wrong: the Jacobian of the batch-summed code mixes examples (n x d), then sums it all per example."""
    x = x.clone().requires_grad_(True)
    rows = [torch.autograd.grad(encoder(x).sum(1)[i], x, create_graph=True)[0] for i in range(len(x))]
    return torch.stack([r.pow(2).sum() for r in rows])


def test_right_answers_pass():
    for exercise_id, fn in [("03.contractive_sigmoid", closed_right), ("03.jacobian_frobenius_sq", autograd_right),
                            ("03.compare_contractive", compare_right)]:
        report = run_checks(exercise_id, fn)
        assert report.all_passed, report.text()


@pytest.mark.parametrize("exercise_id, wrong, hint", [
    ("03.contractive_sigmoid", lambda h, W: (h * (1 - h)) @ (W ** 2).sum(1), "square the sigmoid derivative"),
    ("03.contractive_sigmoid", lambda h, W: ((h * (1 - h)) ** 2).sum(1) * (W ** 2).sum(), "own row"),
    ("03.contractive_sigmoid", lambda h, W: (((h * (1 - h)) ** 2) @ (W ** 2).sum(1)).mean(), "shape (n_examples,)"),
    ("03.jacobian_frobenius_sq", autograd_mixed, "do not mix examples"),
    ("03.jacobian_frobenius_sq", lambda enc, x: autograd_right(enc, x).sqrt(), "||W||_F^2"),
    ("03.compare_contractive", lambda enc, x: 0.0, "comparison must say so"),
    ("03.compare_contractive",
     lambda enc, x: (closed_right(enc(x), enc[0].weight) - autograd_right(enc, x)).abs().max(), "|autograd|"),
])
def test_wrong_answers_are_caught(exercise_id, wrong, hint):
    report = run_checks(exercise_id, wrong)
    assert not report.all_passed
    assert hint in report.text(), report.text()


def test_closed_form_rejects_wrong_weight_shape():
    with pytest.raises(ValueError, match="n_hidden=4"):
        contractive_sigmoid(torch.rand(3, 4), torch.rand(5, 4))
