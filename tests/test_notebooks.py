"""The committed notebooks: stored the agreed way, and the exercise notebooks behave for a learner.

The lessons and solutions themselves are executed and compared by nbval (pytest collects notebooks/ and
solutions/ with --nbval-lax); these tests cover what nbval does not.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_exercise_notebook_runs_as_handed_out_and_says_not_attempted(path, tmp_path):
    nb = notebooks.read(path)
    executed = notebooks.execute(nb, tmp_path, allow_errors=True)
    for index, cell in enumerate(executed.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                assert output.ename == "NotImplementedError", \
                    f"{path.name} cell {index} fails outside the stubs: {output.ename}: {output.evalue}"
        if notebooks.is_check_cell(cell):
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert "not attempted yet" in text and "checks passed" not in text, f"{path.name} cell {index}: {text}"


def _nbval(path: Path) -> int:
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
                           "-p", "no:cacheprovider", "-o", "addopts=", "-o", "testpaths=", str(path)],
                          cwd=path.parent, capture_output=True, text=True).returncode


def test_nbval_on_a_learner_notebook_passes_exactly_when_the_answers_are_right(tmp_path):
    stubbed = tmp_path / "stubbed.ipynb"
    shutil.copy(ROOT / "exercises" / "00_warmup.ipynb", stubbed)
    assert _nbval(stubbed) != 0
    nb = json.loads(stubbed.read_text())
    answer = {c["id"]: c["source"] for c in json.loads((ROOT / "solutions" / "00_warmup.ipynb").read_text())["cells"]}
    for cell in nb["cells"]:
        if "NotImplementedError" in "".join(cell["source"]):
            cell["source"] = answer[cell["id"]]
    answered = tmp_path / "answered.ipynb"
    answered.write_text(json.dumps(nb))
    assert _nbval(answered) == 0
