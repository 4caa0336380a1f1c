"""GAN Training: how a generator and a discriminator pull against each other, and why it wobbles.

Four tabs: a replay of the shipped GAN's recorded training, a GAN training live in this browser
session, a 2-D toy GAN whose discriminator can be drawn on the plane, and the shipped generator
to explore. Only the open tab runs (st.tabs with on_change="rerun").
"""
from __future__ import annotations

import functools

import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from core.cache import load_classifier, load_gan_history, load_generator, scheduler, trainer_queue
from core.checkpoint import WeightsError
from core.data import DataUnavailableError, data_root
from core.gan import TrainSettings, to_unit
from core.gan_history import losses_from_tensors, moments_from_tensors
from core.latent import interpolate, prior_draws
from core.live_gan import (LIVE_SETTINGS, DigitData, LiveDigitGAN, LiveToyGAN, mnist_digits, shipped_digits,
                           smooth_curve)
from core.toy_gan import DISTRIBUTIONS, TOY_SETTINGS
from app_pages._ui import compute, hold, image_grid, lost_run_notice, remember_run, session_owner, weights_error

TABS = {"replay": "⏪ Replay the training", "live": "🔴 Train one live", "toy": "🎯 Toy 2-D GAN",
        "explore": "🎲 Explore the generator"}
LR_CHOICES = [1e-5, 3e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2]
BATCH_CHOICES = [16, 32, 64, 128, 256, 512]
BLUE, ORANGE, GREEN, PURPLE, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#888888"

# Live training runs on the server's scheduler; the page only redraws on a timer (slower while the
# GAN waits in line: only its place changes).
DIGIT_TICK_S, TOY_TICK_S, REPLAY_TICK_S, WAITING_TICK_S = 1.0, 0.5, 0.5, 3.0


# -- figures (plain functions: the benchmark imports them) -----------------------------------

