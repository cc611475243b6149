"""How good are binary codes for retrieval? Rank the database by Hamming distance and count same-label items.

Protocol of the hashing literature: test items are the queries, training items the database, an item is
relevant to a query if it has the same label. Labels are used only here, for evaluation.

- precision@k: the fraction of relevant items among the k nearest in Hamming distance. Hamming distances
  tie a lot, so ties are broken by item id (a stable sort): the metric is deterministic.
- average precision: AP = (1/R) sum_{i: item at rank i relevant} precision@i, over the whole ranking (R relevant
  items in the database); mAP is its mean over the queries.
- precision/recall at radius r: what a hash-table lookup of radius r returns (no ranking).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .bits import hamming_distance
from .evaluation import pairwise_sq_distances
from .validation import as_numpy, check_bits, check_labels, check_positive_int, check_radius


def _check_codes(query_bits, db_bits, query_labels, db_labels):
    db_bits = check_bits(db_bits, "db_bits")
    query_bits = check_bits(query_bits, "query_bits", n_bits=db_bits.shape[1])
    if len(db_bits) == 0 or len(query_bits) == 0:
        raise ValueError(f"expected at least one query and one database item, got {len(query_bits)} queries "
                         f"and {len(db_bits)} database items")
    query_labels = check_labels(query_labels, "query_labels", len(query_bits))
    db_labels = check_labels(db_labels, "db_labels", len(db_bits))
    return query_bits, db_bits, query_labels, db_labels


def _check_k(k, n: int) -> int:
    k = check_positive_int(k, "k")
    if k > n:
        raise ValueError(f"k: expected at most the database size {n}, got {k}")
    return k


def _distances(query_bits: np.ndarray, db_bits: np.ndarray) -> np.ndarray:
    return hamming_distance(np.packbits(query_bits, axis=1), np.packbits(db_bits, axis=1))


def hamming_ranking(query_bits, db_bits) -> np.ndarray:
    """Database ids (nq, n) by increasing Hamming distance to each query, ties by increasing id."""
    db_bits = check_bits(db_bits, "db_bits")
    query_bits = check_bits(query_bits, "query_bits", n_bits=db_bits.shape[1])
    return np.argsort(_distances(query_bits, db_bits), axis=1, kind="stable")


def _relevance(ranking: np.ndarray, query_labels: np.ndarray, db_labels: np.ndarray) -> np.ndarray:
    return db_labels[ranking] == query_labels[:, None]


def precision_at_k(query_bits, db_bits, query_labels, db_labels, k: int = 100) -> float:
    """Mean over queries of the fraction of same-label items among the k nearest by Hamming distance (lesson 06b)."""
    query_bits, db_bits, query_labels, db_labels = _check_codes(query_bits, db_bits, query_labels, db_labels)
    k = _check_k(k, len(db_bits))
    ranking = hamming_ranking(query_bits, db_bits)[:, :k]
    return float(_relevance(ranking, query_labels, db_labels).mean())


def average_precision(relevant: np.ndarray) -> np.ndarray:
    """AP of each row of a (nq, n) boolean relevance matrix in rank order; NaN where a row has no relevant item."""
    hits = np.cumsum(relevant, axis=1)
    precision = hits / np.arange(1, relevant.shape[1] + 1)
    n_relevant = hits[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_relevant > 0, (precision * relevant).sum(axis=1) / n_relevant, np.nan)


def mean_average_precision(query_bits, db_bits, query_labels, db_labels) -> float:
    """Mean over queries of the average precision of the full Hamming ranking (ties by id) (lesson 06b).

    Queries with no same-label item in the database have no AP and are left out of the mean.
    """
    query_bits, db_bits, query_labels, db_labels = _check_codes(query_bits, db_bits, query_labels, db_labels)
    ap = average_precision(_relevance(hamming_ranking(query_bits, db_bits), query_labels, db_labels))
    if np.all(np.isnan(ap)):
        raise ValueError("no query has a same-label item in the database: check query_labels and db_labels")
    return float(np.nanmean(ap))


class RadiusMetrics(NamedTuple):
    """Retrieval quality of a Hamming-ball lookup of a given radius, averaged over queries.

    precision: same-label fraction of the items returned, a query that gets nothing counting as 0
    (the hashing literature's convention: silence is not rewarded). answered: fraction of queries that get
    at least one item. precision_answered: mean precision over the answered queries only (NaN if none).
    recall: fraction of the query's same-label database items returned (queries with none left out).
    """
    precision: float
    recall: float
    answered: float
    precision_answered: float


def precision_recall_at_radius(query_bits, db_bits, query_labels, db_labels, radius: int) -> RadiusMetrics:
    """Precision, recall and fraction answered of the lookup returning all items within Hamming `radius`
    (lesson 06b)."""
    query_bits, db_bits, query_labels, db_labels = _check_codes(query_bits, db_bits, query_labels, db_labels)
    radius = check_radius(radius, db_bits.shape[1])
    found = _distances(query_bits, db_bits) <= radius
    relevant = db_labels[None, :] == query_labels[:, None]
    n_found, n_hits, n_relevant = found.sum(axis=1), (found & relevant).sum(axis=1), relevant.sum(axis=1)
    answered = n_found > 0
    precision = np.where(answered, n_hits / np.maximum(n_found, 1), 0.0)
    recall = n_hits[n_relevant > 0] / n_relevant[n_relevant > 0]
    return RadiusMetrics(precision=float(precision.mean()),
                         recall=float(recall.mean()) if len(recall) else float("nan"),
                         answered=float(answered.mean()),
                         precision_answered=float(precision[answered].mean()) if answered.any() else float("nan"))


def float_knn_precision_at_k(x_query, x_db, query_labels, db_labels, k: int = 100) -> float:
    """precision@k of Euclidean k-nearest neighbours on the float vectors: the ceiling for binary codes (lesson 06b)."""
    xd = as_numpy(x_db, "x_db", dtype=np.float64)
    xq = as_numpy(x_query, "x_query", dtype=np.float64, n_features=xd.shape[1])
    query_labels = check_labels(query_labels, "query_labels", len(xq))
    db_labels = check_labels(db_labels, "db_labels", len(xd))
    k = _check_k(k, len(xd))
    ranking = np.argsort(pairwise_sq_distances(xq, xd), axis=1, kind="stable")[:, :k]
    return float(_relevance(ranking, query_labels, db_labels).mean())
