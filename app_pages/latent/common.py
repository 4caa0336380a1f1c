"""What the Latent Space page's tabs share: the chosen model and what comes with it (one Context), the
constants more than one tab uses, and the callbacks and helpers several tabs call."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
import torch

from app_pages._ui import number_steps
from core.vae import latent
from i18n import N_, _, percent

# Plain words: a tab's label is its value in the URL (?ls_tab=Interpolation); _ui.show_open_tab shows them translated
# and a Portuguese link opens the same tab.
TABS = [
    N_("Sliders & map"),
    N_("Reconstruction"),
    N_("Interpolation"),
    N_("AE vs VAE"),
    N_("Draw a digit"),
    N_("Replay the training"),
    N_("Train one live"),
]
GLOSSARY = dict(page="app_pages/glossary.py", icon=":material/menu_book:")  # label: _("Glossary"), where shown
NO_BAR, MAP_BAR = {"displayModeBar": False}, {"displayModeBar": False, "scrollZoom": True}
PNG = dict(mime="image/png", icon=":material/download:", on_click="ignore")  # a download needs no rerun
IMG = dict(width="stretch", output_format="PNG")  # crisp pixels, not JPEG's blur
DICE = ":material/casino:"  # the "random" buttons
CODE = N_("This digit's latent code, one bar per dimension")  # the code chart's text alternative, shown with _()
# The digit classifier only adds colour and scores: without it each place says what is missing, whole.
NO_CLASSIFIER = {
    "plane": N_("The digit classifier is not available ({error}), so the plane is left blank."),
    "scores": N_("The digit classifier is not available ({error}), so the samples are not scored."),
    "reading": N_("The digit classifier is not available ({error}), so there is no reading."),
}


@dataclass(frozen=True, eq=False)
class Context:
    """The model the learner picked, its test-set codes (data: mu, labels, digits, digit_labels, kl_per_dim) and the
    sliders' bounds; the digit classifier (None when its weights are missing: classifier_error says why, translated);
    and the page's cached pictures of the 2-D plane (decoded digits, the classifier's reading)."""

    name: str
    model: torch.nn.Module
    data: dict
    lo: torch.Tensor
    hi: torch.Tensor
    classifier: torch.nn.Module | None
    classifier_error: str | None
    manifold_uri: Callable[[], str]
    classifier_plane: Callable[[], tuple]

    @property
    def dim(self) -> int:
        return self.model.latent_dim

    @property
    def mu(self) -> torch.Tensor:
        return self.data["mu"]

    @property
    def labels(self) -> torch.Tensor:
        return self.data["labels"]

    @property
    def digits(self) -> torch.Tensor:
        return self.data["digits"]


def glossary_link(where=st) -> None:
    where.page_link(**GLOSSARY, label=_("Glossary"))


def reads(digit: int, confidence: float) -> str:
    return _("The classifier reads a **{digit}** ({sure} sure).").format(digit=digit, sure=percent(confidence))


def encode_drawing(model, x: torch.Tensor, classifier=None) -> dict:
    """The learner's drawing x (1, 1, 28, 28) through the model, as the Reconstruction tab does a test digit
    (seeded: the same drawing always shows the same draws), and what the classifier reads in it."""
    r = latent.reconstruct(model, x, samples=4, generator=torch.Generator().manual_seed(0))
    if classifier is not None:
        digit, confidence = latent.read_digits(classifier, x)
        r["digit"], r["confidence"] = int(digit), float(confidence)
    return r


# --- callbacks: they run before the widgets are drawn, so the sliders show the new z at once ---


def z_step(low: float, high: float) -> float:
    """A latent slider's step: 0.01 across a VAE's ±5 (a test digit's μ, to two decimals), coarser across an
    autoencoder's wider ranges (about a thousand values either way)."""
    return 0.01 if high - low <= 10 else 0.05


def z_options(low: float, high: float) -> list[float]:
    """A latent slider's values (a select_slider's: its numbers in the page's language)."""
    return number_steps(low, high, z_step(low, high), 2)


def on_z_grid(v: float, low: float, high: float) -> float:
    """v clamped to [low, high] and moved to the nearest of z_options(low, high) (the same float)."""
    step = z_step(low, high)
    k = round((min(max(v, low), high) - low) / step)
    return round(low + min(k, round((high - low) / step)) * step, 2)


def set_z(name: str, z: torch.Tensor, lo, hi, tab: str | None = None) -> None:
    for i, v in enumerate(z.tolist()):
        st.session_state[f"ls_z_{name}_{i}"] = on_z_grid(v, float(lo[i]), float(hi[i]))
    if tab:
        st.session_state["ls_tab"] = tab  # English: _ui.show_open_tab shows it in the learner's language


def randomize(keys: list[str], n: int) -> None:
    """Distinct random integers below n for these widgets (Python's generator: torch's global seed stays untouched)."""
    st.session_state.update(zip(keys, random.sample(range(n), len(keys))))


# What the training charts show, the first words of their text alternatives (figures/words.py adds the numbers),
# shown with _(): the replay and the live VAE draw the same two charts.
TRAINING_MAP = N_("The latent map: the μ of fixed test digits, one dot each, coloured by their digit")
TRAINING_LOSSES = N_("The loss and its reconstruction and KL terms, in nats per image, over the training steps")
