"""core/gpt/live.py: a ladder rung trained on a learner's own text, on tiny synthetic texts and a few steps."""

from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

import core
from core.gpt import live as core_live
from core.gpt.live import Corpus, LiveGPT, TextError, load_upload, min_chars, read_text_file, real_word_share, train_on_text
from core.gpt.model import load_gpt
from core.gpt.sampling import stream
from core.gpt.tokenizer import PLACEHOLDER, CharTokenizer
from core.training.checkpoint import load_state
from i18n import _, speaking

PT = "A ação do coração é não parar. Você começa, o pão está à mesa; ninguém vê o avô.\n" * 30


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    pass


def test_the_vocabulary_comes_from_the_text_in_nfc_and_keeps_accents():
    decomposed = "cafe\u0301 " * 200  # "e" + a combining accent: one character "é" after NFC
    c = Corpus(decomposed)
    assert "é" in c.tokenizer.chars and "\u0301" not in c.tokenizer.chars and c.tokenizer.placeholder is None
    c = Corpus(PT)
    assert {"ç", "ã", "é", "à", "ô"} <= set(c.tokenizer.chars)
    assert len(c.train) == int(0.9 * len(c.data)) and len(c.train) + len(c.val) == len(c.data)  # the lecture's split
    assert c.tokenizer.decode(c.tokenizer.encode("ação")) == "ação"


def test_the_vocabulary_is_capped_and_the_rest_is_one_placeholder():
    common = "abcdefghij " * 300
    rare = "".join(chr(0x4E00 + i) for i in range(300))  # 300 characters seen once each
    c = Corpus(common + rare, max_vocab=20)
    assert c.tokenizer.vocab_size == 21 and c.tokenizer.chars[-1] == PLACEHOLDER
    assert 0 < c.placeholder_share < 0.1
    assert c.tokenizer.decode(c.tokenizer.encode("ab\u4f2bz")) == f"ab{PLACEHOLDER}{PLACEHOLDER}"


def test_the_shipped_tokenizer_still_strips_accents_and_drops_the_unknown():
    tok = CharTokenizer("\n !',-.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    assert tok.placeholder is None
    assert tok.decode(tok.encode("Ac\u0327a\u0303o 😀\r\n")) == "Acao \n"


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("abc " * 20, "at least"),
        ("a" * 5000, "one character repeated"),
        ("".join(chr(0x4E00 + i) for i in range(5000)) * 2, "different characters"),
    ],
)
def test_unusable_texts_say_why_in_both_languages(text, words):
    with pytest.raises(ValueError) as e:
        train_on_text(text, "ladder-bigram", 1)
    message = e.value.args[0]
    assert words in str(message)
    with speaking("pt-BR"):
        assert _(message) != str(message) and "{" not in _(message)


def test_the_shortest_usable_text_is_what_the_message_says():
    need = min_chars(64)
    with pytest.raises(TextError, match=f"at least {need:,}"):
        Corpus(("ab" * need)[: need - 1])
    Corpus(("ab" * need)[:need])  # one character more: usable


def test_an_emoji_only_text_trains_on_its_emoji():
    c = Corpus("😀🙂🙃😉 " * 200)
    assert c.tokenizer.vocab_size == 5


def test_uploaded_text_files_are_checked_before_and_after_reading():
    never = lambda: pytest.fail("read before the size was checked")  # noqa: E731
    with pytest.raises(TextError, match="limit is 5.0 MB"):
        read_text_file("big.txt", 50_000_000, never)
    with pytest.raises(TextError, match="binary"):
        read_text_file("x.txt", 10, lambda: b"\x89PNG\x00\x00\x01")
    with pytest.raises(TextError, match="not UTF-8"):
        read_text_file("x.txt", 10, lambda: "ação".encode("latin-1"))
    assert read_text_file("x.txt", 10, lambda: "\ufeffação".encode()) == "ação"


def test_the_real_word_meter_counts_words_of_the_training_text():
    known = {"the", "king", "ação"}
    assert real_word_share("The king xq ação zz.", known) == pytest.approx(3 / 5)
    assert real_word_share("the kin", known) == 1.0  # the last word is cut off: left out
    assert real_word_share("123 !!", known) is None


def test_train_on_text_learns_and_returns_a_model_the_generation_code_uses():
    text = "the cat sat on the mat. " * 60
    model, metrics = train_on_text(text, "ladder-attention", steps=150, seed=1)
    assert not model.training and model.block_size == 64 and model.tokenizer.vocab_size == len(set(text))
    assert set(metrics) >= {"val_loss", "train_loss", "steps", "seconds"} and metrics["steps"] == 150
    assert metrics["val_loss"] < math.log(model.vocab_size) - 0.5  # well below a blind guess
    out = "".join(stream(model, model.tokenizer.encode("the "), 20, seed=0))
    assert len(out) == 20
    first, second = (core.train_on_text(text, "ladder-layernorm", steps=5, seed=2)[1] for _ in range(2))  # exported
    assert first["val_loss"] == second["val_loss"]  # and repeatable


