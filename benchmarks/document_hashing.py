"""Semantic hashing on real documents: the docstrings of the installed scientific packages (lessons 06b).

`docstring_corpus()` (7 topics of 150 docstrings each, 1,000-word counts, 20 % of each topic held out as queries):
LSH, ITQ and the hashing autoencoder with the documents' recipe (`Recipe(neighbours=1, decoder_hidden=(256,))`,
100 epochs; the digits' default recipe collapses on sparse word counts), at 16 and 32 bits, several seeds.
Relevant = same topic. Metrics: precision@100 and mAP by Hamming ranking.
Target: the hashing AE ahead of ITQ (P@100 and mAP) at 16 and 32 bits. The texts change with the package
versions, so the figures are this machine's; the comparison is what the lesson states.
"""
from __future__ import annotations

import sys
from functools import partial

import numpy as np
from common import mean_spread, new_figure, parse_args, timed, verdict, write_results

METHODS = ("LSH", "ITQ", "hashing AE")
BITS = (16, 32)


def codes(method: str, n_bits: int, seed: int, data, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """(query bits, database bits) of one method, trained on the training documents only."""
    from aecourse.baselines import ITQ, LSH
    from aecourse.semantic_hashing import Recipe, encode_bits, train_hashing_autoencoder

    if method == "hashing AE":
        recipe = Recipe(neighbours=1, decoder_hidden=(256,))
        model, _ = train_hashing_autoencoder(data.x_train, n_bits, seed=seed, epochs=epochs, recipe=recipe)
        return encode_bits(model, data.x_test), encode_bits(model, data.x_train)
    hasher = {"LSH": LSH, "ITQ": ITQ}[method](n_bits, seed=seed).fit(data.x_train)
    return hasher.encode(data.x_test), hasher.encode(data.x_train)


def main(argv=None) -> int:
    def extra(parser):
        parser.add_argument("--seeds", type=int, default=3, help="seeds per method (default 3; 1 with --quick)")

    args = parse_args(__doc__.splitlines()[0], argv, extra=extra)
    from aecourse.corpus import docstring_corpus
    from aecourse.retrieval import mean_average_precision, precision_at_k

    data = docstring_corpus(per_topic=30 if args.quick else 150)
    seeds = range(1 if args.quick else args.seeds)
    epochs = 3 if args.quick else 100
    results = {}
    for n_bits in BITS:
        for method in METHODS:
            runs = {"P@100": [], "mAP": [], "seconds": []}
            for seed in seeds:
                seconds, (query, db) = timed(partial(codes, method, n_bits, seed, data, epochs))
                runs["P@100"].append(precision_at_k(query, db, data.y_test, data.y_train, k=100))
                runs["mAP"].append(mean_average_precision(query, db, data.y_test, data.y_train))
                runs["seconds"].append(seconds)
            results[n_bits, method] = runs
            print(f"{n_bits} bits, {method}: P@100 {np.mean(runs['P@100']):.3f}, mAP {np.mean(runs['mAP']):.3f}",
                  flush=True)

    def cell(values) -> str:
        mean, spread = mean_spread(values)
        return f"{mean:.3f} ± {spread:.3f}" if len(values) > 1 else f"{mean:.3f}"

    rows = [[n_bits, method, len(runs["P@100"]), cell(runs["P@100"]), cell(runs["mAP"]), np.mean(runs["seconds"])]
            for (n_bits, method), runs in results.items()]
    ahead = {n: all(np.mean(results[n, "hashing AE"][m]) > np.mean(results[n, "ITQ"][m]) for m in ("P@100", "mAP"))
             for n in BITS}
    notes = [
        (f"{data!r}; topics: {', '.join(data.topics)}. Seeds {list(seeds)} (cells: mean ± standard deviation). "
         f"Hashing AE: the documents' recipe, {epochs} epochs. Seconds: training plus encoding, mean per seed."),
        ("Target: hashing AE ahead of ITQ in P@100 and mAP at 16 and 32 bits: "
         + ", ".join(f"{n} bits {verdict(ok)}" for n, ok in ahead.items()) + "."),
    ]
    fig, axes = new_figure(2, width=4.2)
    for ax, metric in zip(axes, ("P@100", "mAP")):
        for method in METHODS:
            stats = [mean_spread(results[n, method][metric]) for n in BITS]
            ax.errorbar(BITS, [s[0] for s in stats], yerr=[s[1] for s in stats], marker="o", capsize=3, label=method)
        ax.set(xlabel="bits", title=metric, ylim=(0, 1), xticks=BITS)
    axes[0].legend(fontsize=8)
    write_results("document_hashing", "Semantic hashing on the docstrings of the installed packages",
                  ["bits", "method", "seeds", "P@100", "mAP", "seconds"], rows, args.results_dir, notes=notes,
                  figure=fig, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
