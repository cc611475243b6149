"""aecourse.corruption at its edges: round(nu * d) with nu * d fractional, each corruption against its formula with
the same random draws, the factories against their functional twins, and the bounds of the settings."""
import numpy as np
import pytest
import torch

from aecourse.corruption import (
    GaussianNoise,
    MaskingNoise,
    SaltAndPepperNoise,
    gaussian_noise,
    make_corruption,
    masked_rmse,
    masking_noise,
    random_mask,
    salt_and_pepper_noise,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def x():
    return 0.1 + 0.8 * torch.rand(50, 10, generator=gen(5))


# nu * d fractional: round() gives the nearest count (Python rounds halves to even), int() would truncate
@pytest.mark.parametrize("nu, d, count", [(0.37, 10, 4), (0.33, 10, 3), (0.15, 64, 10), (0.25, 10, 2),
                                          (0.35, 10, 4), (0.99, 10, 10), (0.04, 10, 0)])
def test_mask_size_is_round_nu_d(nu, d, count):
    assert count == round(nu * d)
    mask = random_mask((30, d), nu, gen())
    assert mask.dtype == torch.bool and mask.shape == (30, d)
    assert (mask.sum(1) == count).all()
    x = 0.1 + 0.8 * torch.rand(30, d, generator=gen(1))
    out, missing = masking_noise(x, nu, gen(), return_mask=True)
    assert torch.equal(missing, mask) and ((out == 0).sum(1) == count).all()
    changed = salt_and_pepper_noise(x, nu, generator=gen()) != x
    assert (changed.sum(1) == count).all()


def test_mask_positions_are_the_smallest_uniform_draws():
    draws = torch.rand((4, 10), generator=gen(3))
    expected = draws.argsort(dim=1).argsort(dim=1) < 4
    assert torch.equal(random_mask((4, 10), 0.37, gen(3)), expected)
    assert random_mask((4, 10), 0.37, gen(3))[torch.arange(4), draws.argmin(dim=1)].all()


def test_gaussian_noise_is_x_plus_sigma_eps(x):
    eps = torch.randn(x.shape, generator=gen(2))
    assert torch.allclose(gaussian_noise(x, 0.3, gen(2)), x + 0.3 * eps, atol=0, rtol=0)
    out = gaussian_noise(x.numpy(), 0.3, gen(2))
    assert isinstance(out, np.ndarray) and np.array_equal(out, (x + 0.3 * eps).numpy())


def test_masking_sets_the_masked_entries_to_zero_and_keeps_the_rest(x):
    mask = random_mask(tuple(x.shape), 0.3, gen(4))
    out = masking_noise(x, 0.3, gen(4))
    assert torch.equal(out, torch.where(mask, torch.zeros_like(x), x))
    out_np, mask_np = masking_noise(x.numpy(), 0.3, gen(4), return_mask=True)
    assert isinstance(mask_np, np.ndarray) and mask_np.dtype == bool and np.array_equal(mask_np, mask.numpy())
    assert np.array_equal(out_np, out.numpy())


def test_salt_and_pepper_uses_the_mask_then_a_fair_coin(x):
    g = gen(6)
    mask = random_mask(tuple(x.shape), 0.4, g)
    coin = torch.rand(x.shape, generator=g) < 0.5
    expected = torch.where(mask, torch.where(coin, torch.tensor(2.0), torch.tensor(-1.0)), x)
    assert torch.equal(salt_and_pepper_noise(x, 0.4, low=-1.0, high=2.0, generator=gen(6)), expected)
    out = salt_and_pepper_noise(x.numpy(), 0.4, generator=gen(6))
    assert isinstance(out, np.ndarray)
    assert set(np.unique(out[mask.numpy()]).tolist()) == {0.0, 1.0}
    assert np.array_equal(out[~mask.numpy()], x.numpy()[~mask.numpy()])
    same = salt_and_pepper_noise(x, 0.4, low=0.5, high=0.5, generator=gen(6))   # low == high is allowed
    assert (same[mask] == 0.5).all()


@pytest.mark.parametrize("factory, twin", [
    (lambda: GaussianNoise(0.2), lambda x, g: gaussian_noise(x, 0.2, g)),
    (lambda: MaskingNoise(0.3), lambda x, g: masking_noise(x, 0.3, g)),
    (lambda: SaltAndPepperNoise(0.3), lambda x, g: salt_and_pepper_noise(x, 0.3, 0.0, 1.0, g)),
    (lambda: SaltAndPepperNoise(0.3, low=-2.0, high=3.0), lambda x, g: salt_and_pepper_noise(x, 0.3, -2.0, 3.0, g)),
    (lambda: make_corruption("gaussian", 0.2), lambda x, g: gaussian_noise(x, 0.2, g)),
    (lambda: make_corruption("masking", 0.3), lambda x, g: masking_noise(x, 0.3, g)),
    (lambda: make_corruption("salt_and_pepper", 0.3), lambda x, g: salt_and_pepper_noise(x, 0.3, 0.0, 1.0, g)),
])
def test_factories_equal_their_functional_twins(x, factory, twin):
    assert torch.equal(factory()(x, gen(7)), twin(x, gen(7)))


def test_reprs_name_every_setting():
    assert repr(SaltAndPepperNoise(0.1, low=-1.0, high=2.0)) == "SaltAndPepperNoise(nu=0.1, low=-1.0, high=2.0)"
    assert make_corruption("gaussian", 0.5) == GaussianNoise(0.5)
    assert make_corruption("masking", 0.5) == MaskingNoise(0.5)
    assert make_corruption("salt_and_pepper", 0.5) == SaltAndPepperNoise(0.5, 0.0, 1.0)


def test_nu_bounds_are_inclusive_and_checked(x):
    assert MaskingNoise(0.0).nu == 0.0 and MaskingNoise(1.0).nu == 1.0
    assert (salt_and_pepper_noise(x, 1.0, low=3.0, high=3.0, generator=gen()) == 3.0).all()
    for bad in (-1e-9, 1.0 + 1e-9):
        with pytest.raises(ValueError, match=r"nu \(the fraction of entries to corrupt\): expected a number in \[0, 1"):
            random_mask((2, 3), bad)
        with pytest.raises(ValueError, match=r"expected a number in \[0, 1\]"):
            SaltAndPepperNoise(bad)
    with pytest.raises(ValueError, match=r"sigma: expected a number in \[0, inf\]"):
        gaussian_noise(x, -0.1)
    assert torch.equal(GaussianNoise(0.0)(x, gen()), x)


@pytest.mark.parametrize("call, error, message", [
    (lambda: random_mask((2, 3), 0.5, generator="seed"), TypeError,
     "generator: expected a torch.Generator or None, got str: make one with torch.Generator().manual_seed(0)"),
    (lambda: gaussian_noise(torch.rand(2, 3), 0.1, generator=3), TypeError,
     "generator: expected a torch.Generator or None, got int..."),
    (lambda: SaltAndPepperNoise(0.1, low=2.0, high=1.0), ValueError,
     "low, high: expected low <= high (the minimum and maximum input value), got 2 > 1: swap them"),
    (lambda: salt_and_pepper_noise(torch.rand(2, 3), 0.1, low=2.0, high=1.0), ValueError,
     "low, high: expected low <= high (the minimum and maximum input value), got 2 > 1: swap them"),
    (lambda: make_corruption("blur", 0.1), ValueError,
     "kind: expected one of ['gaussian', 'masking', 'salt_and_pepper'], got 'blur'"),
    (lambda: gaussian_noise([[0.0]], 0.1), TypeError,
     "x: expected a numpy array or torch tensor, got a list: wrap it with np.asarray(x, dtype=np.float32)"),
    (lambda: masked_rmse(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 3), bool)), ValueError,
     "x, x_hat, mask: expected three arrays of the same shape, got (2, 2), (2, 2) and (2, 3)"),
    (lambda: masked_rmse(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2), int)), TypeError,
     "mask: expected a boolean array (True = missing entry), got dtype int64: use mask.astype(bool)"),
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    if message.endswith("..."):
        assert str(info.value).startswith(message[:-3])
    else:
        assert str(info.value) == message


