"""GenLab's models, training loops and measures: importable without Streamlit.

from core import load_vae, load_generator, load_gpt, load_classifier, load_vae_history, train_vae_live
from core import train_on_text   # your own GPT: model, metrics = train_on_text(text, "ladder-dropout", 2000)
"""

from core.gan.model import load_generator
from core.gpt.live import train_on_text
from core.gpt.model import load_gpt
from core.mnist.classifier import load_classifier
from core.mnist.drawing import EmptyDrawingError, mnist_from_drawing
from core.registry import LADDER
from core.training.checkpoint import MissingWeightsError, WeightsError
from core.vae.history import load_vae_history
from core.vae.live import train_vae_live
from core.vae.model import load_vae

__all__ = [
    "load_vae",
    "load_vae_history",
    "train_vae_live",
    "load_generator",
    "load_gpt",
    "train_on_text",
    "LADDER",
    "load_classifier",
    "mnist_from_drawing",
    "EmptyDrawingError",
    "WeightsError",
    "MissingWeightsError",
]
