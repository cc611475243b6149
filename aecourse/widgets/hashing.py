"""The lesson-06 widget: choose the number of bits and the noise schedule, train, and watch the codes saturate.

    explorer = HashingExplorer(digits.x_train, digits.y_train, digits.x_test, digits.y_test)
    explorer.display()                     # in a notebook
    explorer.bits.value = 16               # what the controls do, also usable in tests
    explorer.kind.value = "linear"; explorer.final_noise.value = 8.0; explorer.rise.value = 80  # percent
    explorer.train_button.click()          # trains, redrawing the view during training
    explorer.epoch.value = 0               # scrub back through the recorded epochs

After each epoch the explorer encodes the training items (the database) and the test items (the queries)
without noise and records a `Frame`: the histogram of code activations, the undecided share (activations in
(0.1, 0.9)), what rounding the codes to bits costs (reconstruction error and precision@100 from the bits vs
from the real-valued codes), and the hash-table lookup within Hamming radius 2 (precision of what it returns
and the share of queries that get anything). Labels only score. The previous run stays as a faint ghost.

The decoder's output bias starts at the logit of the mean training image (`StartAtMeanImage`): the untrained
network already draws the average digit, so the first steps do not push every item's code to the same corner
and the codes stay graded until the noise makes them bits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..bits import binarize
from ..noisy_codes import find_code_layer, noise_schedule, unsaturated_fraction
from ..retrieval import float_knn_precision_at_k, precision_at_k, precision_recall_at_radius
from ..semantic_hashing import Recipe, rounding_cost
from ..training import encode
from ..validation import check_data, check_positive_int

BIT_CHOICES = (4, 8, 16, 32, 64)
RADIUS = 2
UNDECIDED = (0.1, 0.9)
RECIPES = {                         # the course's recipe (neighbour swap, one-layer decoder) and the book's plain AE
    "course": Recipe(),
    "book (plain AE)": Recipe(hidden=(256, 128), decoder_hidden=None, neighbours=1),
}


class StartAtMeanImage:
    """`train_hashing_autoencoder` callback whose `start(model)` sets the decoder's output bias to
    logit(mean training image): the untrained network then draws roughly the average item.

    Without it the first few steps mostly learn the average image, and with a one-layer decoder the fastest way
    is to push every item's code to the same saturated corner: 94 % of activations saturated after epoch 1
    with no noise at all, every item at one address."""

    def __init__(self, x_train):
        mean = np.clip(np.asarray(check_data(x_train, "x_train"), dtype=np.float64).mean(axis=0), 1e-3, 1 - 1e-3)
        self.logit = torch.tensor(np.log(mean / (1 - mean)), dtype=torch.float32)

    def start(self, model: nn.Module) -> None:
        last = [m for m in model.decoder.modules() if isinstance(m, nn.Linear)][-1]
        with torch.no_grad():
            last.bias.copy_(self.logit.to(last.bias.device))

    def __call__(self, epoch: int, model: nn.Module, history) -> None:
        return None


@dataclass
class Frame:
    """What the explorer measured after one epoch (epoch -1: the untrained network), codes without noise."""
    epoch: int
    sigma: float
    loss: float
    histogram: np.ndarray        # share of the database's code activations in each of 20 bins over [0, 1]
    undecided: float             # share of activations in (0.1, 0.9)
    sample_codes: np.ndarray     # (n_samples, n_bits) real-valued codes of the sample test items
    precision_bits: float        # precision@100, Hamming ranking of the rounded codes
    precision_codes: float       # precision@100, Euclidean ranking of the real-valued codes
    radius_precision: float      # precision of the lookup within Hamming radius 2 (no answer counts 0)
    answered: float              # share of queries whose radius-2 ball holds any database item
    mse_codes: float             # test reconstruction error from the real-valued codes
    mse_bits: float              # ... and from the codes rounded to 0/1


@dataclass
class Run:
    """One training run: its settings and one `Frame` per recorded epoch."""
    bits: int
    kind: str
    final: float
    rise: int
    epochs: int
    recipe: str
    frames: list[Frame] = field(default_factory=list)

    @property
    def settings(self) -> tuple:
        return self.bits, self.kind, self.final, self.rise, self.epochs, self.recipe

    def label(self) -> str:
        noise = ("no noise" if self.final == 0 else f"constant sigma {self.final:g}" if self.kind == "constant"
                 else f"{self.kind} ramp to sigma {self.final:g}, full at {self.rise}%")
        recipe = "" if self.recipe == "course" else f", {self.recipe}"
        return f"{self.bits} bits, {noise}, {self.epochs} epochs{recipe}"

    def schedule(self):
        return noise_schedule(self.kind, self.final, end=self.rise / 100)

    def sigmas(self) -> list[float]:
        schedule = self.schedule()
        return [schedule(e, self.epochs) for e in range(self.epochs)]


class HashingExplorer:
    """Controls `bits`, `kind`, `final_noise`, `rise` (percent of training), `epochs`, `recipe`, `train_button`;
    `epoch` scrubs through the recorded epochs (it follows training live).

    State: `run` (the `Run` shown), `previous` (the run before, drawn as a ghost), `model`, `history`,
    `stale` (a control changed since `run`), `status.value`. `draw_every` redraws the live view every that
    many epochs (the last epoch is always drawn). Frame 0 is the untrained model, frame i the model after epoch i.
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
        self.k = min(100, len(x_train))

        style = {"description_width": "110px"}
        self.bits = widgets.Dropdown(options=BIT_CHOICES, value=16, description="code bits", style=style)
        self.epochs = widgets.IntSlider(value=check_positive_int(epochs, "epochs"), min=5, max=300, step=5,
                                        description="epochs", style=style)
        self.kind = widgets.ToggleButtons(options=["constant", "linear", "exponential"], value="linear",
                                          description="noise schedule", style=style)
        self.final_noise = widgets.FloatSlider(value=8.0, min=0.0, max=16.0, step=0.5, description="final sigma",
                                               style=style)
        self.rise = widgets.IntSlider(value=80, min=5, max=100, step=5, style=style,
                                      description="full noise at %")
        self.recipe = widgets.Dropdown(options=list(RECIPES), value="course", description="recipe", style=style)
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.epoch = widgets.IntSlider(value=0, min=0, max=0, description="scrub epochs", disabled=True,
                                       continuous_update=False, style=style)
        self.note = widgets.HTML(self.note_text())
        self.status = widgets.HTML("set the controls and press Train")
        self.output = widgets.Output()
        self.widget = widgets.VBox([widgets.HBox([self.bits, self.epochs]), self.kind,
                                    widgets.HBox([self.final_noise, self.rise]),
                                    widgets.HBox([self.recipe, self.train_button]), self.note, self.status,
                                    self.epoch, self.output])
        self.model = self.history = None
        self._view: _RunView | None = None
        self.run: Run | None = None
        self.previous: Run | None = None
        self.training = False
        self._following = False          # True while training moves the scrub slider (no redraw from it)
        self.train_button.on_click(lambda _: self.train())
        self.epoch.observe(self._on_scrub, names="value")
        for control in (self.bits, self.epochs, self.kind, self.final_noise, self.rise, self.recipe):
            control.observe(self._on_control, names="value")

    # ------------------------------------------------------------------------------------------ settings

    def settings(self) -> Run:
        """A new (empty) `Run` with the controls' settings."""
        return Run(self.bits.value, self.kind.value, float(self.final_noise.value), int(self.rise.value),
                   int(self.epochs.value), self.recipe.value)

    def schedule(self):
        """The schedule the controls describe: sigma rises to `final_noise`, reaching it at `rise`% of training."""
        return self.settings().schedule()

    @property
    def stale(self) -> bool:
        return self.run is not None and not self.training and self.settings().settings != self.run.settings

    def note_text(self) -> str:
        b = self.bits.value
        text = (f"{b} bits: {2 ** b:,} addresses for {len(self.x_train):,} training items. ")
        if b <= 4:
            probes = 1 + b + b * (b - 1) // 2
            text += (f"That is about {len(self.x_train) // 2 ** b} items per address, and a lookup within "
                     f"Hamming radius {RADIUS} probes {probes} of the {2 ** b} addresses: it returns most of the "
                     "database, so its precision is low whatever the codes. Try 8 or 16.")
        elif b >= 64:
            text += "Far more addresses than items: most addresses are empty, and radius-2 lookups often find nothing."
        else:
            text += "Compare final sigma 0 with the default ramp: the undecided share, and what rounding costs."
        return f"<i>{text}</i>"

    def _on_control(self, change) -> None:
        self.note.value = self.note_text()
        if self.run is not None and self.run.frames and not self.training:   # mark (or unmark) the view stale
            self.status.value = self.status_text(self.epoch.value)

    # ------------------------------------------------------------------------------------------ training

    def train(self) -> None:
        """Train a hashing autoencoder with the controls' settings, redrawing the view as epochs finish."""
        from ..semantic_hashing import train_hashing_autoencoder

        if self.run is not None and self.run.frames:
            self.previous = self.run
        run = self.run = self.settings()
        self.training = True
        self.train_button.disabled = True
        self.epoch.disabled = True
        self._follow(0, run.epochs + 1)
        recorder = _Recorder(self, run)
        try:
            self.model, self.history = train_hashing_autoencoder(
                self.x_train, run.bits, run.schedule(), epochs=run.epochs, seed=self.seed,
                recipe=RECIPES[run.recipe], callbacks=[StartAtMeanImage(self.x_train), recorder])
        finally:
            self.training = False
            self.train_button.disabled = False
        self._follow(len(run.frames) - 1, len(run.frames))
        self.epoch.disabled = False
        self.show(len(run.frames) - 1)

    def _follow(self, index: int, size: int) -> None:
        """Move the scrub slider to frame `index` of `size` without redrawing from it."""
        self._following = True
        try:
            self.epoch.max = max(size - 1, 0)
            self.epoch.value = index
        finally:
            self._following = False

    def _on_scrub(self, change) -> None:
        if not self._following:
            self.show(change["new"])

    def measure(self, model: nn.Module, epoch: int, loss: float, retrieval: bool = True) -> Frame:
        """The `Frame` of `model` now (codes without noise); `retrieval=False` skips the precision measures
        (the slowest part: NaN in the frame), which the explorer records only on the epochs it draws."""
        db_codes = encode(model, self.x_train)
        mse_codes, mse_bits = rounding_cost(model, self.x_test)
        histogram = np.histogram(db_codes, np.linspace(0, 1, 21))[0]
        nan = float("nan")
        precision_bits = precision_codes = radius_precision = answered = nan
        if retrieval:
            query_codes = encode(model, self.x_test)
            db_bits, query_bits = binarize(db_codes), binarize(query_codes)
            ball = precision_recall_at_radius(query_bits, db_bits, self.y_test, self.y_train, RADIUS)
            radius_precision, answered = ball.precision, ball.answered
            precision_bits = precision_at_k(query_bits, db_bits, self.y_test, self.y_train, self.k)
            precision_codes = float_knn_precision_at_k(query_codes, db_codes, self.y_test, self.y_train, self.k)
        return Frame(epoch=epoch, sigma=float(find_code_layer(model).sigma), loss=loss,
                     histogram=histogram / max(histogram.sum(), 1),
                     undecided=unsaturated_fraction(db_codes, *UNDECIDED), sample_codes=encode(model, self.samples),
                     precision_bits=precision_bits, precision_codes=precision_codes,
                     radius_precision=radius_precision, answered=answered, mse_codes=mse_codes, mse_bits=mse_bits)

    def drawn(self, epoch: int, epochs: int) -> bool:
        """Whether epoch `epoch` (-1: before training) is drawn live and gets the retrieval measures: every
        `draw_every` epochs, at most about 12 times a run, and always the first and the last."""
        every = max(self.draw_every, -(-epochs // 12))
        return epoch < 0 or (epoch + 1) % every == 0 or epoch == epochs - 1

    def _recorded(self, run: Run) -> None:
        if self.drawn(run.frames[-1].epoch, run.epochs):
            self.show(len(run.frames) - 1)

    # ------------------------------------------------------------------------------------------ view

    def status_text(self, index: int) -> str:
        run = self.run
        if run is None or not run.frames:
            return "set the controls and press Train"
        index = min(index, len(run.frames) - 1)
        f = run.frames[index]
        r = next(t for t in run.frames[index::-1] if np.isfinite(t.precision_bits))   # frame 0 always has them
        when = "before training" if f.epoch < 0 else f"epoch {f.epoch + 1}/{run.epochs}"
        at = "" if r is f else f" (measured at epoch {r.epoch + 1})"
        text = (f"<b>{run.label()}</b> &middot; {when}: noise sigma {f.sigma:.2f}, loss {f.loss:.4f}, "
                f"activations in (0.1, 0.9): {f.undecided:.1%}; test MSE from the bits {f.mse_bits:.4f} vs from "
                f"the codes {f.mse_codes:.4f} (x{f.mse_bits / f.mse_codes:.2f})<br>"
                f"precision@100 from the bits {r.precision_bits:.3f} (from the real-valued codes "
                f"{r.precision_codes:.3f}); within Hamming radius {RADIUS}: precision {r.radius_precision:.3f}, "
                f"answered {r.answered:.0%}{at}")
        if self.training:
            text = "training... " + text
        if self.stale:
            text = ("<span style='color:#b00'>&#9888; stale: the controls changed since this run; press Train to "
                    "see them</span><br>" + text)
        return text

    def figure(self, index: int):
        """The six-panel view of recorded frame `index` of the current run: a matplotlib Figure, built once per run
        (building it costs half as much as drawing it) and updated in place for each frame."""
        if self._view is None or self._view.run is not self.run or self._view.ghost is not self.previous:
            self._view = _RunView(self.run, self.previous, self.sample_labels)
        self._view.update(index)
        return self._view.fig

    def show(self, index: int | None = None) -> None:
        """Redraw the view for recorded frame `index` (default: the scrub slider's value)."""
        import io

        from IPython.display import Image, display

        if self.run is None or not self.run.frames:
            return
        index = self.epoch.value if index is None else index
        index = min(max(index, 0), len(self.run.frames) - 1)
        png = io.BytesIO()                     # a PNG shows under any matplotlib backend, inline or not
        self.figure(index).savefig(png, format="png", dpi=80)
        with self.output:
            self.output.clear_output(wait=True)
            display(Image(png.getvalue()))
        self.status.value = self.status_text(index)
        if self.training:                      # the scrub slider follows the frame drawn, once it is drawn
            self._follow(index, self.run.epochs + 1)

    def display(self) -> None:
        from IPython.display import display
        display(self.widget)

    def _ipython_display_(self) -> None:
        self.display()


class _RunView:
    """The explorer's six panels for one run, with the previous run as a faint ghost: the axes, labels, the planned
    noise and the ghost's curves are drawn once; `update(index)` sets what changes from frame to frame (the
    histogram, the codes' heat map, the run's curves up to that frame)."""

    def __init__(self, run: Run, ghost: Run | None, sample_labels: np.ndarray):
        from matplotlib.figure import Figure

        self.run, self.ghost = run, ghost
        self.fig = fig = Figure(figsize=(12, 5.6))   # a fixed layout: constrained layout doubles the drawing time
        (ax_hist, ax_codes, self.ax_mse), (ax_und, ax_prec, ax_ball) = fig.subplots(2, 3, gridspec_kw=dict(
            left=0.055, right=0.985, bottom=0.09, top=0.9, wspace=0.42, hspace=0.5))
        n_bins = len(run.frames[0].histogram)
        self.bars = ax_hist.bar(np.linspace(0, 1, n_bins + 1)[:-1], np.zeros(n_bins), width=1 / n_bins,
                                align="edge")
        ax_hist.axvspan(*UNDECIDED, color="tab:red", alpha=0.08)
        ax_hist.set(title="code activations (shaded: undecided)", xlabel="h", ylabel="share", xlim=(0, 1),
                    ylim=(0, 1.02))

        self.image = ax_codes.imshow(run.frames[0].sample_codes, cmap="gray_r", vmin=0, vmax=1, aspect="auto",
                                     interpolation="nearest")
        fig.colorbar(self.image, ax=ax_codes, label="h", fraction=0.06, pad=0.02)
        labels, starts = np.unique(sample_labels, return_index=True)
        counts = np.bincount(np.searchsorted(labels, sample_labels))
        ax_codes.set_yticks(starts + (counts - 1) / 2, [str(v) for v in labels], fontsize=8)
        for start in starts[1:]:
            ax_codes.axhline(start - 0.5, color="tab:orange", lw=0.6)
        ax_codes.set(title="codes of sample test digits", xlabel="bit", ylabel="digit")

        last = max(run.epochs, ghost.epochs if ghost else 0)
        for ax in (self.ax_mse, ax_und, ax_prec, ax_ball):
            ax.set_xlim(0, last)
            ax.set_xlabel("epoch")
        self.curves = []                             # (line, the frame's value it plots), updated each frame

        def curve(ax, values, **style):
            (line,) = ax.plot([], [], **style)
            self.curves.append((line, values))
            if ghost is not None:
                ax.plot(*_points(ghost.frames, values), color=style.get("color"), ls=style.get("ls", "-"),
                        alpha=0.25, lw=1)

        curve(self.ax_mse, lambda t: t.mse_codes, color="tab:blue", label="from real codes")
        curve(self.ax_mse, lambda t: t.mse_bits, color="tab:blue", ls="--", label="from bits")
        self.ax_mse.set(title="cost of rounding: test MSE")
        self.ax_mse.legend(fontsize=7, loc="upper right")

        curve(ax_und, lambda t: t.undecided, color="tab:red", label="undecided share")
        ax_und.axhline(0.05, color="grey", ls=":", lw=1)
        ax_und.set(title="undecided share and noise sigma(t)", ylim=(0, 1.02))
        ax_und.set_ylabel("share in (0.1, 0.9)", color="tab:red")
        ax_sigma = ax_und.twinx()
        planned = run.sigmas()
        ax_sigma.plot(range(1, run.epochs + 1), planned, color="grey", ls="--", lw=1)
        (self.sigma_line,) = ax_sigma.plot([], [], color="black", lw=1.5)
        if ghost is not None:
            ax_sigma.plot(range(1, ghost.epochs + 1), ghost.sigmas(), color="black", alpha=0.25, lw=1)
        ax_sigma.set_ylim(0, max(16.0, max(planned, default=0)) * 1.02)
        ax_sigma.set_ylabel("sigma", color="grey")

        curve(ax_prec, lambda t: t.precision_bits, color="tab:green", label="from bits (Hamming)")
        curve(ax_prec, lambda t: t.precision_codes, color="tab:green", ls="--", label="from real codes")
        ax_prec.set(title="precision@100 (same digit)", ylim=(0, 1.02))
        ax_prec.legend(fontsize=7, loc="lower right")

        curve(ax_ball, lambda t: t.radius_precision, color="tab:purple", label="precision")
        curve(ax_ball, lambda t: t.answered, color="tab:purple", ls=":", label="queries answered")
        ax_ball.set(title=f"hash table, Hamming radius {RADIUS}", ylim=(0, 1.02))
        ax_ball.legend(fontsize=7, loc="lower right")
        if ghost is not None:
            fig.suptitle(f"faint lines: the previous run ({ghost.label()})", fontsize=9, color="grey")

    def update(self, index: int) -> None:
        """Show recorded frame `index`: its histogram and codes, and the run's curves up to it."""
        f = self.run.frames[index]
        shown = self.run.frames[:index + 1]
        for bar, height in zip(self.bars, f.histogram):
            bar.set_height(height)
        self.image.set_data(f.sample_codes)
        for line, values in self.curves:
            line.set_data(*_points(shown, values))
        self.sigma_line.set_data([t.epoch + 1 for t in shown[1:]], [t.sigma for t in shown[1:]])
        self.ax_mse.relim()                          # the MSE axis fits the curves drawn, from 0
        self.ax_mse.set_autoscaley_on(True)
        self.ax_mse.autoscale_view(scalex=False)
        self.ax_mse.set_ylim(0, None)


def _points(frames: list[Frame], values) -> tuple[list, list]:
    """(epochs, values) of the frames whose value is measured (not NaN); epoch -1, before training, at x = 0."""
    pairs = [(t.epoch + 1, value) for t in frames if np.isfinite(value := values(t))]
    return [x for x, _ in pairs], [y for _, y in pairs]


class _Recorder:
    """`fit` callback of one explorer run: measure a `Frame` before training and after every epoch."""

    def __init__(self, explorer: HashingExplorer, run: Run):
        self.explorer, self.run = explorer, run

    def start(self, model: nn.Module) -> None:
        self._record(-1, model, float("nan"))

    def __call__(self, epoch: int, model: nn.Module, history) -> None:
        self._record(epoch, model, history.loss[-1])

    def _record(self, epoch: int, model: nn.Module, loss: float) -> None:
        retrieval = self.explorer.drawn(epoch, self.run.epochs)
        self.run.frames.append(self.explorer.measure(model, epoch, loss, retrieval))
        self.explorer._recorded(self.run)
