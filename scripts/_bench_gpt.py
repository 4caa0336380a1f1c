"""How fast the GPT writes: characters per second with the KV cache and without it (recomputing the
cropped context at every step), and the wait for the first character of stream().

    python scripts/_bench_gpt.py            # uses weights/ (or $GENLAB_WEIGHTS)
    python scripts/benchmark.py --only gpt  # the same rows, in the project's table
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repo root on sys.path)
import torch

from core.device import configure_threads
from core.generation import stream
from core.gpt import load_gpt

PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n"


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_gpt(name: str = "gpt-shakespeare", new_chars: int = 500, repeats: int = 3,
              directory: Path | None = None) -> list[dict]:
    """Median figures over `repeats` runs, model already loaded (as on the page)."""
    model = load_gpt(name, directory)
    ids = model.tokenizer.encode(PROMPT)
    idx = torch.tensor([ids], dtype=torch.long)

    def generate(use_cache: bool, n: int = new_chars):
        model.generate(idx, n, generator=torch.Generator().manual_seed(0), use_cache=use_cache)

    for use_cache in (True, False):  # warm-up: first calls pay for allocations
        generate(use_cache, 20)
    rate = {c: new_chars / statistics.median(_seconds(lambda: generate(c)) for _ in range(repeats))
            for c in (True, False)}
    first = statistics.median(_seconds(lambda: next(stream(model, ids, new_chars, seed=0)))
                              for _ in range(max(5, repeats)))

    def row(metric: str, value: float, unit: str) -> dict:
        return {"model": name, "metric": metric, "value": round(value, 3), "unit": unit}

    return [
        row(f"chars/s, KV cache ({new_chars} new)", rate[True], "chars/s"),
        row(f"chars/s, recompute context ({new_chars} new)", rate[False], "chars/s"),
        row("KV-cache speed-up", rate[True] / rate[False], "x"),
        row("time to first character, stream()", first * 1000, "ms"),
    ]


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
