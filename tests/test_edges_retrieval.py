"""aecourse.retrieval at its edges: every ranking metric with many equal distances (20+ items per tie) against a
reference written with Python's stable `sorted`, radius lookups at their boundary, and the full error messages."""
import numpy as np
import pytest
import torch

from aecourse.retrieval import (
    average_precision,
    float_knn_precision_at_k,
    hamming_ranking,
    mean_average_precision,
    precision_at_k,
    precision_recall_at_radius,
)

N_BITS = 4


@pytest.fixture(scope="module")
def tied():
    """100 database codes of 4 bits (at most 5 distinct distances: each has 20+ items), labels in 3 classes."""
    rng = np.random.default_rng(0)
    db = rng.integers(0, 2, (100, N_BITS)).astype(np.uint8)
    queries = rng.integers(0, 2, (6, N_BITS)).astype(np.uint8)
    return queries, db, rng.integers(0, 3, 6), rng.integers(0, 3, 100)


def reference_ranking(queries, db):
    """Ids by (Hamming distance, id), with Python's sorted: the stable reference."""
    return [sorted(range(len(db)), key=lambda i: (int(np.sum(q != db[i])), i)) for q in queries]


def reference_ap(relevant):
    hits, total = 0, 0.0
    for rank, r in enumerate(relevant, start=1):
        if r:
            hits += 1
            total += hits / rank
    return total / hits if hits else float("nan")


def test_the_fixture_really_has_large_ties(tied):
    queries, db, _, _ = tied
    distances = (queries[:, None, :] != db[None, :, :]).sum(-1)
    assert max(np.bincount(row).max() for row in distances) >= 20


def test_hamming_ranking_with_large_ties(tied):
    queries, db, _, _ = tied
    np.testing.assert_array_equal(hamming_ranking(queries, db), reference_ranking(queries, db))
    np.testing.assert_array_equal(hamming_ranking(torch.as_tensor(queries), torch.as_tensor(db).bool()),
                                  reference_ranking(queries, db))


@pytest.mark.parametrize("k", [1, 7, 30, 55, 100])
def test_precision_at_k_with_large_ties(tied, k):
    queries, db, yq, ydb = tied
    expected = np.mean([[ydb[i] == yq[n] for i in ranking[:k]] for n, ranking in
                        enumerate(reference_ranking(queries, db))])
    assert precision_at_k(queries, db, yq, ydb, k=k) == pytest.approx(expected, abs=1e-12)


def test_map_with_large_ties(tied):
    queries, db, yq, ydb = tied
    aps = [reference_ap([ydb[i] == yq[n] for i in ranking]) for n, ranking in enumerate(reference_ranking(queries, db))]
    assert mean_average_precision(queries, db, yq, ydb) == pytest.approx(np.nanmean(aps), abs=1e-12)


def test_average_precision_against_the_definition():
    rng = np.random.default_rng(1)
    relevant = rng.random((5, 30)) < 0.3
    relevant[2] = False
    expected = [reference_ap(row) for row in relevant]
    np.testing.assert_allclose(average_precision(relevant), expected, rtol=1e-12)
    assert np.isnan(average_precision(relevant)[2])
    assert average_precision(np.array([[True, True, True]])).tolist() == [1.0]


def test_float_knn_with_large_ties():
    # 40 database points at distance 1 from the query (plus 20 at distance 2): labels decide by id order
    xq = np.zeros((1, 2))
    ring = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]] * 10)
    far = np.array([[2.0, 0.0]] * 20)
    xd = np.concatenate([far, ring])
    labels = np.r_[np.zeros(20, int), np.arange(40) % 5 == 0].astype(int)     # ring: 1 at ids 20, 25, 30, ...
    order = sorted(range(60), key=lambda i: (float(((xd[i] - xq[0]) ** 2).sum()), i))
    for k in (1, 5, 13, 40, 50):
        expected = np.mean([labels[i] == 1 for i in order[:k]])
        assert float_knn_precision_at_k(xq, xd, np.array([1]), labels, k=k) == pytest.approx(expected)
        assert float_knn_precision_at_k(torch.as_tensor(xq), torch.as_tensor(xd), np.array([1]), labels,
                                        k=k) == pytest.approx(expected)


