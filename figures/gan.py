"""The GAN Training page's figures and pictures: losses, D's verdicts, class shares, Fréchet distance,
the toy GAN's plane, sample grids and the replay as an animated GIF. Data in, go.Figure (or image) out.

scripts/_bench_gan.py times replay_moment: everything the replay draws for one recorded moment.
Every word goes through _() and every figure's layout sets the language's separators; the words a caller
passes (legend names, notes, titles) are translated here too, so callers may pass them marked with N_().
"""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image, ImageDraw, ImageFont
from plotly.subplots import make_subplots

from core.gan.history import losses_from_tensors, moments_from_tensors
from core.gan.live import smooth_curve
from figures.pictures import image_grid
from i18n import N_, _, number, percent, plotly_separators

BLUE, ORANGE, GREEN, PURPLE, GREY, RED = "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#888888", "crimson"
MARGIN = dict(l=10, r=10, t=40, b=10)


def no_data(fig: go.Figure, note: str, y: float = 0.5) -> go.Figure:
    """A chart with nothing to plot yet keeps its place on the page and says why it is empty."""
    fig.add_annotation(text=note, x=0.5, y=y, xref="paper", yref="paper", showarrow=False, font=dict(color=GREY, size=14))
    return fig


def loss_figure(
    losses: dict,
    marker_step: int | None = None,
    height: int = 380,
    real: str = N_("D(x) on real digits"),
    fake: str = N_("D(G(z)) on fakes"),
    empty_note: str = N_("No steps yet"),
) -> go.Figure:
    """Top: both players' losses. Bottom: D's average verdict on real and on generated data (`real` and `fake`
    name those two lines in the legend)."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(_("Losses (smoothed)"), _("Discriminator's output: P(real)")),
    )
    lines = [
        ("loss_d", _("D loss"), BLUE, 1),
        ("loss_g", _("G loss"), ORANGE, 1),
        ("d_real", _(real), GREEN, 2),
        ("d_fake", _(fake), PURPLE, 2),
    ]
    for key, name, colour, row in lines:
        x, y = smooth_curve(losses["step"], losses[key])
        fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", line=dict(color=colour, width=1.6)), row=row, col=1)
    fig.add_hline(y=0.5, line=dict(color=GREY, dash="dot", width=1), row=2, col=1)  # where D can only guess
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    if marker_step is not None:
        for row in (1, 2):
            fig.add_vline(x=marker_step, line=dict(color=RED, width=2), row=row, col=1)
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        separators=plotly_separators(),
        uirevision="losses",
        legend=dict(orientation="h", y=-0.14, yanchor="top", x=0),
    )
    return fig if len(losses["step"]) else no_data(fig, _(empty_note), y=0.78)  # in the top chart, clear of the lower one's title


def shares_figure(shares: list[float], height: int = 260) -> go.Figure:
    """The mode-collapse meter: the share of samples the classifier files under each digit."""
    fair, digits = 1 / len(shares), [str(d) for d in range(len(shares))]
    colours = [RED if s < fair / 3 else BLUE for s in shares]  # red: a digit the generator barely makes
    hover = _("digit %{x}: %{y:.1%}") + "<extra></extra>"  # Plotly's own placeholders, not Python's
    fig = go.Figure(go.Bar(x=digits, y=shares, marker_color=colours, hovertemplate=hover))
    fig.add_hline(y=fair, line=dict(color=GREY, dash="dash"))
    # the label sits in the right margin, where it cannot cover a bar
    fig.add_annotation(
        text=_("fair<br>share<br>{share}").format(share=percent(fair)),
        x=1,
        xref="paper",
        xanchor="left",
        y=fair,
        yref="y",
        showarrow=False,
        font=dict(color=GREY, size=11),
    )
    fig.update_layout(
        title=_("What the classifier sees in the samples"),
        height=height,
        margin=dict(MARGIN, r=60),
        separators=plotly_separators(),
        yaxis=dict(tickformat=".0%", range=[0, max(0.3, max(shares) * 1.1)]),
        xaxis=dict(title=_("digit"), type="category", tickmode="array", tickvals=digits),  # every digit, not every other one
    )
    return fig


def fid_figure(
    steps: list[int],
    fid: list[float],
    floor: float | None,
    marker_step: int | None,
    final: tuple[float, str] | None = None,
    height: int = 260,
) -> go.Figure:
    """Fréchet distance at each moment (log axis); `final` is the finished generator's headline score and its
    legend entry (already in the learner's language)."""
    fig = go.Figure(
        go.Scatter(x=steps, y=fid, mode="lines+markers", name=_("Fréchet distance"), line=dict(color=BLUE), marker=dict(size=4))
    )
    if floor is not None:  # a legend entry, not an hline annotation: those misplace text on log axes
        fig.add_trace(
            go.Scatter(
                x=[steps[0], steps[-1]],
                y=[floor, floor],
                mode="lines",
                name=_("real vs real digits: {fd}").format(fd=number(floor, 1)),
                line=dict(color=GREEN, dash="dash"),
            )
        )
    if final is not None:
        fig.add_trace(
            go.Scatter(x=[steps[-1]], y=[final[0]], mode="markers", name=final[1], marker=dict(color=ORANGE, size=11, symbol="star"))
        )
    if marker_step is not None:
        fig.add_vline(x=marker_step, line=dict(color=RED, width=2))
    fig.update_layout(
        title=_("Fréchet distance to real digits (lower is better)"),
        height=height,
        margin=MARGIN,
        separators=plotly_separators(),
        yaxis=dict(type="log", dtick=1),
        xaxis_title=_("training step"),
        legend=dict(orientation="h", yanchor="top", y=-0.45, x=0),  # under the axis title, however long its words
    )
    return fig


def coverage_line(
    steps, values, title: str, y_max: float, height: int = 220, percent: bool = False, min_steps: int = 100
) -> go.Figure:
    """A score over training; the step axis starts at 0 and spans at least min_steps (one early point sits at the left)."""
    fig = go.Figure(go.Scatter(x=steps, y=values, mode="lines+markers", line=dict(color=BLUE), marker=dict(size=4)))
    fig.update_layout(
        title=_(title),
        height=height,
        margin=MARGIN,
        separators=plotly_separators(),
        uirevision=title,
        xaxis=dict(title=_("training step"), range=[0, max(steps[-1] if len(steps) else 0, min_steps)]),
        yaxis=dict(range=[0, y_max], tickformat=".0%" if percent else None),
    )
    return fig


def toy_figure(view: dict, extent: float, height: int = 520) -> go.Figure:
    """Real points (green) and generated points (orange) over D's verdict on every point of the plane."""
    ticks = view["ticks"].numpy()
    fig = go.Figure(
        go.Heatmap(
            x=ticks,
            y=ticks,
            z=view["d_map"].numpy(),
            zmin=0,
            zmax=1,
            colorscale="RdBu",
            colorbar=dict(title=_("D: P(real)"), len=0.8),
            hoverinfo="skip",
            opacity=0.75,
        )
    )
    real, fake = view["real"].numpy(), view["fake"].numpy()
    fig.add_trace(
        go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name=_("real data"), marker=dict(color=GREEN, size=4, opacity=0.6))
    )
    fig.add_trace(
        go.Scatter(
            x=fake[:, 0],
            y=fake[:, 1],
            mode="markers",
            name=_("generated G(z)"),
            marker=dict(color=ORANGE, size=4, opacity=0.8, line=dict(color="black", width=0.3)),
        )
    )
    fig.update_xaxes(range=[-extent, extent], constrain="domain")
    fig.update_yaxes(range=[-extent, extent], scaleanchor="x", scaleratio=1)
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=10, b=10),
        separators=plotly_separators(),
        legend=dict(orientation="h", y=1.02, x=0),
        uirevision="toy",
    )
    return fig


