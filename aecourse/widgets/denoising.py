"""A control for the corruption kind and level that redraws corrupted digits and their reconstructions (lesson 04).

    explorer = DenoisingExplorer(data.x_test, models={"DAE": dae, "plain AE": ae})
    explorer.display()               # in a notebook
    explorer.kind.value = "masking"  # what the dropdown does (also usable in tests)
    explorer.level.value = 0.4       # what the slider does

The same seed is used for every redraw, so a setting always shows the same corrupted images.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from ..corruption import KINDS, make_corruption
from ..validation import check_data, check_positive_int

LEVEL_RANGE = {"gaussian": (0.0, 1.0), "masking": (0.0, 0.9), "salt_and_pepper": (0.0, 0.9)}


class DenoisingExplorer:
    """Dropdown `kind`, slider `level` (sigma or nu), a `status` line with each model's MSE to the clean images,
    and an `output` area: clean digits, corrupted digits, then one row of reconstructions per model."""

    def __init__(self, x, models: Mapping, *, n_images: int = 10, kind: str = "masking", level: float = 0.25,
                 seed: int = 0, image_shape: tuple[int, int] = (8, 8)):
        import ipywidgets as widgets

        check_data(x, "x")
        if not isinstance(models, Mapping) or not models:
            raise ValueError("models: expected a dict {name: trained autoencoder}, e.g. {'DAE': dae}, got "
                             f"{type(models).__name__}")
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {list(KINDS)}, got {kind!r}")
        self.n_images = check_positive_int(n_images, "n_images")
        self.x_show = np.asarray(x[: self.n_images], dtype=np.float32)
        self.models = dict(models)
        self.seed = check_positive_int(seed, "seed", minimum=0)
        self.image_shape = image_shape
        self.kind = widgets.Dropdown(options=list(KINDS), value=kind, description="corruption")
        low, high = LEVEL_RANGE[kind]
        self.level = widgets.FloatSlider(value=level, min=low, max=high, step=0.05, description="level",
                                         continuous_update=False)
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.widget = widgets.VBox([widgets.HBox([self.kind, self.level]), self.status, self.output])
        self.kind.observe(self._on_kind, names="value")
        self.level.observe(lambda change: self.show(), names="value")
        self.corrupted, self.reconstructions, self.errors = self.compute()

    def _on_kind(self, change) -> None:
        low, high = LEVEL_RANGE[change["new"]]
        self.level.min, self.level.max = low, high  # a clamped value redraws through the slider's observer
        self.show()

    def compute(self) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, float]]:
        """(corrupted images, {model name: reconstructions}, {model name: MSE to the clean images}) for the
        current kind and level."""
        from ..training import reconstruct
        corrupt = make_corruption(self.kind.value, self.level.value)
        corrupted = corrupt(self.x_show, torch.Generator().manual_seed(self.seed))
        reconstructions = {name: reconstruct(model, corrupted) for name, model in self.models.items()}
        errors = {name: float(np.mean((r - self.x_show) ** 2)) for name, r in reconstructions.items()}
        return corrupted, reconstructions, errors

    def status_text(self) -> str:
        parts = [f"{name} MSE {err:.4f}" for name, err in self.errors.items()]
        return f"{self.kind.value}, level {self.level.value:.2f}: " + ", ".join(parts)

    def show(self) -> None:
        """Recompute for the current kind and level and redraw."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        from ..plots import image_grid

        self.corrupted, self.reconstructions, self.errors = self.compute()
        self.status.value = self.status_text()
        rows = [self.x_show, np.clip(self.corrupted, 0, 1), *self.reconstructions.values()]
        fig = image_grid(np.vstack(rows), self.image_shape, n_cols=self.n_images,
                         row_titles=["clean", "corrupted", *self.reconstructions])
        with self.output:
            self.output.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    def display(self) -> None:
        """Show the widget and draw the current setting."""
        from IPython.display import display
        display(self.widget)
        self.show()

    def _ipython_display_(self) -> None:
        self.display()
