"""Timings for the GAN Training page: live training speed, and the cost of drawing one replay moment.

    python scripts/_bench_gan.py      # prints one line per measurement
    python scripts/_bench_gan.py --first-digits 0 1 2 3 4 5   # steps until digits, live lr vs DCGAN's, per seed

scripts/benchmark.py imports bench_gan(). Uses MNIST from the data root when present, else the
digits shipped in weights/gan.history.safetensors.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import _common  # noqa: F401  (puts the repo root on sys.path)
from core.gan.live import LIVE_SETTINGS, LiveDigitGAN, LiveToyGAN, mnist_digits, shipped_digits
from core.gan.model import load_history
from core.mnist.classifier import load_classifier
from core.training.checkpoint import load_tensors
from core.training.data import DataUnavailableError
from core.training.device import configure_threads
from figures.gan import replay_moment


def steps_per_second(live, warmup: int = 5, seconds: float = 10.0) -> float:
    live.run(warmup)
    start, steps = time.perf_counter(), live.steps
    live.run(100_000, max_seconds=seconds)
    return (live.steps - steps) / (time.perf_counter() - start)


def seconds_until_recognisable(live, confident: float = 0.3, limit: float = 300.0) -> tuple[float, int]:
    """Training seconds (and steps) until the classifier is >= 90% sure of `confident` of the samples:
    our measure of "a learner sees recognisable digits" (at 30%, most of the grid reads as digits)."""
    trained = 0.0  # seconds spent in training steps only (the snapshots' scoring is not counted)
    while trained < limit:
        start = time.perf_counter()
        live.run(live.snapshot_every - 1)
        trained += time.perf_counter() - start
        live.run(1)  # the step that takes the snapshot, scored by the classifier
        if live.history.moments[-1].get("confident_share", 0.0) >= confident:
            break
    return trained, live.steps


def row(metric: str, value: float, unit: str) -> dict:
    return {"model": "gan", "metric": metric, "value": value, "unit": unit}


def bench_gan(seconds: float = 10.0) -> list[dict]:
    threads = configure_threads()  # what the app uses
    rows = []
    try:
        data, source = mnist_digits(), "MNIST"
    except DataUnavailableError:
        data, source = shipped_digits(load_tensors("gan.history")), "shipped digits"
    live = LiveDigitGAN(data, load_classifier(), seed=0)  # with the classifier's snapshots, as on the page
    assert live.trainer.settings.batch_size == LIVE_SETTINGS.batch_size == 64
    rate = steps_per_second(live, seconds=seconds)
    rows.append(row(f"live training steps/s ({source}, batch 64, {threads} threads)", round(rate, 1), "steps/s"))
    secs, steps = seconds_until_recognisable(LiveDigitGAN(data, load_classifier(), seed=0))
    rows.append(row(f"live: seconds until 30% of samples are >=90% sure ({steps} steps)", round(secs, 1), "s"))
    rate = steps_per_second(LiveToyGAN("ring", seed=0), seconds=seconds / 2)
    rows.append(row(f"toy 2-D GAN steps/s (ring, batch 256, {threads} threads)", round(rate, 1), "steps/s"))

    tensors, meta = load_history()
    middle = len(tensors["moment.step"]) // 2
    replay_moment(tensors, meta, middle)  # warm-up (imports, plotly templates)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        replay_moment(tensors, meta, middle)
        times.append(time.perf_counter() - start)
    rows.append(row("draw one replay moment (grid + 3 figures)", round(statistics.median(times) * 1000, 1), "ms"))
    return rows


def first_digits(seeds: list[int]) -> None:
    """Steps until 30% of the samples are >= 90% sure, for the live tab's learning rates and for DCGAN's 2e-4 for
    both players, one fresh GAN per seed: steps, not seconds, so a busy machine gives the same answer."""
    data, classifier = mnist_digits(), load_classifier()
    for name, settings in {"live tab": LIVE_SETTINGS, "DCGAN, 2e-4 both": replace(LIVE_SETTINGS, lr_g=2e-4, lr_d=2e-4)}.items():
        steps = [seconds_until_recognisable(LiveDigitGAN(data, classifier, seed=seed, settings=settings))[1] for seed in seeds]
        print(f"{name} (G {settings.lr_g:g}, D {settings.lr_d:g}): steps until 30% confident, seeds {seeds}: {steps}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--first-digits", type=int, nargs="+", metavar="SEED", help="only compare steps until digits")
    a = p.parse_args()
    configure_threads()
    if a.first_digits:
        first_digits(a.first_digits)
    else:
        for row in bench_gan():
            print(f"{row['model']:>4}  {row['metric']:<60} {row['value']:>10} {row['unit']}")
