"""The exercises/ the course hands out are what nbgrader itself would hand out.

This feeds every solutions notebook to nbgrader's own solution-clearing step, the `ClearSolutions` preprocessor
that `nbgrader generate_assignment` runs, and compares the result with the generated exercises/ notebook, cell by
cell. It uses nbgrader itself rather than a re-implementation of its markers because nbgrader (0.9.6) installs from
PyPI with no conflict with the course's pins, so the test can follow nbgrader wherever it goes. `enforce_metadata`
is off because the course marks answers with the `### BEGIN/END SOLUTION` markers only, not with nbgrader's cell
metadata (nbgrader documents that setting for exactly this use, `generate_assignment` without the database).
Skipped, with the reason, where nbgrader is not installed (it is in the dev extra).
"""
import copy
from pathlib import Path

import nbformat
import pytest

from aecourse.course.exercises import strip_solutions

nbgrader = pytest.importorskip("nbgrader.preprocessors", reason="nbgrader is a dev dependency: pip install nbgrader")

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def clear_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cleared, _ = nbgrader.ClearSolutions(enforce_metadata=False).preprocess(copy.deepcopy(nb), {})
    return cleared


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_nbgrader_clears_solutions_to_our_exercises(solution):
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
    assert strip_solutions(source) == clear_solutions(nb).cells[0].source
