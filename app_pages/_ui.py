"""Small UI helpers every page shares (no model logic here: that lives in core/)."""

from __future__ import annotations

import traceback

import numpy as np
import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app_pages.loaders import SERVER_ID, janitor, scheduler
from core.serving.scheduler import Job
from core.training.checkpoint import WeightsError
from i18n import LANGUAGES, _, catalog, language, number, pick, prose, speaking, use_language_source  # noqa: F401  (pages import prose from here)

QUICK_S = 0.3  # a job that finishes within this never shows a waiting line


def _session_language() -> str:
    """This session's language (English outside a page run: scripts, worker threads)."""
    return st.session_state.get("lang", "en") if get_script_run_ctx() is not None else "en"


use_language_source(_session_language)


def choose_language() -> str:
    """The sidebar's language picker. A link's ?lang= wins, then the picker's last choice, then the
    browser's language; the URL follows the picker, so a teacher can share a Portuguese link."""
    asked = st.query_params.get("lang")
    if "lang" not in st.session_state or (asked and pick(asked) != st.session_state.lang):
        st.session_state.lang = pick(asked, st.context.locale)
    if st.session_state.get("_lang_was", st.session_state.lang) != st.session_state.lang:
        keep_worded_choices()
    st.session_state._lang_was = st.session_state.lang
    st.sidebar.selectbox(
        ":material/translate: Language · Idioma",
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key="lang",
        on_change=_language_picked,
    )
    if st.query_params.get("lang") != st.session_state.lang:
        st.query_params["lang"] = st.session_state.lang
    announce_language(st.session_state.lang)
    return st.session_state.lang


def announce_language(lang: str) -> None:
    """Tell screen readers the page's language: Streamlit serves every page as <html lang="en"> and has no option
    for it, so a one-line script (st.html runs it in the page itself, not in an iframe) sets it to this session's
    language. It runs again only when the language changes (the same element is not redrawn)."""
    st.sidebar.html(f"<script>document.documentElement.lang = {lang!r};</script>", unsafe_allow_javascript=True)


def in_language(show=_):
    """A format_func that words options in this run's language (bound now: AppTest formats a widget's value
    again after the run, where no session says which language)."""
    lang = language()

    def shown(option) -> str:
        with speaking(lang):
            return show(option)

    return shown


def worded(key: str) -> str:
    """The key of a choice widget whose options are shown in the learner's language (a format_func that
    translates, or numbers formatted by Babel): noted, so that a language change keeps what is chosen."""
    st.session_state.setdefault("_worded", set()).add(key)
    return key


def keep_worded_choices() -> None:
    """After a language change, set each worded choice again to the value it holds.

    Streamlit keeps a radio's, selectbox's or select_slider's value as the option's shown text. Once the
    language changes that text matches no option: the browser showed the radio with nothing selected while
    the page went on with the old value (a select_slider fell back to its default). Setting the value
    again makes Streamlit send the browser the option's text in the new language.
    """
    for key in st.session_state.get("_worded", ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]  # read with the old wording, shown with the new


def number_steps(low: float, high: float, step: float, decimals: int) -> list[float]:
    """The values from low to high by step, for a select_slider that shows them with number(v, decimals).

    st.slider writes its numbers with a printf format (or the browser's locale), so a Portuguese page showed
    0.99 beside 0,99 in its text; a select_slider shows each option as format_func words it, through Babel.
    """
    return [round(low + k * step, decimals) for k in range(round((high - low) / step) + 1)]


def number_format(decimals: int):
    """The format_func of a number_steps select_slider, in this run's language."""
    return in_language(lambda v: number(v, decimals))


def _language_picked() -> None:
    st.query_params["lang"] = st.session_state.lang  # before the rerun reads ?lang=


