"""The check machinery: verdicts, hints, the error a check cell raises. Each exercise's wrong answers are in
tests/test_wrong_answers_NN.py."""
import pytest
import torch

from aecourse.course import checks
from aecourse.course.checks import ERROR, FAILED, NOT_ATTEMPTED, PASSED, check, get_exercise, run_checks


def right(x, x_hat):
    return ((x - x_hat) ** 2).mean()


def stub(x, x_hat):
    raise NotImplementedError()


def test_a_right_answer_passes_every_case(capsys):
    report = run_checks("00.reconstruction_mse", right)
    assert report.all_passed and report.passed == report.total == 4
    assert report.score == report.points == 2
    check("00.reconstruction_mse", right)
    out = capsys.readouterr().out
    assert out.startswith("00.reconstruction_mse: 4/4 checks passed (all passed, well done)")
    assert check("00.reconstruction_mse", right) is None   # a passing check raises nothing


def test_failures_print_a_count_and_a_hint_then_raise_one_line(capsys):
    with pytest.raises(checks.ChecksNotPassed) as failure:
        check("00.reconstruction_mse", lambda x, r: ((x - r) ** 2).sum())
    out = capsys.readouterr().out
    assert "3/4 checks passed" in out
    assert "[fail] mean over every entry: you summed the squared differences" in out
    assert str(failure.value) == ("00.reconstruction_mse: 3/4 checks passed, 1.5 of 2 points: follow the hints "
                                  "above, then run this cell again")
    assert failure.value._render_traceback_() == [f"\x1b[0;31mChecksNotPassed\x1b[0m: {failure.value}"]


def test_an_exception_in_learner_code_is_reported_not_raised(capsys):
    def broken(x, x_hat):
        return x.no_such_method()
    report = run_checks("00.reconstruction_mse", broken)
    assert {c.status for c in report.cases} == {ERROR}
    assert "your code raised AttributeError" in report.cases[0].message
    with pytest.raises(checks.ChecksNotPassed, match="0/4 checks passed, 0 of 2 points"):
        check("00.reconstruction_mse", broken)
    assert "[error]" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, r: torch.tensor(((x - r) ** 2).mean().item()), "stay in torch inside the function"),
    (lambda x, r: torch.as_tensor(((x.numpy() - r.numpy()) ** 2).mean()), "no .numpy() or .item()"),
])
def test_torch_errors_in_learner_code_get_a_course_hint(wrong, hint):
    report = run_checks("00.reconstruction_mse", wrong)
    errors = [c for c in report.cases if c.status == ERROR]
    assert errors and hint in errors[0].message, report.text()


def test_a_stub_reads_not_attempted(capsys):
    report = run_checks("00.reconstruction_mse", stub)
    assert not report.attempted and {c.status for c in report.cases} == {NOT_ATTEMPTED}
    assert report.score == 0
    with pytest.raises(checks.ChecksNotPassed, match="not attempted yet"):
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
    for spec in checks.all_exercises().values():
        assert spec.points > 0 and spec.function.isidentifier()
        assert spec.exercise_id.split(".")[0].isdigit()


def test_statuses_are_distinct_words():
    assert len({PASSED, FAILED, ERROR, NOT_ATTEMPTED}) == 4


def test_report_lines_serialises_each_exercise_and_says_null_for_a_missing_function():
    """What `aecourse check` reads back from the kernel: one JSON line, the cases of each exercise in order."""
    import json

    lines = json.loads(checks.report_lines(["00.reconstruction_mse"], {"reconstruction_mse": right}))
    expected = run_checks("00.reconstruction_mse", right)
    spec = get_exercise("00.reconstruction_mse")
    assert lines == {"00.reconstruction_mse": {"function": "reconstruction_mse", "points": spec.points,
                                               "cases": [[c.name, c.status, c.message] for c in expected.cases]}}
    assert all(status == PASSED for _, status, _ in lines["00.reconstruction_mse"]["cases"])
    missing = json.loads(checks.report_lines(["00.reconstruction_mse"], {"mse": right}))
    assert missing == {"00.reconstruction_mse": {"function": "reconstruction_mse", "points": spec.points,
                                                 "cases": None}}
    with pytest.raises(KeyError):
        checks.report_lines(["00.no_such_exercise"], {})
