"""Checks for solutions/01_undercomplete.ipynb."""
import numpy as np
import torch

from ...pca import fit_pca, principal_angles
from . import CheckFailed, exercise, expect, expect_close


def _digits_like(n: int = 40, d: int = 12, seed: int = 0) -> np.ndarray:
    """Correlated data with a non-zero mean, so forgetting to centre or to add the mean back shows."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 3)) @ rng.normal(size=(3, d)) + 0.1 * rng.normal(size=(n, d)) + 2.0).astype(float)


@exercise("01.reconstruction_loss", function="reconstruction_loss", points=2)
def check_reconstruction_loss(fn, case):
    torch.manual_seed(0)
    f, g = torch.nn.Linear(6, 2), torch.nn.Linear(2, 6)
    x = torch.rand(5, 6)
    with case("an identity encoder and decoder cost 0"):
        expect_close(fn(lambda v: v, lambda v: v, x), 0.0, hint="when g(f(x)) == x the loss must be 0")
    with case("mean squared error of g(f(x)) against x"):
        expect_close(fn(f, g, x), ((g(f(x)) - x) ** 2).mean(), hint="encode with f, decode with g, then "
                     "average (g(f(x)) - x) ** 2 over items AND features")
    with case("returns a scalar tensor"):
        out = fn(f, g, x)
        expect(isinstance(out, torch.Tensor) and out.ndim == 0,
               f"return a 0-d torch tensor so it can be back-propagated, got {type(out).__name__}")
    with case("gradients reach the encoder"):
        f.zero_grad()
        fn(f, g, x).backward()
        expected = torch.autograd.grad(((g(f(x)) - x) ** 2).mean(), f.weight)[0]
        expect(f.weight.grad is not None, "no gradient reached f: keep the computation in torch (no .detach(), "
               "numpy or .item())")
        expect_close(f.weight.grad, expected, hint="the gradient with respect to the encoder's weights is off")


@exercise("01.pca_reconstruct", function="pca_reconstruct", points=3)
def check_pca_reconstruct(fn, case):
    x_train, x_new = _digits_like(seed=0), _digits_like(n=7, seed=0)[:, ::-1].copy()
    with case("matches the library's fit_pca(x_train, k).reconstruct(x) for k = 2"):
        expect_close(fn(x_train, x_new, 2), fit_pca(x_train, 2).reconstruct(x_new), rtol=1e-3, atol=1e-6,
                     hint="centre with the TRAINING mean, project on the top-k right singular vectors (rows of "
                          "Vt), then add the mean back: mu + (x - mu) @ Vt[:k].T @ Vt[:k]")
    with case("reconstructs x_train itself for k = 1 and k = 3"):
        for k in (1, 3):
            expect_close(fn(x_train, x_train, k), fit_pca(x_train, k).reconstruct(x_train), rtol=1e-3, atol=1e-6,
                         hint=f"k = {k}: use the first k rows of Vt from np.linalg.svd(x_train - mu)")
    with case("keeping every axis gives x back"):
        expect_close(fn(x_train, x_new, x_train.shape[1]), x_new, rtol=1e-3, atol=1e-6,
                     hint="with k = d the projection is the identity, so the reconstruction must equal x")
    with case("returns an (n, d) array"):
        out = np.asarray(fn(x_train, x_new, 2))
        expect(out.shape == x_new.shape, f"expected shape {x_new.shape} (one reconstruction per row of x), "
               f"got {out.shape}")


@exercise("01.principal_angles", function="principal_angles", points=3)
def check_principal_angles(fn, case):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(6, 2))
    with case("two bases of one subspace: every angle is 0"):
        mix = np.array([[2.0, 1.0], [0.5, -1.0]])
        expect_close(fn(a, a @ mix), [0.0, 0.0], atol=1e-3, hint="the angles must not depend on the basis: "
                     "orthonormalise each matrix first (np.linalg.qr)")
    with case("orthogonal subspaces: 90 degrees"):
        e = np.eye(4)
        expect_close(fn(e[:, :2], e[:, 2:]), [90.0, 90.0], atol=1e-3, hint="return the angles in degrees "
                     "(np.degrees), from the arccos of the singular values of Q_a^T Q_b")
    with case("matches the library on random subspaces (smallest angle first)"):
        b = rng.normal(size=(6, 2))
        expect_close(fn(a, b), principal_angles(a, b), atol=1e-3, hint="cos(theta_i) are the singular values of "
                     "Q_a^T Q_b; sort the angles from smallest to largest")
    with case("a plane against a line inside it"):
        line = a[:, :1] + 0.0
        got = np.asarray(fn(a, line))
        expect(got.shape == (1,), f"a 2-D and a 1-D subspace have min(2, 1) = 1 principal angle, got {got.shape}")
        if abs(float(got[0])) > 1e-3:
            raise CheckFailed(f"a line inside the plane makes angle 0 with it, got {float(got[0]):.3g} degrees")


@exercise("01.training_step", function="training_step", points=2)
def check_training_step(fn, case):
    def setup():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(6, 2), torch.nn.Linear(2, 6))
        return model, torch.optim.SGD(model.parameters(), lr=0.1), torch.rand(8, 6)

    def reference():
        model, opt, x = setup()
        loss = ((model(x) - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.detach()), [p.detach().clone() for p in model.parameters()]

    expected_loss, expected_params = reference()
    with case("returns the loss before the step as a Python float"):
        model, opt, x = setup()
        out = fn(model, opt, x)
        expect(isinstance(out, float), f"return loss.item() (a float), got {type(out).__name__}")
        expect_close(out, expected_loss, hint="return the MSE of model(x) against x computed before the update")
    with case("one SGD step updates the parameters like the reference"):
        model, opt, x = setup()
        fn(model, opt, x)
        for got, want in zip(model.parameters(), expected_params):
            expect_close(got.detach(), want, rtol=1e-4, atol=1e-6, hint="call loss.backward() then "
                         "optimizer.step() once")
    with case("old gradients are cleared first"):
        model, opt, x = setup()
        for p in model.parameters():
            p.grad = torch.ones_like(p)
        fn(model, opt, x)
        for got, want in zip(model.parameters(), expected_params):
            expect_close(got.detach(), want, rtol=1e-4, atol=1e-6, hint="call optimizer.zero_grad() before "
                         "backward(): gradients add up across calls otherwise")
    with case("the loss goes down over a few steps"):
        model, opt, x = setup()
        losses = [fn(model, opt, x) for _ in range(5)]
        expect(losses[-1] < losses[0], f"the loss should fall over 5 steps, got {[round(v, 4) for v in losses]}")
