"""Glossary: the words the other pages use, each in a sentence or two (text/<language>/glossary.md)."""

import unicodedata

import streamlit as st

from app_pages._ui import prose
from i18n import _


def folded(text: str) -> str:
    """Text compared without case or accents: "funcao" finds "função", "frechet" finds "Fréchet"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


st.title(":material/menu_book: " + _("Glossary"))
st.markdown(_("Short, plain definitions of the words the pages use. The other pages link here."))

find = st.text_input(_("Find a word"), key="glossary_find", placeholder=_("e.g. KL, attention, σ"), icon=":material/search:")
entries = prose("glossary").split("\n\n")  # a heading or one definition per paragraph
hits = [e for e in entries if find and not e.startswith("#") and folded(find) in folded(e)]
if find and not hits:
    st.caption(_("No definition mentions that; here is the whole list."))
st.markdown("\n\n".join(hits or entries))
