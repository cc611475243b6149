"""Checks for solutions/01_undercomplete.ipynb."""
import numpy as np
import torch

from ...pca import fit_pca, principal_angles
from . import CheckFailed, exercise, expect, expect_close, expect_not_close


def _digits_like(n: int = 40, d: int = 12, seed: int = 0) -> np.ndarray:
    """Correlated data with a non-zero mean, so forgetting to centre or to add the mean back shows."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 3)) @ rng.normal(size=(3, d)) + 0.1 * rng.normal(size=(n, d)) + 2.0).astype(float)


SHAPE_ERROR_HINT = ("a layer got an input of the wrong width: encode with f first, then decode with g, and compare "
                    "g(f(x)) with x")


@exercise("01.reconstruction_loss", function="reconstruction_loss", points=2)
def check_reconstruction_loss(fn, case):
    torch.manual_seed(0)
    f, g = torch.nn.Linear(6, 2), torch.nn.Linear(2, 6)
    x = torch.rand(5, 6)
    with case("an identity encoder and decoder cost 0"):
        expect_close(fn(lambda v: v, lambda v: v, x), 0.0, hint="when g(f(x)) == x the loss must be the single "
                     "number 0: average over items AND features")
    with case("mean squared error of g(f(x)) against x", error_hint=SHAPE_ERROR_HINT):
        got = fn(f, g, x)
        r = g(f(x)).detach()
        expect(np.ndim(got) == 0, f"expected one number, got shape {tuple(np.shape(got))}: average over items "
               "AND features")
        expect_not_close(got, ((r - x) ** 2).sum(), "you summed the squared errors: average them (.mean())")
        expect_not_close(got, ((r - x) ** 2).sum(dim=1).mean(), "you summed over the features and averaged over "
                         "the items: average over both, ((g(f(x)) - x) ** 2).mean()")
        expect_not_close(got, (r - x).abs().mean(), "that is the mean ABSOLUTE error: square the differences")
        expect_close(got, ((r - x) ** 2).mean(), hint="encode with f, decode with g, then average "
                     "(g(f(x)) - x) ** 2 over items AND features")
    with case("returns a scalar tensor"):
        out = fn(f, g, x)
        expect(isinstance(out, torch.Tensor) and out.ndim == 0,
               f"return a 0-d torch tensor so it can be back-propagated, got {type(out).__name__}: no float() "
               "or .item() here")
    with case("gradients reach the encoder"):
        f.zero_grad()
        fn(f, g, x).backward()
        expected = torch.autograd.grad(((g(f(x)) - x) ** 2).mean(), f.weight)[0]
        expect(f.weight.grad is not None, "no gradient reached f: keep the computation in torch (no .detach(), "
               "numpy or .item())")
        # only this case's own property: the gradient's direction (its scale follows the loss's value)
        along = torch.nn.functional.cosine_similarity(f.weight.grad.flatten(), expected.flatten(), dim=0)
        expect(float(along) > 0.999, "the gradient with respect to the encoder's weights points elsewhere than "
               "the mean squared error's: compute the loss from g(f(x)) and x with torch operations")


def _pca_mistakes(x_train, x, k):
    """What the usual mistakes in pca_reconstruct compute, with the hint that names each."""
    mu, mu_x = x_train.mean(axis=0), x.mean(axis=0)
    u, s, vt = np.linalg.svd(x_train - mu, full_matrices=False)
    vt_raw = np.linalg.svd(x_train, full_matrices=False)[2]
    vt_x = np.linalg.svd(x - mu_x, full_matrices=False)[2]
    top, cols = vt[:k], vt[:, :k].T
    return [
        ((x - mu) @ top.T @ top, "add the training mean back: mu + (x - mu) @ Vt[:k].T @ Vt[:k]"),
        (mu_x + (x - mu_x) @ top.T @ top, "centre x with the TRAINING mean mu = x_train.mean(axis=0), not with "
                                          "x's own mean"),
        (x @ vt_raw[:k].T @ vt_raw[:k], "centre the data first: take the SVD of x_train - mu, not of x_train"),
        (mu + (x - mu) @ cols.T @ cols, "the principal axes are the ROWS of Vt (Vt[:k]), not its columns"),
        (mu + (x - mu) @ vt[:k + 1].T @ vt[:k + 1], f"keep exactly k = {k} axes: Vt[:k], not Vt[:k + 1]"),
        (mu + (x - mu) @ vt[:k - 1].T @ vt[:k - 1], f"keep exactly k = {k} axes: Vt[:k], not Vt[:k - 1]"),
        (mu_x + (x - mu_x) @ vt_x[:k].T @ vt_x[:k], "fit the axes on x_train, then project x on them; do not "
                                                    "fit PCA on x"),
    ]


@exercise("01.pca_reconstruct", function="pca_reconstruct", points=3)
def check_pca_reconstruct(fn, case):
    x_train, x_new = _digits_like(seed=0), _digits_like(n=7, seed=0)[:, ::-1].copy()
    with case("returns an (n, d) array"):
        out = np.asarray(fn(x_train, x_new, 2))
        expect(out.shape == x_new.shape, f"expected shape {x_new.shape} (one reconstruction per row of x), "
               f"got {out.shape}")
    with case("matches the library's fit_pca(x_train, k).reconstruct(x) for k = 2"):
        got = fn(x_train, x_new, 2)
        for wrong, hint in _pca_mistakes(x_train, x_new, 2):
            expect_not_close(got, wrong, hint, rtol=1e-3)
        expect_close(got, fit_pca(x_train, 2).reconstruct(x_new), rtol=1e-3, atol=1e-6,
                     hint="centre with the TRAINING mean, project on the top-k right singular vectors (rows of "
                          "Vt), then add the mean back: mu + (x - mu) @ Vt[:k].T @ Vt[:k]")
    with case("reconstructs x_train itself for k = 1 and k = 3"):
        for k in (1, 3):
            expect_not_close(fn(x_train, x_train, k), fit_pca(x_train, 2).reconstruct(x_train),
                             f"k = {k} gave the k = 2 answer: use the argument k, not a fixed number", rtol=1e-3)
            expect_close(fn(x_train, x_train, k), fit_pca(x_train, k).reconstruct(x_train), rtol=1e-3, atol=1e-6,
                         hint=f"k = {k}: use the first k rows of Vt from np.linalg.svd(x_train - mu)")
    with case("keeping every axis gives x back"):
        expect_close(fn(x_train, x_new, x_train.shape[1]), x_new, rtol=1e-3, atol=1e-6,
                     hint="with k = d the projection is the identity, so the reconstruction must equal x")


@exercise("01.principal_angles", function="principal_angles", points=3, reference="pca.principal_angles")
def check_principal_angles(fn, case):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(6, 2))
    b = rng.normal(size=(6, 2))
    with case("one angle per dimension of the smaller subspace"):
        got = np.asarray(fn(a, b))
        expect(got.shape == (2,), f"two 2-D subspaces have 2 principal angles, got shape {got.shape}: use the "
               "reduced QR (np.linalg.qr(a), the default) and the singular VALUES of Q_a^T Q_b")
    with case("two bases of one subspace: every angle is 0"):
        mix = np.array([[2.0, 1.0], [0.5, -1.0]])
        got = np.asarray(fn(a, a @ mix), dtype=float)
        expect(not np.isnan(got).any(), "arccos gave nan: rounding can make a cosine 1.0000000002; clip the "
               "cosines to [-1, 1] first (np.clip)")
        expect_not_close(got, [90.0, 90.0], "you get 90 degrees where the answer is 0: take the arccos of the "
                         "cosines, not the arcsin", atol=1e-3)
        expect_close(got, [0.0, 0.0], atol=1e-3, hint="the angles must not depend on the basis: "
                     "orthonormalise each matrix first (np.linalg.qr)")
    with case("orthogonal subspaces: 90 degrees"):
        e = np.eye(4)
        got = fn(e[:, :2], e[:, 2:])
        expect_not_close(got, [np.pi / 2] * 2, "these are radians: return degrees (np.degrees)", atol=1e-3)
        expect_close(got, [90.0, 90.0], atol=1e-3, hint="return the angles in degrees "
                     "(np.degrees), from the arccos of the singular values of Q_a^T Q_b")
    with case("matches the library on random subspaces (smallest angle first)"):
        want = principal_angles(a, b)
        got = fn(a, b)
        expect_not_close(got, want[::-1], "sort the angles from smallest to largest (arccos turns the singular "
                         "values' descending order into ascending angles; do not reverse it)", atol=1e-3)
        unnormalised = np.degrees(np.arccos(np.clip(np.linalg.svd(a.T @ b, compute_uv=False), -1, 1)))
        expect_not_close(got, unnormalised, "orthonormalise each matrix first (np.linalg.qr): the singular values "
                         "of a^T b are cosines only when the columns are orthonormal", atol=1e-3)
        cosines = np.cos(np.radians(want))
        expect_not_close(got, cosines, "these are the cosines: return the angles, np.degrees(np.arccos(...))",
                         atol=1e-3)
        expect_close(got, want, atol=1e-3, hint="cos(theta_i) are the singular values of "
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
        model, opt, x = setup()
        expect_not_close(out, float(((model(x) - x) ** 2).sum().detach()), "the loss is the MEAN squared error: "
                         "((model(x) - x) ** 2).mean()")
        opt.zero_grad()
        ((model(x) - x) ** 2).mean().backward()
        opt.step()
        expect_not_close(out, float(((model(x) - x) ** 2).mean().detach()), "you returned the loss AFTER the step: "
                         "return the loss you back-propagated, computed before optimizer.step()")
        expect_close(out, expected_loss, hint="return the MSE of model(x) against x computed before the update")
    with case("one SGD step updates the parameters like the reference"):
        model, opt, x = setup()
        before = [p.detach().clone() for p in model.parameters()]
        fn(model, opt, x)
        expect(any(not torch.equal(p.detach(), b) for p, b in zip(model.parameters(), before)),
               "the parameters did not move: call loss.backward(), then optimizer.step(), with "
               "optimizer.zero_grad() before backward(), not between backward() and step()")
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
