"""aecourse: the library behind the autoencoder course.

Three rooms: the math (the modules beside this file), `aecourse.widgets` (the lessons' explorers) and
`aecourse.course` (checks, exercises, notebook tools, grading, the command line). The widgets and the course
import the math; the math imports neither (tests/test_layout.py holds the rule). Each module's docstring names
the lessons it serves, and each function or class a lesson uses names that lesson, "(lesson 03)", as in Dive into
Deep Learning's library (tested against the notebooks' imports, so a tag cannot go stale).
"""
from .data import Dataset, load_digits, load_mnist, toy_2d
from .device import describe_device, get_device, seed_everything
from .models import Autoencoder, LinearAutoencoder, make_autoencoder, mlp
from .training import History, encode, fit, reconstruct

__version__ = "0.1.0"

__all__ = ["Autoencoder", "Dataset", "History", "LinearAutoencoder", "describe_device", "encode", "fit",
           "get_device", "load_digits", "load_mnist", "make_autoencoder", "mlp", "reconstruct", "seed_everything",
           "toy_2d"]
