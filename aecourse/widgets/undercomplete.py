"""A slider over the latent size k, 1 to 32, that shows test digits, the autoencoder's reconstructions and PCA's
with k axes, beside the test error against k (lesson 01).

    explorer = LatentSizeExplorer(data.x_test, x_train=data.x_train, models={2: ae2, 8: ae8})
    explorer.display()          # in a notebook
    explorer.latent.value = 7   # what moving the slider does (also usable in tests)

Autoencoders come from `models` (already trained) or are trained when the slider first reaches their size;
their reconstructions and errors are cached per size, so moving back only redraws. PCA's error is known for
every k at once, so its curve is complete from the start; the autoencoder's curve grows as sizes are visited.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import numpy as np

from ..evaluation import reconstruction_error
from ..pca import fit_pca, pca_baseline_mse
from ..validation import check_data, check_positive_int


class LatentSizeExplorer:
    """Slider `latent` (k from 1 to `max_k`), a `status` line (training messages), and an `output` area holding
    the test MSEs, inputs over the autoencoder's and PCA's reconstructions, and the error-vs-k curves with k
    marked, drawn as one update.

    `train(x_train, k) -> model` builds a model for a size that `models` lacks (default: a 64-128-k-128-64 ReLU
    autoencoder, 30 epochs of Adam at lr 3e-3, the lesson's recipe).
    """

    def __init__(self, x_test, *, x_train, models: Mapping | None = None, max_k: int = 32, k: int | None = None,
                 n_images: int = 10, image_shape: tuple[int, int] = (8, 8), train=None):
        import ipywidgets as widgets

        check_data(x_test, "x_test")
        if x_train is None:
            raise ValueError("x_train: expected the training data, to fit PCA and to train the sizes that models= "
                             "lacks; got None")
        check_data(x_train, "x_train", n_features=x_test.shape[1])
        self.max_k = check_positive_int(max_k, "max_k")
        if self.max_k > min(x_train.shape):
            raise ValueError(f"max_k: expected at most {min(x_train.shape)} (the data's samples or features), "
                             f"got {max_k}")
        self.models = dict(models or {})
        for size in self.models:
            check_positive_int(size, "models' latent sizes")
        self.n_images = check_positive_int(n_images, "n_images")
        self.x_show = np.asarray(x_test[: self.n_images], dtype=np.float32)
        self.image_shape = image_shape
        self.x_train, self._x_test = x_train, np.asarray(x_test, dtype=np.float32)
        self._train = train or _default_train
        self._pca = fit_pca(x_train, self.max_k)
        self._centred_show = self.x_show - self._pca.mean
        self.pca_mse = pca_baseline_mse(x_train, x_test, range(1, self.max_k + 1))   # every k: cheap
        self._cache: dict[int, tuple[np.ndarray, float]] = {}
        start = k if k is not None else min(self.models, default=2)
        self.latent = widgets.IntSlider(value=check_positive_int(start, "k"), min=1, max=self.max_k,
                                        description="latent k", continuous_update=False)
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.widget = widgets.VBox([self.latent, self.status, self.output])
        self.shown: int | None = None  # the size drawn last
        self.latent.observe(lambda change: self.show(change["new"]), names="value")

    def model(self, k: int):
        """The autoencoder for latent size k (trained now if it was not given)."""
        if k not in self.models:
            self.status.value = f"training an autoencoder with k = {k} (once; about a second) ..."
            self.models[k] = self._train(self.x_train, k)
            self.status.value = ""
        return self.models[k]

    def result(self, k: int) -> tuple[np.ndarray, float]:
        """(the autoencoder's reconstructions of the shown digits, its test MSE), cached per size."""
        if k not in self._cache:
            from ..training import reconstruct
            model = self.model(k)
            self._cache[k] = (reconstruct(model, self.x_show),
                              reconstruction_error(self._x_test, reconstruct(model, self._x_test)))
        return self._cache[k]

    def pca_reconstruction(self, k: int) -> np.ndarray:
        """PCA's reconstructions of the shown digits with its top k axes."""
        v = self._pca.components[:k]
        return ((self._centred_show @ v.T) @ v + self._pca.mean).astype(np.float32)

    def status_text(self, k: int) -> str:
        _, mse = self.result(k)
        return f"k = {k}: autoencoder test MSE {mse:.4f}, PCA with {k} axes {self.pca_mse[k]:.4f}"

    def figure(self, k: int):
        """Inputs, the autoencoder's and PCA's reconstructions (left); test MSE against k, k marked (right)."""
        from matplotlib.figure import Figure

        from ..plots import image_grid

        reconstructions, mse = self.result(k)
        fig = Figure(figsize=(13, 2.9))
        left, right = fig.subfigures(1, 2, width_ratios=[2.6, 1])
        image_grid(np.vstack([self.x_show, reconstructions, self.pca_reconstruction(k)]), self.image_shape,
                   n_cols=len(self.x_show), row_titles=["input", f"AE, k = {k}", f"PCA, k = {k}"], fig=left)
        ax = right.subplots()
        sizes = list(range(1, self.max_k + 1))
        ax.plot(sizes, [self.pca_mse[s] for s in sizes], color="tab:blue", label="PCA")
        seen = sorted(self._cache)
        ax.plot(seen, [self._cache[s][1] for s in seen], "o-", color="tab:orange", ms=3,
                label="autoencoder (sizes seen)")
        ax.axvline(k, color="grey", ls=":", lw=1)
        ax.plot([k, k], [mse, self.pca_mse[k]], "o", color="black", ms=4)
        ax.set(xlabel="latent size k", ylabel="test MSE", yscale="log", xlim=(0.5, self.max_k + 0.5),
               title=f"error vs k (k = {k} marked)")
        ax.legend(fontsize=7)
        right.subplots_adjust(left=0.25, bottom=0.2, top=0.85)
        return fig

    def show(self, k: int | None = None) -> None:
        """Draw the numbers, the reconstructions and the curves for latent size k (default: the slider's value)."""
        k = self.latent.value if k is None else check_positive_int(k, "k")
        fig = self.figure(k)
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=72)
        text = self.status_text(k)
        self.output.outputs = (        # one update: numbers and pictures change together
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": f"<div class='aecourse-status'>{text}</div>", "text/plain": text}},
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": base64.b64encode(png.getvalue()).decode("ascii"), "text/plain": "<Figure>"}})
        self.shown = k

    def display(self) -> None:
        """Show the widget and draw the first size."""
        from IPython.display import display
        display(self.widget)
        self.show()

    def _ipython_display_(self) -> None:
        self.display()


def _default_train(x_train, k: int):
    from ..device import seed_everything
    from ..models import make_autoencoder
    from ..training import fit
    seed_everything(0)
    model = make_autoencoder(x_train.shape[1], [128], k)
    fit(model, x_train, epochs=30, lr=3e-3, seed=0, progress=False)
    return model
