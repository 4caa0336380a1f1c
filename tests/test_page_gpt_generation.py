"""The GPT Generation page, driven through AppTest.

It runs on a copy of the shipped gpt-shakespeare and bigram weights; where those are not trained yet,
on small untrained stand-ins written in the same format, so the page's logic is tested either way.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import time
from dataclasses import asdict
from statistics import fmean

import pytest
import torch

from conftest import no_errors
from core import LADDER, registry
from core.gpt import ladder
from core.gpt.model import GPT, GPT_NAMES, BigramLanguageModel, GPTConfig
from core.gpt.prompt import visible
from core.training.checkpoint import load_meta, save_checkpoint, weights_dir

PAGE = "app_pages/gpt_generation.py"
TYPING = {"slow": 20}  # the page's slow typing speed, in characters per second
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
    meta = {
        "model": "bigram" if name == "bigram" else "gpt",
        "preset": "test",
        "config": config,
        "vocab": VOCAB,
        "dataset": "none (an untrained stand-in)",
        "steps": 0,
        "best_iter": 0,
        "wall_time_s": 0.0,
        "metrics": {"val_loss": 4.17},
        "curve": [],
    }
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


def open_tab(at, label: str):
    """Only the open tab runs: open one (its English label is its value) and rerun."""
    at.session_state["gpt_tabs"] = label
    return at.run()


def generate(at, prompt: str | None = None, length: int = 30, seed: int = 1):
    if at.session_state["gpt_tabs"] != "Generate":
        open_tab(at, "Generate")
    if prompt is not None:
        at.text_area(key="gpt_prompt").set_value(prompt)
    at.number_input(key="gpt_len").set_value(length)
    at.number_input(key="gpt_seed").set_value(seed)
    at.button(key="gpt_go").click().run()
    return at.session_state["gpt_result"]


@pytest.mark.parametrize("in_a_process", ["1", "0"], ids=["decode-process", "in-process"])
def test_generate_gives_the_requested_length_and_a_seed_repeats(app, weights, in_a_process, monkeypatch):
    monkeypatch.setenv("GENLAB_DECODE_PROCESS", in_a_process)  # core/gpt/remote.py, or core/gpt/service.py
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


@pytest.mark.parametrize(
    "prompt,note,kept",
    [
        ("Ação, café", "replaced", "Acao, cafe"),
        ("to be 😀 or ☃ not", "dropped", "to be  or  not"),
        ("", "newline", "\n"),
        ("To be, or not to be " * 5000, "of 100,000 characters", None),
    ],
    ids=["accents", "emoji", "empty", "100k"],
)
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
    open_tab(at, "Side by side")
    at.button(key="gpt_compare_go").click().run()
    no_errors(at)
    cmp = at.session_state["gpt_compare"]
    assert set(cmp["texts"]) == set(registry.names(page="gpt_generation"))  # every model of the page, from the registry
    assert all(len(text) == 20 for text in cmp["texts"].values())

    open_tab(at, "Next-character odds")
    at.button(key="gpt_step").click().run()  # one character drawn from the odds, appended to the prompt
    no_errors(at)
    prompt = at.text_area(key="gpt_prompt").value
    assert prompt.startswith("JULIET:\n") and len(prompt) == len("JULIET:\n") + 1

    n_layer = load_meta("gpt-shakespeare", weights)["config"]["n_layer"]
    open_tab(at, "Attention maps")
    at.radio(key="gpt_layer").set_value(n_layer).run()
    no_errors(at)
    assert len(at.get("plotly_chart")) >= 2  # one head's heatmap, every head's heatmaps


def test_the_ladder_tab_walks_every_rung_and_writes_beside_the_rung_below(app, weights):
    at = open_page(app)
    at.text_area(key="gpt_prompt").set_value("JULIET:\n")
    at.number_input(key="gpt_len").set_value(15)
    open_tab(at, "Lecture ladder")
    no_errors(at)
    for i, name in enumerate(LADDER):
        at.select_slider(key="gpt_rung").set_value(name).run()
        no_errors(at)
        shown = " ".join(m.value for m in at.markdown)
        assert f"{i + 1} · {registry.entry(name).label}" in shown
        assert ("Validation loss" in shown) == (i > 0)  # what the step bought, against the one below
        [code] = at.code
        assert code.value == ladder.code(name)  # the real source of what the rung adds
        charts = [json.loads(c.proto.spec)["data"][0]["type"] for c in at.get("plotly_chart")]
        assert charts[0] == "scatter" and ("heatmap" in charts) == (name != "ladder-bigram")  # attention where it has it
    at.button(key="gpt_ladder_race_go").click().run()
    no_errors(at)
    race = at.session_state["gpt_ladder_race"]
    assert list(race["texts"]) == list(LADDER[-2:]) and all(len(t) == 15 for t in race["texts"].values())
    at.select_slider(key="gpt_rung").set_value(LADDER[0]).run()  # another pair: the old texts are not shown as its own
    no_errors(at)
    assert not any(html.escape(t) in h.value for t in race["texts"].values() for h in at.html)


def test_a_rung_shows_one_validation_loss_or_says_why_two_differ(app, weights):
    """The verdict averages the rung's seeds; the model writing below it is one seed: a loss shown without "(this
    seed" is the seeds' mean, to the same three decimals (it showed 1.624 beside 1.63 for the same rung)."""
    at = open_tab(open_page(app), "Lecture ladder")
    for i, name in enumerate(LADDER[1:], start=1):
        at.select_slider(key="gpt_rung").set_value(name).run()
        no_errors(at)
        metas = {n: json.loads((weights / f"{n}.json").read_text()) for n in LADDER[i - 1 : i + 1]}
        means = {f"{fmean(ladder.seed_losses(m)):.3f}" for m in metas.values()}
        own = {f"{m['metrics']['val_loss']:.3f}" for m in metas.values()}
        text = " ".join(e.value for e in [*at.markdown, *at.caption])
        shown = re.findall(r"[Vv]alidation loss ([\d.]+)(?: → ([\d.]+))?( \(this seed)?", text)
        assert len(shown) >= 3, text  # the verdict and both writers
        for before, after, this_seed in shown:
            for loss in filter(None, (before, after)):
                assert loss in (own if this_seed else means), (name, loss, this_seed, means, own)


