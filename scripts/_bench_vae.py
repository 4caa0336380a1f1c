"""Latent Space timings: decoding one latent vector, and the page's rerun after a slider move.

python scripts/_bench_vae.py      # prints the rows; scripts/benchmark.py imports bench_vae()
"""

from __future__ import annotations

import statistics
import time

import torch

import _common  # noqa: F401  (puts the repo root on sys.path)
from core.training.device import configure_threads
from core.vae import latent
from core.vae.model import VAE_NAMES, load_vae


def _median_ms(fn, repeats: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def decode_latency(name: str, repeats: int = 300, warmup: int = 30) -> float:
    """Median milliseconds to decode one latent vector (what a slider move asks of the model)."""
    model = load_vae(name)
    z = torch.randn(1, model.latent_dim, generator=torch.Generator().manual_seed(0))
    return _median_ms(lambda: latent.decode(model, z), repeats, warmup)


def page_rerun(name: str, repeats: int = 7) -> float:
    """Median milliseconds of the Latent Space page's rerun after one slider moves (AppTest, no browser)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(_common.ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/latent_space.py").run()
    at.radio(key="ls_model").set_value(name).run()  # loads the model and its cached data once
    times = []
    for k in range(repeats + 1):
        at.slider(key=f"ls_z_{name}_0").set_value(-1.0 if k % 2 else 1.0)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        if at.exception or at.error:
            raise RuntimeError(f"the page failed while timing {name}: {[e.value for e in at.exception or at.error]}")
    return statistics.median(times[1:]) * 1000  # the first run after switching is a warm-up


def bench_vae() -> list[dict]:
    threads = configure_threads()  # what the app uses (GENLAB_THREADS, else every core)
    rows = []
    for name in VAE_NAMES:
        rows.append(
            {
                "model": name,
                "metric": f"decode one latent vector ({threads} threads)",
                "value": round(decode_latency(name), 3),
                "unit": "ms",
            }
        )
    if threads > 1:  # one small vector gains nothing from more threads, and waits for busy cores
        torch.set_num_threads(1)
        for name in VAE_NAMES:
            rows.append(
                {"model": name, "metric": "decode one latent vector (1 thread)", "value": round(decode_latency(name), 3), "unit": "ms"}
            )
        torch.set_num_threads(threads)
    for name in VAE_NAMES:
        rows.append(
            {
                "model": name,
                "metric": f"page rerun after a slider move (AppTest, {threads} threads)",
                "value": round(page_rerun(name), 1),
                "unit": "ms",
            }
        )
    return rows


if __name__ == "__main__":
    for row in bench_vae():
        print(f"{row['model']:8s}  {row['metric']:52s} {row['value']:>9} {row['unit']}")
