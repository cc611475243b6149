"""Lesson 00 (start here): the first autoencoder's two claims, as the notebook trains it (64-64-8, 20 epochs)."""
import pytest

from aecourse import fit, load_digits, make_autoencoder, reconstruct, seed_everything


@pytest.mark.parametrize("seed", [0, 1])
def test_a_first_autoencoder_more_than_halves_its_loss_and_keeps_most_of_the_image(seed):
    # measured on the CPU, seeds 0-2: last / first epoch's loss .14-.15, test MSE .018-.020
    seed_everything(seed)
    digits = load_digits()
    model = make_autoencoder(n_inputs=64, hidden=[64], n_code=8)
    history = fit(model, digits.x_train, epochs=20, lr=3e-3, seed=seed, progress=False)
    test_mse = float(((reconstruct(model, digits.x_test) - digits.x_test) ** 2).mean())
    assert history.loss[-1] < 0.3 * history.loss[0], history.loss
    assert test_mse < 0.025, test_mse
