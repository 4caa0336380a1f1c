"""The Draw a digit tab: the learner's drawing through the encoder, its μ on the map, and on to the other tabs."""

from __future__ import annotations

import streamlit as st

from app_pages import drawing
from app_pages._ui import compute, prose, to_image
from app_pages.latent.common import (
    CODE,
    IMG,
    MAP_BAR,
    NO_BAR,
    NO_CLASSIFIER,
    TABS,
    Context,
    encode_drawing,
    glossary_link,
    reads,
    set_z,
)
from core.vae import latent
from figures import latent as figs
from figures.latent import coords
from figures.words import chart_words
from i18n import N_, _, number

HELP = {"to_sliders": N_("The sliders jump to where the encoder puts your drawing.")}  # a tooltip, shown with _()


def interpolate_from_drawing() -> None:
    st.session_state["ls_int_drawn"] = True
    st.session_state["ls_tab"] = TABS[2]


def show(ctx: Context) -> None:
    name, model, data, dim, mu, lo, hi, classifier = ctx.name, ctx.model, ctx.data, ctx.dim, ctx.mu, ctx.lo, ctx.hi, ctx.classifier
    row = st.container(horizontal=True, vertical_alignment="center")
    row.markdown(prose("draw_latent_intro"))
    glossary_link(row)
    row = st.container(horizontal=True, gap="large")  # wraps on a narrow screen: the map goes below
    left, right = row.container(width=drawing.COLUMN), row.container()
    with left:
        drawing.canvas("ls_canvas")
        x = drawing.drawn_digit()
        if x is not None:
            r = compute(encode_drawing, model, x, classifier)
            a, b = st.columns(2)
            drawing.preview(x, a)
            alt = _("The digit {name} decodes from where the encoder puts your drawing.").format(name=name)
            b.image(to_image(r["mean_image"], scale=8), caption=_("{name} decodes its μ").format(name=name), **IMG, alt=alt)
            if classifier is None:
                st.caption(_(NO_CLASSIFIER["reading"]).format(error=ctx.classifier_error))
            else:
                st.markdown(reads(r["digit"], r["confidence"]))
            where = coords(r["mu"].tolist())
            st.markdown(f"μ = ({where})" if dim == 2 else f"‖μ‖ = {number(float(r['mu'].norm()), 2)}")
            st.button(
                _("Open in the sliders"),
                key="ls_draw_to_sliders",
                on_click=set_z,
                args=(name, r["mu"], lo, hi, TABS[0]),
                help=_(HELP["to_sliders"]),
                icon=":material/tune:",
            )
            st.button(
                _("Interpolate from my drawing"),
                key="ls_draw_to_path",
                on_click=interpolate_from_drawing,
                icon=":material/timeline:",
            )
    with right:
        if dim == 2:  # the map is there before the first stroke; the star comes with the drawing
            uri = ctx.manifold_uri()
            drawn_mu = r["mu"] if x is not None else None
            fig = figs.map_figure(mu, ctx.labels, lo, hi, None, image_uri=uri, drawn=drawn_mu, clickable=False)
            what = _("Map of the latent plane: the test digits' μ coloured by digit, and your drawing as a star")
            st.plotly_chart(fig, key=f"ls_draw_map_{name}", config=MAP_BAR, alt=chart_words(fig, what))
            st.caption(_("The star is where the encoder puts your drawing, among the {n} test digits' μ.").format(n=number(len(mu))))
        elif x is not None:
            fig = figs.code_figure(r["mu"], r["sigma"], latent.slider_order(data["kl_per_dim"]))
            st.plotly_chart(fig, key="ls_draw_mu", config=NO_BAR, alt=chart_words(fig, _(CODE)))
            st.caption(_("Sixteen numbers make no map: open them in the sliders to see them one by one."))
    st.markdown(prose("draw_latent"))
