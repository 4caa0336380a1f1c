"""The Replay the training tab: the shipped GAN's recorded training, moment by moment (or played on a timer),
with the classifier's scores of each moment and the finished generator's headline."""

from __future__ import annotations

import re

import streamlit as st

from app_pages._ui import in_language, load, prose, worded
from app_pages.gan.common import CHART, FID, LOSSES, REPLAY_TICK_S, SHARES, download, guarded, play_button
from app_pages.loaders import load_gan_history
from core import registry
from core.gpt.prompt import _machine as machine  # the metadata's "x86_64 CPU, 1 thread", in the learner's language
from figures import gan as figs
from figures.pictures import png_bytes
from figures.words import chart_words
from i18n import N_, _, number, percent

HELP = {  # tooltips, shown with _()
    "confident": N_("Samples the classifier is ≥90% sure about"),
    "stretch": N_("Each picture from its darkest to its brightest pixel"),
}
HEADLINE = {  # the replay's headline against its target, whole sentences for each verdict
    True: N_("Headline: {headline} (target: confident share {target}, met)"),
    False: N_("Headline: {headline} (target: confident share {target}, not met)"),
}
BUILDERS = N_("How this generator was made and scored")  # an expander: a builder's details, off the learner's way


def with_decimal_marks(text: str) -> str:
    """A target such as "≥ 0.85" with the language's decimal mark ("≥ 0,85")."""
    return re.sub(r"\d+\.\d+|\d+", lambda m: number(float(m[0]), len(m[0].partition(".")[2])), text)


def moment_note(m: dict, metrics: dict, last: bool) -> str:
    """A note where this moment's scores surprise: the last one beside Home's headline (the finished generator's
    own scores, in `metrics`), an untrained generator's flat squares, blobs before any digit."""
    top = max(range(len(m["shares"])), key=m["shares"].__getitem__)
    facts = dict(confident=percent(m["confident_share"]), mean=percent(m["mean_confidence"]), top=top)
    facts.update(top_share=percent(m["shares"][top]), fd=number(m.get("fid", 0), 1))
    facts["levels"] = int(m["samples"].max()) - int(m["samples"].min())
    if last and "fid" in m and {"confident_share", "fid"} <= metrics.keys():
        headline = dict(confident_share=percent(metrics["confident_share"]), fid=number(metrics["fid"], 1))
        return prose("gan_replay_scores_short").format(**facts, **headline)
    if facts["levels"] <= 8:
        return prose("gan_replay_untrained").format(**facts)
    if m["confident_share"] < 0.005:
        return prose("gan_replay_early").format(**facts)
    return _("The classifier scores fresh samples at every moment: **Confident** counts those it is at least 90% sure about.")


def headline(meta: dict) -> str:
    """The metadata's headline ("80% confident digits, FD 10.2"), rebuilt from its figures in the learner's language."""
    metrics = meta.get("metrics", {})
    if {"confident_share", "fid"} <= metrics.keys():
        return _("{share} confident digits, FD {fd}").format(share=percent(metrics["confident_share"]), fd=number(metrics["fid"], 1))
    return str(meta.get("headline"))


