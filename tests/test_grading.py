"""`aecourse grade` against a hostile class: the ten attacks of issue 14 and a few more, graded once.

Each notebook starts a sandboxed kernel (seconds), so one module-scoped fixture grades one class for lesson 02's
exercises (three functions, a hidden reference among them) through the command line with two jobs. Every
attacker defines the same *wrong* functions as the student `wrong`, plus its attack; what those functions earn
in this process, with no attack, is what an attacker may earn at most. The tests then read the gradebook,
feedback and summary, look for surviving processes and for files written where no one should write.
"""
import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import socket
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from aecourse.course import cli, limits
from aecourse.course.checks import all_exercises, run_checks
from aecourse.course.grading import collect, grade, reports, sandbox

ROOT = Path(__file__).resolve().parent.parent
PRINTS_FOREVER = 'while True:\n    print("spam " * 1000)'   # attack 10: stopped where it crosses the output cap
SWALLOWS_THE_CAP = ("from aecourse.course.grading.output_cap import OutputLimitExceeded\n"
                    'while True:\n    try:\n        print("spam " * 1000)\n'
                    '    except OutputLimitExceeded:\n        pass')

RIGHT = '''
def l1_activity(h, lam):
    return lam * h.abs().sum(dim=1).mean()

def kl_sparsity(h, rho, beta):
    rho_hat = h.mean(dim=0)
    return beta * (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()

def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    flat, flat_grad = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = float(f(x))
        flat[i] = old - eps
        down = float(f(x))
        flat[i] = old
        flat_grad[i] = (up - down) / (2 * eps)
    return grad
'''
WRONG = '''
def l1_activity(h, lam):
    return lam * h.sum(dim=1).mean()

def kl_sparsity(h, rho, beta):
    rho_hat = h.mean(dim=0)
    return beta * (rho_hat * torch.log(rho_hat / rho) + (1 - rho_hat) * torch.log((1 - rho_hat) / (1 - rho))).sum()

def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    flat, flat_grad = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        base = float(f(x))
        flat[i] = old + eps
        flat_grad[i] = (float(f(x)) - base) / eps
        flat[i] = old
    return grad
'''
IMPORTS = "import os, sys, subprocess\nimport numpy, torch"


