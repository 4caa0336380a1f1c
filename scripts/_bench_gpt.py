"""How fast the GPT writes: characters per second with the KV cache and without it (recomputing the
cropped context at every step), the wait for the first character of stream(), one stream and 20
streams decoded together by the BatchDecoder (the whole class on one server), and how many of 20
texts come out identical batched and alone.

    python scripts/_bench_gpt.py            # uses weights/ (or $GENLAB_WEIGHTS)
    python scripts/_bench_gpt.py --dtype bfloat16   # what 16-bit decoding would buy, and cost
                                            # (also an untrained lecture-size model: speed only)
    python scripts/_bench_gpt.py --context-loss --data-dir <data>   # what a rebuilt cache may keep
    python scripts/benchmark.py --only gpt  # the same rows, in the project's table
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

import _common  # noqa: F401  (puts the repo root on sys.path)
from core.gpt.batch_decode import BatchDecoder, decode_alone
from core.gpt.model import GPT, load_gpt
from core.gpt.sampling import kept_on_rebuild, stream
from core.gpt.train import PRESETS, loss_by_position, split
from core.training.data import load_shakespeare
from core.training.device import configure_threads

PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n"
# Twenty students, twenty prompts of different lengths.
PROMPTS = [
    PROMPT,
    "\n",
    "KING RICHARD III:\nNow is the winter of our discontent",
    "HAMLET:\nTo be, or not to be",
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n",
    "MENENIUS:\n",
    "JULIET:\nO Romeo, Romeo! wherefore art thou Romeo?",
    "A",
    "LADY MACBETH:\nOut, damned spot!",
    "PROSPERO:\nWe are such stuff as dreams are made on",
    "KING LEAR:\nBlow, winds, and crack your cheeks!",
    "The quality of mercy is not strain'd",
    "MERCUTIO:\nA plague o' both your houses!",
    "GLOUCESTER:\n",
    "Friends, Romans, countrymen, lend me your ears;\nI come to bury Caesar, not to praise him.\n",
    "DUKE VINCENTIO:\nBe absolute for death",
    "What's in a name? That which we call a rose",
    "CORIOLANUS:\nYou common cry of curs!",
    "QUEEN ELIZABETH:\n",
    "All the world's a stage,\n",
]


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _rates(model, ids: list[int], new_chars: int, repeats: int) -> dict[bool, float]:
    """Characters per second with (True) and without (False) the KV cache; median of `repeats`."""
    idx = torch.tensor([ids], dtype=torch.long)

    def generate(use_cache: bool, n: int = new_chars):
        model.generate(idx, n, generator=torch.Generator().manual_seed(0), use_cache=use_cache)

    for use_cache in (True, False):  # warm-up: first calls pay for allocations
        generate(use_cache, 20)
    return {c: new_chars / statistics.median(_seconds(lambda c=c: generate(c)) for _ in range(repeats)) for c in (True, False)}


def _rows(name: str, rate: dict[bool, float], new_chars: int) -> list[dict]:
    def row(metric: str, value: float, unit: str) -> dict:
        return {"model": name, "metric": metric, "value": round(value, 3), "unit": unit}

    return [
        row(f"chars/s, KV cache ({new_chars} new)", rate[True], "chars/s"),
        row(f"chars/s, recompute context ({new_chars} new)", rate[False], "chars/s"),
        row("KV-cache speed-up", rate[True] / rate[False], "x"),
    ]


def _stream_rate(model, ids: list[int], new_chars: int, repeats: int) -> float:
    """Characters per second of one stream() with the cache, as the page consumes it."""

    def run():
        for _ in stream(model, ids, new_chars, seed=0):
            pass

    run()
    return new_chars / statistics.median(_seconds(run) for _ in range(repeats))


def _decoder_rates(model, new_chars: int, repeats: int, streams: int = 20) -> tuple[float, float]:
    """Characters per second through a BatchDecoder: one request alone, and `streams` requests together
    (prompts of different lengths, each with its own seed; admission and prefills included)."""
    tok = model.tokenizer
    prompts = [tok.encode(p) for p in PROMPTS[:streams]]

    def together():
        decoder = BatchDecoder(model, max_batch=streams)
        for i, ids in enumerate(prompts):
            decoder.submit(ids, new_chars, seed=i)
        while decoder.step():
            pass

    def alone():
        decode_alone(model, prompts[0], new_chars, seed=0)

    alone()
    one = new_chars / statistics.median(_seconds(alone) for _ in range(repeats))
    many = streams * new_chars / statistics.median(_seconds(together) for _ in range(repeats))
    return one, many


@torch.inference_mode()
def _products_alone(model, batch: int, steps: int = 200) -> float:
    """Steps per second of the model's matrix products alone, one position per row, as the cached step
    runs them (core/gpt/kv_cache.py): every layer's query/key/value, projection and feed-forward products and
    the output layer, with no attention, no LayerNorm, no sampling. Batch 1 reads every weight once per
    character: the bound on decoding speed."""
    w = model.sampling_weights()
    x = torch.randn(batch, model.cfg.n_embd, dtype=w.head_t.dtype)

    def chain():
        for layer in w.layers:
            up_t, up_b, down_t, down_b = layer.ffwd
            x @ layer.qkv_t
            y = torch.addmm(layer.proj_b, x, layer.proj_t)
            torch.addmm(down_b, torch.addmm(up_b, y, up_t).relu_(), down_t)
        torch.addmm(w.head_b, x, w.head_t)

    for _ in range(10):
        chain()
    return steps / _seconds(lambda: [chain() for _ in range(steps)])


@torch.inference_mode()
def _attention_alone(model, batch: int, positions: int, steps: int = 50) -> float:
    """Milliseconds a step spends in attention alone: in every layer, one new query per row against
    `positions` cached keys and values, through the same fused kernel. At 20 rows this reads as many
    bytes as the weights: the other half of the bound on batched decoding."""
    cfg = model.cfg
    cache = model.new_cache(batch)
    q = torch.randn(batch, cfg.n_head, 1, cfg.n_embd // cfg.n_head, dtype=cache.k.dtype)
    layers = [(cache.k[i, :, :, :positions], cache.v[i, :, :, :positions]) for i in range(cfg.n_layer)]

    def step():
        for k, v in layers:
            torch.nn.functional.scaled_dot_product_attention(q, k, v)

    step()
    return 1000 * _seconds(lambda: [step() for _ in range(steps)]) / steps


def _bound_rows(name: str, model) -> list[dict]:
    """What a decoding step cannot go below: its matrix products alone, attention alone, and a window rebuild."""
    rows = []
    for batch in (1, 20):
        rows.append({"model": name, "metric": f"matrix products alone, {batch} row(s) a step (the bound)",
                     "value": round(batch * _products_alone(model, batch), 1), "unit": "chars/s"})  # fmt: skip
    kept = kept_on_rebuild(model.block_size)
    for positions in (kept, model.block_size):  # a row's window holds between the two
        rows.append({"model": name, "metric": f"attention alone, 20 rows x {positions} positions",
                     "value": round(_attention_alone(model, 20, positions), 3), "unit": "ms a step"})  # fmt: skip
    rows.append({"model": name, "metric": f"rebuilding one row's cache from {kept} characters",
                 "value": round(_rebuild_ms(model, kept), 2), "unit": "ms"})  # fmt: skip
    return rows


@torch.inference_mode()
def _rebuild_ms(model, n: int, repeats: int = 5) -> float:
    """Milliseconds to fill one row's cache from n characters (a prompt, or a window rebuilt past the context)."""
    idx = torch.zeros(1, n, dtype=torch.long)
    model(idx, cache=model.new_cache(1))
    return 1000 * statistics.median(_seconds(lambda: model(idx, cache=model.new_cache(1))) for _ in range(repeats))


