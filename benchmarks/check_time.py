"""The time of `python -m aecourse check NOTEBOOK`, split into what it is made of, and its floor.

A check is one process (the command) that runs a copy of the notebook in one fresh kernel, whose last cell runs
the checks. Its parts, each timed on its own (median of --repeats runs, wall seconds):

- the command's own start: `python -m aecourse --help` (it imports the notebook tools, not torch);
- what that start cost before the command stopped importing the checks: the same plus `import torch`;
- the kernel floor: a kernel started and one empty cell run, as the command runs it (IPC sockets, killed after);
- the kernel floor with the checks imported (torch comes with them): no check of this course can be faster;
- whole checks of solved notebooks: the floor plus the notebook's own cells and the checks.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from common import median_time, new_figure, parse_args, write_results

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NOTEBOOKS = ("00_warmup", "04_denoising")


def run_command(*args: str) -> None:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr[-500:]}")


def run_cells(*sources: str) -> None:
    from aecourse.course import notebooks

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    with tempfile.TemporaryDirectory() as tmp:
        notebooks.execute(nb, tmp)


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv, extra=lambda p: p.add_argument(
        "--repeats", type=int, default=5, help="runs of each part, the median is reported (default 5)"))
    repeats = 1 if args.quick else args.repeats
    if repeats < 1:
        raise SystemExit(f"--repeats: expected a positive integer, got {repeats}")
    parts = [
        ("the command's own start", "python -m aecourse --help", lambda: run_command("-m", "aecourse", "--help")),
        ("the command's start with torch (before)", "python -c 'import torch, aecourse.course.cli'",
         lambda: run_command("-c", "import torch, aecourse.course.cli")),
        ("kernel floor", "a kernel and one empty cell", lambda: run_cells("pass")),
        ("kernel floor with the checks", "a kernel importing aecourse.course.checks",
         lambda: run_cells("import aecourse.course.checks")),
    ]
    for name in NOTEBOOKS[:1] if args.quick else NOTEBOOKS:
        notebook = f"solutions/{name}.ipynb"
        parts.append((f"check {name}", f"python -m aecourse check {notebook}",
                      lambda notebook=notebook: run_command("-m", "aecourse", "check", notebook)))
    rows, medians = [], {}
    for label, command, fn in parts:
        median, times = median_time(fn, repeats)
        medians[label] = median
        rows.append([label, command, median, min(times)])
    floor, start = medians["kernel floor with the checks"], medians["the command's own start"]
    notes = [f"The floor of a check is {floor:.1f} s here: a kernel start and the checks' imports (torch). "
             f"The command's own start adds {start:.1f} s (it no longer imports torch: the kernel reports each "
             "exercise's function name and points).",
             "Everything a check spends above the floor is the notebook's own cells (the learner's code, the "
             "lesson's data) and the checks themselves."]
    fig, (ax,) = new_figure(width=7)
    ax.barh([r[0] for r in rows][::-1], [r[2] for r in rows][::-1], color="tab:blue")
    ax.set_xlabel("seconds (median)")
    ax.set_title("aecourse check: where the time goes")
    write_results("check_time", "The time of `aecourse check`", ["part", "what runs", "median s", "fastest s"],
                  rows, args.results_dir, notes=notes, figure=fig, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
