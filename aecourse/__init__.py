"""aecourse: the library behind the autoencoder course.

Three rooms: the math (the modules beside this file), `aecourse.widgets` (the lessons' explorers) and
`aecourse.course` (checks, exercises, notebook tools, grading, the command line). The widgets and the course
import the math; the math imports neither (tests/test_layout.py holds the rule). Each module's docstring names
the lessons it serves, and each function or class a lesson uses names that lesson, "(lesson 03)", as in Dive into
Deep Learning's library (tested against the notebooks' imports, so a tag cannot go stale).

The names below are imported on first use (PEP 562), so `import aecourse` alone does not load torch: the
command line's notebook tools start in a fraction of a second, and a notebook's first `from aecourse import fit`
pays for torch as before.
"""
from .lazy_imports import lazy_attributes

__version__ = "0.1.0"

_WHERE = {"Dataset": "data", "load_digits": "data", "load_mnist": "data", "toy_2d": "data",
          "describe_device": "device", "get_device": "device", "seed_everything": "device",
          "Autoencoder": "models", "LinearAutoencoder": "models", "make_autoencoder": "models", "mlp": "models",
          "History": "training", "encode": "training", "fit": "training", "reconstruct": "training"}
__all__ = sorted(_WHERE)
__getattr__ = lazy_attributes(__name__, _WHERE)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