def loss_figure(losses: dict, marker_step: int | None = None, height: int = 380, real: str = "real digits",
                fake: str = "fakes") -> go.Figure:
    """Top: both players' losses. Bottom: D's average verdict on real and on generated data."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("Losses (smoothed)", "Discriminator's output: P(real)"))
    lines = [("loss_d", "D loss", BLUE, 1), ("loss_g", "G loss", ORANGE, 1),
             ("d_real", f"D(x) on {real}", GREEN, 2), ("d_fake", f"D(G(z)) on {fake}", PURPLE, 2)]
    for key, name, colour, row in lines:
        x, y = smooth_curve(losses["step"], losses[key])
        fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", line=dict(color=colour, width=1.6)), row=row, col=1)
    fig.add_hline(y=0.5, line=dict(color=GREY, dash="dot", width=1), row=2, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    if marker_step is not None:
        for row in (1, 2):
            fig.add_vline(x=marker_step, line=dict(color="crimson", width=2), row=row, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),  # x axis: training steps
                      legend=dict(orientation="h", y=-0.14, yanchor="top", x=0))
    return fig


def shares_figure(shares: list[float], height: int = 260) -> go.Figure:
    """The mode-collapse meter: the share of samples the classifier files under each digit."""
    fair = 1 / len(shares)
    colours = ["crimson" if s < fair / 3 else BLUE for s in shares]  # red: a digit the generator barely makes
    fig = go.Figure(go.Bar(x=[str(d) for d in range(len(shares))], y=shares, marker_color=colours,
                           hovertemplate="digit %{x}: %{y:.1%}<extra></extra>"))
    fig.add_hline(y=fair, line=dict(color=GREY, dash="dash"), annotation_text="fair share 10%",
                  annotation_position="top right", annotation_bgcolor="rgba(255,255,255,0.8)")
    fig.update_layout(title="What the classifier sees in the samples", height=height,
                      margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(tickformat=".0%", range=[0, max(0.3, max(shares) * 1.1)]),
                      xaxis_title="digit")
    return fig


def fid_figure(steps: list[int], fid: list[float], floor: float | None, marker_step: int | None,
               height: int = 260) -> go.Figure:
    fig = go.Figure(go.Scatter(x=steps, y=fid, mode="lines+markers", name="Fréchet distance",
                               line=dict(color=BLUE), marker=dict(size=4)))
    if floor is not None:  # a legend entry, not an hline annotation: those misplace text on log axes
        fig.add_trace(go.Scatter(x=[steps[0], steps[-1]], y=[floor, floor], mode="lines",
                                 name=f"real vs real digits: {floor:.1f}", line=dict(color=GREEN, dash="dash")))
    if marker_step is not None:
        fig.add_vline(x=marker_step, line=dict(color="crimson", width=2))
    fig.update_layout(title="Fréchet distance to real digits (lower is better)", height=height,
                      margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(type="log", dtick=1), xaxis_title="training step",
                      legend=dict(orientation="h", y=-0.3, x=0))
    return fig


def replay_moment(tensors: dict, meta: dict, i: int) -> dict:
    """Everything the replay shows for saved moment i: the sample grid and three figures."""
    moments = moments_from_tensors(tensors)
    m = moments[i]
    out = {"moment": m, "grid": image_grid(m["samples"].float() / 255, ncols=8, scale=3),
           "losses": loss_figure(losses_from_tensors(tensors), marker_step=m["step"])}
    if "shares" in m:
        out["shares"] = shares_figure(m["shares"])
    if "fid" in m:
        floor = meta.get("metrics", {}).get("fid_floor")
        out["fid"] = fid_figure([x["step"] for x in moments], [x["fid"] for x in moments], floor, m["step"])
    return out


def coverage_line(steps, values, title: str, y_max: float, height: int = 220) -> go.Figure:
    fig = go.Figure(go.Scatter(x=steps, y=values, mode="lines", line=dict(color=BLUE)))
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10),
                      yaxis=dict(range=[0, y_max]), xaxis_title="training step")
    return fig


def toy_figure(view: dict, extent: float, height: int = 520) -> go.Figure:
    """Real points (green) and generated points (orange) over D's verdict on every point of the plane."""
    ticks = view["ticks"].numpy()
    fig = go.Figure(go.Heatmap(x=ticks, y=ticks, z=view["d_map"].numpy(), zmin=0, zmax=1, colorscale="RdBu",
                               colorbar=dict(title="D: P(real)", len=0.8), hoverinfo="skip", opacity=0.75))
    real, fake = view["real"].numpy(), view["fake"].numpy()
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real data",
                             marker=dict(color=GREEN, size=4, opacity=0.6)))
    fig.add_trace(go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated G(z)",
                             marker=dict(color=ORANGE, size=4, opacity=0.8, line=dict(color="black", width=0.3))))
    fig.update_xaxes(range=[-extent, extent], constrain="domain")
    fig.update_yaxes(range=[-extent, extent], scaleanchor="x", scaleratio=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10),
                      legend=dict(orientation="h", y=1.02, x=0))
    return fig


# -- shared controls -------------------------------------------------------------------------

def settings_widgets(prefix: str, current: TrainSettings) -> TrainSettings:
    """Bounded widgets for what a learner may change while a GAN trains. They start from the
    session's current settings, so leaving the tab and coming back shows what the GAN really uses."""
    c1, c2, c3, c4 = st.columns(4)
    lr_g = c1.select_slider("Generator learning rate", LR_CHOICES, value=current.lr_g, key=f"{prefix}_lr_g",
                            format_func=lambda v: f"{v:g}")
    lr_d = c2.select_slider("Discriminator learning rate", LR_CHOICES, value=current.lr_d, key=f"{prefix}_lr_d",
                            format_func=lambda v: f"{v:g}")
    batch = c3.select_slider("Batch size", BATCH_CHOICES, value=current.batch_size, key=f"{prefix}_batch")
    d_steps = c4.slider("D steps per G step", 1, 5, value=current.d_steps, key=f"{prefix}_d_steps",
                        help="More discriminator updates make D stronger; too strong and G's gradient fades.")
    return TrainSettings(lr_g=lr_g, lr_d=lr_d, beta1=current.beta1, batch_size=batch, d_steps=d_steps)