def live_figures(view: dict, empty_note: str) -> dict[str, go.Figure]:
    """The live digit GAN's charts: losses, and with a classifier the class shares and the confident share."""
    return {"losses": loss_figure(view["losses"], height=330, empty_note=empty_note)} | class_figures(view["moments"])


def class_figures(moments: list[dict]) -> dict[str, go.Figure]:
    """The class shares at the last moment and the confident share over the moments (none without a classifier).
    They change only when a moment is recorded: the live page builds them again only then."""
    if not moments or "shares" not in moments[-1]:
        return {}
    confident = coverage_line(
        [m["step"] for m in moments],
        [m["confident_share"] for m in moments],
        N_("Samples the classifier is ≥90% sure of"),  # short: the chart is half a column wide
        1.0,
        240,
        percent=True,
    )
    return {"shares": shares_figure(moments[-1]["shares"], height=240), "confident": confident}


def search_figure(losses: list[list[float]], height: int = 300) -> go.Figure:
    """GAN inversion's progress: each random start's pixel loss per Adam step (thin), and the best so far (bold)."""
    fig = go.Figure()
    per_start = np.asarray(losses, dtype=float).reshape(len(losses), -1)  # (steps, starts)
    steps = np.arange(len(per_start))
    for i in range(per_start.shape[1]):
        hover = _("start {n}, step %{{x}}: %{{y:.4f}}").format(n=i + 1)  # Plotly's %{x} and %{y}
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=per_start[:, i],
                mode="lines",
                name=_("start {n}").format(n=i + 1),
                line=dict(color=GREY, width=1),
                opacity=0.6,
                showlegend=i == 0,
                legendgroup="starts",
                hovertemplate=hover + "<extra></extra>",
            )
        )
    if len(per_start):
        fig.data[0].name = _("each random start")
        best = np.minimum.accumulate(per_start.min(1))
        fig.add_trace(
            go.Scatter(
                x=steps, y=best, mode="lines", name=_("best so far"), line=dict(color=ORANGE, width=2.5), hovertemplate="%{y:.4f}"
            )
        )
    fig.update_layout(
        title=_("Pixel loss (lower: closer)"),
        height=height,
        margin=MARGIN,
        separators=plotly_separators(),
        uirevision="search",
        xaxis_title=_("Adam step"),
        yaxis=dict(type="log", dtick=1, title=_("mean squared error")),  # labels at powers of ten only
        legend=dict(orientation="h", yanchor="top", y=-0.3, x=0),  # under the axis title, however long its words
    )
    return fig if len(per_start) else no_data(fig, _("No steps yet"))


