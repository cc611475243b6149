"""Checks for the exercises: `check("00.reconstruction_mse", reconstruction_mse)`.

Each exercise has one checker, registered with `@exercise(...)` in a module of this package (one module per
notebook, found automatically). A checker runs several named cases against the learner's function:

    @exercise("00.reconstruction_mse", function="reconstruction_mse", points=2)
    def _(fn, case):
        with case("identical inputs give 0"):
            expect_close(fn(x, x), 0.0, hint="for x_hat == x the error must be 0")

A case passes when its block finishes; `CheckFailed` (raised by the `expect_*` helpers) fails it with a hint;
any other exception is reported as the learner's error, not raised (with a course hint for the usual torch
mistakes, or the case's own `case(name, error_hint=...)`); `NotImplementedError` means the exercise was not
attempted yet. Cases run in order, and each hint names one mistake, so the first failing case points at the real
one: `expect_not_close(got, what_a_mistake_gives, hint)` names a known mistake before `expect_close` gives the
general hint.

`check` prints the verdicts and, unless every case passed, raises `ChecksNotPassed`: a one-line error, so "Run
All", nbval and nbgrader all see a failing cell.
"""
from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from ..verdicts import ERROR, FAILED, NOT_ATTEMPTED, PASSED, CaseResult, Report

__all__ = ["ERROR", "FAILED", "NOT_ATTEMPTED", "PASSED", "CaseResult", "CheckFailed", "ChecksNotPassed", "Exercise",
           "Report", "all_exercises", "check", "exercise", "expect", "expect_close", "expect_not_close", "get_exercise",
           "report_lines", "run_checks"]


class CheckFailed(AssertionError):
    """A case's expectation was not met; the message is the hint shown to the learner."""


class ChecksNotPassed(AssertionError):
    """Raised by `check` after printing its verdicts when not every case passed.

    IPython shows an exception's `_render_traceback_` instead of a traceback, so the learner reads one line under
    the verdicts, while nbval, nbgrader and "Run All" see the cell fail."""

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


# Torch errors a learner's code raises, with what they mean in this course.
TORCH_HINTS = {
    "does not require grad and does not have a grad_fn":
        "the result is cut off from the computation graph: stay in torch inside the function (no .numpy(), "
        ".item(), float() or .detach()), so the loss can be back-propagated",
    "Can't call numpy() on Tensor that requires grad":
        "stay in torch inside a penalty or loss: use torch operations (torch.log, .sum(), .mean()) instead of "
        "numpy, and no .numpy() or .item(), so the result can be back-propagated",
    "'float' object has no attribute 'backward'":
        "call .backward() on the loss tensor; take .item() only of the value you return",
}


@dataclass(frozen=True)
class Exercise:
    exercise_id: str
    function: str
    points: float
    checker: Callable
    changes_inputs: bool = False    # the function may change its arguments in place (its checker checks how)
    reference: str = ""             # "module.name": the library's answer, hidden from notebooks while grading


REGISTRY: dict[str, Exercise] = {}


def exercise(exercise_id: str, *, function: str, points: float = 1.0, changes_inputs: bool = False,
             reference: str = ""):
    """Register a checker for `exercise_id` ("NN.name"), whose learner function is called `function`. Unless
    `changes_inputs`, a case fails when the function changes a tensor or array argument in place. `reference`:
    where the library implements the answer ("penalties.l1_activity"), hidden while notebooks are graded."""
    def register(checker):
        if exercise_id in REGISTRY:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        REGISTRY[exercise_id] = Exercise(exercise_id, function, points, checker, changes_inputs, reference)
        return checker
    return register


