"""The lesson-06 widget: choose the number of bits and the noise schedule, train, and watch the codes saturate.

    explorer = HashingExplorer(digits.x_train, digits.y_train, digits.x_test, digits.y_test)
    explorer.display()                     # in a notebook
    explorer.bits.value = 16               # what the controls do, also usable in tests
    explorer.kind.value = "linear"; explorer.final_noise.value = 8.0; explorer.rise.value = 0.8
    explorer.train_button.click()          # trains, redrawing the view during training
    explorer.epoch.value = 0               # after training: scrub back through the recorded epochs

The view has four panels: the histogram of code activations (one hump -> two spikes), a heat-map of the codes
of sample items (grey -> black and white), the share of activations still in (0.1, 0.9), and the precision@100
of the rounded codes (test queries vs the training items; labels only score). All logic lives in this class.
"""
from __future__ import annotations

import numpy as np

from ..callbacks import CodeRecorder, CodeSnapshot
from ..noisy_codes import noise_schedule
from ..validation import check_data, check_positive_int

BIT_CHOICES = (4, 8, 16, 32)


class HashingExplorer:
    """Controls `bits`, `kind`, `final_noise`, `rise`, `epochs`, `train_button`; after training, `epoch` scrubs.

    State after `train()`: `model`, `history`, `snapshots` (one `CodeSnapshot` per epoch), `status.value`.
    `draw_every` redraws the live view every that many epochs (the last epoch is always drawn). Snapshot 0 is
    the untrained model, snapshot i the model after epoch i.
    """

    def __init__(self, x_train, y_train, x_test, y_test, *, n_samples: int = 24, epochs: int = 60,
                 draw_every: int = 5, seed: int = 0):
        import ipywidgets as widgets

        check_data(x_train, "x_train")
        check_data(x_test, "x_test", n_features=x_train.shape[1])
        for name, y, x in (("y_train", y_train, x_train), ("y_test", y_test, x_test)):
            if np.asarray(y).shape != (len(x),):
                raise ValueError(f"{name}: expected one label per item, shape ({len(x)},), got {np.shape(y)}")
        self.x_train, self.y_train = x_train, np.asarray(y_train)
        self.x_test, self.y_test = x_test, np.asarray(y_test)
        order = np.argsort(self.y_test[:check_positive_int(n_samples, "n_samples")], kind="stable")
        self.samples = np.asarray(x_test)[order]          # sample items, grouped by label for the heat-map
        self.sample_labels = self.y_test[order]
        self.draw_every = check_positive_int(draw_every, "draw_every")
        self.seed = check_positive_int(seed, "seed", minimum=0)

        style = {"description_width": "110px"}
        self.bits = widgets.Dropdown(options=BIT_CHOICES, value=16, description="code bits", style=style)
        self.kind = widgets.ToggleButtons(options=["constant", "linear", "exponential"], value="linear",
                                          description="noise schedule", style=style)
        self.final_noise = widgets.FloatSlider(value=8.0, min=0.0, max=16.0, step=0.5, description="final sigma",
                                               style=style)
        self.rise = widgets.FloatSlider(value=0.8, min=0.1, max=1.0, step=0.05, style=style,
                                        description="full noise at", readout_format=".0%")
        self.epochs = widgets.IntSlider(value=check_positive_int(epochs, "epochs"), min=5, max=300, step=5,
                                        description="epochs", style=style)
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.epoch = widgets.IntSlider(value=0, min=0, max=0, description="scrub epochs", disabled=True,
                                       continuous_update=False, style=style)
        self.status = widgets.HTML("set the controls and press Train")
        self.output = widgets.Output()
        self.widget = widgets.VBox([widgets.HBox([self.bits, self.epochs]), self.kind,
                                    widgets.HBox([self.final_noise, self.rise]), self.train_button, self.status,
                                    self.epoch, self.output])
        self.model = self.history = None
        self._planned = 0
        self.snapshots: list[CodeSnapshot] = []
        self.train_button.on_click(lambda _: self.train())
        self.epoch.observe(lambda change: self.show(change["new"]), names="value")

    def schedule(self):
        """The schedule the controls describe: sigma rises to `final_noise`, reaching it at `rise` of training."""
        return noise_schedule(self.kind.value, self.final_noise.value, end=self.rise.value)

    def train(self) -> None:
        """Train a hashing autoencoder with the controls' settings, redrawing the view as epochs finish."""
        from ..semantic_hashing import train_hashing_autoencoder

        self.train_button.disabled = self.epoch.disabled = True
        self.snapshots = []
        epochs = self._planned = self.epochs.value
        recorder = CodeRecorder(self.samples, n_samples=len(self.samples), k=100,
                                retrieval=(self.x_test, self.y_test, self.x_train, self.y_train),
                                on_snapshot=lambda snap: self._live(snap, epochs))
        try:
            self.model, self.history = train_hashing_autoencoder(self.x_train, self.bits.value, self.schedule(),
                                                                 epochs=epochs, seed=self.seed,
                                                                 callbacks=[recorder])
        finally:
            self.train_button.disabled = False
        self.epoch.max = len(self.snapshots) - 1
        self.epoch.value = len(self.snapshots) - 1
        self.epoch.disabled = False

    def _live(self, snap: CodeSnapshot, epochs: int) -> None:
        self.snapshots.append(snap)
        if (snap.epoch + 1) % self.draw_every == 0 or snap.epoch == epochs - 1:
            self.show(len(self.snapshots) - 1)

    def status_text(self, index: int) -> str:
        s = self.snapshots[index]
        when = "before training" if s.epoch < 0 else f"epoch {s.epoch + 1}/{self._planned}"
        return (f"{when}: "
                f"noise sigma {s.sigma:.2f}, loss {s.loss:.4f}, activations in (0.1, 0.9): {s.unsaturated:.1%}, "
                f"precision@100 of the rounded codes: {s.precision:.3f}")

    def figure(self, index: int):
        """The four-panel view of recorded epoch `index` (a matplotlib Figure)."""
        from matplotlib.figure import Figure

        s = self.snapshots[index]
        shown = self.snapshots[:index + 1]
        fig = Figure(figsize=(11, 2.8), layout="constrained")
        ax_hist, ax_codes, ax_sat, ax_prec = fig.subplots(1, 4, width_ratios=[1.1, 1.2, 1, 1])
        edges = np.linspace(0, 1, len(s.histogram) + 1)
        ax_hist.bar(edges[:-1], s.histogram / s.histogram.sum(), width=edges[1] - edges[0], align="edge")
        ax_hist.set(title="code activations", xlabel="h", ylabel="share", xlim=(0, 1))
        ax_codes.imshow(s.sample_codes, cmap="gray_r", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        ax_codes.set(title="codes of sample items", xlabel="bit", ylabel="item (by label)")
        ax_codes.set_yticks(range(len(self.sample_labels)), [str(v) for v in self.sample_labels], fontsize=6)
        epochs = [t.epoch + 1 for t in shown]
        ax_sat.plot(epochs, [t.unsaturated for t in shown], color="tab:red")
        ax_sat.axhline(0.05, color="grey", ls=":", lw=1)
        ax_sat.set(title="share in (0.1, 0.9)", xlabel="epoch", ylim=(0, 1.02))
        ax_prec.plot(epochs, [t.precision for t in shown], color="tab:green")
        ax_prec.set(title="precision@100 (rounded)", xlabel="epoch", ylim=(0, 1.02))
        return fig

    def show(self, index: int | None = None) -> None:
        """Redraw the view for recorded epoch `index` (default: the `epoch` slider's value)."""
        import io

        from IPython.display import Image, display

        if not self.snapshots:
            return
        index = self.epoch.value if index is None else index
        index = min(max(index, 0), len(self.snapshots) - 1)
        self.status.value = self.status_text(index)
        with self.output:
            self.output.clear_output(wait=True)
            png = io.BytesIO()                 # a PNG shows under any matplotlib backend, inline or not
            self.figure(index).savefig(png, format="png", dpi=90)
            display(Image(png.getvalue()))

    def display(self) -> None:
        from IPython.display import display
        display(self.widget)

    def _ipython_display_(self) -> None:
        self.display()