def show_open_tab(labels: list[str], key: str, shows: list, *args) -> None:
    """The page's tabs, labels translated; only the open one runs (on_change="rerun"): its show(*args).

    Twenty students generating do not also compute attention maps. A tab's label is its value (in the state
    and the URL), so the open tab is carried over when the language changes, and a link in either language
    opens it.
    """
    shown = [_(label) for label in labels]
    current = st.session_state.get(key) or st.query_params.get(key)
    for label, mine in zip(labels, shown):
        if current and current != mine and current in {label, *(catalog(lang).get(label) for lang in LANGUAGES)}:
            st.session_state[key] = mine
    for tab, show in zip(st.tabs(shown, key=key, bind="query-params", on_change="rerun"), shows, strict=True):
        if tab.open:
            with tab:
                show(*args)


def run_page(page) -> None:
    """Run one page; an unexpected error becomes a friendly message on that page only."""
    try:
        page.run()
    except WeightsError as e:
        weights_error(e)
    except Exception as e:  # never show a learner a traceback; the other pages keep working
        st.error(_("Sorry, this page hit an unexpected problem: {error}").format(error=f"{type(e).__name__}: {e}"))
        with st.expander(_("Details for a bug report")):
            st.code(traceback.format_exc(), wrap_lines=True)


def weights_error(e: Exception) -> None:
    message = _("**This page needs model files that could not be loaded.**")
    st.error(f"{message}\n\n{_(e.args[0]) if e.args else e}", icon=":material/inventory_2:")


def load(loader, *args):
    """Call a cached loader; on missing or corrupt weights explain it and stop this page."""
    try:
        return loader(*args)
    except WeightsError as e:
        weights_error(e)
        st.stop()


def session_owner() -> str:
    """Who this session's work belongs to on the scheduler: its jobs take turns with other sessions'."""
    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id}" if ctx else "session:none"


def hold(obj):
    """Register a heavy per-session object (one with .release()) to be freed when this session ends,
    even while Streamlit still keeps the ended session around. Returns obj."""
    if (j := janitor()) is not None and (ctx := get_script_run_ctx()) is not None:
        j.hold(ctx.session_id, obj)
    return obj


def compute(fn, /, *args, **kwargs):
    """Run model work on the server's scheduler, in this session's turn, and return its result.

    While it waits in line the page says so; every redraw lets Streamlit stop this run if the
    learner clicks something else meanwhile.
    """
    return wait(scheduler().submit(session_owner(), fn, *args, **kwargs))


def wait(job: Job, what: str | None = None):
    """The job's result; while it waits in line, a line that says so (what: already translated)."""
    if not job.wait(QUICK_S):
        box = st.empty()
        what = what or _("Waiting for the server")
        while not job.wait(0.2):
            ahead = job.ahead()
            place = _("{what}: {n} ahead of you in line…").format(what=what, n=ahead) if ahead else f"{what}…"
            box.caption(f":material/hourglass_empty: {place}")
        box.empty()
    return job.result()


def remember_run(name: str) -> None:
    """Note in the URL that this session holds a result made by this server process."""
    if st.query_params.get(name) != SERVER_ID:
        st.query_params[name] = SERVER_ID
    st.session_state.pop(f"_{name}_lost", None)


def lost_run_notice(name: str, message: str) -> None:
    """A new session whose URL says it held a result on another server process: the server restarted
    (the browser reconnected by itself) and the result is gone. Say so plainly until a new result."""
    if f"_{name}_checked" not in st.session_state:
        st.session_state[f"_{name}_checked"] = True
        made_by = st.query_params.get(name)
        if made_by and made_by != SERVER_ID:
            st.session_state[f"_{name}_lost"] = True
            del st.query_params[name]
    if st.session_state.get(f"_{name}_lost"):
        st.info(message, icon=":material/power_off:")


def to_image(x: torch.Tensor, scale: int = 1) -> np.ndarray:
    """A (1, 28, 28) or (28, 28) tensor in [0, 1] -> uint8 array, optionally enlarged (crisp pixels)."""
    img = (x.detach().squeeze().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
    return img.repeat(scale, 0).repeat(scale, 1) if scale > 1 else img
