"""The character-level GPT: tokenizer, causal attention, KV-cache generation, training, the page's helpers."""

from __future__ import annotations

import copy
import math
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from core.gpt.model import GPT, BigramLanguageModel, GPTConfig, load_gpt
from core.gpt.prompt import attention_window, next_char_odds, prepare_prompt, visible
from core.gpt.sampling import MAX_NEW_TOKENS, check_sampling, draw, stream
from core.gpt.tokenizer import CharTokenizer
from core.gpt.train import TrainConfig, get_batch, make_optimizer, train_step

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
TOK = CharTokenizer.from_text(TEXT)


def tiny_gpt(block_size: int = 16, seed: int = 0) -> GPT:
    """A small random GPT in eval mode, with the tokenizer of TEXT (its initialisation is seeded)."""
    with torch.random.fork_rng():  # leave the global generator as it was
        torch.manual_seed(seed)
        model = GPT(GPTConfig(vocab_size=TOK.vocab_size, block_size=block_size, n_embd=32, n_head=4, n_layer=2, dropout=0.0))
    model.tokenizer = TOK
    return model.eval()


def ids_of(text: str) -> torch.Tensor:
    return torch.tensor([TOK.encode(text)], dtype=torch.long)


# --- tokenizer -------------------------------------------------------------------------------------------


def test_tokenizer_round_trip():
    assert TOK.decode(TOK.encode(TEXT)) == TEXT
    assert TOK.vocab_size == len(set(TEXT))


def test_accents_are_stripped_and_letters_kept():
    tok = CharTokenizer("\n !',-.:;?" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    clean, notes = tok.clean("Ação, café")
    assert clean == "Acao, cafe"
    assert any("replaced" in n and "'ç'→'c'" in n for n in notes)


def test_odd_characters_are_dropped_with_a_note():
    tok = CharTokenizer("\n !',-.:;?" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    clean, notes = tok.clean("to be 😀 or ☃ not")
    assert clean == "to be  or  not"
    assert any("dropped" in n and "😀" in n and "☃" in n for n in notes)
    # a curly double quote's plain form '"' is not in this vocabulary either: dropped, never a KeyError
    assert tok.decode(tok.encode("“Hi” — it’s")) == "Hi - it's"


# --- the model ---------------------------------------------------------------------------------------------


def test_causal_mask_later_characters_never_change_earlier_logits():
    model = tiny_gpt()
    a = ids_of("Before we proceed")[:, :16]
    b = a.clone()
    b[0, 10] = (b[0, 10] + 1) % TOK.vocab_size
    with torch.no_grad():
        la, lb = model(a)[0], model(b)[0]
    assert torch.allclose(la[:, :10], lb[:, :10], atol=1e-6)
    assert not torch.allclose(la[:, 10:], lb[:, 10:], atol=1e-4)


def test_attention_maps_are_causal_distributions_and_what_the_heads_compute():
    model = tiny_gpt()
    idx = ids_of("hear me speak.")
    maps = model.attention_maps(idx)
    T = idx.shape[1]
    assert maps.shape == (2, 4, T, T)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 4, T), atol=1e-5)
    assert (maps.triu(diagonal=1) == 0).all()
    # the heatmap is the matrix the fused kernel applies: attention_weights(x) @ v == head(x)
    head = model.blocks[0].sa.heads[0]
    x = model.blocks[0].ln1(model._embed(idx))
    with torch.no_grad():
        assert torch.allclose(head.attention_weights(x) @ head.value(x), head(x), atol=1e-5)


def lecture_attention(sa, x):
    """Multi-head attention as the lecture writes it: each Head on its own, outputs concatenated."""
    return sa.dropout(sa.proj(torch.cat([h(x) for h in sa.heads], dim=-1)))


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_fused_attention_is_the_lecture_heads(train):
    model = tiny_gpt().train(train)  # dropout 0: both modes are deterministic
    sa = model.blocks[0].sa
    x = torch.randn(3, 12, 32)
    fused, heads = sa(x), lecture_attention(sa, x)
    assert torch.allclose(fused, heads, atol=1e-6)
    if train:  # the gradient reaches every head's own parameters, as with the heads one by one
        grads = torch.autograd.grad(fused.square().sum(), list(sa.parameters()))
        want = torch.autograd.grad(heads.square().sum(), list(sa.parameters()))
        assert all(torch.allclose(g, w, atol=1e-6) for g, w in zip(grads, want))