def test_masked_rmse_hand_worked():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    x_hat = np.array([[1.0, 0.0], [0.0, 4.0]])
    mask = np.array([[False, True], [True, False]])
    assert masked_rmse(x, x_hat, mask) == pytest.approx(np.sqrt((4 + 9) / 2))
    assert masked_rmse(x, x_hat, ~mask) == 0.0


def test_float64_inputs_keep_their_dtype_and_their_own_draws():
    x = torch.rand(6, 10, generator=gen(8), dtype=torch.float64)
    noisy = gaussian_noise(x, 0.5, gen(9))
    assert noisy.dtype == torch.float64
    assert torch.equal(noisy, x + 0.5 * torch.randn(x.shape, generator=gen(9), dtype=torch.float64))
    assert torch.equal(GaussianNoise(0.5)(x, gen(9)), noisy)
    assert masking_noise(x, 0.3, gen()).dtype == torch.float64
    assert salt_and_pepper_noise(x, 0.3, generator=gen()).dtype == torch.float64
    assert gaussian_noise(x.numpy(), 0.5, gen(9)).dtype == np.float64


@pytest.mark.parametrize("call, error, message", [
    (lambda: GaussianNoise(-0.5), ValueError, "sigma: expected a number in [0, inf], got -0.5"),
    (lambda: GaussianNoise("a"), TypeError, "sigma: expected a finite real number, got str 'a'"),
    (lambda: SaltAndPepperNoise(0.1, low="a"), TypeError, "low: expected a finite real number, got str 'a'"),
    (lambda: SaltAndPepperNoise(0.1, high="b"), TypeError, "high: expected a finite real number, got str 'b'"),
    (lambda: salt_and_pepper_noise(torch.rand(2, 3), 0.1, generator=3), TypeError,
     "generator: expected a torch.Generator or None, got int: make one with torch.Generator().manual_seed(0)"),
    (lambda: masked_rmse("x", np.ones((2, 2)), np.ones((2, 2), bool)), TypeError,
     "x: expected a numpy array or torch tensor, got str 'x'"),
    (lambda: masked_rmse(np.ones((2, 2)), "y", np.ones((2, 2), bool)), TypeError,
     "x_hat: expected a numpy array or torch tensor, got str 'y'"),
])
def test_settings_are_named_in_the_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message
