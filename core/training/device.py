"""Where to run: --device auto|cpu|cuda|mps, and a sane thread count for a shared server."""

from __future__ import annotations

import os

import torch

_threads_set = False


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked for, but no CUDA GPU is available.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise SystemExit("--device mps asked for, but MPS is not available.")
    return torch.device(name)


def configure_threads(n: int | None = None) -> int:
    """Set torch's intra-op threads once per process.

    In the app, the compute scheduler (core/serving/scheduler.py) runs all model work on one worker per core
    and asks for cores // workers threads each, so workers x threads never exceeds the cores. Scripts
    and benchmarks that call this without a number get half the cores (one on a 2-core machine): the
    models are small, and a single decode gains little from a second thread. GENLAB_THREADS overrides.
    """
    global _threads_set
    if not _threads_set:
        n = int(os.environ.get("GENLAB_THREADS") or n or max(1, (os.cpu_count() or 2) // 2))
        torch.set_num_threads(max(1, n))
        _threads_set = True
    return torch.get_num_threads()
