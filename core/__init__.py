"""GenLab's models, training loops and measures: importable without Streamlit.

    from core import load_vae, load_generator, load_gpt, load_classifier
"""
from .checkpoint import MissingWeightsError, WeightsError
from .gan import load_generator
from .gpt import load_gpt
from .metrics import load_classifier
from .vae import load_vae

__all__ = ["load_vae", "load_generator", "load_gpt", "load_classifier", "WeightsError", "MissingWeightsError"]
