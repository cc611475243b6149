"""Lesson 00: plausible wrong answers, each caught by the first failing case with a hint naming the mistake."""
import numpy as np
import pytest

from aecourse.course.checks import run_checks

WRONG = [
    ("sums instead of averaging", lambda x, r: ((x - r) ** 2).sum(), "mean over every entry", "you summed"),
    ("averages per sample only", lambda x, r: ((x - r) ** 2).mean(dim=1), "perfect reconstruction costs 0",
     "AND features"),
    ("forgets to square", lambda x, r: (x - r).mean(), "mean over every entry", "square the differences"),
    ("absolute error", lambda x, r: (x - r).abs().mean(), "mean over every entry", "ABSOLUTE"),
    ("root mean square", lambda x, r: ((x - r) ** 2).mean().sqrt(), "mean over every entry", "ROOT"),
    ("returns a python float", lambda x, r: float(((x - r) ** 2).mean()), "returns a scalar tensor",
     "0-d torch tensor"),
    ("goes through numpy", lambda x, r: np.mean((x.numpy() - r.numpy()) ** 2), "returns a scalar tensor",
     "no float(), .item() or numpy"),
    ("detaches the result", lambda x, r: ((x - r) ** 2).mean().detach(), "gradients flow",
     "cut off from the computation graph"),
]


def right(x, x_hat):
    return ((x - x_hat) ** 2).mean()


def test_the_reference_passes():
    assert run_checks("00.reconstruction_mse", right).all_passed


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")
@pytest.mark.parametrize("fn, case, hint", [w[1:] for w in WRONG], ids=[w[0] for w in WRONG])
def test_a_wrong_answer_fails_with_a_hint_that_names_it(fn, case, hint):
    problem = run_checks("00.reconstruction_mse", fn).first_problem
    assert problem is not None, "the wrong answer passed every case"
    assert (problem.name, hint in problem.message) == (case, True), problem

