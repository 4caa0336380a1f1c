"""The Toy 2-D GAN tab: a small GAN learning a distribution on the plane, its discriminator drawn under the points,
with how many of the distribution's modes the generator covers."""

from __future__ import annotations

import streamlit as st

from app_pages._ui import compute, hold, in_language, prose, session_owner, worded
from app_pages.gan.common import LOSSES, TOY_TICK_S, controls, redrawn, status_line, steady_chart
from app_pages.loaders import trainer_queue
from core.gan.live import LiveToyGAN
from core.gan.model import TrainSettings
from core.gan.toy import DISTRIBUTIONS, TOY_SETTINGS
from figures import gan as figs
from figures.words import chart_words
from i18n import N_, _, number, percent

HELP = {  # tooltips, shown with _()
    "modes": N_("A mode counts when it gets at least a quarter of its fair share of generated points."),
    "on_mode": N_("Generated points within 3σ of real data"),
}


def new_toy(dist: str, seed: int, settings: TrainSettings) -> LiveToyGAN:
    return hold(compute(LiveToyGAN, dist, seed=seed, settings=settings, owner=session_owner()))


def show() -> None:
    """The toy GAN lives in the session (toy_gan), a new one for each distribution picked."""
    label = in_language()  # the format_func of the picker whose options are words
    st.markdown(prose("gan_toy"))
    dist = st.selectbox(
        _("Real data"), list(DISTRIBUTIONS), key=worded("toy_dist"), format_func=lambda k: label(DISTRIBUTIONS[k]().label)
    )
    toy = st.session_state.get("toy_gan")
    if toy is None or toy.dist.name != dist:  # a new distribution needs a new GAN
        if toy is not None:
            trainer_queue().stop(toy)
        toy = st.session_state.toy_gan = new_toy(dist, 0, toy.trainer.settings if toy else TOY_SETTINGS)

    def reset_toy():
        old = st.session_state.toy_gan
        st.session_state.toy_gan = new_toy(old.dist.name, old.trainer.gen.initial_seed() + 1, old.trainer.settings)

    controls("toy", toy, reset_toy)
    with st.expander(_("Things to try (Reset between experiments)"), icon=":material/science:"):
        st.markdown(prose("gan_toy_experiments"))

    @redrawn("toy_gan", TOY_TICK_S)
    def toy_view(toy: LiveToyGAN, view: dict) -> None:
        cov, curve = view["coverage"], view["coverage_curve"]
        left, right = st.columns([3, 2])
        plane = figs.toy_figure(view, toy.dist.extent)
        what = _("The plane: real points, generated points and the discriminator's verdict behind them")
        with left:
            steady_chart(plane, "toy_plane", chart_words(plane, what))
        with right:
            st.markdown(status_line(toy))
            a, b = st.columns(2)
            covered = f"{number(cov['covered'])} / {number(cov['n_modes'])}"
            a.metric(_("Modes covered"), covered, help=_(HELP["modes"]))
            b.metric(_("Points on a mode"), percent(cov["quality"]), help=_(HELP["on_mode"]))
            modes = figs.coverage_line(curve["step"], curve["covered"], _("Modes covered"), cov["n_modes"] + 0.5)
            steady_chart(modes, "toy_coverage", chart_words(modes, _("Modes covered over the training steps")))
            losses = figs.loss_figure(
                view["losses"], height=300, real=N_("D(x) on real points"), fake=N_("D(G(z)) on generated points")
            )
            steady_chart(losses, "toy_losses", chart_words(losses, _(LOSSES)))

    toy_view()
