"""GPT Generation: how a stack of self-attention blocks turns a prompt into Shakespeare-like text,
one character at a time."""

import time
from itertools import zip_longest

import streamlit as st

from app_pages._ui import compute, load, lost_run_notice, prose, remember_run, session_owner, tabs
from core import registry
from core.cache import generation_service, load_gpt, load_meta, scheduler
from core.gpt.prompt import (
    ATTENTION_CHARS,
    attention_window,
    md_escape,
    model_card,
    next_char_odds,
    prepare_prompt,
    result_caption,
    settings_line,
    text_box,
    visible,
)
from core.gpt.sampling import MAX_NEW_TOKENS, stream
from figures.gpt import attention_grid, attention_heatmap, loss_curve, next_char_bars
from i18n import N_, _, language, ngettext, number, speaking

NAMES = registry.names(page="gpt_generation")
DEFAULT_PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n"
REDRAW_S = 0.15  # redraw streamed text about 7 times a second: smooth enough, and twenty pages redrawing
# at once leave the server's threads time for the model (each redraw is Python work)
# Characters shown per second: the display only. The keys are the radio's values (and the URL's), shown translated.
TYPING = {N_("as written"): None, N_("fast"): 80, N_("slow"): 20}
# Plain words: a tab's label is its value in the URL (?gpt_tabs=Attention+maps), so a teacher can share it;
# _ui.tabs shows them translated and a Portuguese link opens the same tab.
TABS = [N_("Generate"), N_("Side by side"), N_("Next-character odds"), N_("Attention maps"), N_("Model card")]
HELP = {  # tooltips, shown with _()
    "prompt": N_("Any text. Characters the model never saw are replaced or dropped; only the last {n} characters reach the model."),
    "seed": N_("The same seed and settings give the same text."),
    "temperature": N_("Divides the logits: below 1 sharpens the odds (safer, repetitive), above 1 flattens them (wilder)."),
    "top_k": N_("Draw only from the k likeliest characters (all of them at the largest k)."),
    "top_p": N_("Draw only from the likeliest characters whose odds add up to p (1 = all)."),
    "stop": N_("Stop (or any other change) ends the run and keeps what was written so far."),
    "attn": N_("The end of the prompt: the slider stops at the prompt's length."),
    "val_loss": N_("Cross-entropy per character on the last 10% of tiny Shakespeare (ln 65 ≈ 4.17 is a blind guess)."),
}
RESTARTED = N_("The server restarted, so the text generated before is gone. Your prompt and settings are back: press Generate again.")
FAILED = N_("Generation stopped on a problem on the server: {error}. What was written is kept; press the button to try again.")


class GenerationFailed(RuntimeError):
    """The shared generator could not finish this request (the message says why)."""


def follow(service, ids: list[int], length: int, seed: int, sampling: dict, status):
    """Submit one request to the shared batched generator and yield its text as it grows
    (at most once per REDRAW_S, and once more at the end).

    The request leaves the batch when this generator is closed: when the run ends, when the learner
    clicks anything (Streamlit stops this script run), or when the browser goes away.
    """
    try:
        request = service.submit(ids, length, seed=seed, **sampling)
    except ValueError as e:  # settings the model refuses (core's message, in the learner's language)
        raise GenerationFailed(_(e.args[0])) from e
    decode = service.model.tokenizer.decode
    try:
        shown, last = 0, 0.0
        while not request.done:
            request.wait(shown, timeout=REDRAW_S)  # returns at once when there is something new
            if len(request.new_ids) > shown:
                time.sleep(max(0.0, last + REDRAW_S - time.perf_counter()))  # never spin: other threads need the GIL
                shown, last = len(request.new_ids), time.perf_counter()
                yield decode(request.new_ids[:shown])
            elif shown == 0 and (ahead := service.queue_position(request)):
                waiting = _("waiting for a free place in the batch: {n} ahead of you…").format(n=number(ahead))
                status.caption(f":material/hourglass_empty: {waiting}")
        if request.error:
            raise GenerationFailed(request.error)
        yield decode(request.new_ids)
    finally:
        request.cancel()


def shown_in(lang: str):
    """A format_func that translates options into lang, the language of this run (bound now, as AppTest
    formats a widget's value again after the run, where no session says which language)."""

    def show(option: str) -> str:
        with speaking(lang):
            return _(option)

    return show


def typed(text: str, since: float, cps: int | None) -> str:
    """The part of text the chosen typing speed has shown by now (all of it "as written")."""
    return text[: int((time.perf_counter() - since) * cps)] if cps else text