def test_radius_includes_the_boundary_and_counts_silence_as_zero():
    db = np.array([[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]], dtype=np.uint8)
    q = np.array([[0, 0, 0, 0], [1, 1, 1, 0]], dtype=np.uint8)
    m = precision_recall_at_radius(q, db, np.array([0, 1]), np.array([0, 1, 1]), 1)
    # query 0 finds item 0 (relevant, 1 of 1); query 1 finds items 1 and 2 (both at distance 1, both relevant)
    assert m == (1.0, 1.0, 1.0, 1.0)
    m = precision_recall_at_radius(q, db, np.array([1, 0]), np.array([0, 1, 1]), 1)
    assert m.precision == 0.0 and m.recall == 0.0 and m.answered == 1.0 and m.precision_answered == 0.0
    m = precision_recall_at_radius(q[:1], db, np.array([1]), np.array([0, 1, 1]), 0)
    assert m.precision == 0.0 and m.answered == 1.0
    far = np.array([[0, 0, 1, 1]], dtype=np.uint8)
    m = precision_recall_at_radius(far, db[1:2], np.array([1]), np.array([1]), 3)
    assert m.answered == 0.0 and m.precision == 0.0 and np.isnan(m.precision_answered) and m.recall == 0.0
    m = precision_recall_at_radius(far, db[1:2], np.array([1]), np.array([1]), 4)
    assert m == (1.0, 1.0, 1.0, 1.0)
    m = precision_recall_at_radius(far, db[1:2], np.array([2]), np.array([1]), 4)
    assert np.isnan(m.recall) and m.precision == 0.0


def test_precision_at_radius_averages_over_queries_with_unequal_answers():
    db = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    q = np.array([[0, 0], [1, 1]], dtype=np.uint8)
    m = precision_recall_at_radius(q, db, np.array([0, 1]), np.array([0, 0, 1, 1]), 1)
    # query 0: items 0, 1, 2 (2 relevant of 3; recall 2/2); query 1: items 1, 2, 3 (2 of 3; recall 2/2)
    assert m.precision == pytest.approx(2 / 3) and m.recall == 1.0 and m.precision_answered == pytest.approx(2 / 3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: precision_at_k(np.zeros((1, 3), np.uint8), np.zeros((4, 3), np.uint8), np.zeros(1), "abcd", k=1),
     TypeError, "db_labels: expected a 1-D numpy array of labels, got str 'abcd'"),
    (lambda: precision_at_k(np.zeros((1, 3), np.uint8), np.zeros((4, 3), np.uint8), np.zeros(1), np.zeros(3)),
     ValueError, "db_labels: expected one label per item, shape (4,), got shape (3,): pass the labels of the same "
     "items, in the same order (one per row of the codes)"),
    (lambda: precision_at_k(np.zeros((1, 3), np.uint8), np.zeros((4, 3), np.uint8), np.zeros(2), np.zeros(4)),
     ValueError, "query_labels: expected one label per item, shape (1,), got shape (2,)..."),
    (lambda: precision_at_k(np.zeros((0, 3), np.uint8), np.zeros((4, 3), np.uint8), np.zeros(0), np.zeros(4)),
     ValueError, "expected at least one query and one database item, got 0 queries and 4 database items"),
    (lambda: precision_at_k(np.zeros((1, 3), np.uint8), np.zeros((0, 3), np.uint8), np.zeros(1), np.zeros(0)),
     ValueError, "expected at least one query and one database item, got 1 queries and 0 database items"),
    (lambda: precision_at_k(np.zeros((1, 3), np.uint8), np.zeros((4, 3), np.uint8), np.zeros(1), np.zeros(4), k=5),
     ValueError, "k: expected at most the database size 4, got 5"),
    (lambda: precision_at_k(np.zeros((1, 3), np.uint8), np.zeros((4, 3), np.uint8), np.zeros(1), np.zeros(4), k=0),
     ValueError, "k: expected an integer >= 1, got 0"),
    (lambda: float_knn_precision_at_k(np.zeros((1, 2)), np.zeros((4, 2)), np.zeros(1), np.zeros(4), k=5),
     ValueError, "k: expected at most the database size 4, got 5"),
    (lambda: float_knn_precision_at_k(np.zeros((1, 3)), np.zeros((4, 2)), np.zeros(1), np.zeros(4)),
     ValueError, "x_query: expected 2 features per sample, got 3..."),
    (lambda: float_knn_precision_at_k(np.zeros((1, 2)), np.zeros((4, 2)), np.zeros(1), np.zeros(5), k=1),
     ValueError, "db_labels: expected one label per item, shape (4,), got shape (5,)..."),
    (lambda: hamming_ranking(np.zeros((1, 2), np.uint8), np.zeros((4, 3), np.uint8)),
     ValueError, "query_bits: expected 3 bits per code, got 2..."),
    (lambda: precision_recall_at_radius(np.zeros((1, 3), np.uint8), np.zeros((4, 3), np.uint8), np.zeros(1),
                                        np.zeros(4), 4), ValueError, "radius: expected an integer in [0, 3]..."),
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_torch_and_list_labels_are_accepted():
    db = np.array([[0, 0], [1, 1]], dtype=np.uint8)
    assert precision_at_k(db, db, torch.tensor([0, 1]), torch.tensor([0, 1]), k=1) == 1.0
    assert precision_at_k(db, db, [0, 1], (0, 1), k=1) == 1.0


