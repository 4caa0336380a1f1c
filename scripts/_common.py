"""What every training script shares: the common flags, seeding and the device."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # scripts run as `python scripts/x.py` and import core/

import torch  # noqa: E402

from core.device import pick_device  # noqa: E402


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-dir", default=None, help="data root (default: $GENLAB_DATA, else ./data)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke runs)")
    p.add_argument("--out-dir", default=None, help="where to write weights (default: weights/)")
    p.add_argument("--resume", action="store_true", help="continue from runs/<name>/state if present")
    return p


def setup(args) -> tuple[torch.device, torch.Generator]:
    """The device, and a seeded CPU generator (scripts that draw on the device make their own there)."""
    device = pick_device(args.device)
    torch.manual_seed(args.seed)  # parameter initialisation
    return device, torch.Generator(device="cpu").manual_seed(args.seed)


def out_dir(args) -> Path:
    return Path(args.out_dir) if args.out_dir else ROOT / "weights"


def run_dir(args, name: str) -> Path:
    """Scratch for resuming: runs/<name>, or beside a custom --out-dir (so smoke runs touch nothing here)."""
    d = (Path(args.out_dir) if args.out_dir else ROOT) / "runs" / name
    d.mkdir(parents=True, exist_ok=True)
    return d
