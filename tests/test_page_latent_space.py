"""AppTest of the Latent Space page: sliders decode live, the map marks z and decodes any point clicked,
a drawn digit is encoded, reconstructed and marked on the map, every model and control runs, missing
files give a friendly message, and in Portuguese every tab reads in Portuguese."""

from __future__ import annotations

import base64
import json
import re
import shutil
import time

import numpy as np
import pytest
import test_i18n
import torch
import torch.nn.functional as F
from streamlit.proto.WidgetStates_pb2 import WidgetState
from test_i18n import english_shown, portuguese_app

from app_pages.drawing import DRAWING, EMPTY
from app_pages.latent.common import z_step
from conftest import no_errors
from core import load_vae, load_vae_history, mnist_from_drawing, registry
from core.training.checkpoint import load_tensors, weights_dir

PAGE = "app_pages/latent_space.py"
TABS = ["Sliders & map", "Reconstruction", "Interpolation", "AE vs VAE", "Draw a digit", "Replay the training", "Train one live"]
FILES = [f"{n}.{s}" for n in ("vae-z2", "vae-z16", "ae-z2") for s in ("json", "safetensors", "data.safetensors")]
FILES += ["vae-z2.history.safetensors", "ae-z2.history.safetensors"]


@pytest.fixture
def page(app):
    missing = [f for f in FILES if not (weights_dir() / f).exists()]
    assert not missing, f"shipped weights missing from {weights_dir()}: {missing} (see scripts/train_vae.py)"
    app.switch_page(PAGE).run()
    no_errors(app)
    return app


def sidecar(name: str) -> dict:
    return load_tensors(f"{name}.data")


def decoded_image(at) -> str:
    """The decoded image's media URL: it is named after a hash of the image's bytes."""
    return next(img.value[0] for img in at.image if img.captions == ["decoder(z)"])


def slider_values(at, name: str, dim: int) -> list[float]:
    return [at.select_slider(key=f"ls_z_{name}_{i}").value for i in range(dim)]


def chart(at, key: str) -> dict:
    """The Plotly figure a chart sends to the browser."""
    return json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)


def z_bounds(at, key: str) -> tuple[float, float]:
    """A latent slider's lowest and highest value (a select_slider: its options are numbers in words)."""
    options = at.select_slider(key=key).options
    return tuple(float(o.replace("−", "-").replace(",", "")) for o in (options[0], options[-1]))


def marker(at, name: str = "vae-z2") -> list[float]:
    z = next(t for t in chart(at, f"ls_map_{name}")["data"] if t["name"] == "z now")
    return [z["x"][0], z["y"][0]]


def click(at, key: str, x: float, y: float):
    """What the browser sends when a point of the chart is clicked: the selection as the chart's widget state
    (JSON text). AppTest has no Plotly element to click: this adds that state to the others and runs the page."""
    chart_id = next(c for c in at.get("plotly_chart") if c.key == key).proto.id
    states = at._tree.get_widget_states()
    selection = {"points": [{"x": x, "y": y, "curve_number": 0, "point_number": 0}], "point_indices": [0], "box": [], "lasso": []}
    states.widgets.append(WidgetState(id=chart_id, string_value=json.dumps({"selection": selection})))
    return at._run(states)


def test_models_come_from_the_registry(page):
    radio = page.radio(key="ls_model")
    assert tuple(radio.options) == registry.names(page="latent_space") == ("vae-z2", "vae-z16", "ae-z2")
    assert [c for c in radio.proto.captions] == [registry.entry(n).label for n in radio.options]


# pictographs, dingbats, circle arrows (the old ↺): empty boxes where the machine has no emoji font
EMOJI = re.compile("[\U0001f000-\U0001faff\u21ba\u21bb\u2600-\u27bf\u2b00-\u2bff\ufe0f]")


