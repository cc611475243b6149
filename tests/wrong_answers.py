"""The three tests every tests/test_wrong_answers_NN.py module runs on its REFERENCE answers and WRONG list.

WRONG holds (exercise id, label, wrong function, name of the case that must fail first, text its hint must
contain). A module binds the tests to its own lists:

    test_the_reference_passes, test_a_wrong_answer_fails_with_a_hint_that_names_it, \\
        test_five_wrong_answers_per_exercise = wrong_answer_tests(REFERENCE, WRONG)
"""
import pytest

from aecourse.course.checks import run_checks


def wrong_answer_tests(reference: dict, wrong: list):
    @pytest.mark.parametrize("exercise_id", sorted(reference))
    def test_the_reference_passes(exercise_id):
        report = run_checks(exercise_id, reference[exercise_id])
        assert report.all_passed, report.text()

    @pytest.mark.parametrize("exercise_id, fn, case, hint", [(w[0], *w[2:]) for w in wrong],
                             ids=[f"{w[0]}: {w[1]}" for w in wrong])
    def test_a_wrong_answer_fails_with_a_hint_that_names_it(exercise_id, fn, case, hint):
        problem = run_checks(exercise_id, fn).first_problem
        assert problem is not None, "the wrong answer passed every case"
        assert case in problem.name and hint in problem.message, problem

    def test_five_wrong_answers_per_exercise():
        assert all(sum(w[0] == e for w in wrong) >= 5 for e in reference)

    return test_the_reference_passes, test_a_wrong_answer_fails_with_a_hint_that_names_it, \
        test_five_wrong_answers_per_exercise
