"""aecourse.training at its edges: what `fit` records, checked by value against the losses it computed; the last,
smaller batch; the optimiser and weight decay it was given (fused where torch has it); batched encode/reconstruct;
the full error messages."""
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from aecourse import training
from aecourse.models import make_autoencoder
from aecourse.training import LOSSES, History, as_tensor, encode, fit, make_optimizer, model_device, reconstruct


def data(n=10, d=6, seed=0):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed))


def model(d=6, k=3, seed=0):
    torch.manual_seed(seed)
    return make_autoencoder(d, [4], k)


def recording(fn, seen):
    def loss(r, x):
        value = fn(r, x)
        seen.append((len(x), float(value.detach())))
        return value
    return loss


def test_epoch_loss_is_the_mean_over_steps_including_a_smaller_last_batch():
    seen = []
    history = fit(model(), data(10), epochs=2, batch_size=4, progress=False, loss=recording(LOSSES["mse"], seen))
    assert [n for n, _ in seen] == [4, 4, 2, 4, 4, 2]                    # ceil(10 / 4) = 3 steps per epoch
    for epoch in range(2):
        values = [v for _, v in seen[3 * epoch:3 * epoch + 3]]
        assert history.loss[epoch] == pytest.approx(np.mean(values), rel=1e-6)
        assert history.reconstruction[epoch] == pytest.approx(np.mean(values), rel=1e-6)
    assert history.penalty == [0.0, 0.0] and history.val_loss == [] and not history.stopped_early


def test_named_losses_by_value():
    r = torch.tensor([[0.2, 0.9], [0.0, 1.0]])
    x = torch.tensor([[0.0, 1.0], [0.5, 1.0]])
    assert LOSSES["mse"](r, x).item() == pytest.approx((0.04 + 0.01 + 0.25 + 0.0) / 4)
    expected = nn.functional.binary_cross_entropy(r.clamp(1e-7, 1 - 1e-7), x)
    assert LOSSES["bce"](r, x).item() == pytest.approx(expected.item())
    assert np.isfinite(LOSSES["bce"](torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]])).item())
    assert LOSSES["bce"](torch.tensor([[0.0]]), torch.tensor([[1.0]])).item() == pytest.approx(-np.log(1e-7), rel=1e-3)


def test_bce_by_name_is_used_for_training_and_validation():
    x = data(8)
    m = model()
    history = fit(m, x, epochs=1, batch_size=8, progress=False, loss="bce", x_val=x)
    assert history.val_loss[0] == pytest.approx(LOSSES["bce"](torch.as_tensor(reconstruct(m, x)), x).item(), rel=1e-5)


def test_penalties_are_summed_and_recorded_by_value():
    seen = []

    def omega(scale):
        def penalty(model, x_in, h):
            value = scale * h.pow(2).mean()
            seen.append(float(value.detach()))
            return value
        return penalty
    history = fit(model(), data(8), epochs=1, batch_size=4, progress=False, penalty=(omega(1.0), omega(2.0)))
    per_step = [seen[0] + seen[1], seen[2] + seen[3]]
    assert seen[1] == pytest.approx(2 * seen[0]) and history.penalty[0] == pytest.approx(np.mean(per_step), rel=1e-6)
    assert history.loss[0] == pytest.approx(history.reconstruction[0] + history.penalty[0], rel=1e-6)


