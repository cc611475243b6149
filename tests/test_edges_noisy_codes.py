"""aecourse.noisy_codes at its edges: every schedule with `start` and `end` set, checked against its formula at and
between the ends of the ramp; the per-item noise by value; the scheduler's first and last epochs; bounds, messages."""
import math

import numpy as np
import pytest
import torch

from aecourse.noisy_codes import (
    SCHEDULES,
    ConstantNoise,
    ExponentialNoise,
    LinearNoise,
    NoiseScheduler,
    NoisySigmoid,
    find_code_layer,
    noise_schedule,
    unsaturated_fraction,
)
from aecourse.semantic_hashing import make_hashing_autoencoder


def ramp(t, start, end):
    return min(max((t - start) / (end - start), 0.0), 1.0)


@pytest.mark.parametrize("start, end", [(0.2, 0.6), (0.0, 0.3), (0.5, 1.0), (0.1, 0.9)])
def test_linear_schedule_with_start_and_end(start, end):
    schedule = LinearNoise(6.0, start=start, end=end)
    for epoch in range(21):
        t = epoch / 20
        assert schedule(epoch, 21) == pytest.approx(6.0 * ramp(t, start, end), abs=1e-12), (epoch, start, end)
    assert schedule(0, 21) == 0.0 and schedule(20, 21) == 6.0
    assert noise_schedule("linear", 6.0, start=start, end=end) == schedule


@pytest.mark.parametrize("start, end, rate", [(0.2, 0.6, 2.0), (0.0, 0.3, 5.0), (0.5, 1.0, 0.5)])
def test_exponential_schedule_with_start_and_end(start, end, rate):
    schedule = ExponentialNoise(6.0, rate=rate, start=start, end=end)
    for epoch in range(21):
        u = ramp(epoch / 20, start, end)
        expected = 6.0 * (1 - math.exp(-rate * u)) / (1 - math.exp(-rate))
        assert schedule(epoch, 21) == pytest.approx(expected, abs=1e-12), (epoch, start, end)
    assert noise_schedule("exponential", 6.0, rate=rate, start=start, end=end) == schedule


def test_schedules_by_name_and_their_defaults():
    assert set(SCHEDULES) == {"constant", "linear", "exponential"}
    assert noise_schedule() == LinearNoise(8.0, 0.0, 0.8)
    assert noise_schedule("linear", 8.0)(0, 100) == 0.0 and noise_schedule("linear", 8.0)(99, 100) == 8.0
    assert noise_schedule("exponential") == ExponentialNoise(8.0, 5.0, 0.0, 0.8)
    assert noise_schedule("constant", 3.0, start=0.5, end=0.6) == ConstantNoise(3.0)
    assert LinearNoise(4.0).start == 0.0 and LinearNoise(4.0).end == 0.8
    assert ExponentialNoise(4.0).rate == 5.0
    # with one epoch, t = 0: the ramps are at their start
    assert LinearNoise(4.0)(0, 1) == 0.0 and ConstantNoise(2.5)(0, 1) == 2.5
    assert LinearNoise(4.0, end=0.5)(1, 2) == 4.0
    assert LinearNoise(4.0, start=0.0, end=1.0)(1, 3) == pytest.approx(2.0)


def test_ramp_bounds_are_inclusive_where_stated():
    assert LinearNoise(1.0, start=0.0, end=1.0)(1, 2) == 1.0
    for kwargs, message in [
        ({"start": 1.0, "end": 1.0}, r"start: expected a number in \[0, 1\), got 1"),
        ({"start": -0.1, "end": 0.5}, r"start: expected a number in \[0, 1\), got -0.1"),
        ({"start": 0.0, "end": 0.0}, r"end: expected a number in \(0, 1\], got 0"),
        ({"start": 0.0, "end": 1.5}, r"end: expected a number in \(0, 1\], got 1.5"),
        ({"start": 0.5, "end": 0.5}, r"start, end: the ramp must begin before it ends \(fractions of training\), "
                                     r"got start=0.5 >= end=0.5; e.g. start=0.2, end=0.8"),
    ]:
        with pytest.raises(ValueError, match="^" + message + "$"):
            LinearNoise(1.0, **kwargs)
        with pytest.raises(ValueError, match="^" + message + "$"):
            ExponentialNoise(1.0, **kwargs)
    assert LinearNoise(0.0)(5, 10) == 0.0 and ConstantNoise(0.0)(0, 2) == 0.0


