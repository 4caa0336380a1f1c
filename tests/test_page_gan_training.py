"""The GAN Training page through AppTest, on tiny model files made here (fast, and independent of the
shipped weights), plus one pass over the shipped weights when they are present."""

from __future__ import annotations

import json
import re
import shutil
import time
import types

import numpy as np
import pytest
import torch
from test_i18n import SHOWN_BY, english_shown, portuguese_app

from app_pages import drawing
from conftest import ROOT, no_errors
from core.gan.history import TrainingHistory
from core.gan.model import GANConfig, GANTrainer, TrainSettings, mnist_sampler, new_mnist_gan
from core.mnist.classifier import ClassifierConfig, DigitClassifier
from core.training.checkpoint import save_checkpoint, save_tensors
from core.training.data import DataUnavailableError

PAGE = "app_pages/gan_training.py"
CMD = "python scripts/train_gan.py"
TINY = GANConfig(latent_dim=8, g_channels=4, d_channels=4)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def gan_weights(tmp_path, monkeypatch):
    """A weights folder with a tiny classifier, a tiny generator and a 3-moment training history."""
    d = tmp_path / "weights"
    classifier = DigitClassifier(ClassifierConfig(channels=4, features=8)).eval()
    save_checkpoint(classifier, "classifier", {"config": {"channels": 4, "features": 8, "dropout": 0.25}}, d)
    gen = torch.Generator().manual_seed(0)
    G, D = new_mnist_gan(TINY, gen)
    digits = torch.rand(32, 1, 28, 28, generator=gen)
    trainer = GANTrainer(G, D, mnist_sampler(digits), TINY.latent_dim, TrainSettings(batch_size=8), gen)
    history = TrainingHistory(
        torch.randn(64, TINY.latent_dim, generator=gen), classifier, classifier.features(digits).detach(), n_eval=64
    )
    history.snapshot(G, 0)
    for step in range(1, 11):
        history.log(trainer.step())
        if step in (5, 10):
            history.snapshot(G, step)
    metrics = {"fid_floor": 1.5, "confident_share": 0.5, "fid": 3.25, "eval_samples": 2000, "eval_seed": 12345}
    save_checkpoint(
        G,
        "gan",
        {
            "config": {"latent_dim": 8, "g_channels": 4, "d_channels": 4},
            "steps": 10,
            "epochs": 0.1,
            "hardware": "a test",
            "metrics": metrics,
            "headline": "50% confident digits, FD 3.2",
        },
        d,
    )
    save_tensors(
        d / "gan.history.safetensors",
        {**history.to_tensors(), "digits": (digits * 255).to(torch.uint8), "digit_labels": torch.arange(32)},
    )
    monkeypatch.setenv("GENLAB_WEIGHTS", str(d))
    return d, history


@pytest.fixture
def page(app, gan_weights, tiny_mnist, monkeypatch):
    monkeypatch.setenv("GENLAB_DATA", str(tiny_mnist))
    app.switch_page(PAGE).run()
    no_errors(app)
    return app


TABS = {
    "replay": "Replay the training",
    "live": "Train one live",
    "toy": "Toy 2-D GAN",
    "explore": "Explore the generator",
    "find": "Find my digit",
}


def open_tab(at, name: str):
    open_tab_allowing_errors(at, name)
    no_errors(at)
    return at


def open_tab_allowing_errors(at, name: str):
    at.session_state["gan_tab"] = next(t.label for t in at.tabs if t.label.endswith(TABS[name]))
    at.run()
    return at


def until(condition, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)
    return condition()


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


# -- replay ----------------------------------------------------------------------------------


