import streamlit as st

st.title("gpt_generation")
st.info("This page is being built.")