@functools.cache
def _load_all() -> None:
    """Import every checker module once (each registers its exercises)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def get_exercise(exercise_id: str) -> Exercise:
    _load_all()
    if exercise_id not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown exercise {exercise_id!r}: the exercises are {known}")
    return REGISTRY[exercise_id]


def all_exercises() -> dict[str, Exercise]:
    _load_all()
    return dict(sorted(REGISTRY.items()))


def run_checks(exercise_id: str, fn: Callable, *, report: Report | None = None) -> Report:
    """Run every case of `exercise_id` against the learner's `fn` and return the `Report` (prints nothing). Cases
    are added to `report` when one is given, so whoever stops the run midway keeps the cases already checked."""
    spec = get_exercise(exercise_id)
    report = Report(exercise_id, points=spec.points) if report is None else report
    if not callable(fn):
        report.cases.append(CaseResult("the answer is a function", FAILED,
                                       f"expected a function, got {type(fn).__name__}: pass the function itself, "
                                       f"e.g. check({exercise_id!r}, {spec.function})"))
        return report

    @contextmanager
    def case(name: str, error_hint: str = ""):
        try:
            yield
        except NotImplementedError:
            report.cases.append(CaseResult(name, NOT_ATTEMPTED))
        except CheckFailed as failure:
            report.cases.append(CaseResult(name, FAILED, str(failure)))
        except Exception as err:  # the learner's code raised: report it, never raise it
            where = _learner_frame(err)
            hint = next((f"; {h}" for key, h in TORCH_HINTS.items() if key in str(err)),
                        f"; {error_hint}" if error_hint else "")
            report.cases.append(CaseResult(name, ERROR,
                                           f"your code raised {type(err).__name__}: {err}{where}{hint}"))
        else:
            report.cases.append(CaseResult(name, PASSED))

    with torch.random.fork_rng():  # checks use their own seeds and leave the learner's random state alone
        torch.manual_seed(0)
        spec.checker(fn if spec.changes_inputs else _inputs_kept(fn), case)
    return report


def _arrays(value, where: str):
    """(where, tensor or array) for every tensor and numpy array of an argument, in lists, tuples and dicts."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        yield where, value
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _arrays(v, f"{where}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _arrays(v, f"{where}[{k!r}]")


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan()) if a.is_floating_point()
                                             else a == b).all())
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def _grad_of(t):
    return t.grad.detach().clone() if isinstance(t, torch.Tensor) and t.grad is not None else None


def _inputs_kept(fn: Callable) -> Callable:
    """`fn`, failing the case when it changes a tensor or array argument in place, or writes a tensor argument's
    `.grad`: the checks compare its result with values they compute from those arguments (a function that rescales
    `x_hat` in place could pass them), and read the gradients autograd leaves in `.grad` (a function that writes
    the expected gradient there, returning a tensor with no graph, could pass those). The argument is put back
    before the case fails."""
    def call(*args, **kwargs):
        given = [(f"argument {i + 1}", a) for i, a in enumerate(args)] + [(f"`{k}`", v) for k, v in kwargs.items()]
        before = [(where, t, t.detach().clone() if isinstance(t, torch.Tensor) else t.copy(), _grad_of(t))
                  for name, value in given for where, t in _arrays(value, name)]
        result = fn(*args, **kwargs)
        changed = [where for where, t, old, _ in before
                   if not _same(t.detach() if isinstance(t, torch.Tensor) else t, old)]
        graded = [where for where, t, _, grad in before if isinstance(t, torch.Tensor) and not (
            grad is None and t.grad is None or grad is not None and t.grad is not None and _same(t.grad, grad))]
        with torch.no_grad():
            for _, t, old, grad in before if changed or graded else []:
                if isinstance(t, torch.Tensor):
                    t.data = old                # its shape too, had the function reshaped it in place
                    if t.is_leaf:
                        t.grad = grad
                elif t.shape == old.shape:
                    t[...] = old
        if changed:
            raise CheckFailed(f"your function changed its input {changed[0]} in place; leave the inputs as they "
                              "are: compute on new tensors (x = x * 2, not x *= 2; or work on x.clone())")
        if graded:
            raise CheckFailed(f"your function wrote the gradient of its input {graded[0]} (.grad) itself; return "
                              "a tensor computed from the input with torch operations, and autograd finds the "
                              "gradient when the caller calls .backward()")
        return result
    call.__name__ = getattr(fn, "__name__", "fn")
    return call


