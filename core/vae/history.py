"""What a VAE's training looked like: the latent map of fixed test digits at chosen moments.

A moment holds the mu of 2,000 fixed test digits (the map), a fixed grid of latent points decoded
(what each place on the map draws), a few fixed reconstructions, and the reconstruction and KL
terms on those digits. Losses are also kept every step. The training script saves one history per
model beside its weights (weights/<name>.history.safetensors); the page replays it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from core.training.checkpoint import (
    CORRUPT,
    CORRUPT_TRAIN,
    MISSING,
    MISSING_TRAIN,
    MissingWeightsError,
    WeightsError,
    _problem,
    weights_dir,
)
from core.training.helpers import evaluating

N_FIXED = 2000  # test digits on the map
N_RECON = 8  # test digits shown reconstructed
GRID = 10  # the decoded grid is GRID x GRID latent points
LOSS_KEYS = ("loss", "recon", "kl")


def fixed_test_indices(n_test: int = 10_000, n: int = N_FIXED, seed: int = 0) -> torch.Tensor:
    """Which test digits the map shows: a seeded draw (every class in proportion), in index order."""
    return torch.randperm(n_test, generator=torch.Generator().manual_seed(seed))[:n].sort().values


def moment_steps(total: int, n: int = 40) -> list[int]:
    """n snapshot steps from 0 to total, denser early (where the map changes fastest)."""
    steps = np.round(total * np.linspace(0, 1, n) ** 2.5).astype(int)
    return sorted(set(steps.tolist()))


def latent_grid(span: float, n: int = GRID) -> torch.Tensor:
    """n*n latent points on a square grid over [-span, span]^2, row by row from the top (z2 high)."""
    ticks = torch.linspace(-span, span, n)
    z2, z1 = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")
    return torch.stack([z1.flatten(), z2.flatten()], dim=1)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    return (images.clamp(0, 1) * 255).round().to(torch.uint8)


class VAEHistory:
    """Snapshots of one 2-D VAE (or autoencoder) as it trains, on fixed test digits."""

    def __init__(self, images, labels, indices, grid_span: float = 3.0, n_recon: int = N_RECON, seed: int = 0):
        self.images, self.labels, self.indices = images, labels, indices
        self.grid_span, self.seed = float(grid_span), seed
        self.originals = images[:n_recon]
        self.losses: dict[str, list[float]] = {k: [] for k in ("step",) + LOSS_KEYS}
        self.moments: list[dict] = []

    def log(self, step: int, stats: dict) -> None:
        """One training step's batch losses."""
        self.losses["step"].append(float(step))
        for k in LOSS_KEYS:
            self.losses[k].append(float(stats[k]))

    @torch.no_grad()
    def snapshot(self, model, step: int, epoch: float) -> dict:
        """The map, the decoded grid, the reconstructions and the loss terms, now."""
        from core.vae.model import kl_per_dim, vae_loss  # here: model.py imports nothing of this module

        device = next(model.parameters()).device
        with evaluating(model):
            x = self.images.to(device)
            mu, logvar = model.encode(x)
            gen = torch.Generator(device=device).manual_seed(self.seed)  # the same z sample at every moment
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen, device=device) if logvar is not None else mu
            _, recon, _ = vae_loss(model.decoder(z), x, mu, logvar)
            kl = kl_per_dim(mu, logvar).sum(1).mean() if logvar is not None else torch.zeros(())
            grid = model.decode(latent_grid(self.grid_span).to(device))
            rebuilt = model.decode(mu[: len(self.originals)])
        moment = {
            "step": int(step),
            "epoch": float(epoch),
            "mu": mu.cpu().float(),
            "labels": self.labels,
            "recon_loss": recon.item(),
            "kl": kl.item(),
            "grid": to_uint8(grid.squeeze(1).cpu()),
            "recons": to_uint8(rebuilt.squeeze(1).cpu()),
        }
        self.moments.append(moment)
        return moment

    def drop_after(self, step: int) -> None:
        """Forget what came after `step` (a resumed run redoes it)."""
        self.moments = [m for m in self.moments if m["step"] <= step]
        keep = sum(s <= step for s in self.losses["step"])
        self.losses = {k: v[:keep] for k, v in self.losses.items()}

    def to_tensors(self) -> dict[str, torch.Tensor]:
        t = {f"loss.{k}": torch.tensor(v) for k, v in self.losses.items()}
        t["indices"], t["labels"] = self.indices, self.labels
        t["originals"] = to_uint8(self.originals.squeeze(1).cpu())
        t["grid.span"] = torch.tensor(self.grid_span)
        t["grid.z"] = latent_grid(self.grid_span)
        for k in ("step", "epoch", "recon_loss", "kl"):
            t[f"moment.{k}"] = torch.tensor([m[k] for m in self.moments])
        for k in ("mu", "grid", "recons"):
            t[f"moment.{k}"] = torch.stack([m[k] for m in self.moments])
        return t

    def restore(self, t: dict[str, torch.Tensor]) -> None:
        """Take up a saved history (a resumed run)."""
        self.losses = {k.split(".", 1)[1]: v.tolist() for k, v in t.items() if k.startswith("loss.")}
        self.moments = Replay.from_tensors(t).moments


