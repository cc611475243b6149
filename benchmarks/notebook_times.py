"""Course run time: every notebook in notebooks/ and solutions/ executed headless on the CPU, seconds each.

Each notebook is copied into a fresh temporary folder and run top to bottom there in a new python3 kernel with
`aecourse.course.notebooks.execute` (AECOURSE_DEVICE=cpu, no GPU visible, Agg plots, no progress bars), so the
sources are never touched. Seconds include starting the kernel; the first row times an empty notebook, the part
of every row that is kernel start-up. exercises/ is not timed: it is generated from solutions/ with the answers
removed. Targets: each notebook about a minute or less on 2 cores, the whole course under 6 minutes.
"""
from __future__ import annotations

import math
import shutil
import sys
import tempfile
from pathlib import Path

from common import children_cpu_seconds, core_count, new_figure, parse_args, timed, verdict, write_results

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "solutions")
PER_NOTEBOOK, WHOLE_COURSE = 60.0, 360.0
CPU_ENV = {"AECOURSE_DEVICE": "cpu", "CUDA_VISIBLE_DEVICES": ""}


def course_notebooks() -> list[Path]:
    return [path for folder in FOLDERS for path in sorted((ROOT / folder).glob("*.ipynb"))]


def run_copy(path: Path, timeout: int) -> tuple[float, float, int, str]:
    """(wall seconds, kernel CPU seconds, number of code cells, status) of executing a copy of `path`."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from aecourse.course.notebooks import execute, read

    with tempfile.TemporaryDirectory(prefix="aecourse-bench-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        nb = read(copy)
        n_cells = sum(cell.cell_type == "code" for cell in nb.cells)
        cpu_start = children_cpu_seconds()
        try:
            seconds, _ = timed(lambda: execute(nb, tmp, cell_timeout=timeout, env=CPU_ENV))
        except (CellExecutionError, CellTimeoutError, DeadKernelError, RuntimeError) as err:  # reported, not fatal
            message = str(err).strip().splitlines()
            status = f"failed: {type(err).__name__}: {message[-1] if message else ''}"[:100]
            return float("nan"), float("nan"), n_cells, status
    return seconds, children_cpu_seconds() - cpu_start, n_cells, "ok"


def display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


def main(argv=None) -> int:
    def extra(parser):
        parser.add_argument("notebooks", nargs="*", type=Path,
                            help="notebooks to time (default: all of notebooks/ and solutions/; with --quick, "
                                 "the first one)")
        parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")

    args = parse_args(__doc__.splitlines()[0], argv, extra=extra)
    import nbformat

    paths = args.notebooks or course_notebooks()[:1 if args.quick else None]
    for path in paths:
        if not path.is_file():
            raise SystemExit(f"notebook_times: {path}: no such notebook; pass paths to .ipynb files or none")

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.ipynb"
        nbformat.write(nbformat.v4.new_notebook(), empty)
        startup, startup_cpu, _, _ = run_copy(empty, args.timeout)
    rows = [["(empty notebook: kernel start-up)", startup, startup_cpu, 0, "ok", ""]]
    seconds, cpu = {}, {}
    for path in paths:
        name = display_name(path)
        seconds[name], cpu[name], n_cells, status = run_copy(path, args.timeout)
        met = verdict(seconds[name] <= PER_NOTEBOOK) if status == "ok" else ""
        rows.append([name, seconds[name], cpu[name], n_cells, status, met])
        print(f"{name}: {seconds[name]:.1f} s wall, {cpu[name]:.1f} s kernel CPU ({status})", flush=True)
    total, total_cpu = sum(seconds.values()), sum(cpu.values())
    failed = [name for name, s in seconds.items() if math.isnan(s)]
    rows.append([f"total ({len(paths)} notebooks)", total, total_cpu, sum(r[3] for r in rows[1:]),
                 "ok" if not failed else f"{len(failed)} failed", verdict(total <= WHOLE_COURSE) if not failed else ""])

    fig, (ax,) = new_figure(width=7, height=0.35 * len(seconds) + 1.5)
    names = list(seconds)
    ax.barh(range(len(names)), [seconds[n] for n in names], color="C0")
    ax.axvline(PER_NOTEBOOK, color="C3", linestyle="--", label=f"target {PER_NOTEBOOK:.0f} s per notebook")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set(xlabel="seconds (CPU, headless, including kernel start)",
           title=f"Notebook run times on {core_count()} cores (total {total:.0f} s)")
    ax.legend(loc="lower right")
    notes = [
        (f"Executed headless on the CPU with {core_count()} cores; seconds include the kernel start-up "
         f"({startup:.1f} s, first row). 'kernel CPU s' is the CPU time the kernel process used (user + system, "
         "all its threads): wall seconds on a shared machine also count the neighbours' work, CPU seconds do not "
         "(but a kernel using both cores can spend up to twice its wall time)."),
        (f"Targets: each notebook <= {PER_NOTEBOOK:.0f} s (column 'target'); whole course < {WHOLE_COURSE:.0f} s "
         f"({WHOLE_COURSE / 60:.0f} min): measured {total:.0f} s."),
    ]
    if failed:
        notes.append(f"Failed notebooks (see the status column): {', '.join(failed)}.")
    write_results("notebook_times", "Course run time: notebooks executed headless on the CPU",
                  ["notebook", "seconds", "kernel CPU s", "code cells", "status", "target"], rows, args.results_dir,
                  notes=notes, figure=fig, quick=args.quick)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