def show() -> None:
    """The history loads here (a missing one stops only this tab)."""
    tensors, meta = load(load_gan_history)
    steps, metrics, gan = tensors["moment.step"].tolist(), meta.get("metrics", {}), registry.entry("gan")
    st.markdown(
        prose("gan_replay").format(
            steps=number(meta.get("steps", steps[-1])),
            epochs=with_decimal_marks(str(meta.get("epochs"))),  # 14.99 / 14,99, as the metadata gives it
            hardware=machine(str(meta.get("hardware"))),
        )
    )
    if meta.get("loss") == "hinge":  # the charts' losses are not the cross-entropy the page explains
        st.markdown(prose("gan_replay_hinge"))
    if "confident_share" in metrics:  # the target and the command come from the registry
        verdict = HEADLINE[bool(gan.meets(metrics["confident_share"]))]
        st.caption(_(verdict).format(headline=headline(meta), target=with_decimal_marks(gan.target)))
        with st.expander(_(BUILDERS), icon=":material/build:"):
            st.markdown(_("Made by `{command}`.").format(command=gan.train_command))
            if {"fid", "eval_samples", "eval_seed"} <= metrics.keys():
                scores = dict(confident_share=percent(metrics["confident_share"]), fid=number(metrics["fid"], 1))
                scores.update(eval_samples=number(metrics["eval_samples"]), eval_seed=metrics["eval_seed"])
                scores.update(confident=percent(float(tensors["moment.confident_share"][-1])))  # the last moment's
                scores.update(fd=number(float(tensors["moment.fid"][-1]), 1) if "moment.fid" in tensors else "–")
                st.markdown(prose("gan_replay_scores").format(**scores))
    if st.session_state.get("replay_step") not in steps:
        st.session_state.replay_step = steps[-1]
    playing = play_button(
        "replay", lambda: st.session_state.replay_step == steps[-1], lambda: st.session_state.update(replay_step=steps[0])
    )

    @st.fragment(run_every=REPLAY_TICK_S if playing else None)
    @guarded
    def replay_view() -> None:
        if st.session_state.get("replay_playing"):
            i = steps.index(st.session_state.replay_step)
            if i + 1 >= len(steps):
                st.session_state.replay_playing = False
                st.rerun()  # reached the end: a full rerun drops the timer
            st.session_state.replay_step = steps[i + 1]
        # The moments were recorded more often early in training, when the pictures change fastest: the slider moves by
        # moment, not by step, so its label says so and the caption keeps its two ends in view (the slider hides its end
        # labels whenever the thumb's label comes near them, as during Play).
        step = st.select_slider(
            _("Recorded moment (step): {n} moments, more of them early in training").format(n=number(len(steps))),
            options=steps,
            key=worded("replay_step"),
            format_func=in_language(number),
        )
        st.caption(
            _("Moment {i} of {n} · steps {first} to {last}").format(
                i=number(steps.index(step) + 1), n=number(len(steps)), first=number(steps[0]), last=number(steps[-1])
            )
        )
        view = figs.replay_moment(tensors, meta, steps.index(step), stretch=st.session_state.get("replay_stretch", False))
        m = view["moment"]
        left, right = st.columns([2, 3])
        with left:
            row = st.container(horizontal=True, vertical_alignment="center")  # wraps rather than cutting "Realçar o contr…"
            row.markdown(_("**Step {step}** of {last}").format(step=number(step), last=number(steps[-1])), width="content")
            row.toggle(_("Stretch contrast"), key="replay_stretch", help=_(HELP["stretch"]))
            alt = _("64 digits the generator drew from the same noise at step {step} of {last}.").format(
                step=number(step), last=number(steps[-1])
            )
            if "confident_share" in m:
                alt += " " + _("The classifier is confident about {share} of them.").format(share=percent(m["confident_share"]))
            st.image(view["grid"], caption=_("G(z) for the same 64 noise vectors at every moment"), width="stretch", alt=alt)
            if "confident_share" in m:
                scores = st.container(horizontal=True)  # each as wide as its label: columns cut "Confian…"; wraps when narrow
                scores.metric(_("Confident"), percent(m["confident_share"]), help=_(HELP["confident"]), width="content")
                scores.metric(_("Mean confidence"), percent(m["mean_confidence"]), width="content")
                if "fid" in m:
                    scores.metric(_("Fréchet distance"), number(m["fid"], 1), width="content")
            a, b = st.columns(2)
            with a:
                download(_("This grid (PNG)"), f"gan_step_{step}.png", "replay_png", png_bytes, view["grid"])
            with b:  # 24 moments of the grid, about half a megabyte
                download(_("The training (GIF)"), "gan_training.gif", "replay_gif", figs.replay_gif, tensors)
        right.plotly_chart(view["losses"], key="replay_losses", config=CHART, alt=chart_words(view["losses"], _(LOSSES)))
        if "confident_share" in m:
            right.markdown(moment_note(m, metrics, step == steps[-1]))
        left, right = st.columns(2)
        if "shares" in view:
            left.plotly_chart(view["shares"], key="replay_shares", config=CHART, alt=chart_words(view["shares"], _(SHARES)))
            left.caption(
                _(
                    "Bars far from the dashed line mean the generator favours some digits: the start of **mode collapse**. "
                    "Red bars: digits it hardly ever draws."
                )
            )
        if "fid" in view:
            right.plotly_chart(view["fid"], key="replay_fid", config=CHART, alt=chart_words(view["fid"], _(FID)))
            right.caption(
                _(
                    "The Fréchet distance compares the classifier's features of generated and real digits. "
                    "The green line is the distance between two sets of *real* digits: the floor."
                )
            )

    replay_view()
