"""CPU threads under load: the widgets' and lessons' training with 1, 2 and torch's default number of threads,
on an idle machine and beside a competing process.

Each cell trains in a fresh process (so `torch.set_num_threads` applies from the start) with
OMP_NUM_THREADS / MKL_NUM_THREADS unset, so "default" is torch's own choice (one thread per core it may use).
The competing process is another job of the same kind: a torch loop of 256 x 256 matrix products with its own
default thread count, started before and stopped after the timed runs. Workloads, all on the CPU:

- hashing widget: `train_hashing_autoencoder(x_train, 16)`, the 06a widget's default run (60 epochs);
- lesson 01: `make_autoencoder(64, [128], 8)`, 30 epochs (the lesson's `train_ae`);
- lesson 04: the same 64-128-32 autoencoder with masking noise, 60 epochs (a DAE of the denoising widget).

Run on a 2-core machine (or pin one: `taskset -c 0,1 python benchmarks/threads.py`). The result decides the
library's default (`aecourse.device.configure_threads`). Tests assert no timings; this table is the evidence.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import core_count, new_figure, parse_args, write_results

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = {
    "hashing widget (16 bits, 60 epochs)": "hashing",
    "lesson 01 AE (k = 8, 30 epochs)": "ae",
    "lesson 04 DAE (masking, 60 epochs)": "dae",
}
COMPETITOR = """
import torch
a = torch.randn(256, 256)
while True:
    for _ in range(50):
        a = torch.tanh(a @ a)
"""


def work(name: str, epochs_scale: float) -> float:
    """Train workload `name` once in this process; return the seconds it took."""
    from aecourse.corruption import masking
    from aecourse.data import load_digits
    from aecourse.models import make_autoencoder
    from aecourse.semantic_hashing import train_hashing_autoencoder
    from aecourse.training import fit

    x = load_digits().x_train
    scale = lambda n: max(1, round(n * epochs_scale))   # noqa: E731
    start = time.perf_counter()
    if name == "hashing":
        train_hashing_autoencoder(x, 16, epochs=scale(60), seed=0)
    elif name == "ae":
        fit(make_autoencoder(64, [128], 8), x, epochs=scale(30), lr=3e-3, seed=0, progress=False)
    else:
        fit(make_autoencoder(64, [128], 32), x, epochs=scale(60), lr=3e-3, corrupt=masking(0.25), seed=0,
            progress=False)
    return time.perf_counter() - start


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["AECOURSE_DEVICE"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["AECOURSE_THREADS"] = "torch"          # leave torch's thread count alone; the worker sets it
    return env


def run_worker(workload: str, threads: str, epochs_scale: float) -> float:
    out = subprocess.run([sys.executable, __file__, "--worker", workload, threads, str(epochs_scale)],
                         env=environment(), check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure(settings, repeats: int, scale: float) -> dict[tuple[str, str, str], float]:
    """{(condition, workload label, threads): median seconds} for both conditions."""
    times = {}
    for condition in ("idle", "competing process"):
        competitor = None
        if condition != "idle":
            competitor = subprocess.Popen([sys.executable, "-c", COMPETITOR], env=environment())
            time.sleep(1.0)
        try:
            for label, workload in WORKLOADS.items():
                for threads in settings:
                    seconds = statistics.median(run_worker(workload, threads, scale) for _ in range(repeats))
                    times[condition, label, threads] = seconds
                    print(f"{condition}, {label}, {threads} threads: {seconds:.2f} s", file=sys.stderr, flush=True)
        finally:
            if competitor is not None:
                competitor.terminate()
                competitor.wait()
    return times


def main(argv=None) -> None:
    def options(parser):
        parser.add_argument("--repeats", type=int, default=2, help="runs per cell (the median is kept)")
        parser.add_argument("--json-out", type=Path, help="also save the raw times (JSON) here")
        parser.add_argument("--from-json", type=Path, help="write the table from times saved by --json-out")
    args = parse_args("CPU threads for the widgets' training, idle and under load", argv, extra=options)
    import torch
    default = str(torch.get_num_threads()) if args.threads is None else str(os.cpu_count())
    scale = 0.2 if args.quick else 1.0
    repeats = 1 if args.quick else max(1, args.repeats)
    settings = ["1", "2", "default"]
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        times = {tuple(key.split("|")): value for key, value in saved["times"].items()}
        default, cores, repeats = saved["default"], saved["cores"], saved["repeats"]
    else:
        times, cores = measure(settings, repeats, scale), core_count()
    if args.json_out:
        args.json_out.write_text(json.dumps({"default": default, "cores": cores, "repeats": repeats,
                                             "times": {"|".join(k): v for k, v in times.items()}}, indent=1))
    def cell(value):      # None: the run did not finish; a string: why there is no number
        return "did not finish" if value is None else value

    def number(value):
        return value if isinstance(value, float) else None

    rows = []
    for label in WORKLOADS:
        for threads in settings:
            idle, loaded = times["idle", label, threads], times["competing process", label, threads]
            rows.append([label, threads if threads != "default" else f"default ({default})", cell(idle),
                         cell(loaded), "-" if None in (number(idle), number(loaded)) else loaded / idle])
    finished = lambda c, label, t: number(times[c, label, t]) or float("inf")  # noqa: E731
    best_loaded = {label: min(settings, key=lambda t: finished("competing process", label, t)) for label in WORKLOADS}
    worst_idle_loss = max(times["idle", label, "1"] / min(finished("idle", label, t) for t in settings)
                          for label in WORKLOADS)
    fig, axes = new_figure(2, width=5.5)
    for ax, condition in zip(axes, ("idle", "competing process")):
        for i, threads in enumerate(settings):
            ax.bar([j + 0.27 * i for j in range(len(WORKLOADS))],
                   [number(times[condition, label, threads]) or 0 for label in WORKLOADS], width=0.27,
                   label=f"{threads} threads")
        ax.set_xticks([j + 0.27 for j in range(len(WORKLOADS))], ["hashing", "01 AE", "04 DAE"])
        ax.set(title=condition, ylabel="seconds")
        ax.legend(fontsize=8)
    saved_notes = saved.get("notes", []) if args.from_json else []
    path = write_results("threads", "Training time by torch CPU threads, idle and beside a competing process",
                  ["workload", "threads", "idle s", "competing s", "slowdown"], rows, args.results_dir,
                  figure=fig, quick=args.quick, notes=[
                      f"Cores this process may use: {cores}; median of {repeats} runs per cell, each in a "
                      "fresh process with OMP_NUM_THREADS unset. The competing process is a torch matrix-product "
                      "loop with its own default threads.",
                      f"Fastest beside the competing process: {best_loaded}.",
                      f"Idle, one thread costs at most x{worst_idle_loss:.2f} against the fastest setting.",
                      "Decision: the library runs CPU training on one thread by default "
                      "(`aecourse.device.configure_threads`; AECOURSE_THREADS=N or =torch to change it).",
                      *saved_notes])
    if args.from_json and "machine" in saved:       # the table describes where it was measured, not written
        text = path.read_text().splitlines()
        path.write_text("\n".join(f"Machine: {saved['machine']}." if line.startswith("Machine:") else line
                                  for line in text) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        import torch
        _, _, workload, threads, epochs_scale = sys.argv
        if threads != "default":
            torch.set_num_threads(int(threads))
        print(work(workload, float(epochs_scale)))
    else:
        main()