def report_lines(exercise_ids: list[str], namespace: dict) -> str:
    """Run the checks of `exercise_ids` against the functions of the same names in `namespace` (a kernel's
    globals) and return them as one line of JSON: {exercise id: {"function": its name, "points": its points,
    "cases": [[case, status, message], ...], or null when no function of that name was defined}}.

    `aecourse check` runs this as the last cell of the learner's notebook, so that the command itself never
    imports the checks (nor torch): everything it reports comes back in this line."""
    out = {}
    for exercise_id in exercise_ids:
        spec = get_exercise(exercise_id)
        fn = namespace.get(spec.function)
        cases = None if fn is None else [[c.name, c.status, c.message] for c in run_checks(exercise_id, fn).cases]
        out[exercise_id] = {"function": spec.function, "points": spec.points, "cases": cases}
    return json.dumps(out)


def _learner_frame(err: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(err.__traceback__) if "aecourse" not in f.filename]
    return f" (at line {frames[-1].lineno}: {frames[-1].line})" if frames and frames[-1].line else ""


def check(exercise_id: str, fn: Callable) -> None:
    """Check the learner's answer to one exercise: print a verdict per case, with hints, then raise
    `ChecksNotPassed` unless every case passed.

    With some cases passed, the points earned are first shown as the cell's result (`Out[..]`), which is how
    nbgrader reads partial credit from a test cell; then the error makes the cell fail."""
    report = run_checks(exercise_id, fn)
    print(report.text())
    if report.all_passed:
        return
    if not report.attempted:
        raise ChecksNotPassed(f"{exercise_id} not attempted yet: write your answer above, then run this cell again")
    shell = _ipython()
    if shell is not None and report.passed:
        shell.displayhook(report.score)
    raise ChecksNotPassed(f"{exercise_id}: {report.passed}/{report.total} checks passed, {report.score:g} of "
                          f"{report.points:g} points: follow the hints above, then run this cell again")


def _ipython():
    """The running IPython shell, or None outside IPython (plain python, pytest)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


# ----------------------------------------------------------------------------------------- expectations

def _as_array(value, what: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what}: expected numbers, got {type(value).__name__}") from None


def expect_close(got, expected, *, hint: str = "", rtol: float = 1e-4, atol: float = 1e-6) -> None:
    """Fail unless `got` has `expected`'s shape and values (within tolerance)."""
    got_a, exp_a = _as_array(got, "your result"), _as_array(expected, "expected")
    if got_a.shape != exp_a.shape:
        raise CheckFailed(f"expected shape {exp_a.shape}, got {got_a.shape}" + (f"; {hint}" if hint else ""))
    if not np.allclose(got_a, exp_a, rtol=rtol, atol=atol):
        detail = (f"expected {exp_a.item():.6g}, got {got_a.item():.6g}" if exp_a.size == 1 else
                  f"largest difference {np.abs(got_a - exp_a).max():.3g}")
        raise CheckFailed(f"{hint}: {detail}" if hint else detail)


def expect_not_close(got, wrong, hint: str, *, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    """Fail with `hint` when `got` equals `wrong`, the value a known mistake computes."""
    try:
        got_a, wrong_a = _as_array(got, "your result"), np.asarray(_as_array(wrong, "wrong"), dtype=float)
        same = got_a.shape == wrong_a.shape and bool(np.allclose(got_a, wrong_a, rtol=rtol, atol=atol))
    except (CheckFailed, TypeError, ValueError):
        return
    if same:
        raise CheckFailed(hint)


def expect(condition: bool, hint: str) -> None:
    """Fail with `hint` unless `condition` holds."""
    if not condition:
        raise CheckFailed(hint)
