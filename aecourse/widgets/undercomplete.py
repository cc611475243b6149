"""A slider over the latent size k that shows test digits and their reconstructions (lesson 01).

    explorer = LatentSizeExplorer(data.x_test, models={2: ae2, 8: ae8}, x_train=data.x_train)
    explorer.display()          # in a notebook
    explorer.latent.value = 8   # what moving the slider does (also usable in tests)

Models come from `models` (already trained) or are trained on first use from `x_train`; their reconstructions
are cached per size, so moving the slider back and forth only redraws.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..evaluation import reconstruction_error
from ..pca import pca_baseline_mse
from ..validation import check_data, check_positive_int


class LatentSizeExplorer:
    """Slider `latent` (k), an `output` area with inputs over reconstructions, and a `status` line with test MSEs.

    `train(x_train, k) -> model` builds a model for a size that `models` lacks (default: a 64-128-k-128-64 ReLU
    autoencoder, 30 epochs of Adam at lr 3e-3).
    """

    def __init__(self, x_test, *, models: Mapping | None = None, x_train=None, sizes: Sequence[int] | None = None,
                 n_images: int = 10, image_shape: tuple[int, int] = (8, 8), train=None):
        import ipywidgets as widgets

        check_data(x_test, "x_test")
        self.n_images = check_positive_int(n_images, "n_images")
        self.x_show = np.asarray(x_test[: self.n_images], dtype=np.float32)
        self.image_shape = image_shape
        self.models = dict(models or {})
        if x_train is not None:
            check_data(x_train, "x_train", n_features=x_test.shape[1])
        self.x_train = x_train
        sizes = sorted(self.models) if sizes is None else [check_positive_int(k, "sizes") for k in sizes]
        if not sizes:
            raise ValueError("sizes: expected at least one latent size: pass models={k: model} or sizes=[2, 8, ...]")
        missing = [k for k in sizes if k not in self.models]
        if missing and x_train is None:
            raise ValueError(f"no model for latent sizes {missing}: pass them in models= or give x_train= to "
                             "train them when the slider first reaches them")
        self._train = train or _default_train
        self._x_test = x_test
        self._cache: dict[int, tuple[np.ndarray, float, float | None]] = {}
        self.latent = widgets.SelectionSlider(options=sizes, value=sizes[0], description="latent k",
                                              continuous_update=False)
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.widget = widgets.VBox([self.latent, self.status, self.output])
        self.shown: int | None = None  # the size drawn last
        self.latent.observe(lambda change: self.show(change["new"]), names="value")

    def model(self, k: int):
        """The autoencoder for latent size k (trained now if it was not given)."""
        if k not in self.models:
            self.status.value = f"training an autoencoder with k = {k} ..."
            self.models[k] = self._train(self.x_train, k)
        return self.models[k]

    def result(self, k: int) -> tuple[np.ndarray, float, float | None]:
        """(reconstructions of the shown digits, test MSE of the AE, test MSE of PCA with k axes), cached."""
        if k not in self._cache:
            from ..training import reconstruct
            model = self.model(k)
            mse = reconstruction_error(self._x_test, reconstruct(model, self._x_test))
            pca = None if self.x_train is None else pca_baseline_mse(self.x_train, self._x_test, k)
            self._cache[k] = (reconstruct(model, self.x_show), mse, pca)
        return self._cache[k]

    def status_text(self, k: int) -> str:
        _, mse, pca = self.result(k)
        text = f"k = {k}: autoencoder test MSE {mse:.4f}"
        return text + (f", PCA with {k} axes {pca:.4f}" if pca is not None else "")

    def show(self, k: int | None = None) -> None:
        """Draw inputs and reconstructions for latent size k (default: the slider's value)."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        from ..plots import image_grid

        k = self.latent.value if k is None else k
        reconstructions, _, _ = self.result(k)
        self.status.value = self.status_text(k)
        fig = image_grid(np.vstack([self.x_show, reconstructions]), self.image_shape, n_cols=len(self.x_show),
                         row_titles=["input", f"k = {k}"])
        with self.output:
            self.output.clear_output(wait=True)
            display(fig)
        plt.close(fig)
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
