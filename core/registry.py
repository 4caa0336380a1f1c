"""The one list of models GenLab ships: what each is, how it is trained, what it must reach.

Home's cards, the pages' model pickers, the missing-weights message, scripts/evaluate.py and the tests
all read this list, so adding a model is one entry here (plus its weights).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from i18n import N_


@dataclass(frozen=True)
class ShippedModel:
    name: str  # the weights' file stem: weights/<name>.safetensors and <name>.json
    family: str  # "vae", "gan", "gpt" or "classifier": which loader reads it
    label: str  # how a picker names it: English, marked with N_(); pages show it with _(label)
    train_command: str  # the command that makes the file, quoted when it is missing
    dataset: str
    metric: str  # the headline figure's key in the metadata's "metrics"
    tolerance: float  # how far evaluate.py's recomputation may drift from the metadata
    target: str | None = None  # e.g. "≤ 145"; None: the figure is shown, not judged
    meets: Callable[[float], bool] | None = None
    page: str | None = None  # the page that plays with it (app_pages/<page>.py)
    ladder: bool = False  # a rung of the lecture ladder (the GPT page's Ladder tab; core/gpt/ladder.py builds it)


MODELS: tuple[ShippedModel, ...] = (
    ShippedModel(
        "vae-z2",
        "vae",
        N_("VAE · 2 latent numbers"),
        "python scripts/train_vae.py --latent-dim 2",
        "MNIST",
        "test_loss",
        0.5,
        "≤ 145",
        lambda v: v <= 145,
        "latent_space",
    ),
    ShippedModel(
        "vae-z16",
        "vae",
        N_("VAE · 16 latent numbers"),
        "python scripts/train_vae.py --latent-dim 16",
        "MNIST",
        "test_loss",
        0.5,
        "≤ 100",
        lambda v: v <= 100,
        "latent_space",
    ),
    ShippedModel(
        "ae-z2",
        "vae",
        N_("Plain autoencoder · 2 latent numbers"),
        "python scripts/train_vae.py --latent-dim 2 --plain",
        "MNIST",
        "test_loss",
        0.5,
        page="latent_space",
    ),
    ShippedModel(
        "gan",
        "gan",
        N_("DCGAN"),
        "python scripts/train_gan.py --channels 96 --d-channels 64 --epochs 25 --decay-from 12000",
        "MNIST",
        "confident_share",
        0.02,
        "≥ 0.85",
        lambda v: v >= 0.85,
        "gan_training",
    ),
    ShippedModel(
        "gpt-shakespeare",
        "gpt",
        N_("GPT"),
        "python scripts/train_gpt.py --preset cpu-long",
        "tiny Shakespeare",
        "val_loss",
        0.01,
        "≤ 1.50",
        lambda v: v <= 1.50,
        "gpt_generation",
    ),  # what a 2-core CPU trains in under 3 hours (issue 23); the lecture's model reaches ~1.47 on a GPU
    ShippedModel(
        "bigram",
        "gpt",
        N_("Bigram baseline"),
        "python scripts/train_gpt.py --preset bigram",
        "tiny Shakespeare",
        "val_loss",
        0.01,
        page="gpt_generation",
    ),
    ShippedModel(
        "classifier",
        "classifier",
        N_("Digit classifier"),
        "python scripts/train_classifier.py",
        "MNIST",
        "test_accuracy",
        0.002,
        "≥ 0.990",
        lambda v: v >= 0.990,
    ),
)

# The lecture, step by step: from the bigram to the full GPT, one idea per rung, all trained on one budget.
_RUNGS = {
    "ladder-bigram": N_("Bigram"),
    "ladder-attention": N_("Self-attention (one head)"),
    "ladder-multihead": N_("Multi-head attention"),
    "ladder-feedforward": N_("Feed-forward"),
    "ladder-blocks": N_("Stacked blocks"),
    "ladder-residual": N_("Residual connections"),
    "ladder-layernorm": N_("LayerNorm"),
    "ladder-dropout": N_("Dropout"),
}
LADDER = tuple(_RUNGS)
MODELS += tuple(
    ShippedModel(
        name, "gpt", label, f"python scripts/train_ladder.py --rungs {name}", "tiny Shakespeare", "val_loss", 0.01, ladder=True
    )  # fmt: skip
    for name, label in _RUNGS.items()
)
BY_NAME = {m.name: m for m in MODELS}


def names(family: str | None = None, page: str | None = None) -> tuple[str, ...]:
    """Shipped model names, in registry order, optionally of one family or for one page."""
    return tuple(m.name for m in MODELS if (family is None or m.family == family) and (page is None or m.page == page))


def entry(name: str) -> ShippedModel:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; GenLab ships {', '.join(BY_NAME)}.") from None


def load(name: str):
    """The shipped model `name`, in eval mode, through its family's loader."""
    from core import load_classifier, load_generator, load_gpt, load_vae  # here: those modules read this registry

    family = entry(name).family
    if family == "vae":
        return load_vae(name)
    if family == "gpt":
        return load_gpt(name)
    return load_generator() if family == "gan" else load_classifier()