def test_the_heads_keep_their_lecture_parameter_names():
    keys = set(tiny_gpt().state_dict())
    assert {f"blocks.1.sa.heads.3.{n}.weight" for n in ("key", "query", "value")} <= keys
    assert not any("qkv" in k or "fused" in k for k in keys)


def test_the_stacked_weight_follows_load_state_dict_and_training():
    model, other = tiny_gpt(seed=0), tiny_gpt(seed=1)
    idx = ids_of("Before we proceed")[:, :16]
    sa = model.blocks[0].sa
    with torch.no_grad():
        model(idx)  # builds the stacked weight
        model.load_state_dict(other.state_dict())
        assert torch.equal(model(idx)[0], other(idx)[0])
        model.load_state_dict(tiny_gpt(seed=2).state_dict(), assign=True)  # new Parameter objects
        assert torch.equal(model(idx)[0], tiny_gpt(seed=2)(idx)[0])
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    model.train()
    model(idx, idx)[1].backward()
    opt.step()
    model.eval()
    x = torch.randn(1, 5, 32)
    with torch.no_grad():
        assert torch.allclose(sa(x), lecture_attention(sa, x), atol=1e-6)  # not the weight before the step
        model.double()  # new data for every parameter
        assert torch.allclose(sa(x.double()), lecture_attention(sa, x.double()), atol=1e-12)


def test_a_cache_of_rows_at_different_lengths_steps_like_each_row_alone():
    model = tiny_gpt(block_size=16)
    prompts = [TOK.encode(p) for p in ("All:\n", "Before we pr", "S")]
    batch = model.new_cache(3)
    with torch.no_grad():
        for i, p in enumerate(prompts):
            model(torch.tensor([p]), cache=batch.view(i, i + 1))
        assert batch.lengths == [5, 12, 1]
        nxt = torch.tensor([[1], [2], [3]])
        logits, _ = model(nxt, cache=batch)
        assert batch.lengths == [6, 13, 2]
        for i, p in enumerate(prompts):
            one = model.new_cache()
            model(torch.tensor([p]), cache=one)
            assert torch.allclose(logits[i], model(nxt[i : i + 1], cache=one)[0][0], atol=1e-5)
            assert torch.allclose(logits[i, -1], model(torch.tensor([p + [i + 1]]))[0][0, -1], atol=1e-5)


def rung(name: str, seed: int = 0) -> GPT:
    """A random model shaped like a ladder rung (some without LayerNorm, residuals or feed-forward), every
    parameter drawn away from its initial value: biases and LayerNorms too."""
    from core.gpt.ladder import CONFIGS

    cfg = CONFIGS[name]
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = GPT(GPTConfig(**{**cfg.__dict__, "vocab_size": TOK.vocab_size, "block_size": 16, "n_embd": 32, "dropout": 0.0}))
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.1 * torch.randn_like(p))
    return model.eval()


@pytest.mark.parametrize("name", ["ladder-attention", "ladder-multihead", "ladder-feedforward", "ladder-residual", "ladder-dropout"])
def test_the_cached_step_computes_the_lecture_forward_on_every_rung(name):
    """core/gpt/kv_cache.py writes the forward out for sampling: it must give the modules' logits, row by row."""
    model = rung(name)
    prompts = [TOK.encode(p) for p in ("All:\n", "Before we pr", "S")]
    cache = model.new_cache(3)
    with torch.no_grad():
        for i, p in enumerate(prompts):
            full = model(torch.tensor([p]), cache=cache.view(i, i + 1))[0]
            assert torch.allclose(full, model(torch.tensor([p]))[0], atol=1e-5)
        for step in range(3):  # rows of three lengths step together
            nxt = torch.tensor([[step + 1], [step + 2], [step + 3]])
            last = model(nxt, cache=cache, last_only=True)[0]
            for i in range(3):
                prompts[i].append(step + i + 1)
                assert torch.allclose(last[i, -1], model(torch.tensor([prompts[i]]))[0][0, -1], atol=1e-5)


