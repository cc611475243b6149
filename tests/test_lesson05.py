"""Lesson 05 (dimensionality reduction): every claim of the notebook, and the exercise checkers."""
import matplotlib
import numpy as np
import pytest

from aecourse.course.checks import run_checks
from aecourse.data import load_digits
from aecourse.device import seed_everything
from aecourse.evaluation import bytes_per_item, knn_accuracy
from aecourse.models import make_autoencoder
from aecourse.pca import fit_pca
from aecourse.training import encode, fit, reconstruct

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def accuracies(digits):
    """5-NN test accuracy on AE and PCA codes of several sizes, trained as in the notebook."""
    d = digits
    out = {"pixels": knn_accuracy(d.x_train, d.y_train, d.x_test, d.y_test, k=5), "ae": {}, "pca": {}}
    for k in (2, 4, 16, 32):
        seed_everything(0)
        model = make_autoencoder(64, [128], k)
        fit(model, d.x_train, epochs=30, lr=3e-3, seed=0, progress=False)
        out["ae"][k] = knn_accuracy(encode(model, d.x_train), d.y_train, encode(model, d.x_test), d.y_test, k=5)
        pca = fit_pca(d.x_train, k)
        out["pca"][k] = knn_accuracy(pca.encode(d.x_train), d.y_train, pca.encode(d.x_test), d.y_test, k=5)
    return out


def test_2d_ae_codes_separate_digits_better_than_two_pcs(accuracies):
    assert accuracies["ae"][2] > accuracies["pca"][2] + 0.05


def test_small_ae_codes_beat_pca(accuracies):
    for k in (2, 4):
        assert accuracies["ae"][k] > accuracies["pca"][k], k


def test_codes_of_16_and_32_match_raw_pixels(accuracies):
    for method in ("ae", "pca"):
        for k in (16, 32):
            assert abs(accuracies[method][k] - accuracies["pixels"]) < 0.03, (method, k)


def test_code_uses_8x_fewer_bytes(digits):
    codes = encode(make_autoencoder(64, [128], 8), digits.x_train)
    assert bytes_per_item(digits.x_train) / bytes_per_item(codes) == 8


def test_a_deep_autoencoder_beats_a_shallow_one_at_k_2(digits):
    d, result = digits, []
    for hidden in ([], [128], [256, 128, 64]):
        seed_everything(0)
        model = make_autoencoder(64, hidden, 2)
        fit(model, d.x_train, epochs=30, lr=3e-3, seed=0, progress=False)
        result.append((np.mean((reconstruct(model, d.x_test) - d.x_test) ** 2),
                       knn_accuracy(encode(model, d.x_train), d.y_train, encode(model, d.x_test), d.y_test, k=5)))
    (mse_s, acc_s), (mse_1, _), (mse_d, acc_d) = result
    assert mse_s > mse_1 > mse_d and mse_d < 0.7 * mse_s and acc_d > acc_s + 0.2


# --------------------------------------------------------------------------------------------- exercises
# right answers (as in solutions/05_dimensionality_reduction.ipynb) and plausible wrong ones

def knn_answer(codes_train, y_train, codes_test, y_test, k):
    d = ((codes_test[:, None, :] - codes_train[None, :, :]) ** 2).sum(axis=-1)
    nearest = np.argsort(d, axis=1)[:, :k]
    return float((np.array([np.bincount(y_train[row]).argmax() for row in nearest]) == y_test).mean())


def memory_ratio(x_pixels, codes):
    return (x_pixels.shape[1] * x_pixels.dtype.itemsize) / (codes.shape[1] * codes.dtype.itemsize)


def scatter_by_label(codes, labels, ax):
    for label in np.unique(labels):
        keep = labels == label
        ax.scatter(codes[keep, 0], codes[keep, 1], s=8, label=str(label))
    return ax


def scatter_with_colour_map(codes, labels, ax):
    ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10")
    return ax


def test_reference_answers_pass_every_check():
    for exercise_id, fn in [("05.knn_accuracy", knn_answer), ("05.memory_ratio", memory_ratio),
                            ("05.scatter_by_label", scatter_by_label),
                            ("05.scatter_by_label", scatter_with_colour_map)]:
        report = run_checks(exercise_id, fn)
        assert report.all_passed, report.text()


@pytest.mark.parametrize("exercise_id", ["05.knn_accuracy", "05.memory_ratio", "05.scatter_by_label"])
def test_stub_reads_not_attempted(exercise_id):
    def stub(*args):
        raise NotImplementedError()
    assert "not attempted" in run_checks(exercise_id, stub).text()


def knn_manhattan(codes_train, y_train, codes_test, y_test, k):
    d = np.abs(codes_test[:, None, :] - codes_train[None, :, :]).sum(axis=-1)
    nearest = np.argsort(d, axis=1)[:, :k]
    return float((np.array([np.bincount(y_train[row]).argmax() for row in nearest]) == y_test).mean())


def knn_farthest(codes_train, y_train, codes_test, y_test, k):
    d = ((codes_test[:, None, :] - codes_train[None, :, :]) ** 2).sum(axis=-1)
    nearest = np.argsort(-d, axis=1)[:, :k]
    return float((np.array([np.bincount(y_train[row]).argmax() for row in nearest]) == y_test).mean())


def scatter_one_colour(codes, labels, ax):
    ax.scatter(codes[:, 0], codes[:, 1], color="C0")
    return ax


def scatter_on_new_axes(codes, labels, ax):
    import matplotlib.pyplot as plt
    _, other = plt.subplots()
    scatter_by_label(codes, labels, other)
    plt.close(other.figure)
    return ax


WRONG = {
    "05.knn_accuracy": {
        "always 1 neighbour": lambda a, ya, b, yb, k: knn_answer(a, ya, b, yb, 1),
        "count, not fraction": lambda a, ya, b, yb, k: knn_answer(a, ya, b, yb, k) * len(yb),
        "Manhattan distance": knn_manhattan,
        "farthest neighbours": knn_farthest,
        "error rate": lambda a, ya, b, yb, k: 1 - knn_answer(a, ya, b, yb, k),
    },
    "05.memory_ratio": {
        "ignores the dtype": lambda x, c: x.shape[1] / c.shape[1],
        "total bytes": lambda x, c: x.nbytes / c.nbytes,
        "upside down": lambda x, c: 1 / memory_ratio(x, c),
    },
    "05.scatter_by_label": {
        "one colour": scatter_one_colour,
        "draws elsewhere": scatter_on_new_axes,
        "swapped coordinates": lambda c, y, ax: scatter_by_label(c[:, ::-1], y, ax),
        "returns nothing": lambda c, y, ax: (scatter_by_label(c, y, ax), None)[1],
        "only the first half": lambda c, y, ax: scatter_by_label(c[: len(c) // 2], y[: len(c) // 2], ax),
    },
}


@pytest.mark.parametrize("exercise_id,name", [(e, n) for e, cases in WRONG.items() for n in cases])
def test_wrong_answers_are_caught(exercise_id, name):
    report = run_checks(exercise_id, WRONG[exercise_id][name])
    assert report.attempted and not report.all_passed, f"{name} passed: {report.text()}"
    assert all(c.message for c in report.cases if c.status != "passed"), report.text()
