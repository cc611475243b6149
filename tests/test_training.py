import warnings

import numpy as np
import pytest
import torch

from aecourse.data import load_digits
from aecourse.models import make_autoencoder
from aecourse.training import encode, fit, reconstruct


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def small_model():
    torch.manual_seed(0)
    return make_autoencoder(64, [32], 8)


def test_fit_lowers_the_loss_and_records_one_value_per_epoch(digits):
    model = small_model()
    history = fit(model, digits.x_train, epochs=8, lr=3e-3, progress=False, x_val=digits.x_test)
    assert len(history) == 8 and len(history.val_loss) == 8
    assert history.loss[-1] < 0.6 * history.loss[0]
    assert history.penalty == [0.0] * 8
    mse = float(((reconstruct(model, digits.x_test) - digits.x_test) ** 2).mean())
    assert mse == pytest.approx(history.val_loss[-1], rel=1e-4)


def test_fit_is_repeatable_with_the_same_seed(digits):
    runs = [fit(small_model(), digits.x_train[:200], epochs=3, seed=5, progress=False).loss for _ in range(2)]
    assert runs[0] == runs[1]


def test_fit_accepts_numpy_or_torch_and_returns_numpy_codes(digits):
    model = small_model()
    fit(model, torch.from_numpy(digits.x_train[:100]), epochs=1, progress=False, device="cpu")
    codes = encode(model, digits.x_test)
    assert isinstance(codes, np.ndarray) and codes.shape == (300, 8)


def test_callbacks_run_every_epoch_and_can_stop_training(digits):
    seen = []
    history = fit(small_model(), digits.x_train[:100], epochs=10, progress=False,
                  callbacks=[lambda epoch, model, history: seen.append((epoch, len(history.loss))) or epoch == 2])
    assert seen == [(0, 1), (1, 2), (2, 3)]
    assert history.stopped_early and len(history) == 3


def test_penalties_and_corruption_enter_the_objective(digits):
    calls = {"penalty": 0, "corrupt": 0}

    def penalty(model, x_in, h):
        calls["penalty"] += 1
        assert x_in.requires_grad                      # asked for by needs_input_grad
        return 0.1 * h.abs().mean()
    penalty.needs_input_grad = True

    def corrupt(x, generator):
        calls["corrupt"] += 1
        return x * (torch.rand(x.shape, generator=generator) > 0.25).to(x)

    history = fit(small_model(), digits.x_train[:128], epochs=2, batch_size=64, progress=False,
                  penalty=[penalty, penalty], corrupt=corrupt)
    assert calls == {"penalty": 8, "corrupt": 4}
    assert all(p > 0 for p in history.penalty)
    assert history.loss[0] == pytest.approx(history.reconstruction[0] + history.penalty[0], rel=1e-5)


def test_a_loss_function_of_the_learner_can_be_used(digits):
    seen = []

    def l1(r, x):
        value = (r - x).abs().mean()
        seen.append(float(value.detach()))
        return value
    model = small_model()
    history = fit(model, digits.x_train[:128], epochs=1, batch_size=64, progress=False, loss=l1,
                  x_val=digits.x_test)
    assert len(seen) == 3                                   # two training steps, one validation pass
    assert history.loss[0] == pytest.approx((seen[0] + seen[1]) / 2, rel=1e-6)
    l1_val = float(np.abs(reconstruct(model, digits.x_test) - digits.x_test).mean())
    assert history.val_loss[0] == pytest.approx(l1_val, rel=1e-5)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"batch_size": 0}, ValueError, r"batch_size: expected an integer >= 1, got 0"),
    ({"epochs": 0}, ValueError, r"epochs: expected an integer >= 1, got 0"),
    ({"epochs": 2.5}, TypeError, r"epochs: expected an integer"),
    ({"lr": -1.0}, ValueError, r"lr: expected a number in \(0, inf\]"),
    ({"weight_decay": -0.1}, ValueError, r"weight_decay"),
    ({"loss": "mae"}, ValueError, r"loss: expected one of \['bce', 'mse'\]"),
    ({"optimizer": "lbfgs"}, ValueError, r"optimizer: expected one of"),
    ({"penalty": 3}, TypeError, r"must be callables"),
    ({"device": "tpu"}, ValueError, r"expected one of \['cpu', 'cuda', 'mps'\]"),
])
def test_bad_settings_are_explained(digits, kwargs, error, message):
    with pytest.raises(error, match=message):
        fit(small_model(), digits.x_train[:10], progress=False, **kwargs)


