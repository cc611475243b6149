"""`aecourse grade SUBMISSIONS --assignment NAME`: grade a class's notebooks, with feedback per student.

For each student's notebook, on a copy in a temporary folder:

1. a fresh kernel first runs the grader's own cell, before any student code: it imports the library and every
   checker (and torch's lazily loaded compiler, so its seconds are not charged to a student's cell), keeps its own
   references to `run_checks` and the exercises, and takes a snapshot of every function and class of the loaded
   `aecourse` modules, `numpy` and `torch`;
2. the student's code cells run in order (markdown and pure `check(...)` cells are skipped), each with a time
   limit (`cell_timeout`) and all together within `total_timeout`; a cell that raises or times out is recorded and
   the run goes on, so everything defined before and after it is still graded;
3. one grader cell per exercise looks the student's function up by the name the exercise gives it and runs the
   library's checks through the references kept in step 1, after verifying the snapshot. The verdict travels back
   as display data of a private MIME type, never as printed text.

So printed text ("4/4 checks passed") earns nothing, a redefined `check` is never called, and rebinding
`aecourse.course.checks.run_checks`, `expect_close`, `numpy.allclose`, a checker's code or a class method is seen by the
snapshot: the submission is graded 0 with status "tampered" and the feedback says what changed. The checks must run
in the student's process (they back-propagate through the student's function), so this stops what a student can
do by accident or by a quick trick; someone who reads this file and rewrites the kernel's internals is not stopped,
and instructors should read any notebook the gradebook flags.

`--jobs N` runs N kernels at a time, driven from N threads (the work happens in the kernels' processes). Even a
cell stuck in C code cannot hold a run forever: every cell's wait is bounded, so a notebook takes at most
`total_timeout` plus one `cell_timeout` per exercise, beyond the grader's imports.

Statuses, from worst: missing (no notebook), invalid (not a readable notebook), tampered, timeout, error (a cell
raised; still graded), ok. Points per exercise come from the checks' registry (`points=` next to each exercise in
`aecourse/checks/exNN_*.py`); partial credit is points * cases passed / cases.
"""
from __future__ import annotations

import csv
import difflib
import os
import re
import secrets
import subprocess
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .check_notebook import exercise_ids
from .checks import ERROR, FAILED, CaseResult, Exercise, Report, all_exercises, get_exercise

OK, ERRORED, TIMEOUT, TAMPERED, INVALID, MISSING = "ok", "error", "timeout", "tampered", "invalid", "missing"
MIME = "application/vnd.aecourse.grade+json"
UNTOUCHED = "the course library is untouched"
PURE_CHECK_LINE = re.compile(r"""^\s*(#.*)?$|^\s*check\(\s*["'][\w.]+["']\s*,\s*\w+\s*\)\s*;?\s*$""")

PROLOGUE = '''
def _aecourse_make_grader():
    import os, sys, types
    import numpy, torch
    import aecourse
    from aecourse.course import checks
    from IPython.display import display
    try:  # torch loads its compiler at the first optimizer (seconds): here, not in the time of a student's cell
        import torch._dynamo  # noqa: F401
    except ImportError:
        pass

    exercises, run_checks, namespace, missing = checks.all_exercises(), checks.run_checks, globals(), object()
    modules = [m for name, m in sorted(sys.modules.items()) if name.split(".")[0] == "aecourse"] + [numpy, torch]
    libraries = tuple(os.path.dirname(m.__file__) for m in (numpy, torch))

    def snapshot():
        """Every callable of the watched modules and every member of their classes; code and defaults too."""
        seen = dict()
        for module in modules:
            for key, value in list(vars(module).items()):
                if not callable(value):
                    continue
                seen[module.__name__, key] = value
                if isinstance(value, types.FunctionType):
                    seen[module.__name__, key, "__code__"] = value.__code__
                    seen[module.__name__, key, "defaults"] = repr((value.__defaults__, value.__kwdefaults__))
                elif isinstance(value, type) and value.__module__ == module.__name__:
                    for attr, member in list(vars(value).items()):
                        seen[module.__name__, key, attr] = member
        return seen

    def same(old, new):
        """Unchanged, or wrapped by numpy/torch themselves (torch._dynamo wraps torch.manual_seed on import)."""
        if new is old or (type(old) is str and new == old):
            return True
        code = getattr(new, "__code__", None)
        return getattr(new, "__wrapped__", None) is old and code is not None and code.co_filename.startswith(libraries)

    pristine = snapshot()

    def changed():
        """What is no longer as it was; a code object or class member is judged with its function or class."""
        now, found = snapshot(), []
        for key, value in pristine.items():
            if len(key) > 2 and now.get(key[:2]) is not pristine[key[:2]]:
                continue
            if not same(value, now.get(key, missing)):
                found.append(".".join(key))
        return sorted(found)

    def grade(exercise_id):
        spec = exercises[exercise_id]
        result = dict(exercise=exercise_id, tampered=changed())
        fn = namespace.get(spec.function, missing)
        if result["tampered"]:
            pass
        elif fn is missing:
            result["defined"] = sorted(k for k, v in namespace.items() if isinstance(v, types.FunctionType)
                                       and v.__module__ == "__main__" and not k.startswith("_"))
        else:
            report = run_checks(exercise_id, fn)
            result["cases"] = [[c.name, c.status, c.message] for c in report.cases]
            result["tampered"] = changed()
        display({MIME: result}, raw=True)
    return grade
'''


