"""Training the character-level language models: data split, batches, schedule, evaluation."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.gpt.model import GPTConfig
from core.training.distributed import backward_in_micro_batches


@dataclass
class TrainConfig:
    batch_size: int = 64
    max_iters: int = 5000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_iters: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_interval: int = 250
    eval_iters: int = 50


# The lecture's model; a small one a 2-core CPU trains in minutes; and the shipped one, which one
# CPU thread trains in about two hours (wider than `cpu`, so it beats every ladder rung).
PRESETS: dict[str, tuple[GPTConfig, TrainConfig]] = {
    "lecture": (
        GPTConfig(block_size=256, n_embd=384, n_head=6, n_layer=6, dropout=0.2),
        TrainConfig(batch_size=64, max_iters=3000, lr=1e-3, min_lr=1e-4, warmup_iters=100),
    ),
    "cpu": (
        GPTConfig(block_size=128, n_embd=128, n_head=4, n_layer=4, dropout=0.1),
        TrainConfig(batch_size=32, max_iters=2000, lr=2e-3, min_lr=2e-4, warmup_iters=100, eval_interval=250, eval_iters=20),
    ),
    "cpu-long": (
        GPTConfig(block_size=128, n_embd=192, n_head=4, n_layer=4, dropout=0.1),
        TrainConfig(batch_size=32, max_iters=5000, lr=2e-3, min_lr=1e-4, warmup_iters=200, eval_interval=500, eval_iters=20),
    ),
}


def split(data: torch.Tensor, train_fraction: float = 0.9) -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's split: the first 90% to train on, the last 10% to validate."""
    n = int(train_fraction * len(data))
    return data[:n], data[n:]


def get_batch(data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator):
    """Random chunks x of block_size characters, and y: the same chunks shifted by one."""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i : i + block_size] for i in ix])
    y = torch.stack([data[i + 1 : i + block_size + 1] for i in ix])
    return x, y


def lr_at(it: int, cfg: TrainConfig) -> float:
    """Linear warmup, then cosine decay from lr to min_lr."""
    if it < cfg.warmup_iters:
        return cfg.lr * (it + 1) / cfg.warmup_iters
    progress = min(1.0, (it - cfg.warmup_iters) / max(1, cfg.max_iters - cfg.warmup_iters))
    return cfg.min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (cfg.lr - cfg.min_lr)


@torch.no_grad()
def estimate_loss(model, data: torch.Tensor, block_size: int, batch_size: int, iters: int, seed: int = 0, device="cpu") -> float:
    """Mean loss over `iters` random batches (the lecture's estimate, seeded to be repeatable)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    losses = [model(*(t.to(device) for t in get_batch(data, block_size, batch_size, gen)))[1].item() for _ in range(iters)]
    model.train()
    return sum(losses) / len(losses)


def windows(data: torch.Tensor, block_size: int, batch_size: int = 32, max_windows: int | None = None):
    """Batches (x, y) of consecutive non-overlapping windows covering `data` (no sampling).

    With max_windows, only that many windows, spread evenly over the split (a quick estimate).
    """
    n = (len(data) - 1) // block_size
    starts = torch.arange(n) * block_size
    if max_windows and max_windows < n:
        starts = starts[torch.linspace(0, n - 1, max_windows).long()]
    for i in range(0, len(starts), batch_size):
        s = starts[i : i + batch_size]
        yield torch.stack([data[j : j + block_size] for j in s]), torch.stack([data[j + 1 : j + block_size + 1] for j in s])


@torch.no_grad()
def full_loss(model, data: torch.Tensor, block_size: int, batch_size: int = 32, max_windows: int | None = None, device="cpu") -> float:
    """Loss over the windows covering `data` (windows())."""
    model.eval()
    total, count = 0.0, 0
    for x, y in windows(data, block_size, batch_size, max_windows):
        total += model(x.to(device), y.to(device))[1].item() * y.numel()
        count += y.numel()
    return total / count


@torch.no_grad()
def loss_by_position(model, data: torch.Tensor, block_size: int, batch_size: int = 32) -> torch.Tensor:
    """(block_size,) the mean loss at each position of the windows covering `data`: position p predicts
    from p + 1 characters, so this is how much the model gains from a longer context."""
    model.eval()
    total, count = torch.zeros(block_size), 0
    for x, y in windows(data, block_size, batch_size):
        logits = model(x)[0]
        total += F.cross_entropy(logits.transpose(1, 2), y, reduction="none").sum(0)
        count += len(x)
    return total / count


def make_optimizer(model, cfg: TrainConfig, device_type: str = "cpu"):
    """AdamW; weight decay on matrices only, not on biases or LayerNorm gains."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.99), fused=device_type == "cuda")


def train_step(model, optimizer, x, y, cfg: TrainConfig, it: int, autocast_dtype=None, accum: int = 1) -> float:
    """One optimisation step at the scheduled learning rate; returns the batch's mean loss.

    With accum > 1 the batch goes through in that many equal micro-batches whose gradients add
    up to the whole batch's (each loss is scaled by 1/accum); under DDP only the last backward
    all-reduces.
    """
    for group in optimizer.param_groups:
        group["lr"] = lr_at(it, cfg)

    def loss_of(xb, yb):
        with torch.autocast(device_type=xb.device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            return model(xb, yb)[1]

    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    for loss in backward_in_micro_batches(model, zip(x.chunk(accum), y.chunk(accum)), loss_of, accum):
        total = total + loss.detach()
    if cfg.grad_clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    optimizer.step()
    return total.item() / accum
