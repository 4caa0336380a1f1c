"""Datasets: MNIST (through torchvision) and tiny Shakespeare, under one data root.

The data root is, in order: an explicit argument (a script's --data-dir), the environment
variable GENLAB_DATA, else ./data. Files are downloaded only when missing.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import torch

SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
SHAKESPEARE_CHARS = 1_115_394


class DataUnavailableError(RuntimeError):
    """The dataset is not on disk and could not be downloaded."""


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    if data_dir:
        return Path(data_dir)
    return Path(os.environ.get("GENLAB_DATA") or "data")


def _mnist_present(root: Path) -> bool:
    raw = root / "MNIST" / "raw"
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    return all((raw / n).exists() for n in names)


def load_mnist(train: bool, data_dir=None, download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """All of MNIST's train (60,000) or test (10,000) split in memory.

    Returns images as float32 of shape (N, 1, 28, 28) in [0, 1] and labels as int64 (N,).
    Holding the whole split as one tensor makes CPU training much faster than a DataLoader.
    """
    from torchvision.datasets import MNIST  # imported here: the app never needs it without data

    root = data_root(data_dir)
    if not _mnist_present(root) and not download:
        raise DataUnavailableError(f"MNIST is not under {root}/MNIST/raw and downloading is off.")
    try:
        ds = MNIST(root=str(root), train=train, download=download and not _mnist_present(root))
    except Exception as e:  # offline, read-only folder, partial download...
        raise DataUnavailableError(
            f"MNIST could not be found or downloaded under {root} ({e}). "
            "Pass --data-dir or set GENLAB_DATA to a folder holding MNIST/raw/."
        ) from e
    images = ds.data.unsqueeze(1).float().div_(255.0)
    return images, ds.targets.clone()


def shakespeare_path(data_dir=None) -> Path:
    return data_root(data_dir) / "tinyshakespeare" / "input.txt"


def load_shakespeare(data_dir=None, download: bool = True) -> str:
    """The char-rnn tiny Shakespeare text (1,115,394 characters)."""
    path = shakespeare_path(data_dir)
    if not path.exists():
        if not download:
            raise DataUnavailableError(f"{path} is missing and downloading is off.")
        _download(SHAKESPEARE_URL, path)
    return path.read_text(encoding="utf-8")


def _download(url: str, path: Path) -> None:
    from tqdm import tqdm

    tmp = path.with_suffix(".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(url, timeout=30) as r, open(tmp, "wb") as f:
            total = int(r.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=path.name) as bar:
                while chunk := r.read(1 << 16):
                    f.write(chunk)
                    bar.update(len(chunk))
        tmp.replace(path)
    except Exception as e:
        tmp.unlink(missing_ok=True)
        raise DataUnavailableError(
            f"Could not download {url} to {path} ({e}). Are you offline? "
            "Put input.txt there by hand, or point --data-dir / GENLAB_DATA at a folder holding tinyshakespeare/input.txt."
        ) from e


def batches(n: int, batch_size: int, generator: torch.Generator, drop_last: bool = True):
    """Shuffled index batches for one pass over n items."""
    order = torch.randperm(n, generator=generator, device=generator.device)
    stop = n - n % batch_size if drop_last else n
    for i in range(0, stop, batch_size):
        yield order[i : i + batch_size]


def digit_sample(images: torch.Tensor, labels: torch.Tensor, n: int = 1000) -> dict[str, torch.Tensor]:
    """The first n test digits as uint8, small enough to ship so pages run with no dataset."""
    return {"digits": (images[:n] * 255).round().to(torch.uint8).cpu(), "digit_labels": labels[:n].cpu()}
