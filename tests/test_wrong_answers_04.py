"""Lesson 04: plausible wrong answers, each caught by the first failing case with a hint naming the mistake."""
import numpy as np
import torch
from wrong_answers import wrong_answer_tests


def _positions(x, nu, generator, *, count=round, dim=1, off_by_one=0, same_for_all=False):
    n, d = x.shape
    draws = torch.rand(1 if same_for_all else n, d, generator=generator).expand(n, d)
    ranks = draws.argsort(dim=dim).argsort(dim=dim)
    return ranks < count(nu * d) + off_by_one


def masking_noise(x, nu, generator, **how):
    return x.masked_fill(_positions(x, nu, generator, **how), 0.0)


def salt_and_pepper(x, nu, generator, *, coin_shape="entry", p_salt=0.5, **how):
    where = _positions(x, nu, generator, **how)
    n, d = x.shape
    shape = (n, d) if coin_shape == "entry" else (n, 1)
    coin = (torch.rand(*shape, generator=generator) < p_salt).to(x.dtype).expand(n, d)
    return torch.where(where, coin, x)


def masked_rmse(x, x_hat, mask):
    return float(np.sqrt(np.mean((x[mask] - x_hat[mask]) ** 2)))


def coin_per_entry(x, nu, generator):
    return x * (torch.rand(x.shape, generator=generator) >= nu)


def in_place(x, nu, generator):
    x[_positions(x, nu, generator)] = 0.0
    return x


def no_generator(x, nu, generator):
    n, d = x.shape
    ranks = torch.rand(n, d).argsort(dim=1).argsort(dim=1)
    return x.masked_fill(ranks < round(nu * d), 0.0)


def max_as_salt(x, nu, generator):
    coin = torch.rand(x.shape, generator=generator) < 0.5
    return torch.where(_positions(x, nu, generator), torch.where(coin, x.max(), 0.0), x)


def denoising_loss(model, x, corrupt):
    return ((model(corrupt(x)) - x) ** 2).mean()


def no_grad_loss(model, x, corrupt):
    with torch.no_grad():
        return denoising_loss(model, x, corrupt)


def noise_of_its_own(model, x, corrupt):
    return ((model(x + 0.1 * torch.randn_like(x)) - x) ** 2).mean()


def corruption_unused(model, x, corrupt):
    x_tilde = corrupt(x)   # noqa: F841 (drawn, then forgotten)
    return ((model(x) - x) ** 2).mean()


def corrupted_target(model, x, corrupt):
    x_tilde = corrupt(x)
    return ((model(x_tilde) - x_tilde) ** 2).mean()


REFERENCE = {"04.denoising_loss": denoising_loss, "04.masking_noise": masking_noise,
             "04.salt_and_pepper": salt_and_pepper, "04.masked_rmse": masked_rmse}

