import pytest
import torch

from aecourse.course.checks import ERROR, FAILED, NOT_ATTEMPTED, PASSED, all_exercises, check, get_exercise, run_checks


def right(x, x_hat):
    return ((x - x_hat) ** 2).mean()


def stub(x, x_hat):
    raise NotImplementedError()


# Plausible wrong answers a learner might write, each with the case that must catch it.
WRONG_WARMUP = {
    "sums instead of averaging": (lambda x, r: ((x - r) ** 2).sum(), "mean over every entry"),
    "averages per sample only": (lambda x, r: ((x - r) ** 2).mean(dim=1), "mean over every entry"),
    "forgets to square": (lambda x, r: (x - r).mean(), "mean over every entry"),
    "absolute error": (lambda x, r: (x - r).abs().mean(), "mean over every entry"),
    "returns a python float": (lambda x, r: float(((x - r) ** 2).mean()), "returns a scalar tensor"),
    "detaches the result": (lambda x, r: ((x - r) ** 2).mean().detach(), "gradients flow"),
    "root mean square": (lambda x, r: ((x - r) ** 2).mean().sqrt(), "mean over every entry"),
}


def test_a_right_answer_passes_every_case(capsys):
    report = run_checks("00.reconstruction_mse", right)
    assert report.all_passed and report.passed == report.total == 4
    assert report.score == report.points == 2
    check("00.reconstruction_mse", right)
    out = capsys.readouterr().out
    assert out.startswith("00.reconstruction_mse: 4/4 checks passed (all passed, well done)")


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")
def test_each_wrong_warmup_answer_is_caught_by_the_case_meant_for_it():
    for description, (fn, case_name) in WRONG_WARMUP.items():
        report = run_checks("00.reconstruction_mse", fn)
        statuses = {c.name: c.status for c in report.cases}
        assert not report.all_passed, description
        assert statuses[case_name] in (FAILED, ERROR), (description, statuses)


def test_failures_print_a_count_and_a_hint(capsys):
    check("00.reconstruction_mse", lambda x, r: ((x - r) ** 2).sum())
    out = capsys.readouterr().out
    assert "2/4 checks passed" in out
    assert "[fail] mean over every entry: average the squared differences" in out
    assert "expected 0.185601, got 3.71202" in out


def test_an_exception_in_learner_code_is_reported_not_raised(capsys):
    def broken(x, x_hat):
        return x.no_such_method()
    report = run_checks("00.reconstruction_mse", broken)
    assert {c.status for c in report.cases} == {ERROR}
    assert "your code raised AttributeError" in report.cases[0].message
    check("00.reconstruction_mse", broken)
    assert "[error]" in capsys.readouterr().out


def test_a_stub_reads_not_attempted(capsys):
    report = run_checks("00.reconstruction_mse", stub)
    assert not report.attempted and {c.status for c in report.cases} == {NOT_ATTEMPTED}
    assert report.score == 0
    check("00.reconstruction_mse", stub)
    assert "not attempted yet" in capsys.readouterr().out


def test_passing_something_that_is_not_a_function_is_explained():
    report = run_checks("00.reconstruction_mse", 3.0)
    assert report.cases[0].status == FAILED and "pass the function itself" in report.cases[0].message


def test_unknown_exercise_lists_the_known_ones():
    try:
        get_exercise("99.nothing")
    except KeyError as err:
        assert "00.reconstruction_mse" in str(err)
    else:
        raise AssertionError("expected a KeyError")


def test_checks_leave_the_learners_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run_checks("00.reconstruction_mse", right)
    assert torch.equal(torch.rand(3), expected)


def test_every_registered_exercise_has_points_and_a_function_name():
    for spec in all_exercises().values():
        assert spec.points > 0 and spec.function.isidentifier()
        assert spec.exercise_id.split(".")[0].isdigit()


def test_statuses_are_distinct_words():
    assert len({PASSED, FAILED, ERROR, NOT_ATTEMPTED}) == 4
