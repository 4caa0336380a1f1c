"""The Sliders & map tab: move z with a slider per dimension (or click the 2-D map) and see what the decoder draws."""

from __future__ import annotations

import random
from functools import partial

import streamlit as st
import torch

from app_pages import drawing
from app_pages._ui import compute, in_language, number_format, prose, to_image, worded
from app_pages.latent.common import DICE, MAP_BAR, NO_BAR, NO_CLASSIFIER, PNG, Context, encode_drawing, reads, set_z, z_options
from core.vae import latent
from figures import latent as figs
from figures.latent import coords
from figures.pictures import png_bytes
from figures.words import chart_words
from i18n import N_, _, number

# The map's backgrounds: the radio's values (and the URL's), shown translated.
BACKGROUNDS = [N_("decoded digits"), N_("classifier's reading"), N_("nothing")]
HELP = {  # tooltips, kept short (the long explanations live in text/), shown with _()
    "digit": N_("The sliders jump to where the encoder puts this test digit."),
    "origin": N_("z = 0: the centre of the prior N(0, I)."),
    "draw": N_("A random point from the prior: what sampling from the model does."),
    "reset": N_("Back to where the page starts: test digit #0."),
    "kl": N_("Mean KL over the test set (nats): how much this dimension tells the decoder."),
    "map": N_("What the decoder draws at each spot of the plane, or which digit the classifier sees there."),
}


def start_from_digit(name: str, mu: torch.Tensor, lo, hi) -> None:
    set_z(name, mu[int(st.session_state["ls_start_idx"])], lo, hi)


def draw_prior(name: str, lo, hi) -> None:
    set_z(name, latent.prior_draws(1, len(lo), random.randrange(2**31))[0], lo, hi)


def on_map_click(name: str, lo, hi) -> None:
    z = latent.click_to_latent(st.session_state[f"ls_map_{name}"]["selection"], lo, hi)
    if z is not None:
        set_z(name, z, lo, hi)


def slider_label(i: int, kl: float, dim: int) -> str:
    """z1 (x axis) on a plane; z3 · KL 1.27 among many, greyed where the model ignores the dimension."""
    if dim == 2:
        return _("z{i} ({axis} axis)").format(i=i + 1, axis="xy"[i])
    if kl >= latent.UNUSED_KL:
        return f"z{i + 1} · KL {number(kl, 2)}"
    return _("z{i} · :gray[KL {kl}, unused]").format(i=i + 1, kl=number(kl, 2))


def where_z(z: torch.Tensor, variational: bool) -> str:
    """z and its length, and for a VAE where the prior's draws sit: ‖z‖ ≈ √d."""
    dim, norm = len(z), number(float(z.norm()), 2)
    point = coords(z.tolist()) if dim == 2 else None
    if variational:
        values = dict(norm=norm, dim=dim, root=number(dim**0.5, 1))
        if point is None:
            return _("‖z‖ = {norm}; draws from N(0, I) have ‖z‖ ≈ √{dim} = {root}.").format(**values)
        return _("z = ({z}), ‖z‖ = {norm}; draws from N(0, I) have ‖z‖ ≈ √{dim} = {root}.").format(z=point, **values)
    return f"‖z‖ = {norm}." if point is None else f"z = ({point}), ‖z‖ = {norm}."


def show(ctx: Context) -> None:
    name, model, dim, mu, lo, hi = ctx.name, ctx.model, ctx.dim, ctx.mu, ctx.lo, ctx.hi
    row = st.container(horizontal=True, vertical_alignment="bottom")
    row.number_input(_("Test digit #"), 0, len(ctx.digits) - 1, key="ls_start_idx", width=160, persist_state="session")
    row.button(_("Start from its μ"), key="ls_go_digit", on_click=start_from_digit, args=(name, mu, lo, hi), help=_(HELP["digit"]))
    row.button(
        _("Origin"),
        key="ls_go_origin",
        on_click=set_z,
        args=(name, torch.zeros(dim), lo, hi),
        help=_(HELP["origin"]),
        icon=":material/adjust:",
    )
    row.button(_("Draw z ~ N(0, I)"), key="ls_go_random", on_click=draw_prior, args=(name, lo, hi), help=_(HELP["draw"]), icon=DICE)
    row.button(
        _("Reset"),
        key="ls_reset",
        on_click=set_z,
        args=(name, mu[0], lo, hi),
        help=_(HELP["reset"]),
        icon=":material/restart_alt:",
    )
    if not model.variational:
        st.caption(_("The autoencoder's latents are not pulled towards N(0, 1): its sliders span its test-set μ, not about ±4."))
    drawn = drawing.drawn_digit(quiet=True) if dim == 2 else None  # a drawing made in its tab is marked on the map
    drawn_mu = compute(encode_drawing, model, drawn)["mu"] if drawn is not None else None
    explore(ctx, drawn_mu)
    if dim > 2:
        st.caption(_("A 2-D map needs a 2-D model: pick vae-z2 or ae-z2 above to see one."))


