"""GAN inversion: find the noise z whose image G(z) looks most like a given digit.

A GAN has no encoder, so "which z draws this?" is a search: start from random noise, and let Adam
move z downhill on the pixel loss ||G(z) - target||^2, G's weights held fixed. Several random starts
run together as one batch, since one start can get stuck in a poor valley. An optional prior term
pulls z towards the region where the generator was trained, N(0, I), so the twin stays a digit the
GAN would actually draw rather than an overfitted blend.

    search = Inversion(G, target, generator=torch.Generator().manual_seed(0))
    while search.step():      # a few Adam steps per call; a page hands search.step to the shared
        ...                   # scheduler (submit_task) and shows search.best().image and search.losses
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from core.gan.model import to_unit
from i18n import N_, Message


@dataclass
class Twin:
    """The best match found so far."""

    image: torch.Tensor  # (1, 1, 28, 28) in [0, 1], ready for the screen
    z: torch.Tensor  # (1, latent_dim)
    loss: float  # pixel MSE in the generator's [-1, 1] space
    step: int  # the Adam step it was measured at (0 = the random start)
    restart: int  # which of the random starts found it


def typicality(z: torch.Tensor) -> dict:
    """How typical z (latent_dim,) is as a draw from N(0, I).

    Random noise of d dimensions has a norm close to sqrt(d) (its square follows a chi-square law with
    d degrees of freedom). `percentile` is the share of random noise vectors with a smaller norm:
    near 0.5 is ordinary noise; near 1, z wandered far out; near 0, z sits unusually near the centre.
    """
    z = z.detach().flatten().double()
    d = z.numel()
    sq = (z * z).sum()
    percentile = torch.special.gammainc(torch.tensor(d / 2, dtype=torch.float64), sq / 2).item()  # chi2(d) CDF
    return {"norm": sq.sqrt().item(), "typical_norm": math.sqrt(d), "percentile": percentile}


class Inversion:
    """Adam on z, several random starts at once; the generator is only read (eval mode, no updates)."""

    # Defaults measured on the shipped generator and 8 test digits (one CPU thread, ~7 ms a step):
    # the best pixel loss falls from ~0.37 to ~0.007 in 300 steps; with prior_weight 0.01 the twins'
    # norms stay typical of N(0, I), without it most wander out past the 95th percentile.
    def __init__(
        self,
        G: nn.Module,
        target: torch.Tensor,
        restarts: int = 4,
        lr: float = 0.1,
        prior_weight: float = 0.01,
        max_steps: int = 300,
        steps_per_call: int = 5,
        generator: torch.Generator | None = None,
    ):
        if target.numel() != 28 * 28:
            raise ValueError(Message(N_("the target must be one 28x28 image, got shape {shape}"), shape=tuple(target.shape)))
        if G.training:
            # BatchNorm in training mode would mix the starts and rewrite the shared running statistics.
            raise ValueError(Message(N_("put the generator in eval mode (the shipped one is loaded that way)")))
        self.G, self.prior_weight = G, prior_weight
        self.max_steps, self.steps_per_call = max_steps, steps_per_call
        device = next(G.parameters()).device
        self.target = (target.reshape(1, 1, 28, 28).float() * 2 - 1).to(device)  # [0, 1] -> G's [-1, 1]
        gen = generator or torch.Generator().manual_seed(0)
        self.z0 = torch.randn(restarts, G.latent_dim, generator=gen, device=gen.device).to(device)
        self.z = self.z0.clone().requires_grad_()
        self.opt = torch.optim.Adam([self.z], lr=lr)
        self.steps, self.stopped = 0, False
        self.losses: list[list[float]] = []  # per Adam step, each start's pixel loss before the update
        self._best: Twin | None = None

    def _pixel_loss(self, images: torch.Tensor) -> torch.Tensor:
        return ((images - self.target) ** 2).mean((1, 2, 3))  # (restarts,)

    def _adam_step(self) -> None:
        z = self.z.detach().clone()  # the z that this step's losses belong to
        images = self.G(self.z)
        pixel = self._pixel_loss(images)
        # -log N(z; 0, I) is ||z||^2 / 2 up to a constant; per dimension, ~0.5 for typical noise
        prior = (self.z**2).mean(1) / 2
        # Summed, so each start's gradient is its own: the starts are independent searches in one batch.
        loss = (pixel + self.prior_weight * prior).sum()
        # autograd.grad rather than backward(): only z gets a gradient; the shared G's .grad stays untouched.
        (self.z.grad,) = torch.autograd.grad(loss, [self.z])
        self.opt.step()

        pixel = pixel.detach()
        self.losses.append(pixel.tolist())
        i = int(pixel.argmin())
        if self._best is None or pixel[i].item() < self._best.loss:
            self._best = Twin(to_unit(images[i : i + 1].detach()), z[i : i + 1], pixel[i].item(), self.steps, i)
        self.steps += 1

    def step(self) -> bool:
        """A few Adam steps; False once max_steps are done or stop() was called, so that a task
        `scheduler.submit_task(owner, search.step)` ends there."""
        for _ in range(min(self.steps_per_call, self.max_steps - self.steps)):
            if self.stopped:
                break
            self._adam_step()
        return not self.done

    def stop(self) -> None:
        """Ask the search to end at its next step (safe from another thread: the page's, while a worker runs it)."""
        self.stopped = True

    @property
    def done(self) -> bool:
        return self.stopped or self.steps >= self.max_steps

    def best(self) -> Twin:
        """The closest twin so far: the lowest pixel loss measured at any step (before any: the best random start)."""
        if self._best is None:
            with torch.no_grad():  # only looks; the search itself never runs under no_grad
                images = self.G(self.z0)
                pixel = self._pixel_loss(images)
            i = int(pixel.argmin())
            return Twin(to_unit(images[i : i + 1]), self.z0[i : i + 1].clone(), pixel[i].item(), 0, i)
        return self._best

    def wander(self) -> dict:
        """How far the best z went: its typicality under N(0, I), that of its random start, and the distance between."""
        b = self.best()
        start = self.z0[b.restart]
        return {**typicality(b.z), "start_norm": start.norm().item(), "moved": (b.z[0] - start).norm().item()}
