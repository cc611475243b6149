"""The committed notebooks: stored the agreed way, and the exercise notebooks behave for a learner.

The lessons and solutions themselves are executed and compared by nbval (pytest collects notebooks/ and
solutions/ with --nbval-lax); these tests cover what nbval does not.
"""
import copy
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from aecourse.course import notebooks
from aecourse.course.check_notebook import exercise_ids
from aecourse.course.checks import all_exercises

ROOT = Path(__file__).resolve().parent.parent
ALL = sorted(p.relative_to(ROOT) for d in ("notebooks", "solutions", "exercises") for p in (ROOT / d).glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.parametrize("path", ALL, ids=str)
def test_committed_notebook_follows_the_storage_conventions(path):
    problems = notebooks.problems(notebooks.read(ROOT / path))
    assert not problems, f"{path}: {problems}; run `python -m aecourse notebooks clean {path}`"


def test_problems_are_found_in_a_dirty_notebook():
    nb = notebooks.read(ROOT / "solutions" / "00_warmup.ipynb")
    nb.metadata["widgets"] = {"state": {}}
    nb.metadata["kernelspec"]["name"] = "conda-env-x"
    nb.cells[1].execution_count = 4
    nb.cells[1].metadata["collapsed"] = True
    found = "\n".join(notebooks.problems(nb))
    assert "kernelspec is not python3" in found and "stray notebook metadata ['widgets']" in found
    assert "cell 1: outputs or execution count stored" in found and "cell 1: stray cell metadata" in found
    cleaned = notebooks.clean(nb)
    assert cleaned.metadata["kernelspec"]["name"] == "python3" and notebooks.problems(cleaned) == []


def test_nbgrader_metadata_is_derived_from_the_cells_and_nothing_else_is_allowed():
    nb = notebooks.read(ROOT / "solutions" / "00_warmup.ipynb")
    answer, graded = nb.cells[2].metadata.nbgrader, nb.cells[3].metadata.nbgrader
    assert answer == {"grade": False, "grade_id": "answer_reconstruction_mse", "locked": False,
                      "schema_version": 3, "solution": True}
    assert graded == {"grade": True, "grade_id": "check_00_reconstruction_mse", "locked": True, "points": 2,
                      "schema_version": 3, "solution": False}
    nb.cells[3].metadata.nbgrader["points"] = 5          # points must be the checker's
    del nb.cells[2].metadata["nbgrader"]                 # an answer cell must say so
    nb.cells[1].metadata["nbgrader"] = dict(answer, grade_id="x")   # a plain cell must carry none
    found = "\n".join(notebooks.problems(nb))
    assert "cell 3: nbgrader metadata" in found and "expected {'grade': True" in found
    assert "cell 2: nbgrader metadata None" in found and "cell 1: nbgrader metadata" in found
    assert notebooks.problems(notebooks.clean(nb)) == []
    lesson = notebooks.read(ROOT / "notebooks" / "00_start_here.ipynb")   # calls check(), but has no answers
    assert all("nbgrader" not in c.metadata for c in notebooks.clean(lesson).cells)


def test_every_solutions_notebook_has_a_generated_exercise():
    solutions = {p.name for p in (ROOT / "solutions").glob("*.ipynb")}
    assert solutions and solutions == {p.name for p in EXERCISES}


def test_every_check_cell_names_a_registered_exercise_and_every_exercise_is_in_a_notebook():
    registered = set(all_exercises())
    used = set()
    for path in (ROOT / "solutions").glob("*.ipynb"):
        ids = exercise_ids(notebooks.read(path))
        assert set(ids) <= registered, f"{path.name}: unknown exercise ids {set(ids) - registered}"
        assert all(i.startswith(path.name[:2] + ".") for i in ids), f"{path.name}: ids must start with its number"
        used |= set(ids)
    assert used == registered, f"registered but never checked in a notebook: {registered - used}"


_HANDOUTS_RUN: dict[Path, nbformat.NotebookNode] = {}


def handout_run(path: Path, folder: Path) -> nbformat.NotebookNode:
    """The handed-out notebook `path` after Run All (errors kept, as a learner sees them), executed
    (in folder) once per pytest process and copied for each test that asks."""
    if path not in _HANDOUTS_RUN:
        _HANDOUTS_RUN[path] = notebooks.execute(notebooks.read(path), folder, allow_errors=True)
    return copy.deepcopy(_HANDOUTS_RUN[path])


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_exercise_notebook_runs_as_handed_out_and_says_not_attempted(path, tmp_path):
    executed = handout_run(path, tmp_path)
    for index, cell in enumerate(executed.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        for output in errors:
            assert output.ename in ("NotImplementedError", "ChecksNotPassed"), \
                f"{path.name} cell {index} fails outside the stubs: {output.ename}: {output.evalue}"
        if notebooks.is_exercise_check_cell(cell):
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert "not attempted yet" in text and "checks passed" not in text, f"{path.name} cell {index}: {text}"
            assert [(e.ename, len(e.traceback)) for e in errors] == [("ChecksNotPassed", 1)], \
                f"{path.name} cell {index}: a check cell of an untouched exercise fails with one line"
            assert "not attempted yet" in errors[0].evalue


def _nbval(paths: list[Path]) -> dict[str, bool]:
    """Whether `pytest --nbval-lax NOTEBOOK` passes, for each notebook: one pytest run (a kernel per notebook), the
    failing notebooks read from its summary of failures and errors."""
    run = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-rfE",
                          "-p", "no:cacheprovider", "-p", "aecourse.course.pytest_startup", "-o", "addopts=",
                          "-o", "testpaths=", *map(str, paths)],
                         cwd=paths[0].parent, capture_output=True, text=True)
    failing = set(re.findall(r"^(?:FAILED|ERROR) (\S+?\.ipynb)", run.stdout, re.MULTILINE))
    assert run.returncode in (0, 1) and (run.returncode == 1) == bool(failing), run.stdout[-3000:]
    return {path.name: path.name not in failing for path in paths}