def test_the_live_trainer_follows_the_trainer_line_protocol_and_keeps_samples():
    live = LiveGPT(Corpus(PT), "ladder-attention", seed=3, owner="me")
    assert live.owner == "me" and live.running is False
    assert [s["step"] for s in live.samples] == [0] and live.curve[0]["iter"] == 0
    assert live.run(100) == 100 and live.steps == 100
    assert [s["step"] for s in live.samples] == [0, 100] and [c["iter"] for c in live.curve] == [0, 100]
    assert live.curve[-1]["val"] < live.curve[0]["val"]
    assert all(0 <= s["real"] <= 1 for s in live.samples)
    view = live.view()
    assert view is live.view() and view["steps"] == 100
    frozen = live.frozen()
    assert not frozen.training and frozen is live.frozen()
    live.train_step()
    assert live.frozen() is not frozen  # a new copy once it moved on; the old one is untouched
    live.pause("why")
    assert not live.running and live.notice == "why"
    live.release()
    assert live.model is None and live.corpus is None


def test_a_loss_that_is_not_a_number_pauses_the_trainer_with_a_message():
    live = LiveGPT(Corpus(PT), "ladder-bigram", seed=0)
    with torch.no_grad():
        live.model.token_embedding_table.weight.fill_(float("nan"))
    live.running = True
    assert live.train_step() is False and not live.running
    assert "not a number" in live.problem
    with speaking("pt-BR"):
        assert "não é um número" in _(live.problem)


def _downloaded(tmp_path, rung="ladder-multihead"):
    live = LiveGPT(Corpus(PT), rung, seed=0)
    live.run(3)
    weights, meta = live.files("test text")
    return live, weights, meta


def test_a_downloaded_model_is_in_the_weights_format_and_comes_back_the_same(tmp_path):
    live, weights, meta = _downloaded(tmp_path)
    info = json.loads(meta)
    assert info["vocab"] == live.corpus.tokenizer.chars and info["preset"] == "ladder-multihead" and info["steps"] == 3
    assert info["metrics"]["val_loss"] > 0 and "--text" in info["command"]
    model, back = load_upload("m.safetensors", len(weights), lambda: weights, "m.json", len(meta), lambda: meta)
    ids = torch.tensor([live.corpus.tokenizer.encode("A ação")])
    live.model.eval()
    assert torch.equal(model(ids)[0], live.model(ids)[0])
    # core's own loaders read the pair as they read weights/
    (tmp_path / "my.safetensors").write_bytes(weights)
    state_model = core_live.build("ladder-multihead", live.corpus.tokenizer.vocab_size, torch.Generator())
    assert torch.equal(load_state(state_model, "my", tmp_path)(ids)[0], model(ids)[0])


def test_hostile_model_uploads_are_refused_with_a_reason(tmp_path):
    live, weights, meta = _downloaded(tmp_path)
    info = json.loads(meta)

    def refused(w: bytes, m: bytes, words: str, w_size=None):
        with pytest.raises(TextError) as e:
            load_upload("m.safetensors", len(w) if w_size is None else w_size, lambda: w, "m.json", len(m), lambda: m)
        assert words in str(e.value.args[0]), str(e.value.args[0])
        with speaking("pt-BR"):
            assert _(e.value.args[0]) != str(e.value.args[0])

    never = b"never read"
    refused(never, meta, "the limit is", w_size=50_000_000)
    refused(b"\x80\x04\x95pickle", meta, "not a .safetensors")  # a pickle is refused, never loaded
    refused(weights, b"{not json", "is not the .json")
    refused(weights, json.dumps({**info, "preset": "gpt-huge"}).encode(), "not a rung")
    refused(weights, json.dumps({**info, "config": {**info["config"], "n_embd": 4096}}).encode(), "config")
    other = {**info, "vocab": "ab", "config": {**info["config"], "vocab_size": 2}}
    refused(weights, json.dumps(other).encode(), "does not fit")  # the shapes of another vocabulary
    tensors = load_safetensors(weights)
    renamed = {("x." + k if i == 0 else k): v for i, (k, v) in enumerate(tensors.items())}
    refused(save_safetensors(renamed), meta, "does not fit")
    key = next(iter(tensors))
    nan = {**tensors, key: torch.full_like(tensors[key], float("nan"))}
    refused(save_safetensors(nan), meta, "not numbers")


def test_the_shipped_models_load_unchanged():
    model = load_gpt("bigram")
    assert model.tokenizer.placeholder is None and model.vocab_size == 65
