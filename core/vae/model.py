"""A convolutional VAE (and the same network as a plain autoencoder) for 28x28 MNIST digits.

x -> Encoder -> (mu, logvar) -> z = mu + sigma * eps -> Decoder -> x_hat
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from core import registry
from core.training.checkpoint import load_meta, load_state
from core.training.data import batches
from core.training.distributed import backward_in_micro_batches, unwrap
from i18n import N_, Message


@dataclass
class VAEConfig:
    latent_dim: int = 2
    variational: bool = True  # False: a plain autoencoder (no sampling, no KL)
    channels: int = 32  # width of the first conv layer; the second is twice as wide
    hidden: int = 512
    beta: float = 1.0


class Encoder(nn.Module):
    """28x28 image -> 14x14 -> 7x7 feature maps -> (mu, logvar) of the latent Gaussian."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        c = cfg.channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(c, 2 * c, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(2 * c * 7 * 7, cfg.hidden),
            nn.ReLU(),
        )
        self.mu = nn.Linear(cfg.hidden, cfg.latent_dim)
        # the plain autoencoder has no spread to learn
        self.logvar = nn.Linear(cfg.hidden, cfg.latent_dim) if cfg.variational else None

    def forward(self, x):
        h = self.features(x)
        return self.mu(h), (self.logvar(h) if self.logvar is not None else None)


class Decoder(nn.Module):
    """Latent vector -> 7x7 -> 14x14 -> 28x28 logits (the encoder mirrored)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        c = cfg.channels
        self.net = nn.Sequential(
            nn.Linear(cfg.latent_dim, cfg.hidden),
            nn.ReLU(),
            nn.Linear(cfg.hidden, 2 * c * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (2 * c, 7, 7)),
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1),
        )

    def forward(self, z):
        return self.net(z)  # logits; sigmoid gives pixel intensities


def reparameterize(mu, logvar, generator: torch.Generator | None = None, eps=None):
    """z = mu + sigma * eps. The randomness sits in eps, so gradients flow to mu and sigma."""
    if eps is None:
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


class VAE(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.latent_dim = cfg.latent_dim
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    @property
    def variational(self) -> bool:
        return self.cfg.variational

    def encode(self, x):
        """x in [0, 1], shape (N, 1, 28, 28) -> (mu, logvar); logvar is None for the autoencoder."""
        return self.encoder(x)

    def decode(self, z):
        """z of shape (N, latent_dim) -> images in [0, 1], shape (N, 1, 28, 28)."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x, generator: torch.Generator | None = None, eps=None):
        """Returns (logits, mu, logvar). The VAE decodes a sample of z, the autoencoder decodes mu.

        eps, when given, is the standard normal noise of that sample (else drawn from `generator`).
        """
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, generator, eps) if self.variational else mu
        return self.decoder(z), mu, logvar


def kl_per_dim(mu, logvar):
    """KL(N(mu, sigma^2) || N(0, 1)) for each latent dimension, shape (N, latent_dim)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def vae_loss(logits, x, mu, logvar, beta: float = 1.0):
    """Per-image averages: (reconstruction + beta * KL, reconstruction, KL).

    Reconstruction is binary cross-entropy summed over the 784 pixels.
    """
    n = x.shape[0]
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    kl = kl_per_dim(mu, logvar).sum() / n if logvar is not None else torch.zeros((), device=x.device)
    return recon + beta * kl, recon, kl


def draw_noise(vae: VAE, n: int, generator: torch.Generator, device=None, dtype=torch.float32):
    """A batch's standard normal noise eps (None for the autoencoder, which decodes mu)."""
    if not vae.variational:
        return None
    return torch.randn((n, vae.latent_dim), generator=generator, device=device, dtype=dtype)