def _batch_rows(name: str, model, new_chars: int, repeats: int) -> list[dict]:
    ids = model.tokenizer.encode(PROMPT)
    one, many = _decoder_rates(model, new_chars, repeats)
    return [
        {
            "model": name,
            "metric": f"chars/s, one stream, stream() ({new_chars} new)",
            "value": round(_stream_rate(model, ids, new_chars, repeats), 3),
            "unit": "chars/s",
        },
        {"model": name, "metric": f"chars/s, one stream, BatchDecoder ({new_chars} new)", "value": round(one, 3), "unit": "chars/s"},
        {
            "model": name,
            "metric": f"chars/s, 20 streams batched, total ({new_chars} new each)",
            "value": round(many, 3),
            "unit": "chars/s",
        },
    ]


def identical_texts(model, new_chars: int = 300, **sampling) -> int:
    """Of the 20 prompts, how many texts are the same decoded together as decoded alone with stream()."""
    tok = model.tokenizer
    decoder = BatchDecoder(model, max_batch=len(PROMPTS))
    requests = [decoder.submit(tok.encode(p), new_chars, seed=i, **sampling) for i, p in enumerate(PROMPTS)]
    while decoder.step():
        pass
    return sum(
        tok.decode(r.new_ids) == "".join(stream(model, tok.encode(p), new_chars, seed=i, **sampling))
        for i, (p, r) in enumerate(zip(PROMPTS, requests))
    )