WRONG = [
    ("04.denoising_loss", "the corrupted input as target", corrupted_target, "the target is the clean x", "CLEAN x"),
    ("04.denoising_loss", "no corruption", lambda m, x, c: ((m(x) - x) ** 2).mean(), "called once",
     "never calls corrupt"),
    ("04.denoising_loss", "noise of its own", noise_of_its_own, "called once", "not by noise of your own"),
    ("04.denoising_loss", "corruption drawn, clean x fed to the model", corruption_unused,
     "reconstructs the corrupted input", "not model(x)"),
    ("04.denoising_loss", "corrupts twice", lambda m, x, c: ((m(c(x)) - c(x)) ** 2).mean(), "called once",
     "called 2 times"),
    ("04.denoising_loss", "noise added to the output", lambda m, x, c: ((c(m(x)) - x) ** 2).mean(), "called once",
     "not the reconstruction"),
    ("04.denoising_loss", "sum, not mean", lambda m, x, c: ((m(c(x)) - x) ** 2).sum(), "mean squared error",
     ".mean(), not .sum()"),
    ("04.denoising_loss", "summed over features", lambda m, x, c: ((m(c(x)) - x) ** 2).sum(1).mean(),
     "mean squared error", "summing over the features"),
    ("04.denoising_loss", "RMSE", lambda m, x, c: ((m(c(x)) - x) ** 2).mean().sqrt(), "mean squared error",
     "square root"),
    ("04.denoising_loss", "absolute error", lambda m, x, c: (m(c(x)) - x).abs().mean(), "mean squared error",
     "absolute value"),
    ("04.denoising_loss", ".item()", lambda m, x, c: denoising_loss(m, x, c).item(), "back-propagated", ".item()"),
    ("04.denoising_loss", ".detach()", lambda m, x, c: denoising_loss(m, x, c).detach(), "back-propagated",
     "no .detach()"),
    ("04.denoising_loss", "torch.no_grad()", no_grad_loss, "back-propagated", "torch.no_grad()"),
    ("04.denoising_loss", "one loss per example", lambda m, x, c: ((m(c(x)) - x) ** 2).mean(dim=1),
     "back-propagated", "not one loss per example"),
    ("04.denoising_loss", "the encoder only", lambda m, x, c: ((m.encode(c(x)) - x) ** 2).mean(),
     "reconstructs the corrupted input", "encoder alone"),
    ("04.masking_noise", "int(nu * d)", lambda x, nu, g: masking_noise(x, nu, g, count=int), "other rates",
     "use round(nu * d)"),
    ("04.masking_noise", "a coin per entry", coin_per_entry, "exactly round", "independent coin per entry"),
    ("04.masking_noise", "ranks <= m", lambda x, nu, g: masking_noise(x, nu, g, off_by_one=1), "exactly round",
     "one too many"),
    ("04.masking_noise", "positions along the wrong axis", lambda x, nu, g: masking_noise(x, nu, g, dim=0),
     "exactly round", "choose the positions per row"),
    ("04.masking_noise", "the same positions in every row",
     lambda x, nu, g: masking_noise(x, nu, g, same_for_all=True), "positions are random", "new positions"),
    ("04.masking_noise", "5 entries hard-coded", lambda x, nu, g: masking_noise(x, 0.25, g), "other rates",
     "use the nu argument"),
    ("04.masking_noise", "edits x in place", in_place, "input left unchanged", "x.clone()"),
    ("04.masking_noise", "ignores the generator", no_generator, "seeded by the generator", "generator=generator"),
    ("04.masking_noise", "sets entries to 1", lambda x, nu, g: torch.where(_positions(x, nu, g), 1.0, x),
     "corrupted entries are 0", "set to 0"),
    ("04.salt_and_pepper", "one coin per row", lambda x, nu, g: salt_and_pepper(x, nu, g, coin_shape="row"),
     "fair coin", "not one per row"),
    ("04.salt_and_pepper", "salt with probability nu", lambda x, nu, g: salt_and_pepper(x, nu, g, p_salt=nu),
     "fair coin", "equally likely"),
    ("04.salt_and_pepper", "always salt", lambda x, nu, g: torch.where(_positions(x, nu, g), 1.0, x),
     "fair coin", "equally likely"),
    ("04.salt_and_pepper", "int(nu * d)", lambda x, nu, g: salt_and_pepper(x, nu, g, count=int), "other rates",
     "use round(nu * d)"),
    ("04.salt_and_pepper", "the data's max as salt", max_as_salt, "0 or 1", "the maximum 1"),
    ("04.salt_and_pepper", "the same positions in every row",
     lambda x, nu, g: salt_and_pepper(x, nu, g, same_for_all=True), "positions are random", "new positions"),
    ("04.masked_rmse", "every entry", lambda x, r, m: float(np.sqrt(np.mean((x - r) ** 2))), "0 when",
     "only the masked"),
    ("04.masked_rmse", "the observed entries", lambda x, r, m: masked_rmse(x, r, ~m), "0 when", "not x[~mask]"),
    ("04.masked_rmse", "no square root", lambda x, r, m: float(np.mean((x[m] - r[m]) ** 2)), "sqrt(mean",
     "square root"),
    ("04.masked_rmse", "divides by every entry", lambda x, r, m: float(np.sqrt(np.sum((x - r) ** 2 * m) / x.size)),
     "sqrt(mean", "number of masked entries"),
    ("04.masked_rmse", "sum, not mean", lambda x, r, m: float(np.sqrt(np.sum((x[m] - r[m]) ** 2))), "sqrt(mean",
     "np.mean, not np.sum"),
    ("04.masked_rmse", "per row", lambda x, r, m: np.sqrt(((x - r) ** 2 * m).sum(1) / np.maximum(m.sum(1), 1)),
     "0 when", "one number"),
]


test_the_reference_passes, test_a_wrong_answer_fails_with_a_hint_that_names_it, \
    test_five_wrong_answers_per_exercise = wrong_answer_tests(REFERENCE, WRONG)
