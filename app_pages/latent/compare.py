"""The AE vs VAE tab: the same draws from N(0, I) through both 2-D models' decoders, and where they land on each map."""

from __future__ import annotations

import streamlit as st

from app_pages._ui import compute, load, prose
from app_pages.latent.common import DICE, IMG, NO_BAR, NO_CLASSIFIER, PNG, Context, glossary_link, randomize
from app_pages.loaders import load_vae, load_vae_data
from core import registry
from core.vae import latent
from figures import latent as figs
from figures.pictures import image_grid, png_bytes
from figures.words import chart_words
from i18n import _, number

PAIR = ("ae-z2", "vae-z2")  # the two models compared, whichever model the page has picked


def show(ctx: Context) -> None:
    """Both models load here (a missing one stops only this tab); the classifier, when there, scores the samples."""
    pair = {n: (load(load_vae, n), load(load_vae_data, n)) for n in PAIR}
    st.markdown(prose("latent_sampling"))
    row = st.container(horizontal=True, vertical_alignment="bottom")
    n = row.slider(_("Draws"), 8, 48, step=8, key="ls_cmp_n", width=260, persist_state="session")
    seed = row.number_input(_("Seed"), 0, 10**6 - 1, key="ls_cmp_seed", width=160, persist_state="session")
    row.button(_("New draws"), key="ls_cmp_new", on_click=randomize, args=(["ls_cmp_seed"], 10**6), icon=DICE)
    glossary_link(row)
    z = latent.prior_draws(n, 2, seed)
    for col, (other, (m, d)) in zip(st.columns(2, gap="large"), pair.items()):
        with col:
            st.markdown(f"## {_(registry.entry(other).label)}")
            images = compute(latent.decode, m, z)
            grid = image_grid(images, ncols=8, scale=3)
            alt = _("{n} digits {model} decodes from the same {n} draws of N(0, I).").format(n=n, model=_(registry.entry(other).label))
            st.image(grid, **IMG, alt=alt)
            st.download_button(
                _("Download these samples (PNG)"), png_bytes(grid), f"{other}-seed{seed}.png", key=f"ls_png_{other}", **PNG
            )
            if ctx.classifier is not None:
                digit, conf = latent.read_digits(ctx.classifier, images)
                seen = set(digit[conf >= 0.9].tolist())
                listed = [", ".join(str(v) for v in sorted(s)) or _("none") for s in (seen, set(range(10)) - seen)]
                sure = number(int((conf >= 0.9).sum()))
                st.markdown(prose("latent_scored").format(sure=sure, n=number(n), seen=listed[0], never=listed[1]))
            view = latent.cover(*latent.slider_bounds(d["mu"], m.variational), z)  # every draw in view, even off the codes
            fig = figs.draws_figure(d["mu"], d["labels"], *view, z)
            what = _("Where {model} puts the test digits, and the draws as crosses").format(model=_(registry.entry(other).label))
            st.plotly_chart(fig, key=f"ls_cmp_map_{other}", config=NO_BAR, alt=chart_words(fig, what))
    st.caption(_("Note the two maps' scales: the same draws cover a small patch of the autoencoder's plane."))
    if ctx.classifier is None:
        st.caption(_(NO_CLASSIFIER["scores"]).format(error=ctx.classifier_error))
    ae_lo, ae_hi = (v.round().int().tolist() for v in pair["ae-z2"][1]["mu"].aminmax(dim=0))
    st.info(prose("latent_holes").format(lo=ae_lo, hi=ae_hi), icon=":material/blur_on:")