@pytest.mark.parametrize("call, error, message", [
    (lambda: ConstantNoise(-1.0), ValueError, "sigma: expected a number in [0, inf], got -1"),
    (lambda: ExponentialNoise(-1.0), ValueError, "final: expected a number in [0, inf], got -1"),
    (lambda: LinearNoise(-1.0), ValueError, "final: expected a number in [0, inf], got -1"),
    (lambda: ExponentialNoise(1.0, rate=-1.0), ValueError, "rate: expected a number in (0, inf], got -1"),
    (lambda: LinearNoise(1.0)(-1, 10), ValueError, "epoch: expected an integer >= 0, got -1"),
    (lambda: LinearNoise(1.0)(10, 10), ValueError, "epoch: expected 0 <= epoch < epochs = 10, got 10"),
    (lambda: LinearNoise(1.0)(0, 0), ValueError, "epochs: expected an integer >= 1, got 0"),
    (lambda: noise_schedule("cosine"), ValueError,
     "kind: expected one of ['constant', 'exponential', 'linear'], got 'cosine'"),
    (lambda: NoisySigmoid(0), ValueError, "n_units: expected an integer >= 1, got 0"),
    (lambda: NoisySigmoid(2, n_items=0), ValueError, "n_items: expected an integer >= 1, got 0"),
    (lambda: NoisySigmoid(2, sigma=-1.0), ValueError, "sigma: expected a number in [0, inf], got -1"),
    (lambda: unsaturated_fraction(np.zeros(3)), ValueError, "codes: expected a 2-D array (n_samples, n_features), got "
     "shape (3,): add a batch dimension, e.g. x.reshape(1, -1)"),
    (lambda: NoisySigmoid(2, n_items=3, seed=-1), ValueError, "seed: expected an integer >= 0, got -1"),
    (lambda: NoisySigmoid(3)(torch.zeros(2, 3, 1)), ValueError,
     "NoisySigmoid: expected pre-activations of shape (batch, 3), got (2, 3, 1)"),
    (lambda: NoisySigmoid(3, sigma=1.0, n_items=4).train()(torch.zeros(2, 3)), ValueError,
     "NoisySigmoid(n_items=...): fixed per-item noise needs item_ids, the training items' row numbers; call it as "
     "layer(z, item_ids)"),
    (lambda: find_code_layer(torch.nn.Sequential(NoisySigmoid(2), NoisySigmoid(2))), ValueError,
     "model: expected exactly one NoisySigmoid code layer, found 2: build the model with "
     "make_hashing_autoencoder(...)"),
    (lambda: NoiseScheduler(make_hashing_autoencoder(4, 2, hidden=[3]), lambda e, n: -1.0, 3), ValueError,
     "schedule(epoch, epochs): expected a number in [0, inf], got -1"),
    (lambda: NoiseScheduler(make_hashing_autoencoder(4, 2, hidden=[3]), ConstantNoise(1.0), 0), ValueError,
     "epochs: expected an integer >= 1, got 0"),
    (lambda: NoiseScheduler(make_hashing_autoencoder(4, 2, hidden=[3]), "linear", 3), TypeError,
     "schedule: expected a callable schedule(epoch, epochs) -> sigma such as noise_schedule('linear', 8.0), got str"),
    (lambda: unsaturated_fraction(np.zeros((2, 2)), low=0.5, high=0.5), ValueError,
     "low, high: expected low < high, got low=0.5, high=0.5"),
    (lambda: unsaturated_fraction(np.zeros((2, 2)), low=-0.1), ValueError,
     "low: expected a number in [0, 1], got -0.1"),
    (lambda: unsaturated_fraction(np.zeros((2, 2)), high=1.1), ValueError,
     "high: expected a number in [0, 1], got 1.1"),
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_fixed_noise_by_value():
    layer = NoisySigmoid(3, sigma=2.0, n_items=5, seed=4)
    expected_noise = torch.randn(5, 3, generator=torch.Generator().manual_seed(4))
    assert torch.equal(layer.fixed_noise, expected_noise) and layer.per_item and layer.n_items == 5
    z = torch.tensor([[0.5, -1.0, 0.0], [1.0, 2.0, -3.0]])
    ids = torch.tensor([3, 0])
    assert torch.allclose(layer.train()(z, ids), torch.sigmoid(z + 2.0 * expected_noise[ids]))
    assert torch.equal(layer.eval()(z, ids), torch.sigmoid(z))
    assert not NoisySigmoid(3).per_item and NoisySigmoid(3).sigma == 0.0
    assert torch.equal(NoisySigmoid(3, n_items=5).fixed_noise,                      # the default seed is 0
                       torch.randn(5, 3, generator=torch.Generator().manual_seed(0)))
    assert "fixed_noise" in dict(layer.named_buffers())
    assert not torch.equal(NoisySigmoid(3, n_items=5, seed=5).fixed_noise, expected_noise)
    assert NoisySigmoid(3, n_items=5).fixed_noise.shape == (5, 3)


def test_fresh_noise_by_value():
    layer = NoisySigmoid(2, sigma=1.5).train()
    z = torch.tensor([[0.3, -0.7]])
    torch.manual_seed(9)
    out = layer(z)
    torch.manual_seed(9)
    assert torch.allclose(out, torch.sigmoid(z + 1.5 * torch.randn_like(z)))


def test_extra_repr():
    assert NoisySigmoid(4, sigma=2.0).extra_repr() == "n_units=4, sigma=2"
    assert NoisySigmoid(4, n_items=7).extra_repr() == "n_units=4, sigma=0, fixed per item (7)"


def test_scheduler_first_and_last_epoch():
    model = make_hashing_autoencoder(4, 2, hidden=[3])
    scheduler = NoiseScheduler(model, LinearNoise(3.0, start=0.0, end=1.0), epochs=4)
    layer = find_code_layer(model)
    assert layer is model.code and layer.sigma == 0.0 and scheduler.sigmas == [0.0]
    for epoch in range(4):
        scheduler(epoch, model, None)
    assert scheduler.sigmas == pytest.approx([0.0, 1.0, 2.0, 3.0]) and layer.sigma == 3.0   # no 5th level
    assert scheduler.epochs == 4 and scheduler.layer is layer


def test_unsaturated_fraction_bounds_and_types():
    codes = np.array([[0.1, 0.10001, 0.5, 0.89999, 0.9, 0.0]])
    assert unsaturated_fraction(codes) == pytest.approx(3 / 6)
    assert unsaturated_fraction(codes, low=0.0, high=1.0) == pytest.approx(5 / 6)
    assert unsaturated_fraction(torch.as_tensor(codes), low=0.05, high=0.95) == pytest.approx(5 / 6)
    assert unsaturated_fraction(torch.tensor([[0.5]], requires_grad=True)) == 1.0
