"""Grading one notebook and a class: the sandbox runs the student's code, this process decides the points.

For each hand-in (already in memory, parsed by a limited child: `handin`): a private folder holds the notebook, the
job and the socket this process listens on; the executor starts in the sandbox (and its cgroup), runs the notebook,
and its server connects. The run has `total_timeout` seconds of wall clock from the sandbox's start, kernel start
included, enforced here by killing the sandbox. Then, for each exercise, this process asks whether the function
exists and runs the library's own checks (`run_checks`) on a `RemoteFunction`, each exercise within
`cell_timeout`. A call that outlives it ends the sandbox: the cases already checked keep their verdicts, the rest
of that exercise and the exercises after it are reported as not checked. Whatever happens inside, the sandbox is
ended (its cgroup emptied) before the next; what the cgroup recorded (out of memory, too many processes) is told
to the student, and a sandbox that died without reaching its own limits is said to be possibly not their doing.
Each student's feedback, the gradebook and the summary are written as each notebook finishes.

Statuses, from worst: missing, ambiguous, invalid, flagged (the notebook called a hidden reference or changed
the library in its kernel; points stand as the checks gave them), timeout, error (a cell raised; still graded), ok.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..check_notebook import exercise_ids, missing_function_report
from ..checks import ERROR, FAILED, CaseResult, Exercise, Report, all_exercises, get_exercise, run_checks
from ..limits import DEFAULT_LIMITS, GRADE_CELL_SECONDS, GRADE_TOTAL_SECONDS, Limits
from . import cgroup, sandbox
from .collect import Submission, find_submissions
from .handin import read_notebook as read_submission
from .remote import Link, RemoteFunction, SandboxGone
from .reports import ERRORED, FLAGGED, INVALID, OK, TIMEOUT, Grade, check_output_folder, write_all
from .wire import WireError

HANDOVER = 30           # seconds after the run's deadline for the notebook's server to say hello
# The checks seed and draw from torch's random state, which is the process's: with --jobs 2, two exercises checked
# at once would draw each other's numbers (a model built twice from one seed, differing). The notebooks run side
# by side; their checks take turns.
ONE_CHECK_AT_A_TIME = threading.Lock()
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


def _failed(exercise: Exercise, name: str, message: str, status: str = FAILED) -> Report:
    return Report(exercise.exercise_id, [CaseResult(name, status, message)], exercise.points)


def _everything(submission: Submission, exercises: list[Exercise], status: str, reason: str) -> Grade:
    return Grade(submission.student, status, {e.exercise_id: _failed(e, "the notebook was graded", reason)
                                              for e in exercises}, [reason], feedback_name=submission.feedback_name)


def _end(process: subprocess.Popen, group: bool = False, box: cgroup.Cgroup | None = None) -> None:
    """Kill the sandbox: its cgroup (every process inside, wherever it went), else its PID namespace (bwrap's
    children die with it), and without a sandbox the executor's process group."""
    if box is not None:
        box.kill()
    if group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()
    process.wait()


def grade_submission(submission: Submission, exercises: list[Exercise], library: Path, *,
                     cell_timeout: float = GRADE_CELL_SECONDS, total_timeout: float = GRADE_TOTAL_SECONDS,
                     sandboxed: bool = True, limits: Limits = DEFAULT_LIMITS, workspace: Path | None = None) -> Grade:
    """Grade one hand-in; never raises, never writes outside a temporary folder of its own (in `workspace`)."""
    grade = _grade(submission, exercises, library, cell_timeout, total_timeout, sandboxed, limits, workspace)
    if submission.flags:
        grade.flags += submission.flags
        grade.status = FLAGGED if grade.status in (OK, ERRORED, TIMEOUT) else grade.status
    return grade


def _grade(submission, exercises, library, cell_timeout, total_timeout, sandboxed, limits, workspace) -> Grade:
    if submission.status:
        return _everything(submission, exercises, submission.status, submission.problem)
    try:
        notebook = read_submission(submission.data)
    except ValueError as err:
        return _everything(submission, exercises, INVALID, f"{submission.filename}: {err}")
    try:
        with tempfile.TemporaryDirectory(prefix="aecourse-grade-", dir=workspace) as tmp:
            return _run(submission, notebook, exercises, Path(tmp), library, cell_timeout, total_timeout, sandboxed,
                        limits)
    except Exception as err:  # noqa: BLE001 (the grader failed on this notebook: record it, go on with the class)
        return _everything(submission, exercises, ERRORED, f"the grader could not run this notebook "
                           f"({type(err).__name__}: {err})")


