"""Training on several processes (torchrun + DistributedDataParallel), equal to training on one.

    torchrun --standalone --nproc_per_node 2 scripts/train_gpt.py --preset cpu --device cpu

Run plainly, a script is one process and nothing here changes what it computes. Under torchrun,
every process joins one process group (NCCL on CUDA, gloo on CPU) and these rules hold:

- One global batch per step. Every rank replays the same seeded stream, draws the whole batch
  (indices and noise: cheap) and keeps its own rows (`Dist.mine`). So N ranks see exactly the
  examples, and the noise, that one process would, and the averaged gradient is the same.
- Each rank's rows may be split into micro-batches (gradient accumulation); only the last
  backward of a step all-reduces (`grad_sync`).
- BatchNorm normalises over the global batch (`Dist.sync_batchnorm`), as one process would.
- Dropout draws from torch's global generator, which differs per rank (`Dist.seed_ranks`).
- Only rank 0 evaluates, logs and writes files; the others wait for it at the next all-reduce.
"""

from __future__ import annotations

import gc
import os
from contextlib import nullcontext
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ and "LOCAL_RANK" in os.environ


@dataclass(frozen=True)
class Dist:
    """This process's place in the run. The default is a plain single process."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    backend: str | None = None  # None: no process group

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.backend is not None

    def info(self) -> dict:
        """What a checkpoint's metadata records about the run."""
        return {"world_size": self.world_size, "backend": self.backend}

    # -- data -----------------------------------------------------------------------------------
    def mine(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's rows of a global batch (drawn identically on every rank)."""
        if self.world_size == 1:
            return batch
        n, rest = divmod(len(batch), self.world_size)
        if rest:
            raise ValueError(f"a batch of {len(batch)} does not split evenly over {self.world_size} processes")
        return batch[self.rank * n : (self.rank + 1) * n]

    def seed_ranks(self, seed: int) -> None:
        """Call after the model is built: later draws from torch's global generator (dropout) differ
        per rank. Rank 0 keeps the stream a single process has, so a plain run is unchanged."""
        if self.rank > 0:
            torch.manual_seed(seed + self.rank)

    # -- models ---------------------------------------------------------------------------------
    def sync_batchnorm(self, module: nn.Module) -> nn.Module:
        """BatchNorm statistics over the global batch rather than each rank's share."""
        if self.world_size == 1:
            return module
        if self.backend == "nccl":
            return nn.SyncBatchNorm.convert_sync_batchnorm(module)
        return _convert_batchnorm(module)  # torch's SyncBatchNorm runs on GPUs only

    def wrap(self, module: nn.Module) -> nn.Module:
        """DDP around `module` under torchrun (even with one process); the module itself in a plain run."""
        if not self.active:
            return module
        return DDP(module, device_ids=[self.local_rank] if self.backend == "nccl" else None)

    # -- communication --------------------------------------------------------------------------
    def mean(self, values):
        """The mean over ranks of a float or a dict of floats (losses to log: the global batch's)."""
        if not self.active:
            return values
        keys = list(values) if isinstance(values, dict) else None
        t = torch.tensor(
            [float(values[k]) for k in keys] if keys else [float(values)], dtype=torch.float64, device=self._comm_device()
        )
        dist.all_reduce(t)
        t = (t / self.world_size).tolist()
        return dict(zip(keys, t)) if keys else t[0]

    def share(self, obj):
        """Rank 0's `obj` on every rank (small Python objects: progress, a decision)."""
        if not self.active:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0, device=self._comm_device())
        return box[0]

    def share_state(self, modules: dict, optimizers: dict) -> None:
        """Copy rank 0's module and optimizer state to every rank (after rank 0 resumed).

        DDP keeps parameters equal only if every rank starts equal, optimizer moments included.
        """
        if not self.active:
            return
        state = None
        if self.is_main:
            state = {
                "modules": {k: _to_cpu(m.state_dict()) for k, m in modules.items()},
                "optimizers": {k: _to_cpu(o.state_dict()) for k, o in optimizers.items()},
            }
        state = self.share(state)
        if not self.is_main:
            for k, m in modules.items():
                m.load_state_dict(state["modules"][k])
            for k, o in optimizers.items():
                o.load_state_dict(state["optimizers"][k])

    def check_in_sync(self, module: nn.Module) -> None:
        """Raise unless every rank holds the same parameters (a cheap checksum, once per run)."""
        if not self.active:
            return
        with torch.no_grad():
            s = torch.stack([p.detach().double().sum() for p in module.parameters()]).sum()
        t = torch.stack([s, -s]).to(self._comm_device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        if not torch.allclose(t[0], -t[1], rtol=1e-9, atol=0):
            raise RuntimeError(f"rank {self.rank}: parameters differ across ranks (checksum spread {t[0] + t[1]:.3g})")

    def close(self) -> None:
        """Leave the process group. Drop the DDP wrappers first (`fwd = None`).

        A DDP wrapper sits in a reference cycle, so it outlives its last name until the garbage collector
        runs, and its reducer keeps the group's gloo threads alive. If that lasts into interpreter shutdown,
        those threads can abort the process (SIGABRT) after a run that succeeded. So: collect the dropped
        wrappers now, let every rank finish communicating (barrier), then destroy the group.
        """
        if self.active and dist.is_initialized():
            gc.collect()
            dist.barrier()
            dist.destroy_process_group()

    def _comm_device(self) -> torch.device:
        return torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")


def init(device: torch.device) -> tuple[Dist, torch.device]:
    """Join torchrun's process group, if launched by it; returns the run and this rank's device."""
    if not launched_by_torchrun():
        return Dist(), device
    rank, local_rank, world = (int(os.environ[k]) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)  # one GPU per process
        torch.cuda.set_device(device)
        dist.init_process_group("nccl")
    elif device.type == "cpu":
        dist.init_process_group("gloo")
    else:
        raise SystemExit(f"torchrun needs --device cuda or cpu (no DDP backend for {device.type}).")
    return Dist(rank, local_rank, world, dist.get_backend()), device


def plan_batches(global_batch: int, world_size: int, grad_accum: int | None = None, micro_batch: int | None = None) -> tuple[int, int]:
    """(grad_accum, micro_batch) with world_size * grad_accum * micro_batch == global_batch.

    Given grad_accum is taken as is; else the fewest accumulation steps whose micro-batch
    fits in `micro_batch` (no limit: one micro-batch per rank per step).
    """
    per_rank, rest = divmod(global_batch, world_size)
    if rest or per_rank == 0:
        raise ValueError(f"the global batch of {global_batch} does not split evenly over {world_size} processes")
    if grad_accum is None:
        limit = micro_batch or per_rank
        grad_accum = next(a for a in range(1, per_rank + 1) if per_rank % a == 0 and per_rank // a <= limit)
    if grad_accum < 1 or per_rank % grad_accum:
        raise ValueError(
            f"{per_rank} examples per process do not split into {grad_accum} equal micro-batches "
            f"(global batch {global_batch}, {world_size} processes)"
        )
    return grad_accum, per_rank // grad_accum


def grad_sync(model: nn.Module, sync: bool):
    """Within a step's micro-batches: skip DDP's all-reduce on every backward but the last."""
    return model.no_sync() if not sync and isinstance(model, DDP) else nullcontext()


def backward_in_micro_batches(model: nn.Module, micro_batches, loss_of, accum: int) -> list:
    """The gradients of a whole batch, `accum` micro-batches at a time. Each loss is scaled by 1/accum, so the
    gradients add up to the whole batch's, and under DDP only the last backward all-reduces.

    micro_batches yields each micro-batch's arguments for loss_of, which returns the loss, or a tuple whose
    first item is the loss. Returns what loss_of returned, one per micro-batch.
    """
    outs = []
    for i, args in enumerate(micro_batches):
        with grad_sync(model, sync=i == accum - 1):
            out = loss_of(*args)
            loss = out[0] if isinstance(out, tuple) else out
            (loss / accum if accum > 1 else loss).backward()
        outs.append(out)
    return outs


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DDP wrapper (for its attributes), or the module itself."""
    return model.module if isinstance(model, DDP) else model


# -- BatchNorm over every rank's rows, on CPU --------------------------------------------------------


class _SumOverRanks(torch.autograd.Function):
    """all_reduce(SUM) with a gradient: each rank's share of a shared sum gets everyone's gradient."""

    @staticmethod
    def forward(ctx, t):
        t = t.clone()
        dist.all_reduce(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlooSyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    """nn.SyncBatchNorm's maths for CPU processes: mean and variance over the global batch.

    The sums travel through all-reduces with a backward, so gradients flow through the shared
    statistics just as they would through one process's BatchNorm. In eval mode it is a plain
    BatchNorm (running statistics, no communication).
    """

    def _check_input_dim(self, x):
        if x.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {x.dim()}D input)")

    def forward(self, x):
        if not (self.training and dist.is_initialized()):
            return super().forward(x)
        dims = [0, *range(2, x.dim())]
        shape = (1, -1) + (1,) * (x.dim() - 2)
        sums = _SumOverRanks.apply(torch.cat([x.sum(dims), x.new_tensor([x.numel() / x.size(1)])]))
        mean, n = sums[:-1] / sums[-1], sums[-1]
        centred = x - mean.view(shape)
        var = _SumOverRanks.apply(centred.pow(2).sum(dims)) / n  # two passes: steadier than E[x^2] - E[x]^2
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                m = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked.item()
                self.running_mean.lerp_(mean, m)
                self.running_var.lerp_(var * n / (n - 1), m)  # unbiased, as BatchNorm keeps it
        out = centred * torch.rsqrt(var + self.eps).view(shape)
        return out * self.weight.view(shape) + self.bias.view(shape) if self.affine else out


def _convert_batchnorm(module: nn.Module) -> nn.Module:
    """Every BatchNorm in `module` replaced by GlooSyncBatchNorm with the same parameters and buffers."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(module, GlooSyncBatchNorm):
        new = GlooSyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats)
        new.load_state_dict(module.state_dict())
        return new.train(module.training)
    for name, child in module.named_children():
        module.add_module(name, _convert_batchnorm(child))
    return module


def _to_cpu(obj):
    """A state dict with every tensor on the CPU (sent from rank 0 to ranks on other devices)."""
    if torch.is_tensor(obj):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj
