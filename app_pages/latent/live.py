"""The Train one live tab: a fresh 2-D VAE training in this session, on the server's one line of live trainers,
redrawn on a timer while it trains: the map of fixed test digits, the loss split into reconstruction and KL, and
samples decoded from N(0, I). The β dial weighs the KL term, changeable while it trains."""

from __future__ import annotations

import streamlit as st

from app_pages._ui import compute, hold, in_language, load, lost_run_notice, prose, remember_run, session_owner
from app_pages.gan.common import LR_CHOICES, learning_rate, live_buttons, redrawn, status_line, step_error
from app_pages.latent.common import NO_BAR, TRAINING_LOSSES, TRAINING_MAP
from app_pages.loaders import load_vae_data, scheduler, trainer_queue
from core.training.data import DataUnavailableError, data_root
from core.vae.live import BETA_RANGE, LIVE_LR, LiveVAE, VAEData, mnist_vae_data, shipped_vae_data
from figures import latent as figs
from figures.pictures import image_grid
from figures.words import chart_words
from i18n import N_, _, language, number

TICK_S = 3.0  # the map is redrawn every few seconds while it trains (each redraw encodes the 2,000 digits)
BETAS = [round(BETA_RANGE[0] + i / 10, 1) for i in range(round(10 * (BETA_RANGE[1] - BETA_RANGE[0])) + 1)]  # 0.0, 0.1 … 4.0
SAMPLES_PX = 300  # the 6 x 6 samples, at about twice their size
HELP = {  # tooltips, shown with _()
    "step": N_("Exactly one optimiser step on one batch of 128 digits."),
    "reset": N_("Throw this VAE away and start again from fresh random weights."),
    "beta": N_("0: a plain autoencoder's loss. 1: the VAE. Above 1: a stronger pull towards N(0, I)."),
}


@st.cache_resource(show_spinner=_("Loading MNIST for live training…"))  # the same source in every language: one cache
def mnist_for_live(root: str) -> VAEData:
    return mnist_vae_data(root)  # read-only and shared: every session draws from the same tensors


def live_data() -> VAEData:
    """MNIST from the data root if present (or downloadable), else the test digits shipped in vae-z2.data."""
    try:
        return mnist_for_live(str(data_root()))
    except DataUnavailableError:
        return shipped_vae_data(load(load_vae_data, "vae-z2"))


def new_live(data: VAEData, seed: int, beta: float = 1.0, lr: float = LIVE_LR) -> LiveVAE:
    return hold(compute(LiveVAE, data, beta=beta, seed=seed, lr=lr, owner=session_owner()))


def controls(live: LiveVAE, on_reset) -> None:
    """Start / Pause / Step / Reset, the β dial and the learning rate. The callbacks change the session before the
    rerun draws anything; the widgets start from what the VAE really uses."""
    queue = trainer_queue()
    with st.container(border=True):
        live_buttons("vae", live, on_reset, HELP)
        left, right = st.columns(2)
        shown = in_language(lambda b: number(b, 1))  # 1.5 / 1,5
        beta = left.select_slider(
            _("β: the weight of the KL term"), BETAS, live.beta, format_func=shown, key="vae_beta", help=_(HELP["beta"])
        )
        lr = right.select_slider(_("Learning rate"), LR_CHOICES, live.lr, format_func=in_language(learning_rate), key="vae_lr")
    if beta != live.beta or lr != live.lr:  # applied between two steps, in this session's turn
        queue.touch(live)
        try:
            scheduler().run(live.owner, apply, live, beta, lr)
        except ValueError as e:  # β outside its range: refused, the VAE goes on with the old one
            st.error(_(e.args[0]) if e.args else str(e), icon=":material/block:")
    if live.problem:
        st.error(prose("latent_live_blowup").format(problem=_(live.problem)), icon=":material/error:")
    step_error("vae")


def apply(live: LiveVAE, beta: float, lr: float) -> None:
    live.set_beta(beta)
    live.set_lr(lr)


def live_charts(view: dict, running: bool) -> dict:
    """Built once per view and language (a VAE that waits or is paused redraws the same ones)."""
    note = _("No steps yet: the chart starts with this VAE's first turn.") if running else _("No steps yet: press Start or Step.")
    cache = st.session_state.setdefault("_live_vae_figures", {})
    key = (id(view), note, language())
    if cache.get("key") != key:
        lo, hi = figs.training_extent([view["mu"]])
        cache.update(
            key=key,
            map=figs.training_map(view["mu"], view["labels"], lo, hi, height=440),
            losses=figs.live_loss_figure(view["losses"], empty_note=note),
            samples=image_grid(view["samples"], ncols=6, scale=2),
        )
    return cache


def show(ctx) -> None:
    st.markdown(prose("latent_live"))
    lost_run_notice("vae_run", _("The server restarted, so the VAE you were training is gone. Press Start to train a fresh one."))
    if "live_vae" not in st.session_state:
        st.session_state.live_vae = new_live(live_data(), seed=0)
    live = st.session_state.live_vae

    def reset_live():
        old = st.session_state.live_vae
        st.session_state.live_vae = new_live(old.data, old.seed + 1, old.beta, old.lr)

    if live.steps or live.running:
        remember_run("vae_run")
    icon = "folder" if live.data.from_mnist else "inventory_2"
    st.caption(f":material/{icon}: " + _("Training data: {data}.").format(data=_(live.data.description)))
    controls(live, reset_live)

    @redrawn("live_vae", TICK_S)
    def live_view(live: LiveVAE, view: dict) -> None:
        st.markdown(status_line(live))
        charts = live_charts(view, live.running)
        left, right = st.columns([3, 2])
        n = number(len(view["labels"]))
        left.plotly_chart(charts["map"], key="vae_map", config=NO_BAR, alt=chart_words(charts["map"], _(TRAINING_MAP)))
        left.caption(
            _("μ of {n} fixed test digits, redrawn every few seconds (β now: {beta})").format(n=n, beta=number(view["beta"], 1))
        )
        right.plotly_chart(charts["losses"], key="vae_losses", config=NO_BAR, alt=chart_words(charts["losses"], _(TRAINING_LOSSES)))
        alt = _("36 digits this VAE's decoder draws now, after {n} steps.").format(n=number(view["steps"]))
        right.image(
            charts["samples"], caption=_("Decoded from 36 fixed draws of N(0, I)"), width=SAMPLES_PX, output_format="PNG", alt=alt
        )

    live_view()
    with st.expander(_("What to look for"), icon=":material/visibility:", expanded=True):
        st.markdown(prose("latent_live_look"))
