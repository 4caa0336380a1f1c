"""The Side by side tab: every model of the page writes from the same prompt with the same settings, streamed at once."""

from __future__ import annotations

from itertools import zip_longest

import streamlit as st

from app_pages._ui import prose
from app_pages.gpt import mine
from app_pages.gpt.common import FAILED, NAMES, GenerationFailed, Inputs, follow
from core.gpt.prompt import prepare_prompt, settings_line, text_box
from i18n import _, ngettext, number


def show(inputs: Inputs) -> None:
    st.markdown(prose("gpt_compare"))
    race(mine.names(NAMES), inputs, key="gpt_compare", button=_("Compare"))


def race(names: list[str], inputs: Inputs, key: str, button: str) -> None:
    """The models `names` write from the same prompt with the same settings, streamed at once, one column each.

    The texts stay in st.session_state[key] until the next click (for these same models). Every model loads
    here: one whose weights are missing stops the page in this tab (_ui.load).
    """
    length, seed, sampling = inputs.length, inputs.seed, inputs.sampling
    rivals = {n: mine.model_and_meta(n) for n in names}
    compare_clicked = st.button(button, key=f"{key}_go", type="primary", icon=":material/compare_arrows:")
    cmp_status = st.empty()  # above the texts, as in the Generate tab
    cols = dict(zip(names, st.columns(len(names)), strict=True))
    for n, (_model, n_meta) in rivals.items():
        facts = _("{parameters} parameters · validation loss {loss}").format(
            parameters=number(n_meta["parameters"]), loss=number(n_meta["metrics"]["val_loss"], 2)
        )
        if len(seeds := n_meta.get("seeds", [])) > 1:  # a ladder rung: this model is one seed; the verdict averages all
            facts = _("{parameters} parameters · validation loss {loss} (this seed, {seed}; above: the mean of {n} seeds)").format(
                parameters=number(n_meta["parameters"]),
                loss=number(n_meta["metrics"]["val_loss"], 3),
                seed=n_meta.get("seed", seeds[0]["seed"]),
                n=number(len(seeds)),
            )
        cols[n].markdown(f"**{mine.label(n, n_meta)}** · {facts}")
    boxes = {n: col.empty() for n, col in cols.items()}
    if compare_clicked:
        # every model gets the same text: the prompt fitted to the longest context among them
        shared = prepare_prompt(inputs.model.tokenizer, inputs.raw, max(lm.block_size for lm, _meta in rivals.values())).text
        cmp = st.session_state[key] = dict(prompt=shared, texts=dict.fromkeys(names, ""), want=length, done=False,
                                           settings=inputs.settings)  # fmt: skip
        runs = [follow(mine.service(n, lm), lm.tokenizer.encode(shared), length, seed, sampling, cmp_status)
                for n, (lm, _meta) in rivals.items()]  # fmt: skip
        try:
            for texts in zip_longest(*runs):  # a run that has finished gives None: keep its last text
                cmp["texts"].update({n: t for n, t in zip(names, texts, strict=True) if t is not None})
                for n, text in cmp["texts"].items():
                    boxes[n].html(text_box(shared, text))
                fewest = min(map(len, cmp["texts"].values()))
                writing = _("writing… {n} of {want} characters").format(n=number(fewest), want=number(cmp["want"]))
                cmp_status.caption(f":material/edit: {writing}")
            cmp["done"] = True
        except GenerationFailed as e:
            cmp["error"] = str(e)  # shown with FAILED, in the language of the moment
        finally:
            for run in runs:
                run.close()
    if (cmp := st.session_state.get(key)) and list(cmp["texts"]) == list(names):
        for n, box in boxes.items():
            box.html(text_box(cmp["prompt"], cmp["texts"].get(n, "")))
        n = max(map(len, cmp["texts"].values()))
        if cmp["done"]:
            done = ngettext("{n} character each", "{n} characters each", n).format(n=number(n))
        else:
            done = ":material/stop_circle: " + _("stopped after {n} of {want} characters").format(
                n=number(n), want=number(cmp["want"])
            )
        if "error" in cmp:
            cmp_status.error(_(FAILED).format(error=cmp["error"]))
        else:
            cmp_status.caption(f"{done} · {settings_line(cmp['settings'])}")
