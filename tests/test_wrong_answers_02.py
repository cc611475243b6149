"""Lesson 02: plausible wrong answers, each caught by the first failing case with a hint naming the mistake."""
import numpy as np
import torch
from wrong_answers import wrong_answer_tests


def l1_activity(h, lam):
    return lam * h.abs().sum(dim=1).mean()


def kl_sparsity(h, rho, beta, *, axis=0, reverse=False, second=True, reduce="sum", through_numpy=False):
    rho_hat = h.mean(dim=axis)
    if through_numpy:
        rho_hat = torch.as_tensor(rho_hat.numpy())
    if reverse:
        rho, rho_hat = rho_hat, rho
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat)) * second
    return beta * getattr(kl, reduce)()


def numerical_gradient(f, x, eps=1e-6, *, central=True, divide=2, restore=True, all_at_once=False):
    grad = torch.zeros_like(x)
    flat, flat_grad = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        if all_at_once:
            up, down = float(f(x + eps)), float(f(x - eps))
            flat_grad[i] = (up - down) / (2 * eps)
            continue
        old = flat[i].item()
        flat[i] = old + eps
        up = float(f(x))
        flat[i] = old - eps if central else old
        down = float(f(x))
        if restore:
            flat[i] = old
        flat_grad[i] = (up - down) / (divide * eps if central else eps)
    return grad


def numerical_gradient_rows(f, x, eps=1e-6):
    """Perturbs x[i], a whole row when x is 2-D."""
    grad = torch.zeros(len(x), dtype=x.dtype)
    for i in range(len(x)):
        old = x[i].clone()
        x[i] = old + eps
        up = float(f(x))
        x[i] = old - eps
        down = float(f(x))
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


REFERENCE = {"02.l1_activity": l1_activity, "02.kl_sparsity": kl_sparsity,
             "02.numerical_gradient": numerical_gradient}

WRONG = [
    ("02.l1_activity", "no absolute value", lambda h, lam: lam * h.sum(dim=1).mean(), "lam * sum_i", "absolute"),
    ("02.l1_activity", "sum over the batch", lambda h, lam: lam * h.abs().sum(), "lam * sum_i",
     "average over the examples"),
    ("02.l1_activity", "mean over everything", lambda h, lam: lam * h.abs().mean(), "lam * sum_i",
     "also divides by the number of units"),
    ("02.l1_activity", "squares", lambda h, lam: lam * (h ** 2).sum(dim=1).mean(), "lam * sum_i", "not h_i ** 2"),
    ("02.l1_activity", "forgets lam", lambda h, lam: h.abs().sum(dim=1).mean(), "lam * sum_i", "multiply by lam"),
    ("02.l1_activity", "lam fixed at 0.1", lambda h, lam: 0.1 * h.abs().sum(dim=1).mean(), "proportional to lam",
     "not a constant"),
    ("02.l1_activity", "per-example penalties", lambda h, lam: lam * h.abs().sum(dim=1), "zero codes",
     "expected shape ()"),
    ("02.l1_activity", "through numpy", lambda h, lam: lam * np.abs(h.numpy()).sum(1).mean(),
     "differentiable scalar", "stay in torch"),
    ("02.l1_activity", "a float", lambda h, lam: float(lam * h.abs().sum(dim=1).mean()),
     "differentiable scalar", "not a float"),
    ("02.kl_sparsity", "KL swapped", lambda h, r, b: kl_sparsity(h, r, b, reverse=True), "beta * sum_j",
     "arguments of KL are swapped"),
    ("02.kl_sparsity", "mean over units", lambda h, r, b: kl_sparsity(h, r, b, axis=1), "beta * sum_j",
     "not dim=1"),
    ("02.kl_sparsity", "forgets beta", lambda h, r, b: kl_sparsity(h, r, 1.0), "beta * sum_j", "by beta"),
    ("02.kl_sparsity", "averages the KL", lambda h, r, b: kl_sparsity(h, r, b, reduce="mean"), "beta * sum_j",
     "do not average it"),
    ("02.kl_sparsity", "one term only", lambda h, r, b: kl_sparsity(h, r, b, second=False), "beta * sum_j",
     "two terms"),
    ("02.kl_sparsity", "rho fixed at 0.05", lambda h, r, b: kl_sparsity(h, 0.05, b), "other targets rho",
     "rho argument"),
    ("02.kl_sparsity", "beta fixed at 3", lambda h, r, b: kl_sparsity(h, r, 3.0), "proportional to beta",
     "beta argument"),
    ("02.kl_sparsity", "through numpy", lambda h, r, b: kl_sparsity(h, r, b, through_numpy=True),
     "gradients flow", "stay in torch"),
    ("02.numerical_gradient", "one-sided", lambda f, x, eps: numerical_gradient(f, x, eps, central=False),
     "central differences", "one-sided"),
    ("02.numerical_gradient", "divides by eps", lambda f, x, eps: numerical_gradient(f, x, eps, divide=1),
     "sum(x^2) is 2x", "by 2 eps"),
    ("02.numerical_gradient", "does not restore x", lambda f, x, eps: numerical_gradient(f, x, eps, restore=False),
     "leaves x unchanged", "assign it back"),
    ("02.numerical_gradient", "all entries at once",
     lambda f, x, eps: numerical_gradient(f, x, eps, all_at_once=True), "sum(x^2) is 2x", "ONE entry at a time"),
    ("02.numerical_gradient", "rows, not entries", numerical_gradient_rows, "matches autograd", "shaped like x"),
]


test_the_reference_passes, test_a_wrong_answer_fails_with_a_hint_that_names_it, \
    test_five_wrong_answers_per_exercise = wrong_answer_tests(REFERENCE, WRONG)