def one_head_map(at, says: str) -> dict:
    """The layout and data of the one-head attention heatmap, whose heading must say `says`."""
    assert any(says in m.value for m in at.markdown), [m.value for m in at.markdown if "characters looks" in m.value]
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["data"][0]["type"] == "heatmap" and "ticktext" in spec["layout"]["yaxis"]:
            return spec
    raise AssertionError("no attention heatmap with character labels")


def grid_size(spec: dict) -> tuple[int, ...]:
    """The shape of a heatmap's z, as Plotly serialised it (a plain list, or typed-array bytes with a shape)."""
    z = spec["data"][0]["z"]
    return tuple(int(n) for n in z["shape"].split(",")) if isinstance(z, dict) else (len(z), len(z[0]))


def test_attention_shows_as_many_characters_as_it_says(app, weights):
    """The visitor saw "Characters shown 48" above a 9-character map: now the slider ends at the prompt's length."""
    at = open_page(app)
    text = "To be, or not to be: that is"
    open_tab(at, "Attention maps")
    at.text_area(key="gpt_prompt").set_value(text).run()
    no_errors(at)
    slider = at.slider(key="gpt_attn_chars")
    assert slider.max == len(text) and slider.value <= len(text)
    slider.set_value(20).run()
    spec = one_head_map(at, "where each of the last 20 characters")
    assert spec["layout"]["yaxis"]["ticktext"] == [visible(c) for c in text[-20:]]
    assert grid_size(spec) == (20, 20)

    at.text_area(key="gpt_prompt").set_value("ROMEO:\n").run()  # shorter than any slider: no slider, a true count
    no_errors(at)
    assert not [s for s in at.slider if s.key == "gpt_attn_chars"]
    assert any("All 7 characters" in c.value for c in at.caption)
    assert grid_size(one_head_map(at, "where each of the last 7 characters")) == (7, 7)


def test_status_above_the_text_a_download_and_a_typing_speed(app, weights):
    at = open_page(app)
    fast = generate(at, "ROMEO:\n", length=12, seed=2)
    kinds = [child.type for child in at.tabs[0].children.values()]
    assert kinds.index("caption") < kinds.index("html")  # the status line stays in view as the text grows
    [download] = at.get("download_button")
    assert download.proto.label.startswith("Download") and download.proto.url.endswith(".txt")

    at.radio(key="gpt_typing").set_value("slow")
    started = time.perf_counter()
    slow = generate(at, length=30, seed=2)
    elapsed = time.perf_counter() - started
    no_errors(at)
    assert slow["text"][:12] == fast["text"]  # the display is paced, not the model: the same text
    assert elapsed >= 30 / TYPING["slow"] * 0.95
    assert slow["seconds"] + 0.3 < elapsed  # the caption's time is the model's, not the typing's


