"""The Latent Space page's figures: the 2-D map of test-set codes (clickable, with the current z), the
per-dimension bars, the interpolation path and the AE-vs-VAE draws. Data in, go.Figure out, its words in
the current language (i18n) and its numbers with the language's decimal mark.
"""

from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.colors import qualitative

from core.vae import latent
from figures.pictures import png_bytes
from i18n import LOCALES, _, language, number, plotly_separators

COLORS = qualitative.T10  # one colour per digit 0-9, shared by the points and the classifier's map
CLICK_CELLS = 80  # invisible click targets per side of the map: a click anywhere lands within half a cell
ZCOLOR = "#FF00FF"  # the current z: magenta, a colour no digit has, seen on dark and light backgrounds
# right above the plot (not at the far edge of the figure, away from a plot shrunk to equal scales), in
# narrow columns: entries as wide as a digit, so 10 fit a row; the one longer name comes last, with room
LEGEND = dict(orientation="h", yanchor="bottom", y=1.01, x=0, entrywidth=14, entrywidthmode="pixels", itemsizing="constant")
MARGIN = dict(l=10, r=10, t=40, b=10)


def separator() -> str:
    """Between the numbers of a vector: ", " where the decimal mark is a point, "; " where it is a comma
    (Brazilian school maths writes the point (1,5; -0,25))."""
    from babel.numbers import get_decimal_symbol

    return "; " if get_decimal_symbol(LOCALES[language()]) == "," else ", "


def coords(values, decimals: int = 2) -> str:
    """A vector's numbers for a sentence: "1.50, -0.25" in English, "1,50; -0,25" in Portuguese."""
    return separator().join(number(float(v), decimals) for v in values)


def hover_point(x: str = "%{x:.2f}", y: str = "%{y:.2f}") -> str:
    """A point in a Plotly hover label, (x, y), with the language's separator (Plotly formats the numbers)."""
    return f"({x}{separator()}{y})"


def png_uri(img: np.ndarray) -> str:
    """A uint8 grey image as a data URI, for a picture inside a Plotly figure."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(img)).decode()


def map_height(lo: torch.Tensor, hi: torch.Tensor, width: int = 520) -> int:
    """A figure height that lets the plane fill `width` pixels (the axes keep equal scales): the plane's
    own height plus 90 px for the legend row and the axis, within reason."""
    return int(np.clip(90 + width * float((hi[1] - lo[1]) / (hi[0] - lo[0])), 300, 700))


def points_figure(mu, labels, lo, hi, *, size=4, opacity=0.75, max_points=None, height=520, index=None) -> go.Figure:
    """Test-set means mu (N, 2) on the plane [lo, hi], one trace (and legend entry) per digit label.
    index: each point's test-digit number when the points are a subset of the test set (else its row)."""
    mu, labels = np.asarray(mu)[:max_points], np.asarray(labels)[:max_points]
    index = np.arange(len(mu)) if index is None else np.asarray(index)[:max_points]
    fig = go.Figure()
    for d in range(10):
        idx = np.flatnonzero(labels == d)
        style = dict(marker=dict(opacity=opacity))  # a click selects one point: keep the others as they were
        fig.add_trace(
            go.Scattergl(
                x=mu[idx, 0],
                y=mu[idx, 1],
                mode="markers",
                name=str(d),
                customdata=index[idx],
                selected=style,
                unselected=style,
                marker=dict(size=size, color=COLORS[d], opacity=opacity),
                hovertemplate=_("a {digit} (test digit #{index})").format(digit=d, index="%{customdata}")
                + f"<br>z = {hover_point()}<extra></extra>",
            )
        )
    fig.update_layout(
        height=height,
        margin=MARGIN,
        legend=dict(LEGEND, title=_("digit")),
        separators=plotly_separators(),
        dragmode="pan",
        clickmode="event+select",
        # equal scales, so distances on screen are distances in latent space; the plot then shrinks to the
        # plane's shape, towards the top left: right under the legend, not centred away from it
        xaxis=dict(
            range=[float(lo[0]), float(hi[0])], title="z1", zeroline=False, showgrid=False, constrain="domain", constraintoward="left"
        ),
        yaxis=dict(
            range=[float(lo[1]), float(hi[1])],
            title="z2",
            zeroline=False,
            showgrid=False,
            constrain="domain",
            constraintoward="top",
            scaleanchor="x",
            scaleratio=1,
        ),
    )
    return fig


