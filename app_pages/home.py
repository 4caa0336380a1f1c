"""Home: what each model is, in a few plain sentences, and a card per page with the models it shows.

The cards are built from core/registry.py: a new shipped model appears here with its page.
"""

import re

import streamlit as st

from app_pages._ui import prose, weights_error
from app_pages.loaders import load_meta
from core import registry
from core.training.checkpoint import WeightsError
from i18n import N_, _, number, percent

GLOSSARY = "app_pages/glossary.py"

# Each headline metric in words, and its value as the metadata's headline shows it (the metadata's own
# "headline" is English text: Home rebuilds it from the figures, so it follows the language).
METRICS = {
    "test_loss": (N_("test loss"), N_("test loss {value} nats/image"), lambda m: dict(value=number(m["test_loss"], 1))),
    "val_loss": (N_("val loss"), N_("validation loss {value}"), lambda m: dict(value=number(m["val_loss"], 3))),
    "test_accuracy": (N_("test accuracy"), N_("test accuracy {value}"), lambda m: dict(value=percent(m["test_accuracy"], 2))),
    "confident_share": (
        N_("confident share"),
        N_("{share} confident digits, FD {fd}"),
        lambda m: dict(share=percent(m["confident_share"]), fd=number(m["fid"], 1)),
    ),
}


def parameters(n: int) -> str:
    """4,225 parameters; 824,897 reads better as 0.82 M parameters."""
    if n < 100_000:
        return _("{n} parameters").format(n=number(n))
    return _("{n} M parameters").format(n=number(n / 1e6, 2))


def with_decimal_marks(text: str) -> str:
    """A target such as "≤ 1.47" with the language's decimal mark ("≤ 1,47")."""
    return re.sub(r"\d+\.\d+|\d+", lambda m: number(float(m[0]), len(m[0].partition(".")[2])), text)


def headline(meta: dict, metric: str) -> str | None:
    """The metadata's headline figure, in the current language (its English text where Home cannot rebuild it)."""
    metrics = meta.get("metrics", {})
    try:
        _name, template, values = METRICS[metric]
        return _(template).format(**values(metrics))
    except (KeyError, TypeError, ValueError):
        return meta.get("headline")


def model_line(name: str) -> str | None:
    """One line per shipped model: what it is, its size and data, its headline figure against its target."""
    model = registry.entry(name)
    try:
        meta = load_meta(name)
    except WeightsError as e:  # Home lists every model: one missing file must not hide the others
        weights_error(e)
        return None
    line = f"**{_(model.label)}** (`{name}`) · {parameters(meta.get('parameters', 0))} · {model.dataset}"
    if meta.get("headline") and (figure := headline(meta, model.metric)):
        line += f" · {figure}"
    value = meta.get("metrics", {}).get(model.metric)
    if model.target and value is not None:
        what = _(METRICS[model.metric][0]) if model.metric in METRICS else model.metric.replace("_", " ")
        verdict = N_("target: {metric} {target} (met)") if model.meets(value) else N_("target: {metric} {target} (missed)")
        line += " · " + _(verdict).format(metric=what, target=with_decimal_marks(model.target))
    return line


def ladder_line() -> str | None:
    """The lecture ladder in one line: its rungs, from the first rung's validation loss to the last's."""
    try:
        first, last = (load_meta(name)["metrics"]["val_loss"] for name in (registry.LADDER[0], registry.LADDER[-1]))
    except WeightsError as e:
        weights_error(e)
        return None
    return _(
        "**The lecture, step by step** (tab *Lecture ladder*): {n} models from the bigram to the full GPT, "
        "trained alike · validation loss {first} → {last}"
    ).format(  # fmt: skip
        n=len(registry.LADDER), first=number(first, 2), last=number(last, 2)
    )


st.title(":material/science: GenLab")
st.markdown(prose("home_intro"))

# Direct links first: on a phone the sidebar starts collapsed, so the menu is out of sight.
pages = list(dict.fromkeys(m.page for m in registry.MODELS if m.page))  # registry order, each page once
links = st.columns(len(pages) + 1)
for col, page in zip(links[:-1], pages, strict=True):
    col.page_link(f"app_pages/{page}.py", icon=":material/arrow_forward:")  # the label is the page's own title
links[-1].page_link(GLOSSARY, label=_("Glossary"), icon=":material/menu_book:")

for page in pages:
    with st.container(border=True):
        st.markdown(prose(f"home_{page}"))
        for name in registry.names(page=page):
            if line := model_line(name):
                st.markdown(line)
        if page == "gpt_generation" and (line := ladder_line()):
            st.markdown(line)
        st.page_link(f"app_pages/{page}.py", icon=":material/arrow_forward:")

with st.container(border=True):
    st.markdown(prose("home_helpers"))
    for model in registry.MODELS:
        if model.page is None and not model.ladder and (line := model_line(model.name)):
            st.markdown(line)

st.page_link(
    GLOSSARY,
    label=_("New words (latent vector, KL, FD, self-attention…)? The glossary explains them."),
    icon=":material/menu_book:",
)
