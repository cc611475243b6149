"""`aecourse grade`: a class of varied submissions, generated from solutions/00_warmup.ipynb, graded once.

Each notebook run starts a kernel (seconds), so one module-scoped fixture grades a folder of twelve students, one
per way a submission can go right or wrong, through the command line with two jobs; the tests then read its
gradebook, feedback files and summary. Only the total-time limit needs a run of its own.
"""
import contextlib
import copy
import csv
import io
import json
from pathlib import Path

import nbformat
import pytest

from aecourse.course import cli, grading
from aecourse.course.checks import get_exercise

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = nbformat.read(ROOT / "solutions" / "00_warmup.ipynb", as_version=4)
EXERCISE = nbformat.read(ROOT / "exercises" / "00_warmup.ipynb", as_version=4)
CORRECT = "    return ((x - x_hat) ** 2).mean()"
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
FUNCTION_CELL, FIT_CELL = 2, 5


def notebook(body=CORRECT, *, extra=(), first=None, fit=True, base=SOLUTION, name="reconstruction_mse"):
    """The warm-up notebook with this function body, `extra` cells before the check cell, and optional changes."""
    nb = copy.deepcopy(base)
    nb.cells[FUNCTION_CELL].source = f"def {name}(x, x_hat):\n{body}"
    if first is not None:
        nb.cells[1].source = first
    if not fit:
        del nb.cells[FIT_CELL]
    for offset, source in enumerate(extra, 1):
        nb.cells.insert(FUNCTION_CELL + offset, nbformat.v4.new_code_cell(source))
    return nb


def save(path: Path, nb) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


FAKE_PASS = 'print("00.reconstruction_mse: 4/4 checks passed (all passed, well done)")'
REDEFINE_CHECK = "def check(exercise_id, fn):\n    print(exercise_id + ': 4/4 checks passed (all passed, well done)')"
MONKEYPATCH = """import numpy as np
import aecourse.course.checks
import aecourse.course.checks.ex00_warmup
aecourse.course.checks.run_checks = lambda exercise_id, fn: None
aecourse.course.checks.expect_close = aecourse.course.checks.ex00_warmup.expect_close = lambda *args, **kwargs: None
np.allclose = lambda *args, **kwargs: True"""
WRITES_AND_MOVES = """import os
open("00_warmup.ipynb", "w").write("overwritten by the student")
os.makedirs("scratch", exist_ok=True)
os.chdir("scratch")
open("notes.txt", "w").write("a file the student wrote")
os.chdir("/")"""


def make_class(folder: Path) -> None:
    save(folder / "alice" / "00_warmup" / "00_warmup.ipynb", notebook())          # nbgrader layout, correct
    save(folder / "bob" / "00_warmup.ipynb", notebook("    return ((x - x_hat) ** 2).sum() / x.shape[0]"))
    save(folder / "carol.ipynb", EXERCISE)                                        # handed in untouched
    save(folder / "dave.ipynb", notebook(extra=["while True:\n    pass", "print('after the loop')"]))
    save(folder / "erin.ipynb", notebook(first="import torch\nimport not_a_real_module\n"
                                              "from aecourse.course.checks import check"))
    (folder / "frank.ipynb").write_text('{"cells": [{"cell_type": "code", "sou')  # not valid JSON
    grace = json.loads(nbformat.writes(notebook(extra=[WRITES_AND_MOVES])))
    grace["cells"][1]["id"] = grace["cells"][2]["id"]                            # duplicated cell id
    del grace["cells"][3]["id"]                                                   # missing cell id
    (folder / "grace.ipynb").write_text(json.dumps(grace))
    save(folder / "heidi.ipynb", notebook(name="reconstruction_error"))           # renamed the function
    save(folder / "ivan.ipynb", notebook("    return x.sum() * 0", extra=[FAKE_PASS, REDEFINE_CHECK, MONKEYPATCH]))
    (folder / "judy" / "00_warmup").mkdir(parents=True)                          # empty folder
    save(folder / "ken.ipynb", notebook(STUB, extra=[REDEFINE_CHECK, FAKE_PASS], fit=False))
    save(folder / "oscar.ipynb", notebook("    while True:\n        pass", fit=False))  # loops when called


