"""Checks for solutions/05_dimensionality_reduction.ipynb."""
import numpy as np

from ...evaluation import bytes_per_item, knn_accuracy
from . import CheckFailed, exercise, expect, expect_close, expect_not_close


def _knn(train, y_train, test, y_test, k, *, p=2, start=0, farthest=False):
    """k-NN accuracy with the usual mistakes as options: another Minkowski p, skipping the nearest, the farthest."""
    d = (np.abs(test[:, None, :] - train[None, :, :]) ** p).sum(axis=-1)
    order = np.argsort(-d if farthest else d, axis=1, kind="stable")[:, start:start + k]
    return float((np.array([np.bincount(y_train[row]).argmax() for row in order]) == y_test).mean())


def _knn_mistakes(args, k):
    return [(_knn(*args, k, p=1), "use the Euclidean distance sqrt(sum (a - b)^2), not the sum of |a - b|"),
            (_knn(*args, k, start=1), "keep the k NEAREST, [:, :k]: the test codes are not in the training set, "
                                      "so the first neighbour is not the code itself"),
            (_knn(*args, k, farthest=True), "take the k SMALLEST distances (np.argsort is ascending), not the "
                                            "largest"),
            *[(_knn(*args, other), f"this is the accuracy with k = {other}: use the argument k")
              for other in (1, 3, 5, 7) if other != k]]


@exercise("05.knn_accuracy", function="knn_accuracy", points=3, reference="evaluation.knn_accuracy")
def check_knn_accuracy(fn, case):
    rng = np.random.default_rng(0)
    # two clear clusters, but 30% of the training labels flipped: one neighbour is often wrong, a vote of 7 is not
    centres = np.array([[0.0] * 5, [6.0] * 5])
    y_train, y_test = rng.integers(0, 2, 60), rng.integers(0, 2, 25)
    train = centres[y_train] + rng.normal(size=(60, 5))
    test = centres[y_test] + rng.normal(size=(25, 5))
    y_train = np.where(rng.random(60) < 0.3, 1 - y_train, y_train)
    args = (train, y_train, test, y_test)
    with case("a majority vote of the k = 5 nearest"):
        got = fn(*args, 5)
        want = knn_accuracy(*args, 5)
        expect(np.ndim(got) == 0, f"return one number, the accuracy over the test set, got shape {np.shape(got)}")
        expect_not_close(got, want * len(test), "return the FRACTION of test labels predicted right, not the count")
        expect_not_close(got, want * 100, "return a fraction between 0 and 1, not a percentage")
        for wrong, hint in _knn_mistakes(args, 5):
            if not np.isclose(wrong, want):
                expect_not_close(got, wrong, hint)
        expect_close(got, want,
                     hint="take the k smallest distances (np.argsort(..., axis=1)[:, :k]) and the most common "
                          "label among them (np.bincount(...).argmax())")
    with case("k = 1 and k = 7 differ as they should"):
        for k in (1, 7):
            got, want = fn(*args, k), knn_accuracy(*args, k)
            for wrong, hint in _knn_mistakes(args, k):
                if not np.isclose(wrong, want):
                    expect_not_close(got, wrong, hint)
            expect_close(got, want,
                         hint=f"k = {k}: use the argument k, not a fixed number of neighbours")
    with case("a hand-made example with k = 1"):
        train = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
        test = np.array([[1.0, 1.0], [9.0, 1.0], [1.0, 9.0], [8.0, 0.0]])
        got = fn(train, np.array([0, 1, 2]), test, np.array([0, 1, 2, 2]), 1)
        expect_close(got, 0.75, hint="each test code takes the label of its nearest training code (Euclidean); "
                     "return the FRACTION of test labels predicted right")
    with case("Euclidean distance, not another one"):
        # from (0, 0): (2, 2) is nearer in Euclidean distance (2.83 < 3), (3, 0) in Manhattan distance (3 < 4)
        got = fn(np.array([[3.0, 0.0], [2.0, 2.0]]), np.array([0, 1]), np.zeros((1, 2)), np.array([1]), 1)
        if abs(float(got) - 1.0) > 1e-9:
            raise CheckFailed("use the Euclidean distance sqrt(sum (a - b)^2): from (0, 0) the code (2, 2) is "
                              "nearer than (3, 0)")


