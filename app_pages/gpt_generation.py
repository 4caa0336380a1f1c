"""GPT Generation: how a stack of self-attention blocks turns a prompt into Shakespeare-like text,
one character at a time.

Layout only, top to bottom as the learner sees it: the intro, the model, prompt and sampling settings every tab
shares, then the tabs (only the open one runs), each in its own module under app_pages/gpt/ (common.py: what they share,
follow() among it). Every word shown goes through _() (catalog: i18n/locales/pt_BR/LC_MESSAGES/gpt.po)."""

import streamlit as st

from app_pages._ui import in_language, load, lost_run_notice, number_format, number_steps, prose, show_open_tab, worded
from app_pages.gpt import attention, card, compare, generate, ladder, mine, odds, train
from app_pages.gpt.common import NAMES, Inputs
from app_pages.loaders import load_gpt
from core.gpt.prompt import md_escape, prepare_prompt
from core.gpt.sampling import MAX_NEW_TOKENS
from i18n import N_, _, number

DEFAULT_PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n"
# Plain words: a tab's label is its value in the URL (?gpt_tabs=Attention+maps), so a teacher can share it;
# _ui.show_open_tab shows them translated and a Portuguese link opens the same tab.
TABS = [N_("Generate"), N_("Side by side"), N_("Lecture ladder"), N_("Next-character odds"), N_("Attention maps"), N_("Model card"),
        N_("Train your own")]  # fmt: skip
HELP = {  # tooltips, shown with _()
    "prompt": N_("Any text. Characters the model never saw are replaced or dropped; only the last {n} characters reach the model."),
    "seed": N_("The same seed and settings give the same text."),
    "temperature": N_("Divides the logits: below 1 sharpens the odds (safer, repetitive), above 1 flattens them (wilder)."),
    "top_k": N_("Draw only from the k likeliest characters (all of them at the largest k)."),
    "top_p": N_("Draw only from the likeliest characters whose odds add up to p (1 = all)."),
}
RESTARTED = N_("The server restarted, so the text generated before is gone. Your prompt and settings are back: press Generate again.")

show = in_language()  # the format_func of the pickers whose options are words
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
# The learner's own GPT (the Train your own tab) joins the shipped ones, for this session only.
name = right.selectbox(
    _("Model"),
    mine.names(NAMES),
    format_func=in_language(mine.label),
    key=worded("gpt_model"),
    bind="query-params",
)
model, meta = mine.model_and_meta(name)
tok, V = model.tokenizer, model.vocab_size
prompt_help = _(HELP["prompt"]).format(n=number(model.block_size))
raw = left.text_area(_("Prompt"), DEFAULT_PROMPT, key="gpt_prompt", height=190, bind="query-params", help=prompt_help)
with right:
    c1, c2 = st.columns(2)
    length = c1.number_input(_("Characters to generate"), 1, MAX_NEW_TOKENS, 300, step=50, key="gpt_len", bind="query-params")
    seed = c2.number_input(_("Seed"), 0, 2**31 - 1, 1337, step=1, key="gpt_seed", bind="query-params", help=_(HELP["seed"]))
    two_decimals = number_format(2)  # select_sliders: their numbers in the page's language (0,80 in Portuguese)
    temperature = st.select_slider(_("Temperature"), number_steps(0.1, 2.0, 0.05, 2), 1.0, format_func=two_decimals,
                                   key=worded("gpt_temp"), bind="query-params", help=_(HELP["temperature"]))  # fmt: skip
    c3, c4 = st.columns(2)
    top_k = c3.number_input("Top-k", 1, V, V, step=1, key="gpt_topk", bind="query-params", help=_(HELP["top_k"]))
    top_p = c4.select_slider("Top-p", number_steps(0.05, 1.0, 0.05, 2), 1.0, format_func=two_decimals,
                             key=worded("gpt_topp"), bind="query-params", help=_(HELP["top_p"]))  # fmt: skip

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
inputs = Inputs(name, model, meta, raw, prompt, int(length), int(seed), sampling, settings)

show_open_tab(TABS, "gpt_tabs", [generate.show, compare.show, ladder.show, odds.show, attention.show, card.show, train.show], inputs)
