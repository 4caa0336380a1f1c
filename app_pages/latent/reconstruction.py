"""The Reconstruction tab: a test digit through the encoder and back, with the terms of the loss."""

from __future__ import annotations

import streamlit as st
import torch

from app_pages._ui import compute, prose, to_image
from app_pages.latent.common import CODE, DICE, IMG, NO_BAR, TABS, Context, glossary_link, randomize, set_z
from core.vae import latent
from figures import latent as figs
from figures.latent import coords
from figures.pictures import image_grid
from figures.words import chart_words
from i18n import N_, _, number

HELP = {  # tooltips, shown with _()
    "recon": N_(
        "Binary cross-entropy summed over the 784 pixels (nats), averaged over the draws: small when the decoded image "
        "matches the original."
    ),
    "kl_one": N_("KL(N(μ, σ²) ‖ N(0, I)) in nats: how far this digit's cloud is from the prior."),
    "loss": N_("Reconstruction + KL: the VAE's training loss for this digit."),
}


def show(ctx: Context) -> None:
    name, model, data, digits, dim = ctx.name, ctx.model, ctx.data, ctx.digits, ctx.dim
    row = st.container(horizontal=True, vertical_alignment="bottom")
    idx = row.number_input(_("Test digit #"), 0, len(digits) - 1, key="ls_rec_idx", width=160, persist_state="session")
    row.button(_("Random digit"), key="ls_rec_random", on_click=randomize, args=(["ls_rec_idx"], len(digits)), icon=DICE)
    # seeded by the index: the same digit always shows the same draws
    r = compute(latent.reconstruct, model, digits[idx : idx + 1], samples=4, generator=torch.Generator().manual_seed(idx))
    cols = st.columns([1, 1, 1.2, 3], gap="medium")
    original = _("original (a {digit})").format(digit=int(data["digit_labels"][idx]))
    digit = int(data["digit_labels"][idx])
    cols[0].image(
        to_image(digits[idx], scale=6),
        caption=original,
        **IMG,
        alt=_("Test digit #{i}, a handwritten {digit}.").format(i=idx, digit=digit),
    )
    alt = _("The {name} decoder's drawing of test digit #{i} from its μ.").format(name=name, i=idx)
    cols[1].image(to_image(r["mean_image"], scale=6), caption=_("decoded μ"), **IMG, alt=alt)
    if model.variational:
        draws = image_grid(r["sample_images"], ncols=2, scale=3)
        alt = _("Four digits decoded from random points around test digit #{i}'s μ.").format(i=idx)
        cols[2].image(draws, caption=_("decoded draws z = μ + σ·ε from this digit's cloud"), **IMG, alt=alt)
    else:
        cols[2].markdown(prose("latent_ae_point"))
    with cols[3]:
        mcols = st.columns(3)
        mcols[0].metric(_("Reconstruction"), number(r["recon"], 1), help=_(HELP["recon"]))
        mcols[1].metric("KL", number(r["kl"], 1) if model.variational else "—", help=_(HELP["kl_one"]))
        mcols[2].metric(_("Loss"), number(r["loss"], 1), help=_(HELP["loss"]))
        st.caption(
            prose("latent_tradeoff") if model.variational else _("The plain autoencoder is trained on the reconstruction alone.")
        )
        row = st.container(horizontal=True, vertical_alignment="center")
        row.button(
            _("Open this μ in the sliders"), key="ls_rec_to_sliders", on_click=set_z, args=(name, r["mu"], ctx.lo, ctx.hi, TABS[0])
        )
        glossary_link(row)
    left, right = st.columns([3, 2] if dim > 2 else [1, 1], gap="large")
    fig = figs.code_figure(r["mu"], r["sigma"], latent.slider_order(data["kl_per_dim"]))
    left.plotly_chart(fig, key="ls_rec_mu", config=NO_BAR, alt=chart_words(fig, _(CODE)))
    if dim > 2:
        right.markdown(prose("latent_unused"))
    elif model.variational:
        right.markdown(prose("latent_sigma").format(sigma=coords(r["sigma"].tolist(), 3)))
    else:
        right.markdown(prose("latent_two_numbers"))
