"""The lecture as a ladder: from the bigram model to the full GPT, one idea per rung.

Every rung is the same GPT class with one more switch of GPTConfig turned on (the bigram is the
lecture's own baseline class), and every rung trains on the same budget: same data, iterations, batch,
context, width and seed. So the difference between two neighbouring rungs is the idea, not the training.

    python scripts/train_ladder.py --jobs 2   # all eight rungs at two seeds -> weights/ladder-*.{safetensors,json}
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import replace

from core.gpt.model import GPT, BigramLanguageModel, Block, FeedForward, GPTConfig, Head, MultiHeadAttention
from core.gpt.train import TrainConfig
from core.registry import LADDER

# The budget every rung gets: sixteen runs (eight rungs, two seeds) took 43 minutes on a 2-core CPU, two at a time.
BUDGET = TrainConfig(batch_size=32, max_iters=8000, lr=3e-3, min_lr=3e-4, warmup_iters=100, eval_interval=500, eval_iters=20)
WIDTH = GPTConfig(block_size=64, n_embd=64, n_head=4, n_layer=4, dropout=0.0)
SEEDS = (1337, 1338)  # the first one's weights ship; the second shows how much of a gap is noise

# Rung by rung, what GPTConfig holds; each differs from the one before in one idea (None: the bigram class).
_one_head = replace(WIDTH, n_head=1, n_layer=1, feed_forward=False, residual=False, layer_norm=False)
_multihead = replace(_one_head, n_head=WIDTH.n_head)
_feedforward = replace(_multihead, feed_forward=True)
_blocks = replace(_feedforward, n_layer=WIDTH.n_layer)
_residual = replace(_blocks, residual=True)
_layernorm = replace(_residual, layer_norm=True)
CONFIGS: dict[str, GPTConfig | None] = dict(
    zip(
        LADDER,
        (None, _one_head, _multihead, _feedforward, _blocks, _residual, _layernorm, replace(_layernorm, dropout=0.1)),
        strict=True,
    )
)

# The real source of what each rung adds: (object, the words a shown line must contain; empty: all lines).
CODE = {
    "ladder-bigram": [(BigramLanguageModel.forward, ())],
    "ladder-attention": [(GPT._embed, ()), (Head.forward, ())],
    "ladder-multihead": [(MultiHeadAttention.__init__, ("self.heads",)), (MultiHeadAttention.forward, ())],
    "ladder-feedforward": [(FeedForward.__init__, ()), (Block.forward, ("ffwd",))],
    "ladder-blocks": [(GPT.__init__, ("self.blocks",)), (Block.forward, ())],
    "ladder-residual": [(Block.join, ())],
    "ladder-layernorm": [(Block.__init__, ("norm",)), (GPT.__init__, ("ln_f",))],
    "ladder-dropout": [
        (MultiHeadAttention.__init__, ("dropout",)),
        (MultiHeadAttention.forward, ("self.dropout",)),
        (FeedForward.__init__, ("Dropout",)),
    ],
}


def build(name: str, vocab_size: int):
    """The untrained model of rung `name`."""
    cfg = CONFIGS[name]
    return BigramLanguageModel(vocab_size) if cfg is None else GPT(replace(cfg, vocab_size=vocab_size))


def code(name: str) -> str:
    """The lines of the real source that rung `name` adds, each object's block headed by its name."""
    parts = []
    for obj, words in CODE[name]:
        lines = inspect.getsource(obj).splitlines()
        shown = [line for line in lines if not words or any(w in line for w in words)]
        parts.append(f"# {obj.__qualname__}\n" + textwrap.dedent("\n".join(shown)))
    return "\n\n".join(parts)


def seed_losses(meta: dict, split: str = "val") -> list[float]:
    """A rung's loss on one split at every seed it was trained with (the metadata's "seeds"; else its own)."""
    return [s[f"{split}_loss"] for s in meta.get("seeds", [])] or [meta["metrics"][f"{split}_loss"]]


def verdict(below: list[float], rung: list[float]) -> tuple[float, float, str]:
    """What one step of the ladder buys: (change of the mean loss, the noise, "helps", "unclear" or "hurts").

    The noise is the larger seed-to-seed range of the two rungs: a change smaller than that is not told
    apart from a different seed.
    """
    change = sum(rung) / len(rung) - sum(below) / len(below)
    noise = max(max(below) - min(below), max(rung) - min(rung))
    return change, noise, "helps" if change < -noise else "hurts" if change > noise else "unclear"