def test_no_emoji_only_material_icons(page):
    at = page
    for tab in TABS:
        at.session_state["ls_tab"] = tab
        at.run()
        no_errors(at)
        texts = [t.label for t in at.tabs] + [b.label for b in at.button] + [e.label for e in at.expander]
        texts += [m.value for m in (*at.title, *at.markdown, *at.caption, *at.info)]
        assert not [t for t in texts if EMOJI.search(t)]
        assert all(b.proto.icon.startswith(":material/") for b in at.button if b.proto.icon)
    assert [t.label for t in at.tabs] == TABS  # plain words: a tab's label is its value in the URL


def test_the_map_marks_the_current_z(page):
    assert marker(page) == pytest.approx(slider_values(page, "vae-z2", 2), abs=1e-6)
    page.select_slider(key="ls_z_vae-z2_0").set_value(1.5).run()
    page.select_slider(key="ls_z_vae-z2_1").set_value(-2.0).run()
    assert marker(page) == pytest.approx([1.5, -2.0], abs=1e-6)
    for background in ("classifier's reading", "nothing"):
        page.radio(key="ls_map_bg").set_value(background).run()
        no_errors(page)
        assert marker(page) == pytest.approx([1.5, -2.0], abs=1e-6)


@pytest.mark.parametrize("name", ["vae-z2", "ae-z2"])
def test_clicking_empty_background_decodes_that_point(page, name):
    page.radio(key="ls_model").set_value(name).run()
    grid = next(t for t in chart(page, f"ls_map_{name}")["data"] if t["name"] == "click")
    assert grid["marker"]["opacity"] == 0  # invisible targets all over the plane
    lo, hi = zip(*(z_bounds(page, f"ls_z_{name}_{i}") for i in range(2)), strict=True)
    spot = [lo[0] + 0.9 * (hi[0] - lo[0]), lo[1] + 0.1 * (hi[1] - lo[1])]  # a corner far from most codes
    image = decoded_image(page)
    click(page, f"ls_map_{name}", *spot)
    no_errors(page)
    half_step = z_step(lo[0], hi[0]) / 2 + 1e-9  # the click lands on the sliders' nearest values
    assert slider_values(page, name, 2) == pytest.approx(spot, abs=half_step)
    assert marker(page, name) == pytest.approx(slider_values(page, name, 2), abs=1e-6)
    assert decoded_image(page) != image
    click(page, f"ls_map_{name}", 1e6, -1e6)  # a point outside the plane is held to the sliders' bounds
    assert slider_values(page, name, 2) == pytest.approx([hi[0], lo[1]])


def test_glossary_is_linked_where_the_jargon_is(page):
    at = page
    for tab in TABS:
        at.session_state["ls_tab"] = tab
        at.run()
        links = at.get("page_link")
        assert links and all(link.proto.page == "glossary" and link.value == "Glossary" for link in links)
        assert all(link.proto.icon == ":material/menu_book:" for link in links)
    assert "nats/image" in at.caption[0].value


def test_downloads_offer_pngs(page):
    at = page
    expected = {TABS[0]: ["ls_z_png"], TABS[2]: ["ls_int_png"], TABS[3]: ["ls_png_ae-z2", "ls_png_vae-z2"]}
    for tab, keys in expected.items():
        at.session_state["ls_tab"] = tab
        at.run()
        no_errors(at)
        buttons = {d.key: d for d in at.get("download_button")}
        assert sorted(buttons) == keys
        assert all(d.proto.url.endswith(".png") and "PNG" in d.label for d in buttons.values())


def test_the_url_opens_a_model_and_tab(app):
    app.switch_page(PAGE)
    app.query_params["ls_model"] = "ae-z2"
    app.query_params["ls_tab"] = TABS[3]
    app.run()
    no_errors(app)
    assert app.radio(key="ls_model").value == "ae-z2"
    assert app.slider(key="ls_cmp_n")  # the AE-vs-VAE tab is the one drawn


def test_moving_a_slider_changes_the_decoded_image(page):
    start, image = page.select_slider(key="ls_z_vae-z2_0").value, decoded_image(page)
    page.select_slider(key="ls_z_vae-z2_0").set_value(-2.5 if start > 0 else 2.5).run()
    no_errors(page)
    assert decoded_image(page) != image
    page.select_slider(key="ls_z_vae-z2_0").set_value(start).run()
    assert decoded_image(page) == image  # the same latent vector decodes to the same picture