def test_replay_scrubber_changes_the_shown_moment(page, gan_weights):
    _, history = gan_weights
    assert "**Step 10** of 10" in markdown_text(page)  # opens at the end of training
    assert "hinge loss" not in markdown_text(page)  # the fixture's run used the cross-entropy the page explains
    grid = page.image[0].value
    page.select_slider(key="replay_step").set_value(5).run()
    no_errors(page)
    assert "**Step 5** of 10" in markdown_text(page)
    n = len(history.moments)  # the slider moves by recorded moment: it says so, and where its ends are
    assert page.select_slider(key="replay_step").label.startswith(f"Recorded moment (step): {n} moments")
    assert f"Moment 2 of {n} · steps 0 to 10" in [c.value for c in page.caption]
    assert page.image[0].value != grid  # another picture of the same noise
    moment = history.moments[1]
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Confident"] == f"{moment['confident_share']:.0%}"
    assert metrics["Fréchet distance"] == f"{moment['fid']:.1f}"
    assert len(page.get("plotly_chart")) == 3  # losses, class shares, Fréchet distance


def test_replay_says_when_the_shipped_run_used_the_hinge_loss(app, gan_weights, tiny_mnist, monkeypatch):
    d, _ = gan_weights
    meta = json.loads((d / "gan.json").read_text())
    (d / "gan.json").write_text(json.dumps({**meta, "loss": "hinge"}))
    monkeypatch.setenv("GENLAB_DATA", str(tiny_mnist))
    app.switch_page(PAGE).run()
    no_errors(app)
    assert "**hinge loss**" in markdown_text(app)  # its losses are not the cross-entropy the page explains


def test_page_uses_material_icons_and_links_the_glossary(page):
    """Emoji showed as empty boxes on machines without an emoji font; Material icons ship with Streamlit."""
    assert [t.label for t in page.tabs] == list(TABS.values())  # plain words: a tab's label is its value in the URL
    assert all(b.proto.icon.startswith(":material/") for b in page.button)
    assert [p.proto.page for p in page.get("page_link")] == ["glossary"]


def test_the_page_and_its_texts_use_no_emoji():
    """Pictographs need an emoji font (without one they are empty boxes); Material icons need none."""
    emoji = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u23e9-\u23fa\u2b50\u2b55\ufe0f]")
    files = [ROOT / PAGE, ROOT / "figures" / "gan.py", *sorted((ROOT / "text" / "en").glob("gan_*.md"))]
    assert len(files) > 5
    for path in files:
        assert not emoji.findall(path.read_text(encoding="utf-8")), path


def test_replay_explains_the_untrained_generator(page, gan_weights):
    """Step 0 is a flat grey square for every noise vector, and the page says so instead of promising static."""
    _, history = gan_weights
    first = history.moments[0]
    assert int(first["samples"].max()) - int(first["samples"].min()) <= 8  # the tiny generator starts flat too
    page.select_slider(key="replay_step").set_value(0).run()
    no_errors(page)
    text = markdown_text(page)
    assert "flat grey squares, not static" in text and f"Confident is {first['confident_share']:.0%}" in text
    assert "static into" not in text
    plain = page.image[0].value
    page.toggle(key="replay_stretch").set_value(True).run()
    no_errors(page)
    assert page.image[0].value != plain  # stretched: the faint pattern becomes visible


def test_replay_last_moment_explains_the_headline(page, gan_weights):
    """The last moment's own scores differ from Home's headline (evaluate.py's samples): the page says why."""
    _, history = gan_weights
    last = history.moments[-1]
    text = markdown_text(page)
    assert "Home says 50% and FD 3.2" in text and f"FD {last['fid']:.1f}" in text  # on the page, in a learner's words
    assert any("target: confident share ≥ 0.85, not met" in c.value for c in page.caption)  # the registry's target
    # the builder's details (the command, sample sizes and the Fréchet distance's bias) wait in an expander
    [builders] = [e for e in page.expander if e.label == "How this generator was made and scored"]
    inside = " ".join(m.value for m in builders.markdown)
    assert "python scripts/train_gan.py" in inside and "Why Home says 50% and FD 3.2" in inside and "2,000 samples" in inside
    assert not any("python scripts/" in c.value for c in page.caption)


def test_replay_downloads(page):
    assert {d.proto.label for d in page.get("download_button")} == {"This grid (PNG)", "The training (GIF)"}


