"""A control for the corruption kind and level that redraws corrupted digits and their reconstructions (lesson 04).

    explorer = DenoisingExplorer(data.x_test, models={"plain AE": ae}, daes={"masking": dae}, x_train=data.x_train)
    explorer.display()               # in a notebook
    explorer.kind.value = "gaussian" # what the dropdown does (also usable in tests)
    explorer.level.value = 0.4       # what the slider does

A denoising autoencoder learns to undo the corruption it was trained on, so the explorer shows, for each kind,
a DAE trained on *that* kind (at `TRAIN_LEVELS[kind]`): given in `daes`, or trained from `x_train` the first
time the kind is chosen and cached (per kind, level and training set, for the whole session). `models` are
shown for every kind (e.g. a plain AE trained on clean digits). The same seed is used for every redraw, so a
setting always shows the same corrupted images; numbers and images are drawn together.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import torch

from ..corruption import KINDS, make_corruption
from ..validation import check_data, check_positive_int

LEVEL_RANGE = {"gaussian": (0.0, 1.0), "masking": (0.0, 0.9), "salt_and_pepper": (0.0, 0.9)}
TRAIN_LEVELS = {"gaussian": 0.3, "masking": 0.25, "salt_and_pepper": 0.25}
KIND_NAMES = {"gaussian": "gaussian noise", "masking": "masking (missing pixels)",
              "salt_and_pepper": "salt and pepper"}
LEVEL_NAMES = {"gaussian": "noise sigma", "masking": "share masked", "salt_and_pepper": "share flipped"}
_TRAINED: dict[tuple, object] = {}        # (kind, level, training set's fingerprint) -> DAE, for the session


def describe_level(kind: str, level: float) -> str:
    """"sigma = 0.30" for gaussian noise, "nu = 25%" (a share of the pixels) for the other kinds."""
    return f"sigma = {level:.2f}" if kind == "gaussian" else f"nu = {level:.0%}"


def train_dae(x_train, kind: str, level: float):
    """The lesson's DAE: 64-128-32-128-64, 60 epochs of Adam at lr 3e-3 on `x_train` corrupted by `kind`."""
    from ..models import make_autoencoder
    from ..training import fit
    model = make_autoencoder(x_train.shape[1], [128], 32)
    fit(model, x_train, epochs=60, lr=3e-3, corrupt=make_corruption(kind, level), seed=0, progress=False)
    return model


