"""`aecourse grade` run as root (as the hub flow and CI run it) against the attacks of issue 28, graded once.

A class for lesson 02 is graded with three jobs, as root where the test runs as root (CI does): escapes from the
sandbox, links in the hand-in tree, resource attacks beside honest classmates (each sandbox in a cgroup of its own,
with limits small enough that the test machine keeps its memory), functions that change their inputs or reach the
hidden answer through a helper compiled under a library file name, a notebook that swallows interrupts, a function
that hangs halfway through the checks, names that rewrite a terminal or imitate a classmate, a file name of 246
bytes and a 49 MB notebook of empty lists. Every attacker defines the *wrong* functions of tests/test_grading.py: what
those earn in one process is the most an attacker may earn. Each test reads the gradebook, the feedback and the
summary, or looks for what an attack would have left behind.
"""
import contextlib
import csv
import importlib
import io
import os
import resource
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from test_grading import IMPORTS, RIGHT, WRONG, points, processes_with, write_notebook

from aecourse.course import limits
from aecourse.course.checks import CaseResult, Report, all_exercises
from aecourse.course.grading import cgroup, collect, grade, reports, sandbox

AS_ROOT = os.geteuid() == 0
# with a cgroup per sandbox (root), 3 GB of memory in use for all its processes; without, 6 GB of address space each
LIMITS = limits.Limits(memory=3 * 2 ** 30 if not cgroup.unavailable() else 6 * 2 ** 30, processes=64,
                        folder_size=256 * 2 ** 20)
CELL, TOTAL, JOBS = 20, 40, 3     # three jobs on two cores: many of these notebooks wait, for a limit or a lock
ESCAPE = textwrap.dedent('''
    import subprocess, site
    found = []
    status = open("/proc/self/status").read()
    found.append("caps=" + next(l.split()[1] for l in status.splitlines() if l.startswith("CapEff")))
    found.append(f"uid={os.getuid()}")
    def attempt(name, action):
        try:
            action()
            found.append(name + "=DONE")
        except Exception:
            found.append(name + "=refused")
    attempt("shadow", lambda: open("/etc/shadow").read())
    attempt("remount", lambda: subprocess.run(["mount", "-o", "remount,rw", "/usr"], check=True,
                                              capture_output=True))
    attempt("venv", lambda: open(os.path.join(sys.prefix, "bin", "prlimit"), "w").write("#!/bin/sh\\n"))
    attempt("pth", lambda: open(os.path.join(site.getsitepackages()[0], "zz_escape.pth"), "w").write("import os\\n"))
    attempt("library", lambda: open("/opt/aecourse/aecourse/course/grading/server.py", "a").write("# planted\\n"))
    attempt("dev", lambda: open("/dev/planted", "w").write("x"))
    REPORT = " ".join(found)
    def l1_activity(h, lam):
        raise RuntimeError(REPORT)
''')
ZERO_L1 = "def l1_activity(h, lam):\n    return (h * 0).sum()"
LEAVES_AFTER_ONE_CASE = ZERO_L1 + "\n_calls = [0]\n_zero = l1_activity\n" + textwrap.dedent('''
    def l1_activity(h, lam):
        _calls[0] += 1
        if _calls[0] > 1:
            os._exit(0)
        return _zero(h, lam)
    ''')
FORGES_GRADIENTS = textwrap.dedent('''
    def l1_activity(h, lam):
        a = h.detach().numpy()
        if h.requires_grad:
            h.grad = torch.tensor(lam * numpy.sign(a) / len(a))
        return torch.tensor(lam * numpy.abs(a).sum(1).mean(), requires_grad=True)
    def kl_sparsity(h, rho, beta):
        a = h.detach().numpy()
        r = numpy.clip(a.mean(0), 1e-6, 1 - 1e-6)
        if h.requires_grad:
            h.grad = torch.tensor(numpy.broadcast_to(beta * (-rho / r + (1 - rho) / (1 - r)) / len(a), a.shape).copy())
        return torch.tensor(beta * (rho * numpy.log(rho / r) + (1 - rho) * numpy.log((1 - rho) / (1 - r))).sum(),
                            requires_grad=True)
    ''')