def test_start_buttons_move_the_sliders(page):
    mu = sidecar("vae-z2")["mu"]
    assert slider_values(page, "vae-z2", 2) == pytest.approx(mu[0].tolist(), abs=0.006)  # starts at digit #0

    page.button(key="ls_go_origin").click().run()
    assert slider_values(page, "vae-z2", 2) == [0.0, 0.0]
    page.button(key="ls_go_random").click().run()
    z = slider_values(page, "vae-z2", 2)
    assert z != [0.0, 0.0] and all(-4 <= v <= 4 for v in z)
    page.number_input(key="ls_start_idx").set_value(5).run()
    page.button(key="ls_go_digit").click().run()
    assert slider_values(page, "vae-z2", 2) == pytest.approx(mu[5].clamp(-4, 4).tolist(), abs=0.006)
    page.button(key="ls_reset").click().run()
    assert slider_values(page, "vae-z2", 2) == pytest.approx(mu[0].tolist(), abs=0.006)
    no_errors(page)


def test_vae_z16_orders_sliders_by_kl(page):
    page.radio(key="ls_model").set_value("vae-z16").run()
    no_errors(page)
    kl = sidecar("vae-z16")["kl_per_dim"]
    sliders = [s for s in page.select_slider if s.key.startswith("ls_z_vae-z16_")]
    assert len(sliders) == 16
    shown = [int(s.key.rsplit("_", 1)[1]) for s in sliders]
    assert [float(kl[i]) for i in shown] == sorted(kl.tolist(), reverse=True)
    assert all(f"KL {float(kl[i]):.2f}" in s.label for i, s in zip(shown, sliders))
    image = decoded_image(page)
    sliders[0].set_value(3.0 if sliders[0].value < 0 else -3.0).run()
    assert decoded_image(page) != image


def test_autoencoder_sliders_span_its_own_latents(page):
    page.radio(key="ls_model").set_value("ae-z2").run()
    no_errors(page)
    mu = sidecar("ae-z2")["mu"]
    for i in range(2):
        low, high = z_bounds(page, f"ls_z_ae-z2_{i}")
        assert low <= mu[:, i].min() and high >= mu[:, i].max()
        assert (low, high) != (-4.0, 4.0)


def test_every_tab_and_control_runs_for_every_model(page):
    at = page
    for name in ("vae-z2", "vae-z16", "ae-z2"):
        at.radio(key="ls_model").set_value(name).run()
        for tab in TABS:
            at.session_state["ls_tab"] = tab
            at.run()
            no_errors(at)
        at.session_state["ls_tab"] = TABS[1]
        at.run()
        at.button(key="ls_rec_random").click().run()
        at.number_input(key="ls_rec_idx").set_value(3).run()
        no_errors(at)
        assert at.metric[0].label == "Reconstruction"
        at.session_state["ls_tab"] = TABS[2]
        at.run()
        at.radio(key=f"ls_int_method_{name}").set_value("spherical").run()
        at.slider(key="ls_int_steps").set_value(4).run()
        at.button(key="ls_int_random").click().run()
        no_errors(at)

    at.session_state["ls_tab"] = TABS[0]  # the map's backgrounds, on a 2-D model
    at.run()
    for background in ("classifier's reading", "nothing", "decoded digits"):
        at.radio(key="ls_map_bg").set_value(background).run()
        no_errors(at)

    at.session_state["ls_tab"] = TABS[3]
    at.run()
    at.button(key="ls_cmp_new").click().run()
    at.slider(key="ls_cmp_n").set_value(16).run()
    no_errors(at)
    assert "sure" in " ".join(m.value for m in at.markdown)  # the classifier scored the samples


