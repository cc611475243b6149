"""The lesson-06 widget, driven without a browser: set the controls, click Train, read the state."""
import numpy as np
import pytest

from aecourse.data import load_digits
from aecourse.noisy_codes import ExponentialNoise, LinearNoise
from aecourse.widgets.hashing import HashingExplorer


@pytest.fixture(scope="module")
def explorer():
    d = load_digits()
    w = HashingExplorer(d.x_train[:400], d.y_train[:400], d.x_test[:100], d.y_test[:100], n_samples=12,
                        draw_every=2)
    w.bits.value = 8
    w.epochs.value = 6
    w.kind.value = "linear"
    w.final_noise.value = 6.0
    w.rise.value = 0.5
    w.train_button.click()
    return w


def test_controls_build_the_schedule(explorer):
    assert explorer.schedule() == LinearNoise(6.0, 0.0, 0.5)
    explorer.kind.value = "exponential"
    assert explorer.schedule() == ExponentialNoise(6.0, end=0.5)
    explorer.kind.value = "linear"


def test_train_records_every_epoch(explorer):
    assert explorer.model.n_bits == 8 and len(explorer.history) == 6
    snaps = explorer.snapshots
    assert [s.epoch for s in snaps] == [-1, 0, 1, 2, 3, 4, 5]
    assert [round(s.sigma, 6) for s in snaps[1:]] == [0.0, 2.4, 4.8, 6.0, 6.0, 6.0]
    assert snaps[-1].sample_codes.shape == (12, 8) and all(0 <= s.precision <= 1 for s in snaps)
    assert snaps[-1].unsaturated < snaps[0].unsaturated
    assert not explorer.train_button.disabled and not explorer.epoch.disabled
    assert explorer.epoch.max == 6 and explorer.epoch.value == 6


def test_live_view_and_scrubbing(explorer):
    assert explorer.status.value.startswith("epoch 6/6: noise sigma 6.00")
    explorer.epoch.value = 0
    assert explorer.status.value.startswith("before training")
    explorer.epoch.value = 3
    assert explorer.status.value.startswith("epoch 3/6")
    fig = explorer.figure(3)
    assert len(fig.axes) == 4 and fig.axes[0].get_title() == "code activations"


def test_sample_heatmap_rows_are_grouped_by_label(explorer):
    assert np.all(np.diff(explorer.sample_labels) >= 0)


def test_bad_input():
    d = load_digits()
    with pytest.raises(ValueError, match="one label per item"):
        HashingExplorer(d.x_train, d.y_train[:5], d.x_test, d.y_test)
    with pytest.raises(ValueError, match="features"):
        HashingExplorer(d.x_train, d.y_train, d.x_test[:, :10], d.y_test)
