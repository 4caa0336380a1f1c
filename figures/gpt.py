"""The GPT page's figures: the odds of the next character, attention heatmaps, the training curve.

Each function takes plain data (lists, NumPy arrays) and returns a go.Figure; no Streamlit, no model.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from i18n import N_, _, percent, plotly_separators

BLUE = "#4C78A8"
CELL_PX = 18  # one attention cell: big enough for a 13 px label beside every row and column
AXIS_PX = (70, 60, 20, 30)  # margins left, bottom, right, top: room for the axis titles, not more
SPLITS = (N_("train"), N_("val"))  # the loss curve's two lines: the metadata's keys, shown translated


def next_char_bars(odds: list[tuple[str, float]], context: str) -> go.Figure:
    """Bars of the likeliest next characters. odds: (visible character, probability), likeliest first;
    context: the visible end of the text the model continues, shown in the title."""
    chars, probs = [c for c, _p in odds], [p for _c, p in odds]
    fig = go.Figure(
        go.Bar(
            x=chars,
            y=probs,
            text=[percent(p) for p in probs],
            textposition="outside",
            cliponaxis=False,  # the tallest bar's percentage may stand above the plot area
            marker_color=BLUE,
            hovertemplate="%{x}: %{y:.2%}<extra></extra>",
        )
    )
    fig.update_layout(
        height=380,
        margin=dict(t=50, b=40, l=50, r=20),
        separators=plotly_separators(),
        title=_("After “…{context}”, the model draws…").format(context=context),
        xaxis=dict(title=_("next character (↵ newline, · space)"), type="category", tickfont_size=16),
        yaxis=dict(title=_("probability"), tickformat=".0%"),
    )
    return fig


def attention_heatmap(weights: np.ndarray, labels: list[str], title: str = "") -> go.Figure:
    """One head's attention: weights[q, k] is how much query position q takes from key position k.

    The figure is sized to the grid (square cells of CELL_PX) instead of stretched to the page, so the
    character labels sit right beside their rows and columns however few characters there are. A title,
    if any, must fit that width: a page with a long one writes it above the chart instead.
    """
    weights = np.asarray(weights, dtype=float)
    T = len(labels)
    if weights.shape != (T, T):
        raise ValueError(f"weights must be ({T}, {T}) for {T} labels, got {weights.shape}")
    looks = _("{query} (#{q}) looks at {key} (#{k})")
    hover = [[looks.format(query=labels[q], q=q, key=labels[k], k=k) for k in range(T)] for q in range(T)]
    ticks = dict(
        tickmode="array",
        tickvals=list(range(T)),
        ticktext=labels,
        tickfont_size=13,
        tickangle=0,
        showgrid=False,
        zeroline=False,
        constrain="domain",  # shrink the plot, not pad its range: labels stay next to the cells
    )
    fig = go.Figure(
        go.Heatmap(
            z=weights,
            x=list(range(T)),
            y=list(range(T)),
            colorscale="Blues",
            zmin=0,
            zmax=1,
            customdata=hover,
            hovertemplate="%{customdata}: %{z:.2f}<extra></extra>",
            colorbar=dict(title=_("weight"), thickness=12),
        )
    )
    left, bottom, right, top = AXIS_PX
    top += 30 if title else 0
    grid = max(T, 8) * CELL_PX
    fig.update_layout(
        width=left + grid + right + 90,  # + the colour bar
        height=top + grid + bottom,
        margin=dict(l=left, b=bottom, r=right, t=top),
        separators=plotly_separators(),
        title=title,
        xaxis=dict(title=_("…looks back at this character (key)"), **ticks),
        yaxis=dict(title=_("this character (query)…"), autorange="reversed", scaleanchor="x", **ticks),
    )
    return fig


def attention_grid(maps: np.ndarray) -> go.Figure:
    """Every head of every layer at a glance: maps is (n_layer, n_head, T, T); rows are layers."""
    maps = np.asarray(maps, dtype=float)
    n_layer, n_head = maps.shape[:2]
    fig = make_subplots(
        rows=n_layer,
        cols=n_head,
        horizontal_spacing=0.02,
        vertical_spacing=0.03,
        subplot_titles=[_("L{layer} H{head}").format(layer=i + 1, head=j + 1) for i in range(n_layer) for j in range(n_head)],
    )
    for i in range(n_layer):
        for j in range(n_head):
            heat = go.Heatmap(z=maps[i, j], colorscale="Blues", showscale=False, zmin=0, zmax=1, hoverinfo="skip")
            fig.add_trace(heat, row=i + 1, col=j + 1)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    fig.update_layout(height=190 * n_layer, margin=dict(t=30, b=10, l=10, r=10), separators=plotly_separators())
    return fig


def loss_curve(curve: list[dict]) -> go.Figure:
    """Training and validation loss against the step: curve is [{"iter", "train", "val"}, …]."""
    steps = [c["iter"] for c in curve]
    fig = go.Figure([go.Scatter(x=steps, y=[c[split] for c in curve], name=_(split), mode="lines+markers") for split in SPLITS])
    fig.update_layout(
        height=300,
        margin=dict(t=40, b=40, l=50, r=20),
        separators=plotly_separators(),
        title=_("Loss during training"),
        xaxis_title=_("step"),
        yaxis_title=_("loss (nats per character)"),
    )
    return fig


def ladder_chart(labels: list[str], val: list[list[float]], train: list[list[float]], references: dict[str, float],
                 picked: int | None = None) -> go.Figure:  # fmt: skip
    """The lecture ladder: each rung's loss at every seed it was trained with (val[i], train[i]), the
    mean joined by a line, and the references (a label -> a loss) as horizontal lines. picked: the rung
    ringed as the one on show."""
    x = list(range(len(labels)))
    fig = go.Figure()
    for split, losses, dash in ((N_("val"), val, "solid"), (N_("train"), train, "dot")):
        means = [float(np.mean(seeds)) for seeds in losses]
        fig.add_trace(go.Scatter(x=x, y=means, name=_(split), mode="lines", line=dict(dash=dash), legendgroup=split))
        fig.add_trace(
            go.Scatter(
                x=[i for i, seeds in enumerate(losses) for _seed in seeds],
                y=[v for seeds in losses for v in seeds],
                mode="markers",
                marker=dict(size=8, opacity=0.7),
                name=_("{split}, each seed").format(split=_(split)),
                legendgroup=split,
                hovertemplate="%{y:.3f}<extra></extra>",
            )
        )
    for label, loss in references.items():
        fig.add_hline(y=loss, line=dict(color="grey", dash="dash", width=1), annotation_text=label,
                      annotation_position="top right")  # fmt: skip
    if picked is not None:
        y = float(np.mean(val[picked]))
        fig.add_trace(go.Scatter(x=[picked], y=[y], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(size=20, color="rgba(0,0,0,0)", line=dict(color="#E45756", width=3))))  # fmt: skip
    fig.update_layout(
        height=380,
        margin=dict(t=40, b=40, l=50, r=20),
        separators=plotly_separators(),
        title=_("Loss of each rung after the same training"),
        xaxis=dict(tickmode="array", tickvals=x, ticktext=labels),
        yaxis_title=_("loss (nats per character)"),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
    )
    return fig