def test_float_knn_computes_in_float64_and_defaults_to_k_100():
    # float32 inputs far from the origin: ||q||^2 - 2 q.d + ||d||^2 in float32 loses the unit differences
    xq = np.array([[1e5, 0.0]], dtype=np.float32)
    xd = np.array([[1e5 + 3.0, 0.0], [1e5, 1.5]], dtype=np.float32)       # distances 9 and 2.25 (float32: 0, 0)
    labels = np.array([0, 1])
    assert float_knn_precision_at_k(xq, xd, np.array([1]), labels, k=1) == 1.0
    assert float_knn_precision_at_k(torch.as_tensor(xq), torch.as_tensor(xd), np.array([1]), labels, k=1) == 1.0
    db = np.random.default_rng(0).random((100, 2))
    labels = np.r_[np.ones(30, int), np.zeros(70, int)]
    assert float_knn_precision_at_k(db[:1], db, np.array([1]), labels) == pytest.approx(0.3)   # k = 100 = all
    bits = (db > 0.5).astype(np.uint8)
    assert precision_at_k(bits[:1], bits, np.array([1]), labels) == pytest.approx(0.3)


def test_average_precision_of_a_row_without_relevant_items_is_nan_without_a_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # numpy's "invalid value" warning would raise here
        ap = average_precision(np.array([[False, False, False], [False, True, False]]))
    assert np.isnan(ap[0]) and ap[1] == 0.5


def test_recall_leaves_out_queries_without_relevant_items_among_others():
    import warnings
    db = np.array([[0, 0], [0, 1], [1, 1]], dtype=np.uint8)
    q = np.array([[0, 0], [1, 1], [0, 1]], dtype=np.uint8)
    # query 0 (label 0): finds items 0, 1 at r = 1, relevant items 0, 1 -> recall 1; query 1 (label 5): no relevant
    # item; query 2 (label 1): finds all three, relevant item 2 -> recall 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = precision_recall_at_radius(q, db, np.array([0, 5, 1]), np.array([0, 0, 1]), 1)
        assert m.recall == 1.0 and m.answered == 1.0
        assert m.precision == pytest.approx((1.0 + 0.0 + 1 / 3) / 3)
        silent = precision_recall_at_radius(np.array([[1, 1]], np.uint8), db[:1], np.array([7]), np.array([0]), 0)
    assert np.isnan(silent.recall) and np.isnan(silent.precision_answered) and silent.precision == 0.0


@pytest.mark.parametrize("call, message", [
    (lambda: precision_at_k(np.zeros((1, 2), np.uint8), np.zeros((4, 3), np.uint8), np.zeros(1), np.zeros(4), k=1),
     "query_bits: expected 3 bits per code, got 2 (shape (1, 2)): queries and database must use codes of the same "
     "length"),
    (lambda: precision_at_k(np.zeros((1, 3), np.uint8), np.zeros((4, 3), np.float32), np.zeros(1), np.zeros(4), k=1),
     "db_bits: expected bits of dtype uint8 or bool, got floating-point codes (float32): turn them into bits first "
     "with binarize(db_bits)"),
    (lambda: hamming_ranking(np.zeros((1, 3), np.uint8), np.zeros((4, 3), np.float32)),
     "db_bits: expected bits of dtype uint8 or bool, got floating-point codes (float32): turn them into bits first "
     "with binarize(db_bits)"),
    (lambda: float_knn_precision_at_k(np.zeros((1, 2)), "db", np.zeros(1), np.zeros(4), k=1),
     "x_db: expected a numpy array or torch tensor, got str 'db'"),
    (lambda: float_knn_precision_at_k(np.zeros((1, 2)), np.zeros((4, 2)), np.zeros(2), np.zeros(4), k=1),
     "query_labels: expected one label per item, shape (1,), got shape (2,): pass the labels of the same items, in "
     "the same order (one per row of the codes)"),
])
def test_each_argument_is_named_in_its_message(call, message):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert str(info.value) == message