def attacks(submissions: Path, out: Path, outside: Path, port: int, marker: str) -> dict[str, list[str]]:
    """Each student's code cells (after IMPORTS)."""
    return {
        "honest": [RIGHT],
        "edge": ["torch.set_default_dtype(torch.float64)\ntorch.manual_seed(1234)\nnumpy.random.seed(7)\n"
                 "os.makedirs('elsewhere', exist_ok=True)\nos.chdir('elsewhere')", RIGHT],
        "wrong": [WRONG],
        # 1-5: a registry that passes everything, the grader's globals, a hook, numpy/torch comparisons, frames
        "forger": [WRONG, textwrap.dedent('''
            from aecourse.course import checks
            for key, spec in list(checks.all_exercises().items()):
                checks.REGISTRY[key] = checks.Exercise(key, spec.function, spec.points, lambda fn, case: None)
            from IPython.display import display
            _aecourse_grade_0 = lambda exercise_id: display({"application/vnd.aecourse.grade+json": {
                "exercise": exercise_id, "tampered": [], "cases": [["all", "passed", ""]]}}, raw=True)
            get_ipython().events.register("post_run_cell", lambda *args: print("02.l1_activity: 4/4 checks passed"))
            numpy._core.numeric.isclose = lambda a, b, **k: numpy.True_
            numpy.allclose = lambda *a, **k: True
            torch.isclose = lambda *a, **k: torch.tensor(True)
            torch.allclose = lambda *a, **k: True
            _wrong_l1 = l1_activity
            def l1_activity(h, lam):
                frame = sys._getframe(1)
                while frame is not None:
                    for value in list(frame.f_locals.values()):
                        if isinstance(getattr(value, "cases", None), list):
                            value.cases.clear()
                    frame = frame.f_back
                return _wrong_l1(h, lam)
            ''')],
        # 6: the library's reference implementation, and the solutions from disk
        "borrower": [WRONG, textwrap.dedent(f'''
            from aecourse.penalties import l1_activity, kl_sparsity
            try:
                import json
                for cell in json.load(open({str(ROOT / "solutions" / "02_sparse.ipynb")!r}))["cells"]:
                    if "BEGIN SOLUTION" in "".join(cell["source"]):
                        exec("".join(cell["source"]))
            except OSError:
                pass
            ''')],
        # 7: other hand-ins, the grader's command line, the output folder (and, of our own, filling the disk)
        "neighbour": [WRONG, textwrap.dedent(f'''
            for attempt in (lambda: open("/proc/1/cmdline").read(),
                            lambda: open({str(submissions / "honest.ipynb")!r}, "w").write("{{}}"),
                            lambda: os.makedirs({str(out / "feedback")!r}, exist_ok=True),
                            lambda: open({str(out / "gradebook.csv")!r}, "w").write("neighbour,100"),
                            lambda: open({str(outside / "neighbour.txt")!r}, "w").write("here"),
                            lambda: open("/tmp/fill", "wb").write(b"0" * 600_000_000)):
                try:
                    attempt()
                except OSError:
                    pass
            ''')],
        # 8: kill the grader, block the gradebook
        "killer": [WRONG, textwrap.dedent(f'''
            try:
                os.makedirs({str(out / "gradebook.csv")!r})
            except OSError:
                pass
            import signal
            os.kill(os.getppid(), signal.SIGKILL)
            ''')],
        # 9: a process in its own session that outlives the kernel
        "lingerer": [WRONG, f'subprocess.Popen(["setsid", "sh", "-c", "sleep 120; echo {marker} > '
                            f'{outside / "linger.txt"}; echo {marker} > {out / "gradebook.csv"}"])'],
        # 10: endless printing
        "printer": [WRONG, PRINTS_FOREVER],
        # own: objects that compare equal to anything, an output too large to send, a function that never returns
        "smuggler": [WRONG, textwrap.dedent('''
            class Anything(torch.Tensor):
                def __eq__(self, other): return True
                def __float__(self): return 0.0
            def l1_activity(h, lam):
                return torch.zeros(()).as_subclass(Anything)
            def kl_sparsity(h, rho, beta):
                return torch.zeros(80_000_000)
            ''')],
        # own: the network, and a function that sleeps
        "caller": [RIGHT, textwrap.dedent(f'''
            import socket, time
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"{marker}")
            except OSError:
                pass
            def numerical_gradient(f, x, eps=1e-6):
                time.sleep(1000)
            ''')],
    }


def points(code: str) -> dict[str, float]:
    """What `code`'s functions earn, checked here in one process, exercise by exercise."""
    namespace = {}
    exec(IMPORTS + "\n" + code, namespace)
    return {i: run_checks(i, namespace[e.function]).score for i, e in all_exercises().items() if i.startswith("02.")}


def write_notebook(path: Path, cells: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in [IMPORTS] + cells])
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nbformat.write(nb, path)


