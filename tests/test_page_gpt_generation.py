"""The GPT Generation page, driven through AppTest.

It runs on a copy of the shipped gpt-shakespeare and bigram weights; where those are not trained yet,
on small untrained stand-ins written in the same format, so the page's logic is tested either way.
"""
from __future__ import annotations

import html
import shutil
from dataclasses import asdict

import pytest
import torch

from conftest import no_errors
from core.checkpoint import load_meta, save_checkpoint, weights_dir
from core.gpt import GPT, GPT_NAMES, BigramLanguageModel, GPTConfig

PAGE = "app_pages/gpt_generation.py"
VOCAB = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # tiny Shakespeare's characters


def write_stand_in(name: str, directory) -> None:
    """An untrained model saved as scripts/train_gpt.py saves one (weights + metadata)."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        if name == "bigram":
            model, config = BigramLanguageModel(len(VOCAB)), {"vocab_size": len(VOCAB)}
        else:
            cfg = GPTConfig(vocab_size=len(VOCAB), block_size=64, n_embd=32, n_head=2, n_layer=2, dropout=0.0)
            model, config = GPT(cfg), asdict(cfg)
    meta = {"model": "bigram" if name == "bigram" else "gpt", "preset": "test", "config": config, "vocab": VOCAB,
            "dataset": "none (an untrained stand-in)", "steps": 0, "best_iter": 0, "wall_time_s": 0.0,
            "metrics": {"val_loss": 4.17}, "curve": []}
    save_checkpoint(model, name, meta, directory)


@pytest.fixture(scope="module")
def source_weights(tmp_path_factory):
    """The shipped language models, or stand-ins for those not trained yet."""
    src, out = weights_dir(), tmp_path_factory.mktemp("gpt_weights")
    for name in GPT_NAMES:
        if (src / f"{name}.json").exists() and (src / f"{name}.safetensors").exists():
            for suffix in (".json", ".safetensors"):
                shutil.copy(src / f"{name}{suffix}", out)
        else:
            write_stand_in(name, out)
    return out


@pytest.fixture
def weights(source_weights, tmp_path, monkeypatch):
    """A private copy of the weights the app reads (a test may delete files from it)."""
    d = tmp_path / "weights"
    shutil.copytree(source_weights, d)
    monkeypatch.setenv("GENLAB_WEIGHTS", str(d))
    return d


def open_page(app):
    at = app.switch_page(PAGE).run()
    no_errors(at)
    return at


def generate(at, prompt: str | None = None, length: int = 30, seed: int = 1):
    if prompt is not None:
        at.text_area(key="gpt_prompt").set_value(prompt)
    at.number_input(key="gpt_len").set_value(length)
    at.number_input(key="gpt_seed").set_value(seed)
    at.button(key="gpt_go").click().run()
    return at.session_state["gpt_result"]


def test_generate_gives_the_requested_length_and_a_seed_repeats(app, weights):
    at = open_page(app)
    first = generate(at, "ROMEO:\n", length=40, seed=3)
    no_errors(at)
    assert first["done"] and len(first["text"]) == 40
    assert first["prompt"] == "ROMEO:\n"
    shown = at.html[0].value
    assert html.escape(first["text"]) in shown and html.escape("ROMEO:\n") in shown
    again = generate(at, length=40, seed=3)["text"]
    other = generate(at, length=40, seed=4)["text"]
    assert again == first["text"]
    assert other != first["text"]


@pytest.mark.parametrize("prompt,note,kept", [
    ("Ação, café", "replaced", "Acao, cafe"),
    ("to be 😀 or ☃ not", "dropped", "to be  or  not"),
    ("", "newline", "\n"),
    ("To be, or not to be " * 5000, "of 100,000 characters", None),
], ids=["accents", "emoji", "empty", "100k"])
def test_bad_prompts_are_fixed_and_explained(app, weights, prompt, note, kept):
    at = open_page(app)
    res = generate(at, prompt, length=5)
    no_errors(at)
    assert len(res["text"]) == 5
    assert any(note in i.value for i in at.info), [i.value for i in at.info]
    block = load_meta("gpt-shakespeare", weights)["config"]["block_size"]
    assert res["prompt"] == (kept if kept is not None else prompt[-block:])


def test_compare_step_and_attention(app, weights):
    at = open_page(app)
    at.text_area(key="gpt_prompt").set_value("JULIET:\n")
    at.number_input(key="gpt_len").set_value(20)
    at.button(key="gpt_compare_go").click().run()
    no_errors(at)
    cmp = at.session_state["gpt_compare"]
    assert len(cmp["bigram"]) == 20 and len(cmp["gpt"]) == 20

    at.button(key="gpt_step").click().run()  # one character drawn from the odds, appended to the prompt
    no_errors(at)
    prompt = at.text_area(key="gpt_prompt").value
    assert prompt.startswith("JULIET:\n") and len(prompt) == len("JULIET:\n") + 1

    n_layer = load_meta("gpt-shakespeare", weights)["config"]["n_layer"]
    at.radio(key="gpt_layer").set_value(n_layer).run()
    no_errors(at)
    assert len(at.get("plotly_chart")) >= 3  # odds, one head's heatmap, every head's heatmaps


def test_missing_gpt_weights_explain_how_to_train(app, weights):
    (weights / "gpt-shakespeare.safetensors").unlink()
    at = app.switch_page(PAGE).run()
    assert not at.exception
    assert any("python scripts/train_gpt.py --preset cpu" in e.value for e in at.error), [e.value for e in at.error]


def test_missing_bigram_only_affects_the_comparison(app, weights):
    (weights / "bigram.json").unlink()
    at = app.switch_page(PAGE).run()
    assert not at.exception
    assert [e.value for e in at.error if "python scripts/train_gpt.py --preset bigram" in e.value]
    assert len(generate(at, "ROMEO:\n", length=10)["text"]) == 10
    assert not at.exception


def test_the_page_writes_what_the_model_writes_alone(app, weights):
    """The page goes through the shared batched generator; its text is the solo stream()'s."""
    from core.generation import stream
    from core.gpt import load_gpt

    at = open_page(app)
    res = generate(at, "ROMEO:\n", length=60, seed=11)
    model = load_gpt("gpt-shakespeare", weights)
    alone = "".join(stream(model, model.tokenizer.encode("ROMEO:\n"), 60, seed=11))
    assert res["text"] == alone


def test_settings_live_in_the_url_and_a_restart_is_explained(weights):
    """A browser that reconnects to a restarted server opens a new session with the same URL: the settings
    come back from it, and the page says that the text written before is gone."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"gpt_len": "777", "gpt_seed": "5", "gpt_run": "an-older-server"})
    at.run()
    at.switch_page(PAGE).run()
    no_errors(at)
    assert at.number_input(key="gpt_len").value == 777 and at.number_input(key="gpt_seed").value == 5
    assert any("server restarted" in i.value for i in at.info), [i.value for i in at.info]
