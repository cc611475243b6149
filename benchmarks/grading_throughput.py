"""Grading throughput: notebooks per minute at --jobs 1 and 2, with and without the bubblewrap sandbox.

A class of 30 (`--students`) is generated from solutions/00_warmup.ipynb: a third hand in the solution's
answer, a third the exercise's stub, a third a wrong answer, each as a notebook of the lesson's imports and the
answer cell (the lesson's training cells left out, so the numbers measure the grader: a kernel start, the
sandbox, the checks through the proxy). The same class is graded four times with `grade_folder`; the gradebooks
must agree. Targets: the sandbox costs under 50 % of throughput, and --jobs 2 grades faster than --jobs 1.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat
from common import parse_args, verdict, write_results

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ANSWERS = {"right": "    return ((x - x_hat) ** 2).mean()", "stub": "    raise NotImplementedError()",
           "wrong": "    return ((x - x_hat) ** 2).sum()"}


def make_class(folder: Path, students: int) -> None:
    """`students` notebooks: imports, then `reconstruction_mse` with a right, stubbed or wrong body."""
    kinds = list(ANSWERS)
    for i in range(students):
        kind = kinds[i % len(kinds)]
        cells = ["import numpy as np\nimport torch", f"def reconstruction_mse(x, x_hat):\n{ANSWERS[kind]}",
                 'check("00.reconstruction_mse", reconstruction_mse)']
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
        nbformat.write(nb, folder / f"student{i:02d}_{kind}.ipynb")


def main(argv=None) -> None:
    args = parse_args(__doc__.splitlines()[0], argv, extra=lambda p: p.add_argument(
        "--students", type=int, default=30, help="notebooks in the generated class (default 30)"))
    from aecourse.course.grading import grade_folder
    from aecourse.course.grading.sandbox import bwrap_works

    students = 3 if args.quick else args.students
    if students < 1:
        raise SystemExit(f"--students: expected a positive integer, got {students}")
    rows, totals, rate = [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        make_class(folder, students)
        for sandboxed in (True, False):
            if sandboxed and not bwrap_works():
                print("bubblewrap is not usable here: the sandboxed rows are skipped")
                continue
            for jobs in (1, 2):
                start = time.perf_counter()
                grades = grade_folder(folder, "00_warmup", out=Path(tmp) / f"out-{sandboxed}-{jobs}", jobs=jobs,
                                      solutions=ROOT / "solutions", sandboxed=sandboxed, progress=False)
                seconds = time.perf_counter() - start
                totals[sandboxed, jobs] = [(g.student, g.total) for g in grades]
                rate[sandboxed, jobs] = 60 * students / seconds
                rows.append(["bubblewrap" if sandboxed else "none", jobs, students, f"{seconds:.1f}",
                             f"{rate[sandboxed, jobs]:.1f}"])
    agree = len({tuple(t) for t in totals.values()}) == 1
    notes = [f"every configuration gave the same points: {agree}"]
    if (True, 1) in rate:
        cost = 1 - rate[True, 1] / rate[False, 1]
        notes.append(f"the sandbox costs {cost:.0%} of throughput at --jobs 1 (target under 50 %): "
                     f"{verdict(cost < 0.5)}")
        notes.append(f"--jobs 2 / --jobs 1 with the sandbox: {rate[True, 2] / rate[True, 1]:.2f}x "
                     f"(target > 1 on 2 idle cores): {verdict(rate[True, 2] > rate[True, 1])}")
    write_results("grading_throughput", "Grading throughput (notebooks per minute)",
                  ["sandbox", "jobs", "notebooks", "seconds", "notebooks / min"], rows, args.results_dir,
                  notes=notes, quick=args.quick)


if __name__ == "__main__":
    main()
