"""The Generate tab: the chosen model writes, streamed from the shared generator, the status line above the text so it
stays in view as the text grows. The finished run's caption ("300 characters in 0.8 s") is what scripts/loadtest.py
reads, and gpt_go is the button it clicks."""

from __future__ import annotations

import time

import streamlit as st

from app_pages._ui import in_language, prose, remember_run, worded
from app_pages.gpt import mine
from app_pages.gpt.common import FAILED, GenerationFailed, Inputs, follow
from core.gpt.prompt import result_caption, text_box
from i18n import N_, _, number

# Characters shown per second: the display only. The keys are the radio's values (and the URL's), shown translated.
TYPING = {N_("as written"): None, N_("fast"): 80, N_("slow"): 20}
HELP = {"stop": N_("Stop (or any other change) ends the run and keeps what was written so far.")}  # shown with _()


def typed(text: str, since: float, cps: int | None) -> str:
    """The part of text the chosen typing speed has shown by now (all of it "as written")."""
    return text[: int((time.perf_counter() - since) * cps)] if cps else text


def show(inputs: Inputs) -> None:
    prompt = inputs.prompt
    b1, b2, b3 = st.columns([1, 1, 4], vertical_alignment="bottom")
    go_clicked = b1.button(_("Generate"), key="gpt_go", type="primary", icon=":material/play_arrow:", width="stretch")
    # Any click makes Streamlit rerun, which ends a running generation; what was produced is kept.
    b2.button(_("Stop"), key="gpt_stop", icon=":material/stop:", width="stretch", help=_(HELP["stop"]))
    speed = b3.radio(
        _("Typing speed"),
        list(TYPING),
        format_func=in_language(),
        horizontal=True,
        key=worded("gpt_typing"),
        bind="query-params",
        help=prose("gpt_typing"),
    )
    status, box = st.empty(), st.empty()
    if go_clicked:
        res = st.session_state["gpt_result"] = dict(
            prompt=prompt.text, text="", want=inputs.length, done=False, settings=inputs.settings
        )
        t0 = time.perf_counter()
        texts = follow(mine.service(inputs.name, inputs.model), prompt.ids, inputs.length, inputs.seed, inputs.sampling, status)
        try:
            for text in texts:
                res["text"] = text  # in session_state at once: a Stop keeps it
                box.html(text_box(res["prompt"], typed(text, t0, TYPING[speed])))
                writing = _("writing… {n} of {want} characters (Stop ends it)")
                writing = writing.format(n=number(len(text)), want=number(res["want"]))
                status.caption(f":material/edit: {writing}")
            res["done"], res["seconds"] = True, time.perf_counter() - t0  # the model's time, whatever the typing speed
            remember_run("gpt_run")
            while len(shown := typed(res["text"], t0, TYPING[speed])) < len(res["text"]):  # the typing speed shows the rest
                box.html(text_box(res["prompt"], shown))
                typing = _("typing… {n} of {total} (written in {s} s)").format(
                    n=number(len(shown)), total=number(len(res["text"])), s=number(res["seconds"], 1)
                )
                status.caption(f":material/edit: {typing}")
                time.sleep(0.05)
            status.caption(result_caption(res))
        except GenerationFailed as e:
            status.error(_(FAILED).format(error=e))
        finally:
            texts.close()  # leaves the batch at once, even when Stop or a closed tab ends this run
    if res := st.session_state.get("gpt_result"):
        box.html(text_box(res["prompt"], res["text"]))
        if not go_clicked:
            status.caption(result_caption(res))
        data, mime = res["prompt"] + res["text"], "text/plain"
        st.download_button(
            _("Download as .txt"), data, "genlab-gpt.txt", mime, key="gpt_download", icon=":material/download:", on_click="ignore"
        )
