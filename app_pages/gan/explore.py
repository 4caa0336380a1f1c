"""The Explore the generator tab: the shipped generator's samples for a seed, and a walk between two noise vectors."""

from __future__ import annotations

import streamlit as st
import torch

from app_pages._ui import compute, load
from app_pages.gan.common import download
from app_pages.loaders import load_generator
from core.gan.model import to_unit
from core.vae.latent import interpolate, prior_draws
from figures.pictures import image_grid, png_bytes
from i18n import _


@torch.no_grad()
def draw(G, z: torch.Tensor) -> torch.Tensor:
    return to_unit(G(z))  # the shipped generator is shared by every session: only read it


def show() -> None:
    """The generator loads here (missing weights stop only this tab)."""
    G = load(load_generator)
    st.markdown(
        _("The shipped generator is a function from {n} random numbers to a picture. Same seed, same noise, same digits.").format(
            n=G.latent_dim
        )
    )
    seed = st.columns([1, 3])[0].number_input(_("Seed"), 0, 1_000_000, value=0, step=1, key="explore_seed")
    grid = image_grid(compute(draw, G, prior_draws(64, G.latent_dim, int(seed))), ncols=16, scale=2)
    alt = _("64 digits the shipped generator draws from the noise of seed {seed}.").format(seed=seed)
    st.image(grid, caption=_("64 samples from seed {seed}").format(seed=seed), alt=alt)
    download(_("These samples (PNG)"), f"gan_seed_{seed}.png", "explore_png", png_bytes, grid)
    st.header(_("Walk between two noise vectors"))
    c = st.columns(3)
    a = c[0].number_input(_("Start seed"), 0, 1_000_000, value=1, step=1, key="explore_seed_a")
    b = c[1].number_input(_("End seed"), 0, 1_000_000, value=2, step=1, key="explore_seed_b")
    n = c[2].slider(_("Steps"), 4, 16, value=10, key="explore_steps")
    # along an arc: a straight line passes near the origin, where Gaussian noise almost never lies
    z = interpolate(prior_draws(1, G.latent_dim, int(a))[0], prior_draws(1, G.latent_dim, int(b))[0], n, "spherical")
    strip = image_grid(compute(draw, G, z), ncols=n, scale=3)
    alt = _("{n} digits in a row, morphing from the digit of seed {a} to the digit of seed {b}.").format(n=n, a=a, b=b)
    st.image(strip, caption=_("Each picture is G of a point on the path from z_start to z_end"), alt=alt)
    download(_("This walk (PNG)"), f"gan_walk_{a}_to_{b}.png", "explore_walk_png", png_bytes, strip)
    st.caption(_("Smooth morphing means the generator learned a continuous map, not a lookup table of training digits."))