def _run(submission, notebook: str, exercises, tmp: Path, library, cell_timeout, total_timeout, sandboxed,
         limits) -> Grade:
    io, home = tmp / "io", tmp / "home"
    io.mkdir()
    home.mkdir()
    tmp.chmod(0o711)    # bwrap, as the sandbox's user, finds io/ (and nothing else: it cannot list tmp)
    io.chmod(0o755)     # the sandbox's user reads the notebook and the job, and connects to the socket
    inside = Path(sandbox.IO) if sandboxed else io
    (io / "submission.ipynb").write_text(notebook, encoding="utf-8")
    started = time.time()
    job = {"notebook": str(inside / "submission.ipynb"), "socket": str(inside / "grader.sock"),
           "cell_timeout": cell_timeout, "total_timeout": total_timeout, "deadline": started + total_timeout}
    (io / "job.json").write_text(json.dumps(job), encoding="utf-8")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(io / "grader.sock"))
    os.chmod(io / "grader.sock", 0o666)
    listener.listen(1)
    env = None if sandboxed else {**sandbox.environment(str(library), str(home)),
                                  "JUPYTER_RUNTIME_DIR": str(home / ".jupyter")}
    box = cgroup.create(f"{os.getpid()}-{uuid.uuid4().hex[:12]}", memory=limits.memory, processes=limits.processes)
    command = sandbox.command(io, library, limits, sandboxed=sandboxed, in_cgroup=box is not None)
    with open(os.open(tmp / "stdout", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as stdout:
        process = subprocess.Popen(box.enter(command) if box else command, cwd=home, env=env,
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL,
                                   start_new_session=not sandboxed)
    try:
        conn = _accept(listener, process, started + total_timeout)
        if conn is None:
            ended = process.poll() is not None
            _end(process, not sandboxed, box)
            notes = _notes(tmp / "stdout")
            reason = "; ".join(notes.get("problems", [])) or (
                "the notebook's sandbox ended before its functions could be checked" if ended else
                f"the notebook was stopped when it had used its {total_timeout:g} s (wall clock, the kernel's start "
                "included): does a cell catch KeyboardInterrupt, or wait forever?")
            grade = _everything(submission, exercises, ERRORED, reason)
            grade.status = notes.get("status") if notes.get("status") in (TIMEOUT, ERRORED) else \
                ERRORED if ended else TIMEOUT
            return _blame(grade, box, cut_short=True, ended=ended)
        link = Link(conn, on_dead=lambda: _end(process, not sandboxed, box))
        grade = _check(submission, exercises, link, cell_timeout, started + total_timeout + HANDOVER)
        return _blame(grade, box, cut_short=link.dead is not None, ended=link.dead is not None and not link.timed_out)
    finally:
        listener.close()
        _end(process, not sandboxed, box)
        if box is not None:
            box.remove()


def _blame(grade: Grade, box: cgroup.Cgroup | None, *, cut_short: bool, ended: bool) -> Grade:
    """Tell the student what their sandbox hit, or, when it ended early without hitting its own limits, that the
    cause may not be theirs (the instructor can grade that notebook again). Only what the grader saw itself counts:
    `cut_short`, the sandbox ended or ran out of time before its checks were done; `ended`, it ended (its process
    exited, or its link broke) rather than ran out of time. What the notebook says of its own run counts for
    nothing here (it could claim a death to ask for the sentence)."""
    if box is None:
        if cut_short:
            grade.problems.append("this grader ran without a cgroup per notebook (not root, or no cgroup "
                                  "controllers), so a classmate's notebook graded at the same time may have caused "
                                  "this; if your notebook runs fine, ask your instructor to grade it again")
        return grade
    usage = box.usage()
    if usage.out_of_memory:
        grade.problems.append("your notebook used all the memory it is allowed (its processes together, files in "
                              "/tmp and /dev/shm included), and the system stopped it there")
    if usage.process_limit:
        grade.problems.append("your notebook tried to start more processes than it is allowed; starting one failed")
    if ended and not (usage.out_of_memory or usage.process_limit):
        grade.problems.append("your notebook's sandbox ended without reaching its memory or process limits: a "
                              "crash of its own (os._exit, a signal it sent itself) or a cause outside your "
                              "notebook; if your notebook runs fine, ask your instructor to grade it again")
    return grade


def _accept(listener: socket.socket, process: subprocess.Popen, deadline: float):
    listener.settimeout(0.5)
    while time.time() < deadline:          # the wall clock the job's deadline is set in
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


def _check(submission: Submission, exercises: list[Exercise], link: Link, cell_timeout: float,
           hello_by: float) -> Grade:
    try:
        hello, _ = link.receive(max(1.0, hello_by - time.time()))
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
    if link.timed_out and status == OK:
        status = TIMEOUT
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
        return missing_function_report(exercise.exercise_id, exercise.function, exercise.points, defined=defined)
    report = Report(exercise.exercise_id, points=exercise.points)
    with ONE_CHECK_AT_A_TIME:      # the clock starts when this exercise's checks do
        link.deadline = time.monotonic() + cell_timeout
        try:
            run_checks(exercise.exercise_id, RemoteFunction(link, exercise.function, cell_timeout), report=report)
        except SandboxGone as gone:     # the cases checked so far keep their verdicts; the others count as failed
            why = (f"the checks did not finish within {cell_timeout:g} s: does `{exercise.function}` loop forever, "
                   "or wait for input?") if link.timed_out else str(gone)
            cases = case_count(exercise.exercise_id)
            for number in range(len(report.cases) + 1, max(cases, len(report.cases) + 1) + 1):
                report.cases.append(CaseResult(f"check {number} of {cases}", ERROR, f"not checked: {why}"))
        link.deadline = float("inf")
    return report


RUN_PREFIX = "aecourse-run-"


@contextlib.contextmanager
def _workspace():
    """A temporary folder for one grading run (the library copy, each notebook's folder), removed at its end; the
    folders of runs whose grader was killed (named after its PID, no longer running) are removed first, so no
    student's notebook is left behind in /tmp."""
    for stale in Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}*-*"):
        pid = stale.name.removeprefix(RUN_PREFIX).split("-")[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-"))
    folder.chmod(0o711)     # bwrap, as the sandbox's user, reaches the library and each notebook's io/ through it
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@functools.cache
def case_count(exercise_id: str) -> int:
    """How many cases the exercise's checker runs (counted on a function that always raises): a notebook whose
    sandbox ends midway scores its passed cases out of all of them, not out of the ones it let run."""
    def refuses(*args, **kwargs):
        raise RuntimeError("counting the cases")
    return len(run_checks(exercise_id, refuses).cases)


def grade_folder(submissions: str | Path, assignment: str, *, out: str | Path | None = None, jobs: int = 1,
                 cell_timeout: float = GRADE_CELL_SECONDS, total_timeout: float = GRADE_TOTAL_SECONDS,
                 solutions: str | Path = "solutions", sandboxed: bool = True, limits: Limits = DEFAULT_LIMITS,
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
    if sandboxed and sandbox.unreadable_python():
        raise RuntimeError(sandbox.unreadable_python())
    exercises = assignment_exercises(assignment, solutions)
    out = Path(out) if out is not None else Path("grades") / assignment
    found = find_submissions(submissions, assignment)   # every hand-in in memory before any notebook runs
    check_output_folder(out)
    limits, notes = sandbox.fit_to_machine(limits, jobs) if not cgroup.unavailable() else (limits, [])
    if cgroup.unavailable():
        notes.append(f"no cgroup per notebook ({cgroup.unavailable()}): memory and processes are limited per "
                     "process only, and a notebook can slow or starve the ones graded beside it")
    for note in notes:
        print(f"aecourse grade: {note}", flush=True)
    grades: dict[int, Grade] = {}
    with _workspace() as workspace, ThreadPoolExecutor(jobs) as pool, \
            tqdm(total=len(found), desc=f"grading {assignment}", unit="notebook", disable=not progress) as bar:
        (workspace / "library").mkdir()
        library = sandbox.prepare_library(workspace / "library", exercises)
        futures = {pool.submit(grade_submission, s, exercises, library, cell_timeout=cell_timeout,
                               total_timeout=total_timeout, sandboxed=sandboxed, limits=limits,
                               workspace=workspace): i
                   for i, s in enumerate(found)}
        for future in as_completed(futures):     # each result written as it comes: a crash loses none of them
            grades[futures[future]] = future.result()
            write_all(out, [grades[i] for i in sorted(grades)], exercises, assignment, sandboxed=sandboxed,
                      new=grades[futures[future]], waiting=len(found) - len(grades), notes=notes)
            bar.update()
    ordered = [grades[i] for i in range(len(found))]
    if not ordered:
        write_all(out, [], exercises, assignment, sandboxed=sandboxed, notes=notes)
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
    if not grades:
        print(f"no submissions found in {args.submissions} (expected STUDENT.ipynb files or one folder per student)")
    print((out / "summary.txt").read_text(encoding="utf-8").rstrip())
    print(f"wrote {out / 'gradebook.csv'}, {out / 'summary.txt'} and {len(grades)} feedback files in "
          f"{out / 'feedback'}")
    return 0
