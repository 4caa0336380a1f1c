"""The Next-character odds tab: the odds of the next character, and one character drawn from them per click."""

from __future__ import annotations

import streamlit as st

from app_pages._ui import compute, session_owner
from app_pages.gpt.common import Inputs
from app_pages.loaders import scheduler
from core.gpt.prompt import next_char_odds, visible
from core.gpt.sampling import stream
from figures.gpt import next_char_bars
from figures.words import chart_words
from i18n import _


def sample_one(model, ids: list[int], restart: bool, seed: int, sampling: dict) -> None:
    """Draw one character from the odds shown and append it to the prompt (before the rerun draws the page)."""
    n = st.session_state.get("gpt_steps", 0)
    ch = scheduler().run(session_owner(), lambda: "".join(stream(model, ids, 1, seed=seed + n, **sampling)))
    st.session_state["gpt_prompt"] = ("\n" if restart else st.session_state["gpt_prompt"]) + ch
    st.session_state["gpt_steps"] = n + 1


def show(inputs: Inputs) -> None:
    model, prompt, sampling = inputs.model, inputs.prompt, inputs.sampling
    odds = [(c, p) for c, p in compute(next_char_odds, model, prompt.ids, k=15, **sampling) if p > 0]  # top-k/p cut the rest
    tail = "".join(visible(c) for c in prompt.text[-40:])
    fig = next_char_bars([(visible(c), p) for c, p in odds], tail)
    st.plotly_chart(fig, key="gpt_odds_chart", alt=chart_words(fig, _("The odds of the next character")))
    st.caption(
        _("The {n} likeliest of {V} characters after temperature, top-k and top-p: the exact odds Generate draws from.").format(
            n=len(odds), V=model.vocab_size
        )
    )
    s1, s2 = st.columns([1, 3])
    restart = prompt.text == "\n" and not inputs.raw.endswith("\n")  # the prompt was empty: start it afresh
    s1.button(_("Sample one character"), key="gpt_step", icon=":material/casino:", on_click=sample_one, width="stretch",
              args=(model, prompt.ids, restart, inputs.seed, sampling))  # fmt: skip
    s2.caption(_("Appends one character drawn from these odds to your prompt above; the chart then shows the odds for the "
                 "character after it. Click a few times: this is all generation does."))  # fmt: skip