def test_corruption_feeds_the_encoder_and_the_loss_compares_with_the_clean_batch():
    x = data(6)
    targets, inputs = [], []

    class Spy(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.n_inputs = inner.n_inputs

        def encode(self, v):
            inputs.append(v.detach().clone())
            return self.inner.encode(v)

        def decode(self, h):
            return self.inner.decode(h)

        def forward(self, v):
            return self.decode(self.encode(v))

    def loss(r, target):
        targets.append(target.clone())
        return ((r - target) ** 2).mean()
    fit(Spy(model()), x, epochs=1, batch_size=6, progress=False, loss=loss, corrupt=lambda v, g: v * 0.0 + 0.5)
    assert torch.equal(inputs[0].cpu(), torch.full((6, 6), 0.5))   # fit trains on get_device(): a GPU if there is one
    assert sorted(map(tuple, targets[0].tolist())) == sorted(map(tuple, x.tolist()))


def test_sgd_and_weight_decay_are_used():
    x = data(8)
    a, b, c = model(seed=1), model(seed=1), model(seed=1)
    fit(a, x, epochs=3, progress=False, optimizer="sgd", lr=0.5)
    fit(b, x, epochs=3, progress=False, optimizer="adam", lr=0.5)
    assert not torch.allclose(a.decoder[0].weight, b.decoder[0].weight)
    # SGD by hand: one full batch step from the same start, on the device fit trained on
    d, e = model(seed=2), model(seed=2)
    fit(d, x, epochs=1, batch_size=8, progress=False, optimizer="sgd", lr=0.1)
    x_d = x.to(model_device(d))
    e.to(x_d.device)
    loss = LOSSES["mse"](e(x_d), x_d)
    loss.backward()
    with torch.no_grad():
        for p in e.parameters():
            p -= 0.1 * p.grad
    for p, q in zip(d.parameters(), e.parameters()):
        assert torch.allclose(p, q, atol=1e-6)
    fit(c, x, epochs=3, progress=False, optimizer="adam", lr=0.5, weight_decay=10.0)
    assert c.decoder[0].weight.norm() < b.decoder[0].weight.norm()


def _unfused(opt_class):
    """`opt_class` as torch before 2.4 has it on a CPU: `fused=True` refused, with torch's error."""
    class Unfused(opt_class):
        def __init__(self, params, **settings):
            if settings.get("fused"):
                raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported "
                                   "devices: ['cuda', 'xpu', 'privateuseone'].")
            super().__init__(params, **settings)
    return Unfused


def test_the_optimiser_is_fused_where_torch_has_one_and_plain_elsewhere(monkeypatch):
    for name in ("adam", "sgd"):
        opt = make_optimizer(name, model(), lr=0.1, weight_decay=0.01)
        assert type(opt) is training.OPTIMIZERS[name]
        assert (opt.defaults["lr"], opt.defaults["weight_decay"]) == (0.1, 0.01)
        if torch.__version__ >= "2.4":                                           # fused on the CPU since 2.4
            assert opt.defaults["fused"] is True, name
    monkeypatch.setattr(training, "OPTIMIZERS", {k: _unfused(v) for k, v in training.OPTIMIZERS.items()})
    plain = make_optimizer("adam", model(), lr=0.1, weight_decay=0.01)
    assert not plain.defaults["fused"] and (plain.defaults["lr"], plain.defaults["weight_decay"]) == (0.1, 0.01)
    assert len(plain.param_groups[0]["params"]) == len(list(model().parameters()))


@pytest.mark.parametrize("args, error, message", [
    (("lbfgs", "model", 0.1), ValueError, "optimizer: expected one of ['adam', 'sgd'], got 'lbfgs'"),
    (("adam", "a model", 0.1), TypeError, "model: expected a torch nn.Module (e.g. make_autoencoder(...)), got str"),
    (("adam", "model", 0.0), ValueError, "lr: expected a number in (0, inf], got 0"),
    (("sgd", "model", 0.1, -1.0), ValueError, "weight_decay: expected a number in [0, inf], got -1"),
])
def test_make_optimizer_refuses_what_it_cannot_use(args, error, message):
    name, net, lr, *weight_decay = args
    with pytest.raises(error) as info:
        make_optimizer(name, model() if net == "model" else net, lr=lr, weight_decay=(weight_decay or [0.0])[0])
    assert message in str(info.value)


