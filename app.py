"""GenLab: play with a VAE, a GAN and a character-level GPT.  Run: streamlit run app.py

The page files live in app_pages/, not pages/: Streamlit treats a folder named pages/ beside the
entry script as an old-style multipage app until st.navigation first runs, so a visitor who opened
a deep link first after a server start got "Page not found" and the wrong sidebar.
"""
import streamlit as st

from app_pages._ui import run_page

st.set_page_config(page_title="GenLab", page_icon="🧪", layout="wide")

pages = [
    st.Page("app_pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("app_pages/latent_space.py", title="Latent Space", icon="🌌", url_path="latent-space"),
    st.Page("app_pages/gan_training.py", title="GAN Training", icon="🥊", url_path="gan-training"),
    st.Page("app_pages/gpt_generation.py", title="GPT Generation", icon="✍️", url_path="gpt-generation"),
]
run_page(st.navigation(pages))