@dataclass
class Submission:
    """One student's hand-in: `path` is None when their folder holds no notebook for the assignment."""
    student: str
    path: Path | None
    where: str = ""


@dataclass
class Grade:
    student: str
    status: str
    reports: dict[str, Report]
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(r.score for r in self.reports.values()), 2)


# ------------------------------------------------------------------------------------------------ finding work

def assignment_exercises(assignment: str, solutions: str | Path = "solutions") -> list[Exercise]:
    """The exercises of `assignment` ("00_warmup"): the check cells of solutions/NAME.ipynb, in order, or, without
    that notebook, the registered exercises whose id starts with the assignment's number ("00.")."""
    source = Path(solutions) / f"{assignment}.ipynb"
    if source.is_file():
        from .notebooks import read
        return [get_exercise(i) for i in exercise_ids(read(source))]
    number = assignment.split("_")[0]
    found = [e for i, e in all_exercises().items() if i.split(".")[0] == number]
    if not found:
        known = sorted({i.split(".")[0] for i in all_exercises()})
        raise ValueError(f"assignment {assignment!r}: no {source} and no exercise numbered {number!r}; give the "
                         f"notebook's name without .ipynb (e.g. 00_warmup); exercise numbers are {known}")
    return found


def _notebook_in(folder: Path, assignment: str) -> Path | None:
    for candidate in (folder / assignment / f"{assignment}.ipynb", folder / f"{assignment}.ipynb"):
        if candidate.is_file():
            return candidate
    for place in (folder / assignment, folder):
        found = sorted(p for p in place.glob("*.ipynb") if not p.name.startswith(".")) if place.is_dir() else []
        if len(found) == 1:
            return found[0]
    return None


def find_submissions(folder: str | Path, assignment: str) -> list[Submission]:
    """One `Submission` per student: SUBMISSIONS/<student>.ipynb, or a folder per student as nbgrader lays them
    out (SUBMISSIONS/<student>/<assignment>/<assignment>.ipynb, or <student>/<assignment>.ipynb)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder; give the folder holding the students' notebooks")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, entry))
        elif entry.is_dir():
            found.append(Submission(entry.name, _notebook_in(entry, assignment), where=str(entry)))
    return found


# ------------------------------------------------------------------------------------------------ one notebook

def read_submission(data: bytes) -> nbformat.NotebookNode:
    """Parse a submitted notebook's bytes; ValueError with a reason a student understands when it is unreadable."""
    try:
        with warnings.catch_warnings():  # missing or duplicated cell ids: the grader makes its own cells
            warnings.simplefilter("ignore")
            nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        cells = list(nb.cells)
        if not all(c.cell_type in ("code", "markdown", "raw") and isinstance(c.source, str) for c in cells):
            raise ValueError("a cell has no type or no source")
    except Exception as err:  # noqa: BLE001 (nbformat raises many kinds; all mean "unreadable")
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ValueError(f"not a readable notebook ({type(err).__name__}: {reason}); open it in JupyterLab, "
                         "save it, and hand in the .ipynb file itself") from None
    return nb


def is_pure_check(source: str) -> bool:
    """True for a cell that only calls `check(...)` (and comments): the grader runs the checks itself."""
    return "check(" in source and all(PURE_CHECK_LINE.match(line) for line in source.splitlines())