def test_the_fused_optimiser_trains_as_the_plain_one_does_to_rounding(monkeypatch):
    x = data(40)
    fused, plain = model(seed=4), model(seed=4)
    fused_history = fit(fused, x, epochs=5, batch_size=8, lr=1e-2, weight_decay=1e-3, progress=False)
    monkeypatch.setattr(training, "OPTIMIZERS", {k: _unfused(v) for k, v in training.OPTIMIZERS.items()})
    plain_history = fit(plain, x, epochs=5, batch_size=8, lr=1e-2, weight_decay=1e-3, progress=False)
    assert fused_history.loss == pytest.approx(plain_history.loss, rel=1e-4)
    for p, q in zip(fused.parameters(), plain.parameters()):
        assert torch.allclose(p, q, atol=1e-5)


def test_callbacks_see_each_epoch_and_the_model_is_left_in_eval_mode():
    calls = []
    m = model()
    history = fit(m, data(6), epochs=3, progress=False,
                  callbacks=[lambda e, mod, h: calls.append(("a", e, mod is m, mod.training)),
                             lambda e, mod, h: calls.append(("b", e, len(h), None)) or False])
    assert calls == [("a", 0, True, True), ("b", 0, 1, None), ("a", 1, True, True), ("b", 1, 2, None),
                     ("a", 2, True, True), ("b", 2, 3, None)]
    assert len(history) == 3 and not history.stopped_early and not m.training
    truthy = fit(model(), data(6), epochs=3, progress=False, callbacks=[lambda e, mod, h: 1])
    assert len(truthy) == 3 and not truthy.stopped_early                 # only True stops


def test_seed_changes_the_run_and_the_default_seed_is_zero():
    x = data(12)
    a = fit(model(), x, epochs=2, batch_size=4, progress=False).loss
    b = fit(model(), x, epochs=2, batch_size=4, progress=False, seed=0).loss
    c = fit(model(), x, epochs=2, batch_size=4, progress=False, seed=3).loss
    assert a == b and a != c


def test_val_loss_is_measured_in_eval_mode():
    torch.manual_seed(0)
    m = make_autoencoder(6, [8], 3)
    m.encoder.insert(1, nn.Dropout(0.9))
    x = data(10)
    history = fit(m, x, epochs=1, progress=False, x_val=x, lr=1e-9)
    assert history.val_loss[0] == pytest.approx(float(((reconstruct(m, x) - x.numpy()) ** 2).mean()), rel=1e-5)


def test_batched_encode_and_reconstruct_equal_one_batch():
    m = model()
    x = data(11)
    with torch.no_grad():
        full_h, full_r = m.encode(x).numpy(), m(x).numpy()
    for batch_size in (1, 3, 11, 50):
        np.testing.assert_allclose(encode(m, x, batch_size=batch_size), full_h, atol=1e-6)
        np.testing.assert_allclose(reconstruct(m, x.numpy(), batch_size=batch_size), full_r, atol=1e-6)
    m.train()
    encode(m, x)
    assert not m.training


