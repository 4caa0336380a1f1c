"""What the Latent Space page computes, with no Streamlit: slider order and bounds, click -> latent
vector, interpolation, the decoded 2-D plane, and one digit's reconstruction with its loss terms.

Every function takes a model from core/vae.py (in eval mode) and only reads it.
"""

from __future__ import annotations

import math

import torch

from core.mnist.classifier import predict
from core.vae.model import VAE, kl_per_dim, reparameterize, vae_loss
from i18n import N_, Message

PRIOR_LIMIT = 4.0  # |z| <= 4 holds 99.99% of N(0, 1): room enough for a VAE's sliders
UNUSED_KL = 0.05  # nats: a dimension whose mean KL is below this carries (almost) nothing


# --- sliders ---------------------------------------------------------------------------------------


def dims_by_kl(kl: torch.Tensor) -> list[int]:
    """Latent dimensions, most used first.

    A dimension's mean KL says how much the encoder moves it away from the prior N(0, 1). One the
    model ignores has KL ~ 0: it is the same noise for every digit, so it holds no information.
    """
    return torch.argsort(kl, descending=True, stable=True).tolist()


def slider_order(kl: torch.Tensor) -> list[int]:
    """The order the page shows dimensions in: x then y on a 2-D plane, most used first otherwise."""
    return dims_by_kl(kl) if len(kl) > 2 else list(range(len(kl)))


def slider_bounds(mu: torch.Tensor, variational: bool, limit: float = PRIOR_LIMIT) -> tuple[torch.Tensor, torch.Tensor]:
    """(low, high) per latent dimension, from the test-set means mu (N, d).

    The KL term pulls a VAE's latents towards N(0, 1), so +-limit covers them (widened to reach a
    rare test digit further out). Nothing pulls an autoencoder's latents anywhere: its range is that
    of its own test-set means, plus a 10% margin.
    """
    d = mu.shape[1]
    if variational:
        limit = max(limit, math.ceil(mu.abs().max().item()))
        return torch.full((d,), -float(limit)), torch.full((d,), float(limit))
    lo, hi = mu.min(0).values, mu.max(0).values
    margin = 0.1 * (hi - lo)
    return torch.floor(lo - margin), torch.ceil(hi + margin)


