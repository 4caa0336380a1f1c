"""GenLab: play with a VAE, a GAN and a character-level GPT.  Run: streamlit run app.py"""
import streamlit as st

from pages._ui import run_page

st.set_page_config(page_title="GenLab", page_icon="🧪", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/latent_space.py", title="Latent Space", icon="🌌", url_path="latent-space"),
    st.Page("pages/gan_training.py", title="GAN Training", icon="🥊", url_path="gan-training"),
    st.Page("pages/gpt_generation.py", title="GPT Generation", icon="✍️", url_path="gpt-generation"),
]
run_page(st.navigation(pages))