class DenoisingExplorer:
    """Dropdown `kind`, slider `level` (sigma or nu, labelled per kind), a `trained_on` line saying what each
    model was trained on, and an `output` area: each model's MSE to the clean images, over all of `x`, above the
    first `n_images` clean digits, the same digits corrupted and one row of reconstructions per model.

    `daes` maps a kind to a DAE trained on it at `train_levels[kind]` (default `TRAIN_LEVELS`); kinds it lacks
    are trained from `x_train` with `train(x_train, kind, level) -> model` (default `train_dae`) when first
    chosen. `models` are shown whatever the kind, described by their `trained_on` attribute if they have one
    ("trained on clean digits" otherwise).
    """

    def __init__(self, x, models: Mapping | None = None, *, daes: Mapping | None = None, x_train=None,
                 train=None, train_levels: Mapping | None = None, n_images: int = 10, kind: str = "masking",
                 level: float = 0.25, seed: int = 0, image_shape: tuple[int, int] = (8, 8)):
        import ipywidgets as widgets

        check_data(x, "x")
        models, daes = dict(models or {}), dict(daes or {})
        for name, given in (("models", models), ("daes", daes)):
            if not all(callable(m) for m in given.values()):
                raise ValueError(f"{name}: expected a dict of trained autoencoders, e.g. {{'plain AE': ae}}")
        if not models and not daes and x_train is None:
            raise ValueError("models: expected a dict {name: trained autoencoder} (e.g. {'plain AE': ae}), "
                             "daes={kind: dae} or x_train= to train one DAE per kind; got none of them")
        self.train_levels = {**TRAIN_LEVELS, **dict(train_levels or {})}
        for name in [*daes, *self.train_levels, kind]:
            if name not in KINDS:
                raise ValueError(f"kind: expected one of {list(KINDS)}, got {name!r}")
        if x_train is not None:
            check_data(x_train, "x_train", n_features=x.shape[1])
        self.n_images = check_positive_int(n_images, "n_images")
        self.x = np.asarray(x, dtype=np.float32)
        self.x_show = self.x[: self.n_images]
        self.models, self.daes, self.x_train = models, daes, x_train
        self._train = train or train_dae
        self.seed = check_positive_int(seed, "seed", minimum=0)
        self.image_shape = image_shape
        self.kind = widgets.Dropdown(options=[(KIND_NAMES[k], k) for k in KINDS], value=kind,
                                     description="corruption")
        low, high = LEVEL_RANGE[kind]
        self.level = widgets.FloatSlider(value=level, min=low, max=high, step=0.05, description=LEVEL_NAMES[kind],
                                         continuous_update=False, style={"description_width": "initial"})
        self.trained_on = widgets.HTML()
        self.output = widgets.Output()
        self.widget = widgets.VBox([widgets.HBox([self.kind, self.level]), self.trained_on, self.output])
        self._drawing = False
        self.kind.observe(self._on_kind, names="value")
        self.level.observe(lambda change: self.show(), names="value")
        self.corrupted, self.reconstructions, self.errors = self.compute()

    def _on_kind(self, change) -> None:
        kind = change["new"]
        low, high = LEVEL_RANGE[kind]
        self._drawing = True                   # one redraw for the whole change, not one per trait
        try:
            self.level.min, self.level.max = low, high
            self.level.description = LEVEL_NAMES[kind]
        finally:
            self._drawing = False
        self.show()

    def dae(self, kind: str):
        """The DAE trained on `kind` at `train_levels[kind]`, trained now if needed (None without `x_train`)."""
        if kind not in self.daes:
            if self.x_train is None:
                return None
            level = self.train_levels[kind]
            key = (kind, level, _fingerprint(self.x_train), self._train)
            if key not in _TRAINED:
                self.trained_on.value = (f"training a denoising autoencoder on {KIND_NAMES[kind]}, "
                                         f"{describe_level(kind, level)} (once per kind) ...")
                _TRAINED[key] = self._train(self.x_train, kind, level)
            self.daes[kind] = _TRAINED[key]
        return self.daes[kind]

    def shown_models(self) -> dict[str, tuple[object, str]]:
        """{row name: (model, what it was trained on)} for the current kind."""
        kind = self.kind.value
        shown = {}
        dae = self.dae(kind)
        if dae is not None:
            shown[f"DAE ({KIND_NAMES[kind]})"] = (
                dae, f"trained on {KIND_NAMES[kind]}, {describe_level(kind, self.train_levels[kind])}")
        for name, model in self.models.items():
            shown[name] = (model, getattr(model, "trained_on", "trained on clean digits"))
        return shown

    def compute(self) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, float]]:
        """(the shown images corrupted, {model name: their reconstructions}, {model name: MSE to the clean images
        over all of x, not only the shown ones}) for the current kind and level."""
        from ..evaluation import reconstruction_error
        from ..training import reconstruct
        corrupt = make_corruption(self.kind.value, self.level.value)
        corrupted = corrupt(self.x, torch.Generator().manual_seed(self.seed))
        reconstructions = {name: reconstruct(model, corrupted) for name, (model, _) in self.shown_models().items()}
        errors = {name: reconstruction_error(self.x, r) for name, r in reconstructions.items()}
        shown = slice(0, self.n_images)
        return corrupted[shown], {name: r[shown] for name, r in reconstructions.items()}, errors

    def status_text(self) -> str:
        """The line of numbers drawn with the images: each model's MSE to the clean digits."""
        parts = [f"{name} MSE {err:.4f}" for name, err in self.errors.items()]
        return (f"{KIND_NAMES[self.kind.value]}, {describe_level(self.kind.value, self.level.value)}: "
                + ", ".join(parts) + f" (mean over {len(self.x)} digits)")

    def trained_on_text(self) -> str:
        return "; ".join(f"<b>{name}</b>: {on}" for name, (_, on) in self.shown_models().items())

    def show(self) -> None:
        """Recompute for the current kind and level and redraw numbers and images together."""
        import base64
        import io

        import matplotlib.pyplot as plt

        from ..plots import image_grid

        if self._drawing:
            return
        self.corrupted, self.reconstructions, self.errors = self.compute()
        rows = [self.x_show, np.clip(self.corrupted, 0, 1), *self.reconstructions.values()]
        fig = image_grid(np.vstack(rows), self.image_shape, n_cols=self.n_images,
                         row_titles=["clean", "corrupted", *(name.split(" (")[0] for name in self.reconstructions)])
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=72)
        plt.close(fig)
        self.trained_on.value = self.trained_on_text()
        self.output.outputs = (        # one update: the numbers and the images change together
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": f"<div class='aecourse-status'>{self.status_text()}</div>",
                      "text/plain": self.status_text()}},
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": base64.b64encode(png.getvalue()).decode("ascii"), "text/plain": "<Figure>"}})

    def display(self) -> None:
        """Show the widget and draw the current setting."""
        from IPython.display import display
        display(self.widget)
        self.show()

    def _ipython_display_(self) -> None:
        self.display()


def _fingerprint(x) -> str:
    array = np.ascontiguousarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x, dtype=np.float32)
    return hashlib.sha1(array.tobytes()).hexdigest()