def grading_notebook(nb: nbformat.NotebookNode, exercises: list[Exercise], name: str
                     ) -> tuple[nbformat.NotebookNode, list[int]]:
    """The notebook the kernel runs: the grader's cell, the student's code cells, one grader cell per exercise.
    Also returns, for each student cell run, its number among the student's code cells (1-based)."""
    v4 = nbformat.v4
    cells, numbers = [v4.new_code_cell(PROLOGUE.replace("MIME", repr(MIME)) +
                                       f"{name} = _aecourse_make_grader()\ndel _aecourse_make_grader\n")], []
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for number, source in enumerate(code, 1):
        if source.strip() and not is_pure_check(source):
            cells.append(v4.new_code_cell(source))
            numbers.append(number)
    cells += [v4.new_code_cell(f"{name}({e.exercise_id!r})") for e in exercises]
    graded = v4.new_notebook(cells=cells)
    graded.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return graded, numbers


def _failed(exercise: Exercise, name: str, message: str, status: str = FAILED) -> Report:
    return Report(exercise.exercise_id, [CaseResult(name, status, message)], exercise.points)


def _report(exercise: Exercise, outputs: list, reply: dict | None, cell_timeout: float) -> Report:
    results = [o.data[MIME] for o in outputs if o.output_type == "display_data" and MIME in o.get("data", {})]
    result = results[-1] if results and results[-1].get("exercise") == exercise.exercise_id else None
    if reply is None or reply.get("ename") == "Timeout":
        return _failed(exercise, "your function returns", f"the checks did not finish within {cell_timeout:g} s: "
                       f"does `{exercise.function}` loop forever, or wait for input?", ERROR)
    if result is None:
        what = f"{reply.get('ename')}: {reply.get('evalue')}" if reply.get("status") == "error" else "no verdict"
        return _failed(exercise, "the checks ran", f"the checks could not run after your notebook ({what})", ERROR)
    if result["tampered"]:
        changed = ", ".join(result["tampered"][:8])
        return _failed(exercise, UNTOUCHED, f"your notebook changed {changed}; grading "
                       "needs the library as shipped: remove the code that reassigns it")
    if "cases" not in result:
        close = difflib.get_close_matches(exercise.function, result["defined"], n=1, cutoff=0.4)
        guess = f" (you defined `{close[0]}`: rename it back)" if close else ""
        return _failed(exercise, f"a function named {exercise.function}", f"no function called `{exercise.function}` "
                       f"was defined when your notebook ran{guess}; keep the name the exercise gives it")
    return Report(exercise.exercise_id, [CaseResult(*c) for c in result["cases"]], exercise.points)


def _first_line(source: str) -> str:
    line = next((s.strip() for s in source.splitlines() if s.strip() and not s.strip().startswith("#")), "")
    return line if len(line) <= 60 else line[:57] + "..."


def _kernel_env(jobs: int) -> dict:
    import aecourse

    root = str(Path(aecourse.__file__).resolve().parent.parent)
    paths = [root] + [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "MPLBACKEND": "Agg", "TQDM_DISABLE": "1"}
    if jobs > 1:  # several kernels share the cores: one thread each unless the instructor says otherwise
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("MKL_NUM_THREADS", "1")
    return env


