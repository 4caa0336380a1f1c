"""Home: what each model is, in a few plain sentences, and a card per page with the models it shows.

The cards are built from core/registry.py: a new shipped model appears here with its page.
"""

import streamlit as st

from app_pages._ui import prose, weights_error
from core import registry
from core.cache import load_meta
from core.checkpoint import WeightsError

GLOSSARY = "app_pages/glossary.py"


def parameters(n: int) -> str:
    """4,225 parameters; 824,897 reads better as 0.82 M parameters."""
    return f"{n:,} parameters" if n < 100_000 else f"{n / 1e6:.2f} M parameters"


def model_line(name: str) -> str | None:
    """One line per shipped model: what it is, its size and data, its headline figure against its target."""
    model = registry.entry(name)
    try:
        meta = load_meta(name)
    except WeightsError as e:  # Home lists every model: one missing file must not hide the others
        weights_error(e)
        return None
    line = f"**{model.label}** (`{name}`) · {parameters(meta.get('parameters', 0))} · {model.dataset}"
    if headline := meta.get("headline"):
        line += f" · {headline}"
    value = meta.get("metrics", {}).get(model.metric)
    if model.target and value is not None:
        verdict = "met" if model.meets(value) else "missed"
        line += f" · target: {model.metric.replace('_', ' ')} {model.target} ({verdict})"
    return line


st.title(":material/science: GenLab")
st.markdown(prose("home_intro"))

# Direct links first: on a phone the sidebar starts collapsed, so the menu is out of sight.
pages = list(dict.fromkeys(m.page for m in registry.MODELS if m.page))  # registry order, each page once
links = st.columns(len(pages) + 1)
for col, page in zip(links[:-1], pages, strict=True):
    col.page_link(f"app_pages/{page}.py", icon=":material/arrow_forward:")  # the label is the page's own title
links[-1].page_link(GLOSSARY, label="Glossary", icon=":material/menu_book:")

for page in pages:
    with st.container(border=True):
        st.markdown(prose(f"home_{page}"))
        for name in registry.names(page=page):
            if line := model_line(name):
                st.markdown(line)
        st.page_link(f"app_pages/{page}.py", icon=":material/arrow_forward:")

with st.container(border=True):
    st.markdown(prose("home_helpers"))
    for model in registry.MODELS:
        if model.page is None and (line := model_line(model.name)):
            st.markdown(line)

st.page_link(
    GLOSSARY, label="New words (latent vector, KL, FD, self-attention…)? The glossary explains them.", icon=":material/menu_book:"
)
