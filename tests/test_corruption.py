"""aecourse.corruption: fractions and values of each corruption, seeding, validation, masked RMSE."""
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
from aecourse.training import Corruption


@pytest.fixture
def x():
    return 0.1 + 0.8 * torch.rand(500, 40, generator=torch.Generator().manual_seed(0))


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_random_mask_exact_fraction_and_uniform_positions():
    mask = random_mask((2000, 40), 0.25, gen())
    assert (mask.sum(1) == 10).all()
    assert 0.2 < mask.float().mean(0).min() and mask.float().mean(0).max() < 0.3


def test_masking_sets_exact_fraction_to_zero(x):
    out, mask = masking_noise(x, 0.25, gen(), return_mask=True)
    assert ((out == 0) == mask).all() and (mask.sum(1) == 10).all()
    assert torch.equal(out[~mask], x[~mask])


def test_salt_and_pepper_values_and_coin(x):
    out = salt_and_pepper_noise(x, 0.4, generator=gen())
    changed = out != x
    assert (changed.sum(1) == 16).all()
    values = out[changed]
    assert ((values == 0) | (values == 1)).all()
    assert 0.45 < (values == 1).float().mean() < 0.55
    custom = salt_and_pepper_noise(x, 0.4, low=-1.0, high=2.0, generator=gen())
    assert set(custom[custom != x].unique().tolist()) == {-1.0, 2.0}


def test_gaussian_noise_statistics(x):
    out = gaussian_noise(x, 0.3, gen())
    assert abs(float((out - x).std()) - 0.3) < 0.01 and abs(float((out - x).mean())) < 0.01
    assert torch.equal(gaussian_noise(x, 0.0, gen()), x)


@pytest.mark.parametrize("corrupt", [GaussianNoise(0.2), MaskingNoise(0.25), SaltAndPepperNoise(0.25)])
def test_seeded_by_generator_and_input_untouched(x, corrupt):
    x0 = x.clone()
    a, b, c = corrupt(x, gen(1)), corrupt(x, gen(1)), corrupt(x, gen(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(x, x0)


def test_extremes_and_numpy_round_trip(x):
    assert torch.equal(masking_noise(x, 0.0, gen()), x)
    assert (masking_noise(x, 1.0, gen()) == 0).all()
    out = masking_noise(x.numpy(), 0.5, gen())
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and ((out == 0).sum(1) == 20).all()


def test_one_form_for_every_corruption():
    assert repr(MaskingNoise(0.25)) == "MaskingNoise(nu=0.25)"
    assert repr(GaussianNoise(0.3)) == "GaussianNoise(sigma=0.3)"
    assert repr(SaltAndPepperNoise(0.1)) == "SaltAndPepperNoise(nu=0.1, low=0.0, high=1.0)"
    assert make_corruption("salt_and_pepper", 0.1) == SaltAndPepperNoise(0.1)
    for corrupt in (MaskingNoise(0.25), GaussianNoise(0.3), SaltAndPepperNoise(0.1)):
        assert isinstance(corrupt, Corruption)


@pytest.mark.parametrize("corrupt, functional", [
    (GaussianNoise(0.3), lambda x, g: gaussian_noise(x, 0.3, g)),
    (MaskingNoise(0.25), lambda x, g: masking_noise(x, 0.25, g)),
    (SaltAndPepperNoise(0.25, low=-1.0, high=2.0), lambda x, g: salt_and_pepper_noise(x, 0.25, -1.0, 2.0, g)),
])
def test_objects_and_functional_twins_agree(x, corrupt, functional):
    assert torch.equal(corrupt(x, gen(3)), functional(x, gen(3)))


def test_masked_rmse_counts_masked_entries_only():
    rng = np.random.default_rng(0)
    x, x_hat = rng.random((20, 8)), rng.random((20, 8))
    mask = rng.random((20, 8)) < 0.3
    assert masked_rmse(x, x_hat, mask) == pytest.approx(np.sqrt(np.mean((x[mask] - x_hat[mask]) ** 2)))
    assert masked_rmse(x, np.where(mask, x, x_hat), mask) == 0.0
    assert masked_rmse(torch.as_tensor(x), torch.as_tensor(x_hat), torch.as_tensor(mask)) == pytest.approx(
        masked_rmse(x, x_hat, mask))


@pytest.mark.parametrize("call, message", [
    (lambda: MaskingNoise(1.5), "nu"),
    (lambda: MaskingNoise(-0.1), "[0, 1]"),
    (lambda: GaussianNoise(-1), "sigma"),
    (lambda: SaltAndPepperNoise(0.1, low=1, high=0), "low <= high"),
    (lambda: salt_and_pepper_noise(torch.rand(2, 3), 0.1, low=1, high=0), "swap"),
    (lambda: masking_noise(torch.rand(3), 0.1), "2-D array"),
    (lambda: masking_noise(torch.rand(2, 3), 0.1, generator=0), "torch.Generator"),
    (lambda: make_corruption("blur", 0.1), "kind"),
    (lambda: masked_rmse(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2))), "boolean"),
    (lambda: masked_rmse(np.ones((2, 2)), np.ones((2, 2)), np.zeros((2, 2), bool)), "no entry"),
    (lambda: masked_rmse(np.ones((2, 2)), np.ones((2, 3)), np.ones((2, 2), bool)), "same shape"),
])
def test_bad_input_messages(call, message):
    with pytest.raises((TypeError, ValueError)) as err:
        call()
    assert message in str(err.value)


def test_objects_take_numpy_like_their_twins(x):
    out = MaskingNoise(0.5)(x.numpy(), gen())
    assert isinstance(out, np.ndarray) and np.array_equal(out, masking_noise(x.numpy(), 0.5, gen()))
