import streamlit as st

st.title("gan_training")
st.info("This page is being built.")