def test_the_bigram_can_be_picked_and_the_card_shows_no_machine_paths(app, weights):
    at = open_page(app)
    assert at.selectbox(key="gpt_model").options == [registry.entry(n).label for n in registry.names(page="gpt_generation")]
    open_tab(at, "Model card")
    card = " ".join(m.value for m in at.markdown)
    assert registry.entry("gpt-shakespeare").train_command in card
    assert "--data-dir" not in card.replace("`$GENLAB_DATA`", "") and "shared/data" not in card

    at.selectbox(key="gpt_model").set_value("bigram").run()
    no_errors(at)
    assert not [i for i in at.info if "adjusted" in i.value]  # reading one character is the bigram's nature, not a cut
    assert len(generate(at, "ROMEO:\n", length=10)["text"]) == 10
    open_tab(at, "Attention maps")
    assert any("no attention" in i.value for i in at.info)  # the attention tab says why it is empty
    open_tab(at, "Model card")
    assert any("table of next-character scores" in m.value for m in at.markdown)


def test_missing_gpt_weights_explain_how_to_train(app, weights):
    (weights / "gpt-shakespeare.safetensors").unlink()
    at = app.switch_page(PAGE).run()
    assert not at.exception
    assert any("python scripts/train_gpt.py --preset cpu" in e.value for e in at.error), [e.value for e in at.error]


def test_missing_bigram_only_affects_the_comparison(app, weights):
    (weights / "bigram.json").unlink()
    at = app.switch_page(PAGE).run()
    assert not at.exception
    open_tab(at, "Side by side")
    assert [e.value for e in at.error if "python scripts/train_gpt.py --preset bigram" in e.value]
    assert len(generate(at, "ROMEO:\n", length=10)["text"]) == 10
    assert not at.exception


def test_the_page_writes_what_the_model_writes_alone(app, weights):
    """The page goes through the shared batched generator; its text is the solo stream()'s."""
    from core.gpt.model import load_gpt
    from core.gpt.sampling import stream

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


def test_the_english_caption_keeps_the_words_the_load_test_reads():
    """scripts/loadtest.py reads "N characters in X s" and "stopped after" from the English page."""
    import re

    from core.gpt.prompt import result_caption

    settings = dict(seed=1, temperature=0.8, top_k=40, top_p=0.95)
    done = result_caption(dict(text="x" * 1500, want=1500, done=True, seconds=1.234, settings=settings))
    assert re.search(r"([\d,]+) characters in ([\d.]+) s", done)[0] == "1,500 characters in 1.2 s"
    assert "seed 1 · temperature 0.80 · top-k 40 · top-p 0.95" in done
    quick = result_caption(dict(text="x" * 300, want=300, done=True, seconds=0.2449, settings=settings))
    assert re.search(r"([\d,]+) characters in ([\d.]+) s", quick)[0] == "300 characters in 0.24 s"  # two digits under 1 s
    stopped = result_caption(dict(text="x" * 20, want=300, done=False, settings=settings))
    assert "stopped after 20 of 300 characters" in stopped


def test_a_portuguese_prompt_keeps_its_letters_and_the_note_says_so_in_portuguese(app, weights):
    from core.gpt.prompt import prepare_prompt
    from core.gpt.tokenizer import CharTokenizer
    from i18n import _, speaking

    app.query_params["lang"] = "pt-BR"
    at = open_page(app)
    res = generate(at, "Ação, café", length=5)
    no_errors(at)
    assert res["prompt"] == "Acao, cafe"  # the GPT still reads and writes tiny Shakespeare's characters
    [note] = [i.value for i in at.info if "ajustado" in i.value]
    assert "acentos removidos" in note and "'ç'→'c'" in note

    [replaced] = prepare_prompt(CharTokenizer(VOCAB), "é", 64).notes  # a Message: English as a str, Portuguese via _()
    assert replaced == "replaced 'é'→'e'"
    with speaking("pt-BR"):
        assert _(replaced).startswith("acentos removidos") and _(replaced).endswith("'é'→'e'")


def test_the_sampling_sliders_write_numbers_in_the_page_language(app, weights):
    """Streamlit's slider wrote 1.00 on a Portuguese page whose text said "temperatura 1,00": select_sliders whose
    options Babel words, kept across a language change."""
    at = open_page(app)
    at.select_slider(key="gpt_temp").set_value(0.8).run()
    assert "0.80" in at.select_slider(key="gpt_temp").options
    at.selectbox(key="lang").set_value("pt-BR").run()
    no_errors(at)
    for key, ends in {"gpt_temp": ["0,10", "2,00"], "gpt_topp": ["0,05", "1,00"]}.items():
        options = at.select_slider(key=key).options
        assert [options[0], options[-1]] == ends and all("." not in o for o in options), options
    assert at.select_slider(key="gpt_temp").value == 0.8