def _with_answers(source: Path, answers: dict[str, str]) -> dict:
    nb = json.loads(source.read_text())
    for cell in nb["cells"]:
        if cell["id"] in answers:
            cell["source"] = answers[cell["id"]]
    return nb


def test_nbval_on_a_learner_notebook_passes_exactly_when_the_answers_are_right_saved_or_not(tmp_path):
    handout = ROOT / "exercises" / "00_warmup.ipynb"
    solution = json.loads((ROOT / "solutions" / "00_warmup.ipynb").read_text())
    answer = {c["id"]: c["source"] for c in solution["cells"] if "### BEGIN SOLUTION" in "".join(c["source"])}
    wrong = {i: "def reconstruction_mse(x, x_hat):\n    return ((x - x_hat) ** 2).sum()\n" for i in answer}

    def saved(nb: dict, name: str) -> Path:
        """The notebook as JupyterLab saves it after Run All: every output stored."""
        executed = notebooks.execute(nbformat.reads(json.dumps(nb), as_version=4), tmp_path, allow_errors=True)
        return write(executed, name)

    def write(nb: nbformat.NotebookNode, name: str) -> Path:
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    def unsaved(nb: dict, name: str) -> Path:
        (tmp_path / name).write_text(json.dumps(nb))
        return tmp_path / name

    right_nb, wrong_nb = _with_answers(handout, answer), _with_answers(handout, wrong)
    as_handed_in = {"untouched": unsaved(json.loads(handout.read_text()), "untouched.ipynb"),
                    "wrong": unsaved(wrong_nb, "wrong.ipynb"), "right": unsaved(right_nb, "right.ipynb")}
    with ThreadPoolExecutor(1) as beside:    # nbval checks these while the saved ones are being run
        passes_as_handed_in = beside.submit(_nbval, list(as_handed_in.values()))
        right_saved = saved(right_nb, "right_saved.ipynb")
        forged_nb = json.loads(right_saved.read_text())  # "all passed" stored, then the answer swapped for a wrong one
        for cell in forged_nb["cells"]:
            if cell["id"] in wrong:
                cell["source"] = wrong[cell["id"]]
        after_run_all = {
            "untouched, run and saved": write(handout_run(handout, tmp_path), "untouched_saved.ipynb"),
            "wrong, run and saved": saved(wrong_nb, "wrong_saved.ipynb"),
            "wrong under a stored all-passed output": unsaved(forged_nb, "forged.ipynb"),
            "right, run and saved": right_saved,
        }
        passes = {**_nbval(list(after_run_all.values())), **passes_as_handed_in.result()}
    notebooks_by_case = {**as_handed_in, **after_run_all}
    assert {case: passes[path.name] for case, path in notebooks_by_case.items()} == {
        "untouched": False, "untouched, run and saved": False, "wrong": False, "wrong, run and saved": False,
        "wrong under a stored all-passed output": False, "right": True, "right, run and saved": True}
