"""Glossary: the words the other pages use, each in a sentence or two (text/en/glossary.md)."""

import streamlit as st

from app_pages._ui import prose

st.title(":material/menu_book: Glossary")
st.markdown("Short, plain definitions of the words the pages use. The other pages link here.")

find = st.text_input("Find a word", key="glossary_find", placeholder="e.g. KL, attention, σ", icon=":material/search:")
entries = prose("glossary").split("\n\n")  # a heading or one definition per paragraph
hits = [e for e in entries if find and not e.startswith("#") and find.casefold() in e.casefold()]
if find and not hits:
    st.caption("No definition mentions that; here is the whole list.")
st.markdown("\n\n".join(hits or entries))