def train_step(model: VAE, optimizer, x, eps=None, accum: int = 1) -> dict:
    """One optimiser step on the batch x with its noise eps; returns the batch's mean loss terms.

    The KL weight is the model's cfg.beta, read at every step: the live page turns it while training.
    `accum` splits the batch into micro-batches (the gradients add up to the whole batch's).
    """
    vae = unwrap(model)
    noise = eps.chunk(accum) if eps is not None else [None] * accum

    def terms(xb, e):
        logits, mu, logvar = model(xb, eps=e)
        return vae_loss(logits, xb, mu, logvar, vae.cfg.beta)  # (loss, recon, kl)

    optimizer.zero_grad(set_to_none=True)
    parts = torch.zeros(3)
    for loss, recon, kl in backward_in_micro_batches(model, zip(x.chunk(accum), noise), terms, accum):
        parts += torch.tensor([loss.item(), recon.item(), kl.item()])
    optimizer.step()
    loss, recon, kl = (parts / accum).tolist()
    return {"loss": loss, "recon": recon, "kl": kl}


def train_epoch(
    model: VAE,
    optimizer,
    images,
    batch_size: int,
    generator: torch.Generator,
    max_steps: int | None = None,
    on_step=None,
    mine=None,
    accum: int = 1,
) -> dict:
    """One pass over `images` (N, 1, 28, 28); returns mean loss terms (of this process's rows).

    on_step(step, stats) is called after each step (step counts from 1 within the pass).
    For DDP (`model` wrapped, `mine` keeping this rank's rows of a global tensor): every rank
    draws the same batch and noise from `generator` and trains on its rows, so the ranks together
    take the step one process would. `accum` splits those rows into micro-batches.
    """
    vae = unwrap(model)
    keep = mine or (lambda t: t)
    model.train()
    totals = torch.zeros(3)
    steps = 0
    for idx in batches(len(images), batch_size, generator):
        # the whole batch's noise, drawn as one process's forward pass draws it
        eps = draw_noise(vae, len(idx), generator, images.device, images.dtype)
        stats = train_step(model, optimizer, images[keep(idx)], keep(eps) if eps is not None else None, accum)
        totals += torch.tensor([stats["loss"], stats["recon"], stats["kl"]])
        steps += 1
        if on_step:
            on_step(steps, stats)
        if max_steps and steps >= max_steps:
            break
    loss, recon, kl = (totals / max(steps, 1)).tolist()
    return {"loss": loss, "recon": recon, "kl": kl, "steps": steps}


@torch.no_grad()
def evaluate(model: VAE, images, seed: int = 0, batch_size: int = 1000) -> dict:
    """Test-set loss per image with one sample of z (BCE summed over pixels + KL)."""
    model.eval()
    gen = torch.Generator(device=images.device).manual_seed(seed)
    totals = torch.zeros(3, dtype=torch.float64)
    for i in range(0, len(images), batch_size):
        x = images[i : i + batch_size]
        logits, mu, logvar = model(x, gen)
        _, recon, kl = vae_loss(logits, x, mu, logvar, beta=1.0)
        totals += torch.tensor([(recon + kl).item(), recon.item(), kl.item()], dtype=torch.float64) * len(x)
    loss, recon, kl = (totals / len(images)).tolist()
    return {"loss": loss, "recon": recon, "kl": kl}


@torch.no_grad()
def encode_all(model: VAE, images, batch_size: int = 1000):
    """mu and per-dimension KL for every image (the KL is zeros for the autoencoder)."""
    model.eval()
    mus, kls = [], []
    for i in range(0, len(images), batch_size):
        mu, logvar = model.encode(images[i : i + batch_size])
        mus.append(mu)
        kls.append(kl_per_dim(mu, logvar) if logvar is not None else torch.zeros_like(mu))
    return torch.cat(mus), torch.cat(kls)


VAE_NAMES = registry.names("vae")


def load_vae(name: str = "vae-z2", directory=None) -> VAE:
    """A shipped model in eval mode: "vae-z2", "vae-z16" or "ae-z2"."""
    if name not in VAE_NAMES:
        raise ValueError(Message(N_("Unknown model {name}; choose one of {names}."), name=repr(name), names=", ".join(VAE_NAMES)))
    cfg = VAEConfig(**load_meta(name, directory)["config"])
    return load_state(VAE(cfg), name, directory)
