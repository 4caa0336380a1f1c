"""The Attention maps tab: where each of the prompt's last characters looks, never more characters than it has."""

from __future__ import annotations

import streamlit as st

from app_pages._ui import compute, prose
from app_pages.gpt.common import Inputs
from core.gpt.prompt import ATTENTION_CHARS, attention_window
from figures.gpt import attention_grid, attention_heatmap
from figures.words import chart_words
from i18n import N_, _, ngettext

HELP = {"attn": N_("The end of the prompt: the slider stops at the prompt's length.")}  # a tooltip, shown with _()


def show(inputs: Inputs) -> None:
    model, prompt = inputs.model, inputs.prompt
    cfg = getattr(model, "cfg", None)  # the bigram has no cfg: it is one table
    if cfg is None:
        st.info(prose("gpt_no_attention"), icon=":material/info:")
        return
    a1, a2, a3 = st.columns(3)
    layer = a1.radio(_("Layer"), list(range(1, cfg.n_layer + 1)), horizontal=True, key="gpt_layer")
    head = a2.radio(_("Head"), list(range(1, cfg.n_head + 1)), horizontal=True, key="gpt_head")
    chars = longest = min(ATTENTION_CHARS, model.block_size, len(prompt.ids))
    if longest > 8:  # the slider ends at the prompt's length, so the number it shows is the number drawn
        chars = a3.slider(_("Characters shown"), 8, longest, min(48, longest), key="gpt_attn_chars", help=_(HELP["attn"]))
    else:
        all_shown = ngettext(
            "The prompt's {n} character is shown: a longer prompt shows more.",
            "All {n} characters of the prompt are shown: a longer prompt shows more.",
            longest,
        )
        a3.caption(all_shown.format(n=longest))
    maps, labels = compute(attention_window, model, prompt.ids, chars)
    # the title above the chart, not in it: the chart is only as wide as its grid
    where = _("Layer {layer}, head {head}: where each of the last {n} characters looks").format(layer=layer, head=head, n=len(labels))
    st.markdown(f"**{where}**")
    fig = attention_heatmap(maps[layer - 1, head - 1].numpy(), labels)
    st.plotly_chart(fig, key="gpt_attn_chart", width="content", alt=chart_words(fig, where))
    st.caption(prose("gpt_attention"))
    with st.expander(_("All heads at a glance")):
        grid = attention_grid(maps.numpy())
        st.plotly_chart(grid, key="gpt_attn_grid", alt=chart_words(grid, _("Attention of every head of every layer")))
        st.caption(prose("gpt_all_heads"))
