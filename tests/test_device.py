import random

import numpy as np
import pytest
import torch

from aecourse.device import describe_device, get_device, seed_everything


def test_cpu_is_always_available():
    assert get_device("cpu") == torch.device("cpu")


def test_automatic_choice_follows_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")


def test_environment_variable_overrides_the_choice(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("AECOURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert "AECOURSE_DEVICE=cpu" in describe_device()


def test_missing_device_warns_and_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("AECOURSE_DEVICE", "cuda")
    with pytest.warns(RuntimeWarning, match="falling back to the CPU"):
        assert get_device() == torch.device("cpu")


def test_unknown_device_name_is_an_error_that_names_the_choices(monkeypatch):
    monkeypatch.setenv("AECOURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match=r"expected one of \['cpu', 'cuda', 'mps'\], got 'tpu'"):
        get_device()
    with pytest.raises(ValueError, match="prefer"):
        get_device("gpu")


def test_cpu_description_names_threads_and_reason():
    text = describe_device(torch.device("cpu"))
    assert text.startswith("CPU with") and "automatically" in text


def test_seed_everything_makes_python_numpy_and_torch_repeat():
    def draw():
        seed_everything(7)
        return random.random(), np.random.rand(), torch.rand(1).item()
    assert draw() == draw()
    g1, g2 = seed_everything(3), seed_everything(3)
    assert torch.equal(torch.rand(4, generator=g1), torch.rand(4, generator=g2))


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_must_be_a_non_negative_integer(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        seed_everything(bad)