def test_reconstruction_opens_its_mu_in_the_sliders(page):
    page.session_state["ls_tab"] = TABS[1]
    page.run()
    page.number_input(key="ls_rec_idx").set_value(7).run()
    page.button(key="ls_rec_to_sliders").click().run()
    no_errors(page)
    assert page.session_state["ls_tab"] == TABS[0]
    # the encoder's mu for digit #7, encoded live, matches the shipped test-set latents
    assert slider_values(page, "vae-z2", 2) == pytest.approx(sidecar("vae-z2")["mu"][7].tolist(), abs=0.02)


def copy_weights(tmp_path):
    """A copy of the files this page reads, to break one of them."""
    for f in FILES + ["classifier.json", "classifier.safetensors"]:
        shutil.copy(weights_dir() / f, tmp_path / f)
    return tmp_path


@pytest.mark.parametrize(
    "missing, model, command",
    [
        ("vae-z2.data.safetensors", "vae-z2", "python scripts/train_vae.py --latent-dim 2"),
        ("vae-z16.safetensors", "vae-z16", "python scripts/train_vae.py --latent-dim 16"),
        ("ae-z2.json", "ae-z2", "python scripts/train_vae.py --latent-dim 2 --plain"),
    ],
)
def test_missing_file_gives_a_friendly_error(page, tmp_path, monkeypatch, missing, model, command):
    (copy_weights(tmp_path) / missing).unlink()
    monkeypatch.setenv("GENLAB_WEIGHTS", str(tmp_path))
    page.radio(key="ls_model").set_value(model).run()
    assert not page.exception
    assert len(page.error) == 1 and command in page.error[0].value and missing in page.error[0].value
    assert not page.slider and not page.select_slider  # the page stopped before drawing anything that needs the model
    if model != "vae-z2":  # another model still works
        page.radio(key="ls_model").set_value("vae-z2").run()
        no_errors(page)


def test_missing_autoencoder_only_stops_the_comparison(page, tmp_path, monkeypatch):
    (copy_weights(tmp_path) / "ae-z2.safetensors").unlink()
    monkeypatch.setenv("GENLAB_WEIGHTS", str(tmp_path))
    page.run()
    no_errors(page)
    page.session_state["ls_tab"] = TABS[3]
    page.run()
    assert not page.exception and "--plain" in page.error[0].value


def test_missing_classifier_is_a_note_not_an_error(page, tmp_path, monkeypatch):
    (copy_weights(tmp_path) / "classifier.safetensors").unlink()
    monkeypatch.setenv("GENLAB_WEIGHTS", str(tmp_path))
    page.radio(key="ls_map_bg").set_value("classifier's reading").run()
    no_errors(page)
    assert any("train_classifier.py" in i.value for i in page.info)
    assert torch.tensor(slider_values(page, "vae-z2", 2)).abs().max() <= 4


# -- your own digit ----------------------------------------------------------------------------


def canvas_image(digit: torch.Tensor, size: int = 280) -> np.ndarray:
    """A 28x28 digit in [0, 1] as the page's canvas sends it: size x size RGBA, white ink on opaque black,
    drawn smaller than the canvas and off-centre, as a learner would."""
    small = F.interpolate(digit.reshape(1, 1, 28, 28).float(), size=(160, 160), mode="bilinear")[0, 0].clamp(0, 1)
    ink = torch.zeros(size, size)
    ink[20:180, 90:250] = small
    grey = (ink * 255).round().to(torch.uint8).numpy()
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def shipped_digit(i: int, name: str = "vae-z2") -> tuple[np.ndarray, int]:
    """Test digit #i of the model's shipped sample, drawn on a canvas, and its label."""
    data = sidecar(name)
    return canvas_image(data["digits"][i].float() / 255), int(data["digit_labels"][i])


def encoded(name: str, image: np.ndarray) -> list[float]:
    """Where the model's encoder puts the drawing, worked out here without the page."""
    with torch.no_grad():
        return load_vae(name).encode(mnist_from_drawing(image))[0][0].tolist()


def drawn_marker(at, key: str) -> list[float]:
    star = next(t for t in chart(at, key)["data"] if t["name"] == "your drawing")
    return [star["x"][0], star["y"][0]]


def image_by_caption(at, caption: str) -> str:
    return next(img.value[0] for img in at.image if img.captions == [caption])


