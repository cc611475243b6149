"""Checks for solutions/04_denoising.ipynb: masking noise, salt-and-pepper noise and the RMSE on missing entries."""
import numpy as np
import torch

from ...corruption import masked_rmse
from . import exercise, expect, expect_close


def _images(n=2000, d=20, seed=0):
    """Values in (0.1, 0.9): no entry is 0 or 1 before corruption, so every corrupted entry can be seen."""
    return 0.1 + 0.8 * torch.rand(n, d, generator=torch.Generator().manual_seed(seed))


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _check_common(fn, case, x, what):
    with case("same shape, input left unchanged"):
        x0 = x.clone()
        out = fn(x0, 0.25, _gen(0))
        expect(isinstance(out, torch.Tensor) and out.shape == x.shape,
               f"return a tensor shaped like x {tuple(x.shape)}, got {type(out).__name__} "
               f"{tuple(getattr(out, 'shape', ()))}")
        expect(torch.equal(x0, x), "do not modify x in place: work on a copy (x.clone()) or use torch.where")
    with case(f"exactly round(nu * d) entries per example are {what}"):
        out = fn(x.clone(), 0.25, _gen(0))
        changed = (out != x).sum(dim=1)
        m = round(0.25 * x.shape[1])
        expect(not bool((changed == m + 1).all()), f"each example has {m + 1} corrupted entries, one too many: "
               f"keep the positions ranked 0 .. m - 1 (ranks < m, not ranks <= m)")
        expect(bool((changed == m).all()), f"each example must have exactly round(nu * d) = {m} corrupted entries "
               f"(a fixed fraction, Vincent et al. 2010), got between {int(changed.min())} and {int(changed.max())}: "
               "choose the positions per row, e.g. the m smallest of d uniform draws (argsort), instead of an "
               "independent coin per entry")
    with case("other rates: round(nu * d), for nu * d not a whole number"):
        for nu in (0.33, 0.38):
            changed = (fn(x.clone(), nu, _gen(0)) != x).sum(dim=1)
            m, d = round(nu * x.shape[1]), x.shape[1]
            expect(not bool((changed == int(nu * d)).all()), f"nu = {nu}, d = {d}: nu * d = {nu * d:.1f} rounds to "
                   f"{m}; int(nu * d) = {int(nu * d)} cuts it down: use round(nu * d)")
            expect(not bool((changed == 5).all()), f"nu = {nu} gave 5 corrupted entries, as for nu = 0.25: use the "
                   "nu argument, not a fixed count")
            expect(bool((changed == m).all()), f"nu = {nu}, d = {d}: expected round(nu * d) = {m} corrupted "
                   f"entries per example, got between {int(changed.min())} and {int(changed.max())}")
    with case("positions are random, spread over all inputs"):
        out = fn(x.clone(), 0.25, _gen(0))
        per_input = (out != x).float().mean(dim=0)
        expect(bool(((per_input > 0.2) & (per_input < 0.3)).all()),
               "every input should be corrupted in about a fraction nu of the examples; got per-input fractions "
               f"from {per_input.min():.2f} to {per_input.max():.2f}: draw new positions for every example")
    with case("seeded by the generator"):
        a, b, c = fn(x.clone(), 0.25, _gen(5)), fn(x.clone(), 0.25, _gen(5)), fn(x.clone(), 0.25, _gen(6))
        expect(torch.equal(a, b), "the same seed must give the same corruption: pass generator=generator to "
               "every torch.rand / torch.randint call")
        expect(not torch.equal(a, c), "different seeds gave the same corruption: use the generator's random numbers")
    with case("nu = 0 changes nothing, nu = 1 corrupts everything"):
        expect(torch.equal(fn(x.clone(), 0.0, _gen(0)), x), "with nu = 0 the output must equal x")
        expect(bool((fn(x.clone(), 1.0, _gen(0)) != x).all()), "with nu = 1 every entry must be corrupted")


@exercise("04.masking_noise", function="masking_noise", points=2)
def check_masking_noise(fn, case):
    x = _images()
    _check_common(fn, case, x, "set to 0")
    with case("corrupted entries are 0, the others unchanged"):
        out = fn(x.clone(), 0.25, _gen(0))
        changed = out != x
        expect(bool((out[changed] == 0).all()), "masked entries must be set to 0 (the value of a missing pixel)")


@exercise("04.salt_and_pepper", function="salt_and_pepper", points=2)
def check_salt_and_pepper(fn, case):
    x = _images()
    _check_common(fn, case, x, "set to 0 or 1")
    with case("corrupted entries are 0 or 1, by a fair coin"):
        out = fn(x.clone(), 0.25, _gen(0))
        values = out[out != x]
        expect(bool(((values == 0) | (values == 1)).all()), "set each corrupted entry to the minimum 0 (pepper) or "
               "the maximum 1 (salt)")
        salt = float((values == 1).float().mean())
        expect(0.45 < salt < 0.55, f"salt and pepper should be equally likely: got {salt:.0%} salt; flip a fair coin "
               "per corrupted entry")
        per_row = out[out != x].view(len(x), -1)
        mixed = float(((per_row == 0).any(dim=1) & (per_row == 1).any(dim=1)).float().mean())
        expect(mixed > 0.8, f"only {mixed:.0%} of the rows mix salt and pepper (a fair coin per entry gives about 94% "
               "for 5 corrupted entries): flip one coin per corrupted ENTRY, shape (n, d), not one per row")


@exercise("04.masked_rmse", function="masked_rmse", points=2)
def check_masked_rmse(fn, case):
    rng = np.random.default_rng(0)
    x, x_hat = rng.random((50, 16)), rng.random((50, 16))
    mask = rng.random((50, 16)) < 0.25
    with case("0 when the missing entries are filled in exactly"):
        filled = np.where(mask, x, x_hat)
        got = fn(x, filled, mask)
        expect(np.ndim(got) == 0, f"expected one number, got shape {np.shape(got)}: average over all the masked "
               "entries at once, x[mask]")
        expect_close(got, 0.0, hint="only the masked (missing) entries count; errors on the observed entries must "
                     "be ignored (mask is True where an entry is missing: use x[mask], not x[~mask])")
    with case("sqrt(mean over the masked entries of (x - x_hat)^2)"):
        got = float(fn(x, x_hat, mask))
        expect(not np.isclose(got, np.sqrt(np.mean((x - x_hat) ** 2))) or np.isclose(got, masked_rmse(x, x_hat, mask)),
               "average over the masked entries only (x[mask]), not over every entry")
        expect(not np.isclose(got, np.mean((x[mask] - x_hat[mask]) ** 2)), "take the square root of the mean")
        expect(not np.isclose(got, np.sqrt(np.sum((x[mask] - x_hat[mask]) ** 2))), "average the squared errors "
               "before the square root: np.mean, not np.sum")
        expect(not np.isclose(got, np.sqrt(np.sum((x - x_hat) ** 2 * mask) / x.size)),
               "divide by the number of masked entries, not by the number of all entries")
        expect_close(got, masked_rmse(x, x_hat, mask), hint="np.sqrt(np.mean((x[mask] - x_hat[mask]) ** 2))")
    with case("another mask"):
        other = rng.random((50, 16)) < 0.5
        expect_close(fn(x, x_hat, other), masked_rmse(x, x_hat, other), hint="use the mask argument")
