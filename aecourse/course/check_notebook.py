"""`aecourse check NOTEBOOK`: run a learner's notebook on a copy and report which exercises pass.

The notebook is copied to a temporary folder and executed there in a fresh kernel (errors in a cell do not
stop the run); then the library's checks are run on the learner's functions, found by the names the exercises
define, and the reports come back as JSON. The learner's file is only read, never written.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import notebooks
from .notebooks import CHECK_CALL
from .checks import FAILED, CaseResult, Report, get_exercise

RESULT_TAG = "AECOURSE-RESULTS:"

COLLECT = '''
def _aecourse_collect(ids, tag):
    import json
    from aecourse.course.checks import get_exercise, run_checks
    out = dict()
    for exercise_id in ids:
        spec = get_exercise(exercise_id)
        fn = globals().get(spec.function)
        if fn is None:
            out[exercise_id] = None
            continue
        report = run_checks(exercise_id, fn)
        out[exercise_id] = [[c.name, c.status, c.message] for c in report.cases]
    print(tag + json.dumps(out))
_aecourse_collect({ids!r}, {tag!r})
'''


def exercise_ids(nb: nbformat.NotebookNode) -> list[str]:
    """The exercises a notebook checks, in order of their check cells."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            found += [i for i in CHECK_CALL.findall(cell.source) if i not in found]
    return found


def missing_function_report(exercise_id: str) -> Report:
    spec = get_exercise(exercise_id)
    return Report(exercise_id, [CaseResult(f"a function named {spec.function}", FAILED,
                                           f"no function called `{spec.function}` was defined when the notebook "
                                           "ran: keep the name the exercise gives it")], spec.points)


def check_notebook(path: str | Path, *, cell_timeout: int = 300) -> dict[str, Report]:
    """Execute a copy of the notebook at `path` and return one `Report` per exercise it contains."""
    path = Path(path)
    nb = notebooks.read(path)
    ids = exercise_ids(nb)
    if not ids:
        raise ValueError(f"{path}: no check cells (check(\"NN.name\", function)) found; is this an exercise notebook?")
    for exercise_id in ids:
        get_exercise(exercise_id)
    nb.cells.append(nbformat.v4.new_code_cell(COLLECT.format(ids=ids, tag=RESULT_TAG)))
    with tempfile.TemporaryDirectory(prefix="aecourse-check-") as tmp:
        shutil.copy2(path, Path(tmp) / path.name)
        executed = notebooks.execute(nb, tmp, cell_timeout=cell_timeout, allow_errors=True)
    text = "".join(o.get("text", "") for o in executed.cells[-1].outputs if o.output_type == "stream")
    errors = [o for o in executed.cells[-1].outputs if o.output_type == "error"]
    if RESULT_TAG not in text:
        detail = f"{errors[0].ename}: {errors[0].evalue}" if errors else "no output"
        raise RuntimeError(f"{path}: the checks could not run after the notebook ({detail})")
    raw = json.loads(text.split(RESULT_TAG, 1)[1].splitlines()[0])
    reports = {}
    for exercise_id in ids:
        cases = raw.get(exercise_id)
        if cases is None:
            reports[exercise_id] = missing_function_report(exercise_id)
        else:
            reports[exercise_id] = Report(exercise_id, [CaseResult(*c) for c in cases],
                                          get_exercise(exercise_id).points)
    return reports
