"""Plotly figures for the pages: plain functions that take data and return a go.Figure.

No Streamlit here, so each figure is unit-tested on its own; the pages only lay them out.
"""