def test_helpers():
    t = as_tensor(np.ones((2, 3), np.float64))
    assert t.dtype == torch.float32 and t.device.type == "cpu"
    assert model_device(nn.Identity()) == torch.device("cpu") and model_device(model()).type == "cpu"
    assert len(History(loss=[1.0, 2.0])) == 2
    m = model()
    fit(m, data(4), epochs=1, progress=False, device=torch.device("cpu"))
    assert model_device(m).type == "cpu"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"lr": 0.0}, ValueError, "lr: expected a number in (0, inf], got 0"),
    ({"weight_decay": -0.1}, ValueError, "weight_decay: expected a number in [0, inf], got -0.1"),
    ({"optimizer": "lbfgs"}, ValueError, "optimizer: expected one of ['adam', 'sgd'], got 'lbfgs'"),
    ({"loss": "mae"}, ValueError, "loss: expected one of ['bce', 'mse'], got 'mae'"),
    ({"callbacks": [3]}, TypeError, "penalty, corrupt and callbacks must be callables, got int for callbacks: "
                                    "expected callback(epoch, model, history)"),
    ({"corrupt": "masking"}, TypeError, "penalty, corrupt and callbacks must be callables, got str for corrupt: "
                                        "expected corrupt(x, generator) -> x~"),
    ({"penalty": [abs]}, TypeError, "penalty: fit calls it as penalty(model, x_in, h) -> scalar tensor, but abs "
                                    "takes (x, /): give it that signature (it may ignore arguments it does not need)"),
    ({"batch_size": True}, TypeError, "batch_size: expected an integer >= 1, got bool True"),
    ({"x_val": np.zeros((2, 5), np.float32)}, ValueError, "x_val: expected 6 features per sample, got 5..."),
])
def test_bad_settings_get_the_full_message(kwargs, error, message):
    with pytest.raises(error) as info:
        fit(model(), data(4), progress=False, **kwargs)
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_a_model_without_decode_is_named_in_the_message():
    class OnlyEncode(nn.Module):
        def encode(self, x):
            return x
    with pytest.raises(TypeError) as info:
        fit(OnlyEncode(), data(4), progress=False)
    assert str(info.value) == ("model: expected an autoencoder with encode() and decode() methods, got OnlyEncode: "
                               "build one with make_autoencoder(...) or Autoencoder(enc, dec)")


def test_progress_bar_shows_epochs_and_loss_and_leaves_no_line(capsys, monkeypatch):
    import re
    import threading

    import tqdm.auto
    # this process's own lock and no monitor thread: tqdm's default lock holds a semaphore shared with every process
    # forked from the one that imported tqdm, and mutmut's workers, forked, hung on it
    monkeypatch.setattr(tqdm.auto.tqdm, "_lock", threading.RLock(), raising=False)
    monkeypatch.setattr(tqdm.auto.tqdm, "monitor_interval", 0)
    fit(model(), data(8), epochs=3, batch_size=8)                           # progress=True is the default
    err = capsys.readouterr().err
    assert "training:" in err and "0/3" in err and "3/3" in err and "epoch/s" in err, err
    assert "4/3" not in err and re.search(r"loss=\d\.\d{4}\b", err) and "\n" not in err, err


def test_default_settings():
    x = data(70)
    seen = []
    default = model(seed=4)
    history = fit(default, x, progress=False, loss=recording(LOSSES["mse"], seen))
    assert len(history) == 50 and [n for n, _ in seen[:2]] == [64, 6]     # 50 epochs, batches of 64
    explicit = model(seed=4)
    fit(explicit, x, epochs=50, batch_size=64, lr=1e-2, progress=False)
    for p, q in zip(default.parameters(), explicit.parameters()):
        assert torch.equal(p, q)                                           # lr = 1e-2


class CheckedPenalty:
    """A Penalty subclass that records the arguments of its checks and of its calls."""

    def __init__(self):
        from aecourse.training import Penalty

        class Recorder(Penalty):
            def check(inner, model, x_in, h):
                self.checks.append((model, x_in, h))

            def __call__(inner, model, x_in, h):
                self.calls.append(x_in.requires_grad)
                return h.sum() * 0.0
        self.checks, self.calls, self.penalty = [], [], Recorder()


def test_penalty_check_runs_once_with_fit_s_arguments_and_plain_penalties_get_plain_inputs():
    recorder = CheckedPenalty()
    m, x = model(), data(8)
    fit(m, x, epochs=2, batch_size=4, progress=False, penalty=recorder.penalty)
    assert len(recorder.checks) == 1 and len(recorder.calls) == 4          # the first batch only
    checked_model, x_in, h = recorder.checks[0]
    assert checked_model is m and x_in.shape == (4, 6) and h.shape == (4, 3)
    assert recorder.calls == [False] * 4                                   # no needs_input_grad: a plain x_in
    grads = []
    fit(model(), x, epochs=1, batch_size=8, progress=False,
        penalty=lambda mod, x_in, h: grads.append(x_in.requires_grad) or h.sum() * 0.0)
    assert grads == [False]


