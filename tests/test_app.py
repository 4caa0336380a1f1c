"""Every page runs; a broken weight file is a friendly message on its own page only."""

import re
import shutil

import pytest

from conftest import ROOT, no_errors
from core.training.checkpoint import weights_dir

PAGES = ["app_pages/home.py", "app_pages/latent_space.py", "app_pages/gan_training.py", "app_pages/gpt_generation.py",
         "app_pages/glossary.py"]  # fmt: skip
# Pictographs that need an emoji font (without one they are empty boxes): Material icons instead.
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u23e9-\u23fa\u2b50\u2b55\ufe0f]")
GLOSSARY_TERMS = ["Latent vector", "Encoder / decoder", "μ and σ", "N(0, I)", "Reparameterization trick", "KL divergence",
                  "nats/image", "Reconstruction loss", "Generator / discriminator", "D(x) and D(G(z))", "Fréchet distance",
                  "Mode collapse", "EMA", "Token", "Context / block size", "Self-attention", "Head", "Temperature",
                  "Top-k / top-p", "Validation loss", "Bigram", "Residual connection", "LayerNorm", "Dropout"]  # fmt: skip


def test_home_shows_a_card_per_model(app):
    no_errors(app)
    text = " ".join(m.value for m in app.markdown)
    for name in ("vae-z2", "vae-z16", "ae-z2", "gan", "gpt-shakespeare", "bigram", "classifier"):
        assert name in text
    # sizes read as sizes: not "bigram · 0.00 M parameters"
    assert "4,225 parameters" in text and "1.83 M parameters" in text and "0.00 M" not in text


def test_home_links_every_page_and_does_not_assume_a_sidebar(app):
    text = " ".join(m.value for m in app.markdown)
    assert "on the left" not in text  # on a phone the sidebar is collapsed
    links = [link.proto.page for link in app.get("page_link")]
    assert {"latent-space", "gan-training", "gpt-generation", "glossary"} <= set(links)


def test_the_shell_and_my_pages_use_no_emoji():
    files = [ROOT / "app.py", *(ROOT / p for p in PAGES if p.rsplit("/", 1)[1] in ("home.py", "gpt_generation.py", "glossary.py"))]
    files += sorted((ROOT / "text" / "en").glob("home_*.md")) + sorted((ROOT / "text" / "en").glob("gpt_*.md"))
    files += [ROOT / "text" / "en" / "glossary.md"]
    for path in files:
        found = EMOJI.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(ROOT)} uses {found}: use a :material/…: icon"


def test_the_glossary_defines_the_words_the_pages_use(app):
    app.switch_page("app_pages/glossary.py").run()
    no_errors(app)
    text = " ".join(m.value for m in app.markdown)
    missing = [term for term in GLOSSARY_TERMS if term not in text]
    assert not missing, missing
    app.text_input(key="glossary_find").set_value("KL").run()  # finding a word shows only its definitions
    found = " ".join(m.value for m in app.markdown)
    assert "KL divergence" in found and "Dropout" not in found


@pytest.mark.parametrize("page", PAGES[1:])
def test_each_page_runs_without_error(app, page):
    app.switch_page(page).run()
    no_errors(app)


@pytest.fixture
def broken_weights(tmp_path, monkeypatch):
    """A copy of weights/ with the VAE's file corrupted, served to the app through GENLAB_WEIGHTS."""
    copy = tmp_path / "weights"
    shutil.copytree(weights_dir(), copy)
    (copy / "vae-z2.safetensors").write_bytes(b"this is not a safetensors file")
    monkeypatch.setenv("GENLAB_WEIGHTS", str(copy))
    return copy


def test_a_corrupt_weight_file_breaks_only_its_own_page(broken_weights):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/latent_space.py").run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "vae-z2.safetensors" in message and "corrupt" in message
    assert "python scripts/train_vae.py --latent-dim 2" in message
    for page in ("app_pages/home.py", "app_pages/gan_training.py", "app_pages/gpt_generation.py"):
        at.switch_page(page).run()
        no_errors(at)


def test_the_portuguese_glossary_defines_every_word_of_the_english_one():
    """One definition per English definition, under the same headings (text/pt-BR/glossary.md is its twin)."""
    english, portuguese = ((ROOT / "text" / lang / "glossary.md").read_text(encoding="utf-8") for lang in ("en", "pt-BR"))
    count = lambda text, start: sum(p.startswith(start) for p in text.split("\n\n"))  # noqa: E731
    assert count(portuguese, "**") == count(english, "**") >= len(GLOSSARY_TERMS)
    assert count(portuguese, "## ") == count(english, "## ") == 4  # h2 under the page title: no skipped level
    assert not EMOJI.findall(portuguese)


def test_home_and_the_gpt_page_open_in_portuguese():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "pt-BR"
    at.run()
    no_errors(at)
    assert at.title[0].value.endswith("GenLab") and "Nos bastidores" in " ".join(m.value for m in at.markdown)
    assert any(link.proto.label.startswith("Palavras novas") for link in at.get("page_link"))
    at.switch_page("app_pages/gpt_generation.py").run()
    no_errors(at)
    assert at.title[0].value.endswith("Geração com GPT")
    assert [t.label for t in at.tabs] == [
        "Gerar",
        "Lado a lado",
        "Escada da aula",
        "Chances do próximo caractere",
        "Mapas de atenção",
        "Ficha do modelo",
        "Treine o seu",
    ]


def shown_choice(widget, held):
    """What the browser shows chosen: the text the server just set (set_value), else the text it already held."""
    if not widget.proto.set_value:
        return held
    raw = widget.proto.raw_value
    return raw if isinstance(raw, str) else list(raw)


# Choices whose options are worded in the learner's language: (page, its tab state key and tab, widget, key, value).
WORDED_CHOICES = [
    ("app_pages/gpt_generation.py", "gpt_tabs", "Generate", "radio", "gpt_typing", "slow"),
    ("app_pages/gpt_generation.py", "gpt_tabs", "Generate", "selectbox", "gpt_model", "bigram"),
    ("app_pages/latent_space.py", "ls_tab", "Sliders & map", "radio", "ls_map_bg", "nothing"),
    ("app_pages/latent_space.py", "ls_tab", "Interpolation", "radio", "ls_int_method_vae-z2", "spherical"),
    ("app_pages/gan_training.py", "gan_tab", "Toy 2-D GAN", "selectbox", "toy_dist", "moons"),
]  # fmt: skip


@pytest.mark.parametrize(("page", "tabs", "tab", "kind", "key", "value"), WORDED_CHOICES, ids=[c[4] for c in WORDED_CHOICES])
def test_a_choice_stays_chosen_when_the_language_changes_back_and_forth(app, page, tabs, tab, kind, key, value):
    """Streamlit keeps a choice as its shown text: after a language change the browser held text that no
    option had, and showed a radio with nothing selected while the page went on with the old value."""
    app.switch_page(page).run()
    app.session_state[tabs] = tab
    app.run()
    widget = getattr(app, kind)(key=key).set_value(value)
    app.run()
    widget = getattr(app, kind)(key=key)
    held = widget.options[widget.index]
    for lang in ("pt-BR", "en", "pt-BR"):
        app.selectbox(key="lang").set_value(lang).run()
        no_errors(app)
        widget = getattr(app, kind)(key=key)
        held = shown_choice(widget, held)
        assert widget.value == value and held == widget.options[widget.index], (lang, held, widget.options)