def transport_buttons(prefix: str, live, on_reset) -> None:
    """Start / Pause / Step / Reset. Callbacks change the session before the rerun draws anything."""
    queue = trainer_queue()

    def start():
        if live.problem is None:
            live.notice = None
            queue.start(live)

    def pause():
        queue.stop(live)

    def step():
        queue.stop(live)
        try:  # in this session's turn on the scheduler, like the training itself
            scheduler().run(live.owner, live.run, 1)
        except Exception as e:  # a callback's error would bypass the page's guard
            st.session_state[f"{prefix}_error"] = f"{type(e).__name__}: {e}"

    def reset():
        queue.stop(live)
        on_reset()

    c = st.columns([1, 1, 1, 1, 4])
    c[0].button("▶️ Start", key=f"{prefix}_start", on_click=start, type="primary",
                disabled=live.running or live.problem is not None, width="stretch")
    c[1].button("⏸️ Pause", key=f"{prefix}_pause", on_click=pause, disabled=not live.running, width="stretch")
    c[2].button("⏭️ Step", key=f"{prefix}_step", on_click=step, disabled=live.problem is not None,
                width="stretch", help="Exactly one generator update (after the chosen number of D updates).")
    c[3].button("🔄 Reset", key=f"{prefix}_reset", on_click=reset, width="stretch",
                help="Throw this GAN away and start again from fresh random weights.")


def update_settings(live, settings: TrainSettings) -> None:
    """New settings take effect between two steps, in this session's turn."""
    if settings != live.trainer.settings:
        trainer_queue().touch(live)
        scheduler().run(live.owner, live.update_settings, settings)


def guarded(body):
    """A fragment's own error guard: exceptions in a fragment rerun skip app.py's (st.rerun still passes:
    it is not an Exception)."""

    @functools.wraps(body)  # the fragment's identity comes from the wrapped function's name
    def run(*args, **kwargs):
        try:
            body(*args, **kwargs)
        except Exception as e:
            st.error(f"Sorry, this part of the page hit an unexpected problem: {type(e).__name__}: {e}")

    return run


def status_line(live) -> str:
    """Step count and what the trainer is doing: training, waiting in line (and for how long), paused."""
    queue = trainer_queue()
    state = queue.state(live)
    text = f"**Step {live.steps:,}** · "
    if state == "training":
        return text + f"🟢 training · {live.steps_per_second:.1f} steps/s"
    if state == "waiting" and (place := queue.place(live)):
        ahead, seconds = place
        wait = f"{ahead} ahead of you, about {seconds:.0f} s" if ahead else f"next, in about {seconds:.0f} s"
        return text + (f"⏳ queued: {queue.max_active} GANs train at a time on this server and the others take "
                       f"turns — {wait}")
    return text + ("⏸️ paused" + (f" ({live.notice})" if live.notice else ""))


def tick(live, seconds: float) -> float | None:
    """How often the live view redraws: not at all when paused, slowly while waiting in line."""
    if not live.running:
        return None
    return WAITING_TICK_S if trainer_queue().state(live) == "waiting" else seconds


def end_of_tick(live, ticking: float | None, seconds: float) -> None:
    """When the timer no longer fits (training stopped, or a waiting GAN got its turn), a full rerun
    sets the right one."""
    if ticking and tick(live, seconds) != ticking:
        st.rerun()


def show_problem(prefix: str, live) -> None:
    if live.problem:
        st.error(f"**Training paused: {live.problem}.** The networks' weights are probably ruined now. "
                 "This is the instability GANs are famous for: try a smaller learning rate, then press 🔄 Reset.",
                 icon="💥")
    if err := st.session_state.pop(f"{prefix}_error", None):
        st.error(f"Training stopped on an unexpected problem ({err}). Press 🔄 Reset to start again.")