def files(folder: Path) -> dict:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submitted")
    out = tmp_path_factory.mktemp("grades")
    make_class(folder)
    before = files(folder)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli.main(["grade", str(folder), "--assignment", "00_warmup", "--out", str(out), "--jobs", "2",
                         "--cell-timeout", "30", "--total-timeout", "120", "--solutions", str(ROOT / "solutions")])
    with open(out / "gradebook.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    feedback = {p.stem: p.read_text() for p in (out / "feedback").glob("*.md")}
    return {"code": code, "rows": rows, "feedback": feedback, "printed": printed.getvalue(), "before": before,
            "after": files(folder)}


def test_every_student_is_in_the_gradebook_and_the_run_finishes(graded):
    assert graded["code"] == 0
    assert sorted(graded["rows"]) == ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
                                      "judy", "ken", "oscar"]
    assert sorted(graded["feedback"]) == sorted(graded["rows"])
    assert list(next(iter(graded["rows"].values()))) == ["student", "00.reconstruction_mse", "total", "status"]


@pytest.mark.parametrize("student, points, status", [
    ("alice", "2", "ok"),          # nbgrader's submitted/<student>/<assignment>/ layout
    ("bob", "1", "ok"),            # partial credit: 2 of 4 cases
    ("carol", "0", "error"),       # the stub; the training cell calls it and raises NotImplementedError
    ("dave", "2", "timeout"),      # an endless cell: stopped, the function is still graded
    ("erin", "2", "error"),        # raises at import; the cells after it still define the function
    ("frank", "0", "invalid"),     # not JSON
    ("grace", "2", "ok"),          # duplicated and missing cell ids, writes files, changes directory
    ("heidi", "0", "error"),       # renamed the function (the training cell then fails too)
    ("ivan", "0", "tampered"),     # fake output, a redefined check, monkeypatched checks
    ("judy", "0", "missing"),      # empty folder
    ("ken", "0", "ok"),            # prints a fake pass and redefines check, but never answered
    ("oscar", "0", "ok"),          # the function loops forever when called
])
def test_points_and_status(graded, student, points, status):
    row = graded["rows"][student]
    got = (row["00.reconstruction_mse"], row["total"], row["status"])
    assert got == (points, points, status), graded["feedback"][student]


def test_submissions_are_never_modified(graded):
    assert graded["after"] == graded["before"]


def test_feedback_gives_each_verdict_and_hint(graded):
    bob = graded["feedback"]["bob"]
    assert "**1 / 2 points**" in bob and "2/4 checks passed" in bob
    assert "- [ok] perfect reconstruction costs 0" in bob
    assert "- [FAIL] mean over every entry: average the squared differences" in bob
    assert "Not attempted: replace `raise NotImplementedError()`" in graded["feedback"]["carol"]
    assert "4/4 checks passed" in graded["feedback"]["alice"]


def test_feedback_explains_what_went_wrong(graded):
    fb = graded["feedback"]
    assert "did not finish within 30 s and was stopped" in fb["dave"] and "`while True:`" in fb["dave"]
    assert "ModuleNotFoundError: No module named 'not_a_real_module'" in fb["erin"]
    assert "not a readable notebook (NotJSONError" in fb["frank"]
    assert "no function called `reconstruction_mse`" in fb["heidi"] and "`reconstruction_error`" in fb["heidi"]
    assert "no notebook for this assignment was found" in fb["judy"]
    assert "does `reconstruction_mse` loop forever" in fb["oscar"]


def test_printed_text_a_redefined_check_or_monkeypatching_earn_nothing(graded):
    ivan = graded["feedback"]["ivan"]
    for name in ("aecourse.course.checks.run_checks", "aecourse.course.checks.expect_close",
                 "aecourse.course.checks.ex00_warmup.expect_close", "numpy.allclose"):
        assert name in ivan
    assert "your notebook changed the course library" in ivan
    assert "Not attempted" in graded["feedback"]["ken"] and graded["rows"]["ken"]["total"] == "0"


