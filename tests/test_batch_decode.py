"""Continuous batching (core/batch_decode.py): a request decoded in a batch gets the tokens it gets alone."""

from __future__ import annotations

import threading

import pytest
import torch

from core.gpt.batch_decode import BatchDecoder, decode_alone
from core.gpt.model import GPT, BigramLanguageModel, GPTConfig
from core.gpt.sampling import MAX_NEW_TOKENS, stream
from core.gpt.tokenizer import CharTokenizer

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
TOK = CharTokenizer.from_text(TEXT)

# (prompt, sampling): prompts of many lengths, one longer than the 16-token window; greedy and seeded sampling
REQUESTS = [
    ("All:\n", dict(top_k=1)),
    ("B", dict(temperature=0.8, seed=1)),
    ("Before we proceed any further", dict(temperature=1.3, top_k=5, seed=2)),
    ("Speak, speak.", dict(temperature=0.9, top_p=0.8, seed=3)),
    ("", dict(temperature=1.0, top_k=10, top_p=0.95, seed=4)),
    ("hear me", dict(temperature=0.5, seed=5)),
]


def tiny_gpt(block_size: int = 16, seed: int = 0) -> GPT:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = GPT(GPTConfig(vocab_size=TOK.vocab_size, block_size=block_size, n_embd=32, n_head=4, n_layer=2, dropout=0.0))
    model.tokenizer = TOK
    return model.eval()


def tiny_bigram() -> BigramLanguageModel:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = BigramLanguageModel(TOK.vocab_size)
    model.tokenizer = TOK
    return model.eval()


class RecomputingGPT(GPT):
    """A GPT that does not offer a cache: the decoder feeds every row its last window."""

    supports_cache = False


def alone(model, prompt: str, n: int, **sampling) -> list[int]:
    """The reference: the request on its own through generation.stream."""
    return TOK.encode("".join(stream(model, TOK.encode(prompt), n, **sampling)))


def run(decoder: BatchDecoder) -> int:
    steps = 0
    while decoder.step():
        steps += 1
    return steps


@pytest.mark.parametrize(
    "make", [tiny_gpt, tiny_bigram, lambda: RecomputingGPT(tiny_gpt().cfg).eval()], ids=["gpt", "bigram", "no-cache"]
)
def test_a_batch_of_mixed_prompts_and_settings_gives_each_request_its_text_alone(make, one_thread):
    model = make()
    model.tokenizer = TOK
    n = 40  # well past the 16-token window: every row slides, at different steps
    decoder = BatchDecoder(model)
    requests = [decoder.submit(TOK.encode(p), n, **s) for p, s in REQUESTS]
    assert decoder.pending() == len(REQUESTS) and decoder.active() == 0
    assert run(decoder) == n - 1  # all rows step together: one forward pass per token
    for (prompt, sampling), r in zip(REQUESTS, requests):
        assert r.done and r.error is None
        assert r.new_ids == alone(model, prompt, n, **sampling), (prompt, sampling)
    assert decoder.pending() == 0


def test_a_class_with_one_prompt_prefills_together_and_each_gets_its_text(one_thread):
    model = tiny_gpt()
    prefills, real_forward = [], model.forward

    def forward(idx, targets=None, **kwargs):
        if idx.shape[1] > 1:
            prefills.append(len(idx))  # rows in this prefill
        return real_forward(idx, targets, **kwargs)

    model.forward = forward
    decoder = BatchDecoder(model)
    requests = [decoder.submit(TOK.encode("All:\n"), 40, seed=s) for s in range(8)]
    run(decoder)
    # the prompt (5 tokens: 11 steps fill the window of 16), then a rebuild from 4 tokens every 12: after
    # tokens 12, 25 and 38 of 40. Each is one forward for all eight rows.
    assert prefills == [8] * 4
    model.forward = real_forward
    assert [r.new_ids for r in requests] == [alone(model, "All:\n", 40, seed=s) for s in range(8)]


def test_requests_join_and_leave_mid_batch(one_thread):
    model = tiny_gpt()
    decoder = BatchDecoder(model, max_batch=8)
    first = [decoder.submit(TOK.encode(p), 30, **s) for p, s in REQUESTS[:3]]
    for _ in range(5):
        decoder.step()
    assert [len(r.new_ids) for r in first] == [5, 5, 5]
    late = [decoder.submit(TOK.encode(p), 25, **s) for p, s in REQUESTS[3:]]
    decoder.step()
    assert [len(r.new_ids) for r in first + late] == [6, 6, 6, 1, 1, 1]  # joined at the next step
    first[1].cancel()
    late[0].cancel()
    decoder.step()  # cancelled rows leave before the forward pass
    assert first[1].done and late[0].done and first[1].error is None
    assert len(first[1].new_ids) == 6 and len(late[0].new_ids) == 1
    assert decoder.active() == 4
    run(decoder)
    for (prompt, sampling), r, n in zip(REQUESTS, first + late, [30, 30, 30, 25, 25, 25]):
        want = alone(model, prompt, n, **sampling)
        if r.cancelled:
            assert r.new_ids == want[: len(r.new_ids)]
        else:
            assert r.new_ids == want