# -- tab 1: replay ---------------------------------------------------------------------------

def replay_tab() -> None:
    try:
        tensors, meta = load_gan_history()
    except WeightsError as e:
        weights_error(e)
        return
    steps = tensors["moment.step"].tolist()
    st.markdown(f"The shipped generator trained for **{meta.get('steps', steps[-1]):,} steps** "
                f"({meta.get('epochs', '?')} epochs, {meta.get('hardware', '?')}). Every picture below is drawn "
                "from the **same 64 noise vectors**, so you watch each one turn from static into a digit.")
    if st.session_state.get("replay_step") not in steps:
        st.session_state.replay_step = steps[-1]
    playing = st.session_state.get("replay_playing", False)

    def toggle():
        st.session_state.replay_playing = not playing
        if not playing and st.session_state.replay_step == steps[-1]:
            st.session_state.replay_step = steps[0]  # play from the start

    st.button("⏸️ Pause" if playing else "▶️ Play the training", key="replay_play", on_click=toggle,
              type="secondary" if playing else "primary")
    st.fragment(guarded(replay_view), run_every=REPLAY_TICK_S if playing else None)(tensors, meta, steps)


def replay_view(tensors: dict, meta: dict, steps: list[int]) -> None:
    if st.session_state.get("replay_playing"):
        i = steps.index(st.session_state.replay_step)
        if i + 1 >= len(steps):
            st.session_state.replay_playing = False
            st.rerun()  # reached the end: a full rerun drops the timer
        st.session_state.replay_step = steps[i + 1]
    step = st.select_slider("Training moment (step)", options=steps, key="replay_step",
                            format_func=lambda s: f"{s:,}")
    view = replay_moment(tensors, meta, steps.index(step))
    m = view["moment"]
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**Step {step:,}** of {steps[-1]:,}")
        st.image(view["grid"], caption="G(z) for the same 64 noise vectors at every moment", width="stretch")
        if "confident_share" in m:
            a, b, c = st.columns(3)
            a.metric("Confident", f"{m['confident_share']:.0%}", help="Samples the classifier is ≥90% sure about")
            b.metric("Mean confidence", f"{m['mean_confidence']:.0%}")
            if "fid" in m:
                c.metric("Fréchet distance", f"{m['fid']:.1f}")
    with right:
        st.plotly_chart(view["losses"], key="replay_losses", config={"displayModeBar": False})
    left, right = st.columns(2)
    if "shares" in view:
        left.plotly_chart(view["shares"], key="replay_shares", config={"displayModeBar": False})
        left.caption("Bars far from the dashed line mean the generator favours some digits: "
                     "the start of **mode collapse**. Red bars: digits it hardly ever draws.")
    if "fid" in view:
        right.plotly_chart(view["fid"], key="replay_fid", config={"displayModeBar": False})
        right.caption("The Fréchet distance compares the classifier's features of generated and real digits. "
                      "The green line is the distance between two sets of *real* digits: the floor.")


# -- tab 2: live digits ----------------------------------------------------------------------

@st.cache_resource(show_spinner="Loading MNIST for live training…")
def _mnist_digits(root: str) -> DigitData:
    return mnist_digits(root)  # read-only and shared: every session samples from the same tensor


def live_digit_data() -> DigitData:
    """MNIST from the data root if present (or downloadable), else the digits shipped in gan.history."""
    try:
        return _mnist_digits(str(data_root()))
    except DataUnavailableError:
        return shipped_digits(load_gan_history()[0])


def new_live_digits(data: DigitData, seed: int, settings: TrainSettings = LIVE_SETTINGS) -> LiveDigitGAN:
    try:
        classifier = load_classifier()
    except WeightsError:
        classifier = None  # train anyway; the class-share meter needs the classifier
    owner = session_owner()  # the GAN is built in this session's turn, like all its later work
    return hold(compute(LiveDigitGAN, data, classifier, seed=seed, settings=settings, owner=owner))


