"""Grading one notebook and a class: the sandbox runs the student's code, this process decides the points.

For each hand-in (already in memory): a private folder holds the notebook, the job and the socket this process
listens on; the executor starts in the sandbox, runs the notebook, and its server connects. Then, for each
exercise, this process asks whether the function exists and runs the library's own checks (`run_checks`) on a
`RemoteFunction`. A call that outlives `cell_timeout` ends the sandbox: that exercise and the ones after it
are reported as not checked. Whatever happens inside, the sandbox is ended and waited for before the next.

Statuses, from worst: missing, ambiguous, invalid, flagged (the notebook called a hidden reference or changed
the library in its kernel; points stand as the checks gave them), timeout, error (a cell raised; still graded), ok.
"""
from __future__ import annotations

import contextlib
import difflib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from ..check_notebook import exercise_ids
from ..checks import ERROR, FAILED, CaseResult, Exercise, Report, all_exercises, get_exercise, run_checks
from . import sandbox
from .collect import Submission, find_submissions
from .remote import Link, RemoteFunction
from .reports import ERRORED, FLAGGED, INVALID, OK, TIMEOUT, Grade, check_output_folder, summary_table, write_all
from .wire import WireError

STARTUP = 180          # seconds for the sandbox's kernel to start, on top of the notebook's own time
PRINTED = 10 * 2 ** 20  # bytes of output worth telling the student about


def assignment_exercises(assignment: str, solutions: str | Path = "solutions") -> list[Exercise]:
    """The exercises of `assignment` ("00_warmup"): the check cells of solutions/NAME.ipynb, in order, or, without
    that notebook, the registered exercises whose id starts with the assignment's number ("00.")."""
    source = Path(solutions) / f"{assignment}.ipynb"
    if source.is_file():
        from ..notebooks import read
        return [get_exercise(i) for i in exercise_ids(read(source))]
    number = assignment.split("_")[0]
    found = [e for i, e in all_exercises().items() if i.split(".")[0] == number]
    if not found:
        known = sorted({i.split(".")[0] for i in all_exercises()})
        raise ValueError(f"assignment {assignment!r}: no {source} and no exercise numbered {number!r}; give the "
                         f"notebook's name without .ipynb (e.g. 00_warmup); exercise numbers are {known}")
    return found