def test_replay_play_starts_from_the_beginning_and_pauses(page):
    page.button(key="replay_play").click().run()
    no_errors(page)
    assert page.session_state["replay_playing"]
    # the play fragment already advanced once, from step 0 to the next saved moment
    assert page.session_state["replay_step"] == 5
    page.button(key="replay_play").click().run()
    no_errors(page)
    assert not page.session_state["replay_playing"]


# -- live training ---------------------------------------------------------------------------


def test_live_step_advances_one_step_and_reset_clears_it(page):
    at = open_tab(page, "live")
    assert any("MNIST's 256 training digits." in c.value for c in at.caption)  # not the server's folder
    assert at.session_state["live_gan"].steps == 0
    at.button(key="live_step").click().run()
    no_errors(at)
    assert at.session_state["live_gan"].steps == 1
    assert "**Step 1**" in markdown_text(at)
    at.button(key="live_reset").click().run()
    no_errors(at)
    assert at.session_state["live_gan"].steps == 0
    assert "**Step 0**" in markdown_text(at)


def test_live_charts_keep_their_places_before_the_first_step(page):
    """Every chart is there from step 0 (a chart that appears later shifts everything under it on a redraw)."""
    at = open_tab(page, "live")
    assert [c.proto.id != "" for c in at.get("plotly_chart")] == [True] * 3  # losses, class shares, confident share
    assert "No steps yet: press Start or Step." in at.get("plotly_chart")[0].proto.spec
    assert [d.proto.label for d in at.get("download_button")] == ["These samples (PNG)"]


def test_live_controls_start_pause_and_settings(page):
    at = open_tab(page, "live")
    at.select_slider(key="live_batch").set_value(32).run()
    at.select_slider(key="live_lr_d").set_value(1e-4).run()
    at.slider(key="live_d_steps").set_value(2).run()
    no_errors(at)
    settings = at.session_state["live_gan"].trainer.settings
    assert (settings.batch_size, settings.lr_d, settings.d_steps) == (32, 1e-4, 2)
    open_tab(at, "replay")  # the live tab's widgets are gone now...
    open_tab(at, "live")  # ...and come back showing what the GAN still uses
    assert at.select_slider(key="live_batch").value == 32
    assert at.session_state["live_gan"].trainer.settings.batch_size == 32
    at.button(key="live_start").click().run()  # training goes on in the background, on the scheduler
    no_errors(at)
    live = at.session_state["live_gan"]
    assert live.running and until(lambda: live.steps > 2)
    at.run()
    assert "steps/s (last 10 s)" in markdown_text(at)  # measured over wall time, like a stopwatch
    at.button(key="live_pause").click().run()
    no_errors(at)
    steps = at.session_state["live_gan"].steps
    assert not at.session_state["live_gan"].running
    at.run()
    assert at.session_state["live_gan"].steps == steps  # paused means paused


def test_a_second_trainer_waits_in_a_visible_line(page, gan_weights, monkeypatch):
    """With one place for live training on the server, the second student's GAN waits and the page says
    how many are ahead; when the first pauses, the second trains."""
    from streamlit.testing.v1 import AppTest

    from app_pages.loaders import trainer_queue

    monkeypatch.setattr(trainer_queue(), "max_active", 1)
    first = open_tab(page, "live")
    first.button(key="live_start").click().run()
    second = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    second.run()
    second.switch_page(PAGE).run()
    open_tab(second, "live")
    second.button(key="live_start").click().run()
    no_errors(second)
    assert "queued" in markdown_text(second) and "next, in about" in markdown_text(second)
    assert second.session_state["live_gan"].steps == 0
    first.button(key="live_pause").click().run()
    assert until(lambda: second.session_state["live_gan"].steps > 0)
    second.button(key="live_pause").click().run()