def live_tab() -> None:
    st.markdown("A **fresh, smaller GAN** trains right here, in your browser session (nobody else's). "
                "Press Start and watch the 36 fixed noise vectors become digits within a few minutes. "
                "When many people train at once, GANs take turns on the server.")
    lost_run_notice("gan_run", "The server restarted, so the GAN you were training is gone. Press Start to "
                               "train a fresh one.")
    if "live_gan" not in st.session_state:
        try:
            data = live_digit_data()
        except WeightsError as e:
            st.warning("There is no MNIST dataset in the data root (set GENLAB_DATA to a folder holding "
                       "MNIST/raw/) and the shipped fallback digits could not be loaded either.")
            weights_error(e)
            return
        st.session_state.live_gan = new_live_digits(data, seed=0)
    live: LiveDigitGAN = st.session_state.live_gan

    def reset():
        old = st.session_state.live_gan
        st.session_state.live_gan = new_live_digits(old.data, old.trainer.gen.initial_seed() + 1, old.trainer.settings)

    if live.steps or live.running:
        remember_run("gan_run")
    icon = "🗂️" if live.data.from_mnist else "📦"
    st.caption(f"{icon} Training data: {live.data.description}.")
    with st.container(border=True):
        transport_buttons("live", live, reset)
        update_settings(live, settings_widgets("live", live.trainer.settings))
    show_problem("live", live)
    st.fragment(guarded(live_view), run_every=tick(live, DIGIT_TICK_S))(ticking=tick(live, DIGIT_TICK_S))


def live_figures(view: dict) -> dict[str, go.Figure]:
    """The live view's charts, built once per view: a GAN that waits or is paused redraws the same
    ones (building a Plotly figure is Python work that a busy server shares among all sessions)."""
    cache = st.session_state.setdefault("_live_figures", {})
    if cache.get("view") is not view:
        figs, moments = {}, view["moments"]
        if view["losses"]["step"]:
            figs["losses"] = loss_figure(view["losses"], height=330)
        if moments and "shares" in moments[-1]:
            figs["shares"] = shares_figure(moments[-1]["shares"], height=240)
            if len(moments) > 1:
                figs["confident"] = coverage_line([m["step"] for m in moments], [m["confident_share"] for m in moments],
                                                  "Share of samples the classifier is ≥90% sure about", 1.0, height=240)
        cache.clear()
        cache.update(view=view, figs=figs)
    return cache["figs"]


def live_view(ticking: float | None) -> None:
    live: LiveDigitGAN = st.session_state.live_gan
    trainer_queue().keep_alive(live)  # first: a slow redraw on a busy server must not look like a closed tab
    view = compute(live.view)
    st.markdown(status_line(live))
    left, right = st.columns([2, 3])
    with left:
        st.image(image_grid(view["samples"], ncols=6, scale=3), width="stretch",
                 caption="G(z) for 36 fixed noise vectors, right now")
    figs = live_figures(view)
    with right:
        if "losses" in figs:
            st.plotly_chart(figs["losses"], key="live_losses", config={"displayModeBar": False})
        elif live.running:
            st.info("No steps yet: the chart starts with this GAN's first turn.")
        else:
            st.info("No steps yet: press ▶️ Start or ⏭️ Step.")
    moments = view["moments"]
    if "shares" in figs:
        left, right = st.columns(2)
        left.plotly_chart(figs["shares"], key="live_shares", config={"displayModeBar": False})
        if "confident" in figs:
            right.plotly_chart(figs["confident"], key="live_confident", config={"displayModeBar": False})
        st.caption(f"The classifier scores {live.history.n_eval} fresh samples every {live.snapshot_every} steps "
                   f"(last: step {moments[-1]['step']:,}).")
    elif live.history.classifier is None:
        st.caption("The digit classifier is not available, so the class-share meter is off.")
    end_of_tick(live, ticking, DIGIT_TICK_S)