@st.fragment
def explore(ctx: Context, drawn_mu=None) -> None:
    """Sliders, the decoded image and, in 2-D, the map (with the learner's drawing, if any, at drawn_mu).
    A fragment: a slider move or a click reruns only this."""
    words = in_language()
    name, model, data, lo, hi, classifier = ctx.name, ctx.model, ctx.data, ctx.lo, ctx.hi, ctx.classifier
    dim, kl = model.latent_dim, data["kl_per_dim"]
    if dim == 2:
        map_col, side = st.columns([7, 4], gap="large")
        image_spot, slider_cols = side.container(), [side]
    else:
        image_spot, side = st.columns([2, 3], gap="large")
        side.markdown(_("**Latent sliders**, most-used dimension first; grey = the model ignores it"))
        slider_cols = side.columns(2)
    tip, two_decimals = (_(HELP["kl"]) if dim > 2 else None), number_format(2)
    for j, i in enumerate(latent.slider_order(kl)):
        col = slider_cols[j * len(slider_cols) // dim]
        col.select_slider(  # not st.slider: its printf format wrote -5.00 and 0.99 on a Portuguese page
            slider_label(i, float(kl[i]), dim),
            z_options(float(lo[i]), float(hi[i])),
            format_func=two_decimals,
            key=worded(f"ls_z_{name}_{i}"),
            help=tip,
            persist_state="session",
        )
    z = torch.tensor([float(st.session_state[f"ls_z_{name}_{i}"]) for i in range(dim)])
    decoded = compute(latent.decode, model, z)
    image = to_image(decoded[0], scale=12)

    with image_spot:
        read = ""
        if classifier is not None:
            digit, conf = latent.read_digits(classifier, decoded)
            read = reads(int(digit), float(conf)) + " "
        where = read + where_z(z, model.variational)
        alt = _("The digit the decoder draws from the sliders' z. {where}").format(where=where.replace("**", ""))
        st.image(image, caption="decoder(z)", width=336, output_format="PNG", alt=alt)
        st.markdown(where)
        st.download_button(_("Download this digit (PNG)"), png_bytes(image), f"{name}-decoded.png", key="ls_z_png", **PNG)
        if dim > 2:
            kl_fig = figs.kl_figure(kl, latent.slider_order(kl))
            st.plotly_chart(kl_fig, key=f"ls_kl_{name}", config=NO_BAR, alt=chart_words(kl_fig, _("Mean KL of each latent dimension")))
    if dim == 2:
        with map_col:
            background = st.radio(
                _("Behind the points"),
                BACKGROUNDS,
                format_func=words,
                key=worded("ls_map_bg"),
                horizontal=True,
                help=_(HELP["map"]),
                persist_state="session",
            )
            uri = ctx.manifold_uri() if background == BACKGROUNDS[0] else None
            plane = None
            if background == BACKGROUNDS[1] and classifier is None:
                st.info(_(NO_CLASSIFIER["plane"]).format(error=ctx.classifier_error))
            elif background == BACKGROUNDS[1]:
                plane = ctx.classifier_plane()
            fig = figs.map_figure(data["mu"], data["labels"], lo, hi, z, image_uri=uri, plane=plane, drawn=drawn_mu)
            click = partial(on_map_click, name, lo, hi)
            alt = chart_words(fig, _("Map of the latent plane: the test digits' μ coloured by digit, and the sliders' z"))
            st.plotly_chart(fig, key=f"ls_map_{name}", on_select=click, selection_mode="points", config=MAP_BAR, alt=alt)
            st.caption(prose("latent_map"))
