"""A small digit classifier, and the measures built on it: class shares, confidence, Fréchet distance."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.training.checkpoint import load_meta, load_state
from core.training.data import batches
from core.training.distributed import backward_in_micro_batches


@dataclass(frozen=True)
class ClassifierConfig:
    channels: int = 32
    features: int = 128  # the penultimate layer, used for the Fréchet distance
    dropout: float = 0.25


class DigitClassifier(nn.Module):
    """conv-pool-conv-pool-linear: about 99.2% on MNIST's test set after a few epochs."""

    def __init__(self, cfg: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        self.body = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(c, 2 * c, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 7x7
            nn.Flatten(),
            nn.Dropout(cfg.dropout),
            nn.Linear(2 * c * 7 * 7, cfg.features),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.features, 10))

    def features(self, x):
        """x in [0, 1], (N, 1, 28, 28) -> (N, features)."""
        return self.body(x)

    def forward(self, x):
        return self.head(self.body(x))  # logits over the ten digits


def train_epoch(
    model,
    optimizer,
    images,
    labels,
    batch_size: int,
    generator: torch.Generator,
    max_steps: int | None = None,
    on_step=None,
    mine=None,
    accum: int = 1,
) -> float:
    """One pass over the digits; returns the mean loss (of this process's rows).

    For DDP (`model` wrapped, `mine` keeping this rank's rows of a global batch): every rank draws
    the same batches and shifts from `generator` and trains on its rows; `accum` splits those rows
    into micro-batches.
    """
    keep = mine or (lambda t: t)
    model.train()
    total, steps = 0.0, 0
    for idx in batches(len(images), batch_size, generator):
        idx = keep(idx)
        # a random shift of up to 2 pixels: cheap augmentation that buys the last few tenths of a percent
        dx, dy = (torch.randint(-2, 3, (2,), generator=generator, device=generator.device)).tolist()
        x = torch.roll(images[idx], shifts=(dy, dx), dims=(2, 3))
        optimizer.zero_grad(set_to_none=True)
        losses = backward_in_micro_batches(
            model, zip(x.chunk(accum), labels[idx].chunk(accum)), lambda xb, yb: F.cross_entropy(model(xb), yb), accum
        )
        loss_sum = sum(loss.item() for loss in losses)
        optimizer.step()
        total += loss_sum / accum
        steps += 1
        if on_step:
            on_step(steps, loss_sum / accum)
        if max_steps and steps >= max_steps:
            break
    return total / max(steps, 1)


@torch.no_grad()
def predict(model, images, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """(probabilities (N, 10), features (N, F)) for images in [0, 1]."""
    model.eval()
    probs, feats = [], []
    for i in range(0, len(images), batch_size):
        f = model.features(images[i : i + batch_size])
        feats.append(f)
        probs.append(F.softmax(model.head(f), dim=1))
    return torch.cat(probs), torch.cat(feats)


def accuracy(model, images, labels) -> float:
    probs, _ = predict(model, images)
    return (probs.argmax(1) == labels).float().mean().item()


def class_report(probs: torch.Tensor, confident: float = 0.9) -> dict:
    """How a batch of generated digits looks to the classifier: share of each class, confidence."""
    conf, pred = probs.max(1)
    shares = torch.bincount(pred, minlength=10).float() / len(pred)
    return {
        "shares": shares.tolist(),
        "mean_confidence": conf.mean().item(),
        "confident_share": (conf >= confident).float().mean().item(),
    }


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    f = features.double()
    return f.mean(0), torch.cov(f.T)


def _sqrtm_psd(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh(m)
    return vecs @ torch.diag(vals.clamp(min=0).sqrt()) @ vecs.T


def frechet_distance(stats_a, stats_b) -> float:
    """||mu_a - mu_b||^2 + Tr(Sa + Sb - 2 (Sa Sb)^1/2), the FID formula on classifier features.

    Tr((Sa Sb)^1/2) equals Tr((Sa^1/2 Sb Sa^1/2)^1/2), whose argument is symmetric, so a
    symmetric eigendecomposition suffices (no scipy needed).
    """
    (mu_a, cov_a), (mu_b, cov_b) = stats_a, stats_b
    root_a = _sqrtm_psd(cov_a)
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    return ((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross).item()


def load_classifier(directory=None) -> DigitClassifier:
    cfg = ClassifierConfig(**load_meta("classifier", directory)["config"])
    return load_state(DigitClassifier(cfg), "classifier", directory)