# -- tab 3: toy 2-D GAN ----------------------------------------------------------------------

def new_toy(dist: str, seed: int, settings: TrainSettings) -> LiveToyGAN:
    return hold(compute(LiveToyGAN, dist, seed=seed, settings=settings, owner=session_owner()))


def toy_tab() -> None:
    st.markdown("Real data here is a cloud of **points on a plane**. The generator turns 2-D noise into points; "
                "the background shows what the discriminator believes about **every** point: "
                "blue = \"real\", red = \"fake\". The generator's points slide uphill towards blue, "
                "and the blue keeps moving away from them.")
    dist = st.selectbox("Real data", list(DISTRIBUTIONS), key="toy_dist",
                        format_func=lambda k: DISTRIBUTIONS[k]().label)
    live = st.session_state.get("toy_gan")
    if live is None or live.dist.name != dist:  # a new distribution needs a new GAN
        settings = live.trainer.settings if live else TOY_SETTINGS
        if live is not None:
            trainer_queue().stop(live)
        live = st.session_state.toy_gan = new_toy(dist, 0, settings)

    def reset():
        old = st.session_state.toy_gan
        st.session_state.toy_gan = new_toy(old.dist.name, old.trainer.gen.initial_seed() + 1, old.trainer.settings)

    with st.container(border=True):
        transport_buttons("toy", live, reset)
        update_settings(live, settings_widgets("toy", live.trainer.settings))
    with st.expander("Things to try (Reset between experiments)"):
        st.markdown(TOY_EXPERIMENTS)
    show_problem("toy", live)
    st.fragment(guarded(toy_view), run_every=tick(live, TOY_TICK_S))(ticking=tick(live, TOY_TICK_S))


def toy_view(ticking: float | None) -> None:
    live: LiveToyGAN = st.session_state.toy_gan
    trainer_queue().keep_alive(live)
    view = compute(live.view)
    cov = view["coverage"]
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(toy_figure(view, live.dist.extent), key="toy_plane", config={"displayModeBar": False})
    with right:
        st.markdown(status_line(live))
        a, b = st.columns(2)
        a.metric("Modes covered", f"{cov['covered']} / {cov['n_modes']}",
                 help="A mode counts when it gets at least a quarter of its fair share of generated points.")
        b.metric("Points on a mode", f"{cov['quality']:.0%}", help="Generated points within 3σ of real data")
        c = view["coverage_curve"]
        st.plotly_chart(coverage_line(c["step"], c["covered"], "Modes covered", cov["n_modes"] + 0.5),
                        key="toy_coverage", config={"displayModeBar": False})
        if view["losses"]["step"]:
            st.plotly_chart(loss_figure(view["losses"], height=300, real="real points", fake="generated points"),
                            key="toy_losses",
                            config={"displayModeBar": False})
    end_of_tick(live, ticking, TOY_TICK_S)


# -- tab 4: explore the shipped generator ----------------------------------------------------

@torch.no_grad()
def draw(G, z: torch.Tensor) -> torch.Tensor:
    """Pictures in [0, 1] from the shipped generator (shared by every session: only read it)."""
    return to_unit(G(z))