def test_live_nan_loss_pauses_with_a_message_and_reset_recovers(page):
    at = open_tab(page, "live")
    live = at.session_state["live_gan"]
    live.trainer.sample_real = lambda n, gen: torch.full((n, 1, 28, 28), float("nan"))
    at.button(key="live_step").click().run()
    assert not at.exception
    assert any("Training paused" in e.value and "not a number" in e.value for e in at.error)
    assert at.button(key="live_start").disabled
    at.button(key="live_reset").click().run()
    no_errors(at)
    assert at.session_state["live_gan"].problem is None


def test_an_unexpected_error_in_the_live_view_is_a_message_not_a_traceback(page, monkeypatch):
    """A friendly message in place of the live view; the controls above it stay usable. (The view's own guard, for
    timer reruns that skip app.py's, cannot be driven from AppTest: a full run is caught by it first.)"""
    at = open_tab(page, "live")

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(at.session_state["live_gan"], "view", broken)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Sorry, this page hit an unexpected problem: RuntimeError: boom"]
    assert at.button(key="live_reset")  # the rest of the tab is still there


def test_live_uses_the_shipped_digits_without_a_dataset(page, monkeypatch):
    def offline(*args, **kwargs):
        raise DataUnavailableError("offline")

    monkeypatch.setattr("core.gan.live.load_mnist", offline)
    monkeypatch.setenv("GENLAB_DATA", str(ROOT / "no-such-data-root"))
    at = open_tab(page, "live")
    assert any("32 MNIST test digits shipped" in c.value for c in at.caption)
    at.button(key="live_step").click().run()
    no_errors(at)
    assert at.session_state["live_gan"].steps == 1


# -- toy GAN ---------------------------------------------------------------------------------


def test_toy_gan_controls(page):
    at = open_tab(page, "toy")
    assert {m.label for m in at.metric} >= {"Modes covered", "Points on a mode"}
    assert any(m.label == "Modes covered" and m.value.endswith("/ 8") for m in at.metric)
    assert len(at.get("plotly_chart")) == 3  # plane, modes covered, losses: all there before the first step
    at.button(key="toy_step").click().run()
    no_errors(at)
    assert at.session_state["toy_gan"].steps == 1
    at.selectbox(key="toy_dist").set_value("grid").run()
    no_errors(at)
    assert at.session_state["toy_gan"].dist.name == "grid" and at.session_state["toy_gan"].steps == 0
    assert any(m.label == "Modes covered" and m.value.endswith("/ 25") for m in at.metric)
    at.button(key="toy_start").click().run()
    no_errors(at)
    assert until(lambda: at.session_state["toy_gan"].steps > 0)
    at.button(key="toy_pause").click().run()
    at.button(key="toy_reset").click().run()
    no_errors(at)
    assert at.session_state["toy_gan"].steps == 0 and not at.session_state["toy_gan"].running


def test_the_toy_plane_keeps_its_last_drawing_under_each_new_one(page):
    """Streamlit draws a Plotly chart again from nothing when its figure changes, and the plane showed blank for a
    moment on every redraw: each redraw now sends the new figure on top and the one shown before, unchanged, under
    it (the new one covers it only once drawn), so there is always a drawn plane."""
    at = open_tab(page, "toy")

    def planes() -> dict[str, str]:
        return {c.key: c.proto.spec for c in at.get("plotly_chart") if c.key and c.key.startswith("toy_plane_chart_")}

    shown = planes()
    assert len(shown) == 1  # nothing drawn before: the first figure alone
    for _ in range(3):
        at.button(key="toy_step").click().run()
        no_errors(at)
        now = planes()
        assert len(now) == 2 and set(shown.items()) < set(now.items())  # the last figure, sent again unchanged...
        [(fresh, spec)] = set(now.items()) - set(shown.items())  # ...under a new one in the other slot
        assert fresh not in shown and '"heatmap"' in spec
        shown = {fresh: spec}
    style = " ".join(h.proto.body for h in at.get("html"))
    assert f".st-key-{fresh.replace('chart_', '')} .js-plotly-plot {{background: white}}" in style  # the new one covers


