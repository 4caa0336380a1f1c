"""Watching the latent space form: the live VAE's test loss over wall-clock time and its steps/s, and the time to
redraw one moment of the recorded trainings' replay.

python scripts/_bench_vae_live.py [curve|replay]   # prints the rows (both parts by default)
python scripts/benchmark.py --only vae_live         # the same rows in the benchmark's table

Run it alone on the machine, with GENLAB_THREADS=1 for the one worker thread the targets name.
"""

from __future__ import annotations

import statistics
import time

import _common  # noqa: F401  (puts the repo root on sys.path)
from core.training.data import DataUnavailableError
from core.training.device import configure_threads
from core.vae.history import HISTORY_NAMES, load_vae_history
from core.vae.live import mnist_vae_data, shipped_vae_data, train_vae_live
from figures.latent import replay_moment, training_extent

CURVE_S = (10, 30, 60, 180)


def row(model: str, metric: str, value: float, unit: str) -> dict:
    return {"model": model, "metric": metric, "value": value, "unit": unit}


def live_curve(seconds=CURVE_S, beta: float = 1.0) -> list[dict]:
    threads = configure_threads()
    try:
        data, source = mnist_vae_data(), "MNIST"
    except DataUnavailableError:
        from core.training.checkpoint import load_tensors

        data, source = shipped_vae_data(load_tensors("vae-z2.data")), "shipped digits"
    _, out = train_vae_live(beta, max(seconds), data=data, curve_at=tuple(seconds))
    rows = [
        row(
            "live-vae",
            f"test loss after {p['seconds']} s of training, {p['steps']} steps (β={beta}, {source}, {threads} threads)",
            round(p["loss"], 1),
            "nats",
        )
        for p in out["curve"]
    ]
    rate = out["steps"] / max(seconds)
    rows.append(row("live-vae", f"live training steps/s (batch 128, {threads} threads)", round(rate, 2), "steps/s"))
    return rows


def replay_redraw(repeats: int = 7) -> list[dict]:
    """What one move of the replay's slider redraws: for each model its map, grid, reconstructions and loss figure."""
    replays = [load_vae_history(name) for name in HISTORY_NAMES]
    extents = [training_extent([m["mu"] for m in r.moments]) for r in replays]

    def draw(i: int):
        for r, (lo, hi) in zip(replays, extents):
            replay_moment(r, min(i, len(r.moments) - 1), lo, hi, title="x")

    middle = len(replays[0].moments) // 2
    draw(middle)  # warm-up (imports, plotly templates)
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        draw((middle + k) % len(replays[0].moments))
        times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1000
    return [row("replay", "draw one replay moment, vae-z2 and ae-z2 (2 maps, 2 grids, 2 loss figures)", round(ms, 1), "ms")]


def bench_vae_live() -> list[dict]:
    return replay_redraw() + live_curve()


if __name__ == "__main__":
    import sys

    part = sys.argv[1] if len(sys.argv) > 1 else None
    rows = {"curve": live_curve, "replay": replay_redraw}[part]() if part else bench_vae_live()
    for r in rows:
        print(f"{r['model']:>8}  {r['metric']:<80} {r['value']:>10} {r['unit']}")
