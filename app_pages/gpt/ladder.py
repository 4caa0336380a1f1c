"""The Lecture ladder tab: the lecture's eight steps from the bigram to the full GPT, each a model trained on one
budget. The chart of every rung's loss, then the rung picked: what it adds (in words and in the real code),
what it writes beside the rung below, and its attention."""

from __future__ import annotations

from statistics import fmean

import streamlit as st

from app_pages._ui import compute, load, prose
from app_pages.gpt.common import Inputs
from app_pages.gpt.compare import race
from app_pages.loaders import load_gpt, load_meta
from core import LADDER, registry
from core.gpt import ladder
from core.gpt.prompt import attention_window
from figures.gpt import attention_grid, ladder_chart
from figures.words import chart_words
from i18n import N_, _, number

VERDICTS = {  # what one step bought at this budget, judged against the seed-to-seed noise (ladder.verdict)
    "helps": N_("Validation loss {before} → {after}: {change} lower, more than two seeds of one rung differ ({noise})."),
    "unclear": N_(
        "Validation loss {before} → {after}: a change of {change}, no more than two seeds of one rung differ ({noise}). "
        "At this budget this step does not clearly help."
    ),
    "hurts": N_("Validation loss {before} → {after}: {change} higher. At this budget this step makes the model worse."),
}
GAP = N_("Train loss {train} vs validation loss {val}: a gap of {gap} (the rung below: {below}).")


def rung_label(name: str) -> str:
    return f"{LADDER.index(name) + 1} · {_(registry.entry(name).label)}"


def show(inputs: Inputs) -> None:
    st.markdown(prose("gpt_ladder"))
    metas = {n: load(load_meta, n) for n in LADDER}
    # numbered, not named: the value shown is the value in the URL, and a number reads the same in every language
    number_of = {n: str(k + 1) for k, n in enumerate(LADDER)}.get
    rung = st.select_slider(_("Rung: 1 is the bigram, 8 the full GPT"), LADDER, value=LADDER[-1], format_func=number_of,
                            key="gpt_rung", bind="query-params")  # fmt: skip
    i = LADDER.index(rung)
    val = [ladder.seed_losses(metas[n]) for n in LADDER]
    train = [ladder.seed_losses(metas[n], "train") for n in LADDER]
    references = {_(registry.entry(n).label): load(load_meta, n)["metrics"]["val_loss"] for n in ("bigram", "gpt-shakespeare")}
    labels = [rung_label(n).replace(" · ", "<br>") for n in LADDER]  # the number above the name
    fig = ladder_chart(labels, val, train, references, picked=i)
    st.plotly_chart(fig, key="gpt_ladder_chart", alt=chart_words(fig, _("Validation and training loss of each rung")))
    budget = metas[rung]["train_config"]
    width = ladder.WIDTH
    st.caption(
        _(
            "Every rung: {steps} steps of {batch} chunks of {context} characters, width {width}, seeds {seeds}. Validation "
            "loss over the whole last 10% of tiny Shakespeare; train loss over as many characters of the first 90%. "
            "Dashed: the shipped models, for reference."
        ).format(
            steps=number(budget["max_iters"]),
            batch=number(budget["batch_size"]),
            context=number(width.block_size),
            width=number(width.n_embd),
            seeds=", ".join(str(s["seed"]) for s in metas[rung].get("seeds", [])) or metas[rung].get("seed", ""),
        )
    )

    words, code = st.columns([2, 3], gap="large")
    with words:
        st.markdown(f"## {rung_label(rung)}")
        st.markdown(prose(f"ladder_{rung.removeprefix('ladder-')}"))
        if i > 0:
            change, noise, kind = ladder.verdict(val[i - 1], val[i])
            before, after = fmean(val[i - 1]), fmean(val[i])
            figures = dict(before=number(before, 3), after=number(after, 3), change=number(abs(change), 3), noise=number(noise, 3))
            st.markdown(_(VERDICTS[kind]).format(**figures))
            gap, gap_below = (fmean(val[k]) - fmean(train[k]) for k in (i, i - 1))
            st.caption(
                _(GAP).format(train=number(fmean(train[i]), 3), val=number(after, 3), gap=number(gap, 3), below=number(gap_below, 3))
            )
        st.caption(_("{parameters} parameters").format(parameters=number(metas[rung]["parameters"])))
    with code:
        st.caption(_("What this rung adds, from the real source (core/gpt/model.py):"))
        st.code(ladder.code(rung), language="python", wrap_lines=True)  # no sideways scroll a keyboard cannot reach

    st.markdown("## " + _("What it writes"))
    pair = list(LADDER[max(0, i - 1) : i + 1])
    race(pair, inputs, key="gpt_ladder_race", button=_("Write with both") if len(pair) > 1 else _("Write"))

    model = load(load_gpt, rung)
    if getattr(model, "cfg", None) is not None:  # every rung but the bigram has attention
        st.markdown("## " + _("This rung's attention"))
        maps, chars = compute(attention_window, model, inputs.prompt.ids, 32)
        grid = attention_grid(maps.numpy())
        st.plotly_chart(grid, key="gpt_ladder_attention", alt=chart_words(grid, _("Attention of every head of every layer")))
        st.caption(_("Every head of every layer over the last {n} characters of the prompt: rows are layers.").format(n=len(chars)))
