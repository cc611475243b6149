"""aecourse.plots: each helper draws what it says (Agg backend) and explains bad input."""
import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from aecourse.plots import error_curve, image_grid, scatter_2d


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid_draws_every_image():
    images = np.random.default_rng(0).random((13, 64)).astype(np.float32)
    fig = image_grid(images, n_cols=5, titles=[str(i) for i in range(13)], row_titles=["a", "b", "c"])
    axes = fig.axes
    assert len(axes) == 15
    drawn = [ax for ax in axes if ax.images]
    assert len(drawn) == 13
    assert np.allclose(drawn[7].images[0].get_array(), images[7].reshape(8, 8))
    assert drawn[0].get_ylabel() == "a" and drawn[5].get_ylabel() == "b"
    assert drawn[12].get_title() == "12"


def test_image_grid_filters_use_a_symmetric_scale():
    filters = torch.randn(4, 64)
    fig = image_grid(filters, symmetric=True)
    low, high = fig.axes[0].images[0].get_clim()
    assert low == pytest.approx(-high) and high == pytest.approx(float(filters[0].abs().max()))


def test_image_grid_other_shapes():
    fig = image_grid(np.zeros((2, 28 * 28), np.float32), image_shape=(28, 28))
    assert fig.axes[0].images[0].get_array().shape == (28, 28)


def test_scatter_2d_colours_by_label():
    rng = np.random.default_rng(0)
    codes, labels = rng.normal(size=(30, 2)), np.repeat([0, 1, 2], 10)
    ax = scatter_2d(codes, labels, title="codes")
    assert len(ax.collections) == 3
    assert np.allclose(np.vstack([c.get_offsets() for c in ax.collections]), codes[np.argsort(labels, kind="stable")])
    colours = {tuple(c.get_facecolors()[0]) for c in ax.collections}
    assert len(colours) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    assert ax.get_title() == "codes"
    _, given = plt.subplots()
    assert scatter_2d(codes, ax=given) is given and len(given.collections) == 1


def test_error_curve_one_line_per_method():
    ax = error_curve([2, 4, 8], {"PCA": [0.05, 0.04, 0.02], "AE": [0.04, 0.02, 0.01]}, logy=True)
    assert [line.get_label() for line in ax.get_lines()] == ["PCA", "AE"]
    assert list(ax.get_lines()[1].get_ydata()) == [0.04, 0.02, 0.01]
    assert ax.get_yscale() == "log"


@pytest.mark.parametrize("call,error,message", [
    (lambda: image_grid(np.zeros((3, 8, 8), np.float32)), ValueError, "flatten images first"),
    (lambda: image_grid(np.zeros((3, 60), np.float32)), ValueError, "expected 64 features"),
    (lambda: image_grid(np.zeros((3, 64), np.float32), image_shape=8), ValueError, "(height, width)"),
    (lambda: image_grid(np.zeros((3, 64), np.float32), titles=["a"]), ValueError, "expected 3 labels"),
    (lambda: image_grid(np.zeros((3, 64), np.float32), n_cols=0), ValueError, "integer >= 1"),
    (lambda: scatter_2d(np.zeros((5, 3))), ValueError, "expected 2 features"),
    (lambda: scatter_2d(np.zeros((5, 2)), np.zeros(4)), ValueError, "one label per item, shape (5,)"),
    (lambda: error_curve([], {"a": []}), ValueError, "non-empty"),
    (lambda: error_curve([2, 4], [0.1, 0.2]), TypeError, "dict"),
    (lambda: error_curve([2, 4], {"AE": [0.1]}), ValueError, "expected 2 values"),
])
def test_bad_input_is_explained(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
