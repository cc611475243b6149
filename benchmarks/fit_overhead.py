"""Library overhead: the course's `fit` against a bare PyTorch loop on the same model, data and settings.

All variants train `make_autoencoder(64, [128], 8)` on the digits training set (1,497 x 64) with Adam, lr 3e-3,
batch 64, a fresh shuffle per epoch, for the same number of epochs, starting from the same weights. The bare loop
is what one would write by hand (forward, MSE, backward, step, `loss.item()` for the epoch's loss), with the
optimiser `fit` uses (`make_optimizer`: torch's fused Adam where it has one), so the comparison measures the
library and nothing else; a second bare loop calls the raw `nn.Sequential` encoder and decoder, skipping the
`Autoencoder`'s input checks, and a third uses `torch.optim.Adam`'s defaults (one step per parameter tensor), to
show what the fused step saves. Repeats are interleaved (A B C D A B C D ...) so a busy neighbour slows all variants
alike; the table gives medians of the wall time and of the process's CPU time (the steadier of the two on a shared
machine).
Target: `fit` within 10 % of the bare loop. Above that, the script profiles `fit` and lists where the time goes.
"""
from __future__ import annotations

import cProfile
import io
import math
import pstats
import statistics
import sys
import time

from common import new_figure, parse_args, timed, verdict, write_results

TARGET = 0.10
LR, BATCH = 3e-3, 64


def fresh_model():
    import torch

    from aecourse.models import make_autoencoder
    torch.manual_seed(0)
    return make_autoencoder(64, [128], 8)


def bare_loop(x, epochs: int, raw: bool = False, default_adam: bool = False) -> None:
    """The hand-written loop with `fit`'s optimiser; with raw=True, the encoder and decoder modules are called
    directly; with default_adam=True, the optimiser is `torch.optim.Adam` with its default implementation."""
    import torch

    from aecourse.training import make_optimizer
    model = fresh_model()
    forward = (lambda b: model.decoder(model.encoder(b))) if raw else model
    opt = torch.optim.Adam(model.parameters(), lr=LR) if default_adam else make_optimizer("adam", model, lr=LR)
    generator = torch.Generator().manual_seed(0)
    n = len(x)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, BATCH):
            batch = x[order[start:start + BATCH]]
            loss = ((forward(batch) - batch) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
    model.eval()


def course_fit(x, epochs: int, progress: bool) -> None:
    from aecourse.training import fit
    fit(fresh_model(), x, epochs=epochs, batch_size=BATCH, lr=LR, seed=0, device="cpu", progress=progress)


def profile_fit(x, epochs: int, top: int = 12) -> list[str]:
    """The functions where `fit` spends its own time (cProfile, sorted by tottime), as table-ready lines."""
    profiler = cProfile.Profile()
    profiler.enable()
    course_fit(x, epochs, progress=False)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    lines = [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return lines[start:start + top + 1]


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv,
                      extra=lambda p: p.add_argument("--profile", action="store_true",
                                                     help="profile fit even when it is within the target"))
    import torch

    from aecourse.data import load_digits

    x = torch.as_tensor(load_digits().x_train)
    epochs, repeats = (1, 2) if args.quick else (20, 7)
    variants = {
        "bare PyTorch loop": lambda: bare_loop(x, epochs),
        "bare loop, raw nn.Sequential (no input checks)": lambda: bare_loop(x, epochs, raw=True),
        "bare loop, torch.optim.Adam's default implementation": lambda: bare_loop(x, epochs, default_adam=True),
        "aecourse fit, progress bar off": lambda: course_fit(x, epochs, progress=False),
        "aecourse fit, progress bar on": lambda: course_fit(x, epochs, progress=True),
    }
    course_fit(x, 1, progress=False)  # warm up torch's kernels and allocator
    wall = {name: [] for name in variants}
    cpu = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            cpu_start = time.process_time()
            wall[name].append(timed(run)[0])
            cpu[name].append(time.process_time() - cpu_start)
    med_wall = {name: statistics.median(t) for name, t in wall.items()}
    med_cpu = {name: statistics.median(t) for name, t in cpu.items()}
    base = "bare PyTorch loop"
    steps = epochs * math.ceil(len(x) / BATCH)
    rows = [[name, med_wall[name], min(wall[name]), med_cpu[name], 1e6 * med_cpu[name] / steps,
             f"{med_wall[name] / med_wall[base] - 1:+.1%}", f"{med_cpu[name] / med_cpu[base] - 1:+.1%}"]
            for name in variants]

    fits = [name for name in variants if name.startswith("aecourse")]
    worst_cpu = max(med_cpu[name] / med_cpu[base] - 1 for name in fits)
    worst_wall = max(med_wall[name] / med_wall[base] - 1 for name in fits)
    notes = [(f"{epochs} epochs x {math.ceil(len(x) / BATCH)} steps, {repeats} interleaved repeats each, CPU, "
              f"{torch.get_num_threads()} torch thread(s). 'CPU s' is the process's CPU time (time.process_time), "
              "which a busy neighbour barely changes; wall seconds on a shared machine mostly measure the neighbours."),
             (f"Target: fit within {TARGET:.0%} of the bare loop: worst measured {worst_cpu:+.1%} in CPU time "
              f"({verdict(worst_cpu <= TARGET)}), {worst_wall:+.1%} in wall time ({verdict(worst_wall <= TARGET)}).")]
    if args.profile or (worst_cpu > TARGET and not args.quick):
        notes.append("Where `fit` spends its time (cProfile, top functions by own time):\n\n```\n"
                     + "\n".join(profile_fit(x, epochs)) + "\n```")

    fig, (ax,) = new_figure(width=7)
    names = list(variants)
    ax.barh([i - 0.2 for i in range(len(names))], [med_wall[n] for n in names], height=0.4, label="wall s",
            xerr=[[med_wall[n] - min(wall[n]) for n in names], [max(wall[n]) - med_wall[n] for n in names]])
    ax.barh([i + 0.2 for i in range(len(names))], [med_cpu[n] for n in names], height=0.4, label="CPU s")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set(xlabel=f"seconds for {epochs} epochs (median; wall bars: min-max)", title="fit vs a bare PyTorch loop")
    ax.legend()
    write_results("fit_overhead", "Library overhead: fit vs a bare PyTorch loop",
                  ["variant", "wall s", "min wall s", "CPU s", "CPU us / step", "vs bare (wall)", "vs bare (CPU)"],
                  rows, args.results_dir,
                  notes=notes, figure=fig, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