SLOPPY_RESTORE = textwrap.dedent('''
    def numerical_gradient(f, x, eps=1e-6):
        grad = torch.zeros_like(x)
        flat, flat_grad = x.view(-1), grad.view(-1)
        for i in range(flat.numel()):
            flat[i] += eps
            up = float(f(x))
            flat[i] -= 2 * eps
            down = float(f(x))
            flat[i] += eps
            flat_grad[i] = (up - down) / (2 * eps)''')
LOOKALIKE = "\u0430lice"      # Cyrillic a
TERMINAL = "eve\x1b[2J\x1b[H\nalice,7"     # clears the screen, then a line that looks like a gradebook row
LONG = "s" * 240


def students(marker: str) -> dict[str, list[str]]:
    return {
        "alice": [RIGHT],
        "escaper": [WRONG, ESCAPE],
        # resource attacks: they may hurt themselves, never a classmate
        "flooder": [WRONG, textwrap.dedent('''
            for folder in ("/dev/shm", "/tmp", "."):
                try:
                    with open(os.path.join(folder, "fill"), "wb") as f:
                        for _ in range(4600):
                            f.write(b"0" * 2 ** 20)
                except OSError:
                    pass
            '''), 'subprocess.Popen(["sh", "-c", "f() { f | f & }; f"])\nimport time\ntime.sleep(3)'],
        "busy": [WRONG, 'for _ in range(1500):\n    try:\n        subprocess.Popen(["sh", "-c", "while :; do :; done"])'
                        '\n    except OSError:\n        break'],
        # the checks: an input changed in place, the hidden answer through a compiled helper, a hang halfway
        "mutator": [WRONG, textwrap.dedent('''
            def l1_activity(h, lam):
                h.abs_()
                return lam * h.sum(dim=1).mean()
            ''')],
        "compiler": [WRONG, textwrap.dedent('''
            import aecourse.penalties as penalties
            helpers = {"penalties": penalties}
            exec(compile("def l1_activity(h, lam):\\n    return penalties.l1_activity(h, lam)\\n",
                         penalties.__file__, "exec"), helpers)
            l1_activity = helpers["l1_activity"]
            def kl_sparsity(h, rho, beta):         # the answer's private helper, which holds all of its math
                return penalties._kl_sparsity(h, rho, beta)
            ''')],
        "hanger": [RIGHT, textwrap.dedent('''
            import time
            _right_kl, _calls = kl_sparsity, [0]
            def kl_sparsity(h, rho, beta):
                _calls[0] += 1
                if _calls[0] > 2:
                    time.sleep(1000)
                return _right_kl(h, rho, beta)
            ''')],
        # the clock: a cell that swallows every interrupt, with a process that would outlive it (named to be graded
        # first: its minute then passes beside the other notebooks, not after them)
        "a_stubborn": [WRONG, f'subprocess.Popen(["setsid", "sh", "-c", "sleep 600 # {marker}"])\n'
                            'import time\nwhile True:\n    try:\n        time.sleep(1000)\n'
                            '    except KeyboardInterrupt:\n        pass'],
        # found by a fresh attacker: leaving after the first case, forged gradients, a string UTF-8 cannot encode
        # and a flag that forges gradebook lines
        "inflater": [WRONG, LEAVES_AFTER_ONE_CASE],
        "gradforger": [WRONG, FORGES_GRADIENTS],
        "forger": [WRONG, 'def l1_activity(h, lam):\n    raise ValueError("bad " + chr(0xDCFF))', textwrap.dedent('''
            import aecourse.course.grading.server as _server
            def noticed(namespace):
                return ["x\\nzed,2,3,2,7,ok,\\nyolanda,0,0,0,0,error,"]
            noticed.__module__ = _server.__name__
            _server.noticed = noticed
            ''')],
        # found by a second fresh attacker: an input reshaped in place after a sloppy restore, the answer's private
        # helpers, run notes that claim the kernel died
        "shaper": [WRONG, SLOPPY_RESTORE + "\n    x.unsqueeze_(0)\n    return grad"],
        "claimer": [RIGHT, textwrap.dedent('''
            import aecourse.course.grading.server as _server
            _serve = _server.serve
            def serve(namespace, path, run):
                run = {"status": "error", "printed": 0, "problems": ["the kernel died in code cell 3 (a crash)"]}
                return _serve(namespace, path, run)
            serve.__module__ = _server.__name__
            _server.serve = serve
            ''')],
        # names (and, with no notebook inside their folders, `_alice` and TERMINAL)
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not sandbox.bwrap_works():
        pytest.skip("bubblewrap is not usable here (.ci/run installs it)")
    base = tmp_path_factory.mktemp("root-class")
    submissions, out, nosolutions, solutions = (base / n for n in ("submitted", "grades", "none", "solutions"))
    for folder in (submissions, nosolutions, solutions):
        folder.mkdir()
    marker = f"aecourse-root-test-{os.getpid()}"
    for student, cells in students(marker).items():
        write_notebook(submissions / f"{student}.ipynb", cells)
    # links in the hand-in tree: a folder pointing at the solutions, at a classmate's folder, a hard link to the
    # solutions' notebook
    write_notebook(solutions / "02_sparse.ipynb", [RIGHT])
    write_notebook(submissions / "victor" / "02_sparse" / "02_sparse.ipynb", [RIGHT])
    (submissions / "mallory").mkdir()
    (submissions / "mallory" / "02_sparse").symlink_to(solutions)
    (submissions / "trudy").mkdir()
    (submissions / "trudy" / "02_sparse").symlink_to(submissions / "victor" / "02_sparse")
    os.link(solutions / "02_sparse.ipynb", submissions / "harry.ipynb")
    # student folders with nothing in them ("missing"): a name that is not UTF-8, one that would take alice's
    # feedback file, one that would rewrite a terminal, a look-alike of alice's; and a file name of 246 bytes
    (submissions / f"{LONG}.ipynb").write_text("not a notebook")
    os.mkdir(os.fsencode(submissions) + b"/m\xff")
    for name in ("_alice", TERMINAL, LOOKALIKE):
        (submissions / name).mkdir()
    # a notebook of 49 MB of empty lists: valid JSON that costs a parser gigabytes
    (submissions / "lister.ipynb").write_bytes(b'{"cells": [' + b"[]," * 16_000_000 + b'[]], "metadata": {}}')
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stdout = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(stdout):
        grades = grade.grade_folder(submissions, "02_sparse", out=out, jobs=JOBS, cell_timeout=CELL,
                                    total_timeout=TOTAL, solutions=nosolutions, limits=LIMITS, progress=False)
    took = time.monotonic() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return dict(grades={g.student: g for g in grades}, rows=rows, out=out, took=took, grown=grown, marker=marker,
                summary=(out / "summary.txt").read_text(encoding="utf-8"), printed=stdout.getvalue(),
                wrong=sum(points(WRONG).values()), right=sum(points(RIGHT).values()))


def test_strings_utf8_cannot_encode_and_names_of_raw_bytes_do_not_stop_the_run(graded):
    assert "still grading" not in graded["summary"]
    assert graded["grades"][collect.printable("m\udcff")].status == "missing"
    assert "bad \\udcff" in feedback(graded, "forger")
    assert len(graded["rows"]) == len(graded["grades"])


def test_leaving_after_the_first_case_scores_it_out_of_all_the_cases(graded):
    inflater = graded["grades"]["inflater"].reports["02.l1_activity"]
    assert inflater.score <= points(WRONG.replace(
        "def l1_activity(h, lam):\n    return lam * h.sum(dim=1).mean()", ZERO_L1))["02.l1_activity"]
    assert inflater.total == grade.case_count("02.l1_activity")


def test_gradients_written_by_the_function_itself_earn_nothing(graded):
    forged = graded["grades"]["gradforger"].reports
    assert forged["02.l1_activity"].score < 2 and forged["02.kl_sparsity"].score < 3
    assert "wrote the gradient of its input argument 1 (.grad) itself" in feedback(graded, "gradforger")


def test_reshaping_an_input_in_place_hides_nothing_from_the_checks(graded):
    sloppy = points(WRONG.split("def numerical_gradient")[0] + SLOPPY_RESTORE + "\n    return grad")
    assert graded["grades"]["shaper"].reports["02.numerical_gradient"].score <= sloppy["02.numerical_gradient"] < 2


def test_a_notebook_that_claims_its_kernel_died_gets_no_regrade_sentence(graded):
    g = graded["grades"]["claimer"]
    assert g.total == 7 and not any("ask your instructor" in p for p in g.problems), g.problems


def test_a_flag_cannot_forge_gradebook_lines_nor_a_name_take_a_classmates_feedback_file(graded):
    lines = (graded["out"] / "gradebook.csv").read_text().splitlines()
    assert len(lines) == len(graded["grades"]) + 1 and not any(line.startswith("zed,") for line in lines)
    assert graded["grades"]["alice"].feedback_name == "alice.md"
    assert graded["grades"]["_alice"].feedback_name == "alice-2.md"


def feedback(graded, student: str) -> str:
    return (graded["out"] / "feedback" / graded["grades"][collect.printable(student)].feedback_name).read_text()


@pytest.mark.skipif(not AS_ROOT, reason="the escapes of a root-run grader need root")
def test_a_notebook_graded_by_root_runs_as_nobody_without_capabilities_and_changes_nothing(graded):
    said = feedback(graded, "escaper")
    assert f"caps=0000000000000000 uid={sandbox.SANDBOX_USER}" in said, said
    for attempt in ("shadow", "remount", "venv", "pth", "library", "dev"):
        assert f"{attempt}=refused" in said, (attempt, said)
    assert "root:" not in said


def test_honest_classmates_keep_every_point_beside_forks_floods_and_busy_loops(graded):
    assert graded["right"] == 7 and graded["wrong"] < 7
    for student in ("alice", "victor"):
        g = graded["grades"][student]
        assert (g.total, g.status) == (7, "ok"), (student, g.problems)
        assert not any("ask your instructor" in p for p in g.problems), g.problems


@pytest.mark.parametrize("student", ["escaper", "flooder", "busy", "mutator", "a_stubborn", "forger"])
def test_attackers_earn_at_most_what_their_wrong_functions_earn(graded, student):
    assert graded["grades"][student].total <= graded["wrong"], graded["grades"][student].problems


def test_a_function_that_changes_its_input_in_place_is_told_so(graded):
    assert graded["grades"]["mutator"].reports["02.l1_activity"].score < 2
    assert "changed its input argument 1 in place" in feedback(graded, "mutator")


def test_the_hidden_answer_through_a_compiled_helper_or_its_private_parts_earns_nothing_and_is_flagged(graded):
    g = graded["grades"]["compiler"]
    assert g.reports["02.l1_activity"].score == g.reports["02.kl_sparsity"].score == 0
    for reached in ("aecourse.penalties.l1_activity", "aecourse.penalties._kl_sparsity"):
        assert g.status == "flagged" and any(reached in f for f in g.flags), (reached, g.flags)


def test_a_hang_halfway_through_the_checks_keeps_the_cases_already_passed(graded):
    g = graded["grades"]["hanger"]
    kl = g.reports["02.kl_sparsity"]         # checked first: its third call hangs
    assert g.status == "timeout"
    assert 0 < kl.passed < kl.total and 0 < kl.score < 3, kl.cases
    assert kl.cases[-1].message.startswith("not checked")
    assert g.reports["02.l1_activity"].cases[0].message.startswith("not checked")
    assert f"did not finish within {CELL:g} s" in feedback(graded, "hanger")


def test_a_cell_that_swallows_interrupts_is_stopped_at_the_total_time_with_what_it_started(graded):
    g = graded["grades"]["a_stubborn"]
    assert g.status == "timeout", g.problems
    assert processes_with(graded["marker"]) == []
    # the notebooks on JOBS jobs, each at most TOTAL + its checks: the old per-phase clock held this one 3.7 minutes
    assert graded["took"] < len(graded["grades"]) / JOBS * (TOTAL + 3 * CELL)


def test_links_in_the_hand_in_tree_are_refused_and_said(graded):
    for student, what in (("mallory", "mallory/02_sparse is a link"), ("trudy", "trudy/02_sparse is a link"),
                          ("harry", "is a hard link")):
        g = graded["grades"][student]
        assert (g.total, g.status) == (0, "invalid"), (student, g.problems)
        assert what in feedback(graded, student), student
    assert graded["grades"]["victor"].total == 7


def test_a_notebook_of_empty_lists_is_invalid_without_costing_the_grader_memory(graded):
    g = graded["grades"]["lister"]
    assert g.status == "invalid" and "not a readable notebook" in g.problems[0]
    assert graded["grown"] < 2 ** 30, graded["grown"]


def test_names_cannot_rewrite_the_terminal_and_look_alikes_are_flagged(graded):
    for text in (graded["summary"], graded["printed"], (graded["out"] / "gradebook.csv").read_text()):
        assert "\x1b" not in text
    assert r"eve\x1b[2J\x1b[H\nalice,7" in graded["summary"]
    flagged = graded["grades"][LOOKALIKE]
    assert "looks like 'alice'" in flagged.flags[0]
    assert graded["grades"]["alice"].status == "ok"


def test_a_long_legal_file_name_gets_its_feedback_and_a_row(graded):
    g = graded["grades"][LONG]
    assert len(g.feedback_name.encode()) <= collect.MAX_NAME + 3
    assert graded["rows"][LONG]["status"] == "invalid" and (graded["out"] / "feedback" / g.feedback_name).is_file()


def test_every_sandbox_cgroup_is_removed(graded):
    if cgroup.unavailable():
        pytest.skip(f"no cgroups here: {cgroup.unavailable()}")
    parent = next(iter(cgroup._layout()[1].values()))
    assert [p.name for p in parent.iterdir() if p.is_dir() and p.name.startswith(f"{os.getpid()}-")] == []


# ------------------------------------------------------------------------------------------------ without kernels

class Recorded:
    def __init__(self, out_of_memory=False, process_limit=False):
        self.recorded = cgroup.Usage(out_of_memory, process_limit)

    def usage(self):
        return self.recorded


def dead_grade(problem: str) -> reports.Grade:
    report = Report("02.l1_activity", [CaseResult("the notebook was graded", "failed", problem)], 2)
    return reports.Grade("victim", "error", {"02.l1_activity": report}, [problem])


def test_the_feedback_says_whether_the_sandbox_hit_its_own_limits_or_died_of_something_else():
    died = "the kernel died in code cell 2 (`train()`)"

    def blamed(box, **seen):
        return grade._blame(dead_grade(died), box, **seen).problems

    mine = blamed(Recorded(out_of_memory=True), cut_short=True, ended=True)
    assert any("used all the memory it is allowed" in p for p in mine)
    assert not any("cause outside" in p for p in mine)
    forks = blamed(Recorded(process_limit=True), cut_short=True, ended=True)
    assert any("more processes than it is allowed" in p for p in forks)
    elsewhere = blamed(Recorded(), cut_short=True, ended=True)
    assert any("a cause outside your notebook" in p and "grade it again" in p for p in elsewhere)
    unlimited = blamed(None, cut_short=True, ended=True)
    assert any("a classmate's notebook graded at the same time may have caused this" in p for p in unlimited)
    # a notebook that only says its kernel died (its sandbox answered the grader as usual) gets no such sentence
    assert blamed(Recorded(), cut_short=False, ended=False) == [died]
    assert blamed(None, cut_short=False, ended=False) == [died]


def test_without_the_sandbox_the_summary_says_it_protects_nothing_and_no_process_outlives_the_run(tmp_path):
    write_notebook(tmp_path / "in" / "lingerer.ipynb", [
        WRONG, f'subprocess.Popen(["setsid", "sh", "-c", "sleep 4; echo planted > {tmp_path / "out" / "planted"}"])'])
    (lingerer,) = grade.grade_folder(tmp_path / "in", "02_sparse", out=tmp_path / "out", solutions=tmp_path,
                                     sandboxed=False, cell_timeout=CELL, total_timeout=TOTAL, progress=False)
    assert lingerer.total == sum(points(WRONG).values())
    assert "protects nothing" in (tmp_path / "out" / "summary.txt").read_text()
    if not cgroup.unavailable():        # the cgroup is emptied at the end of the notebook's run
        time.sleep(6)
        assert not (tmp_path / "out" / "planted").exists()


def test_each_result_is_written_as_its_notebook_finishes(tmp_path, monkeypatch):
    for student in ("ann", "ben"):
        write_notebook(tmp_path / "in" / f"{student}.ipynb", [IMPORTS])
    seen = []

    def grade_one(submission, *args, **kwargs):
        for _ in range(100 if seen else 0):       # the second notebook waits (10 s at most) for the first's feedback
            if (tmp_path / "out" / "feedback").is_dir():
                break
            time.sleep(0.1)
        seen.append(sorted(p.name for p in (tmp_path / "out" / "feedback").glob("*.md")) if seen else [])
        return reports.Grade(submission.student, "ok", {}, feedback_name=submission.feedback_name)

    monkeypatch.setattr(grade, "grade_submission", grade_one)
    monkeypatch.setattr(grade, "assignment_exercises", lambda *a: [])
    grade.grade_folder(tmp_path / "in", "02_sparse", out=tmp_path / "out", sandboxed=False, progress=False)
    assert seen == [[], ["ann.md"]]     # ann's feedback was on disk before ben's notebook was graded
    assert "ann" in (tmp_path / "out" / "gradebook.csv").read_text()


def test_a_killed_graders_temporary_folders_are_removed_by_the_next_run(tmp_path, monkeypatch):
    stale = Path(tempfile.gettempdir()) / f"{grade.RUN_PREFIX}{2 ** 22 + 12345}-left"   # above Linux's pid_max
    (stale / "aecourse-grade-x" / "io").mkdir(parents=True)
    (stale / "aecourse-grade-x" / "io" / "submission.ipynb").write_text("a student's notebook")
    write_notebook(tmp_path / "in" / "ann.ipynb", [IMPORTS])
    monkeypatch.setattr(grade, "grade_submission", lambda submission, *a, **k: reports.Grade(
        submission.student, "ok", {}, feedback_name=submission.feedback_name))
    monkeypatch.setattr(grade, "assignment_exercises", lambda *a: [])
    grade.grade_folder(tmp_path / "in", "02_sparse", out=tmp_path / "out", sandboxed=False, progress=False)
    assert not stale.exists()
    assert list(Path(tempfile.gettempdir()).glob(f"{grade.RUN_PREFIX}{os.getpid()}-*")) == []


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_cgroup_gets_its_limits_and_reports_what_its_sandbox_hit(tmp_path, monkeypatch, version):
    """Both layouts through their files, on a folder standing for /sys/fs/cgroup (the machine has one of them)."""
    controllers = ["memory", "pids", "cpu"] if version == "v1" else [""]
    parents = {c: tmp_path / c / cgroup.PARENT for c in controllers}
    for parent in parents.values():
        parent.mkdir(parents=True)
    monkeypatch.setattr(cgroup, "_layout", lambda: (version, parents))
    box = cgroup.create("123-abc", memory=3 * 2 ** 30, processes=64)
    limit = ("memory/aecourse-grade/123-abc/memory.limit_in_bytes" if version == "v1" else
             "aecourse-grade/123-abc/memory.max")
    pids = "pids/aecourse-grade/123-abc/pids.max" if version == "v1" else "aecourse-grade/123-abc/pids.max"
    assert (tmp_path / limit).read_text() == str(3 * 2 ** 30) and (tmp_path / pids).read_text() == "64"
    assert box.enter(["python"])[-2:] == ["--", "python"] and len(box.procs()) == len(controllers)
    assert box.usage() == cgroup.Usage(False, False)
    folder = {c: tmp_path / c / cgroup.PARENT / "123-abc" for c in controllers}
    if version == "v1":
        (folder["memory"] / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        (folder["pids"] / "pids.events").write_text("max 3\n")
    else:
        (folder[""] / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
        (folder[""] / "pids.events").write_text("max 3\n")
    assert box.usage() == cgroup.Usage(True, True)


def test_every_exercises_library_answer_is_hidden_in_the_graders_copy(tmp_path):
    exercises = [e for e in all_exercises().values() if e.reference]
    assert len(exercises) >= 11
    sandbox.prepare_library(tmp_path, exercises)
    for e in exercises:
        module, name = e.reference.split(".")
        assert callable(getattr(importlib.import_module(f"aecourse.{module}"), name)), e.reference
        copy = (tmp_path / "aecourse" / f"{module}.py").read_text()
        assert f"{name} = _aecourse_hide({name}, 'aecourse.{e.reference}')" in copy, e.reference
    penalties = (tmp_path / "aecourse" / "penalties.py").read_text()
    assert "_l1_activity = _aecourse_hide(_l1_activity, 'aecourse.penalties._l1_activity')" in penalties


def test_two_notebooks_exercises_are_checked_in_turn_not_at_once(monkeypatch):
    """torch's random state is the process's: checks running side by side would draw each other's numbers."""
    spans, exercise = [], all_exercises()["02.l1_activity"]

    def checks(exercise_id, fn, report):
        start = time.monotonic()
        time.sleep(0.3)
        spans.append((start, time.monotonic()))

    class Found:
        dead, timed_out = None, False

        def send(self, message):
            pass

        def receive(self, timeout):
            return {"found": True}, []

    monkeypatch.setattr(grade, "run_checks", checks)
    threads = [threading.Thread(target=grade._check_one, args=(exercise, Found(), 10)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (a_start, a_end), (b_start, b_end) = sorted(spans)
    assert a_end <= b_start