def read_submission(data: bytes) -> nbformat.NotebookNode:
    """Parse a submitted notebook's bytes; ValueError with a reason a student understands when it is unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        if not all(c.cell_type in ("code", "markdown", "raw") and isinstance(c.source, str) for c in nb.cells):
            raise ValueError("a cell has no type or no source")
    except Exception as err:  # noqa: BLE001 (nbformat raises many kinds; all mean "unreadable")
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ValueError(f"not a readable notebook ({type(err).__name__}: {reason}); open it in JupyterLab, "
                         "save it, and hand in the .ipynb file itself") from None
    return nb


def _failed(exercise: Exercise, name: str, message: str, status: str = FAILED) -> Report:
    return Report(exercise.exercise_id, [CaseResult(name, status, message)], exercise.points)


def _everything(submission: Submission, exercises: list[Exercise], status: str, reason: str) -> Grade:
    return Grade(submission.student, status, {e.exercise_id: _failed(e, "the notebook was graded", reason)
                                              for e in exercises}, [reason], feedback_name=submission.feedback_name)


def _end(process: subprocess.Popen, group: bool = False) -> None:
    """Kill the sandbox (its PID namespace takes every process inside along); without a sandbox, the executor's
    process group (the kernel and what it started, unless they left the group)."""
    if group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()
    process.wait()


def grade_submission(submission: Submission, exercises: list[Exercise], library: Path, *, cell_timeout: float = 120,
                     total_timeout: float = 600, sandboxed: bool = True,
                     limits: sandbox.Limits = sandbox.DEFAULT_LIMITS) -> Grade:
    """Grade one hand-in; never raises, never writes outside a temporary folder of its own."""
    if submission.status:
        return _everything(submission, exercises, submission.status, submission.problem)
    try:
        nb = read_submission(submission.data)
    except ValueError as err:
        return _everything(submission, exercises, INVALID, f"{submission.filename}: {err}")
    try:
        with tempfile.TemporaryDirectory(prefix="aecourse-grade-") as tmp:
            return _run(submission, nb, exercises, Path(tmp), library, cell_timeout, total_timeout, sandboxed,
                        limits)
    except Exception as err:  # noqa: BLE001 (the grader failed on this notebook: record it, go on with the class)
        return _everything(submission, exercises, ERRORED, f"the grader could not run this notebook "
                           f"({type(err).__name__}: {err})")


def _run(submission, nb, exercises, tmp: Path, library, cell_timeout, total_timeout, sandboxed, limits) -> Grade:
    io, home = tmp / "io", tmp / "home"
    io.mkdir()
    home.mkdir()
    inside = Path(sandbox.IO) if sandboxed else io
    (io / "submission.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    job = {"notebook": str(inside / "submission.ipynb"), "socket": str(inside / "grader.sock"),
           "cell_timeout": cell_timeout, "total_timeout": total_timeout}
    (io / "job.json").write_text(json.dumps(job), encoding="utf-8")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(io / "grader.sock"))
    listener.listen(1)
    env = None if sandboxed else {**sandbox.environment(str(library), str(home)),
                                  "JUPYTER_RUNTIME_DIR": str(home / ".jupyter")}
    process = subprocess.Popen(sandbox.command(io, library, limits, sandboxed=sandboxed), cwd=home, env=env,
                               stdin=subprocess.DEVNULL, stdout=open(tmp / "stdout", "wb"),
                               stderr=subprocess.DEVNULL, start_new_session=not sandboxed)
    try:
        conn = _accept(listener, process, time.monotonic() + total_timeout + STARTUP)
        if conn is None:
            notes = _notes(tmp / "stdout")
            reason = "; ".join(notes.get("problems", [])) or "the notebook's sandbox ended before its functions " \
                                                             "could be checked"
            grade = _everything(submission, exercises, ERRORED, reason)
            grade.status = notes.get("status") if notes.get("status") in (TIMEOUT, ERRORED) else ERRORED
            return grade
        link = Link(conn, on_dead=lambda: _end(process, not sandboxed))
        return _check(submission, exercises, link, cell_timeout)
    finally:
        listener.close()
        _end(process, not sandboxed)


def _accept(listener: socket.socket, process: subprocess.Popen, deadline: float):
    listener.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            return listener.accept()[0]
        except TimeoutError:
            if process.poll() is not None:
                return None
    return None


def _notes(path: Path) -> dict:
    """The executor's notes: the last line of its output, which the notebook's kernel shares (and may flood)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 65536))
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
        notes = json.loads(lines[-1]) if lines else {}
        return notes if isinstance(notes, dict) else {}
    except (OSError, ValueError):
        return {}


def _check(submission: Submission, exercises: list[Exercise], link: Link, cell_timeout: float) -> Grade:
    try:
        hello, _ = link.receive(60)
    except WireError as err:
        return _everything(submission, exercises, ERRORED, str(err))
    run = hello.get("run") if isinstance(hello, dict) and isinstance(hello.get("run"), dict) else {}
    status = run.get("status") if run.get("status") in (OK, ERRORED, TIMEOUT) else OK
    problems = [str(p)[:300] for p in run.get("problems", []) if isinstance(p, str)][:20] \
        if isinstance(run.get("problems"), list) else []
    printed = run.get("printed") if isinstance(run.get("printed"), int) else 0
    if printed > PRINTED:
        problems.append(f"the notebook printed more than {PRINTED // 2 ** 20} MB; output is not kept while grading, "
                        "but printing that much takes time")
    flags = [str(p)[:200] for p in hello.get("noticed", []) if isinstance(p, str)][:20] \
        if isinstance(hello.get("noticed"), list) else []
    reports = {}
    for exercise in exercises:
        reports[exercise.exercise_id] = _check_one(exercise, link, cell_timeout)
    flags += sorted({f"called {name}, the library's answer to an exercise" for name in link.hidden})
    if link.dead is None:
        try:
            link.send({"op": "bye"})
        except WireError:
            pass
    return Grade(submission.student, FLAGGED if flags else status, reports, problems, flags,
                 feedback_name=submission.feedback_name)