def bench_gpt(
    name: str = "gpt-shakespeare",
    new_chars: int = 500,
    repeats: int = 3,
    directory: Path | None = None,
    lecture_size: bool = True,
    dtype: torch.dtype = torch.float32,
) -> list[dict]:
    """Median figures over `repeats` runs, model already loaded (as on the page).

    With lecture_size, the same figures for the lecture's architecture (6 layers, 384 channels,
    context 256) with untrained weights: speed does not depend on the weights, and it shows what
    the cache buys at the size the lecture trains, which a 2-core CPU cannot train in time.
    dtype: the app decodes in float32; bfloat16 shows what 16-bit decoding would buy, and what it costs
    (the identical-texts rows).
    """
    model = load_gpt(name, directory).to(dtype)
    ids = model.tokenizer.encode(PROMPT)
    rows = _rows(name, _rates(model, ids, new_chars, repeats), new_chars)
    first = statistics.median(_seconds(lambda: next(stream(model, ids, new_chars, seed=0))) for _ in range(max(5, repeats)))
    rows.append({"model": name, "metric": "time to first character, stream()", "value": round(first * 1000, 3), "unit": "ms"})
    rows += _batch_rows(name, model, new_chars, repeats)
    rows += _bound_rows(name, model)
    for label, sampling in (("sampled", {}), ("greedy", {"top_k": 1})):
        rows.append(
            {
                "model": name,
                "metric": f"identical texts, batched vs alone (20x300, {label})",
                "value": identical_texts(model, 300, **sampling),
                "unit": "of 20",
            }
        )
    if lecture_size:
        lecture = GPT(replace(PRESETS["lecture"][0], vocab_size=model.vocab_size)).eval().to(dtype)
        lecture.tokenizer = model.tokenizer
        rows += _rows("lecture-size GPT", _rates(lecture, ids, new_chars, 1), new_chars)
        rows += _batch_rows("lecture-size GPT", lecture, new_chars, 1)
        rows += _bound_rows("lecture-size GPT", lecture)
    return rows


def context_losses(model, text: str, kept: tuple[int, ...] = (8, 16, 32, 64)) -> dict[int, float]:
    """For each number of characters a rebuilt cache keeps, the model's mean validation loss over the positions
    that see at least that many (what sampling meets as the cache slides: every length from there to a window)."""
    data = torch.tensor(model.tokenizer.encode(text), dtype=torch.long)
    by_position = loss_by_position(model, split(data)[1], model.block_size)
    return {k: round(by_position[k - 1 :].mean().item(), 4) for k in kept if k <= model.block_size}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", default=None, help="weights folder (default: $GENLAB_WEIGHTS, else weights/)")
    p.add_argument("--new-chars", type=int, default=500)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32", help="decode in this precision")
    p.add_argument("--context-loss", action="store_true", help="instead: the validation loss by context kept on a rebuild")
    p.add_argument("--data-dir", default=None, help="tiny Shakespeare's folder, for --context-loss")
    args = p.parse_args()
    configure_threads()
    weights = Path(args.weights) if args.weights else None
    if args.context_loss:
        for kept, loss in context_losses(load_gpt(directory=weights), load_shakespeare(args.data_dir)).items():
            print(f"context of at least {kept:>3} characters: validation loss {loss:.4f}")
        return
    for r in bench_gpt(new_chars=args.new_chars, repeats=args.repeats, directory=weights, dtype=getattr(torch, args.dtype)):
        print(f"{r['model']:<18} {r['metric']:<55} {r['value']:>10.4g}  {r['unit']}")


if __name__ == "__main__":
    main()