def sample_one(model, ids: list[int], restart: bool, seed: int, sampling: dict) -> None:
    """Draw one character from the odds shown and append it to the prompt (before the rerun draws the page)."""
    n = st.session_state.get("gpt_steps", 0)
    ch = scheduler().run(session_owner(), lambda: "".join(stream(model, ids, 1, seed=seed + n, **sampling)))
    st.session_state["gpt_prompt"] = ("\n" if restart else st.session_state["gpt_prompt"]) + ch
    st.session_state["gpt_steps"] = n + 1


show = shown_in(language())  # the format_func of the pickers whose options are words
st.title(":material/edit_note: " + _("GPT Generation"))
st.markdown(prose("gpt_intro"))
with st.expander(_("How a stack of self-attention blocks writes text"), icon=":material/menu_book:"):
    st.markdown(prose("gpt_how_it_works"))
st.page_link("app_pages/glossary.py", label=_("Token, head, top-p…: the glossary explains the words"), icon=":material/menu_book:")

# --- the model, the prompt and the sampling settings every tab shares ------------------------------
# Each is kept in the URL too (bind="query-params"): after a server restart, or in a shared link,
# the page comes back as the learner left it.
lost_run_notice("gpt_run", _(RESTARTED))
left, right = st.columns([3, 2], gap="large")
name = right.selectbox(
    _("Model"),
    NAMES,
    format_func=lambda n: show(registry.entry(n).label),
    key="gpt_model",
    bind="query-params",
)
model, meta = load(load_gpt, name), load(load_meta, name)
tok, cfg, V = model.tokenizer, getattr(model, "cfg", None), model.vocab_size  # the bigram has no cfg: it is one table
prompt_help = _(HELP["prompt"]).format(n=number(model.block_size))
raw = left.text_area(_("Prompt"), DEFAULT_PROMPT, key="gpt_prompt", height=190, bind="query-params", help=prompt_help)
with right:
    c1, c2 = st.columns(2)
    length = c1.number_input(_("Characters to generate"), 1, MAX_NEW_TOKENS, 300, step=50, key="gpt_len", bind="query-params")
    seed = c2.number_input(_("Seed"), 0, 2**31 - 1, 1337, step=1, key="gpt_seed", bind="query-params", help=_(HELP["seed"]))
    temperature = st.slider(
        _("Temperature"), 0.1, 2.0, 1.0, step=0.05, key="gpt_temp", bind="query-params", help=_(HELP["temperature"])
    )
    c3, c4 = st.columns(2)
    top_k = c3.number_input("Top-k", 1, V, V, step=1, key="gpt_topk", bind="query-params", help=_(HELP["top_k"]))
    top_p = c4.slider("Top-p", 0.05, 1.0, 1.0, step=0.05, key="gpt_topp", bind="query-params", help=_(HELP["top_p"]))

# The prompt keeps the page's main model's window even when the bigram (which reads one character) is picked:
# switching models keeps the prompt, and only a prompt longer than any model's context is "adjusted".
prompt = prepare_prompt(tok, raw, max(model.block_size, load(load_gpt, NAMES[0]).block_size))
notes_box = st.empty()  # always there, so the tabs below keep their place (and the chosen tab) on every rerun
if prompt.notes:
    notes = "\n".join(f"- {md_escape(_(n))}" for n in prompt.notes)
    adjusted = _("**Your prompt was adjusted to fit the model** (nothing is an error):")
    notes_box.info(f"{adjusted}\n{notes}", icon=":material/cleaning_services:")
sampling = dict(temperature=float(temperature), top_k=int(top_k) if top_k < V else None, top_p=float(top_p) if top_p < 1.0 else None)
settings = dict(seed=int(seed), temperature=float(temperature), top_k=int(top_k), top_p=float(top_p))  # shown by settings_line
# Only the open tab runs (on_change="rerun"): twenty students generating do not also compute attention maps.
tab_gen, tab_cmp, tab_odds, tab_attn, tab_card = tabs(TABS, key="gpt_tabs", bind="query-params", on_change="rerun")

# --- 1. generate, streamed: the status line above the text, so it stays in view as the text grows -----
if tab_gen.open:
    with tab_gen:
        b1, b2, b3 = st.columns([1, 1, 4], vertical_alignment="bottom")
        go_clicked = b1.button(_("Generate"), key="gpt_go", type="primary", icon=":material/play_arrow:", width="stretch")
        # Any click makes Streamlit rerun, which ends a running generation; what was produced is kept.
        b2.button(_("Stop"), key="gpt_stop", icon=":material/stop:", width="stretch", help=_(HELP["stop"]))
        speed = b3.radio(
            _("Typing speed"),
            list(TYPING),
            format_func=show,
            horizontal=True,
            key="gpt_typing",
            bind="query-params",
            help=prose("gpt_typing"),
        )
        status, box = st.empty(), st.empty()
        if go_clicked:
            res = st.session_state["gpt_result"] = dict(prompt=prompt.text, text="", want=int(length), done=False, settings=settings)
            t0 = time.perf_counter()
            texts = follow(generation_service(name), prompt.ids, int(length), int(seed), sampling, status)
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