def test_last_only_gives_the_last_logits_with_and_without_a_cache():
    model = tiny_gpt()
    idx = ids_of("Before we proceed")[:, :12]
    with torch.no_grad():
        full = model(idx)[0]
        assert torch.allclose(model(idx, last_only=True)[0], full[:, -1:], atol=1e-6)
        cached = model(idx, cache=model.new_cache(), last_only=True)[0]
    assert cached.shape == (1, 1, TOK.vocab_size)
    assert torch.allclose(cached, full[:, -1:], atol=1e-5)


def test_the_cached_step_follows_every_change_to_the_parameters():
    model, idx = tiny_gpt(seed=0), ids_of("Before we proceed")[:, :12]

    def agree(m):
        with torch.no_grad():
            cached = m(idx, cache=m.new_cache())[0]
            return torch.allclose(cached, m(idx)[0], atol=1e-5 if cached.dtype == torch.float32 else 1e-12)

    assert agree(model)  # builds the sampling weights
    with torch.no_grad():
        model.lm_head.weight.mul_(2)  # in place
        model.blocks[1].sa.heads[2].key.weight.add_(0.5)
    assert agree(model)
    model.load_state_dict(tiny_gpt(seed=1).state_dict())
    assert agree(model)
    model.load_state_dict(tiny_gpt(seed=2).state_dict(), assign=True)  # new Parameter objects
    assert agree(model)
    twin = copy.deepcopy(model)  # as the live trainer snapshots its model
    twin.load_state_dict(tiny_gpt(seed=3).state_dict(), assign=True)
    assert agree(twin) and agree(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    model.train()
    model(idx, idx)[1].backward()
    opt.step()
    assert agree(model.eval())
    assert agree(model.double())  # new data for every parameter


@pytest.mark.parametrize("sampling", [dict(top_k=1), dict(temperature=0.9, top_p=0.9)], ids=["greedy", "sampled"])
def test_cached_and_recomputed_generation_agree_within_the_window(sampling):
    model = tiny_gpt(block_size=16)
    idx = ids_of("All:\n")  # 5 tokens + 11 new = 16: every step sees its whole past on both paths
    out = {}
    for use_cache in (True, False):
        gen = torch.Generator().manual_seed(42)
        out[use_cache] = model.generate(idx, 11, generator=gen, use_cache=use_cache, **sampling)
    assert out[True].shape == (1, 16)
    assert torch.equal(out[True], out[False])


def test_cached_generation_slides_past_the_window():
    model = tiny_gpt(block_size=16)
    idx = ids_of("Speak, sp")  # 9 tokens + 60 new: far past the 16-token window
    out = {}
    for use_cache in (True, False):
        out[use_cache] = model.generate(idx, 60, generator=torch.Generator().manual_seed(0), use_cache=use_cache)
    assert out[True].shape == (1, 69)
    assert int(out[True].min()) >= 0 and int(out[True].max()) < TOK.vocab_size
    # identical while the text fits the window; after that the cache slides and may differ
    assert torch.equal(out[True][:, :16], out[False][:, :16])
    again = model.generate(idx, 60, generator=torch.Generator().manual_seed(0), use_cache=True)
    assert torch.equal(again, out[True])


def test_the_loss_by_position_averages_to_the_full_loss_and_a_longer_context_helps_a_trained_model():
    from core.gpt.train import full_loss, loss_by_position

    model = tiny_gpt(block_size=8).train()
    data = torch.tensor(TOK.encode(TEXT * 20), dtype=torch.long)
    by_position = loss_by_position(model, data, 8)
    assert by_position.shape == (8,)
    assert by_position.mean().item() == pytest.approx(full_loss(model, data, 8), abs=1e-5)
    cfg = TrainConfig(batch_size=16, max_iters=60, lr=3e-3, min_lr=3e-3, warmup_iters=0, weight_decay=0.0)
    opt, gen = make_optimizer(model.train(), cfg), torch.Generator().manual_seed(0)
    for it in range(60):
        train_step(model, opt, *get_batch(data, 8, 16, gen), cfg, it)
    trained = loss_by_position(model, data, 8)
    assert trained[-4:].mean() < trained[0]  # one character of context predicts worse than five to eight


def test_loss_falls_on_a_tiny_text():
    model = tiny_gpt(block_size=8).train()
    data = torch.tensor(TOK.encode(TEXT * 5), dtype=torch.long)
    cfg = TrainConfig(batch_size=16, max_iters=40, lr=3e-3, min_lr=3e-3, warmup_iters=0, weight_decay=0.0)
    opt = make_optimizer(model, cfg)
    gen = torch.Generator().manual_seed(0)
    losses = [train_step(model, opt, *get_batch(data, 8, 16, gen), cfg, it) for it in range(40)]
    assert losses[0] == pytest.approx(math.log(TOK.vocab_size), abs=0.3)  # starts as a blind guess
    assert sum(losses[-5:]) / 5 < 0.6 * losses[0]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(temperature=0.0),
        dict(temperature=-1.0),
        dict(temperature=float("nan")),
        dict(temperature=5.1),
        dict(top_k=0),
        dict(top_k=999),
        dict(top_p=0.0),
        dict(top_p=1.5),
        dict(max_new_tokens=-1),
        dict(max_new_tokens=MAX_NEW_TOKENS + 1),
        dict(max_new_tokens=2.5),
    ],
)
def test_out_of_bound_values_raise_value_error(kwargs):
    model = tiny_gpt()
    args = {"max_new_tokens": 3, "temperature": 1.0, "top_k": None, "top_p": None, **kwargs}
    with pytest.raises(ValueError):
        check_sampling(**args, vocab_size=TOK.vocab_size)
    with pytest.raises(ValueError):
        model.generate(ids_of("A"), **args)
    with pytest.raises(ValueError):
        list(stream(model, TOK.encode("A"), **args))