def map_figure(mu, labels, lo, hi, z, *, image_uri=None, plane=None, height=None, drawn=None, clickable=True) -> go.Figure:
    """The map to click: test-set means mu (N, 2) over an optional background (the decoded plane as an
    image, or the classifier's reading `plane` = (digit, confidence), each (rows, cols)), with a marker
    at the current z (none if z is None), one at the learner's drawing `drawn` (its mu, if given), and
    invisible click targets covering the plane (see click_grid) unless not clickable."""
    busy = bool(image_uri) or plane is not None
    fig = points_figure(
        mu, labels, lo, hi, size=3 if busy else 4, opacity=0.6 if busy else 0.8, height=height or map_height(lo, hi, 500)
    )
    if image_uri:
        fig.add_layout_image(
            source=image_uri,
            xref="x",
            yref="y",
            x=float(lo[0]),
            y=float(hi[1]),
            sizex=float(hi[0] - lo[0]),
            sizey=float(hi[1] - lo[1]),
            sizing="stretch",
            layer="below",
            opacity=0.8,
        )
    under = [classifier_heatmap(plane[0], lo, hi)] if plane is not None else []
    under += [click_grid(lo, hi, plane)] if clickable else []
    if under:
        fig.add_traces(under)
        fig.data = fig.data[-len(under) :] + fig.data[: -len(under)]  # drawn first, under the points
    if drawn is not None:  # labelled on the plot, not in the legend, whose narrow columns fit digits
        fig.add_trace(drawing_marker(drawn))
        fig.add_annotation(
            x=float(drawn[0]),
            y=float(drawn[1]),
            text=_("your drawing"),
            ax=0,
            ay=-34,
            bgcolor="white",
            bordercolor="black",
            borderpad=2,
            arrowcolor="black",
            standoff=10,
        )
    if z is not None:
        fig.add_trace(current_z_marker(z))  # last: on top of everything
    fig.update_layout(uirevision="map")  # a click redraws the map: keep the learner's zoom and pan
    return fig


def click_grid(lo, hi, plane=None) -> go.Scattergl:
    """Invisible points all over the plane. Plotly selects points, not places: with these, a click on
    empty background still selects a point, and its (x, y) is the latent vector to decode. Their hover
    also tells what the classifier reads there when its `plane` (digit, confidence) is shown."""
    grid = latent.plane_grid(lo, hi, *latent.square_cells(lo, hi, CLICK_CELLS)).numpy()
    hover, read = _("{z}: click to decode").format(z="z = " + hover_point()), None
    if plane is not None:
        digit, confidence = (np.asarray(a) for a in plane)
        rows, cols = digit.shape
        c = np.clip(((grid[:, 0] - float(lo[0])) / float(hi[0] - lo[0]) * cols).astype(int), 0, cols - 1)
        r = np.clip(((float(hi[1]) - grid[:, 1]) / float(hi[1] - lo[1]) * rows).astype(int), 0, rows - 1)
        read = np.stack([digit[r, c], np.round(confidence[r, c] * 100)], axis=1)
        sure = _("the classifier reads a {digit} here ({sure} sure)")
        hover += "<br>" + sure.format(digit="%{customdata[0]}", sure="%{customdata[1]:.0f}%")
    invisible = dict(marker=dict(opacity=0))
    return go.Scattergl(
        x=grid[:, 0],
        y=grid[:, 1],
        mode="markers",
        name="click",
        showlegend=False,
        customdata=read,
        marker=dict(size=6, color="black", opacity=0),
        selected=invisible,
        unselected=invisible,
        hovertemplate=hover + "<extra></extra>",
    )


def classifier_heatmap(digit: np.ndarray, lo, hi) -> go.Heatmap:
    """Which digit the classifier reads in each cell of the decoded plane, in that digit's colour."""
    rows, cols = digit.shape
    centres = latent.plane_grid(lo, hi, cols, rows)
    scale = []
    for d in range(10):  # a stepped colour scale: digit d -> COLORS[d]
        scale += [(d / 10, COLORS[d]), ((d + 1) / 10, COLORS[d])]
    # no hover of its own: it would win over the points; the click grid says what the classifier reads
    return go.Heatmap(
        x=centres[:cols, 0].numpy(),
        y=centres[::cols, 1].numpy(),
        z=np.asarray(digit),
        zmin=-0.5,
        zmax=9.5,
        colorscale=scale,
        showscale=False,
        opacity=0.45,
        name="classifier",
        hoverinfo="skip",
    )


