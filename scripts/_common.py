"""What every training script shares: the common flags, seeding, the device, and torchrun."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # scripts run as `python scripts/x.py` and import core/

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from core.training import distributed  # noqa: E402
from core.training.device import pick_device  # noqa: E402


def parser(description: str, accumulate: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-dir", default=None, help="data root (default: $GENLAB_DATA, else ./data)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke runs)")
    p.add_argument("--out-dir", default=None, help="where to write weights (default: weights/)")
    p.add_argument("--resume", action="store_true", help="continue from runs/<name>/state if present")
    if accumulate:
        p.add_argument(
            "--grad-accum",
            type=int,
            default=None,
            help="micro-batches per process per step; the global batch stays --batch-size "
            "(default: derived from --micro-batch, else 1)",
        )
        p.add_argument("--micro-batch", type=int, default=None, help="the most examples one process puts through the model at once")
    return p


def setup(args) -> tuple[distributed.Dist, torch.device, torch.Generator]:
    """The run (one process, or this rank of a torchrun job), its device, and a seeded CPU generator
    (scripts that draw on the device make their own there). The seed is the same on every rank."""
    run, device = distributed.init(pick_device(args.device))
    torch.manual_seed(args.seed)  # parameter initialisation
    return run, device, torch.Generator(device="cpu").manual_seed(args.seed)


def plan(args, run: distributed.Dist, global_batch: int) -> tuple[int, int]:
    """(grad_accum, micro_batch) for this run, or a clear exit when the batch does not split."""
    try:
        return distributed.plan_batches(
            global_batch, run.world_size, getattr(args, "grad_accum", None), getattr(args, "micro_batch", None)
        )
    except ValueError as e:
        raise SystemExit(f"{e}: pick a --batch-size and a number of processes (and --grad-accum) that divide evenly.") from None


def progress(run: distributed.Dist, **kwargs) -> tqdm:
    """A progress bar on rank 0; silent on the other ranks."""
    return tqdm(disable=not run.is_main, **kwargs)


def out_dir(args) -> Path:
    return Path(args.out_dir) if args.out_dir else ROOT / "weights"


def run_dir(args, name: str) -> Path:
    """Scratch for resuming: runs/<name>, or beside a custom --out-dir (so smoke runs touch nothing here)."""
    d = (Path(args.out_dir) if args.out_dir else ROOT) / "runs" / name
    d.mkdir(parents=True, exist_ok=True)
    return d
