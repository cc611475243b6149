"""The time of `make test`: the whole suite as the Makefile runs it, then its parts one at a time, wall and CPU.

`make test` runs every test on pytest-xdist workers (TEST_JOBS, 2 by default), so on a machine of C cores it can
finish no sooner than its CPU seconds / C: the parts show where those CPU seconds go. Each part is one pytest run on
its own, with nothing else running; its CPU is the whole machine's busy time while it runs (/proc/stat), so that
it counts everything the tests start, the sandboxed kernels of the grader included, which getrusage misses (they
are killed with their sandbox, never waited for). Run it on an otherwise idle machine: the load at the start is
noted. Parts whose tools are missing skip, and say so in the table.
Target (issue 13): `make test` under 5 minutes on 2 cores, with nothing less checked.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import children_cpu_seconds, core_count, new_figure, parse_args, verdict, write_results

ROOT = Path(__file__).resolve().parent.parent
TARGET = 300.0
MAKE_TEST = ["-n", "2", "--dist", "loadfile", "--no-loadscope-reorder"]   # the Makefile's `make test`, TEST_JOBS=2
GROUPS = {
    "lessons (nbval)": ["notebooks"],
    "solutions (nbval)": ["solutions"],
    "browser": ["tests/browser"],
    "hub": ["tests/hub"],
    "grading": ["tests/test_grading.py", "tests/test_grading_remote.py", "tests/test_nbgrader_compat.py"],
    "notebook tools": ["tests/test_notebooks.py", "tests/test_cli.py"],
    "lessons' claims": sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_lesson0*.py"))
    + ["tests/test_edges_claims.py", "tests/test_hashing_widget.py"],
}
QUICK = ["tests/test_layout.py"]   # --quick: one file, for the whole and as the only part


def parts(quick: bool) -> dict[str, list[str]]:
    """Each part's pytest arguments; the last, the library, is every test file the others leave out."""
    if quick:
        return {"library (quick: one file)": QUICK}
    others = [path for paths in GROUPS.values() for path in paths if path.startswith("tests/")]
    return {**GROUPS, "library and the rest": ["tests"] + [f"--ignore={path}" for path in others]}


def busy_cpu_seconds() -> float:
    """CPU seconds the machine has spent busy since it started (Linux), else this process's waited-for children."""
    try:
        ticks = [int(field) for field in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")   # all but idle and iowait
    except (OSError, ValueError, IndexError):
        return children_cpu_seconds()


def run_pytest(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, pytest's summary line) of `python -m pytest -q ARGS` in the repository."""
    cpu, start = busy_cpu_seconds(), time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT,
                            capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, busy_cpu_seconds() - cpu
    lines = [line for line in result.stdout.splitlines() if re.search(r"\d+ (passed|failed|skipped|error)", line)]
    summary = lines[-1].strip("= ") if lines else f"pytest exited with {result.returncode}"
    if result.returncode not in (0, 5):    # 5: nothing collected
        raise SystemExit(f"pytest {' '.join(args)} failed ({summary}):\n{result.stdout[-3000:]}")
    return wall, cpu, re.sub(r" in [\d.]+s.*$", "", summary)


def figure(rows: list[list], cores: int):
    """Each part's CPU and wall seconds side by side; the title gives the whole suite's."""
    fig, (ax,) = new_figure(width=7)
    parts = rows[1:][::-1]
    y = np.arange(len(parts))
    ax.barh(y + 0.2, [row[3] for row in parts], height=0.4, color="tab:blue", label="CPU s")
    ax.barh(y - 0.2, [row[2] for row in parts], height=0.4, color="tab:orange", label="wall s")
    ax.set_yticks(y, [row[0] for row in parts])
    ax.set_xlabel("seconds, each part run on its own")
    ax.set_title(f"make test: {rows[0][2]:.0f} s wall, {rows[0][3]:.0f} CPU s on {cores} cores")
    ax.legend()
    return fig


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    whole_wall, whole_cpu, whole_summary = run_pytest(MAKE_TEST + (QUICK if args.quick else []))
    rows = [["make test (2 workers)", whole_summary, whole_wall, whole_cpu, 1.0]]
    for name, part_args in parts(args.quick).items():
        wall, cpu, summary = run_pytest(part_args)
        rows.append([name, summary, wall, cpu, cpu / whole_cpu])
    part_cpu = sum(row[3] for row in rows[1:])
    cores = core_count()
    target = (f"Target: make test under {TARGET:.0f} s on 2 cores: measured {whole_wall:.0f} s on {cores} cores: "
              f"{verdict(whole_wall < TARGET)}." if not args.quick else
              f"Target: make test under {TARGET:.0f} s on 2 cores: measured only by the full run (quick mode runs one "
              "file).")
    notes = [target,
             f"Its CPU, {whole_cpu:.0f} s, allows no less than {whole_cpu / cores:.0f} s on {cores} cores; the "
             f"parts, run one at a time, used {part_cpu:.0f} CPU seconds.",
             "Every kernel started imports torch (about 2 CPU seconds); one that trains a model also imports "
             "torch._dynamo, which torch.optim needs (about 1.4 s more)."]
    write_results("suite_time", "The time of `make test`, and where its CPU goes",
                  ["part", "tests", "wall s", "CPU s", "share of make test's CPU"], rows, args.results_dir,
                  notes=notes, figure=figure(rows, cores), quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