def current_z_marker(z) -> go.Scatter:
    z = [float(v) for v in z]
    return go.Scatter(
        x=[z[0]],
        y=[z[1]],
        mode="markers",
        name=_("z now"),
        marker=dict(symbol="circle-open-dot", size=20, color=ZCOLOR, line=dict(width=3)),
        hovertemplate=_("{z}: what the decoder draws now").format(z="z = " + hover_point()) + "<extra></extra>",
    )


def drawing_marker(mu) -> go.Scatter:
    """Where the encoder puts the learner's own drawing: a white star with a black rim, seen on any background."""
    mu = [float(v) for v in mu]
    return go.Scatter(
        x=[mu[0]],
        y=[mu[1]],
        mode="markers",
        name=_("your drawing"),
        showlegend=False,
        marker=dict(symbol="star", size=24, color="white", line=dict(color="black", width=2)),
        hovertemplate=_("your drawing: μ = {mu}").format(mu=hover_point()) + "<extra></extra>",
    )


def kl_figure(kl, order: list[int]) -> go.Figure:
    """Mean KL per latent dimension (nats), in `order`; the unused ones in grey."""
    values = [float(kl[i]) for i in order]
    fig = go.Figure(
        go.Bar(
            x=[f"z{i + 1}" for i in order],
            y=values,
            marker_color=["#4C78A8" if v >= latent.UNUSED_KL else "#BAB0AC" for v in values],
            hovertemplate=_("{dim}: mean KL {kl} nats").format(dim="%{x}", kl="%{y:.2f}") + "<extra></extra>",
        )
    )
    fig.update_layout(
        height=230,
        margin=dict(l=10, r=10, t=30, b=10),
        separators=plotly_separators(),
        yaxis_title=_("mean KL (nats)"),
        title=dict(text=_("How much each dimension is used"), font_size=14),
    )
    return fig


def code_figure(mu, sigma, order: list[int]) -> go.Figure:
    """One digit's latent code: a bar per dimension at mu, with +-sigma error bars where there is a sigma (VAE)."""
    error = dict(type="data", array=[float(sigma[i]) for i in order], color="#E45756") if sigma is not None else None
    fig = go.Figure(
        go.Bar(
            x=[f"z{i + 1}" for i in order],
            y=[float(mu[i]) for i in order],
            marker_color="#4C78A8",
            error_y=error,
            hovertemplate="%{x}: μ = %{y:.2f}<extra></extra>",
        )
    )
    title = (
        _("This digit's latent code: μ ± σ (the cloud the VAE samples from)")
        if sigma is not None
        else _("This digit's latent code: μ")
    )
    fig.update_layout(
        height=260,
        margin=MARGIN,
        separators=plotly_separators(),
        yaxis_title=_("value"),
        title=dict(text=title, font_size=14),
    )
    return fig


def path_figure(mu, labels, lo, hi, path) -> go.Figure:
    """An interpolation path (steps, 2) drawn over the test-set means."""
    fig = points_figure(mu, labels, lo, hi, size=3, opacity=0.35, max_points=3000, height=map_height(lo, hi, 500))
    path = np.asarray(path)
    fig.add_trace(
        go.Scatter(
            x=path[:, 0],
            y=path[:, 1],
            mode="lines+markers",
            name=_("path"),
            customdata=np.arange(1, len(path) + 1),
            line=dict(color="black", width=2),
            marker=dict(size=7, color="black"),
            hovertemplate=_("frame {n}").format(n="%{customdata}") + "<extra></extra>",
        )
    )
    return fig


def norm_figure(norms: dict[str, np.ndarray], dim: int) -> go.Figure:
    """Distance from the origin along each path ({method: norms}, methods in English: shown translated), against
    sqrt(dim), where N(0, I)'s draws sit."""
    fig = go.Figure([go.Scatter(x=np.linspace(0, 1, len(v)), y=v, name=_(m), mode="lines") for m, v in norms.items()])
    where = _("√{dim}: where draws from N(0, I) sit").format(dim=dim)
    fig.add_hline(y=dim**0.5, line_dash="dot", annotation_position="bottom right", annotation_text=where)
    fig.update_layout(
        height=300,
        margin=MARGIN,
        separators=plotly_separators(),
        xaxis_title=_("position along the path"),
        yaxis_title="‖z‖",
        title=dict(text=_("Distance from the origin along each path"), font_size=14),
    )
    return fig


