import streamlit as st

st.title("latent_space")
st.info("This page is being built.")
