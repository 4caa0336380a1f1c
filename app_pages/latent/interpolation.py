"""The Interpolation tab: decoded points on a path between two codes (a test digit's, or the learner's drawing's)."""

from __future__ import annotations

import streamlit as st
import torch

from app_pages import drawing
from app_pages._ui import compute, in_language, prose, worded
from app_pages.latent.common import DICE, IMG, NO_BAR, PNG, Context, encode_drawing, randomize
from core.vae import latent
from figures import latent as figs
from figures.pictures import image_grid, png_bytes
from figures.words import chart_words
from i18n import N_, _, number

# The paths: the radio's values (and the URL's), shown translated.
METHODS = [N_("linear"), N_("spherical")]
HELP = {  # tooltips, shown with _()
    "path": N_(
        "Linear: a straight line between the two codes. Spherical: an arc that keeps the distance from the origin, where "
        "the prior's draws live in many dimensions."
    ),
    "from_drawing": N_("Start the path at your drawing's μ (draw it in the Draw a digit tab)."),
}


def show(ctx: Context) -> None:
    name, model, data, dim, mu, digits = ctx.name, ctx.model, ctx.data, ctx.dim, ctx.mu, ctx.digits
    method_key = f"ls_int_method_{name}"  # per model: spherical is the default in 16 dimensions
    st.session_state.setdefault(method_key, METHODS[1] if dim > 2 else METHODS[0])
    row = st.container(horizontal=True, vertical_alignment="bottom")
    from_drawing = row.toggle(_("From my drawing"), key="ls_int_drawn", help=_(HELP["from_drawing"]), persist_state="session")
    a = row.number_input(
        _("From test digit #"), 0, len(digits) - 1, key="ls_int_a", width=160, disabled=from_drawing, persist_state="session"
    )
    b = row.number_input(_("To test digit #"), 0, len(digits) - 1, key="ls_int_b", width=160, persist_state="session")
    row.button(_("Random pair"), key="ls_int_random", on_click=randomize, args=(["ls_int_a", "ls_int_b"], len(digits)), icon=DICE)
    steps = row.slider(_("Frames"), 3, 16, key="ls_int_steps", width=260, persist_state="session")
    method = row.radio(
        _("Path"),
        METHODS,
        format_func=in_language(),
        key=worded(method_key),
        horizontal=True,
        help=_(HELP["path"]),
        persist_state="session",
    )
    drawn = drawing.drawn_digit(quiet=True) if from_drawing else None
    if from_drawing and drawn is None:
        st.info(_("Draw a digit in the Draw a digit tab first: until then the path starts at a test digit."), icon=":material/draw:")
    to, along = int(data["digit_labels"][b]), dict(steps=number(steps), method=_(method))
    if drawn is not None:  # your digit -> a test digit
        start, first, source = compute(encode_drawing, model, drawn)["mu"], drawn, "drawing"
        title = _(
            "**From your drawing to a {to}**: {steps} decoded points on the {method} path between their μ (originals at both ends)."
        ).format(to=to, **along)
    else:
        start, first, source = mu[a], digits[a : a + 1], str(a)
        title = _(
            "**From a {a} to a {to}**: {steps} decoded points on the {method} path between their μ (originals at both ends)."
        ).format(a=int(data["digit_labels"][a]), to=to, **along)
    path = latent.interpolate(start, mu[b], steps, method)
    frames = compute(latent.decode, model, path)
    st.markdown(title)
    strip = image_grid(torch.cat([first, frames, digits[b : b + 1]]), ncols=steps + 2, pad=4, scale=3)
    strip[:, 96:102] = strip[:, -102:-96] = 128  # grey bars between each original (a 3 × 32 px tile) and the frames
    st.image(strip, **IMG, alt=title.replace("**", ""))  # the title above says what the strip shows
    file_name = f"{name}-path-{source}-{b}.png"
    st.download_button(_("Download the strip (PNG)"), png_bytes(strip), file_name, key="ls_int_png", **PNG)
    if dim == 2:
        left, right = st.columns([3, 2], gap="large")
        fig = figs.path_figure(mu, ctx.labels, ctx.lo, ctx.hi, path)
        what = _("The path through the latent plane, over the test digits' μ")
        left.plotly_chart(fig, key="ls_int_map", config=NO_BAR, alt=chart_words(fig, what))
        right.markdown(prose("latent_path_vae" if model.variational else "latent_path_ae"))
    else:
        norms = {m: latent.interpolate(start, mu[b], 50, m).norm(dim=1).numpy() for m in METHODS}
        fig = figs.norm_figure(norms, dim)
        st.plotly_chart(fig, key="ls_int_norm", config=NO_BAR, alt=chart_words(fig, _("Distance from the origin along each path")))
        st.caption(prose("latent_slerp"))
