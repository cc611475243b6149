"""How good, how small and how fast a representation is (lessons 01 and 05).

- `reconstruction_error(x, x_hat)`: mean squared error, overall or per item; `explained_variance(x, x_hat)`.
- `knn_accuracy(...)`: classify each test code by a majority vote of its k nearest training codes (Euclidean).
- `bytes_per_item(codes)` and `nn_search_time(database, queries)`: what a reduction saves in memory and time.
"""
from __future__ import annotations

import time

import numpy as np

from .validation import as_numpy, check_choice, check_labels, check_positive_int


def reconstruction_error(x, x_hat, reduction: str = "mean") -> float | np.ndarray:
    """Squared error ||x - x_hat||^2 / d: one number (`reduction="mean"`) or one per item (`"per_item"`) (lesson 01)."""
    x = as_numpy(x, "x", dtype=np.float64)
    x_hat = as_numpy(x_hat, "x_hat", n_features=x.shape[1])
    check_choice(reduction, "reduction", ("mean", "per_item"))
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat: expected the shape of x {x.shape}, got {x_hat.shape}: reconstruct every item of x")
    per_item = ((x - x_hat) ** 2).mean(axis=1)
    return float(per_item.mean()) if reduction == "mean" else per_item


def explained_variance(x, x_hat) -> float:
    """R^2 = 1 - sum ||x - x_hat||^2 / sum ||x - mean(x)||^2: 1 for a perfect copy, 0 for predicting the mean
    (lesson 01)."""
    x = as_numpy(x, "x", dtype=np.float64)
    total = ((x - x.mean(axis=0)) ** 2).sum()
    if total == 0:
        raise ValueError("x: every item is identical, so there is no variance to explain: use at least two items")
    return 1.0 - reconstruction_error(x, x_hat) * x.size / total


def pairwise_sq_distances(a, b) -> np.ndarray:
    """||a_i - b_j||^2 for every pair, shape (len(a), len(b)), via ||a||^2 - 2 a.b + ||b||^2."""
    a = as_numpy(a, "a", dtype=np.float64)
    b = as_numpy(b, "b", dtype=np.float64, n_features=a.shape[1])
    d = (a ** 2).sum(1)[:, None] - 2 * a @ b.T + (b ** 2).sum(1)[None, :]
    return np.maximum(d, 0.0)


def knn_accuracy(codes_train, y_train, codes_test, y_test, k: int = 1) -> float:
    """Fraction of test items whose label is the majority label of their k nearest training codes (lesson 05).

    Ties between labels go to the smallest label (as np.argmax on the vote counts does).
    >>> knn_accuracy(pca.encode(x_train), y_train, pca.encode(x_test), y_test, k=1)
    """
    codes_train = as_numpy(codes_train, "codes_train")
    codes_test = as_numpy(codes_test, "codes_test", n_features=codes_train.shape[1])
    y_train = check_labels(y_train, "y_train", len(codes_train))
    y_test = check_labels(y_test, "y_test", len(codes_test))
    k = check_positive_int(k, "k")
    if k > len(codes_train):
        raise ValueError(f"k: expected at most the number of training items ({len(codes_train)}), got {k}")
    nearest = np.argsort(pairwise_sq_distances(codes_test, codes_train), axis=1, kind="stable")[:, :k]
    classes, y_index = np.unique(y_train, return_inverse=True)
    votes = np.zeros((len(codes_test), len(classes)), dtype=np.int64)
    np.add.at(votes, (np.repeat(np.arange(len(codes_test)), k), y_index[nearest].ravel()), 1)
    return float((classes[votes.argmax(axis=1)] == y_test).mean())


def bytes_per_item(x) -> int:
    """Memory one item takes: n_features * bytes per value (e.g. 64 float32 pixels = 256 bytes) (lesson 05)."""
    x = as_numpy(x, "x")
    return int(x.shape[1] * x.dtype.itemsize)


def nearest_item(database, queries) -> np.ndarray:
    """Index of the nearest database item (Euclidean) for each query, by a brute-force scan."""
    database = as_numpy(database, "database")
    queries = as_numpy(queries, "queries", n_features=database.shape[1])
    d = (database ** 2).sum(1)[None, :] - 2 * queries @ database.T  # ||q||^2 is the same for every candidate
    return d.argmin(axis=1)


def nn_search_time(database, queries, repeats: int = 5) -> float:
    """Seconds per query of a brute-force nearest-neighbour search (`nearest_item`), best of `repeats` (lesson 05).

    Wall-clock time: it varies between machines and runs, so lessons print it but never check it.
    """
    database = as_numpy(database, "database")
    queries = as_numpy(queries, "queries", n_features=database.shape[1])
    repeats = check_positive_int(repeats, "repeats")
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        nearest_item(database, queries)
        best = min(best, time.perf_counter() - start)
    return best / len(queries)