def run_notebook(nb: nbformat.NotebookNode, exercises: list[Exercise], cwd: str | Path, *, cell_timeout: float,
                 total_timeout: float, env: dict | None = None) -> tuple[str, dict[str, Report], list[str]]:
    """Execute the student's notebook and the grader's cells in a fresh kernel started in `cwd`.
    Returns (status, reports by exercise id, problems to tell the student)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    name = f"_aecourse_grade_{secrets.token_hex(8)}"
    graded, numbers = grading_notebook(nb, exercises, name)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    replies: dict[int, dict] = {}
    client = NotebookClient(graded, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                            error_on_timeout={"ename": "Timeout", "evalue": "", "traceback": []},
                            resources={"metadata": {"path": str(cwd)}})
    client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.update(
        {cell_index: execute_reply["content"]})
    status, problems, reports = OK, [], {}
    n_student = len(numbers)
    with client.setup_kernel(env=env or _kernel_env(1), stderr=subprocess.DEVNULL):  # no kernel log lines in the report
        client.timeout = 600  # the grader's own cell: imports only
        client.execute_cell(graded.cells[0], 0)
        if replies.get(0, {}).get("status") != "ok":
            raise RuntimeError(f"the grader's first cell failed: {replies.get(0, {}).get('evalue')}")
        deadline = time.monotonic() + total_timeout
        for index, number in enumerate(numbers, 1):
            left = deadline - time.monotonic()
            where = f"code cell {number} (`{_first_line(code[number - 1])}`)"
            if left <= 0:
                problems.append(f"the notebook used its {total_timeout:g} s; {where} and the cells after it "
                                "were not run")
                status = TIMEOUT
                break
            client.timeout = max(1, int(min(cell_timeout, left)))
            try:
                client.execute_cell(graded.cells[index], index)
            except DeadKernelError:
                problems.append(f"the kernel died in {where} (out of memory, or os._exit / a crash)")
                return ERRORED, {e.exercise_id: _failed(e, "the checks ran", "the notebook's kernel died before "
                                                        "the checks could run", ERROR) for e in exercises}, problems
            reply = replies.get(index, {})
            if reply.get("ename") == "Timeout":
                problems.append(f"{where} did not finish within {client.timeout} s and was stopped (an endless "
                                "loop?)")
                status = TIMEOUT
            elif reply.get("status") == "error":
                detail = str(reply.get("evalue") or "")[:200]
                problems.append(f"{where} raised {reply.get('ename')}" + (f": {detail}" if detail else ""))
                status = ERRORED if status == OK else status
        client.timeout = max(1, int(cell_timeout))
        for index, exercise in enumerate(exercises, n_student + 1):
            try:
                client.execute_cell(graded.cells[index], index)
            except DeadKernelError:
                problems.append(f"the kernel died while {exercise.exercise_id} was checked (out of memory, or a "
                                f"crash in `{exercise.function}`)")
                status = ERRORED
                break
            reports[exercise.exercise_id] = _report(exercise, graded.cells[index].outputs, replies.get(index),
                                                    cell_timeout)
    for exercise in exercises:
        reports.setdefault(exercise.exercise_id, _failed(exercise, "the checks ran", "the kernel died", ERROR))
    if any(r.cases[0].name == UNTOUCHED for r in reports.values()):
        status = TAMPERED
    return status, reports, problems


def grade_submission(submission: Submission, exercises: list[Exercise], *, cell_timeout: float = 120,
                     total_timeout: float = 600, env: dict | None = None) -> Grade:
    """Grade one submission on a copy in a temporary folder; never raises, never writes the submission."""
    def everything(status: str, reason: str) -> Grade:
        return Grade(submission.student, status, {e.exercise_id: _failed(e, "the notebook was graded", reason)
                                                  for e in exercises}, [reason])

    if submission.path is None:
        return everything(MISSING, f"no notebook for this assignment was found in {submission.where}")
    try:
        data = submission.path.read_bytes()
        nb = read_submission(data)
    except (OSError, ValueError) as err:
        return everything(INVALID, f"{submission.path.name}: {err}")
    try:
        with tempfile.TemporaryDirectory(prefix="aecourse-grade-", ignore_cleanup_errors=True) as tmp:
            (Path(tmp) / submission.path.name).write_bytes(data)
            status, reports, problems = run_notebook(nb, exercises, tmp, cell_timeout=cell_timeout,
                                                     total_timeout=total_timeout, env=env)
    except Exception as err:  # noqa: BLE001 (the grader failed on this notebook: record it, go on with the class)
        return everything(ERRORED, f"the grader could not run this notebook ({type(err).__name__}: {err})")
    return Grade(submission.student, status, reports, problems)


# ------------------------------------------------------------------------------------------------ the class

def safe_name(student: str) -> str:
    return re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"


def feedback(grade: Grade, exercises: list[Exercise], assignment: str) -> str:
    """The Markdown feedback file for one student: each check's verdict and hint."""
    maximum = sum(e.points for e in exercises)
    said = {OK: "your notebook ran from top to bottom", ERRORED: "a cell of your notebook raised an error",
            TIMEOUT: "a cell of your notebook ran out of time", TAMPERED: "your notebook changed the course library",
            INVALID: "your file could not be read as a notebook", MISSING: "no notebook was handed in"}[grade.status]
    lines = [f"# {assignment}: feedback for {grade.student}", "",
             f"**{grade.total:g} / {maximum:g} points**. Status: {grade.status} ({said}).", ""]
    if grade.problems:
        lines += ["## While running your notebook", ""] + [f"- {p}" for p in grade.problems] + [""]
    for exercise in exercises:
        report = grade.reports[exercise.exercise_id]
        title = (f"## {exercise.exercise_id} (`{exercise.function}`): {report.score:g} / {exercise.points:g} "
                 f"points, {report.passed}/{report.total} checks passed")
        lines += [title, ""]
        if not report.attempted:
            lines += ["Not attempted: replace `raise NotImplementedError()` with your code.", ""]
            continue
        for case in report.cases:
            mark = {"passed": "ok", "failed": "FAIL", "error": "ERROR"}[case.status]
            hint = case.message if len(case.message) <= 400 else case.message[:397] + "..."
            lines.append(f"- [{mark}] {case.name}" + (f": {hint}" if hint else ""))
        lines.append("")
    return "\n".join(lines)


