"""A GAN on the plane (the GAN Lab idea): real data is a 2-D point cloud, so everything is visible.

The real points come from one of a few classic distributions; the generator maps 2-D noise to
points; the discriminator scores every point of the plane, which the page draws as a heatmap.
The same core.gan.model.GANTrainer that trains the digit GAN trains this one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from core.gan.model import GANTrainer, TrainSettings
from core.training.helpers import evaluating
from i18n import N_, Message

# Faster settings than the digit GAN's: the networks are tiny and a batch of points is cheap.
TOY_SETTINGS = TrainSettings(lr_g=1e-3, lr_d=1e-3, batch_size=256, d_steps=1)


@dataclass(frozen=True)
class Toy2D:
    """A distribution on the plane made of `n_modes` separate pieces (its modes).

    `anchors` are points along each mode (a Gaussian's centre, or many points along a moon's arc);
    `anchor_mode` says which mode each anchor belongs to. A point is "on" a mode when it lies within
    3 standard deviations of one of that mode's anchors.
    """

    name: str
    label: str  # how the page's picker names it: a Message (or N_ string), shown with _()
    anchors: torch.Tensor
    anchor_mode: torch.Tensor
    std: float
    extent: float  # the page shows the square [-extent, extent]^2

    @property
    def n_modes(self) -> int:
        return int(self.anchor_mode.max()) + 1

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n points: a random mode's anchor plus Gaussian noise. (For the moons, a random point along
        a random arc, since their anchors are spread evenly along the arcs.)"""
        idx = torch.randint(len(self.anchors), (n,), generator=generator)
        return self.anchors[idx] + self.std * torch.randn(n, 2, generator=generator)


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.1) -> Toy2D:
    angles = torch.arange(n_modes) * (2 * math.pi / n_modes)
    centres = radius * torch.stack([angles.cos(), angles.sin()], 1)
    return Toy2D("ring", Message(N_("Ring of {n} Gaussians"), n=n_modes), centres, torch.arange(n_modes), std, radius + 1.0)


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.1) -> Toy2D:
    ticks = (torch.arange(side) - (side - 1) / 2) * spacing
    centres = torch.cartesian_prod(ticks, ticks)
    return Toy2D(
        "grid",
        Message(N_("{side}×{side} grid of Gaussians"), side=side),
        centres,
        torch.arange(side * side),
        std,
        float(ticks.max()) + 1.5,
    )


def moons(points_per_moon: int = 200, std: float = 0.1) -> Toy2D:
    """Two interleaved half-circles (scikit-learn's make_moons), centred and doubled in size."""
    t = torch.linspace(0, math.pi, points_per_moon)
    upper = torch.stack([t.cos(), t.sin()], 1)
    lower = torch.stack([1 - t.cos(), 0.5 - t.sin()], 1)
    anchors = (torch.cat([upper, lower]) - torch.tensor([0.5, 0.25])) * 2
    labels = torch.arange(2).repeat_interleave(points_per_moon)
    return Toy2D("moons", N_("Two moons"), anchors, labels, std, 4.0)


DISTRIBUTIONS = {"ring": ring, "grid": grid, "moons": moons}


def make_distribution(name: str) -> Toy2D:
    return DISTRIBUTIONS[name]()


# -- the two players ---------------------------------------------------------------------------


def _mlp(n_in: int, hidden: int, n_out: int, act: type[nn.Module]) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden), act(), nn.Linear(hidden, hidden), act(), nn.Linear(hidden, hidden), act(), nn.Linear(hidden, n_out)
    )


class ToyGenerator(nn.Module):
    """noise (N, latent_dim) -> points (N, 2). No tanh: the plane is not bounded."""

    def __init__(self, latent_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _mlp(latent_dim, hidden, 2, nn.ReLU)

    def forward(self, z):
        return self.net(z)


class ToyDiscriminator(nn.Module):
    """points (N, 2) -> one logit per point ("real?")."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.net = _mlp(2, hidden, 1, lambda: nn.LeakyReLU(0.2))

    def forward(self, x):
        return self.net(x).squeeze(1)


def init_mlp(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, but drawn from `generator` (sessions stay independent)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(m.in_features)
            nn.init.uniform_(m.bias, -bound, bound, generator=generator)


def new_toy_gan(generator: torch.Generator, latent_dim: int = 2, hidden: int = 64):
    G, D = ToyGenerator(latent_dim, hidden), ToyDiscriminator(hidden)
    init_mlp(G, generator)
    init_mlp(D, generator)
    return G, D


def toy_trainer(
    dist: Toy2D, seed: int = 0, settings: TrainSettings = TOY_SETTINGS, latent_dim: int = 2, hidden: int = 64
) -> GANTrainer:
    """A fresh toy GAN and its trainer, every random draw from one seeded generator."""
    gen = torch.Generator().manual_seed(seed)
    G, D = new_toy_gan(gen, latent_dim, hidden)
    return GANTrainer(G, D, dist.sample, latent_dim, settings, gen)


# -- what the page shows -----------------------------------------------------------------------


def mode_coverage(points: torch.Tensor, dist: Toy2D, fair: float = 0.25) -> dict:
    """How many modes the generated points cover.

    A mode is covered when it gets at least `fair` times the share it would get if the points were
    spread evenly over all modes (with 8 modes and fair=0.25: at least 1/32 of the points).
    `quality` is the share of points that land on some mode at all (not in the empty space between).
    """
    dist_to_anchor, nearest = torch.cdist(points.float(), dist.anchors).min(1)
    on_mode = dist_to_anchor <= 3 * dist.std
    counts = torch.bincount(dist.anchor_mode[nearest][on_mode], minlength=dist.n_modes)
    covered = counts >= fair * len(points) / dist.n_modes
    return {
        "covered": int(covered.sum()),
        "n_modes": dist.n_modes,
        "counts": counts.tolist(),
        "quality": on_mode.float().mean().item(),
    }


@torch.no_grad()
def discriminator_map(D: nn.Module, extent: float, resolution: int = 60) -> tuple[torch.Tensor, torch.Tensor]:
    """D's belief "this point is real" (a probability) on a resolution x resolution grid over
    [-extent, extent]^2. Returns (the grid's ticks, probabilities indexed [y, x])."""
    ticks = torch.linspace(-extent, extent, resolution)
    ys, xs = torch.meshgrid(ticks, ticks, indexing="ij")
    with evaluating(D):
        probs = torch.sigmoid(D(torch.stack([xs.flatten(), ys.flatten()], 1))).reshape(resolution, resolution)
    return ticks, probs


@torch.no_grad()
def generate(G: nn.Module, z: torch.Tensor) -> torch.Tensor:
    with evaluating(G):
        return G(z)
