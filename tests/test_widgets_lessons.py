"""Numeric claims in the text of lesson 06a that no widget test covers (issue 12, section 1)."""
import torch

from aecourse.noisy_codes import NoisySigmoid


def test_a_unit_is_safe_only_when_z_is_several_sigma():
    """06a cell "The undecided unit's output is noise": at sigma 4, z = 6 and -7 spread about 0.2 and flip
    in about 7 % and 4 % of draws (Phi(-1.5) = .067, Phi(-1.75) = .040); |z| = 15 barely moves."""
    torch.manual_seed(0)
    z = torch.tensor([[0.2, 6.0, -7.0, 15.0, -15.0]])
    layer = NoisySigmoid(5, sigma=4.0).train()
    samples = torch.cat([layer(z) for _ in range(10000)])
    spread = samples.std(0)
    wrong_side = ((samples > 0.5) != (z > 0)).float().mean(0)
    assert spread[0] > 0.35 and 0.4 < wrong_side[0] < 0.6
    assert all(0.1 < spread[i] < 0.3 for i in (1, 2))
    assert abs(wrong_side[1] - 0.067) < 0.015 and abs(wrong_side[2] - 0.040) < 0.012
    assert all(spread[i] < 0.05 and wrong_side[i] < 0.005 for i in (3, 4))
