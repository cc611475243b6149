import pytest
import torch
from torch import nn

from aecourse.models import Autoencoder, LinearAutoencoder, make_autoencoder, mlp


def test_mlp_stacks_linear_layers_with_the_given_activations():
    net = mlp([64, 32, 8], "relu", "sigmoid")
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear, nn.Sigmoid]
    assert net(torch.zeros(5, 64)).shape == (5, 8)
    assert [type(m) for m in mlp([4, 2], "tanh", None)] == [nn.Linear]


@pytest.mark.parametrize("sizes, message", [
    ([64], "at least two layer sizes"),
    ("64,8", "at least two layer sizes"),
    ([64, 0], r"sizes\[1\]: expected an integer >= 1, got 0"),
    ([64, 8.5], r"sizes\[1\]: expected an integer"),
])
def test_mlp_sizes_are_validated(sizes, message):
    with pytest.raises((TypeError, ValueError), match=message):
        mlp(sizes)


def test_mlp_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="activation: expected one of"):
        mlp([4, 2], "swishy")


def test_autoencoder_encodes_decodes_and_reconstructs():
    model = make_autoencoder(64, [32], 8)
    x = torch.rand(10, 64)
    h = model.encode(x)
    assert h.shape == (10, 8)
    assert model.decode(h).shape == (10, 64)
    assert torch.equal(model(x), model.decode(model.encode(x)))
    assert model.n_inputs == 64
    r = model(x)
    assert r.min() >= 0 and r.max() <= 1          # sigmoid output for pixels in [0, 1]


def test_autoencoder_input_errors_say_what_to_do():
    model = make_autoencoder(64, [32], 8)
    with pytest.raises(ValueError, match=r"expected 64 features per sample, got 10"):
        model(torch.rand(3, 10))
    with pytest.raises(ValueError, match=r"flatten images first"):
        model(torch.rand(3, 8, 8))
    with pytest.raises(TypeError, match="torch.as_tensor"):
        model([[0.0] * 64])
    with pytest.raises(TypeError, match="two torch.nn.Module"):
        Autoencoder(lambda x: x, nn.Identity())


def test_linear_autoencoder_is_affine_and_exposes_the_decoder_weight():
    model = LinearAutoencoder(6, 2)
    assert model.decoder_weight.shape == (6, 2)
    x, y = torch.rand(4, 6), torch.rand(4, 6)
    mid = model(0.5 * x + 0.5 * y)
    assert torch.allclose(mid, 0.5 * model(x) + 0.5 * model(y), atol=1e-6)
    with pytest.raises(ValueError, match="n_code: expected an integer >= 1"):
        LinearAutoencoder(6, 0)


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((64, 128, 8), {}, TypeError, r"hidden: expected a list of hidden layer sizes .* got int 128: write "
                                  r"make_autoencoder\(64, \[128\], 8\)"),
    ((64, [128], 8), {"code_activation": "bogus"}, ValueError, r"^code_activation: expected one of"),
    ((64, [128], 8), {"output_activation": "bogus"}, ValueError, r"^output_activation: expected one of"),
    ((64, [128], 0), {}, ValueError, r"^n_code \(the code size\): expected an integer >= 1, got 0"),
    ((64, [0], 8), {}, ValueError, r"^hidden\[0\]: expected an integer >= 1, got 0"),
])
def test_make_autoencoder_names_the_argument_that_is_wrong(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        make_autoencoder(*args, **kwargs)


def test_linear_autoencoder_has_two_independent_biases():
    model = LinearAutoencoder(5, 2)
    assert model.encoder.bias.shape == (2,) and model.decoder.bias.shape == (5,)     # h = W1 x + b1, r = W2 h + b2
    assert LinearAutoencoder(5, 2, bias=False).encoder.bias is None
