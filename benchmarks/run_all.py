"""Run every benchmark, one fresh Python process each, and collect their tables into results/all.md.

    python benchmarks/run_all.py                 # the full numbers (several minutes on 2 cores)
    python benchmarks/run_all.py --quick         # small sizes: a smoke test of every script
    python benchmarks/run_all.py ae_vs_pca fit_overhead --results-dir /tmp/bench

A benchmark that fails is reported and the others still run; the exit status is 1 when any failed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from common import RESULTS_DIR, machine_line, markdown_table

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("notebook_times", "ae_vs_pca", "hashing_quality", "hashing_ablation", "document_hashing",
              "retrieval_speed", "fit_overhead", "threads", "grading_throughput", "check_time", "gpu_vs_cpu",
              "suite_time")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {BENCHMARKS})")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not numbers to quote")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=f"default {RESULTS_DIR}")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads for every benchmark")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}: choose from {list(BENCHMARKS)}")
    names = [name for name in BENCHMARKS if not args.names or name in args.names]

    options = ["--results-dir", str(args.results_dir)] + (["--quick"] if args.quick else [])
    options += [] if args.threads is None else ["--threads", str(args.threads)]
    rows, sections = [], []
    for name in names:
        script = HERE / f"{name}.py"
        if not script.is_file():
            print(f"== {name}: skipped, {script} is missing", flush=True)
            rows.append([name, "missing", 0.0])
            continue
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *options])
        seconds = time.perf_counter() - start
        table = args.results_dir / f"{name}.md"
        status = "ok" if code == 0 and table.is_file() else f"failed (exit status {code})"
        rows.append([name, status, seconds])
        if table.is_file() and code == 0:
            sections.append(table.read_text(encoding="utf-8"))

    summary = markdown_table(["benchmark", "status", "seconds"], rows)
    header = ["# Benchmark results", "", f"Machine: {machine_line()}.", "",
              f"Reproduce: `python benchmarks/run_all.py{' --quick' if args.quick else ''}`", "", summary, ""]
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "all.md").write_text("\n".join(header + sections), encoding="utf-8")
    print(summary)
    return 0 if all(row[1] == "ok" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
