"""The course's training runs on the GPU against the CPU (when a GPU is here; otherwise the CPU column only).

Workloads, each trained with `aecourse.training.fit` from the same seed on each device:
- the lesson-01 models on the digits (1,497 x 64, batch 64): `LinearAutoencoder(64, 8)` and
  `make_autoencoder(64, [128], 8)`, 50 epochs, as in benchmarks/ae_vs_pca.py;
- a larger MNIST-sized run (20,000 x 784 random pixels, batch 256): `make_autoencoder(784, [512, 128], 32)`, 5 epochs,
  where a GPU has enough work per step to pay off.
Each time is the median of a few runs after a warm-up on that device. Test MSE is shown to confirm both devices
train the same model equally well. No target: the numbers are recorded when a GPU machine is at hand.
"""
from __future__ import annotations

import statistics
import sys

from common import new_figure, parse_args, timed, write_results


def workloads(quick: bool):
    """(name, model factory, x_train, x_test, epochs, batch size, lr) for each training benchmark."""
    import numpy as np

    from aecourse.data import load_digits
    from aecourse.models import LinearAutoencoder, make_autoencoder

    digits = load_digits()
    n_big, epochs_digits, epochs_big = (1000, 2, 1) if quick else (20000, 50, 5)
    rng = np.random.default_rng(0)
    big = rng.random((n_big + 1000, 784), dtype=np.float32)
    return [
        ("digits, LinearAutoencoder(64, 8)", lambda: LinearAutoencoder(64, 8), digits.x_train, digits.x_test,
         epochs_digits, 64, 1e-2),
        ("digits, make_autoencoder(64, [128], 8)", lambda: make_autoencoder(64, [128], 8), digits.x_train,
         digits.x_test, epochs_digits, 64, 3e-3),
        (f"{n_big:,} x 784, make_autoencoder(784, [512, 128], 32)", lambda: make_autoencoder(784, [512, 128], 32),
         big[:n_big], big[n_big:], epochs_big, 256, 1e-3),
    ]


def run(factory, x_train, x_test, epochs: int, batch: int, lr: float, device, repeats: int) -> tuple[float, float]:
    """(median training seconds, test MSE) of `fit` on `device`."""
    import torch

    from aecourse.training import fit, reconstruct

    def once():
        torch.manual_seed(0)
        model = factory()
        fit(model, x_train, epochs=epochs, batch_size=batch, lr=lr, seed=0, device=device, progress=False)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return model

    fit(factory(), x_train[:batch * 2], epochs=1, batch_size=batch, device=device, progress=False)  # warm-up
    times, model = [], None
    for _ in range(repeats):
        seconds, model = timed(once)
        times.append(seconds)
    return statistics.median(times), float(((reconstruct(model, x_test) - x_test) ** 2).mean())


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    import torch

    from aecourse.device import get_device

    accelerator = get_device()
    devices = [torch.device("cpu")]
    if accelerator.type == "cpu":
        print("no GPU here: torch sees no CUDA or MPS device, so only the CPU column is measured; rerun this "
              "script on a machine with a GPU to fill in the GPU column", flush=True)
    else:
        devices.append(accelerator)
    repeats = 1 if args.quick else 3
    columns = ["workload", "epochs", "batch"]
    for device in devices:
        columns += [f"{device.type} s", f"{device.type} test MSE"]
    if len(devices) > 1:
        columns.append("speed-up")
    rows, seconds = [], {d.type: [] for d in devices}
    names = []
    for name, factory, x_train, x_test, epochs, batch, lr in workloads(args.quick):
        row = [name, epochs, batch]
        for device in devices:
            s, mse = run(factory, x_train, x_test, epochs, batch, lr, device, repeats)
            seconds[device.type].append(s)
            row += [s, mse]
        if len(devices) > 1:
            row.append(f"{row[3] / row[5]:.1f}x")
        rows.append(row)
        names.append(name)

    fig, (ax,) = new_figure(width=7)
    width = 0.8 / len(devices)
    for i, device in enumerate(devices):
        ax.barh([j + i * width for j in range(len(names))], seconds[device.type], height=width, label=device.type)
    ax.set_yticks([j + width * (len(devices) - 1) / 2 for j in range(len(names))], names)
    ax.invert_yaxis()
    ax.set(xscale="log", xlabel="training seconds (median)", title="Training time by device")
    ax.legend()
    gpu = (f"GPU: {torch.cuda.get_device_name(accelerator)}" if accelerator.type == "cuda" else
           "GPU: Apple MPS" if accelerator.type == "mps" else "no GPU on this machine: CPU column only")
    notes = [gpu + ".", f"Median of {repeats} run(s) per cell after a warm-up; same seed and model on each device."]
    write_results("gpu_vs_cpu", "Training time: GPU vs CPU", columns, rows, args.results_dir, notes=notes,
                  figure=fig, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
