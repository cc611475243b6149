"""The noisy sigmoid code layer, the noise schedules and the per-epoch recorder of lesson 06."""
import numpy as np
import pytest
import torch

from aecourse.bits import binarize
from aecourse.callbacks import CodeRecorder
from aecourse.data import load_digits
from aecourse.noisy_codes import (
    ConstantNoise,
    ExponentialNoise,
    LinearNoise,
    NoiseScheduler,
    NoisySigmoid,
    find_code_layer,
    noise_schedule,
    unsaturated_fraction,
)
from aecourse.retrieval import precision_at_k
from aecourse.semantic_hashing import make_hashing_autoencoder
from aecourse.training import encode, fit


def test_noise_only_in_training_and_before_the_sigmoid():
    layer = NoisySigmoid(4, sigma=3.0)
    z = torch.zeros(20_000, 4)
    layer.eval()
    assert torch.equal(layer(z), torch.full_like(z, 0.5))
    layer.train()
    h = layer(z)
    # h = sigmoid(3 eps): the logit of h is gaussian with std 3
    assert abs(float(torch.logit(h).std()) - 3.0) < 0.05
    layer.sigma = 0.0
    assert torch.equal(layer(z), torch.full_like(z, 0.5))


def test_fixed_per_item_noise_is_the_same_every_time_and_differs_between_items():
    layer = NoisySigmoid(3, sigma=2.0, n_items=5, seed=1).train()
    z = torch.zeros(2, 3)
    ids = torch.tensor([4, 1])
    first, again = layer(z, ids), layer(z, ids)
    assert torch.equal(first, again)
    assert torch.allclose(torch.logit(first), 2.0 * layer.fixed_noise[ids], atol=1e-5)
    assert not torch.allclose(first[0], first[1])
    with pytest.raises(ValueError, match="needs item_ids"):
        layer(z)


def test_layer_rejects_bad_input():
    with pytest.raises(ValueError, match="sigma"):
        NoisySigmoid(4, sigma=-1.0)
    with pytest.raises(ValueError, match=r"shape \(batch, 4\)"):
        NoisySigmoid(4)(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="n_units"):
        NoisySigmoid(2.5)


def test_schedules_values():
    assert [ConstantNoise(4.0)(e, 10) for e in (0, 9)] == [4.0, 4.0]
    lin = LinearNoise(8.0, start=0.0, end=0.5)
    assert lin(0, 11) == 0.0 and lin(5, 11) == pytest.approx(8.0) and lin(10, 11) == 8.0
    assert LinearNoise(8.0, start=0.5, end=1.0)(2, 11) == 0.0           # no noise before the ramp starts
    exp = ExponentialNoise(8.0, rate=5.0, end=1.0)
    values = [exp(e, 11) for e in range(11)]
    assert values[0] == 0.0 and values[-1] == pytest.approx(8.0) and np.all(np.diff(values) > 0)
    assert values[2] > LinearNoise(8.0, end=1.0)(2, 11)                  # rises faster than the linear ramp early
    assert noise_schedule("exponential", 2.0, rate=3.0) == ExponentialNoise(2.0, 3.0)
    assert noise_schedule("constant", 2.0) == ConstantNoise(2.0)


def test_schedules_reject_bad_settings():
    with pytest.raises(ValueError, match="final"):
        LinearNoise(-1.0)
    with pytest.raises(ValueError, match="begin before it ends"):
        LinearNoise(4.0, start=0.8, end=0.2)
    with pytest.raises(ValueError, match="rate"):
        ExponentialNoise(4.0, rate=0.0)
    with pytest.raises(ValueError, match="kind"):
        noise_schedule("cosine", 4.0)
    with pytest.raises(ValueError, match="epoch < epochs"):
        LinearNoise(4.0)(10, 10)


def test_scheduler_sets_each_epochs_noise_before_it_runs():
    model = make_hashing_autoencoder(64, 8, hidden=[16])
    seen = []
    scheduler = NoiseScheduler(model, LinearNoise(6.0, end=1.0), epochs=4)
    x = load_digits().x_train[:64]
    fit(model, x, epochs=4, callbacks=[lambda epoch, m, h: seen.append(find_code_layer(m).sigma), scheduler],
        progress=False)
    assert seen == pytest.approx([0.0, 2.0, 4.0, 6.0]) == scheduler.sigmas
    with pytest.raises(TypeError, match="schedule"):
        NoiseScheduler(model, 3.0, epochs=4)
    with pytest.raises(ValueError, match="NoisySigmoid"):
        NoiseScheduler(torch.nn.Linear(2, 2), ConstantNoise(1.0), epochs=4)


def test_unsaturated_fraction():
    assert unsaturated_fraction(np.array([[0.01, 0.5, 0.97, 0.2]])) == 0.5
    assert unsaturated_fraction(torch.tensor([[0.1, 0.9]])) == 0.0           # the interval is open
    with pytest.raises(ValueError, match="low < high"):
        unsaturated_fraction(np.zeros((2, 2)), low=0.9, high=0.1)
    with pytest.raises(TypeError, match="floating"):
        unsaturated_fraction(np.zeros((2, 2), dtype=int))


def test_recorder_keeps_one_snapshot_per_epoch_with_precision():
    digits = load_digits()
    model = make_hashing_autoencoder(64, 8, hidden=[32])
    seen = []
    recorder = CodeRecorder(digits.x_test[:10], n_samples=5, bins=10, on_snapshot=seen.append,
                            retrieval=(digits.x_test, digits.y_test, digits.x_train, digits.y_train))
    NoiseScheduler(model, ConstantNoise(2.0), 3)
    fit(model, digits.x_train[:200], epochs=3, callbacks=[recorder], progress=False)
    assert [s.epoch for s in recorder.snapshots] == [0, 1, 2] and seen == recorder.snapshots
    snap = recorder.snapshots[-1]
    assert snap.histogram.sum() == 10 * 8 and snap.sample_codes.shape == (5, 8) and snap.sigma == 2.0
    assert len(recorder.unsaturated) == 3
    assert snap.precision == precision_at_k(binarize(encode(model, digits.x_test)),
                                            binarize(encode(model, digits.x_train)), digits.y_test, digits.y_train)
    with pytest.raises(ValueError, match="retrieval"):
        CodeRecorder(digits.x_test, retrieval=(digits.x_test, digits.y_test))