def draws_figure(mu, labels, lo, hi, z) -> go.Figure:
    """Where one model puts the test digits, and the prior's draws z (n, 2) as crosses on top: as large as
    half the page allows, the legend in one row right above."""
    fig = points_figure(mu, labels, lo, hi, size=3, opacity=0.4, max_points=3000, height=map_height(lo, hi, 400))
    z = np.asarray(z)
    fig.add_trace(
        go.Scatter(
            x=z[:, 0],
            y=z[:, 1],
            mode="markers",
            name=_("prior draws"),
            marker=dict(symbol="x", size=9, color="black"),
            hovertemplate=_("draw at {point}").format(point=hover_point()) + "<extra></extra>",
        )
    )
    return fig


# --- watching the latent space form: the replay of a recorded training and the VAE training live ---

RECON_COLOR, KL_COLOR, TOTAL_COLOR, STEP_COLOR = "#1f77b4", "#ff7f0e", "#555555", "crimson"


def training_extent(mus, floor: float = 3.0) -> tuple[torch.Tensor, torch.Tensor]:
    """One square plane for maps that change: it holds nearly every point of every map given (mus: a list of (N, 2)),
    and at least [-floor, floor]^2, N(0, I)'s home, so a VAE's map and an autoencoder's compare at a glance."""
    reach = max(float(torch.quantile(m.abs().float(), 0.995)) for m in mus)
    r = max(floor, 1.08 * reach)
    return torch.tensor([-r, -r]), torch.tensor([r, r])


def training_map(mu, labels, lo, hi, *, index=None, title: str | None = None, height: int = 440) -> go.Figure:
    """A map of the fixed test digits' mu at one moment (the axes stay put while the points move): one trace per digit.
    Built from plain dicts in one go (Plotly checks them once): the replay redraws two of these per moment."""
    mu, labels = np.asarray(mu, dtype=np.float32), np.asarray(labels)
    index = np.arange(len(mu)) if index is None else np.asarray(index)
    hover = "<br>z = " + hover_point() + "<extra></extra>"
    traces = []
    for d in range(10):
        idx = np.flatnonzero(labels == d)
        traces.append(
            dict(
                type="scattergl",
                x=mu[idx, 0],
                y=mu[idx, 1],
                mode="markers",
                name=str(d),
                customdata=index[idx],
                marker=dict(size=3, color=COLORS[d], opacity=0.7),
                hovertemplate=_("a {digit} (test digit #{index})").format(digit=d, index="%{customdata}") + hover,
            )
        )
    # equal scales, so distances on screen are distances in latent space; the origin marked: where the KL term pulls
    axis = dict(zeroline=True, zerolinecolor="#dddddd", showgrid=False, constrain="domain")
    layout = dict(
        height=height,
        margin=dict(MARGIN, t=70) if title else MARGIN,
        legend=dict(LEGEND, title=dict(text=_("digit"))),
        separators=plotly_separators(),
        dragmode=False,
        uirevision="map",
        xaxis=dict(axis, range=[float(lo[0]), float(hi[0])], title=dict(text="z1"), constraintoward="left"),
        yaxis=dict(
            axis, range=[float(lo[1]), float(hi[1])], title=dict(text="z2"), constraintoward="top", scaleanchor="x", scaleratio=1
        ),
    )
    if title:
        layout["title"] = dict(text=title, x=0, y=0.99, yanchor="top", font=dict(size=14))
    return go.Figure(dict(data=traces, layout=layout))