def test_more_requests_than_rows_wait_in_line_then_run(one_thread):
    model = tiny_gpt()
    decoder = BatchDecoder(model, max_batch=2)
    requests = [decoder.submit(TOK.encode(p), 12 + 3 * i, **s) for i, (p, s) in enumerate(REQUESTS)]
    decoder.step()
    assert decoder.active() == 2 and decoder.pending() == len(REQUESTS)
    assert [decoder.queue_position(r) for r in requests] == [0, 0, 1, 2, 3, 4]
    assert [len(r.new_ids) for r in requests] == [1, 1, 0, 0, 0, 0]
    requests[4].cancel()  # a waiting request may leave before it ever runs
    decoder.step()
    assert requests[4].done and [decoder.queue_position(r) for r in requests[2:]] == [1, 2, 0, 3]
    run(decoder)
    assert requests[4].done and requests[4].new_ids == []
    for i, ((prompt, sampling), r) in enumerate(zip(REQUESTS, requests)):
        if i != 4:
            assert r.new_ids == alone(model, prompt, 12 + 3 * i, **sampling)
        assert decoder.queue_position(r) == 0


def test_decode_alone_and_the_empty_prompt():
    model = tiny_gpt()
    assert decode_alone(model, [], 20, seed=7) == alone(model, "\n", 20, seed=7)
    assert decode_alone(model, TOK.encode("All:"), 0) == []
    long_prompt = TOK.encode(TEXT)  # only the last window matters
    assert decode_alone(model, long_prompt, 5, top_k=1) == decode_alone(model, long_prompt[-16:], 5, top_k=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(temperature=0.0),
        dict(temperature=float("nan")),
        dict(top_k=0),
        dict(top_p=1.5),
        dict(max_new_tokens=-1),
        dict(max_new_tokens=MAX_NEW_TOKENS + 1),
        dict(ids=[999]),
        dict(ids=[-1]),
    ],
)
def test_bad_requests_raise_value_error(kwargs):
    decoder = BatchDecoder(tiny_gpt())
    args = {"ids": TOK.encode("All:"), "max_new_tokens": 3, **kwargs}
    with pytest.raises(ValueError):
        decoder.submit(**args)
    assert decoder.pending() == 0


def test_a_failing_forward_fails_its_requests_and_the_decoder_goes_on(monkeypatch):
    model = tiny_gpt()
    decoder = BatchDecoder(model)
    a = decoder.submit(TOK.encode("All:"), 10, seed=1)
    decoder.step()
    real_forward = model.forward

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(model, "forward", broken)
    decoder.step()
    assert a.done and "generation failed" in a.error and "out of memory" in a.error
    assert decoder.pending() == 0
    monkeypatch.setattr(model, "forward", real_forward)
    b = decoder.submit(TOK.encode("All:"), 10, seed=1)
    run(decoder)
    assert b.error is None and b.new_ids == alone(model, "All:", 10, seed=1)


def test_a_row_with_nan_odds_fails_alone_and_the_others_go_on(monkeypatch):
    model = tiny_gpt()
    expected = [alone(model, p, 12, **s) for p, s in REQUESTS[:3]]
    # a row whose newest token is one the others never see gets NaN logits (a broken model)
    seen = {t for e in expected for t in e} | set(TOK.encode("".join(p for p, _ in REQUESTS[:3])))
    poison = next(t for t in range(TOK.vocab_size) if t not in seen)
    real_forward = model.forward

    def forward(idx, targets=None, **kwargs):
        logits, loss = real_forward(idx, targets, **kwargs)
        return logits.masked_fill((idx[:, -1] == poison)[:, None, None], float("nan")), loss

    monkeypatch.setattr(model, "forward", forward)
    decoder = BatchDecoder(model)
    bad = decoder.submit(TOK.encode("All:\n") + [poison], 10, seed=1)
    good = [decoder.submit(TOK.encode(p), 12, **s) for p, s in REQUESTS[:3]]
    run(decoder)
    assert bad.done and "NaN" in bad.error and bad.new_ids == []
    assert [r.error for r in good] == [None] * 3 and [r.new_ids for r in good] == expected


def test_threads_submit_and_wait_while_a_worker_steps():
    model = tiny_gpt()
    decoder = BatchDecoder(model, max_batch=3)
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            if not decoder.step():
                stop.wait(0.001)

    results: dict[int, list[int]] = {}

    def client(i: int):
        prompt, sampling = REQUESTS[i]
        r = decoder.submit(TOK.encode(prompt), 20, **sampling)
        seen = 0
        while not r.done:
            assert r.wait(seen, timeout=10)
            seen = len(r.new_ids)
        assert r.submitted_at <= r.first_token_at <= r.finished_at
        results[i] = r.new_ids

    thread = threading.Thread(target=worker)
    thread.start()
    clients = [threading.Thread(target=client, args=(i,)) for i in range(len(REQUESTS))]
    for c in clients:
        c.start()
    for c in clients:
        c.join(timeout=30)
    stop.set()
    thread.join(timeout=10)
    assert len(results) == len(REQUESTS)
    for i, (prompt, sampling) in enumerate(REQUESTS):
        assert results[i] == alone(model, prompt, 20, **sampling)


def test_wait_times_out_when_nothing_happens():
    decoder = BatchDecoder(tiny_gpt())
    r = decoder.submit(TOK.encode("All:"), 5)
    assert r.wait(0, timeout=0.01) is False  # no one is stepping
    decoder.step()
    assert r.wait(0, timeout=0.01) is True