def _check_one(exercise: Exercise, link: Link, cell_timeout: float) -> Report:
    if link.dead is not None:
        return _failed(exercise, "the checks ran", f"not checked: {link.dead}", ERROR)
    try:
        link.send({"op": "lookup", "function": exercise.function})
        found, _ = link.receive(cell_timeout)
    except WireError as err:
        return _failed(exercise, "the checks ran", f"not checked: {err}", ERROR)
    if not (isinstance(found, dict) and found.get("found") is True):
        defined = [d for d in (found.get("defined") if isinstance(found, dict) else None) or [] if isinstance(d, str)]
        close = difflib.get_close_matches(exercise.function, defined, n=1, cutoff=0.4)
        guess = f" (you defined `{close[0]}`: rename it back)" if close else ""
        return _failed(exercise, f"a function named {exercise.function}", f"no function called `{exercise.function}` "
                       f"was defined when your notebook ran{guess}; keep the name the exercise gives it")
    link.deadline = time.monotonic() + cell_timeout
    report = run_checks(exercise.exercise_id, RemoteFunction(link, exercise.function, cell_timeout))
    link.deadline = float("inf")
    if link.timed_out:
        return _failed(exercise, "your function returns", f"the checks did not finish within {cell_timeout:g} s: "
                       f"does `{exercise.function}` loop forever, or wait for input?", ERROR)
    return report


def grade_folder(submissions: str | Path, assignment: str, *, out: str | Path | None = None, jobs: int = 1,
                 cell_timeout: float = 120, total_timeout: float = 600, solutions: str | Path = "solutions",
                 sandboxed: bool = True, limits: sandbox.Limits = sandbox.DEFAULT_LIMITS,
                 progress: bool = True) -> list[Grade]:
    """Grade every submission in the folder; write OUT/gradebook.csv, OUT/summary.txt, OUT/feedback/<student>.md.

    Example: `grade_folder("submitted", "00_warmup", jobs=2)` writes grades/00_warmup/gradebook.csv.
    """
    from tqdm.auto import tqdm

    from ...validation import check_number, check_positive_int

    check_positive_int(jobs, "jobs")
    check_number(cell_timeout, "cell_timeout", low=0, low_open=True)
    check_number(total_timeout, "total_timeout", low=0, low_open=True)
    if sandboxed and not sandbox.bwrap_works():
        raise RuntimeError(sandbox.missing_message())
    exercises = assignment_exercises(assignment, solutions)
    out = Path(out) if out is not None else Path("grades") / assignment
    found = find_submissions(submissions, assignment)   # every hand-in in memory before any notebook runs
    check_output_folder(out)
    grades: dict[int, Grade] = {}
    with tempfile.TemporaryDirectory(prefix="aecourse-library-") as lib, ThreadPoolExecutor(jobs) as pool, \
            tqdm(total=len(found), desc=f"grading {assignment}", unit="notebook", disable=not progress) as bar:
        library = sandbox.prepare_library(Path(lib), exercises)
        futures = {pool.submit(grade_submission, s, exercises, library, cell_timeout=cell_timeout,
                               total_timeout=total_timeout, sandboxed=sandboxed, limits=limits): i
                   for i, s in enumerate(found)}
        for future in as_completed(futures):
            grades[futures[future]] = future.result()
            bar.update()
    ordered = [grades[i] for i in range(len(found))]
    write_all(out, ordered, exercises, assignment, sandboxed=sandboxed)
    return ordered


def run_cli(args) -> int:
    """`aecourse grade`: grade, write the gradebook, feedback and summary, print the summary table."""
    out = Path(args.out) if args.out else Path("grades") / args.assignment
    sandboxed = not args.no_sandbox
    try:
        grades = grade_folder(args.submissions, args.assignment, out=out, jobs=args.jobs,
                              cell_timeout=args.cell_timeout, total_timeout=args.total_timeout,
                              solutions=args.solutions, sandboxed=sandboxed)
    except (RuntimeError, ValueError, FileNotFoundError) as err:
        print(f"aecourse grade: {err}")
        return 2
    exercises = assignment_exercises(args.assignment, args.solutions)
    if not grades:
        print(f"no submissions found in {args.submissions} (expected STUDENT.ipynb files or one folder per student)")
    print(summary_table(grades, exercises, sandboxed=sandboxed))
    print(f"wrote {out / 'gradebook.csv'}, {out / 'summary.txt'} and {len(grades)} feedback files in "
          f"{out / 'feedback'}")
    return 0
