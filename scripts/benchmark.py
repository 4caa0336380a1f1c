"""Speed figures for the shipped models, measured on this machine.

    python scripts/benchmark.py                      # all sections, printed as a table
    python scripts/benchmark.py --only gpt --json bench.json
    GENLAB_THREADS=1 python scripts/benchmark.py --only vae_live   # the live VAE and the replay (Latent Space)

Each section lives in scripts/_bench_<model>.py and returns rows
{"model", "metric", "value", "unit"}. Run on an otherwise idle machine: the figures are wall-clock.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys

import torch

import _common  # noqa: F401  (puts the repo root on sys.path)
from core.training.device import configure_threads

SECTIONS = ("vae", "gan", "gpt", "gpt_train", "vae_live")


def run_section(name: str) -> list[dict]:
    module = __import__(f"_bench_{name}")
    return getattr(module, f"bench_{name}")()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=SECTIONS, default=None)
    p.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = p.parse_args()
    threads = configure_threads()
    machine = f"{platform.processor() or platform.machine()}, {threads} torch threads, torch {torch.__version__}"
    rows = []
    for name in args.only or SECTIONS:
        rows += run_section(name)
    print(f"machine: {machine}")
    print(f"{'model':<18} {'metric':<52} {'value':>10}  unit")
    for r in rows:
        print(f"{r['model']:<18} {r['metric']:<52} {r['value']:>10.3g}  {r['unit']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
