"""Lesson 05: plausible wrong answers, each caught by the first failing case with a hint naming the mistake."""
import matplotlib.pyplot as plt
import numpy as np
from wrong_answers import wrong_answer_tests


def knn_accuracy(codes_train, y_train, codes_test, y_test, k, *, p=2, start=0, reverse=False, fixed_k=None,
                 reduce="mean"):
    d = (np.abs(codes_test[:, None, :] - codes_train[None, :, :]) ** p).sum(axis=-1)
    k = fixed_k or k
    nearest = np.argsort(-d if reverse else d, axis=1)[:, start:start + k]
    predicted = np.array([np.bincount(y_train[row]).argmax() for row in nearest])
    return float(getattr(predicted == y_test, reduce)())


def memory_ratio(x_pixels, codes):
    return (x_pixels.shape[1] * x_pixels.dtype.itemsize) / (codes.shape[1] * codes.dtype.itemsize)


def scatter_by_label(codes, labels, ax, *, on=None, swap=False, only=None, method="scatter", give_back=True):
    target = on or ax
    for label in np.unique(labels)[:only]:
        keep = labels == label
        xs, ys = codes[keep, 0], codes[keep, 1]
        getattr(target, method)(*((ys, xs) if swap else (xs, ys)), *(["o"] if method == "plot" else []))
    return ax if give_back else None


REFERENCE = {"05.knn_accuracy": knn_accuracy, "05.memory_ratio": memory_ratio,
             "05.scatter_by_label": scatter_by_label}

WRONG = [
    ("05.knn_accuracy", "a count", lambda *a: knn_accuracy(*a, reduce="sum"), "k = 5", "not the count"),
    ("05.knn_accuracy", "a percentage", lambda *a: 100 * knn_accuracy(*a), "k = 5", "not a percentage"),
    ("05.knn_accuracy", "Manhattan distance", lambda *a: knn_accuracy(*a, p=1), "k = 5", "Euclidean"),
    ("05.knn_accuracy", "skips the nearest", lambda *a: knn_accuracy(*a, start=1), "k = 5", "NEAREST"),
    ("05.knn_accuracy", "the farthest", lambda *a: knn_accuracy(*a, reverse=True), "k = 5", "SMALLEST"),
    ("05.knn_accuracy", "k fixed at 1", lambda *a: knn_accuracy(*a, fixed_k=1), "k = 5", "use the argument k"),
    ("05.knn_accuracy", "k fixed at 5", lambda *a: knn_accuracy(*a, fixed_k=5), "k = 1 and k = 7",
     "use the argument k"),
    ("05.memory_ratio", "codes over pixels", lambda x, c: 1 / memory_ratio(x, c), "8x", "PIXELS' bytes"),
    ("05.memory_ratio", "items, not features",
     lambda x, c: (x.shape[0] * x.dtype.itemsize) / (c.shape[0] * c.dtype.itemsize), "8x", "x.shape[1]"),
    ("05.memory_ratio", "ignores the dtype", lambda x, c: x.shape[1] / c.shape[1], "the dtype counts", "itemsize"),
    ("05.memory_ratio", "whole arrays", lambda x, c: x.nbytes / c.nbytes, "per item", "not x.nbytes"),
    ("05.memory_ratio", "integer division",
     lambda x, c: (x.shape[1] * x.dtype.itemsize) // (c.shape[1] * c.dtype.itemsize), "not a whole number", "//"),
    ("05.memory_ratio", "entries, not bytes", lambda x, c: x.size / c.size, "the dtype counts", "itemsize"),
    ("05.scatter_by_label", "returns nothing", lambda c, y, ax: scatter_by_label(c, y, ax, give_back=False),
     "returns them", "return ax"),
    ("05.scatter_by_label", "plt.scatter", lambda c, y, ax: scatter_by_label(c, y, ax, on=plt), "returns them",
     "not with plt.scatter"),
    ("05.scatter_by_label", "x and y swapped", lambda c, y, ax: scatter_by_label(c, y, ax, swap=True),
     "every code is a point", "swapped"),
    ("05.scatter_by_label", "two labels only", lambda c, y, ax: scatter_by_label(c, y, ax, only=2),
     "every code is a point", "for every label"),
    ("05.scatter_by_label", "one colour", lambda c, y, ax: (ax.scatter(c[:, 0], c[:, 1], c="k"), ax)[1],
     "one colour per label", "share one colour"),
    ("05.scatter_by_label", "ax.plot", lambda c, y, ax: scatter_by_label(c, y, ax, method="plot"),
     "returns them", "ax.plot draws lines"),
    ("05.scatter_by_label", "rows, not columns", lambda c, y, ax: (ax.scatter(c[0], c[1], c=y[:2]), ax)[1],
     "every code is a point", "one point per row"),
]


test_the_reference_passes, test_a_wrong_answer_fails_with_a_hint_that_names_it, \
    test_five_wrong_answers_per_exercise = wrong_answer_tests(REFERENCE, WRONG)
