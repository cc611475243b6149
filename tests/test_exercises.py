import json
import shutil
from pathlib import Path

import nbformat
import pytest

from aecourse.course import exercises, notebooks
from aecourse.course.checks import all_exercises

ROOT = Path(__file__).resolve().parent.parent

SOLUTION_CELL = '''def f(x):
    """Doc."""
    y = 1
    ### BEGIN SOLUTION
    if x:
        return x + y
    ### END SOLUTION


class A:
    def g(self):
        ### BEGIN SOLUTION
        return 2
        ### END SOLUTION'''


def test_solution_regions_become_stubs_with_the_indentation_kept():
    out = exercises.strip_solutions(SOLUTION_CELL)
    assert "return x + y" not in out and "return 2" not in out
    assert '    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n' in out
    assert '        # YOUR CODE HERE\n        raise NotImplementedError()' in out
    namespace = {}
    exec(out, namespace)                         # still valid Python, and the stub fires only when called
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another solution region"),
])
def test_unbalanced_markers_are_errors_that_point_at_the_line(source, message):
    with pytest.raises(ValueError, match=message):
        exercises.strip_solutions(source, "solutions/x.ipynb, cell 3")


def _course_copy(root, tmp_path):
    shutil.copytree(root / "solutions", tmp_path / "solutions")
    shutil.copytree(root / "exercises", tmp_path / "exercises")
    return tmp_path / "solutions", tmp_path / "exercises"


def test_regenerating_exercises_reproduces_the_committed_copy_exactly(root, tmp_path):
    solutions, _ = _course_copy(root, tmp_path)
    fresh = tmp_path / "fresh"
    exercises.build(solutions, fresh)
    committed = sorted(p.name for p in (root / "exercises").glob("*.ipynb"))
    assert committed == sorted(p.name for p in fresh.glob("*.ipynb")), \
        "exercises/ is out of date: run `python -m aecourse exercises build`"
    for name in committed:
        assert (fresh / name).read_text() == (root / "exercises" / name).read_text(), \
            f"exercises/{name} differs from what solutions/{name} generates: run `python -m aecourse exercises build`"


def test_build_never_edits_solutions(root, tmp_path):
    solutions, exercise_dir = _course_copy(root, tmp_path)
    before = {p.name: p.read_bytes() for p in solutions.glob("*.ipynb")}
    exercises.build(solutions, exercise_dir)
    assert before == {p.name: p.read_bytes() for p in solutions.glob("*.ipynb")}


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb")))
def test_handouts_store_no_outputs_and_keep_nbgrader_metadata(name):
    solution = notebooks.read(ROOT / "solutions" / name)
    exercise = exercises.make_exercise(solution, f"solutions/{name}")
    sources = "\n".join(c.source for c in exercise.cells)
    assert "### BEGIN SOLUTION" not in sources and "raise NotImplementedError()" in sources
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in exercise.cells)
    checks = [c for c in exercise.cells if notebooks.is_exercise_check_cell(c)]
    assert checks and not any(notebooks.is_check_cell(c) for c in checks)   # nbval runs them, compares nothing
    assert [c.metadata for c in exercise.cells] == [c.metadata for c in solution.cells]
    graded = [c.metadata["nbgrader"] for c in checks]
    points = {e.exercise_id: e.points for e in all_exercises().values()}
    assert [m["points"] for m in graded] == [points[i] for c in checks for i in exercise_ids_of(c)]
    assert all(m["grade"] and m["locked"] and not m["solution"] for m in graded)
    answers = [c.metadata["nbgrader"] for c in exercise.cells
               if c.cell_type == "code" and "raise NotImplementedError()" in c.source]
    assert answers and all(m["solution"] and not m["grade"] and not m["locked"] for m in answers)


def exercise_ids_of(cell):
    return notebooks.CHECK_CALL.findall(cell.source)


def test_a_notebook_the_learner_worked_in_is_not_overwritten(root, tmp_path):
    solutions, exercise_dir = _course_copy(root, tmp_path)
    target = exercise_dir / "00_warmup.ipynb"
    nb = json.loads(target.read_text())
    nb["cells"][2]["source"] = "def reconstruction_mse(x, x_hat):\n    return 42  # my work\n"
    target.write_text(json.dumps(nb))
    with pytest.raises(RuntimeError, match="changed since it was generated"):
        exercises.build(solutions, exercise_dir)
    assert "my work" in target.read_text()
    exercises.build(solutions, exercise_dir, force=True)
    backups = list((exercise_dir / ".backup").glob("00_warmup-*.ipynb"))
    assert len(backups) == 1 and "my work" in backups[0].read_text()
    assert "my work" not in target.read_text()


def test_an_unchanged_generated_notebook_is_rebuilt_without_complaint(root, tmp_path):
    solutions, exercise_dir = _course_copy(root, tmp_path)
    exercises.build(solutions, exercise_dir)
    exercises.build(solutions, exercise_dir)


def test_a_solutions_notebook_without_answers_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="no '### BEGIN SOLUTION' region"):
        exercises.make_exercise(nb, "solutions/empty.ipynb")
    with pytest.raises(FileNotFoundError, match="no solutions notebooks"):
        exercises.build(tmp_path / "nothing", tmp_path / "out")