def explore_tab() -> None:
    try:
        G = load_generator()
    except WeightsError as e:
        weights_error(e)
        return
    st.markdown("The shipped generator is a function from 64 random numbers to a picture. "
                "Same seed, same noise, same digits.")
    seed = st.columns([1, 3])[0].number_input("Seed", 0, 1_000_000, value=0, step=1, key="explore_seed")
    images = compute(draw, G, prior_draws(64, G.latent_dim, int(seed)))
    st.image(image_grid(images, ncols=16, scale=2), caption=f"64 samples from seed {seed}")

    st.subheader("Walk between two noise vectors")
    c1, c2, c3 = st.columns(3)
    a = c1.number_input("Start seed", 0, 1_000_000, value=1, step=1, key="explore_seed_a")
    b = c2.number_input("End seed", 0, 1_000_000, value=2, step=1, key="explore_seed_b")
    n = c3.slider("Steps", 4, 16, value=10, key="explore_steps")
    # along an arc: a straight line passes near the origin, where Gaussian noise almost never lies
    z = interpolate(prior_draws(1, G.latent_dim, int(a))[0], prior_draws(1, G.latent_dim, int(b))[0], n, "spherical")
    strip = compute(draw, G, z)
    st.image(image_grid(strip, ncols=n, scale=3), caption="Each picture is G of a point on the path from z_start to z_end")
    st.caption("Smooth morphing means the generator learned a continuous map, not a lookup table of training digits.")


# -- the page --------------------------------------------------------------------------------

TOY_EXPERIMENTS = """
- **The defaults** on the ring: the generator usually reaches all 8 Gaussians within about 1,000 steps.
  Before that, watch it drop some modes and find them again.
- **D steps per G step = 5**: the discriminator gets too strong. The generator often settles on a few
  Gaussians and stays there: *mode collapse*.
- **Generator learning rate 0.005** (five times the discriminator's): the generator overshoots, chasing
  the blue patches around the plane; few modes are ever covered.
- **Both learning rates 0.03**: the players blow up; a loss explodes and training pauses itself.
- **The 5×5 grid**: 25 modes are much harder to cover than 8.
"""

EXPLAINER = r"""
**The game.** The discriminator $D$ outputs the probability that an image is real; the generator $G$
turns noise $z$ into images. They play a two-player *minimax* game:

$$\min_G \max_D \; \mathbb{E}_{x\sim\text{data}}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$$

$D$ pushes this value up (tell real from fake), $G$ pushes it down (fool $D$). At the ideal end point
$G$'s pictures look exactly like the data and $D$ can only guess: $D(x) = ½$ everywhere (the dotted line).

**Why the generator uses the non-saturating loss.** Early on $D$ rejects every fake easily, $D(G(z)) \approx 0$,
where $\log(1 - D(G(z)))$ is flat: $G$ would get almost no gradient exactly when it most needs one. So $G$
instead *maximises* $\log D(G(z))$: the same goal, but a steep slope while it is losing. The "G loss" in
the charts is $-\log D(G(z))$.

**Why training is unstable.** No single number goes down: each player's target is defined by the other,
who keeps moving. Gradient steps on a game can circle around the balance point instead of settling on it.
A learning rate that is too high makes the circling wider until a loss blows up (try 0.03 on the toy GAN); a
discriminator that is too strong (more D steps) wins outright, and the generator's gradient fades.

**Mode collapse.** $G$ is only rewarded for fooling $D$ now, not for variety. If one kind of image fools $D$,
$G$ can send most of its noise there; $D$ learns to reject it, $G$ hops to another kind, and so on.
The class-share bars show it for digits (each digit should get about 10%); on the toy ring you can
see Gaussians that get no generated points at all.
"""


def main() -> None:
    st.title("🥊 GAN Training")
    st.markdown("A **generator** turns random noise into images; a **discriminator** tries to tell them from "
                "real digits. Each learns from the other's mistakes. Replay a recorded training, train one live, "
                "watch a GAN on a plane, or explore the finished generator.")
    with st.expander("How the tug-of-war works — and why it wobbles"):
        st.markdown(EXPLAINER)
    tabs = st.tabs(list(TABS.values()), key="gan_tab", on_change="rerun", bind="query-params")
    for tab, body in zip(tabs, (replay_tab, live_tab, toy_tab, explore_tab)):
        if tab.open:
            with tab:
                body()


if __name__ == "__main__":  # Streamlit runs a page as __main__; the benchmark only imports the figures
    main()
