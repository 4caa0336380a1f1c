"""Charts in words (figures/words.py): the one-line text alternative a screen reader reads, from the figure's own data."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go

from figures import gan as gan_figs
from figures import gpt as gpt_figs
from figures import latent as latent_figs
from figures.words import chart_words
from i18n import speaking


def test_a_line_chart_says_each_line_s_last_value_and_step():
    fig = go.Figure([go.Scatter(x=[1, 2, 3], y=[0.9, 0.7, 0.512], name="D loss", mode="lines")])
    fig.add_trace(go.Scatter(x=[1, 2, 3], y=[1.0, 2.0, 1.25], name="<b>G loss</b>", mode="lines"))
    words = chart_words(fig, "Losses")
    assert words == "Losses. D loss: 3 points, last 0.512 at 3; G loss: 3 points, last 1.25 at 3."


def test_a_bar_chart_names_its_tallest_bar_and_numbers_follow_the_language():
    fig = gan_figs.shares_figure([0.05, 0.1, 0.2, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert chart_words(fig, "Shares") == "Shares. 10 bars, the tallest 2 at 0.2."
    with speaking("pt-BR"):
        fig = gan_figs.shares_figure([0.05, 0.1, 0.2, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
        assert chart_words(fig, "Frações") == "Frações. 10 barras, a mais alta 2 em 0,2."


def test_a_heatmap_a_single_point_and_hidden_click_targets():
    heat = gpt_figs.attention_heatmap(np.tril(np.ones((4, 4))) / np.arange(1, 5)[:, None], list("abcd"))
    assert "4 × 4" in chart_words(heat, "Attention")
    mu, labels = np.random.default_rng(0).normal(size=(50, 2)), np.arange(50) % 10
    lo, hi = np.array([-3.0, -3.0]), np.array([3.0, 3.0])
    fig = latent_figs.map_figure(mu, labels, lo, hi, np.array([0.5, -1.25]))
    words = chart_words(fig, "Map")
    assert "one point, at (0.5, -1.25)" in words  # the sliders' z
    assert "click" not in words and "400" not in words  # the invisible click grid is not read out
    assert sum(int(n) for n in re.findall(r"(\d+) points", words)) == 50  # every test digit, once


def test_an_empty_chart_says_why():
    fig = gan_figs.loss_figure({"step": [], "loss_d": [], "loss_g": [], "d_real": [], "d_fake": []})
    assert chart_words(fig, "Losses") == "Losses. Losses (smoothed); Discriminator's output: P(real); No steps yet."
