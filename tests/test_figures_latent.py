"""The Latent Space page's figures (figures/latent.py), each on a few synthetic points: no AppTest, no weights."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from core.vae import latent
from figures import latent as figs
from figures.pictures import png_bytes
from i18n import speaking

LO, HI = torch.tensor([-4.0, -2.0]), torch.tensor([4.0, 2.0])  # a plane twice as wide as tall


@pytest.fixture
def codes():
    """20 codes on the plane, two per digit, and their labels."""
    g = torch.Generator().manual_seed(0)
    return torch.rand(20, 2, generator=g) * (HI - LO) + LO, torch.arange(20) % 10


def trace(fig, name: str):
    return next(t for t in fig.data if t.name == name)


def test_png_bytes_and_uri_hold_the_image():
    img = np.arange(28 * 56, dtype=np.uint8).reshape(28, 56)
    back = np.asarray(Image.open(io.BytesIO(png_bytes(img))))
    assert back.shape == (28, 56) and (back == img).all()
    assert figs.png_uri(img).startswith("data:image/png;base64,")


def test_map_height_follows_the_plane_within_limits():
    assert figs.map_height(torch.tensor([0.0, 0.0]), torch.tensor([4.0, 3.0])) == 90 + 390  # 3/4 as tall as wide
    assert figs.map_height(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 10.0])) == 700
    assert figs.map_height(torch.tensor([0.0, 0.0]), torch.tensor([10.0, 1.0])) == 300


def test_points_figure_has_one_trace_per_digit_on_equal_axes(codes):
    mu, labels = codes
    fig = figs.points_figure(mu, labels, LO, HI)
    assert [t.name for t in fig.data] == [str(d) for d in range(10)]
    for d, t in enumerate(fig.data):
        assert len(t.x) == 2 and set(t.customdata) == set(np.flatnonzero(labels.numpy() == d))
        assert t.marker.color == figs.COLORS[d]
        assert t.unselected.marker.opacity == t.marker.opacity  # a click does not fade the other points
    assert fig.layout.xaxis.title.text == "z1" and fig.layout.yaxis.title.text == "z2"
    assert list(fig.layout.xaxis.range) == [-4.0, 4.0] and list(fig.layout.yaxis.range) == [-2.0, 2.0]
    assert fig.layout.yaxis.scaleanchor == "x"
    assert sum(len(t.x) for t in figs.points_figure(mu, labels, LO, HI, max_points=5).data) == 5


def test_points_figure_puts_the_legend_right_above_the_plot(codes):
    legend = figs.points_figure(*codes, LO, HI).layout.legend
    assert legend.orientation == "h" and legend.y >= 1 and legend.yanchor == "bottom"
    layout = figs.points_figure(*codes, LO, HI).layout  # a plot shrunk to equal scales stays right under it
    assert layout.yaxis.constraintoward == "top" and layout.xaxis.constraintoward == "left"


def test_map_figure_marks_the_current_z_on_top(codes):
    fig = figs.map_figure(*codes, LO, HI, torch.tensor([1.5, -0.5]))
    marker = fig.data[-1]
    assert marker.name == "z now" and (marker.x, marker.y) == ((1.5,), (-0.5,))
    assert marker.marker.size >= 12  # easy to find among the dots
    assert fig.layout.uirevision  # a redraw after a click keeps the zoom


def test_map_figure_can_be_clicked_anywhere(codes):
    fig = figs.map_figure(*codes, LO, HI, torch.zeros(2))
    grid = trace(fig, "click")
    assert grid.showlegend is False and grid.marker.opacity == 0 and grid.selected.marker.opacity == 0
    x, y = np.asarray(grid.x), np.asarray(grid.y)
    assert len(x) >= 40 * 20  # a dense grid, not a few points
    cell = 8 / figs.CLICK_CELLS
    assert x.min() <= -4 + cell and x.max() >= 4 - cell and y.min() <= -2 + cell and y.max() >= 2 - cell
    # the spot between the test codes that a click picks decodes to exactly that spot
    i = int(np.argmin((x - 3.0) ** 2 + (y + 1.0) ** 2))
    z = latent.click_to_latent({"points": [{"x": float(x[i]), "y": float(y[i]), "curve_number": 0}]}, LO, HI)
    assert z.tolist() == pytest.approx([x[i], y[i]]) and z.tolist() == pytest.approx([3.0, -1.0], abs=cell)


def test_map_figure_backgrounds(codes):
    plain = figs.map_figure(*codes, LO, HI, torch.zeros(2))
    assert not plain.layout.images and plain.data[0].name == "click"
    decoded = figs.map_figure(*codes, LO, HI, torch.zeros(2), image_uri="data:image/png;base64,AAAA")
    (image,) = decoded.layout.images
    assert image.layer == "below" and (image.x, image.y, image.sizex, image.sizey) == (-4.0, 2.0, 8.0, 4.0)

    digit = np.tile(np.arange(4), (2, 1))  # 2 rows x 4 cols: the classifier reads the column number
    confidence = np.full((2, 4), 0.5)
    fig = figs.map_figure(*codes, LO, HI, torch.zeros(2), plane=(digit, confidence))
    heat = fig.data[0]
    assert heat.type == "heatmap" and heat.hoverinfo == "skip" and heat.zmin == -0.5 and heat.zmax == 9.5
    grid = trace(fig, "click")
    read = np.asarray(grid.customdata)
    assert (read[:, 0] == np.clip(((np.asarray(grid.x) + 4) / 2).astype(int), 0, 3)).all()  # its cell's digit
    assert (read[:, 1] == 50).all() and "classifier reads" in grid.hovertemplate


def test_kl_figure_greys_out_unused_dimensions():
    fig = figs.kl_figure(torch.tensor([0.01, 2.0, 0.5]), [1, 2, 0])
    bar = fig.data[0]
    assert list(bar.x) == ["z2", "z3", "z1"] and list(bar.y) == pytest.approx([2.0, 0.5, 0.01])
    assert bar.marker.color[0] == bar.marker.color[1] != bar.marker.color[2]
    assert fig.layout.yaxis.title.text == "mean KL (nats)"


def test_code_figure_shows_sigma_only_for_a_vae():
    mu, sigma = torch.tensor([0.5, -1.0]), torch.tensor([0.1, 0.2])
    vae = figs.code_figure(mu, sigma, [1, 0])
    assert list(vae.data[0].x) == ["z2", "z1"] and list(vae.data[0].error_y.array) == pytest.approx([0.2, 0.1])
    assert "± σ" in vae.layout.title.text
    ae = figs.code_figure(mu, None, [0, 1])
    assert ae.data[0].error_y.array is None and "σ" not in ae.layout.title.text


def test_path_figure_draws_every_frame(codes):
    path = latent.interpolate(torch.tensor([-3.0, -1.0]), torch.tensor([3.0, 1.0]), 5)
    line = trace(figs.path_figure(*codes, LO, HI, path), "path")
    assert line.mode == "lines+markers" and list(line.x) == pytest.approx(path[:, 0].tolist())
    assert list(line.customdata) == [1, 2, 3, 4, 5]


def test_norm_figure_compares_paths_with_the_prior_shell():
    norms = {"linear": np.linspace(4, 2, 50), "spherical": np.full(50, 4.0)}
    fig = figs.norm_figure(norms, 16)
    assert [t.name for t in fig.data] == ["linear", "spherical"]
    assert fig.layout.shapes[0].y0 == 4.0 and "√16" in fig.layout.annotations[0].text
    assert fig.layout.xaxis.title.text == "position along the path" and fig.layout.yaxis.title.text == "‖z‖"


def test_draws_figure_is_large_and_names_the_draws_in_its_legend(codes):
    z = latent.prior_draws(8, 2, seed=0)
    fig = figs.draws_figure(*codes, LO, HI, z)
    draws = fig.data[-1]
    assert draws.name == "prior draws" and draws.marker.symbol == "x" and len(draws.x) == 8
    assert draws.showlegend is not False and fig.layout.legend.orientation == "h" and fig.layout.legend.y >= 1
    square = figs.draws_figure(*codes, torch.tensor([-4.0, -4.0]), torch.tensor([4.0, 4.0]), z)
    assert square.layout.height >= 450  # the plane fills a half-page column


def test_cover_widens_the_view_to_every_draw():
    lo, hi = latent.cover(LO, HI, torch.tensor([[5.0, 0.0], [0.0, -3.0]]), margin=0.5)
    assert lo.tolist() == [-4.0, -3.5] and hi.tolist() == [5.5, 2.0]


def test_slider_order_keeps_a_plane_and_sorts_many_dimensions():
    assert latent.slider_order(torch.tensor([0.1, 3.0])) == [0, 1]
    assert latent.slider_order(torch.tensor([0.1, 3.0, 1.0])) == [1, 2, 0]


def test_coordinates_follow_the_language():
    assert figs.coords([1.5, -0.25]) == "1.50, -0.25" and figs.coords([0.1234], 3) == "0.123"
    assert figs.hover_point() == "(%{x:.2f}, %{y:.2f})"
    with speaking("pt-BR"):  # a decimal comma: the numbers of a vector are set apart with semicolons
        assert figs.coords([1.5, -0.25]) == "1,50; -0,25" and figs.hover_point() == "(%{x:.2f}; %{y:.2f})"


def test_figures_speak_portuguese(codes):
    mu, labels = codes
    with speaking("pt-BR"):
        fig = figs.map_figure(mu, labels, LO, HI, torch.zeros(2), drawn=torch.tensor([1.0, 1.0]))
        kl = figs.kl_figure(torch.tensor([0.01, 2.0]), [1, 0])
        code = figs.code_figure(torch.tensor([0.5, -1.0]), torch.tensor([0.1, 0.2]), [0, 1])
        norms = figs.norm_figure({"linear": np.ones(5), "spherical": np.ones(5)}, 16)
        path = figs.path_figure(mu, labels, LO, HI, latent.interpolate(torch.zeros(2), torch.ones(2), 3))
        draws = figs.draws_figure(mu, labels, LO, HI, latent.prior_draws(4, 2, seed=0))
    assert fig.layout.separators == ",." and fig.layout.legend.title.text == "dígito"
    assert trace(fig, "z atual").hovertemplate.startswith("z = (%{x:.2f}; %{y:.2f}): o que o decoder desenha agora")
    assert trace(fig, "seu desenho") and fig.layout.annotations[0].text == "seu desenho"
    assert "clique para decodificar" in trace(fig, "click").hovertemplate
    assert "dígito de teste nº %{customdata}" in fig.data[1].hovertemplate
    assert kl.layout.yaxis.title.text == "KL média (nats)" and kl.layout.separators == ",."
    assert code.layout.title.text.startswith("Código latente deste dígito: μ ± σ")
    assert [t.name for t in norms.data] == ["linear", "esférico"] and "onde ficam as amostras" in norms.layout.annotations[0].text
    assert trace(path, "caminho").hovertemplate.startswith("quadro ")
    assert draws.data[-1].name == "amostras"  # short: the legend's last entry has little room
