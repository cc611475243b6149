"""aecourse: the library behind the autoencoder course. Each function names the lesson that teaches it."""
from .checks import check
from .data import Dataset, load_digits, load_mnist, toy_2d
from .device import describe_device, get_device, seed_everything
from .models import Autoencoder, LinearAutoencoder, make_autoencoder, mlp
from .training import History, encode, fit, reconstruct

__version__ = "0.1.0"

__all__ = ["Autoencoder", "Dataset", "History", "LinearAutoencoder", "check", "describe_device", "encode", "fit",
           "get_device", "load_digits", "load_mnist", "make_autoencoder", "mlp", "reconstruct", "seed_everything",
           "toy_2d"]
