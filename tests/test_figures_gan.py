"""The GAN Training page's figures and pictures (figures/gan.py), each on tiny made-up data, without AppTest."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from figures import gan as figs
from figures.pictures import image_grid, png_bytes


def losses(n: int) -> dict[str, list[float]]:
    steps = list(range(1, n + 1))
    return {"step": steps, "loss_d": [1.4] * n, "loss_g": [0.7] * n, "d_real": [0.6] * n, "d_fake": [0.4] * n}


def history_tensors(n_moments: int = 3, n_samples: int = 4) -> dict[str, torch.Tensor]:
    """What gan.history.safetensors holds, in miniature: losses every step, scored moments with samples."""
    g = torch.Generator().manual_seed(0)
    t = {f"loss.{k}": torch.tensor(v, dtype=torch.float32) for k, v in losses(20).items()}
    shares = torch.rand(n_moments, 10, generator=g)
    t.update(
        {
            "moment.step": torch.arange(n_moments) * 10,
            "moment.samples": torch.randint(100, 140, (n_moments, n_samples, 28, 28), generator=g, dtype=torch.uint8),  # faint
            "moment.shares": shares / shares.sum(1, keepdim=True),
            "moment.confident_share": torch.linspace(0, 0.8, n_moments),
            "moment.mean_confidence": torch.linspace(0.5, 0.9, n_moments),
            "moment.fid": torch.linspace(80, 10, n_moments),
        }
    )
    return t


def test_loss_figure_draws_both_players_and_the_moment():
    fig = figs.loss_figure(losses(50), marker_step=25)
    assert [t.name for t in fig.data] == ["D loss", "G loss", "D(x) on real digits", "D(G(z)) on fakes"]
    assert len(fig.layout.shapes) == 3  # D's coin-flip line at 0.5 and the moment in both rows
    assert not fig.layout.annotations[2:]  # only the two subplot titles


def test_loss_figure_smooths_long_runs_and_says_when_there_is_nothing_yet():
    assert len(figs.loss_figure(losses(5000)).data[0].x) <= 600
    empty = figs.loss_figure(losses(0), empty_note="No steps yet: press Start")
    assert len(empty.data) == 4  # the chart keeps its place (and its legend) before the first step
    note = empty.layout.annotations[-1]
    assert note.text == "No steps yet: press Start" and note.y > 0.6  # above the lower chart's title, not on it


def test_shares_figure_labels_every_digit_and_keeps_the_fair_share_label_off_the_bars():
    shares = [0.01] + [0.11] * 9
    fig = figs.shares_figure(shares)
    assert list(fig.layout.xaxis.tickvals) == [str(d) for d in range(10)] and fig.layout.xaxis.type == "category"
    label = fig.layout.annotations[0]
    assert label.text.endswith("10%") and label.xref == "paper" and label.x >= 1 and label.xanchor == "left"  # in the margin
    assert fig.layout.margin.r >= 50
    assert fig.data[0].marker.color[0] == figs.RED and fig.data[0].marker.color[1] == figs.BLUE  # a digit it hardly draws


def test_fid_figure_shows_the_floor_and_the_headline_score():
    fig = figs.fid_figure([0, 10, 20], [80.0, 20.0, 12.8], floor=2.8, marker_step=10, final=(10.2, "finished generator: 10.2"))
    assert [t.name for t in fig.data] == ["Fréchet distance", "real vs real digits: 2.8", "finished generator: 10.2"]
    assert fig.data[2].x == (20,) and fig.data[2].y == (10.2,)  # at the last step, beside the moment's own score
    assert fig.layout.yaxis.type == "log" and fig.layout.shapes[0].x0 == 10
    assert len(figs.fid_figure([0, 10], [5.0, 4.0], None, None).data) == 1


def test_coverage_line():
    fig = figs.coverage_line([0, 50, 100], [0.0, 0.25, 0.5], "Confident share", 1.0, percent=True)
    assert list(fig.data[0].y) == [0.0, 0.25, 0.5] and tuple(fig.layout.yaxis.range) == (0, 1.0)
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.title.text == "Confident share"
    assert tuple(fig.layout.xaxis.range) == (0, 100)
    assert tuple(figs.coverage_line([0], [0.0], "Modes covered", 8.5).layout.xaxis.range) == (0, 100)  # one point: at the left
    assert tuple(figs.coverage_line([0, 500], [0, 8], "Modes covered", 8.5).layout.xaxis.range) == (0, 500)


def test_toy_figure_draws_d_on_the_plane_under_both_point_clouds():
    view = {"ticks": torch.linspace(-3, 3, 5), "d_map": torch.rand(5, 5), "real": torch.randn(20, 2), "fake": torch.randn(30, 2)}
    fig = figs.toy_figure(view, extent=3.0)
    heat, real, fake = fig.data
    assert np.asarray(heat.z).shape == (5, 5) and (heat.zmin, heat.zmax) == (0, 1)
    assert (len(real.x), len(fake.x)) == (20, 30) and fake.name == "generated G(z)"
    assert fig.layout.yaxis.scaleanchor == "x" and tuple(fig.layout.xaxis.range) == (-3.0, 3.0)
    assert fig.layout.uirevision  # zoom and legend clicks survive the redraws


def test_live_figures_before_and_after_the_classifier_scores():
    view = {"losses": losses(0), "moments": [{"step": 0}]}  # no classifier: no class shares
    assert list(figs.live_figures(view, "No steps yet")) == ["losses"]
    moments = [{"step": s, "shares": [0.1] * 10, "confident_share": c} for s, c in ((0, 0.0), (100, 0.2))]
    charts = figs.live_figures({"losses": losses(100), "moments": moments}, "No steps yet")
    assert list(charts) == ["losses", "shares", "confident"]
    assert list(charts["confident"].data[0].y) == [0.0, 0.2]


def test_sample_grid_tiles_uint8_and_float_pictures_alike():
    u8 = torch.randint(0, 256, (6, 28, 28), dtype=torch.uint8)
    grid = image_grid(u8, ncols=3)
    assert grid.dtype == np.uint8 and grid.shape == (2 * 30 + 2, 3 * 30 + 2)  # 2 rows of 3, 2 pixels of padding
    assert (grid[0] == 255).all() and (grid[2:30, 2:30] == u8[0].numpy()).all()
    assert (image_grid(u8.float().div(255).unsqueeze(1), ncols=3) == grid).all()
    assert image_grid(u8, ncols=3, scale=2).shape == (2 * 62, 2 * 92)


def test_stretch_contrast_shows_what_an_untrained_generator_draws():
    flat = torch.full((2, 28, 28), 127, dtype=torch.uint8)
    flat[0, ::2] = 128  # one grey level apart: invisible, as at step 0
    out = figs.stretch_contrast(flat)
    assert out[0].min() == 0 and out[0].max() == 1 and set(out[0].unique().tolist()) == {0.0, 1.0}
    assert torch.isfinite(out[1]).all() and out[1].max() == 0  # a truly constant picture stays flat, with no NaN


def test_replay_moment_has_the_grid_and_three_figures():
    t = history_tensors()
    meta = {"metrics": {"fid_floor": 2.0, "fid": 9.5, "eval_samples": 2000}}
    view = figs.replay_moment(t, meta, 1)
    assert view["moment"]["step"] == 10 and set(view) == {"moment", "grid", "losses", "shares", "fid"}
    assert view["grid"].shape == (3 * (30 + 2), 3 * (4 * 30 + 2))  # four samples in a row, three times enlarged
    assert view["fid"].data[-1].name == "finished generator, 2,000 samples: 9.5"
    assert (figs.replay_moment(t, meta, 1, stretch=True)["grid"] != view["grid"]).any()
    bare = {k: v for k, v in t.items() if k in ("moment.step", "moment.samples") or k.startswith("loss.")}
    assert set(figs.replay_moment(bare, {}, 0)) == {"moment", "grid", "losses"}  # a history made without a classifier


@pytest.mark.parametrize("n_moments, frames", [(3, 24), (40, 24)])
def test_replay_gif_animates_the_sample_grid(n_moments, frames):
    gif = Image.open(io.BytesIO(figs.replay_gif(history_tensors(n_moments), frames=frames, scale=1)))
    assert gif.format == "GIF" and gif.n_frames == min(n_moments, frames) and gif.info["loop"] == 0
    assert gif.size == (4 * 30 + 2, 30 + 2 + 12)  # the grid under a strip for the step label
    durations = []
    for i in range(gif.n_frames):
        gif.seek(i)
        durations.append(gif.info["duration"])
        assert len(set(np.asarray(gif.convert("L")).flatten().tolist())) <= 17  # few greys: a small file
    assert durations[-1] > durations[0]  # the finished digits stay up longer


def test_png_bytes_round_trip():
    img = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    assert (np.asarray(Image.open(io.BytesIO(png_bytes(img)))) == img).all()


def test_the_figures_speak_the_learners_language_with_its_number_separators():
    from i18n import speaking

    english = [figs.loss_figure(losses(5)), figs.shares_figure([0.1] * 10), figs.search_figure([[0.5, 0.4]] * 3)]
    assert all(f.layout.separators == ".," for f in english)
    with speaking("pt-BR"):
        fig = figs.loss_figure(losses(50), empty_note="No steps yet")
        assert [t.name for t in fig.data] == ["perda de D", "perda de G", "D(x) nos dígitos reais", "D(G(z)) nas falsificações"]
        assert [a.text for a in fig.layout.annotations] == ["Perdas (suavizadas)", "Saída da rede discriminadora: P(real)"]
        toy = figs.loss_figure(losses(0), real="D(x) on real points", fake="D(G(z)) on generated points")
        assert [t.name for t in toy.data][2:] == ["D(x) nos pontos reais", "D(G(z)) nos pontos gerados"]
        assert toy.layout.annotations[-1].text == "Nenhum passo ainda"
        shares = figs.shares_figure([0.1] * 10)
        assert shares.layout.annotations[0].text == "parcela<br>justa<br>10%" and shares.layout.xaxis.title.text == "dígito"
        meta = {"metrics": {"fid_floor": 2.76, "fid": 10.155, "eval_samples": 2000}}
        fid = figs.replay_moment(history_tensors(), meta, 1)["fid"]
        names = ["Distância de Fréchet", "dígitos reais contra reais: 2,8", "rede geradora final, 2.000 amostras: 10,2"]
        assert [t.name for t in fid.data] == names
        search = figs.search_figure([[0.5, 0.4]] * 3)
        assert [t.name for t in search.data] == ["cada partida aleatória", "partida 2", "melhor até agora"]
        assert search.data[1].hovertemplate.startswith("partida 2, passo %{x}: %{y:.4f}")
        moments = [{"step": 0, "shares": [0.1] * 10, "confident_share": 0.0}]
        confident = figs.live_figures({"losses": losses(10), "moments": moments}, "")
        assert confident["confident"].layout.title.text == "Amostras com ≥90% de certeza do classificador"
        assert all(f.layout.separators == ",." for f in (fig, shares, fid, search, confident["confident"]))
        gif = figs.replay_gif(history_tensors(3), scale=1)  # the step labels drawn in the frames: "passo 10 de 20"
        assert Image.open(io.BytesIO(gif)).n_frames == 3