def test_random_numbers_come_from_fit_s_generator():
    generators = []
    fit(model(), data(6), epochs=1, batch_size=6, progress=False,
        corrupt=lambda v, g: generators.append(g) or v)
    assert isinstance(generators[0], torch.Generator)
    # the order of the items depends on the seed only, not on the model's own random draws (dropout)
    targets = []
    for dropout in (False, True):
        torch.manual_seed(0)
        m = make_autoencoder(6, [8], 3)
        if dropout:
            m.encoder.insert(1, nn.Dropout(0.5))

        def loss(r, target):
            targets.append(target.clone())
            return ((r - target) ** 2).mean()
        fit(m, data(8), epochs=3, batch_size=2, progress=False, loss=loss)
    half = len(targets) // 2
    assert all(torch.equal(a, b) for a, b in zip(targets[:half], targets[half:]))


def test_the_data_is_checked_against_the_model():
    with pytest.raises(ValueError) as info:
        fit(model(d=6), data(4, d=5), progress=False)
    assert str(info.value).startswith("x: expected 6 features per sample, got 5"), str(info.value)
    with pytest.raises(ValueError) as info:
        fit(model(), np.zeros(6, np.float32), progress=False)
    assert str(info.value).startswith("x: expected a 2-D array"), str(info.value)

    class Plain(nn.Module):                                                # n_inputs, and no check of its own
        n_inputs = 6

        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = nn.Linear(6, 3), nn.Linear(3, 6)

        def encode(self, v):
            return self.encoder(v)

        def decode(self, h):
            return self.decoder(h)
    with pytest.raises(ValueError) as info:                                # fit checks the width before training
        fit(Plain(), data(4, d=5), progress=False)
    assert str(info.value).startswith("x: expected 6 features per sample, got 5"), str(info.value)

    class Bare(nn.Module):                                                 # no n_inputs: any width is accepted
        def __init__(self):
            super().__init__()
            self.inner = model()

        def encode(self, v):
            return self.inner.encode(v)

        def decode(self, h):
            return self.inner.decode(h)
    assert len(fit(Bare(), data(4), epochs=1, progress=False)) == 1


def test_a_callable_object_with_the_wrong_signature_is_named_by_its_class():
    class Scale:
        def __call__(self, h):
            return h.sum()
    with pytest.raises(TypeError) as info:
        fit(model(), data(4), progress=False, penalty=Scale())
    assert str(info.value) == ("penalty: fit calls it as penalty(model, x_in, h) -> scalar tensor, but Scale takes "
                               "(h): give it that signature (it may ignore arguments it does not need)")


@pytest.mark.parametrize("high, warns", [(1.0, False), (2.0, False), (3.0, True), (255.0, True)])
def test_raw_pixel_warning_points_at_the_caller(high, warns):
    import warnings
    x = torch.tensor([[0.0, high], [1.0, 0.0]]).repeat(2, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(model(), x, epochs=1, progress=False)
    raw = [w for w in caught if "raw pixel" in str(w.message)]
    assert len(raw) == warns
    if warns:
        # stacklevel: it points at the code that called fit (this file; mutmut's trampolines add frames of their
        # own), never inside the library or pytest
        where = Path(raw[0].filename)
        assert raw[0].category is UserWarning and where.parts[-2:] != ("aecourse", "training.py")
        assert not {"_pytest", "pluggy"} & set(where.parts), where
        assert str(raw[0].message) == (
            f"x: values are whole numbers in [0, {high:g}], like raw pixel intensities; the course's models expect "
            "inputs in [0, 1] (their output is a sigmoid): divide by 255 (MNIST) or 16 (sklearn digits) first")