# -- explore ---------------------------------------------------------------------------------


def test_explore_the_generator(page):
    at = open_tab(page, "explore")
    assert len(at.image) == 2  # the sample grid and the interpolation strip
    grid, strip = at.image[0].value, at.image[1].value
    at.number_input(key="explore_seed").set_value(7).run()
    no_errors(at)
    assert "seed 7" in at.image[0].captions[0]
    assert at.image[0].value != grid and at.image[1].value == strip  # new digits; the walk is unchanged
    at.slider(key="explore_steps").set_value(5).run()
    no_errors(at)
    assert at.image[1].value != strip
    assert [d.proto.label for d in at.get("download_button")] == ["These samples (PNG)", "This walk (PNG)"]


# -- find my digit ---------------------------------------------------------------------------


def zero_drawing(size: int = 280) -> np.ndarray:
    """A hand-drawn-like 0: a thick white ring on the black canvas, RGBA as the canvas sends it."""
    yy, xx = np.mgrid[:size, :size]
    r = np.hypot((yy - 150) / 1.4, xx - 120)
    grey = np.where(np.abs(r - 60) < 11, 255, 0).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def search_of(at):
    return at.session_state["gan_find"]


def test_find_my_digit_searches_and_shows_the_twin(page, monkeypatch):
    monkeypatch.setattr(drawing, "SEARCH_STEPS", 12)  # a short search: the tiny generator needs no more to move
    at = open_tab(page, "find")
    assert [i.value for i in at.info] == [drawing.EMPTY] and at.button(key="gan_find_go").disabled
    at.session_state[drawing.DRAWING] = zero_drawing()
    at.run()
    no_errors(at)
    assert not at.info and not at.button(key="gan_find_go").disabled
    at.number_input(key="gan_find_seed").set_value(3).run()
    at.button(key="gan_find_go").click().run()
    no_errors(at)
    find = search_of(at)
    assert until(find["job"].done)
    at.run()  # the redraw after the search ended
    no_errors(at)
    search = find["search"]
    assert search.steps == 12 and "**Done**" in markdown_text(at)
    captions = [c for img in at.image for c in img.captions]
    assert "your drawing (28×28)" in captions and "its closest twin, G(z)" in captions
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pixel loss"] == f"{search.best().loss:.4f}"
    assert {"‖z‖", "Longer than", "Moved from its start"} <= metrics.keys()
    # one verdict, from the share the metric shows, with its threshold (it said "ordinary" beside "longer than 97%")
    share = int(metrics["Longer than"].rstrip("%"))
    ordinary = f"longer than {share}% of random noise, between 5% and 95%: ordinary noise"
    assert (ordinary in " ".join(c.value for c in at.caption)) == (5 <= share <= 95)
    losses = torch.tensor(search.losses)
    assert search.best().loss < losses[0].min()  # the search went downhill from its random starts
    assert "best so far" in at.get("plotly_chart")[0].proto.spec

    at.button(key="gan_find_go").click().run()  # the same drawing and seed: the same search
    assert until(search_of(at)["job"].done)
    assert search_of(at)["search"] is not search and search_of(at)["search"].losses == search.losses


def test_the_length_verdict_follows_the_share_shown_and_states_its_threshold():
    from app_pages.gan.find import wander_note

    for percentile, words in [(0.5, "between 5% and 95%: ordinary"), (0.97, "longer than 97%"), (0.951, "longer than 95%"),
                              (0.02, "Only 2%")]:  # fmt: skip
        assert words in wander_note(dict(percentile=percentile))
    assert "ordinary" not in wander_note(dict(percentile=0.97)) and "unusual" in wander_note(dict(percentile=0.97))


