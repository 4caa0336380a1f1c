"""GenLab: play with a VAE, a GAN and a character-level GPT.  Run: streamlit run app.py

The page files live in app_pages/, not pages/: Streamlit treats a folder named pages/ beside the
entry script as an old-style multipage app until st.navigation first runs, so a visitor who opened
a deep link first after a server start got "Page not found" and the wrong sidebar.

Icons are Material Symbols (":material/name:"), which ship with Streamlit: emoji need a font many
machines lack, and there they showed as empty boxes.
"""

import streamlit as st

from app_pages._ui import choose_language, run_page
from app_pages.loaders import start_text_generator
from i18n import _

st.set_page_config(page_title="GenLab", page_icon=":material/science:", layout="wide")
choose_language()
start_text_generator()  # once per server: the first Generate finds it ready

pages = [
    st.Page("app_pages/home.py", title=_("Home"), icon=":material/home:", default=True),
    st.Page("app_pages/latent_space.py", title=_("Latent Space"), icon=":material/scatter_plot:", url_path="latent-space"),
    st.Page("app_pages/gan_training.py", title=_("GAN Training"), icon=":material/model_training:", url_path="gan-training"),
    st.Page("app_pages/gpt_generation.py", title=_("GPT Generation"), icon=":material/edit_note:", url_path="gpt-generation"),
    st.Page("app_pages/glossary.py", title=_("Glossary"), icon=":material/menu_book:", url_path="glossary"),
]
run_page(st.navigation(pages))