def draw(at, image) -> None:
    """What the canvas does when a stroke ends: the page keeps the canvas image in session state."""
    at.session_state[DRAWING] = image
    at.session_state["ls_tab"] = TABS[4]
    at.run()


def test_a_drawing_is_read_reconstructed_and_marked_on_the_map(page):
    at = page
    at.session_state["ls_tab"] = TABS[4]
    at.run()
    no_errors(at)
    assert [i.value for i in at.info] == [EMPTY]  # nothing drawn yet: a note, not an error
    seven, label = shipped_digit(0)
    draw(at, seven)
    no_errors(at)
    assert not at.info
    assert f"The classifier reads a **{label}**" in " ".join(m.value for m in at.markdown)
    first = image_by_caption(at, "vae-z2 decodes its μ")
    assert drawn_marker(at, "ls_draw_map_vae-z2") == pytest.approx(encoded("vae-z2", seven), abs=1e-5)

    other, other_label = next((d, lab) for d, lab in map(shipped_digit, range(1, 20)) if lab != label)
    draw(at, other)
    no_errors(at)
    assert f"The classifier reads a **{other_label}**" in " ".join(m.value for m in at.markdown)
    assert image_by_caption(at, "vae-z2 decodes its μ") != first  # a new reconstruction...
    assert drawn_marker(at, "ls_draw_map_vae-z2") == pytest.approx(encoded("vae-z2", other), abs=1e-5)  # ...and point

    at.session_state["ls_tab"] = TABS[0]  # the sliders' map marks the drawing too
    at.run()
    no_errors(at)
    assert drawn_marker(at, "ls_map_vae-z2") == pytest.approx(encoded("vae-z2", other), abs=1e-5)


def test_an_empty_or_broken_drawing_is_a_note_not_an_error(page):
    at = page
    draw(at, shipped_digit(0)[0])
    assert not at.info
    at.button(key="ls_canvas_clear").click().run()  # Clear: a fresh canvas, and the drawing is gone
    no_errors(at)
    assert [i.value for i in at.info] == [EMPTY] and DRAWING not in at.session_state
    blank = np.zeros((280, 280, 4), np.uint8)
    blank[..., 3] = 255  # the black canvas, nothing drawn
    draw(at, blank)
    no_errors(at)
    assert [i.value for i in at.info] == [EMPTY]
    assert len(at.image) == 0  # no preview, no reconstruction...
    assert "your drawing" not in [t["name"] for t in chart(at, "ls_draw_map_vae-z2")["data"]]  # ...and no star on the map
    draw(at, np.zeros((3, 3), np.float32))  # not an image a canvas sends: a warning, no traceback
    no_errors(at)
    assert "could not be read" in at.warning[0].value
    at.session_state["ls_tab"] = TABS[1]  # the other tabs keep working
    at.run()
    no_errors(at)


def test_the_drawing_opens_in_the_sliders_and_starts_the_interpolation(page):
    at = page
    at.radio(key="ls_model").set_value("vae-z16").run()
    image, _ = shipped_digit(3, "vae-z16")
    draw(at, image)
    no_errors(at)
    assert at.get("plotly_chart")[0].key == "ls_draw_mu"  # sixteen numbers: bars, not a map
    at.button(key="ls_draw_to_sliders").click().run()
    no_errors(at)
    assert at.session_state["ls_tab"] == TABS[0]
    mu = torch.tensor(encoded("vae-z16", image)).clamp(-4, 4)
    assert slider_values(at, "vae-z16", 16) == pytest.approx(mu.tolist(), abs=0.006)

    at.session_state["ls_tab"] = TABS[2]
    at.run()
    plain = at.image[0].value
    draw(at, image)
    at.button(key="ls_draw_to_path").click().run()
    no_errors(at)
    assert at.session_state["ls_tab"] == TABS[2] and at.toggle(key="ls_int_drawn").value
    assert any(m.value.startswith("**From your drawing to a") for m in at.markdown)
    assert at.image[0].value != plain  # the strip starts at the drawing now
    assert at.get("download_button")[0].proto.url.endswith(".png")

    at.session_state[DRAWING] = None  # no drawing: the path falls back to the test digit, with a note
    at.run()
    no_errors(at)
    assert at.image[0].value == plain and "Draw a digit" in at.info[0].value