def test_find_my_digit_stops_when_asked(page, monkeypatch):
    monkeypatch.setattr(drawing, "SEARCH_STEPS", 1_000_000)
    at = open_tab(page, "find")
    at.session_state[drawing.DRAWING] = zero_drawing()
    at.run()
    at.button(key="gan_find_go").click().run()
    no_errors(at)
    assert "searching" in markdown_text(at) and not at.button(key="gan_find_stop").disabled
    at.button(key="gan_find_stop").click().run()
    assert until(search_of(at)["job"].done)
    at.run()
    no_errors(at)
    assert search_of(at)["search"].steps < 1_000_000 and "**Stopped** at step" in markdown_text(at)
    assert at.button(key="gan_find_stop").disabled
    open_tab(at, "explore")  # the other tabs keep working
    open_tab(at, "find")
    assert "**Stopped** at step" in markdown_text(at)  # the last search is still shown


# -- missing files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing, tab", [("gan.history.safetensors", "replay"), ("gan.safetensors", "explore"), ("gan.json", "explore")]
)
def test_missing_gan_files_show_the_training_command(app, gan_weights, tmp_path, monkeypatch, missing, tab):
    d, _ = gan_weights
    broken = tmp_path / "broken"
    shutil.copytree(d, broken)
    (broken / missing).unlink()
    monkeypatch.setenv("GENLAB_WEIGHTS", str(broken))
    app.switch_page(PAGE).run()
    at = open_tab_allowing_errors(app, tab)
    assert not at.exception
    assert any(missing in e.value and CMD in e.value for e in at.error), [e.value for e in at.error]


def test_shipped_weights_render_every_tab(app, monkeypatch):
    """The page on the real files in weights/ (skipped until they are trained)."""
    from core.training.checkpoint import weights_dir

    names = ["gan.safetensors", "gan.json", "gan.history.safetensors", "classifier.safetensors"]
    if not all((weights_dir() / n).exists() for n in names):
        pytest.skip("the shipped GAN is not trained yet: python scripts/train_gan.py")
    app.switch_page(PAGE).run()
    no_errors(app)
    for name in ("explore", "toy", "replay", "find"):
        open_tab(app, name)


# -- in Portuguese ---------------------------------------------------------------------------

# The files whose marked strings the GAN page shows: the shell, the page, the shared canvas, its figures and the
# messages core makes for it. (tests/test_i18n.py's SHOWN_BY holds this entry once it lists the GAN page.)
SHOWN_BY.setdefault(
    "gan_training",
    ("app.py", "app_pages/_ui.py", "app_pages/gan_training.py", "app_pages/drawing.py", "figures/gan.py", "core/gan/",
     "core/serving/trainer_queue.py", "core/mnist/drawing.py", "core/gpt/prompt.py", "core/registry.py",
     "core/training/checkpoint.py"),
)  # fmt: skip


def no_english(at, where: str) -> None:
    no_errors(at)
    left = english_shown(at, "gan_training")
    assert not left, (where, left)


