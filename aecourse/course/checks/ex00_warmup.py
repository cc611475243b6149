"""Checks for solutions/00_warmup.ipynb."""
import numpy as np
import torch

from . import exercise, expect, expect_close, expect_not_close


@exercise("00.reconstruction_mse", function="reconstruction_mse", points=2)
def check_reconstruction_mse(fn, case):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.random((5, 4)), dtype=torch.float32)
    r = torch.tensor(rng.random((5, 4)), dtype=torch.float32)
    with case("perfect reconstruction costs 0"):
        expect_close(fn(x, x), 0.0, hint="for x_hat == x the error must be the single number 0: average "
                     "over samples AND features")
    with case("mean over every entry"):
        got = fn(x, r)
        expect(np.ndim(got) == 0, f"expected one number, got shape {tuple(np.shape(got))}: average over samples "
               "AND features, ((x - x_hat) ** 2).mean() with no dim")
        expect_not_close(got, ((x - r) ** 2).sum(), "you summed the squared differences: divide by the number of "
                         "entries, i.e. use .mean(), so the loss does not grow with the batch")
        expect_not_close(got, (x - r).mean(), "square the differences before averaging, or positive and "
                         "negative errors cancel")
        expect_not_close(got, (x - r).abs().mean(), "that is the mean ABSOLUTE error: square the differences")
        expect_not_close(got, ((x - r) ** 2).mean().sqrt(), "that is the ROOT mean squared error: leave out the "
                         "square root")
        expect_close(got, ((x - r) ** 2).mean(), hint="average the squared differences over samples AND "
                     "features: ((x - x_hat) ** 2).mean()")
    with case("returns a scalar tensor"):
        out = fn(x, r)
        expect(isinstance(out, torch.Tensor) and out.ndim == 0,
               f"return a 0-d torch tensor (so it can be back-propagated), got "
               f"{type(out).__name__}{'' if not hasattr(out, 'shape') else ' of shape ' + str(tuple(out.shape))}"
               ": stay in torch, no float(), .item() or numpy")
    with case("gradients flow"):
        # only this case's own property: a gradient reaches x_hat along x_hat - x (the scale is the value's business)
        r_grad = r.clone().requires_grad_(True)
        fn(x, r_grad).backward()
        expect(r_grad.grad is not None, "no gradient reached x_hat: use torch operations, not numpy or .item()")
        along = torch.nn.functional.cosine_similarity(r_grad.grad.flatten(), (r - x).flatten(), dim=0)
        expect(float(along) > 0.999, "the gradient should point along x_hat - x, as for 2 (x_hat - x) / N: square "
               "the differences, with torch operations")
