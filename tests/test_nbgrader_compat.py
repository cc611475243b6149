"""The course is a real nbgrader assignment, and the exercises/ it hands out are what nbgrader would hand out.

solutions/ carry nbgrader's cell metadata (answer cells; check cells as graded, locked test cells worth the
checker's points), so `nbgrader generate_assignment` takes them as they are, its `ClearSolutions` step turns
them into our exercises/ cell by cell, and `nbgrader autograde` gives a class the same points as `aecourse grade`
(nbgrader reads partial credit from the number a failing check cell shows as its result). It uses nbgrader itself
rather than a re-implementation, so the test follows nbgrader wherever it goes. Skipped, with the reason, where
nbgrader is not installed (it is in the dev extra).
"""
import copy
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from aecourse.course.exercises import strip_solutions
from aecourse.course.grading import sandbox

if importlib.util.find_spec("nbgrader") is None:      # imported by the tests that use it: 0.7 s to import
    pytest.skip("nbgrader is a dev dependency: pip install nbgrader", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def clear_solutions(nb: nbformat.NotebookNode, *, enforce_metadata: bool = True) -> nbformat.NotebookNode:
    from nbgrader.preprocessors import ClearSolutions

    cleared, _ = ClearSolutions(enforce_metadata=enforce_metadata).preprocess(copy.deepcopy(nb), {})
    return cleared


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_nbgrader_clears_solutions_to_our_exercises_with_its_metadata_enforced(solution):
    ours = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
    theirs = clear_solutions(nbformat.read(solution, as_version=4))
    assert [c.cell_type for c in theirs.cells] == [c.cell_type for c in ours.cells]
    for index, (their_cell, our_cell) in enumerate(zip(theirs.cells, ours.cells)):
        assert their_cell.source == our_cell.source, f"{solution.name}, cell {index}"
    assert any("raise NotImplementedError()" in c.source for c in ours.cells if c.cell_type == "code")


@pytest.mark.parametrize("source", [
    "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
    "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    y += x\n    ### END SOLUTION\n    return y",
    ("class A:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
     "    def g(self):\n        ### BEGIN SOLUTION\n        return 2\n        ### END SOLUTION"),
    "def f(x):\n\t### BEGIN SOLUTION\n\treturn x\n\t### END SOLUTION\n\n# after",
])
def test_our_generator_agrees_with_nbgrader(source):
    cell = nbformat.v4.new_code_cell(source)
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": KERNELSPEC})
    assert strip_solutions(source) == clear_solutions(nb, enforce_metadata=False).cells[0].source


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)   # nbgrader runs `alembic` from PATH
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """An nbgrader course folder where `nbgrader generate_assignment 00_warmup` ran on solutions/, no flags."""
    course = tmp_path_factory.mktemp("nbgrader-course")
    (course / "source" / "00_warmup").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "00_warmup.ipynb", course / "source" / "00_warmup")
    _run(str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", "00_warmup", cwd=course)
    return course


def test_generate_assignment_takes_the_solutions_as_they_are(released):
    release = nbformat.read(released / "release" / "00_warmup" / "00_warmup.ipynb", as_version=4)
    ours = nbformat.read(ROOT / "exercises" / "00_warmup.ipynb", as_version=4)
    assert [c.source for c in release.cells] == [c.source for c in ours.cells]
    graded = [c.metadata.nbgrader for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [(m.grade_id, m.points, m.locked) for m in graded] == [("check_00_reconstruction_mse", 2, True)]


ANSWERS = {"correct": "return ((x - x_hat) ** 2).mean()", "partial": "return ((x - x_hat) ** 2).sum()",
           "wrong": "return (x - x_hat).abs().max() * 0 + 1", "untouched": None}


def test_autograde_gives_the_points_aecourse_grade_gives(released):
    release = json.loads((released / "release" / "00_warmup" / "00_warmup.ipynb").read_text())
    for student, answer in ANSWERS.items():
        nb = copy.deepcopy(release)
        for cell in nb["cells"]:
            if answer and "raise NotImplementedError()" in "".join(cell["source"]):
                cell["source"] = "".join(cell["source"]).replace("# YOUR CODE HERE\n    raise NotImplementedError()",
                                                                 answer)
        target = released / "submitted" / student / "00_warmup" / "00_warmup.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb))
    grade = [sys.executable, "-m", "aecourse", "grade", str(released / "submitted"), "--assignment", "00_warmup",
             "--out", str(released / "aecourse"), "--solutions", str(ROOT / "solutions")]
    if not sandbox.bwrap_works():
        grade.append("--no-sandbox")
    with ThreadPoolExecutor(1) as beside:   # both only read submitted/: ours grades while nbgrader's autograde runs
        ours = beside.submit(_run, *grade, cwd=released)
        _run(str(Path(sys.executable).parent / "nbgrader"), "autograde", "00_warmup", cwd=released)
        ours.result()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{released / 'gradebook.db'}") as gradebook:
        by_nbgrader = {s: gradebook.find_submission_notebook("00_warmup", "00_warmup", s).score for s in ANSWERS}
    with open(released / "aecourse" / "gradebook.csv", newline="") as f:
        by_aecourse = {row["student"]: float(row["total"]) for row in csv.DictReader(f)}
    assert by_nbgrader == by_aecourse == {"correct": 2.0, "partial": 1.5, "wrong": 0.5, "untouched": 0.0}
