"""`aecourse check NOTEBOOK`: run a learner's notebook on a copy and report which exercises pass.

The notebook is copied to a temporary folder and executed there in a fresh kernel (errors in a cell do not
stop the run). Its check cells are skipped: the library's checks then run once, on the learner's functions found
by the names the exercises define, and the reports come back as JSON. A function that is missing because its cell
failed (a syntax error, say) is reported with that cell's error and line. The learner's file is only read, never
written.

Time: a check costs one kernel start, the kernel's imports (torch) and the learner's own cells; the checks
themselves take well under a second. This process never imports the checks or torch: the kernel reports each
exercise's function name and points with its verdicts (benchmarks/check_time.py measures it).
"""
from __future__ import annotations

import difflib
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import notebooks
from .limits import CHECK_CELL_SECONDS
from .notebooks import CHECK_CALL
from .verdicts import FAILED, CaseResult, Report

RESULT_TAG = "AECOURSE-RESULTS:"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

COLLECT = ("from aecourse.course.checks import report_lines as _aecourse_report_lines\n"
           "print({tag!r} + _aecourse_report_lines({ids!r}, globals()))")


def exercise_ids(nb: nbformat.NotebookNode) -> list[str]:
    """The exercises a notebook checks, in order of their check cells."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            found += [i for i in CHECK_CALL.findall(cell.source) if i not in found]
    return found


def first_error(cell):
    """The first error output of an executed cell, or None."""
    return next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)


def cell_error(cell) -> str | None:
    """What went wrong in an executed cell, in one line with the failing line of the learner's code."""
    error = first_error(cell)
    if error is None:
        return None
    text = ANSI.sub("", error.evalue + "\n" + "\n".join(error.get("traceback", [])))
    lines = [int(n) for n in re.findall(r"line (\d+)", text)]
    source = cell.source.splitlines()
    where = ""
    if lines and 0 < lines[-1] <= len(source):
        where = f" at line {lines[-1]}: `{source[lines[-1] - 1].strip()}`"
    if error.ename in ("SyntaxError", "IndentationError", "TabError"):
        message = re.sub(r"\s*\([^()]*line \d+\)$", "", error.evalue)
        return f"a {error.ename.replace('Error', ' error').lower()}{where} ({message})"
    return f"{error.ename}: {error.evalue}{where}"


def missing_function_report(exercise_id: str, function: str, points: float,
                            executed: nbformat.NotebookNode | None = None, defined: list[str] = ()) -> Report:
    """The report for an exercise whose function (called `function`) was not defined: why, as precisely as the
    run tells (`executed`: the notebook as it ran; `defined`: the functions it did define). `aecourse check` and
    `aecourse grade` both say it this way."""
    close = difflib.get_close_matches(function, list(defined), n=1, cutoff=0.4)
    guess = f" (you defined `{close[0]}`: rename it back)" if close else ""
    message = (f"no function called `{function}` was defined when the notebook ran{guess}: keep the name the "
               "exercise gives it")
    cells = executed.cells if executed is not None else []
    defining = [c for c in cells if c.cell_type == "code" and re.search(rf"^\s*def {function}\b", c.source,
                                                                       re.MULTILINE)]
    failed = [(c, error) for c in (defining or cells) if (error := cell_error(c))]
    if defining and failed:
        message = (f"`{function}` was never defined: its cell failed with {failed[0][1]}; fix it, then run "
                   "the cell again")
    elif failed and "syntax error" in failed[0][1]:
        message += f" (a cell starting `{failed[0][0].source.splitlines()[0]}` has {failed[0][1]})"
    return Report(exercise_id, [CaseResult(f"a function named {function}", FAILED, message)], points)


def check_notebook(path: str | Path, *, cell_timeout: int = CHECK_CELL_SECONDS) -> dict[str, Report]:
    """Execute a copy of the notebook at `path` and return one `Report` per exercise it contains."""
    path = Path(path)
    nb = notebooks.read(path)
    ids = exercise_ids(nb)
    if not ids:
        raise ValueError(f"{path}: no check cells (check(\"NN.name\", function)) found; is this an exercise notebook?")
    nb.cells = [c for c in nb.cells if not notebooks.is_exercise_check_cell(c)]   # the checks run once, below
    nb.cells.append(nbformat.v4.new_code_cell(COLLECT.format(ids=ids, tag=RESULT_TAG)))
    with tempfile.TemporaryDirectory(prefix="aecourse-check-") as tmp:
        shutil.copy2(path, Path(tmp) / path.name)
        executed = notebooks.execute(nb, tmp, cell_timeout=cell_timeout, allow_errors=True)
    text = "".join(o.get("text", "") for o in executed.cells[-1].outputs if o.output_type == "stream")
    if RESULT_TAG not in text:
        error = first_error(executed.cells[-1])   # our own cell: its line says nothing to the learner
        detail = f"{error.ename}: {error.evalue}" if error else "no output"
        raise RuntimeError(f"{path}: the checks could not run after the notebook ({detail})")
    raw = json.loads(text.split(RESULT_TAG, 1)[1].splitlines()[0])
    reports = {}
    for exercise_id in ids:
        found = raw[exercise_id]
        if found["cases"] is None:
            reports[exercise_id] = missing_function_report(exercise_id, found["function"], found["points"], executed)
        else:
            reports[exercise_id] = Report(exercise_id, [CaseResult(*c) for c in found["cases"]], found["points"])
    return reports
