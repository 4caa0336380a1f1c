"""The Model card tab: the chosen model's facts, from its weights' metadata."""

from __future__ import annotations

import streamlit as st

from app_pages.gpt import mine
from app_pages.gpt.common import Inputs
from core.gpt.prompt import model_card
from figures.gpt import loss_curve
from i18n import N_, _, ngettext, number

HELP = {  # a tooltip, shown with _()
    "val_loss": N_("Cross-entropy per character on the last 10% of tiny Shakespeare (ln 65 ≈ 4.17 is a blind guess)."),
}


def show(inputs: Inputs) -> None:
    model, meta = inputs.model, inputs.meta
    facts = st.columns(4)
    facts[0].metric(_("Parameters"), number(meta["parameters"]))
    facts[1].metric(_("Validation loss"), number(meta["metrics"]["val_loss"], 3), help=_(HELP["val_loss"]))
    context = ngettext("{n} character", "{n} characters", model.block_size).format(n=number(model.block_size))
    facts[2].metric(_("Context"), context)
    facts[3].metric(_("Training time"), _("{minutes} min").format(minutes=number(meta.get("wall_time_s", 0) / 60, 1)))
    st.markdown(model_card(meta, model, mine.train_command(inputs.name, meta)))
    if len(curve := meta.get("curve", [])) > 1:
        st.plotly_chart(loss_curve(curve), key="gpt_curve")
