"""aecourse.evaluation: reconstruction error, explained variance, kNN accuracy, bytes per item, NN search."""
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


def blobs(n, d=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return rng.normal(scale=4.0, size=(3, d))[y] + rng.normal(size=(n, d)), y


def test_reconstruction_error():
    x = np.array([[0.0, 1.0], [1.0, 1.0]])
    r = np.array([[0.0, 0.0], [1.0, 1.0]])
    assert reconstruction_error(x, r) == pytest.approx(0.25)
    assert np.allclose(reconstruction_error(x, r, reduction="per_item"), [0.5, 0.0])
    assert reconstruction_error(torch.tensor(x), torch.tensor(r)) == pytest.approx(0.25)


def test_explained_variance():
    x, _ = blobs(50)
    assert explained_variance(x, x) == pytest.approx(1.0)
    assert explained_variance(x, np.broadcast_to(x.mean(0), x.shape)) == pytest.approx(0.0)
    assert explained_variance(x, x + 100) < 0


def test_pairwise_distances_and_nearest_item():
    a, _ = blobs(7)
    b, _ = blobs(5, seed=1)
    expected = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    assert np.allclose(pairwise_sq_distances(a, b), expected)
    assert np.array_equal(nearest_item(b, a), expected.argmin(1))


def test_knn_accuracy_matches_sklearn():
    from sklearn.neighbors import KNeighborsClassifier
    x_train, y_train = blobs(120)
    x_test, y_test = blobs(40, seed=1)
    x_train = x_train + np.random.default_rng(2).normal(scale=3, size=x_train.shape)
    for k in (1, 5, 9):
        expected = KNeighborsClassifier(k).fit(x_train, y_train).score(x_test, y_test)
        assert knn_accuracy(x_train, y_train, x_test, y_test, k) == pytest.approx(expected)


def test_knn_accuracy_small_example_and_string_labels():
    train = np.array([[0.0], [1.0], [10.0]])
    assert knn_accuracy(train, np.array(["a", "a", "b"]), np.array([[0.4], [9.0]]), np.array(["a", "b"])) == 1.0
    assert knn_accuracy(train, np.array([0, 0, 1]), np.array([[9.0]]), np.array([1]), k=3) == 0.0


def test_bytes_per_item_and_search_time():
    assert bytes_per_item(np.zeros((3, 64), np.float32)) == 256
    assert bytes_per_item(np.zeros((3, 8), np.float64)) == 64
    x, _ = blobs(200)
    t = nn_search_time(x, x[:10], repeats=2)
    assert 0 < t < 1


@pytest.mark.parametrize("call,error,message", [
    (lambda: reconstruction_error(np.zeros((2, 3)), np.zeros((2, 4))), ValueError, "expected 3 features"),
    (lambda: reconstruction_error(np.zeros((2, 3)), np.zeros((3, 3))), ValueError, "reconstruct every item"),
    (lambda: reconstruction_error(np.zeros((2, 3)), np.zeros((2, 3)), "sum"), ValueError, "expected one of"),
    (lambda: explained_variance(np.ones((3, 2)), np.ones((3, 2))), ValueError, "no variance"),
    (lambda: knn_accuracy(np.zeros((4, 2)), np.zeros(3), np.zeros((2, 2)), np.zeros(2)), ValueError,
     "one per row of the codes"),
    (lambda: knn_accuracy(np.zeros((4, 2)), np.zeros(4), np.zeros((2, 3)), np.zeros(2)), ValueError,
     "expected 2 features"),
    (lambda: knn_accuracy(np.zeros((4, 2)), np.zeros(4), np.zeros((2, 2)), np.zeros(2), k=5), ValueError,
     "at most the number of training items (4)"),
    (lambda: knn_accuracy(np.zeros((4, 2)), np.zeros(4), np.zeros((2, 2)), np.zeros(2), k=0), ValueError,
     "integer >= 1"),
    (lambda: knn_accuracy(np.zeros((4, 8, 8)), np.zeros(4), np.zeros((2, 2)), np.zeros(2)), ValueError,
     "flatten images first"),
    (lambda: bytes_per_item(np.zeros(5)), ValueError, "add a batch dimension"),
    (lambda: nn_search_time(np.zeros((4, 2)), np.zeros((2, 2)), repeats=0), ValueError, "integer >= 1"),
    (lambda: nearest_item(np.zeros((4, 2)), np.zeros((2, 3))), ValueError, "expected 2 features"),
])
def test_bad_input_is_explained(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