@dataclass(eq=False)  # one loaded history is one object (pages key caches on it)
class Replay:
    """A recorded training as the page reads it: the moments, and what stays fixed across them."""

    moments: list[dict]  # each: step, epoch, mu (N, 2), labels, recon_loss, kl, grid, recons
    indices: torch.Tensor  # which test digits (of MNIST's 10,000) the map shows
    labels: torch.Tensor
    originals: torch.Tensor  # uint8 (N_RECON, 28, 28): the digits the reconstructions redraw
    grid_z: torch.Tensor  # (GRID*GRID, 2): the latent points the grid decodes
    grid_span: float
    losses: dict[str, list[float]] = field(default_factory=dict)  # every step: step, loss, recon, kl

    @property
    def variational(self) -> bool:
        """A VAE has a KL term; the plain autoencoder's is zero all along."""
        return any(m["kl"] > 0 for m in self.moments)

    @classmethod
    def from_tensors(cls, t: dict[str, torch.Tensor]) -> Replay:
        labels = t["labels"]
        moments = [
            {
                "step": int(step),
                "epoch": float(t["moment.epoch"][i]),
                "mu": t["moment.mu"][i],
                "labels": labels,
                "recon_loss": float(t["moment.recon_loss"][i]),
                "kl": float(t["moment.kl"][i]),
                "grid": t["moment.grid"][i],
                "recons": t["moment.recons"][i],
            }
            for i, step in enumerate(t["moment.step"].tolist())
        ]
        losses = {k.split(".", 1)[1]: v.tolist() for k, v in t.items() if k.startswith("loss.")}
        return cls(moments, t["indices"], labels, t["originals"], t["grid.z"], float(t["grid.span"]), losses)


HISTORY_NAMES = ("vae-z2", "ae-z2")


def load_vae_history(name: str = "vae-z2", directory: Path | None = None) -> Replay:
    """The recorded training of a shipped 2-D model (safetensors: nothing is unpickled)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from i18n import N_, Message

    if name not in HISTORY_NAMES:
        raise ValueError(Message(N_("Unknown model {name}; choose one of {names}."), name=repr(name), names=", ".join(HISTORY_NAMES)))
    part = f"{name}.history"
    path = (directory or weights_dir()) / f"{part}.safetensors"
    if not path.exists():
        raise MissingWeightsError(_problem(MISSING, MISSING_TRAIN, path, part))
    try:
        return Replay.from_tensors(load_file(str(path)))
    except (SafetensorError, OSError, ValueError, KeyError) as e:
        raise WeightsError(_problem(CORRUPT, CORRUPT_TRAIN, path, part, error=e)) from e
