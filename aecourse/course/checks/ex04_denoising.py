"""Checks for solutions/04_denoising.ipynb: the denoising loss, masking noise, salt-and-pepper noise and the RMSE on
missing entries."""
import numpy as np
import torch

from ...corruption import GaussianNoise, MaskingNoise, masked_rmse
from ...models import make_autoencoder
from . import exercise, expect, expect_close, expect_not_close


def _images(n=2000, d=20, seed=0):
    """Values in (0.1, 0.9): no entry is 0 or 1 before corruption, so every corrupted entry can be seen."""
    return 0.1 + 0.8 * torch.rand(n, d, generator=torch.Generator().manual_seed(seed))


def _gen(seed):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------------------ the denoising loss

class _RecordedCorruption:
    """`corrupt(x) -> x~` for the learner's loss, recording every input it is given. Its k-th call draws from a
    generator seeded `seed + k`, so `draw(x, k)` repeats any call's corruption for the expected values."""

    def __init__(self, kind: str, seed: int):
        self.corruption = GaussianNoise(0.5) if kind == "gaussian" else MaskingNoise(0.25)
        self.seed, self.inputs = seed, []

    def draw(self, x, k: int = 0):
        return self.corruption(x, _gen(self.seed + k))

    def __call__(self, x, generator=None):     # `fit` passes a generator; the draws here are the checker's own
        self.inputs.append(x)
        return self.draw(x, len(self.inputs) - 1)


def _mse(r, x):
    return ((r - x) ** 2).mean()


def _same_tensor(a, x) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == x.shape and torch.equal(a.detach().cpu(), x)


@exercise("04.denoising_loss", function="denoising_loss", points=2)
def check_denoising_loss(fn, case):
    torch.manual_seed(1)
    model = make_autoencoder(6, [8], 6)     # code size = input size: the encoder alone gives a (wrong) number
    x = torch.rand(32, 6, generator=_gen(2))
    with case("corrupt(x) is called once, on the clean input x"):
        corrupt = _RecordedCorruption("gaussian", 10)
        fn(model, x.clone(), corrupt)
        calls = corrupt.inputs
        expect(len(calls) > 0, "your loss never calls corrupt: the model must see the corrupted input x_tilde = "
               "corrupt(x), made by the corruption you are given (not by noise of your own)")
        expect(len(calls) == 1, f"corrupt was called {len(calls)} times: each call draws new noise, so the model's "
               "input and the target no longer belong together; corrupt once, x_tilde = corrupt(x), feed x_tilde "
               "to the model and compare with the clean x")
        expect(_same_tensor(calls[0], x), "corrupt the INPUT before the model, model(corrupt(x)), not the "
               "reconstruction: with corrupt(model(x)) the model never sees a corrupted input, so it never learns to "
               "remove the noise")
    with case("one number that can be back-propagated"):
        loss = fn(model, x.clone(), _RecordedCorruption("gaussian", 10))
        expect(isinstance(loss, torch.Tensor), f"return the loss as a torch tensor, got {type(loss).__name__}: "
               ".item() or float() turns it into a plain number, which cannot be back-propagated")
        expect(loss.ndim == 0, f"expected one number (a 0-d tensor), got shape {tuple(loss.shape)}: average over "
               "every entry with .mean(), not one loss per example")
        expect(loss.requires_grad, "the loss is cut off from the computation graph: no .detach() and no "
               "torch.no_grad() inside the loss, so loss.backward() can train the model")
        model.zero_grad()
        loss.backward()
        first = model.encoder[0].weight.grad
        expect(first is not None and bool(first.abs().sum() > 0), "loss.backward() did not reach the encoder's "
               "weights: compute the reconstruction with the model, model(x_tilde), and keep it in the graph")
    with case("the model reconstructs the corrupted input"):
        corrupt = _RecordedCorruption("gaussian", 20)
        got, x_tilde = fn(model, x.clone(), corrupt), corrupt.draw(x)
        with torch.no_grad():
            expect_not_close(got, _mse(model(x), x), "the model must see the corrupted input: model(x_tilde) with "
                             "x_tilde = corrupt(x), not model(x)")
            expect_not_close(got, _mse(model.encode(x_tilde), x), "reconstruct with the whole autoencoder, "
                             "model(x_tilde) = decode(encode(x_tilde)): the encoder alone gives the code h, not a "
                             "reconstruction")
    with case("the target is the clean x"):
        corrupt = _RecordedCorruption("gaussian", 30)
        got, x_tilde = fn(model, x.clone(), corrupt), corrupt.draw(x)
        with torch.no_grad():
            expect_not_close(got, _mse(model(x_tilde), x_tilde), "compare the reconstruction with the CLEAN x, not "
                             "with x_tilde: the autoencoder must undo the corruption; with x_tilde as its target it "
                             "learns to copy the noise")
    for kind, seed in (("gaussian", 40), ("masking", 50)):
        with case(f"the mean squared error over every entry ({kind} noise)"):
            corrupt = _RecordedCorruption(kind, seed)
            got = fn(model, x.clone(), corrupt)
            with torch.no_grad():
                r = model(corrupt.draw(x))
                expect_not_close(got, ((r - x) ** 2).sum(), "average the squared errors, .mean(), not .sum(): the "
                                 "loss must not grow with the batch size")
                expect_not_close(got, ((r - x) ** 2).sum(dim=1).mean(), "average over every entry, .mean() of the "
                                 "whole (n, d) array: summing over the features first makes the loss d times larger")
                expect_not_close(got, _mse(r, x).sqrt(), "the mean squared error has no square root (that is the "
                                 "RMSE)")
                expect_not_close(got, (r - x).abs().mean(), "square the differences, (r - x) ** 2, not their "
                                 "absolute value")
                expect_close(got, _mse(r, x), hint="((model(x_tilde) - x) ** 2).mean() with x_tilde = corrupt(x)")


# ------------------------------------------------------------------------------------------ the corruptions

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


@exercise("04.masking_noise", function="masking_noise", points=2, reference="corruption.masking_noise")
def check_masking_noise(fn, case):
    x = _images()
    _check_common(fn, case, x, "set to 0")
    with case("corrupted entries are 0, the others unchanged"):
        out = fn(x.clone(), 0.25, _gen(0))
        changed = out != x
        expect(bool((out[changed] == 0).all()), "masked entries must be set to 0 (the value of a missing pixel)")


@exercise("04.salt_and_pepper", function="salt_and_pepper", points=2, reference="corruption.salt_and_pepper_noise")
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


@exercise("04.masked_rmse", function="masked_rmse", points=2, reference="corruption.masked_rmse")
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
