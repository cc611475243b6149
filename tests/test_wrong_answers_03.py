"""Lesson 03: plausible wrong answers, each caught by the first failing case with a hint naming the mistake."""
import torch
from wrong_answers import wrong_answer_tests


def contractive_sigmoid(h, W):
    return ((h * (1 - h)) ** 2) @ (W ** 2).sum(dim=1)


def jacobian_frobenius_sq(encoder, x):
    return torch.func.vmap(torch.func.jacrev(encoder))(x).pow(2).sum(dim=(1, 2))


def compare_contractive(encoder, x, *, relative_to="auto", reduce="max", absolute=True, ratio=False):
    closed = contractive_sigmoid(encoder(x), encoder[0].weight)
    auto = jacobian_frobenius_sq(encoder, x)
    if ratio:
        return (closed / auto).max().item()
    diff = (closed - auto).abs() if absolute else closed - auto
    scale = {"auto": auto.abs(), "closed": closed.abs(), "none": 1.0}[relative_to]
    out = diff / scale
    return getattr(out, reduce)().item() if reduce else out.detach()


def jacobian_of_the_sum(encoder, x):
    x = x.clone().requires_grad_(True)
    encoder(x).sum().backward()
    return (x.grad ** 2).sum(dim=1)


def closed_form_for_any_encoder(encoder, x):
    return contractive_sigmoid(encoder(x), encoder[0].weight)


def contractive_loop(h, W):
    out = torch.zeros(9, dtype=h.dtype)
    for n in range(9):
        out[n] = ((h[n] * (1 - h[n])) ** 2 * (W ** 2).sum(dim=1)).sum()
    return out


REFERENCE = {"03.contractive_sigmoid": contractive_sigmoid, "03.jacobian_frobenius_sq": jacobian_frobenius_sq,
             "03.compare_contractive": compare_contractive}

WRONG = [
    ("03.contractive_sigmoid", "derivative not squared", lambda h, W: (h * (1 - h)) @ (W ** 2).sum(dim=1),
     "sum_i (h_i", "square the sigmoid derivative"),
    ("03.contractive_sigmoid", "total sum of W^2", lambda h, W: ((h * (1 - h)) ** 2).sum(1) * (W ** 2).sum(),
     "sum_i (h_i", "its own row"),
    ("03.contractive_sigmoid", "column sums of W^2", lambda h, W: ((h * (1 - h)) ** 2) @ (W ** 2).sum(dim=0),
     "one value per example", "(W ** 2).sum(dim=1)"),
    ("03.contractive_sigmoid", "one number for the batch", lambda h, W: contractive_sigmoid(h, W).sum(),
     "one value per example", "one ||J||_F^2 per example"),
    ("03.contractive_sigmoid", "sigmoid applied again",
     lambda h, W: contractive_sigmoid(torch.sigmoid(h), W), "sum_i (h_i", "do not apply torch.sigmoid again"),
    ("03.contractive_sigmoid", "mean over units", lambda h, W: contractive_sigmoid(h, W) / h.shape[1],
     "sum_i (h_i", "do not average"),
    ("03.contractive_sigmoid", "9 examples hard-coded", contractive_loop, "another layer size",
     "do not hard-code"),
    ("03.jacobian_frobenius_sq", "gradient of the summed code", jacobian_of_the_sum, "a linear encoder",
     "SUM of the code units"),
    ("03.jacobian_frobenius_sq", "Frobenius norm, not squared",
     lambda e, x: jacobian_frobenius_sq(e, x).sqrt(), "a linear encoder", "SQUARE"),
    ("03.jacobian_frobenius_sq", "mean of the squares",
     lambda e, x: torch.func.vmap(torch.func.jacrev(e))(x).pow(2).mean(dim=(1, 2)), "a linear encoder",
     "do not average"),
    ("03.jacobian_frobenius_sq", "one number for the batch", lambda e, x: jacobian_frobenius_sq(e, x).sum(),
     "a linear encoder", "one value per example"),
    ("03.jacobian_frobenius_sq", "jacrev without vmap",
     lambda e, x: torch.func.jacrev(e)(x).pow(2).sum(dim=(1, 2)), "a linear encoder", "one value per example"),
    ("03.jacobian_frobenius_sq", "the sigmoid closed form", closed_form_for_any_encoder, "a linear encoder",
     "by autograd"),
    ("03.compare_contractive", "absolute difference", lambda e, x: compare_contractive(e, x, relative_to="none"),
     "detects a mismatch", "RELATIVE"),
    ("03.compare_contractive", "mean over examples", lambda e, x: compare_contractive(e, x, reduce="mean"),
     "detects a mismatch", "not the mean"),
    ("03.compare_contractive", "relative to the closed form",
     lambda e, x: compare_contractive(e, x, relative_to="closed"), "detects a mismatch", "not by the closed form"),
    ("03.compare_contractive", "signed difference", lambda e, x: compare_contractive(e, x, absolute=False),
     "detects a mismatch", "absolute value"),
    ("03.compare_contractive", "the ratio", lambda e, x: compare_contractive(e, x, ratio=True), "agree",
     "DIFFERENCE"),
    ("03.compare_contractive", "per example", lambda e, x: compare_contractive(e, x, reduce=None), "agree",
     "take .max()"),
]


test_the_reference_passes, test_a_wrong_answer_fails_with_a_hint_that_names_it, \
    test_five_wrong_answers_per_exercise = wrong_answer_tests(REFERENCE, WRONG)