# --- 2. the odds of the next character, and one character per click ------------------------------------
if tab_odds.open:
    with tab_odds:
        odds = [(c, p) for c, p in compute(next_char_odds, model, prompt.ids, k=15, **sampling) if p > 0]  # top-k/p cut the rest
        tail = "".join(visible(c) for c in prompt.text[-40:])
        st.plotly_chart(next_char_bars([(visible(c), p) for c, p in odds], tail), key="gpt_odds_chart")
        st.caption(
            _("The {n} likeliest of {V} characters after temperature, top-k and top-p: the exact odds Generate draws from.").format(
                n=len(odds), V=V
            )
        )
        s1, s2 = st.columns([1, 3])
        restart = prompt.text == "\n" and not raw.endswith("\n")  # the prompt was empty: start it afresh
        s1.button(_("Sample one character"), key="gpt_step", icon=":material/casino:", on_click=sample_one, width="stretch",
                  args=(model, prompt.ids, restart, int(seed), sampling))  # fmt: skip
        s2.caption(_("Appends one character drawn from these odds to your prompt above; the chart then shows the odds for the "
                     "character after it. Click a few times: this is all generation does."))  # fmt: skip

# --- 3. attention maps: the end of the prompt, never more characters than it has -------------------------
if tab_attn.open:
    with tab_attn:
        if cfg is None:
            st.info(prose("gpt_no_attention"), icon=":material/info:")
        else:
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
            where = _("Layer {layer}, head {head}: where each of the last {n} characters looks").format(
                layer=layer, head=head, n=len(labels)
            )
            st.markdown(f"**{where}**")
            st.plotly_chart(attention_heatmap(maps[layer - 1, head - 1].numpy(), labels), key="gpt_attn_chart", width="content")
            st.caption(prose("gpt_attention"))
            with st.expander(_("All heads at a glance")):
                st.plotly_chart(attention_grid(maps.numpy()), key="gpt_attn_grid")
                st.caption(prose("gpt_all_heads"))

# --- 4. the model card, from the weights' metadata ----------------------------------------------------
if tab_card.open:
    with tab_card:
        facts = st.columns(4)
        facts[0].metric(_("Parameters"), number(meta["parameters"]))
        facts[1].metric(_("Validation loss"), number(meta["metrics"]["val_loss"], 3), help=_(HELP["val_loss"]))
        context = ngettext("{n} character", "{n} characters", model.block_size).format(n=number(model.block_size))
        facts[2].metric(_("Context"), context)
        facts[3].metric(_("Training time"), _("{minutes} min").format(minutes=number(meta.get("wall_time_s", 0) / 60, 1)))
        st.markdown(model_card(meta, model, registry.entry(name).train_command))
        if len(curve := meta.get("curve", [])) > 1:
            st.plotly_chart(loss_curve(curve), key="gpt_curve")

# --- 5. every model of this page side by side. Drawn last on purpose: a model whose weights are missing
# stops the script here (_ui.load), after every other tab is already on the page. ----------------------
if tab_cmp.open:
    with tab_cmp:
        st.markdown(prose("gpt_compare"))
        rivals = {n: (load(load_gpt, n), load(load_meta, n)) for n in NAMES}
        compare_clicked = st.button(_("Compare"), key="gpt_compare_go", type="primary", icon=":material/compare_arrows:")
        cmp_status = st.empty()  # above the texts, as in the Generate tab
        cols = dict(zip(NAMES, st.columns(len(NAMES)), strict=True))
        for n, (_model, n_meta) in rivals.items():
            facts = _("{parameters} parameters · validation loss {loss}").format(
                parameters=number(n_meta["parameters"]), loss=number(n_meta["metrics"]["val_loss"], 2)
            )
            cols[n].markdown(f"**{_(registry.entry(n).label)}** · {facts}")
        boxes = {n: col.empty() for n, col in cols.items()}
        if compare_clicked:
            # every model gets the same text: the prompt fitted to the longest context among them
            shared = prepare_prompt(tok, raw, max(lm.block_size for lm, _meta in rivals.values())).text
            cmp = st.session_state["gpt_compare"] = dict(prompt=shared, texts=dict.fromkeys(NAMES, ""), want=int(length), done=False,
                                                         settings=settings)  # fmt: skip
            runs = [follow(generation_service(n), lm.tokenizer.encode(shared), int(length), int(seed), sampling, cmp_status)
                    for n, (lm, _meta) in rivals.items()]  # fmt: skip
            try:
                for texts in zip_longest(*runs):  # a run that has finished gives None: keep its last text
                    cmp["texts"].update({n: t for n, t in zip(NAMES, texts, strict=True) if t is not None})
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
        if cmp := st.session_state.get("gpt_compare"):
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