# -- in Portuguese -----------------------------------------------------------------------------

# The files whose marked strings this page shows (test_i18n.english_left looks them up by page name).
test_i18n.SHOWN_BY.setdefault(
    "latent_space",
    ("app.py", "app_pages/_ui.py", "app_pages/latent_space.py", "app_pages/latent/", "app_pages/drawing.py", "figures/latent.py",
     "core/vae/", "core/mnist/drawing.py", "core/registry.py", "core/training/checkpoint.py"),
)  # fmt: skip
PORTUGUESE_TABS = [
    "Controles e mapa", "Reconstrução", "Interpolação", "AE vs. VAE", "Desenhe um dígito", "Rever o treinamento", "Treinar ao vivo",
]  # fmt: skip


def open_in_portuguese(at, tab: int, where) -> None:
    """Open a tab by its English value (as an English link gives it; AppTest, after a callback has chosen the tab,
    keeps that tab against a Portuguese value set here, in English too) and check it reads in Portuguese."""
    at.session_state["ls_tab"] = TABS[tab]
    at.run()
    no_errors(at)
    assert at.session_state["ls_tab"] == PORTUGUESE_TABS[tab] and at.button(key=TAB_BUTTONS[tab])  # this tab is open
    assert not english_shown(at, "latent_space"), (where, english_shown(at, "latent_space"))


TAB_BUTTONS = ["ls_go_origin", "ls_rec_random", "ls_int_random", "ls_cmp_new", "ls_canvas_clear", "ls_replay_play", "vae_step"]


LAST_TAB_DRAW = [5, 6, 0, 1, 2, 3, 4]  # every tab, the Draw tab last (what follows reads it)


def test_the_page_in_portuguese_shows_no_english_string_of_the_catalog():
    """Every tab of every model, opened in turn: before anything is drawn, then with a drawing (the star on the
    maps, the path from the drawing), the classifier's map and the AE-vs-VAE scores."""
    at = portuguese_app("latent_space")
    assert [t.label for t in at.tabs] == PORTUGUESE_TABS
    meta = json.loads((weights_dir() / "vae-z2.json").read_text())
    m = meta["metrics"]
    figures = [f"{v:.1f}".replace(".", ",") for v in (m["test_loss"], m["test_recon"], m["test_kl"])]
    expected = "perda de teste {} nats/imagem (reconstrução {} + KL {}) · {} épocas".format(*figures, meta["epochs"])
    assert expected in at.caption[0].value
    for name in ("vae-z2", "vae-z16", "ae-z2"):
        at.radio(key="ls_model").set_value(name).run()
        at.session_state[DRAWING] = None  # nothing drawn yet: the Draw tab's note
        for tab in LAST_TAB_DRAW:
            open_in_portuguese(at, tab, (name, "no drawing"))
        assert [i.value for i in at.info] == ["Desenhe um dígito primeiro: a área de desenho está vazia."]
        at.session_state[DRAWING] = shipped_digit(0, name)[0]
        at.run()
        no_errors(at)
        assert "O classificador lê um **" in " ".join(m.value for m in at.markdown)
        at.button(key="ls_draw_to_path").click().run()  # the interpolation from the drawing
        assert at.session_state["ls_tab"] == "Interpolação"
        assert any(m.value.startswith("**Do seu desenho até um") for m in at.markdown)
        for tab in LAST_TAB_DRAW:
            open_in_portuguese(at, tab, (name, "drawing"))
        at.session_state["ls_int_drawn"] = False
    at.radio(key="ls_model").set_value("vae-z2").run()
    open_in_portuguese(at, 0, "vae-z2")
    assert at.radio(key="ls_map_bg").options == ["dígitos decodificados", "leitura do classificador", "nada"]
    at.radio(key="ls_map_bg").set_value("classifier's reading").run()
    assert not english_shown(at, "latent_space"), english_shown(at, "latent_space")
    text = " ".join(m.value for m in at.markdown)
    assert "O classificador lê um **" in text and "z = (" in text and "; amostras de N(0, I) têm ‖z‖ ≈ √2 = 1,4." in text
    z_sliders = [s for s in at.select_slider if s.key.startswith("ls_z_")]
    assert [s.label for s in z_sliders] == ["z1 (eixo x)", "z2 (eixo y)"]
    assert z_sliders[0].options[0] == "-5,00" and "0,99" in z_sliders[0].options  # the decimal comma, ends included


