"""Every page runs; a broken weight file is a friendly message on its own page only."""
import shutil

import pytest

from conftest import ROOT, no_errors
from core.checkpoint import weights_dir

PAGES = ["app_pages/home.py", "app_pages/latent_space.py", "app_pages/gan_training.py", "app_pages/gpt_generation.py"]


def test_home_shows_a_card_per_model(app):
    no_errors(app)
    text = " ".join(m.value for m in app.markdown)
    for name in ("vae-z2", "vae-z16", "ae-z2", "gan", "gpt-shakespeare", "bigram", "classifier"):
        assert name in text
    assert "parameters" in text


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
