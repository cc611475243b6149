"""aecourse.models at its edges: the exact layer stacks, the input checks of the model in training and in evaluation
mode, and the full messages."""
import numpy as np
import pytest
import torch
from torch import nn

from aecourse.models import ACTIVATIONS, Autoencoder, LinearAutoencoder, make_autoencoder, mlp


def kinds(net):
    return [type(m) for m in net]


def test_mlp_layer_sizes_and_activations():
    net = mlp([5, 4, 3, 2], "tanh", "softplus")
    assert kinds(net) == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear, nn.Softplus]
    assert [(m.in_features, m.out_features) for m in net if isinstance(m, nn.Linear)] == [(5, 4), (4, 3), (3, 2)]
    assert kinds(mlp([5, 4, 3])) == [nn.Linear, nn.ReLU, nn.Linear]            # default relu, no output activation
    assert kinds(mlp((5, 4), "relu", "identity")) == [nn.Linear]
    assert kinds(mlp([5, 4, 3], None, "sigmoid")) == [nn.Linear, nn.Linear, nn.Sigmoid]
    for name in ("relu", "tanh", "sigmoid", "elu", "gelu", "softplus"):
        assert kinds(mlp([2, 2, 2], name)) == [nn.Linear, ACTIVATIONS[name], nn.Linear]


def test_make_autoencoder_is_symmetric():
    model = make_autoencoder(10, [8, 6], 3, activation="elu", code_activation="sigmoid", output_activation=None)
    assert kinds(model.encoder) == [nn.Linear, nn.ELU, nn.Linear, nn.ELU, nn.Linear, nn.Sigmoid]
    assert kinds(model.decoder) == [nn.Linear, nn.ELU, nn.Linear, nn.ELU, nn.Linear]
    sizes = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]
    assert sizes == [(10, 8), (8, 6), (6, 3), (3, 6), (6, 8), (8, 10)]
    default = make_autoencoder(4, [], 2)
    assert kinds(default.encoder) == [nn.Linear] and kinds(default.decoder) == [nn.Linear, nn.Sigmoid]
    assert kinds(make_autoencoder(4, [3], 2).encoder) == [nn.Linear, nn.ReLU, nn.Linear]


def test_n_inputs_and_models_without_linear_layers():
    assert make_autoencoder(7, [3], 2).n_inputs == 7
    identity = Autoencoder(nn.Identity(), nn.Identity())
    assert identity.n_inputs is None
    x = torch.rand(3, 5)
    assert torch.equal(identity(x), x)
    assert identity.eval()(torch.zeros(0, 5)).shape == (0, 5)                  # empty batches are allowed


def test_input_checks_in_training_and_evaluation_mode():
    model = make_autoencoder(4, [], 2)
    bad = torch.full((2, 4), float("nan"))
    assert torch.isnan(model.train().encode(bad)).all()                   # fit checked its data once already
    with pytest.raises(ValueError, match="expected finite values"):
        model.eval().encode(bad)
    for mode in (True, False):
        model.train(mode)
        with pytest.raises(ValueError, match="expected 4 features per sample, got 3"):
            model.encode(torch.rand(2, 3))
        with pytest.raises(ValueError, match="expected a 2-D array"):
            model.encode(torch.rand(4))
        with pytest.raises(TypeError, match="expected floating-point values"):
            model.encode(torch.ones(2, 4, dtype=torch.int64))
    with pytest.raises(ValueError) as info:
        model.eval().encode(torch.rand(2, 3))
    assert str(info.value) == ("x: expected 4 features per sample, got 3 (shape (2, 3)): the model and the data must "
                               "agree on the input size")
    with pytest.raises(TypeError) as info:
        model.encode(np.zeros((2, 4), np.float32))
    assert str(info.value) == "expected a torch tensor, got ndarray: use torch.as_tensor(x, dtype=torch.float32)"


def test_linear_autoencoder_layers():
    model = LinearAutoencoder(5, 2)
    assert kinds([model.encoder, model.decoder]) == [nn.Linear, nn.Linear]
    assert model.encoder.bias is not None and model.decoder.bias is not None
    assert model.decoder_weight is model.decoder.weight
    no_bias = LinearAutoencoder(5, 2, bias=False)
    assert no_bias.encoder.bias is None and no_bias.decoder.bias is None
    x = torch.rand(3, 5)
    assert torch.allclose(no_bias(x), x @ no_bias.encoder.weight.T @ no_bias.decoder.weight.T)


@pytest.mark.parametrize("call, error, message", [
    (lambda: mlp([3]), ValueError, "sizes: expected a list of at least two layer sizes like [64, 32, 8], got [3]"),
    (lambda: mlp(3), ValueError, "sizes: expected a list of at least two layer sizes like [64, 32, 8], got 3"),
    (lambda: mlp(b"ab"), ValueError, "sizes: expected a list of at least two layer sizes like [64, 32, 8], got b'ab'"),
    (lambda: mlp([3, 2], "swish"), ValueError, "activation: expected one of"),
    (lambda: mlp([3, 2], "relu", "swish"), ValueError, "output_activation: expected one of"),
    (lambda: mlp([0, 2]), ValueError, "sizes[0]: expected an integer >= 1, got 0"),
    (lambda: Autoencoder(nn.Identity(), "g"), TypeError,
     "Autoencoder(encoder, decoder): expected two torch.nn.Module objects, got Identity and str; build them with "
     "mlp([...])"),
    (lambda: LinearAutoencoder(0, 2), ValueError, "n_inputs: expected an integer >= 1, got 0"),
])
def test_model_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("call, error, message", [
    (lambda: make_autoencoder(0, [4], 2), ValueError, "n_inputs: expected an integer >= 1, got 0"),
    (lambda: make_autoencoder(8, [4], 0), ValueError, "n_code (the code size): expected an integer >= 1, got 0"),
    (lambda: make_autoencoder(8, 4, 2), TypeError,
     "hidden: expected a list of hidden layer sizes (or [] for none), got int 4: write make_autoencoder(8, [4], 2)"),
    (lambda: make_autoencoder(8, "16", 2), TypeError,
     "hidden: expected a list of hidden layer sizes (or [] for none), got str '16': write "
     "make_autoencoder(8, [128], 2)"),
    (lambda: make_autoencoder(8, [4, 0], 2), ValueError, "hidden[1]: expected an integer >= 1, got 0"),
    (lambda: make_autoencoder(8, [4], 2, activation="swish"), ValueError, "activation: expected one of..."),
    (lambda: make_autoencoder(8, [4], 2, code_activation="swish"), ValueError, "code_activation: expected one of..."),
    (lambda: make_autoencoder(8, [4], 2, output_activation="swish"), ValueError,
     "output_activation: expected one of..."),
])
def test_make_autoencoder_errors_in_full(call, error, message):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text