def test_draw_is_multinomial_and_a_row_draws_alone_what_it_draws_in_a_batch():
    probs = torch.softmax(3 * torch.randn(6, 40, generator=torch.Generator().manual_seed(0)), dim=-1)
    for seed in range(20):  # one generator for the batch: torch.multinomial's draws, and its generator's state after
        g, h = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        assert torch.equal(draw(probs, g), torch.multinomial(probs, 1, generator=h))
        assert torch.equal(draw(probs, g), torch.multinomial(probs, 1, generator=h))
    # one generator per row: each row gets what it gets alone
    batched = draw(probs, [torch.Generator().manual_seed(s) for s in range(6)])
    alone = [draw(probs[i : i + 1], torch.Generator().manual_seed(i)) for i in range(6)]
    assert torch.equal(batched, torch.cat(alone))
    with pytest.raises(RuntimeError, match="NaN"):
        draw(torch.full((1, 40), float("nan")), None)


def test_stream_stops_when_asked():
    model = tiny_gpt()
    produced: list[str] = []
    for ch in stream(model, TOK.encode("All:"), 50, seed=0, should_stop=lambda: len(produced) >= 5):
        produced.append(ch)
    assert len(produced) == 5
    assert all(len(ch) == 1 and ch in TOK.chars for ch in produced)


def test_stream_is_repeatable_with_a_seed_and_starts_an_empty_prompt_from_a_newline():
    model = tiny_gpt()
    a = "".join(stream(model, [], 20, seed=7))
    b = "".join(stream(model, TOK.encode("\n"), 20, seed=7))
    assert len(a) == 20 and a == b


