"""aecourse.evaluation at its edges: kNN with 20+ equally distant neighbours against a stable reference, vote ties
going to the smallest label, the formulas of the errors on hand-worked numbers, and the full error messages."""
import numpy as np
import pytest
import torch

from aecourse.evaluation import (
    bytes_per_item,
    explained_variance,
    knn_accuracy,
    nearest_item,
    nn_search_time,
    pairwise_sq_distances,
    reconstruction_error,
)


def reference_knn(train, y_train, test, k):
    """Majority label of the k nearest by (distance, id), with Python's stable sorted; vote ties to the smallest."""
    predictions = []
    for q in test:
        order = sorted(range(len(train)), key=lambda i: (float(((train[i] - q) ** 2).sum()), i))[:k]
        votes = {}
        for i in order:
            votes[y_train[i]] = votes.get(y_train[i], 0) + 1
        predictions.append(min(votes, key=lambda label: (-votes[label], label)))
    return np.array(predictions)


def test_knn_with_large_ties_follows_item_order():
    # 10 codes with label 2, then 30 at one point (labels 0 for the first 5 of them, then 1), interleaved with
    # 10 more label-2 codes far away
    train = np.r_[np.full((10, 2), 3.0), np.zeros((30, 2)), np.full((10, 2), 9.0)]
    y_train = np.r_[np.full(10, 2), np.zeros(5, int), np.ones(25, int), np.full(10, 2)]
    test = np.array([[0.1, 0.0], [0.0, -0.2], [3.0, 2.9]])
    for k in (1, 3, 5, 11, 35, 45):
        expected = reference_knn(train, y_train, test, k)
        for y_test in (expected, np.zeros(3, int), np.ones(3, int)):
            assert knn_accuracy(train, y_train, test, y_test, k=k) == pytest.approx(np.mean(expected == y_test))
    assert knn_accuracy(train, y_train, test, np.array([0, 0, 2]), k=3) == 1.0     # the first ids win the tie


def test_knn_random_codes_with_repeats_against_the_reference():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 2, (60, 3)).astype(np.float64)        # 8 distinct points: ties everywhere
    y_train = rng.integers(0, 4, 60)
    test = rng.integers(0, 2, (10, 3)).astype(np.float64)
    for k in (1, 2, 4, 9, 25):
        expected = reference_knn(train, y_train, test, k)
        assert knn_accuracy(train, y_train, test, expected, k=k) == 1.0


def test_knn_vote_ties_go_to_the_smallest_label():
    train = np.array([[0.0], [1.0], [5.0]])
    assert knn_accuracy(train, np.array([7, 3, 3]), np.array([[0.4]]), np.array([3]), k=2) == 1.0
    assert knn_accuracy(train, np.array([3, 7, 3]), np.array([[0.6]]), np.array([3]), k=2) == 1.0
    assert knn_accuracy(train, np.array(["b", "a", "a"]), np.array([[0.4]]), np.array(["a"]), k=2) == 1.0
    assert knn_accuracy(torch.as_tensor(train), torch.tensor([7, 3, 3]), torch.tensor([[0.4]]), torch.tensor([3]),
                        k=2) == 1.0


def test_errors_on_hand_worked_numbers():
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    x_hat = np.array([[1.0, 0.0], [2.0, 5.0]])
    assert reconstruction_error(x, x_hat) == pytest.approx((4 / 2 + 1 / 2) / 2)
    np.testing.assert_allclose(reconstruction_error(x, x_hat, reduction="per_item"), [2.0, 0.5])
    # total variance about the mean: (1 + 1) + (2.25 + 2.25) = 6.5; residual 5
    assert explained_variance(x, x_hat) == pytest.approx(1 - 5 / 6.5)
    assert explained_variance(x, x) == 1.0
    assert explained_variance(x, np.repeat(x.mean(0, keepdims=True), 2, axis=0)) == pytest.approx(0.0)
    assert reconstruction_error(torch.as_tensor(x), torch.as_tensor(x_hat)) == pytest.approx(1.25)


def test_distances_are_clipped_at_zero_and_exact_on_integers():
    a = np.array([[1e8, 1.0], [0.0, 0.0]])
    d = pairwise_sq_distances(a, a)
    assert (d >= 0).all() and d[1, 1] == 0.0 and d[0, 1] == pytest.approx(1e16 + 1)
    b = np.array([[0.0, 3.0], [4.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(pairwise_sq_distances(b, b[:2]), [[0, 25], [25, 0], [5, 10]])
    assert pairwise_sq_distances(torch.as_tensor(b), b).shape == (3, 3)


def test_nearest_item_and_memory():
    db = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 4.0]], dtype=np.float32)
    q = np.array([[9.0, 1.0], [0.0, 3.0], [-1.0, -1.0]], dtype=np.float32)
    np.testing.assert_array_equal(nearest_item(db, q), [1, 2, 0])
    assert bytes_per_item(db) == 8 and bytes_per_item(db.astype(np.float64)) == 16
    assert bytes_per_item(torch.zeros(3, 5, dtype=torch.float16)) == 10
    assert 0 < nn_search_time(db, q, repeats=1) < 1.0


