"""The lessons' interactive explorers (ipywidgets). Each keeps its logic in plain methods, so it is tested
without a browser; it imports the math, and the math never imports it."""
from .denoising import DenoisingExplorer
from .hashing import HashingExplorer
from .undercomplete import LatentSizeExplorer

__all__ = ["DenoisingExplorer", "HashingExplorer", "LatentSizeExplorer"]
