"""Checks for solutions/02_sparse.ipynb: the L1 and KL sparsity penalties and a numerical gradient check."""
import numpy as np
import torch

from ...penalties import kl_sparsity, l1_activity
from . import exercise, expect, expect_close, expect_not_close


def _codes(n=32, k=10, seed=0, dtype=torch.float64):
    return torch.sigmoid(2 * torch.randn(n, k, generator=torch.Generator().manual_seed(seed), dtype=dtype))


@exercise("02.l1_activity", function="l1_activity", points=2, reference="penalties.l1_activity")
def check_l1_activity(fn, case):
    h = torch.randn(16, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with case("zero codes cost 0"):
        expect_close(fn(torch.zeros(4, 3), 0.1), 0.0, hint="with every h_i = 0 the penalty must be 0")
    with case("lam * sum_i |h_i|, averaged over the examples"):
        got = fn(h, 0.1)
        expect(np.ndim(got) == 0, f"expected one number, got shape {tuple(np.shape(got))}: sum over the units, "
               "then average over the examples")
        expect_not_close(got, 0.1 * h.sum(1).mean(), "take the absolute value |h_i|: negative codes must add to "
                         "the penalty too")
        expect_not_close(got, 0.1 * h.abs().sum(), "average over the examples of the batch (sum over units, mean "
                         "over examples), so the penalty does not grow with the batch size")
        expect_not_close(got, 0.1 * h.abs().mean(), "sum over the units (dim=1), then average over the examples: "
                         "h.abs().mean() also divides by the number of units")
        expect_not_close(got, 0.1 * (h ** 2).sum(1).mean(), "the L1 penalty uses |h_i|, not h_i ** 2")
        expect_not_close(got, h.abs().sum(1).mean(), "multiply by lam")
        expect_close(got, l1_activity(h, 0.1), hint="lam * h.abs().sum(dim=1).mean()")
    with case("proportional to lam"):
        expect_close(fn(h, 0.3), 3 * l1_activity(h, 0.1), hint="the penalty is lam times the L1 norm: use the lam "
                     "argument, not a constant")
    with case("returns a differentiable scalar tensor"):
        hg = h.clone().requires_grad_(True)
        out = fn(hg, 0.1)
        expect(isinstance(out, torch.Tensor) and out.ndim == 0, "return a 0-d torch tensor, not a float")
        out.backward()
        expect_close(hg.grad, 0.1 * torch.sign(h) / len(h), hint="d/dh of lam * mean_n sum_i |h_ni| is "
                     "lam * sign(h) / n: use torch operations only")


@exercise("02.kl_sparsity", function="kl_sparsity", points=3, reference="penalties.kl_sparsity")
def check_kl_sparsity(fn, case):
    h = _codes()
    with case("zero when every unit's mean activation equals rho"):
        expect_close(fn(torch.full((8, 5), 0.05, dtype=torch.float64), 0.05, 3.0), 0.0,
                     hint="for rho_hat_j == rho, KL(rho || rho_hat_j) = 0")
    with case("beta * sum_j KL(rho || rho_hat_j), rho_hat_j = mean over the batch"):
        got = torch.as_tensor(fn(h, 0.05, 3.0), dtype=torch.float64)
        rho_hat = h.mean(0)
        reverse = 3 * (rho_hat * torch.log(rho_hat / 0.05) + (1 - rho_hat) * torch.log((1 - rho_hat) / 0.95)).sum()
        expect(not torch.isclose(got, reverse), "the arguments of KL are swapped: the penalty is "
               "KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat))")
        per_example = torch.stack([kl_sparsity(h[i:i + 1], 0.05, 3.0) for i in range(len(h))])
        expect(not (torch.isclose(got, per_example.mean()) or torch.isclose(got, per_example.sum())),
               "rho_hat_j is the mean activation of unit j over the batch (h.mean(dim=0)), not per example")
        expect_not_close(got, kl_sparsity(h.T, 0.05, 3.0), "rho_hat_j is the mean of unit j over the batch: "
                         "h.mean(dim=0), not dim=1")
        expect_not_close(got, kl_sparsity(h, 0.05, 1.0), "multiply the summed KL by beta")
        expect_not_close(got, kl_sparsity(h, 0.05, 3.0) / h.shape[1], "sum the KL over the units (.sum()), do "
                         "not average it")
        expect_not_close(got, 3 * (0.05 * torch.log(0.05 / rho_hat)).sum(), "KL(rho || rho_hat) has two terms: "
                         "add (1 - rho) log((1 - rho) / (1 - rho_hat))")
        expect_close(got, kl_sparsity(h, 0.05, 3.0), hint="beta * (rho * log(rho / rho_hat) + (1 - rho) * "
                     "log((1 - rho) / (1 - rho_hat))).sum() with rho_hat = h.mean(dim=0)")
    with case("proportional to beta"):
        expect_close(fn(h, 0.05, 1.5), kl_sparsity(h, 0.05, 1.5), hint="multiply the summed KL by the beta argument, "
                     "not a constant")
    with case("other targets rho"):
        expect_close(fn(h, 0.2, 3.0), kl_sparsity(h, 0.2, 3.0), hint="use the rho argument, not a constant")
    with case("gradients flow to h"):
        hg = h.clone().requires_grad_(True)
        fn(hg, 0.05, 3.0).backward()
        expect(hg.grad is not None, "build the penalty from torch operations on h so it can be back-propagated")
        ref = h.clone().requires_grad_(True)
        kl_sparsity(ref, 0.05, 3.0).backward()
        expect_close(hg.grad, ref.grad, hint="the gradient differs from the reference penalty's")


@exercise("02.numerical_gradient", function="numerical_gradient", points=2, changes_inputs=True)
def check_numerical_gradient(fn, case):
    x = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    with case("gradient of sum(x^2) is 2x"):
        got = fn(lambda v: (v ** 2).sum(), x.clone(), 1e-6)
        expect_not_close(got, 4 * x, "divide the difference by 2 eps: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)",
                         rtol=1e-3)
        expect_not_close(got, torch.full_like(x, float(2 * x.sum())), "perturb ONE entry at a time (e_i is the "
                         "i-th unit vector), not all of x at once", rtol=1e-3)
        expect_close(got, 2 * x, rtol=1e-4, hint="perturb one entry at a time by +eps and -eps")
    with case("central differences: accurate to O(eps^2)"):
        got = fn(lambda v: (v ** 3).sum(), x.clone(), 1e-4)
        one_sided = ((x + 1e-4) ** 3 - x ** 3) / 1e-4
        expect_not_close(got, one_sided, "this is a one-sided difference (f(x + eps e_i) - f(x)) / eps, whose "
                         "error is proportional to eps: use (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)", rtol=1e-7,
                         atol=1e-9)
        expect_close(got, 3 * x ** 2, rtol=1e-7, atol=1e-9,
                     hint="use (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), computed in float64")
    with case("leaves x unchanged"):
        x0 = x.clone()
        fn(lambda v: (v ** 2).sum(), x0, 1e-6)
        expect(torch.equal(x0, x), "save each entry and assign it back (flat[i] = old): adding and subtracting "
                                   "eps does not restore a float exactly")
    with case("matches autograd for the KL penalty on a batch of codes (the UFLDL check)"):
        h = _codes(6, 4).requires_grad_(True)
        kl_sparsity(h, 0.05, 3.0).backward()
        got = fn(lambda v: kl_sparsity(v, 0.05, 3.0), h.detach().clone(), 1e-6)
        expect_close(got, h.grad, rtol=1e-6, atol=1e-8, hint="return an array shaped like x (here 6 x 4), one "
                     "partial derivative per entry")