def test_switching_language_keeps_the_page_as_the_visitor_left_it():
    at = portuguese_app("latent_space")
    at.radio(key="ls_model").set_value("ae-z2").run()
    at.session_state["ls_tab"] = "Interpolação"
    at.run()
    at.radio(key="ls_int_method_ae-z2").set_value("spherical")
    at.slider(key="ls_int_steps").set_value(5).run()
    assert at.radio(key="ls_int_method_ae-z2").options == ["linear", "esférico"]
    at.selectbox(key="lang").set_value("en").run()
    no_errors(at)
    assert [t.label for t in at.tabs] == TABS and at.session_state["ls_tab"] == "Interpolation"
    assert at.radio(key="ls_model").value == "ae-z2" and at.slider(key="ls_int_steps").value == 5
    assert at.radio(key="ls_int_method_ae-z2").value == "spherical" and at.radio(key="ls_int_method_ae-z2").options[1] == "spherical"


# --- watching the latent space form: the replay and the live VAE ---


def open_tab(at, label: str):
    at.session_state["ls_tab"] = label
    at.run()
    no_errors(at)
    return at


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def until(condition, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        time.sleep(0.02)
    return condition()


def plotted(values) -> np.ndarray:
    """A trace's numbers as the browser gets them: a list, or Plotly's typed array (base64 bytes and a dtype)."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values)


def test_replay_shows_both_models_at_the_same_moment_and_scrubs(page):
    at = open_tab(page, "Replay the training")
    slider = at.select_slider(key="ls_replay_moment")
    n = len(slider.options)
    assert n >= 30 and slider.value == n  # first visit: the finished models
    assert slider.options[0] == f"moment 1 of {n}"
    replays = {name: load_vae_history(name) for name in ("vae-z2", "ae-z2")}
    text = markdown_text(at)
    for name, replay in replays.items():
        last = replay.moments[-1]["step"]
        assert f"**{name}** · step {last:,} of {last:,}" in text
        mu = replay.moments[-1]["mu"]
        shown = np.concatenate([plotted(t["x"]) for t in chart(at, f"ls_replay_map_{name}")["data"]])
        assert sorted(shown.round(4)) == sorted(mu[:, 0].numpy().round(4))  # the map is the recorded μ
    assert "reconstruction" in text and "+ KL" in text
    at.select_slider(key="ls_replay_moment").set_value(1).run()
    no_errors(at)
    assert "**vae-z2** · step 0 of" in markdown_text(at) and "**ae-z2** · step 0 of" in markdown_text(at)
    assert len([i for i in at.image]) >= 4  # a grid and the reconstructions for each model


def test_replay_play_starts_from_the_beginning_and_pauses(page):
    at = open_tab(page, "Replay the training")
    at.button(key="ls_replay_play").click().run()
    no_errors(at)
    assert at.session_state["ls_replay_playing"] and at.session_state["ls_replay_moment"] == 2  # from 1, one step on
    at.button(key="ls_replay_play").click().run()
    assert not at.session_state["ls_replay_playing"]


@pytest.fixture
def live_tab(page, tiny_mnist, monkeypatch):
    monkeypatch.setenv("GENLAB_DATA", str(tiny_mnist))
    return open_tab(page, "Train one live")


def test_live_step_beta_and_reset(live_tab):
    at = live_tab
    assert any("MNIST's 256 training digits" in c.value for c in at.caption)
    notes = [a["text"] for a in chart(at, "vae_losses")["layout"]["annotations"]]
    assert "**Step 0**" in markdown_text(at) and "No steps yet: press Start or Step." in notes
    at.button(key="vae_step").click().run()
    no_errors(at)
    assert at.session_state["live_vae"].steps == 1 and "**Step 1**" in markdown_text(at)
    at.select_slider(key="vae_beta").set_value(0.0).run()
    no_errors(at)
    assert at.session_state["live_vae"].beta == 0.0
    at.button(key="vae_step").click().run()
    assert at.session_state["live_vae"].losses["beta"] == [1.0, 0.0]
    at.button(key="vae_reset").click().run()
    no_errors(at)
    live = at.session_state["live_vae"]
    assert live.steps == 0 and live.beta == 0.0 and "**Step 0**" in markdown_text(at)  # a fresh VAE, the β chosen


def test_live_start_trains_on_the_line_and_pause_stops_it(live_tab):
    at = live_tab
    at.button(key="vae_start").click().run()
    no_errors(at)
    live = at.session_state["live_vae"]
    assert live.running and until(lambda: live.steps > 2)
    at.run()
    assert "steps/s (last 10 s)" in markdown_text(at)
    at.button(key="vae_pause").click().run()
    no_errors(at)
    steps = live.steps
    at.run()
    assert not live.running and live.steps == steps


def test_live_nan_loss_pauses_with_a_message_and_reset_recovers(live_tab):
    at = live_tab
    live = at.session_state["live_vae"]
    live.next_batch = lambda: torch.full((16, 1, 28, 28), float("nan"))
    at.button(key="vae_step").click().run()
    assert not at.exception
    assert any("Training paused" in e.value and "not a number" in e.value for e in at.error)
    assert at.button(key="vae_start").disabled
    at.button(key="vae_reset").click().run()
    no_errors(at)
    assert at.session_state["live_vae"].problem is None


def test_live_tab_in_portuguese(tiny_mnist, monkeypatch):
    monkeypatch.setenv("GENLAB_DATA", str(tiny_mnist))
    at = portuguese_app("latent_space")
    open_in_portuguese(at, TABS.index("Train one live"), "live")
    at.button(key="vae_step").click().run()
    no_errors(at)
    assert "**Passo 1**" in markdown_text(at) and "os 256 dígitos de treinamento do MNIST" in " ".join(c.value for c in at.caption)
    assert not english_shown(at, "latent_space"), english_shown(at, "latent_space")
    open_in_portuguese(at, TABS.index("Replay the training"), "replay")
    assert "passo" in markdown_text(at) and "reconstrução" in markdown_text(at)


def test_live_trains_on_the_shipped_digits_when_there_is_no_dataset(page, monkeypatch):
    from app_pages.latent import live
    from core.training.data import DataUnavailableError

    def no_data(root):
        raise DataUnavailableError("no MNIST here")

    monkeypatch.setattr(live, "mnist_for_live", no_data)
    at = open_tab(page, "Train one live")
    assert any("1,000 MNIST test digits shipped with the app" in c.value for c in at.caption)
    at.button(key="vae_step").click().run()
    no_errors(at)
    assert at.session_state["live_vae"].steps == 1 and at.session_state["live_vae"].view()["mu"].shape == (1000, 2)


def test_a_missing_history_stops_only_the_replay_tab(app, tmp_path, monkeypatch):
    copy = tmp_path / "weights"
    shutil.copytree(weights_dir(), copy)
    (copy / "ae-z2.history.safetensors").unlink()
    monkeypatch.setenv("GENLAB_WEIGHTS", str(copy))
    app.switch_page(PAGE).run()
    at = open_tab_allowing_errors(app, "Replay the training")
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "ae-z2.history.safetensors is missing" in message and "train_vae.py --latent-dim 2 --plain" in message
    open_tab(at, "Sliders & map")  # the other tabs work


def open_tab_allowing_errors(at, label: str):
    at.session_state["ls_tab"] = label
    at.run()
    return at
