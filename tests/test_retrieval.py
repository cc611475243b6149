"""Retrieval metrics on hand-worked examples, their conventions, and bad input."""
import numpy as np
import pytest
import torch

from aecourse.retrieval import (
    RadiusMetrics,
    average_precision,
    float_knn_precision_at_k,
    hamming_ranking,
    mean_average_precision,
    precision_at_k,
    precision_recall_at_radius,
)

# four 3-bit database codes with labels, worked by hand below
DB = np.array([[0, 0, 0], [0, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=np.uint8)
DB_LABELS = np.array([0, 0, 1, 1])
# query [0, 1, 0], label 1: distances to the database (1, 2, 2, 1); ranking by distance then id: 0, 3, 1, 2;
# relevance in rank order: 0, 1, 0, 1.
Q = np.array([[0, 1, 0]], dtype=np.uint8)
Q_LABELS = np.array([1])


def test_hamming_ranking_breaks_ties_by_id():
    np.testing.assert_array_equal(hamming_ranking(Q, DB), [[0, 3, 1, 2]])
    # 60 items at only 4 distinct distances (numpy's default sort is not stable beyond 16 items)
    rng = np.random.default_rng(0)
    db = rng.integers(0, 2, (60, 3)).astype(np.uint8)
    q = np.zeros((1, 3), np.uint8)
    reference = sorted(range(60), key=lambda i: (int(db[i].sum()), i))
    np.testing.assert_array_equal(hamming_ranking(q, db), [reference])


def test_precision_at_k_hand_worked():
    assert precision_at_k(Q, DB, Q_LABELS, DB_LABELS, k=1) == 0.0
    assert precision_at_k(Q, DB, Q_LABELS, DB_LABELS, k=2) == 0.5
    assert precision_at_k(Q, DB, Q_LABELS, DB_LABELS, k=3) == pytest.approx(1 / 3)
    # two queries: [0, 0, 0] (label 0) ranks 0, 1, 3, 2: its first two are relevant
    queries = np.array([[0, 1, 0], [0, 0, 0]], dtype=np.uint8)
    assert precision_at_k(queries, DB, np.array([1, 0]), DB_LABELS, k=2) == pytest.approx((0.5 + 1.0) / 2)


def test_average_precision_hand_worked():
    # relevant at ranks 2 and 4: AP = (1/2 + 2/4) / 2 = 0.5
    assert mean_average_precision(Q, DB, Q_LABELS, DB_LABELS) == pytest.approx(0.5)
    queries = np.array([[0, 1, 0], [0, 0, 0]], dtype=np.uint8)
    assert mean_average_precision(queries, DB, np.array([1, 0]), DB_LABELS) == pytest.approx((0.5 + 1.0) / 2)
    ap = average_precision(np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1]], dtype=bool))
    np.testing.assert_allclose(ap, [(1 + 2 / 3) / 2, np.nan, 1 / 4])


def test_queries_without_relevant_items_are_left_out_of_map():
    queries = np.array([[0, 1, 0], [0, 0, 0]], dtype=np.uint8)
    assert mean_average_precision(queries, DB, np.array([1, 7]), DB_LABELS) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no query has a same-label item"):
        mean_average_precision(Q, DB, np.array([7]), DB_LABELS)


def test_precision_recall_at_radius_hand_worked():
    # radius 1 returns items 0 and 3; item 3 is relevant (of 2 relevant items: 2, 3)
    assert precision_recall_at_radius(Q, DB, Q_LABELS, DB_LABELS, 1) == RadiusMetrics(0.5, 0.5, 1.0, 0.5)
    # radius 3 returns everything: precision 2/4, recall 1
    assert precision_recall_at_radius(Q, DB, Q_LABELS, DB_LABELS, 3) == RadiusMetrics(0.5, 1.0, 1.0, 0.5)


def test_unanswered_queries_count_as_zero_precision():
    # query [0, 1, 0] finds nothing at radius 0; query [1, 1, 1] (label 1) finds item 2, relevant
    queries = np.array([[0, 1, 0], [1, 1, 1]], dtype=np.uint8)
    got = precision_recall_at_radius(queries, DB, np.array([1, 1]), DB_LABELS, 0)
    assert got.answered == 0.5
    assert got.precision == pytest.approx((0 + 1) / 2)       # the silent query counts 0
    assert got.precision_answered == 1.0                     # ... or is left out
    assert got.recall == pytest.approx((0 + 0.5) / 2)
    nothing = precision_recall_at_radius(Q, DB, Q_LABELS, DB_LABELS, 0)
    assert nothing.precision == 0.0 and nothing.answered == 0.0 and np.isnan(nothing.precision_answered)


def test_precision_falls_and_recall_rises_with_radius():
    rng = np.random.default_rng(0)
    centres = rng.integers(0, 2, (4, 16), dtype=np.uint8)
    labels = rng.integers(0, 4, 300)
    codes = centres[labels] ^ (rng.random((300, 16)) < 0.1).astype(np.uint8)
    metrics = [precision_recall_at_radius(codes[:50], codes[50:], labels[:50], labels[50:], r) for r in range(17)]
    recall = [m.recall for m in metrics]
    assert np.all(np.diff(recall) >= 0) and recall[-1] == 1.0
    assert metrics[3].precision > 0.9 > metrics[16].precision


def test_float_knn_precision_hand_worked():
    x_db = np.array([[0.0], [1.0], [2.0], [10.0]], dtype=np.float32)
    x_query = np.array([[0.4], [9.0]], dtype=np.float32)
    labels = np.array([0, 1, 0, 1])
    # query 0.4: nearest 0 (label 0), 1 (label 1); query 9: nearest 10 (1), 2 (0)
    got = float_knn_precision_at_k(x_query, x_db, np.array([0, 1]), labels, k=2)
    assert got == pytest.approx((0.5 + 0.5) / 2)
    assert float_knn_precision_at_k(torch.tensor(x_query), torch.tensor(x_db), np.array([0, 1]), labels, k=1) == 1.0


def test_bad_input():
    with pytest.raises(TypeError, match="binarize"):
        precision_at_k(Q.astype(np.float32), DB, Q_LABELS, DB_LABELS, k=1)
    with pytest.raises(ValueError, match="expected 3 bits per code, got 4"):
        precision_at_k(np.zeros((1, 4), np.uint8), DB, Q_LABELS, DB_LABELS, k=1)
    with pytest.raises(ValueError, match=r"one label per item, shape \(4,\)"):
        mean_average_precision(Q, DB, Q_LABELS, DB_LABELS[:3])
    with pytest.raises(ValueError, match="at most the database size 4"):
        precision_at_k(Q, DB, Q_LABELS, DB_LABELS, k=5)
    with pytest.raises(ValueError, match=r"radius: expected an integer in \[0, 3\]"):
        precision_recall_at_radius(Q, DB, Q_LABELS, DB_LABELS, 4)
    with pytest.raises(ValueError, match="at least one query"):
        precision_at_k(Q[:0], DB, Q_LABELS[:0], DB_LABELS, k=1)
    with pytest.raises(ValueError, match="features"):
        float_knn_precision_at_k(np.zeros((1, 2), np.float32), np.zeros((4, 3), np.float32), Q_LABELS, DB_LABELS)
    with pytest.raises(TypeError, match="labels"):
        precision_at_k(Q, DB, None, DB_LABELS, k=1)
    # a list of labels is read as an array
    assert precision_at_k(Q, DB, list(Q_LABELS), DB_LABELS, k=1) == precision_at_k(Q, DB, Q_LABELS, DB_LABELS, k=1)
