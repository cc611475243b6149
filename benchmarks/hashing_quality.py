"""Semantic hashing quality on the digits: LSH, PCA sign, ITQ and the course's hashing autoencoder (lesson 06).

One split (`load_digits()`: the 300 test images are the queries, the 1,497 training images the database), codes of
8, 16, 32 and 64 bits, several seeds per method (mean and standard deviation; PCA sign has no randomness).
Every method trains without labels; an item is relevant to a query when it has the same digit. Metrics:
precision@100 and mAP by Hamming ranking, and precision within Hamming radius 2 (a query with nothing inside the
radius counts as precision 0; the share of queries that got any answer is shown too).
Target: the hashing AE ahead of ITQ (P@100 and mAP) at 16 and 32 bits.
"""
from __future__ import annotations

import sys
from functools import partial

import numpy as np
from common import mean_spread, new_figure, parse_args, timed, verdict, write_results

METHODS = ("LSH", "PCA sign", "ITQ", "hashing AE")
METRICS = ("P@100", "mAP", "P r<=2", "answered r<=2")
TARGET_BITS = (16, 32)


def codes(method: str, n_bits: int, seed: int, data, epochs: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(query bits, database bits) of one method, trained on the database (training) images only."""
    from aecourse.baselines import ITQ, LSH, PCASign
    from aecourse.semantic_hashing import encode_bits, train_hashing_autoencoder

    if method == "hashing AE":
        model, _ = train_hashing_autoencoder(data.x_train, n_bits, seed=seed, epochs=epochs)
        return encode_bits(model, data.x_test), encode_bits(model, data.x_train)
    hasher = {"LSH": lambda: LSH(n_bits, seed=seed), "PCA sign": lambda: PCASign(n_bits),
              "ITQ": lambda: ITQ(n_bits, seed=seed)}[method]().fit(data.x_train)
    return hasher.encode(data.x_test), hasher.encode(data.x_train)


def scores(query: np.ndarray, db: np.ndarray, data) -> tuple[float, float, float, float]:
    from aecourse.retrieval import mean_average_precision, precision_at_k, precision_recall_at_radius

    radius = precision_recall_at_radius(query, db, data.y_test, data.y_train, radius=2)
    return (precision_at_k(query, db, data.y_test, data.y_train, k=100),
            mean_average_precision(query, db, data.y_test, data.y_train), radius.precision, radius.answered)


def main(argv=None) -> int:
    def extra(parser):
        parser.add_argument("--seeds", type=int, default=3, help="seeds per method (default 3; 1 with --quick)")
        parser.add_argument("--epochs", type=int, default=None,
                            help="hashing AE epochs (default: the recipe's; 3 with --quick)")

    args = parse_args(__doc__.splitlines()[0], argv, extra=extra)
    from aecourse.data import load_digits
    from aecourse.retrieval import float_knn_precision_at_k

    data = load_digits()
    bits_list = (8, 16) if args.quick else (8, 16, 32, 64)
    seeds = range(1 if args.quick else args.seeds)
    epochs = args.epochs or (3 if args.quick else None)
    results = {}  # (bits, method) -> {metric: [value per seed]}, plus "seconds"
    for n_bits in bits_list:
        for method in METHODS:
            runs = {metric: [] for metric in (*METRICS, "seconds")}
            for seed in seeds if method != "PCA sign" else [0]:
                seconds, (query, db) = timed(partial(codes, method, n_bits, seed, data, epochs))
                for metric, value in zip(METRICS, scores(query, db, data)):
                    runs[metric].append(value)
                runs["seconds"].append(seconds)
            results[n_bits, method] = runs
            print(f"{n_bits} bits, {method}: P@100 {np.mean(runs['P@100']):.3f}, mAP {np.mean(runs['mAP']):.3f}",
                  flush=True)

    def cell(values) -> str:
        mean, spread = mean_spread(values)
        return f"{mean:.3f} ± {spread:.3f}" if len(values) > 1 else f"{mean:.3f}"

    rows = [[n_bits, method, len(runs["P@100"]), *[cell(runs[m]) for m in METRICS], np.mean(runs["seconds"])]
            for (n_bits, method), runs in results.items()]
    ahead = {n: all(np.mean(results[n, "hashing AE"][m]) > np.mean(results[n, "ITQ"][m]) for m in ("P@100", "mAP"))
             for n in TARGET_BITS if n in bits_list}
    knn = float_knn_precision_at_k(data.x_test, data.x_train, data.y_test, data.y_train, k=100)
    notes = [
        (f"Queries: 300 test images; database: 1,497 training images; seeds {list(seeds)} (cells: mean ± standard "
         "deviation over seeds). Hashing AE: `train_hashing_autoencoder(x_train, bits, seed=s)` with the default "
         f"recipe{f' but {epochs} epochs' if epochs else ''}; LSH `LSH(bits, seed=s)`, ITQ `ITQ(bits, seed=s)` "
         "(50 iterations), `PCASign(bits)`. Seconds: training plus encoding, mean per seed."),
        f"Ceiling for reference: Euclidean kNN on the raw pixels, P@100 = {knn:.3f}.",
        (f"Target: hashing AE ahead of ITQ in P@100 and mAP at {' and '.join(map(str, TARGET_BITS))} bits: "
         + ", ".join(f"{n} bits {verdict(ok)}" for n, ok in ahead.items()) + "."),
    ]

    fig, axes = new_figure(3, width=4.2)
    for ax, metric in zip(axes, METRICS[:3]):
        for method in METHODS:
            stats = [mean_spread(results[n, method][metric]) for n in bits_list]
            ax.errorbar(bits_list, [s[0] for s in stats], yerr=[s[1] for s in stats], marker="o", capsize=3,
                        label=method)
        ax.set_xscale("log", base=2)
        ax.set_xticks(bits_list, [str(n) for n in bits_list])
        ax.set(xlabel="bits", title=metric, ylim=(0, 1))
    axes[0].axhline(knn, color="grey", linestyle=":", label="float kNN")
    axes[0].legend(fontsize=8)
    write_results("hashing_quality", "Semantic hashing quality on the digits",
                  ["bits", "method", "seeds", *METRICS, "seconds"], rows, args.results_dir, notes=notes,
                  figure=fig, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