def test_the_gan_page_in_portuguese_shows_no_english_string_of_the_catalog(gan_weights, tiny_mnist, monkeypatch):
    """Every tab opened in turn: the replay at each moment, a few live steps (and training, then paused), the toy
    GAN after a step, the generator, and a short "Find my digit" search with a drawing."""
    monkeypatch.setenv("GENLAB_DATA", str(tiny_mnist))
    monkeypatch.setattr(drawing, "SEARCH_STEPS", 12)
    at = portuguese_app("gan_training")
    labels = [t.label for t in at.tabs]
    assert labels == ["Rever o treinamento", "Treinar ao vivo", "GAN 2-D de brinquedo", "Explorar a rede geradora",
                      "Encontrar meu dígito"]  # fmt: skip
    assert at.title[0].value.endswith("Treinamento da GAN")
    for step in (0, 5, 10):  # the untrained generator's note, the plain one, the headline's
        at.select_slider(key="replay_step").set_value(step).run()
        no_english(at, f"replay, step {step}")
    assert "**Passo 10** de 10" in markdown_text(at) and "2.000 amostras" in markdown_text(at)  # Babel's pt-BR numbers
    assert any("meta: fração confiante ≥ 0,85, não atingida" in c.value for c in at.caption)

    at.session_state["gan_tab"] = labels[1]
    at.run()
    no_english(at, "live, before a step")
    assert any("Dados de treinamento: os 256 dígitos de treinamento do MNIST" in c.value for c in at.caption)
    for _ in range(3):
        at.button(key="live_step").click().run()
    no_english(at, "live, three steps")
    assert "**Passo 3**" in markdown_text(at) and "pausado" in markdown_text(at)
    at.button(key="live_start").click().run()
    live = at.session_state["live_gan"]
    assert until(lambda: live.steps > 5)
    at.run()
    no_english(at, "live, training")
    assert "passos/s (últimos 10 s)" in markdown_text(at)
    at.button(key="live_pause").click().run()
    no_english(at, "live, paused")
    live.trainer.sample_real = lambda n, gen: torch.full((n, 1, 28, 28), float("nan"))
    at.button(key="live_step").click().run()  # a loss turns NaN: core's message, in Portuguese
    assert not at.exception and any("Treinamento pausado" in e.value and "não é um número" in e.value for e in at.error)

    at.session_state["gan_tab"] = labels[2]
    at.run()
    at.button(key="toy_step").click().run()
    no_english(at, "toy, one step")
    assert at.selectbox(key="toy_dist").options == ["Anel de 8 gaussianas", "Grade 5×5 de gaussianas", "Duas luas"]

    at.session_state["gan_tab"] = labels[3]
    at.run()
    no_english(at, "explore")

    at.session_state["gan_tab"] = labels[4]
    at.run()
    no_english(at, "find, empty canvas")
    at.session_state[drawing.DRAWING] = zero_drawing()
    at.run()
    at.button(key="gan_find_go").click().run()
    assert until(search_of(at)["job"].done)
    at.run()
    no_english(at, "find, after a search")
    assert "**Concluída**: 12 passos" in markdown_text(at)


def test_core_messages_are_english_strs_and_read_in_portuguese_with_its_numbers():
    """Made on a worker thread or in a cache every session shares: English text, shown in the learner's language."""
    from core.gan.live import check_losses, shipped_digits
    from core.gan.toy import DISTRIBUTIONS
    from core.serving.trainer_queue import TrainerQueue
    from i18n import _, speaking

    with speaking("pt-BR"):  # made in a Portuguese session: still English as a str
        exploded = check_losses({"step": 1234, "loss_d": 80.0, "loss_g": 0.7})
        data = shipped_digits({"digits": torch.zeros(1500, 28, 28, dtype=torch.uint8)})
    assert exploded == "the discriminator's loss exploded to 80.0 at step 1,234"
    assert data.description.startswith("the 1,500 MNIST test digits shipped")
    with speaking("pt-BR"):
        assert _(exploded) == "a perda da rede discriminadora explodiu para 80,0 no passo 1.234"
        assert _(check_losses({"step": 7, "loss_d": 0.7, "loss_g": float("nan")})).endswith("virou nan (não é um número) no passo 7")
        assert _(data.description).startswith("os 1.500 dígitos de teste do MNIST que vêm com o app")
        assert [_(DISTRIBUTIONS[k]().label) for k in DISTRIBUTIONS] == ["Anel de 8 gaussianas", "Grade 5×5 de gaussianas", "Duas luas"]

    class Idle:
        owner, running, last_touched, last_seen, notice = "idle", True, 0.0, 0.0, None

        def pause(self, reason):
            self.running, self.notice = False, reason

    queue = TrainerQueue(types.SimpleNamespace(workers=1, submit_task=lambda owner, fn: None), idle_s=600)
    trainer = Idle()
    queue.start(trainer)
    trainer.last_touched = time.monotonic() - 601
    queue._step(trainer._queue_key, queue._active[trainer._queue_key].token)
    assert trainer.notice == "paused after 10 minutes without a click, to give others a turn"
    with speaking("pt-BR"):
        assert _(trainer.notice) == "pausado depois de 10 minutos sem nenhum clique, para dar a vez a outras pessoas"
