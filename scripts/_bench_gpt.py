"""How fast the GPT writes: characters per second with the KV cache and without it (recomputing the
cropped context at every step), and the wait for the first character of stream().

    python scripts/_bench_gpt.py            # uses weights/ (or $GENLAB_WEIGHTS)
                                            # (also an untrained lecture-size model: speed only)
    python scripts/benchmark.py --only gpt  # the same rows, in the project's table
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import _common  # noqa: F401  (puts the repo root on sys.path)
import torch

from core.device import configure_threads
from core.generation import stream
from core.gpt import GPT, load_gpt
from core.lm_train import PRESETS

PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n"


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
    return {c: new_chars / statistics.median(_seconds(lambda: generate(c)) for _ in range(repeats))
            for c in (True, False)}


def _rows(name: str, rate: dict[bool, float], new_chars: int) -> list[dict]:
    def row(metric: str, value: float, unit: str) -> dict:
        return {"model": name, "metric": metric, "value": round(value, 3), "unit": unit}

    return [
        row(f"chars/s, KV cache ({new_chars} new)", rate[True], "chars/s"),
        row(f"chars/s, recompute context ({new_chars} new)", rate[False], "chars/s"),
        row("KV-cache speed-up", rate[True] / rate[False], "x"),
    ]


def bench_gpt(name: str = "gpt-shakespeare", new_chars: int = 500, repeats: int = 3,
              directory: Path | None = None, lecture_size: bool = True) -> list[dict]:
    """Median figures over `repeats` runs, model already loaded (as on the page).

    With lecture_size, the same figures for the lecture's architecture (6 layers, 384 channels,
    context 256) with untrained weights: speed does not depend on the weights, and it shows what
    the cache buys at the size the lecture trains, which a 2-core CPU cannot train in time.
    """
    model = load_gpt(name, directory)
    ids = model.tokenizer.encode(PROMPT)
    rows = _rows(name, _rates(model, ids, new_chars, repeats), new_chars)
    first = statistics.median(_seconds(lambda: next(stream(model, ids, new_chars, seed=0)))
                              for _ in range(max(5, repeats)))
    rows.append({"model": name, "metric": "time to first character, stream()", "value": round(first * 1000, 3),
                 "unit": "ms"})
    if lecture_size:
        lecture = GPT(replace(PRESETS["lecture"][0], vocab_size=model.vocab_size)).eval()
        rows += _rows("lecture-size GPT", _rates(lecture, ids, new_chars, 1), new_chars)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", default=None, help="weights folder (default: $GENLAB_WEIGHTS, else weights/)")
    p.add_argument("--new-chars", type=int, default=500)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    configure_threads()
    for r in bench_gpt(new_chars=args.new_chars, repeats=args.repeats,
                       directory=Path(args.weights) if args.weights else None):
        print(f"{r['model']:<18} {r['metric']:<45} {r['value']:>10.4g}  {r['unit']}")


if __name__ == "__main__":
    main()
