"""GenLab's models, training loops and measures: importable without Streamlit.

from core import load_vae, load_generator, load_gpt, load_classifier
"""

from core.checkpoint import MissingWeightsError, WeightsError
from core.classifier import load_classifier
from core.drawing import EmptyDrawingError, mnist_from_drawing
from core.gan.model import load_generator
from core.gpt.model import load_gpt
from core.registry import LADDER
from core.vae.model import load_vae

__all__ = [
    "load_vae",
    "load_generator",
    "load_gpt",
    "LADDER",
    "load_classifier",
    "mnist_from_drawing",
    "EmptyDrawingError",
    "WeightsError",
    "MissingWeightsError",
]