def write_gradebook(grades: list[Grade], exercises: list[Exercise], path: Path) -> None:
    """student, one column of points per exercise, total, status."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student"] + [e.exercise_id for e in exercises] + ["total", "status"])
        for g in grades:
            writer.writerow([g.student] + [f"{g.reports[e.exercise_id].score:g}" for e in exercises]
                            + [f"{g.total:g}", g.status])


def summary_table(grades: list[Grade], exercises: list[Exercise]) -> str:
    header = ["student"] + [e.exercise_id for e in exercises] + ["total", "status"]
    rows = [[g.student] + [f"{g.reports[e.exercise_id].score:g}" for e in exercises] + [f"{g.total:g}", g.status]
            for g in grades]
    rows.append(["(max)"] + [f"{e.points:g}" for e in exercises] + [f"{sum(e.points for e in exercises):g}", ""])
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows]
    counts = {s: sum(g.status == s for g in grades) for s in (OK, ERRORED, TIMEOUT, TAMPERED, INVALID, MISSING)}
    mean = sum(g.total for g in grades) / len(grades) if grades else 0.0
    lines.append(f"{len(grades)} submissions, mean {mean:.2f} points; "
                 + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines)


def run_cli(args) -> int:
    """`aecourse grade`: grade, write the gradebook and feedback, print the summary table."""
    out = Path(args.out) if args.out else Path("grades") / args.assignment
    grades = grade_folder(args.submissions, args.assignment, out=out, jobs=args.jobs, cell_timeout=args.cell_timeout,
                          total_timeout=args.total_timeout, solutions=args.solutions)
    exercises = assignment_exercises(args.assignment, args.solutions)
    if not grades:
        print(f"no submissions found in {args.submissions} (expected STUDENT.ipynb files or one folder per student)")
    else:
        print(summary_table(grades, exercises))
    print(f"wrote {out / 'gradebook.csv'} and {len(grades)} feedback files in {out / 'feedback'}")
    return 0


def grade_folder(submissions: str | Path, assignment: str, *, out: str | Path | None = None, jobs: int = 1,
                 cell_timeout: float = 120, total_timeout: float = 600, solutions: str | Path = "solutions",
                 progress: bool = True) -> list[Grade]:
    """Grade every submission in the folder; write OUT/gradebook.csv and OUT/feedback/<student>.md.

    Example: `grade_folder("submitted", "00_warmup", jobs=2)` writes grades/00_warmup/gradebook.csv.
    """
    from tqdm.auto import tqdm

    from ..validation import check_number, check_positive_int

    check_positive_int(jobs, "jobs")
    check_number(cell_timeout, "cell_timeout", low=0, low_open=True)
    check_number(total_timeout, "total_timeout", low=0, low_open=True)
    exercises = assignment_exercises(assignment, solutions)
    found = find_submissions(submissions, assignment)
    out = Path(out) if out is not None else Path("grades") / assignment
    env = _kernel_env(jobs)
    grades: dict[int, Grade] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool, \
            tqdm(total=len(found), desc=f"grading {assignment}", unit="notebook", disable=not progress) as bar:
        futures = {pool.submit(grade_submission, s, exercises, cell_timeout=cell_timeout,
                               total_timeout=total_timeout, env=env): i for i, s in enumerate(found)}
        for future in as_completed(futures):
            grades[futures[future]] = future.result()
            bar.update()
    ordered = [grades[i] for i in range(len(found))]
    write_gradebook(ordered, exercises, out / "gradebook.csv")
    for g in ordered:
        path = out / "feedback" / f"{safe_name(g.student)}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(feedback(g, exercises, assignment), encoding="utf-8")
    return ordered