@exercise("05.memory_ratio", function="memory_ratio", points=1)
def check_memory_ratio(fn, case):
    pixels32 = np.zeros((100, 64), dtype=np.float32)
    with case("64 float32 pixels vs 8 float32 numbers: 8x"):
        got = fn(pixels32, np.zeros((100, 8), dtype=np.float32))
        expect_not_close(got, 1 / 8, "divide the PIXELS' bytes by the codes' bytes: codes are the smaller ones, so "
                         "the ratio is above 1")
        expect_not_close(got, 1.0, "count bytes per item from the number of features, x.shape[1], not the number "
                         "of items, x.shape[0]")
        expect_close(got, 8.0, hint="bytes per item of the pixels divided by bytes per item of the codes")
    with case("the dtype counts: float64 pixels vs float32 codes"):
        expect_close(fn(pixels32.astype(np.float64), np.zeros((100, 8), dtype=np.float32)),
                     bytes_per_item(pixels32.astype(np.float64)) / 8 / 4,
                     hint="bytes per item = number of features * x.dtype.itemsize")
    with case("per item, whatever the number of items"):
        expect_close(fn(pixels32, np.zeros((10, 16), dtype=np.uint8)), 256 / 16,
                     hint="compare one item with one item: x.shape[1] * x.dtype.itemsize, not x.nbytes")
    with case("a ratio that is not a whole number"):
        got = fn(pixels32, np.zeros((100, 24), dtype=np.float32))
        expect_not_close(got, 256 // 96, "use true division /, not //: 256 bytes / 96 bytes = 2.67")
        expect_close(got, 256 / 96, hint="bytes per item of the pixels divided by bytes per item of the codes")


@exercise("05.scatter_by_label", function="scatter_by_label", points=2)
def check_scatter_by_label(fn, case):
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    rng = np.random.default_rng(0)
    codes = rng.normal(size=(30, 2))
    labels = np.repeat([0, 1, 2], 10)
    rng.shuffle(labels)

    def draw():
        fig, (ax, current) = plt.subplots(1, 2)  # `current` is pyplot's current axes: plt.scatter draws there
        try:
            out = fn(codes, labels, ax)
            fig.canvas.draw()  # colour-mapped scatters get their face colours when drawn
            expect(not current.collections or ax.collections, "draw on the `ax` argument (ax.scatter), not with "
                   "plt.scatter, which draws on whichever axes are current")
            expect(ax.collections or not ax.lines, "draw the points with ax.scatter: ax.plot draws lines, and "
                   "colouring them by label is what scatter does")
            points, colours = [], []
            for collection in ax.collections:
                offsets = np.asarray(collection.get_offsets())
                faces = collection.get_facecolors()
                if len(faces) == 0:
                    continue
                points.append(offsets)
                colours += [to_hex(faces[i % len(faces)]) for i in range(len(offsets))]
            return out, ax, (np.vstack(points) if points else np.zeros((0, 2))), colours
        finally:
            plt.close(fig)

    with case("draws on the given axes and returns them"):
        out, ax, _, _ = draw()
        expect(out is ax, "draw with ax.scatter(...) on the `ax` argument and return ax")
    with case("every code is a point at (code[0], code[1])"):
        _, _, points, _ = draw()
        expect(len(points) == len(codes), f"expected {len(codes)} points, got {len(points)}: one point per row "
               "of codes (x = codes[:, 0], y = codes[:, 1]), for every label in labels")
        got = sorted(map(tuple, np.round(points, 9)))
        expect(got != sorted(map(tuple, np.round(codes[:, ::-1], 9))), "x and y are swapped: x = codes[:, 0], "
               "y = codes[:, 1]")
        expect(got == sorted(map(tuple, np.round(codes, 9))), "the points must be the rows of codes: "
               "x = codes[:, 0], y = codes[:, 1]")
    with case("one colour per label"):
        _, _, points, colours = draw()
        by_point = {tuple(np.round(p, 9)): c for p, c in zip(points, colours)}
        colour_of = [by_point.get(tuple(np.round(p, 9))) for p in codes]
        pairs = {(int(y), c) for y, c in zip(labels, colour_of)}
        expect(len(pairs) == len(set(labels)) == len({c for _, c in pairs}),
               "points with the same label must share one colour and different labels need different colours: "
               "one ax.scatter per label, or c=labels with a colour map")