def processes_with(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
    return found


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not sandbox.bwrap_works():
        pytest.skip("bubblewrap is not usable here (.ci/run installs it)")
    base = tmp_path_factory.mktemp("class")
    submissions, out, outside, nosolutions = base / "submitted", base / "grades", base / "outside", base / "none"
    for folder in (submissions, outside, nosolutions):
        folder.mkdir()
    marker = f"aecourse-test-{os.getpid()}-marker"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    students = attacks(submissions, out, outside, listener.getsockname()[1], marker)
    for student, cells in students.items():
        write_notebook(submissions / f"{student}.ipynb", cells)
    # the layout cases: no kernel needed
    write_notebook(submissions / "dup.ipynb", [RIGHT])
    write_notebook(submissions / "dup" / "02_sparse.ipynb", [RIGHT])
    (submissions / "ann smith.ipynb").write_text("not a notebook")
    (submissions / "ann_smith.ipynb").write_text("{}")
    write_notebook(submissions / "twin" / "a.ipynb", [RIGHT])
    write_notebook(submissions / "twin" / "b.ipynb", [RIGHT])
    (submissions / "absent").mkdir()
    write_notebook(submissions / "__MACOSX" / "._honest.ipynb", [RIGHT])
    write_notebook(submissions / ".hidden.ipynb", [RIGHT])
    before = tree_digest(submissions)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = cli.main(["grade", str(submissions), "--assignment", "02_sparse", "--out", str(out), "--jobs", "2",
                         "--cell-timeout", "20", "--total-timeout", "60", "--solutions", str(nosolutions)])
    try:
        connection = listener.accept()[0]
        connection.close()
        network = True
    except TimeoutError:
        network = False
    listener.close()
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return dict(code=code, rows=rows, out=out, outside=outside, submissions=submissions, before=before,
                after=tree_digest(submissions), summary=stdout.getvalue(), marker=marker, network=network,
                wrong=sum(points(WRONG).values()), right=sum(points(RIGHT).values()), students=students)


def test_the_run_finishes_with_one_row_per_student(graded):
    assert graded["code"] == 0
    expected = set(graded["students"]) | {"dup", "ann smith", "ann_smith", "twin", "absent"}
    assert set(graded["rows"]) == expected          # __MACOSX and .hidden are not students
    assert len(list((graded["out"] / "feedback").glob("*.md"))) == len(expected)
    assert (graded["out"] / "summary.txt").read_text().strip() in graded["summary"]


def test_honest_students_and_edge_cases_keep_their_points(graded):
    assert graded["right"] == 7 and graded["wrong"] < 7
    for student in ("honest", "edge"):
        row = graded["rows"][student]
        assert (float(row["total"]), row["status"], row["flags"]) == (7.0, "ok", ""), student


@pytest.mark.parametrize("student", ["wrong", "forger", "neighbour", "lingerer", "printer"])
def test_attackers_earn_only_what_their_functions_earn(graded, student):
    assert float(graded["rows"][student]["total"]) == graded["wrong"]


def test_forging_verdicts_is_flagged(graded):
    row = graded["rows"]["forger"]
    assert row["status"] == "flagged"
    for what in ("exercises were replaced", "numpy._core.numeric.isclose", "post_run_cell", "_aecourse_grade_0"):
        assert what in row["flags"], what


def test_the_library_answer_earns_nothing_and_is_flagged(graded):
    row = graded["rows"]["borrower"]
    assert float(row["02.l1_activity"]) == float(row["02.kl_sparsity"]) == 0
    assert float(row["total"]) == points(WRONG)["02.numerical_gradient"]
    assert row["status"] == "flagged" and "aecourse.penalties.l1_activity" in row["flags"]
    assert "hidden while notebooks are graded" in (graded["out"] / "feedback" / "borrower.md").read_text()


def test_no_sandbox_escapes(graded):
    assert graded["before"] == graded["after"]              # no hand-in was touched
    assert list(graded["outside"].iterdir()) == []          # nothing written outside the output folder
    assert not graded["network"]                            # no connection reached the host
    assert processes_with(graded["marker"]) == []           # the setsid child died with its sandbox
    assert graded["marker"] not in (graded["out"] / "gradebook.csv").read_text()
    assert sorted(p.name for p in graded["out"].iterdir()) == ["feedback", "gradebook.csv", "summary.txt"]


def test_killing_printing_and_sleeping_stop_only_that_notebook(graded):
    rows = graded["rows"]
    feedback = {student: (graded["out"] / "feedback" / f"{student}.md").read_text()
                for student in ("killer", "printer", "caller", "smuggler")}
    assert (float(rows["killer"]["total"]), rows["killer"]["status"]) == (0.0, "error"), feedback["killer"]
    assert rows["printer"]["status"] == "error", feedback["printer"]             # stopped at the cap, not at 20 s
    assert "raised OutputLimitExceeded: the notebook printed more than 16,777,216 characters" in feedback["printer"]
    assert "printed more than 10 MB" in feedback["printer"]
    caller = (float(rows["caller"]["02.numerical_gradient"]), float(rows["caller"]["total"]))
    assert caller == (0, 5) and "did not finish within 20 s" in feedback["caller"], feedback["caller"]
    assert float(rows["smuggler"]["total"]) == 0 and "over the limit" in feedback["smuggler"], feedback["smuggler"]


def test_layout_cases_get_clear_statuses(graded):
    rows, feedback = graded["rows"], graded["out"] / "feedback"
    assert rows["dup"]["status"] == "ambiguous" and "both dup/ and dup.ipynb" in (feedback / "dup.md").read_text()
    assert rows["twin"]["status"] == "ambiguous" and "a.ipynb, b.ipynb" in (feedback / "twin.md").read_text()
    assert rows["absent"]["status"] == "missing"
    assert rows["ann smith"]["status"] == rows["ann_smith"]["status"] == "invalid"
    assert {(feedback / n).read_text().splitlines()[0] for n in ("ann_smith.md", "ann_smith-2.md")} == {
        "# 02_sparse: feedback for ann smith", "# 02_sparse: feedback for ann_smith"}
    assert "distinct ones" in graded["summary"]


def test_without_the_sandbox_the_grader_still_decides_and_says_so(tmp_path):
    write_notebook(tmp_path / "in" / "honest.ipynb", [RIGHT])
    write_notebook(tmp_path / "in" / "forger.ipynb", [WRONG, "import numpy\nnumpy.allclose = lambda *a, **k: True"])
    grades = {g.student: g for g in grade.grade_folder(tmp_path / "in", "02_sparse", out=tmp_path / "out",
                                                       solutions=tmp_path, sandboxed=False, progress=False)}
    assert grades["honest"].total == 7 and grades["forger"].total == sum(points(WRONG).values())
    assert grades["forger"].status == "flagged"
    assert "NONE (--no-sandbox)" in (tmp_path / "out" / "summary.txt").read_text()


def test_endless_printing_keeps_the_functions_defined_before_it(tmp_path):
    """IPython keeps every printed line for its history and ipykernel buffers them: without the kernel's output cap
    (grading/output_cap.py) a cell printing for 10 s outgrows a 5 GiB limit and the kernel dies, and with it the
    functions the notebook defined before that cell (the class's `printer` then got 0 points, now and then). A plain
    print loop stops at the cap (the class's printer); this one swallows the cap's exception and prints on, dropped,
    until its time limit."""
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) sets the memory limit this test needs")
    write_notebook(tmp_path / "in" / "printer.ipynb", [WRONG, SWALLOWS_THE_CAP])
    (printer,) = grade.grade_folder(tmp_path / "in", "02_sparse", out=tmp_path / "out", solutions=tmp_path,
                                    cell_timeout=10, total_timeout=60, sandboxed=sandbox.bwrap_works(),
                                    limits=limits.Limits(memory=5 * 2 ** 30), progress=False)
    assert (printer.status, printer.total) == ("timeout", sum(points(WRONG).values())), printer.problems
    assert any("printed more than 10 MB" in problem for problem in printer.problems), printer.problems


