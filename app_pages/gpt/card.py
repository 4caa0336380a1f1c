"""The Model card tab: the chosen model's facts, from its weights' metadata."""

from __future__ import annotations

import streamlit as st

from app_pages.gpt import mine
from app_pages.gpt.common import Inputs
from core.gpt.prompt import model_card
from figures.gpt import loss_curve
from figures.words import chart_words
from i18n import N_, _, ngettext, number

HELP = {  # a tooltip, shown with _()
    "val_loss": N_("Cross-entropy per character on the last 10% of tiny Shakespeare (ln 65 ≈ 4.17 is a blind guess)."),
}


def show(inputs: Inputs) -> None:
    model, meta = inputs.model, inputs.meta
    facts = st.container(horizontal=True, gap="large")  # each as wide as its words (four columns cut "128 caracte…")
    facts.metric(_("Parameters"), number(meta["parameters"]), width="content")
    facts.metric(_("Validation loss"), number(meta["metrics"]["val_loss"], 3), help=_(HELP["val_loss"]), width="content")
    context = ngettext("{n} character", "{n} characters", model.block_size).format(n=number(model.block_size))
    facts.metric(_("Context"), context, width="content")
    minutes = _("{minutes} min").format(minutes=number(meta.get("wall_time_s", 0) / 60, 1))
    facts.metric(_("Training time"), minutes, width="content")
    st.markdown(model_card(meta, model, mine.train_command(inputs.name, meta)))
    if len(curve := meta.get("curve", [])) > 1:
        fig = loss_curve(curve)
        st.plotly_chart(fig, key="gpt_curve", alt=chart_words(fig, _("Training and validation loss over the training steps")))