def loss_curves(
    losses: dict, *, marker_step: int | None = None, variational: bool = True, height: int = 300, empty_note=None
) -> go.Figure:
    """The loss split in two, step by step (smoothed): reconstruction (nats per image) above, the KL term below;
    for the autoencoder only the reconstruction. A red line marks the moment shown. Plain dicts, as training_map."""
    from core.gan.live import smooth_curve

    rows = 2 if variational else 1
    gap = 0.14
    domains = [[0.5 + gap / 2, 1.0], [0.0, 0.5 - gap / 2]] if rows == 2 else [[0.0, 1.0]]
    titles = (_("Reconstruction (nats/image)"), _("KL to N(0, I) (nats/image)"))
    lines = [("recon", _("reconstruction"), RECON_COLOR), ("kl", _("KL"), KL_COLOR)][:rows]
    traces, margin = [], dict(l=10, r=10, t=30, b=10)
    layout = dict(height=height, margin=margin, separators=plotly_separators(), showlegend=False, uirevision="losses")
    layout.update(annotations=[], shapes=[])
    for row, (key, name, colour) in enumerate(lines, start=1):
        x_id, y_id = ("x", "y") if row == 1 else (f"x{row}", f"y{row}")
        x, y = smooth_curve(losses.get("step", []), losses.get(key, []), max_points=400)
        line = dict(color=colour, width=1.6)
        traces.append(dict(type="scatter", x=x, y=y, name=name, mode="lines", line=line, xaxis=x_id, yaxis=y_id))
        bottom = row == rows  # the step axis is written under the lowest chart only
        x_axis = dict(anchor=y_id, showticklabels=bottom, **({"title": dict(text=_("step"))} if bottom else {}))
        layout["xaxis" + x_id[1:]] = x_axis if row == 1 else dict(x_axis, matches="x")
        layout["yaxis" + y_id[1:]] = dict(domain=domains[row - 1], anchor=x_id)
        title = dict(text=titles[row - 1], x=0.5, y=domains[row - 1][1], yanchor="bottom", showarrow=False)
        layout["annotations"].append(dict(title, xref="paper", yref="paper"))
        if marker_step is not None:
            mark = dict(type="line", x0=marker_step, x1=marker_step, xref=x_id, y0=0, y1=1, yref=f"{y_id} domain")
            layout["shapes"].append(dict(mark, line=dict(color=STEP_COLOR, width=2)))
    recon = np.asarray(losses.get("recon", []), dtype=float)
    recon = recon[np.isfinite(recon)]
    if len(recon):  # the first steps' losses (500+) would flatten the rest of the curve
        tail = recon[len(recon) // 10 :] if len(recon) > 20 else recon
        layout["yaxis"]["range"] = [float(np.min(recon)) * 0.97, float(np.percentile(tail, 99)) * 1.15 + 1]
    if empty_note and not len(losses.get("step", [])):
        note = dict(x=0.5, y=0.8, xref="paper", yref="paper", showarrow=False, font=dict(color="#888", size=14))
        layout["annotations"].append(dict(text=empty_note, **note))
    return go.Figure(dict(data=traces, layout=layout))


def live_loss_figure(losses: dict, height: int = 330, empty_note: str | None = None) -> go.Figure:
    """The live VAE's losses: reconstruction, KL and the total the optimiser follows (reconstruction + β·KL)."""
    from core.gan.live import smooth_curve

    fig = loss_curves(losses, height=height, empty_note=empty_note)
    x, y = smooth_curve(losses.get("step", []), losses.get("loss", []), max_points=400)
    total = dict(type="scatter", x=x, y=y, name=_("total (reconstruction + β·KL)"), mode="lines")
    fig.add_trace(dict(total, line=dict(color=TOTAL_COLOR, width=1, dash="dot"), xaxis="x", yaxis="y"))
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=-0.18, yanchor="top", x=0))
    return fig


def replay_moment(replay, i: int, lo, hi, *, title: str | None = None, height: int = 420) -> dict:
    """Everything the replay draws of one recorded moment i of one model (scripts/_bench_vae.py times it): the map of
    the fixed test digits, the decoder's drawings at the fixed grid of latent points, the reconstructions (the
    digits above, their reconstructions below) and the loss curves with the moment marked."""
    from figures.pictures import image_grid

    m = replay.moments[i]
    side = int(round(len(m["grid"]) ** 0.5))
    return {
        "moment": m,
        "map": training_map(m["mu"], m["labels"], lo, hi, index=replay.indices, title=title, height=height),
        "grid": image_grid(m["grid"], ncols=side, pad=1),
        "recons": image_grid(torch.cat([replay.originals, m["recons"]]), ncols=len(replay.originals), pad=1),
        "losses": loss_curves(replay.losses, marker_step=m["step"], variational=replay.variational, height=260),
    }
