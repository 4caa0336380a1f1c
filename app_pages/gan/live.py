"""The Train one live tab: a digit GAN training in this session, on the server's trainer queue, redrawn on a
timer while it trains (its samples, losses and, with the classifier, the class-share meter)."""

from __future__ import annotations

import streamlit as st

from app_pages._ui import compute, hold, lost_run_notice, prose, remember_run, session_owner
from app_pages.gan.common import CHART, DIGIT_TICK_S, LOSSES, SHARES, controls, download, redrawn, status_line, steady_chart
from app_pages.loaders import load_classifier
from core.gan.live import LIVE_SETTINGS, DigitData, LiveDigitGAN
from core.gan.model import TrainSettings
from core.training.checkpoint import WeightsError
from figures import gan as figs
from figures.pictures import image_grid, png_bytes
from figures.words import chart_words
from i18n import _, language, number


def new_live_digits(data: DigitData, seed: int, settings: TrainSettings = LIVE_SETTINGS) -> LiveDigitGAN:
    try:
        classifier = load_classifier()
    except WeightsError:
        classifier = None  # train anyway, without the class-share meter
    return hold(compute(LiveDigitGAN, data, classifier, seed=seed, settings=settings, owner=session_owner()))


def live_charts(view: dict, running: bool) -> dict:
    """The charts, each built again only when what it shows has changed: the losses when the GAN has moved on, the
    class charts when a moment is recorded (every 100 steps). Building a Plotly figure is Python work that holds
    the interpreter while the trainer waits for it; a figure that stays the same also stays drawn in the browser
    (Streamlit draws a chart again from nothing whenever its figure changes)."""
    if running:
        note = _("No steps yet: the chart starts with this GAN's first turn.")
    else:
        note = _("No steps yet: press Start or Step.")
    cache = st.session_state.setdefault("_live_figures", {})
    if cache.get("lang") != language():
        cache.clear()
        cache["lang"] = language()
    if cache.get("view") is not view or cache.get("note") != note:
        cache.update(view=view, note=note, losses=figs.loss_figure(view["losses"], height=330, empty_note=note))
    moments = view["moments"]
    if cache.get("moment") != (len(moments), moments[-1]["step"] if moments else None):
        cache.update(moment=(len(moments), moments[-1]["step"] if moments else None), classes=figs.class_figures(moments))
    return {"losses": cache["losses"]} | cache["classes"]


def show(digit_data) -> None:
    """digit_data(): the training digits for a first GAN in this session (the page's cached loader)."""
    st.markdown(prose("gan_live"))
    lost_run_notice("gan_run", _("The server restarted, so the GAN you were training is gone. Press Start to train a fresh one."))
    if "live_gan" not in st.session_state:
        st.session_state.live_gan = new_live_digits(digit_data(), seed=0)
    live = st.session_state.live_gan

    def reset_live():
        old = st.session_state.live_gan
        st.session_state.live_gan = new_live_digits(old.data, old.trainer.gen.initial_seed() + 1, old.trainer.settings)

    if live.steps or live.running:
        remember_run("gan_run")
    data_icon = "folder" if live.data.from_mnist else "inventory_2"
    st.caption(f":material/{data_icon}: " + _("Training data: {data}.").format(data=_(live.data.description)))
    controls("live", live, reset_live)

    @redrawn("live_gan", DIGIT_TICK_S)
    def live_view(live: LiveDigitGAN, view: dict) -> None:
        st.markdown(status_line(live))
        charts, grid = live_charts(view, live.running), image_grid(view["samples"], ncols=6, scale=3)
        left, right = st.columns([2, 3])
        fast_png = png_bytes(grid, compress_level=1)  # made on every redraw: PIL's default level took 8 times longer
        alt = _("36 digits this GAN's generator draws now, after {n} steps.").format(n=number(view["steps"]))
        left.image(fast_png, width="stretch", caption=_("G(z) for 36 fixed noise vectors, right now"), alt=alt)
        with left:
            download(_("These samples (PNG)"), f"live_gan_step_{view['steps']}.png", "live_png", png_bytes, grid)
        with right:  # the class charts below change only every 100 steps
            steady_chart(charts["losses"], "live_losses", chart_words(charts["losses"], _(LOSSES)))
        if "shares" in charts:
            left, right = st.columns(2)
            left.plotly_chart(charts["shares"], key="live_shares", config=CHART, alt=chart_words(charts["shares"], _(SHARES)))
            confident = chart_words(charts["confident"], _("The share of confident digits over the training steps"))
            right.plotly_chart(charts["confident"], key="live_confident", config=CHART, alt=confident)
            last = view["moments"][-1]
            every = _("The classifier scores {n} fresh samples every {every} steps (last: step {step}).").format(
                n=number(live.history.n_eval), every=number(live.snapshot_every), step=number(last["step"])
            )
            if last["confident_share"] < 0.005:
                every += " " + _("No sample is a digit yet: the bars show its guesses about blobs.")
            st.caption(every)
        else:
            st.caption(_("The digit classifier is not available, so the class-share meter is off."))

    live_view()
