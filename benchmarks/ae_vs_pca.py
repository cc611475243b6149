"""Undercomplete autoencoders against PCA on the digits: test MSE by latent size k (lesson 01).

For k in 2, 4, 8, 16, 32: PCA (the best linear rank-k reconstruction), a linear autoencoder trained with `fit`
and the course's nonlinear autoencoder `make_autoencoder(64, [128], k)`, each scored by the test MSE (mean over
the 300 held-out images and 64 pixels) with its training seconds.
Target: the nonlinear AE's test MSE at most 0.6x PCA's at k = 8.
"""
from __future__ import annotations

import sys
from functools import partial

from common import new_figure, parse_args, timed, verdict, write_results

TARGET_K, TARGET_RATIO = 8, 0.6


def train_and_score(model, data, epochs: int, lr: float) -> tuple[float, float]:
    """(test MSE, training seconds) of `model` trained with the course's `fit`."""
    from aecourse.training import fit, reconstruct
    seconds, _ = timed(lambda: fit(model, data.x_train, epochs=epochs, lr=lr, seed=0, progress=False))
    return float(((reconstruct(model, data.x_test) - data.x_test) ** 2).mean()), seconds


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    from aecourse.data import load_digits
    from aecourse.models import LinearAutoencoder, make_autoencoder
    from aecourse.pca import pca_baseline_mse
    from aecourse.training import fit

    data = load_digits()
    ks = (2, 8) if args.quick else (2, 4, 8, 16, 32)
    epochs = 2 if args.quick else 50
    fit(make_autoencoder(64, [128], 2), data.x_train[:256], epochs=1, progress=False)  # warm up torch
    rows, curves = [], {"PCA": [], "linear AE": [], "nonlinear AE": []}
    for k in ks:
        pca_s, pca_mse = timed(partial(pca_baseline_mse, data.x_train, data.x_test, k))
        lin_mse, lin_s = train_and_score(LinearAutoencoder(64, k), data, epochs, lr=1e-2)
        ae_mse, ae_s = train_and_score(make_autoencoder(64, [128], k), data, epochs, lr=3e-3)
        for key, value in zip(curves, (pca_mse, lin_mse, ae_mse)):
            curves[key].append(value)
        rows.append([k, pca_mse, lin_mse, ae_mse, ae_mse / pca_mse, pca_s, lin_s, ae_s])

    ratio = dict(zip(ks, curves["nonlinear AE"]))[TARGET_K] / dict(zip(ks, curves["PCA"]))[TARGET_K]
    fig, (ax,) = new_figure()
    for (label, values), marker in zip(curves.items(), "os^"):
        ax.plot(ks, values, marker=marker, label=label)
    ax.set_xscale("log", base=2)
    ax.set(yscale="log", xlabel="latent size k", ylabel="test MSE", title="Digits: AE vs PCA")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.legend()
    notes = [
        (f"Digits (sklearn, pixels / 16): 1,497 training and 300 test images; {epochs} epochs, batch 64, Adam, "
         "seed 0; linear AE `LinearAutoencoder(64, k)` lr 1e-2, nonlinear AE `make_autoencoder(64, [128], k)` "
         "(ReLU, sigmoid output) lr 3e-3. PCA seconds: SVD of the training set."),
        (f"Target: nonlinear AE test MSE <= {TARGET_RATIO}x PCA at k = {TARGET_K}: "
         f"measured {ratio:.2f}x, {verdict(ratio <= TARGET_RATIO)}."),
        ("The linear AE can at best match PCA (it learns the same subspace); with minibatch Adam it stays a little "
         "above it."),
    ]
    write_results("ae_vs_pca", "Undercomplete AE vs PCA on the digits (test MSE)",
                  ["k", "PCA MSE", "linear AE MSE", "nonlinear AE MSE", "AE / PCA", "PCA s", "linear AE s",
                   "nonlinear AE s"], rows, args.results_dir, notes=notes, figure=fig, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
