"""The Replay the training tab: the shipped vae-z2's and ae-z2's recorded trainings side by side, moment by moment
(or played on a timer): the map of 2,000 fixed test digits, the decoder's drawings on a fixed grid of latent
points, a few reconstructions and the loss split into reconstruction and KL."""

from __future__ import annotations

import weakref

import streamlit as st

from app_pages._ui import in_language, load, prose
from app_pages.gan.common import REPLAY_TICK_S, guarded, play_button
from app_pages.latent.common import NO_BAR, TRAINING_LOSSES, TRAINING_MAP
from app_pages.loaders import load_vae_history
from core.vae.history import HISTORY_NAMES
from figures import latent as figs
from figures.words import chart_words
from i18n import _, number

KEY = "ls_replay_moment"  # the slider: a moment's number, 1 to the last
GRID_PX = 340  # the decoded grid and the reconstructions, at about their own size


_extents: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per loaded history, freed with it


def extent(replay) -> tuple:
    """One plane for every moment of a model (the points move, the axes stay)."""
    if replay not in _extents:
        _extents[replay] = figs.training_extent([m["mu"] for m in replay.moments])
    return _extents[replay]


def at_moment(replay, k: int, n: int) -> int:
    """The index of moment k (of n on the slider) in this replay: the same share of its training."""
    return round((k - 1) * (len(replay.moments) - 1) / max(n - 1, 1))


def show(ctx) -> None:
    """Both histories load here (a missing one stops only this tab)."""
    replays = {name: load(load_vae_history, name) for name in HISTORY_NAMES}
    st.markdown(prose("latent_replay"))
    n = max(len(r.moments) for r in replays.values())
    if not 1 <= st.session_state.get(KEY, 0) <= n:
        st.session_state[KEY] = n  # first visit: the finished models
    playing = play_button("ls_replay", lambda: st.session_state[KEY] == n, lambda: st.session_state.update({KEY: 1}))

    @st.fragment(run_every=REPLAY_TICK_S if playing else None)
    @guarded
    def replay_view() -> None:
        if st.session_state.get("ls_replay_playing"):
            if st.session_state[KEY] >= n:
                st.session_state.ls_replay_playing = False
                st.rerun()  # reached the end: a full rerun drops the timer
            st.session_state[KEY] += 1
        shown = in_language(lambda k: _("moment {k} of {n}").format(k=number(k), n=number(n)))
        k = st.select_slider(_("Training moment"), options=list(range(1, n + 1)), key=KEY, format_func=shown)
        for column, (name, replay) in zip(st.columns(2), replays.items()):
            i = at_moment(replay, k, n)
            lo, hi = extent(replay)
            view = figs.replay_moment(replay, i, lo, hi)
            m = view["moment"]
            with column:
                facts = _("step {step} of {last} · epoch {epoch}").format(
                    step=number(m["step"]), last=number(replay.moments[-1]["step"]), epoch=number(m["epoch"], 2)
                )
                if replay.variational:
                    terms = _("reconstruction {recon} + KL {kl} nats/image").format(
                        recon=number(m["recon_loss"], 1), kl=number(m["kl"], 1)
                    )
                else:
                    terms = _("reconstruction {recon} nats/image").format(recon=number(m["recon_loss"], 1))
                st.markdown(f"**{name}** · {facts}  \n{terms}")
                st.plotly_chart(view["map"], key=f"ls_replay_map_{name}", config=NO_BAR, alt=chart_words(view["map"], _(TRAINING_MAP)))
                at = _("{name} at step {step}:").format(name=name, step=number(m["step"]))
                grid = _("What the decoder draws at a grid of points, z1 and z2 from −{s} to {s}").format(s=number(replay.grid_span))
                st.image(view["grid"], caption=grid, width=GRID_PX, output_format="PNG", alt=f"{at} {grid}.")
                rebuilt = _("Test digits (top) and their reconstructions from μ (bottom)")
                st.image(view["recons"], caption=rebuilt, width=GRID_PX, output_format="PNG", alt=f"{at} {rebuilt}.")
                losses = chart_words(view["losses"], _(TRAINING_LOSSES))
                st.plotly_chart(view["losses"], key=f"ls_replay_losses_{name}", config=NO_BAR, alt=losses)

    replay_view()
    fixed = number(len(replays[HISTORY_NAMES[0]].indices))
    st.caption(_("The map shows the same {n} test digits at every moment, coloured by their labels.").format(n=fixed))