def test_bigram_generates_from_the_last_character_only():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        bigram = BigramLanguageModel(TOK.vocab_size).eval()
    bigram.tokenizer = TOK
    a = "".join(stream(bigram, TOK.encode("All:"), 30, seed=1))
    b = "".join(stream(bigram, TOK.encode("Before we speak:"), 30, seed=1))
    assert len(a) == 30 and a == b  # both prompts end with ':'


# --- what the page computes (core/gpt_tools.py) --------------------------------------------------------------


def test_prepare_prompt_cleans_and_notes_changes():
    p = prepare_prompt(TOK, "Befóre 😀 we", block_size=16)
    assert p.text == "Before  we"
    assert p.ids == TOK.encode("Before  we")
    assert any("replaced" in n for n in p.notes) and any("dropped" in n for n in p.notes)
    assert prepare_prompt(TOK, "All:", 16).notes == []


def test_prepare_prompt_starts_an_empty_prompt_from_a_newline():
    for raw in ("", "😀☃"):
        p = prepare_prompt(TOK, raw, block_size=16)
        assert p.text == "\n" and p.ids == TOK.encode("\n")
        assert any("newline" in n for n in p.notes)


def test_prepare_prompt_keeps_only_the_last_window_of_a_huge_paste():
    raw = "😀" * 50_000 + "a" * 49_990 + "Speak, all"
    p = prepare_prompt(TOK, raw, block_size=16)
    assert p.text == "aaaaaaSpeak, all"
    assert any("last 16 of 100,000" in n for n in p.notes)
    # only the end was cleaned: the emoji far before the window are not even looked at
    assert not any("dropped" in n for n in p.notes)


def test_next_char_odds_are_the_sampling_distribution():
    model = tiny_gpt()
    ids = TOK.encode("Speak, spea")
    odds = next_char_odds(model, ids, temperature=1.0, k=TOK.vocab_size)
    probs = [p for _, p in odds]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) == pytest.approx(1.0, abs=1e-5)
    assert sorted(c for c, _ in odds) == sorted(TOK.chars)
    # with top-k=3 only three characters can come out, and greedy sampling picks the likeliest
    assert sum(p > 0 for _, p in next_char_odds(model, ids, top_k=3, k=10)) == 3
    assert "".join(stream(model, ids, 1, top_k=1, seed=0)) == odds[0][0]
    # a low temperature sharpens the odds
    assert next_char_odds(model, ids, temperature=0.2, k=1)[0][1] > odds[0][1]
    with pytest.raises(ValueError):
        next_char_odds(model, ids, temperature=0.0)


def test_attention_window_labels_make_whitespace_visible():
    model = tiny_gpt(block_size=16)
    maps, labels = attention_window(model, TOK.encode("All:\nSpeak, speak."), max_chars=64)
    assert maps.shape == (2, 4, 16, 16)  # never more than the context window
    assert labels == [visible(c) for c in "All:\nSpeak, speak."[-16:]]
    assert "·" in labels and visible("\n") == "↵"


# --- the training script, end to end on a tiny text -------------------------------------------------------------


@pytest.mark.parametrize("preset,name", [("cpu", "gpt-shakespeare"), ("bigram", "bigram")])
def test_train_script_smoke_run_writes_loadable_weights(tiny_shakespeare, tmp_path, preset, name):
    out = tmp_path / "weights"
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "train_gpt.py"),
        "--data-dir",
        str(tiny_shakespeare),
        "--device",
        "cpu",
        "--preset",
        preset,
        "--out-dir",
        str(out),
        "--max-iters",
        "2",
        "--eval-interval",
        "2",
        "--batch-size",
        "4",
    ]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    model = load_gpt(name, out)
    text = (tiny_shakespeare / "tinyshakespeare" / "input.txt").read_text()
    assert model.tokenizer.chars == "".join(sorted(set(text)))
    assert not model.training
    sample = "".join(stream(model, model.tokenizer.encode("All:"), 10, seed=0))
    assert len(sample) == 10 and set(sample) <= set(text)