@pytest.mark.parametrize("call, error, message", [
    (lambda: reconstruction_error(np.ones((2, 2)), np.ones((3, 2))), ValueError,
     "x_hat: expected the shape of x (2, 2), got (3, 2): reconstruct every item of x"),
    (lambda: reconstruction_error(np.ones((2, 2)), np.ones((2, 2)), reduction="sum"), ValueError,
     "reduction: expected one of ['mean', 'per_item'], got 'sum'"),
    (lambda: explained_variance(np.ones((3, 2)), np.ones((3, 2))), ValueError,
     "x: every item is identical, so there is no variance to explain: use at least two items"),
    (lambda: knn_accuracy(np.ones((3, 2)), np.zeros(3), np.ones((1, 2)), np.zeros(1), k=4), ValueError,
     "k: expected at most the number of training items (3), got 4"),
    (lambda: knn_accuracy(np.ones((3, 2)), np.zeros(2), np.ones((1, 2)), np.zeros(1)), ValueError,
     "y_train: expected one label per item, shape (3,), got shape (2,): pass the labels of the same items, in the "
     "same order (one per row of the codes)"),
    (lambda: knn_accuracy(np.ones((3, 2)), np.zeros(3), np.ones((1, 2)), np.zeros((1, 1))), ValueError,
     "y_test: expected one label per item, shape (1,), got shape (1, 1)..."),
    (lambda: knn_accuracy(np.ones((3, 2)), np.zeros(3), np.ones((1, 3)), np.zeros(1)), ValueError,
     "codes_test: expected 2 features per sample, got 3..."),
    (lambda: knn_accuracy(np.ones((3, 2)), np.zeros(3), np.ones((1, 2)), np.zeros(1), k=0), ValueError,
     "k: expected an integer >= 1, got 0"),
    (lambda: pairwise_sq_distances(np.ones((3, 2)), np.ones((1, 3))), ValueError, "b: expected 2 features..."),
    (lambda: nearest_item(np.ones((3, 2)), np.ones((1, 3))), ValueError, "queries: expected 2 features..."),
    (lambda: nn_search_time(np.ones((3, 2)), np.ones((1, 2)), repeats=0), ValueError,
     "repeats: expected an integer >= 1, got 0"),
    (lambda: bytes_per_item(np.ones(3)), ValueError, "x: expected a 2-D array..."),
    (lambda: reconstruction_error(np.ones(3), np.ones((3, 1))), ValueError, "x: expected a 2-D array..."),
    (lambda: reconstruction_error(np.ones((2, 2)), np.ones((2, 3))), ValueError, "x_hat: expected 2 features..."),
    (lambda: explained_variance(np.ones(3), np.ones(3)), ValueError, "x: expected a 2-D array..."),
    (lambda: knn_accuracy(np.ones(3), np.zeros(3), np.ones((1, 2)), np.zeros(1)), ValueError,
     "codes_train: expected a 2-D array..."),
    (lambda: pairwise_sq_distances(np.ones(3), np.ones((1, 3))), ValueError, "a: expected a 2-D array..."),
    (lambda: nearest_item(np.ones(3), np.ones((1, 3))), ValueError, "database: expected a 2-D array..."),
    (lambda: nn_search_time(np.ones(3), np.ones((1, 3))), ValueError, "database: expected a 2-D array..."),
    (lambda: nn_search_time(np.ones((3, 2)), np.ones((1, 3))), ValueError, "queries: expected 2 features..."),
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_float32_inputs_are_computed_in_float64():
    # values far from their mean: a float32 total variance would lose digits of the small spread
    rng = np.random.default_rng(0)
    x = (1e4 + rng.random((50, 3))).astype(np.float32)
    x_hat = (x + rng.normal(0, 0.1, x.shape)).astype(np.float32)
    x64, r64 = x.astype(np.float64), x_hat.astype(np.float64)
    expected = 1 - ((x64 - r64) ** 2).sum() / ((x64 - x64.mean(0)) ** 2).sum()
    assert explained_variance(x, x_hat) == pytest.approx(expected, rel=1e-9)
    assert reconstruction_error(x, x_hat) == pytest.approx(((x64 - r64) ** 2).mean(), rel=1e-9)
    a = np.array([[3e4, 0.0]], dtype=np.float32)
    b = np.array([[3e4 + 1, 0.0], [3e4, 2.0]], dtype=np.float32)
    np.testing.assert_array_equal(pairwise_sq_distances(a, b), [[1.0, 4.0]])             # float32 gives [0, 0]
    np.testing.assert_array_equal(pairwise_sq_distances(b, a), [[1.0], [4.0]])           # 30001^2 is not a float32
    assert knn_accuracy(b, np.array([5, 6]), a, np.array([5])) == 1.0                   # default k = 1


def test_search_time_is_the_best_of_the_repeats_per_query(monkeypatch):
    """A fake clock: the k-th search takes durations[k] seconds; the answer is the smallest of the first `repeats`,
    divided by the number of queries."""
    import types

    from aecourse import evaluation
    durations = [5.0, 3.0, 4.0, 6.0, 2.0, 1.0, 0.5]
    ticks = iter(np.cumsum([x for d in durations for x in (1.0, d)]).tolist())
    monkeypatch.setattr(evaluation, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))
    db, q = np.zeros((4, 2)), np.zeros((8, 2))
    assert nn_search_time(db, q) == 2.0 / 8                      # default: best of 5
    ticks = iter(np.cumsum([x for d in durations for x in (1.0, d)]).tolist())
    assert nn_search_time(db, q, repeats=2) == 3.0 / 8