# ------------------------------------------------------------------------------------------------ no kernels

def test_the_output_cap_drops_text_past_the_limit_before_a_patch_of_write_sees_it(monkeypatch):
    """IPython patches `sys.stdout.write` for each cell to keep the printed text: the cap stays in front of it. The
    write that crosses the cap raises, once; what comes after is dropped."""
    from aecourse.course.grading.output_cap import OutputLimitExceeded, cap_output

    class Stream(io.StringIO):     # like ipykernel's OutStream, a Python class
        pass

    monkeypatch.setattr("sys.stdout", Stream())
    monkeypatch.setattr("sys.stderr", Stream())
    out, err = sys.stdout, sys.stderr
    cap_output(10)
    print("abcd")                                  # 5 characters with the newline
    kept, original = [], out.write                 # what IPython's tee does around a cell
    out.write = lambda text: (kept.append(text), original(text))[1]
    print("ef", file=sys.stderr)                   # stdout and stderr share the budget: 8
    out.write("gh")                                # 10: the last ones passed on
    with pytest.raises(OutputLimitExceeded, match="printed more than 10 characters; this cell was stopped"):
        out.write("ijk")                           # crossing the cap stops the cell that printed
    assert out.write("nop") == 3                   # past it: counted, dropped, not kept by the patch, no raise
    out.write = original                           # the tee puts back what it found
    out.write("lm")
    assert (out.getvalue(), err.getvalue(), kept) == ("abcd\ngh", "ef\n", ["gh"])
    with pytest.raises(TypeError):
        out.write(b"bytes")                        # the stream's own error for a wrong type


