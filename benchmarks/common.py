"""What every benchmark shares: its command line, a description of the machine, timing, and writing results.

Each benchmark script prints one Markdown table and writes `results/<name>.md` (the table, the machine it was
measured on and the targets) and `results/<name>.png` (a plot). Run one with `python benchmarks/<name>.py`,
all with `python benchmarks/run_all.py`; `--quick` uses small sizes (a smoke test, not numbers to quote).
"""
from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(description: str, argv: Sequence[str] | None = None,
               extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """The options every benchmark takes: --quick, --results-dir, --threads (and any `extra` adds)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not numbers to quote")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help=f"where to write <name>.md and <name>.png (default {RESULTS_DIR})")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's own choice, usually one per core)")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads: expected a positive integer, got {args.threads}")
        import torch
        torch.set_num_threads(args.threads)
    machine()  # note the machine (and its load) now, before the benchmark's own work
    return args


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def core_count() -> int:
    """Cores this process may run on (the affinity mask where the OS has one, else os.cpu_count())."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@functools.cache
def machine() -> dict[str, str]:
    """The facts a reader needs to compare numbers: CPU, cores, load, torch, device, Python, OS (noted once)."""
    import torch

    from aecourse.device import get_device

    device = get_device()
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    facts = {
        "CPU": cpu_model(),
        "cores": str(core_count()),
        "torch threads": str(torch.get_num_threads()),
        "torch": torch.__version__,
        "device": f"{device.type} ({gpu})" if gpu else device.type,
        "python": python_build(),
        "OS": f"{platform.system()} {platform.release()}",
    }
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        busy = " (busy: other work was running, timings are noisy)" if load > 0.5 * core_count() else ""
        facts["load (1 min) at start"] = f"{load:.1f}{busy}"
    return facts


def python_build() -> str:
    """The interpreter's version and where it is installed, e.g. "3.11.2 (/usr)": builds of one version differ in
    speed (here Debian's python3 runs pure Python about 20 % faster than a pyenv build, which links libpython as a
    shared library and is not built with --enable-optimizations)."""
    return f"{platform.python_version()} ({sys.base_prefix})"


def machine_line() -> str:
    return "; ".join(f"{key}: {value}" for key, value in machine().items())


def children_cpu_seconds() -> float:
    """CPU seconds used so far by this process's finished children (the kernels, once shut down)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result) of one call of fn()."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """(median seconds, all seconds) over `repeats` calls of fn(): the median resists a busy neighbour."""
    times = [timed(fn)[0] for _ in range(repeats)]
    return statistics.median(times), times


def mean_spread(values: Sequence[float]) -> tuple[float, float]:
    """(mean, sample standard deviation) of values; the spread is 0 for a single value."""
    values = list(values)
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def fmt(value, digits: int = 4) -> str:
    """A table cell: floats to `digits` significant digits, everything else with str()."""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A GitHub-flavoured Markdown table; numbers are right-aligned."""
    def numeric(cell) -> bool:
        return isinstance(cell, (int, float)) and not isinstance(cell, bool)

    cells = [[fmt(c) for c in row] for row in rows]
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"table row has {len(row)} cells, expected {len(columns)} ({list(columns)}): {row!r}")
    align = ["---:" if rows and all(numeric(r[i]) for r in rows) else "---" for i in range(len(columns))]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def write_results(name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence], results_dir: Path, *,
                  notes: Sequence[str] = (), figure=None, quick: bool = False) -> Path:
    """Print the table and write `<results_dir>/<name>.md` (title, machine, table, notes) and, when a matplotlib
    figure is given, `<name>.png`. Returns the path of the .md file."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    table = markdown_table(columns, rows)
    parts = [f"## {title}", ""]
    if quick:
        parts += ["**Quick mode (`--quick`): small sizes for a smoke test; do not quote these numbers.**", ""]
    command = f"python benchmarks/{name}.py{' --quick' if quick else ''}"
    parts += [f"Machine: {machine_line()}.", "", f"Reproduce: `{command}`", "", table, ""]
    parts += [f"- {note}" for note in notes]
    if figure is not None:
        png = results_dir / f"{name}.png"
        figure.savefig(png, dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt
        plt.close(figure)
        parts += ["", f"![{title}]({png.name})"]
    text = "\n".join(parts).rstrip() + "\n"
    path = results_dir / f"{name}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    print(text)
    return path


def new_figure(n_axes: int = 1, width: float = 5.0, height: float = 3.6):
    """A matplotlib figure with `n_axes` side-by-side axes, drawn off-screen (Agg)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, n_axes, figsize=(width * n_axes, height), squeeze=False)
    return fig, list(axes[0])


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"