def test_summary_table_is_printed(graded):
    printed = graded["printed"]
    assert "student  00.reconstruction_mse  total  status" in printed
    assert "12 submissions, mean" in printed and "1 invalid, 1 missing" in printed
    assert "gradebook.csv and 12 feedback files" in printed


def test_total_time_limit_stops_the_notebook_and_still_grades(tmp_path):
    nb = notebook(extra=["import time\ntime.sleep(3)", "time.sleep(3)", "print('never')"], fit=False)
    save(tmp_path / "slow.ipynb", nb)
    exercises = grading.assignment_exercises("00_warmup", ROOT / "solutions")
    grade = grading.grade_submission(grading.Submission("slow", tmp_path / "slow.ipynb"), exercises,
                                     cell_timeout=60, total_timeout=4)
    assert grade.status == "timeout" and grade.total == 2
    assert any("the notebook used its 4 s" in p for p in grade.problems), grade.problems


# ------------------------------------------------------------------------------------------ without a kernel

def test_empty_folder_still_writes_the_gradebook(tmp_path, capsys):
    (tmp_path / "submitted").mkdir()
    code = cli.main(["grade", str(tmp_path / "submitted"), "--assignment", "00_warmup", "--out", str(tmp_path / "out"),
                     "--solutions", str(ROOT / "solutions")])
    assert code == 0
    assert (tmp_path / "out" / "gradebook.csv").read_text().strip() == "student,00.reconstruction_mse,total,status"
    assert "no submissions found" in capsys.readouterr().out


def test_find_submissions_in_both_layouts(tmp_path):
    save(tmp_path / "a" / "00_warmup" / "00_warmup.ipynb", SOLUTION)   # nbgrader: submitted/a/00_warmup/
    save(tmp_path / "b" / "00_warmup.ipynb", SOLUTION)
    save(tmp_path / "c" / "00_warmup" / "my copy.ipynb", SOLUTION)     # the only notebook: taken
    save(tmp_path / "d.ipynb", SOLUTION)
    (tmp_path / "e" / "00_warmup").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("not a notebook")
    save(tmp_path / ".ipynb_checkpoints" / "d-checkpoint.ipynb", SOLUTION)
    found = {s.student: s.path for s in grading.find_submissions(tmp_path, "00_warmup")}
    assert found == {"a": tmp_path / "a" / "00_warmup" / "00_warmup.ipynb", "b": tmp_path / "b" / "00_warmup.ipynb",
                     "c": tmp_path / "c" / "00_warmup" / "my copy.ipynb", "d": tmp_path / "d.ipynb", "e": None}


def test_unreadable_notebooks_are_explained():
    for data in (b"{", b"[]", b'{"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', b"\xff\xfe"):
        with pytest.raises(ValueError, match="not a readable notebook"):
            grading.read_submission(data)


def test_pure_check_cells_are_left_to_the_grader():
    assert grading.is_pure_check('# NBVAL_CHECK_OUTPUT\ncheck("00.reconstruction_mse", reconstruction_mse)')
    assert not grading.is_pure_check('check("00.a", f)\ndef f(): pass')
    assert not grading.is_pure_check("x = 1")


def test_assignment_points_come_from_the_registry(tmp_path):
    exercises = grading.assignment_exercises("00_warmup", ROOT / "solutions")
    assert exercises == [get_exercise("00.reconstruction_mse")] and exercises[0].points == 2
    assert grading.assignment_exercises("00_warmup", tmp_path) == exercises   # without solutions/: by number
    with pytest.raises(ValueError, match="no exercise numbered '99'"):
        grading.assignment_exercises("99_nothing", tmp_path)


def test_bad_arguments_are_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        grading.find_submissions(tmp_path / "nowhere", "00_warmup")
    with pytest.raises(ValueError, match="jobs"):
        grading.grade_folder(tmp_path, "00_warmup", jobs=0, progress=False)
    with pytest.raises(ValueError, match="cell_timeout"):
        grading.grade_folder(tmp_path, "00_warmup", cell_timeout=0, progress=False)