def test_the_executors_notes_are_found_after_what_the_kernel_wrote_to_the_same_output(tmp_path):
    notes = {"status": "error", "problems": ["the kernel died in code cell 3"], "printed": 0}
    (tmp_path / "stdout").write_text("spam " * 100_000 + "\n" + json.dumps(notes) + "\n")
    assert grade._notes(tmp_path / "stdout") == notes
    (tmp_path / "stdout").write_text("spam")
    assert grade._notes(tmp_path / "stdout") == {}


def test_without_bwrap_grading_stops_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: False)
    write_notebook(tmp_path / "in" / "a.ipynb", [RIGHT])
    assert cli.main(["grade", str(tmp_path / "in"), "--assignment", "02_sparse", "--out",
                     str(tmp_path / "out")]) == 2
    assert "apt-get install bubblewrap" in capsys.readouterr().out and not (tmp_path / "out").exists()
    summary = reports.summary_table([], [], sandboxed=False)
    assert "NONE (--no-sandbox)" in summary


def test_an_unusable_output_folder_is_refused_before_grading(tmp_path):
    (tmp_path / "out" / "gradebook.csv").mkdir(parents=True)
    with pytest.raises(ValueError, match="exists and is not a file"):
        reports.check_output_folder(tmp_path / "out")


def test_atomic_writes_leave_no_temporary_files(tmp_path):
    reports.write_atomic(tmp_path / "a.txt", "one")
    reports.write_atomic(tmp_path / "a.txt", "two")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"] and (tmp_path / "a.txt").read_text() == "two"


def test_collection_reads_everything_first(tmp_path):
    write_notebook(tmp_path / "s" / "02_sparse" / "02_sparse.ipynb", [RIGHT])
    (tmp_path / "big.ipynb").write_bytes(b" " * (limits.HANDIN_BYTES + 1))
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "big.ipynb")
    found = {s.student: s for s in collect.find_submissions(tmp_path, "02_sparse")}
    assert found["s"].data.startswith(b"{") and found["s"].status == ""
    assert found["big"].status == "invalid" and "Clear All Outputs" in found["big"].problem
    assert found["link"].status == "invalid"
    with pytest.raises(FileNotFoundError, match="no such folder"):
        collect.find_submissions(tmp_path / "nowhere", "02_sparse")


def test_reading_and_choosing_what_to_run():
    with pytest.raises(ValueError, match="not a readable notebook"):
        grade.read_submission(b"\xff\xfe")
    from aecourse.course.notebooks import is_exercise_check_cell
    assert is_exercise_check_cell(nbformat.v4.new_code_cell('# NBVAL_CHECK_OUTPUT\ncheck("02.l1", l1_activity)'))
    assert not is_exercise_check_cell(nbformat.v4.new_code_cell('check("02.a", f)\ndef f(): pass'))
    with pytest.raises(ValueError, match="exercise numbers are"):
        grade.assignment_exercises("99_nothing", ROOT / "nowhere")
    assert [e.exercise_id for e in grade.assignment_exercises("00_warmup", ROOT / "solutions")] == [
        "00.reconstruction_mse"]


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="jobs"):
        grade.grade_folder(tmp_path, "00_warmup", jobs=0, progress=False)
    with pytest.raises(ValueError, match="cell_timeout"):
        grade.grade_folder(tmp_path, "00_warmup", cell_timeout=0, progress=False)