def clamp_latent(z: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Keep every coordinate of z inside the sliders' bounds."""
    return torch.maximum(torch.minimum(z, hi), lo)


def click_to_latent(selection, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor | None:
    """The latent vector under a click on the 2-D map, or None when no point is selected.

    `selection` is st.plotly_chart's selection state: {"points": [{"x": ..., "y": ..., ...}], ...}.
    The map's axes are the two latent dimensions, so a point's (x, y) *is* a latent vector.
    """
    points = (selection or {}).get("points") or []
    point = next((p for p in points if p.get("x") is not None and p.get("y") is not None), None)
    if point is None:
        return None
    return clamp_latent(torch.tensor([float(point["x"]), float(point["y"])]), lo, hi)


def cover(lo: torch.Tensor, hi: torch.Tensor, z: torch.Tensor, margin: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Bounds widened to show every row of z (N, d) with a margin: the prior's draws can land far
    outside the region where an autoencoder put its codes."""
    return torch.minimum(lo, z.min(0).values - margin), torch.maximum(hi, z.max(0).values + margin)


def prior_draws(n: int, dim: int, seed: int) -> torch.Tensor:
    """n latent vectors drawn from the prior N(0, I); the same seed gives the same draws."""
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


# --- decoding and reading ---------------------------------------------------------------------------


@torch.no_grad()
def decode(model: VAE, z: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Latent vectors (N, d) or one vector (d,) -> images in [0, 1], shape (N, 1, 28, 28)."""
    z = z.reshape(-1, model.latent_dim).float()
    return torch.cat([model.decode(z[i : i + batch_size]) for i in range(0, len(z), batch_size)])


@torch.no_grad()
def read_digits(classifier, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """What the digit classifier sees in each image: (predicted digit, its probability)."""
    probs, _ = predict(classifier, images)
    confidence, digit = probs.max(1)
    return digit, confidence


# --- interpolation ----------------------------------------------------------------------------------


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Straight line from z0 (t=0) to z1 (t=1); t has shape (steps,) and gives (steps, d)."""
    t = t.reshape(-1, 1)
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Along an arc around the origin from z0 (t=0) to z1 (t=1) (spherical interpolation).

    In d dimensions a draw from N(0, I) lies near the shell of radius sqrt(d) (4 for d = 16). A
    straight line between two such points cuts inside the shell, where the prior put almost no
    training codes. Here the direction turns along the great circle while the distance from the
    origin goes evenly from |z0| to |z1|. Falls back to a line when the arc is undefined.
    """
    n0, n1 = z0.norm(), z1.norm()
    if n0 < 1e-8 or n1 < 1e-8:
        return lerp(z0, z1, t)
    u0, u1 = z0 / n0, z1 / n1
    omega = torch.arccos(torch.clamp(torch.dot(u0, u1), -1.0, 1.0))  # the angle between the two directions
    if torch.sin(omega).abs() < 1e-6:  # (anti)parallel: no single arc
        return lerp(z0, z1, t)
    t = t.reshape(-1, 1)
    direction = (torch.sin((1 - t) * omega) * u0 + torch.sin(t * omega) * u1) / torch.sin(omega)
    return ((1 - t) * n0 + t * n1) * direction


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "linear") -> torch.Tensor:
    """`steps` latent vectors from z0 to z1 inclusive, shape (steps, d)."""
    if method not in ("linear", "spherical"):
        raise ValueError(Message(N_("method must be 'linear' or 'spherical', not {method}"), method=repr(method)))
    t = torch.linspace(0, 1, steps)
    return (lerp if method == "linear" else slerp)(z0.float(), z1.float(), t)


# --- the 2-D plane -----------------------------------------------------------------------------------


def square_cells(lo: torch.Tensor, hi: torch.Tensor, n: int) -> tuple[int, int]:
    """(columns, rows) of a grid over [lo, hi] with n cells along the longer side and square cells,
    so decoded digits are not stretched where the plane is wider than tall (the autoencoder's)."""
    w, h = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    return (n, max(1, round(n * h / w))) if w >= h else (max(1, round(n * w / h)), n)


def plane_grid(lo: torch.Tensor, hi: torch.Tensor, cols: int, rows: int | None = None) -> torch.Tensor:
    """Centres of a cols x rows grid of cells covering [lo, hi] in two dimensions, shape (rows*cols, 2).

    Rows run from the top (largest y) down, left to right, so decoded cells tile like an image.
    """
    rows = rows or cols
    xs = lo[0] + (torch.arange(cols) + 0.5) / cols * (hi[0] - lo[0])
    ys = hi[1] - (torch.arange(rows) + 0.5) / rows * (hi[1] - lo[1])
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx.flatten(), gy.flatten()], dim=1)


def manifold(model: VAE, lo: torch.Tensor, hi: torch.Tensor, cols: int, rows: int | None = None) -> torch.Tensor:
    """The decoder's picture of the whole plane: one decoded image per cell, shape (rows*cols, 1, 28, 28)."""
    return decode(model, plane_grid(lo, hi, cols, rows))


def classify_plane(model: VAE, classifier, lo, hi, cols: int, rows: int | None = None):
    """The classifier's reading of the decoded image in every cell: (digit, probability), each (rows, cols)."""
    rows = rows or cols
    digit, confidence = read_digits(classifier, manifold(model, lo, hi, cols, rows))
    return digit.reshape(rows, cols), confidence.reshape(rows, cols)


# --- one digit's reconstruction -------------------------------------------------------------------


@torch.no_grad()
def reconstruct(model: VAE, x: torch.Tensor, samples: int = 4, generator: torch.Generator | None = None) -> dict:
    """One digit x (1, 1, 28, 28) in [0, 1] through the model, and the loss it was trained on.

    The VAE encodes x as a cloud N(mu, sigma^2), draws `samples` codes z = mu + sigma * eps from it
    and decodes each; the loss terms are vae_loss averaged over those draws. The autoencoder has
    no cloud: it decodes mu itself, and its KL term is zero.
    """
    mu, logvar = model.encode(x)
    if model.variational:
        mus, logvars = mu.expand(samples, -1), logvar.expand(samples, -1)
        z = reparameterize(mus, logvars, generator)
    else:
        mus, logvars, z = mu, None, mu
    logits = model.decoder(z)
    loss, recon, kl = vae_loss(logits, x.expand(len(z), -1, -1, -1), mus, logvars)
    return {
        "mu": mu[0],
        "sigma": torch.exp(0.5 * logvar[0]) if logvar is not None else None,
        "kl_per_dim": kl_per_dim(mu, logvar)[0] if logvar is not None else torch.zeros_like(mu[0]),
        "mean_image": model.decode(mu)[0],  # the decoded centre of the cloud
        "sample_images": torch.sigmoid(logits),  # decoded draws from the cloud
        "recon": recon.item(),
        "kl": kl.item(),
        "loss": loss.item(),
    }
