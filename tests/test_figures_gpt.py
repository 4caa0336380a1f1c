"""The GPT page's figures (figures/gpt.py), on synthetic data: no model, no Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from figures.gpt import CELL_PX, attention_grid, attention_heatmap, ladder_chart, loss_curve, next_char_bars
from i18n import speaking


def causal_weights(T: int, seed: int = 0) -> np.ndarray:
    """Random attention weights shaped like a head's: lower triangular, each row summing to 1."""
    w = np.tril(np.random.default_rng(seed).random((T, T)))
    return w / w.sum(axis=1, keepdims=True)


def test_next_char_bars_keep_the_order_and_label_every_bar():
    odds = [("e", 0.5), ("·", 0.3), ("↵", 0.15), ("a", 0.05)]
    fig = next_char_bars(odds, "ROMEO:↵")
    assert isinstance(fig, go.Figure)
    [bars] = fig.data
    assert list(bars.x) == ["e", "·", "↵", "a"]  # likeliest first, whitespace made visible by the caller
    assert list(bars.y) == [0.5, 0.3, 0.15, 0.05]
    assert list(bars.text) == ["50%", "30%", "15%", "5%"]
    assert fig.layout.xaxis.type == "category"  # "1" and "3" must not become numbers on a numeric axis
    assert "ROMEO:↵" in fig.layout.title.text


def test_next_char_bars_with_no_odds_is_an_empty_chart():
    assert len(next_char_bars([], "x").data[0].x) == 0


@pytest.mark.parametrize("T", [1, 7, 48])
def test_attention_heatmap_labels_every_row_and_column(T):
    labels = [chr(ord("a") + i % 26) for i in range(T)]
    fig = attention_heatmap(causal_weights(T), labels, title=f"the last {T} characters")
    [heat] = fig.data
    assert np.asarray(heat.z).shape == (T, T)
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        assert list(axis.ticktext) == labels and list(axis.tickvals) == list(range(T))
    assert fig.layout.yaxis.autorange == "reversed"  # the first character at the top, as it is read
    assert heat.zmin == 0 and heat.zmax == 1  # the same colours mean the same weight in every head
    assert heat.customdata[T - 1][0] == f"{labels[-1]} (#{T - 1}) looks at {labels[0]} (#0)"


@pytest.mark.parametrize("T", [9, 48])
def test_attention_heatmap_is_sized_to_its_grid_so_labels_stay_close(T):
    """The visitor saw row labels far from a small grid: the plot shrinks to the cells instead of
    padding its range, and the figure is as big as the grid plus its margins."""
    fig = attention_heatmap(causal_weights(T), ["x"] * T)
    assert fig.layout.xaxis.constrain == "domain" and fig.layout.yaxis.constrain == "domain"
    m = fig.layout.margin
    plot_w, plot_h = fig.layout.width - m.l - m.r, fig.layout.height - m.t - m.b
    assert plot_h == T * CELL_PX
    assert plot_h <= plot_w <= plot_h + 120  # a square grid plus the colour bar, no wide empty band


def test_bigger_windows_give_bigger_heatmaps():
    small, big = (attention_heatmap(causal_weights(T), ["x"] * T) for T in (10, 40))
    assert big.layout.height > small.layout.height and big.layout.width > small.layout.width


def test_attention_heatmap_refuses_labels_that_do_not_fit():
    with pytest.raises(ValueError, match="3 labels"):
        attention_heatmap(causal_weights(4), ["a", "b", "c"])


def test_attention_grid_has_one_panel_per_layer_and_head():
    n_layer, n_head, T = 3, 4, 6
    maps = np.stack([np.stack([causal_weights(T, seed=10 * i + j) for j in range(n_head)]) for i in range(n_layer)])
    fig = attention_grid(maps)
    assert len(fig.data) == n_layer * n_head
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "L1 H1" and titles[-1] == f"L{n_layer} H{n_head}"
    assert np.allclose(fig.data[n_head + 2].z, maps[1, 2])  # row-major: layer 2, head 3
    assert fig.layout.height == 190 * n_layer


def test_loss_curve_draws_train_and_val_against_the_step():
    curve = [{"iter": 0, "train": 4.2, "val": 4.3}, {"iter": 250, "train": 2.1, "val": 2.2}, {"iter": 500, "train": 1.7, "val": 1.9}]
    fig = loss_curve(curve)
    assert [t.name for t in fig.data] == ["train", "val"]
    assert list(fig.data[0].x) == [0, 250, 500]
    assert list(fig.data[1].y) == [4.3, 2.2, 1.9]
    assert "nats" in fig.layout.yaxis.title.text


def test_the_figures_speak_the_learners_language():
    """Titles, axes, legends and hover text in Portuguese, and Portuguese decimal marks on the axes."""
    maps = np.stack([np.stack([causal_weights(5)])])
    curve = [{"iter": 0, "train": 4.2, "val": 4.3}, {"iter": 250, "train": 2.1, "val": 2.2}]
    english = (next_char_bars([("e", 0.5)], "ROMEO:↵"), attention_heatmap(causal_weights(3), ["a", "b", "c"]),
               attention_grid(maps), loss_curve(curve))  # fmt: skip
    with speaking("pt-BR"):
        bars, heat, grid, loss = (next_char_bars([("e", 0.5)], "ROMEO:↵"), attention_heatmap(causal_weights(3), ["a", "b", "c"]),
                                  attention_grid(maps), loss_curve(curve))  # fmt: skip
    assert all(fig.layout.separators == ".," for fig in english)
    assert all(fig.layout.separators == ",." for fig in (bars, heat, grid, loss))
    assert bars.layout.title.text == "Depois de “…ROMEO:↵”, o modelo sorteia…" and bars.layout.yaxis.title.text == "probabilidade"
    assert heat.data[0].customdata[2][0] == "c (#2) olha para a (#0)" and heat.data[0].colorbar.title.text == "peso"
    assert grid.layout.annotations[0].text == "camada 1 · cabeça 1"
    assert [t.name for t in loss.data] == ["treino", "validação"] and loss.layout.xaxis.title.text == "passo"


def test_ladder_chart_shows_every_seed_the_means_and_the_references():
    val = [[2.5, 2.52], [2.3, 2.34], [2.1]]
    train = [[2.45, 2.47], [2.2, 2.22], [1.9]]
    fig = ladder_chart(["1", "2", "3"], val, train, {"GPT": 1.6, "Bigram": 2.49}, picked=1)
    val_mean, val_seeds, train_mean, train_seeds, ring = fig.data
    assert list(val_mean.y) == pytest.approx([2.51, 2.32, 2.1]) and list(train_mean.y) == pytest.approx([2.46, 2.21, 1.9])
    assert list(val_seeds.x) == [0, 0, 1, 1, 2] and list(val_seeds.y) == [2.5, 2.52, 2.3, 2.34, 2.1]  # every seed a dot
    assert len(train_seeds.y) == 5
    assert list(ring.x) == [1] and ring.y[0] == pytest.approx(2.32)  # the rung on show, ringed at its mean
    assert {s.y0 for s in fig.layout.shapes} == {1.6, 2.49}  # the shipped models as reference lines
    assert list(fig.layout.xaxis.ticktext) == ["1", "2", "3"]  # the labels as given
    with speaking("pt-BR"):
        assert ladder_chart(["1"], [[2.5]], [[2.4]], {}).data[0].name == "validação"  # the metadata's key, translated