# -- pictures ----------------------------------------------------------------------------------


def stretch_contrast(images: torch.Tensor) -> torch.Tensor:
    """Each picture rescaled from its darkest to its brightest pixel: shows patterns too faint to see."""
    x = images.float()
    lo, hi = x.amin((-2, -1), keepdim=True), x.amax((-2, -1), keepdim=True)
    return (x - lo) / (hi - lo).clamp_min(1e-8)


def replay_moment(tensors: dict, meta: dict, i: int, stretch: bool = False) -> dict:
    """Everything the replay shows for saved moment i: the sample grid and three figures."""
    moments = moments_from_tensors(tensors)
    m, metrics = moments[i], meta.get("metrics", {})
    samples = stretch_contrast(m["samples"]) if stretch else m["samples"]
    out = {
        "moment": m,
        "grid": image_grid(samples, ncols=8, scale=3),
        "losses": loss_figure(losses_from_tensors(tensors), marker_step=m["step"]),
    }
    if "shares" in m:
        out["shares"] = shares_figure(m["shares"])
    if "fid" in m:
        final = None  # the headline score of the finished generator (scripts/evaluate.py), beside the moments' own
        if {"fid", "eval_samples"} <= metrics.keys():
            label = _("finished generator, {n} samples: {fd}").format(n=number(metrics["eval_samples"]), fd=number(metrics["fid"], 1))
            final = (metrics["fid"], label)
        out["fid"] = fid_figure([x["step"] for x in moments], [x["fid"] for x in moments], metrics.get("fid_floor"), m["step"], final)
    return out


def replay_gif(tensors: dict, frames: int = 24, ncols: int = 8, scale: int = 2, ms: int = 250) -> bytes:
    """The recorded training as an animated GIF: the sample grid at `frames` moments spread over the run,
    each labelled with its step; the last frame stays up longer. 17 grey levels keep it near half a megabyte."""
    steps, samples = tensors["moment.step"].tolist(), tensors["moment.samples"]
    picks = sorted({round(float(i)) for i in np.linspace(0, len(steps) - 1, min(frames, len(steps)))})
    font, band = ImageFont.load_default(size=7 * scale), 12 * scale  # the step label's strip above the grid
    pictures = []
    for i in picks:
        grid = Image.fromarray(image_grid(samples[i], ncols, scale))
        frame = Image.new("L", (grid.width, grid.height + band), 255)
        frame.paste(grid, (0, band))
        label = _("step {step} of {last}").format(step=number(steps[i]), last=number(steps[-1]))
        ImageDraw.Draw(frame).text((2 * scale, scale), label, fill=0, font=font)
        pictures.append(frame.point(lambda v: min(255, round(v / 16) * 16)))  # 17 greys, not 256: about 2.5x smaller
    buf = io.BytesIO()
    durations = [ms] * (len(pictures) - 1) + [ms * 8]
    pictures[0].save(buf, format="GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0)
    return buf.getvalue()