@pytest.mark.parametrize("x, error, message", [
    (np.zeros((10, 8, 8), np.float32), ValueError, r"expected a 2-D array \(n_samples, n_features\), got shape "
                                                   r"\(10, 8, 8\): flatten images first"),
    (np.zeros(64, np.float32), ValueError, r"got shape \(64,\): add a batch dimension"),
    (np.zeros((10, 10), np.float32), ValueError, r"expected 64 features per sample, got 10"),
    (np.zeros((0, 64), np.float32), ValueError, r"at least one sample"),
    (np.full((3, 64), np.nan, np.float32), ValueError, r"expected finite values, got NaN or inf"),
    (np.full((3, 64), np.inf, np.float32), ValueError, r"finite"),
    (np.zeros((3, 64), np.int64), TypeError, r"expected floating-point values, got dtype int64"),
    ([[0.0] * 64], TypeError, r"got a list: wrap it with np.asarray"),
    ("digits", TypeError, r"expected a numpy array or torch tensor"),
])
def test_bad_data_is_explained(x, error, message):
    with pytest.raises(error, match=message):
        fit(small_model(), x, progress=False)


def test_validation_data_must_match_the_training_width(digits):
    with pytest.raises(ValueError, match="x_val: expected 64 features"):
        fit(small_model(), digits.x_train[:10], x_val=np.zeros((2, 3), np.float32), progress=False)


def test_a_model_without_encode_and_decode_is_refused(digits):
    with pytest.raises(TypeError, match="expected an autoencoder with encode"):
        fit(torch.nn.Linear(64, 64), digits.x_train[:10], progress=False)


# ------------------------------------------------------------------ what a new user gets wrong (issue 12, section 5)

def test_a_penalty_with_the_wrong_signature_is_told_the_right_one(digits):
    with pytest.raises(TypeError, match=r"penalty: fit calls it as penalty\(model, x_in, h\)"):
        fit(small_model(), digits.x_train[:10], progress=False, penalty=lambda h: h.abs().mean())
    with pytest.raises(TypeError, match=r"corrupt: fit calls it as corrupt\(x, generator\)"):
        fit(small_model(), digits.x_train[:10], progress=False, corrupt=lambda x: x)


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")  # the wrong penalty is on purpose
def test_a_penalty_returning_a_float_must_return_a_scalar_tensor(digits):
    with pytest.raises(TypeError, match=r"must return a scalar torch tensor.*returned a float.*no \.item\(\)"):
        fit(small_model(), digits.x_train[:10], progress=False, penalty=lambda m, x_in, h: float(h.abs().mean()))
    with pytest.raises(TypeError, match=r"returned a tensor of shape \(10,\).*\.sum\(\) or \.mean\(\)"):
        fit(small_model(), digits.x_train[:10], progress=False, penalty=lambda m, x_in, h: h.abs().sum(dim=1))


def test_a_dataset_is_answered_with_its_arrays(digits):
    with pytest.raises(TypeError, match=r"got a Dataset: pass its images, e.g. digits.x_train"):
        fit(small_model(), digits, progress=False)


def test_raw_pixel_values_are_warned_about(digits):
    with pytest.warns(UserWarning, match=r"whole numbers in \[0, 16\].*divide by 255 \(MNIST\) or 16"):
        fit(small_model(), digits.x_train[:100] * 16, epochs=1, progress=False)
    with pytest.warns(UserWarning, match=r"\[0, 255\]"):
        fit(small_model(), np.round(digits.x_train[:10] * 255), epochs=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                   # data in [0, 1]: no warning
        fit(small_model(), digits.x_train[:10], epochs=1, progress=False)
