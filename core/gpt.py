"""The character-level GPT of "Let's build GPT: from scratch, in code, spelled out", and its
bigram baseline.

    idx (B, T) -> token + position embeddings -> n_layer x Block -> LayerNorm -> Linear -> logits

A Block is pre-LayerNorm causal multi-head self-attention followed by a feed-forward network,
each wrapped in a residual connection.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .checkpoint import load_meta, load_state
from .generation import LanguageModel, cache_len
from .tokenizer import CharTokenizer


@dataclass
class GPTConfig:
    vocab_size: int = 65
    block_size: int = 256  # the longest context the model sees
    n_embd: int = 384
    n_head: int = 6
    n_layer: int = 6
    dropout: float = 0.2


class Head(nn.Module):
    """One head of causal self-attention: softmax(Q K^T / sqrt(d)) V, never looking ahead."""

    def __init__(self, cfg: GPTConfig, head_size: int):
        super().__init__()
        self.key = nn.Linear(cfg.n_embd, head_size, bias=False)
        self.query = nn.Linear(cfg.n_embd, head_size, bias=False)
        self.value = nn.Linear(cfg.n_embd, head_size, bias=False)
        self.dropout = cfg.dropout

    def forward(self, x, cache: dict | None = None):
        """x (B, T, C) -> (B, T, head_size).

        With a cache (a dict this head owns), the keys and values of earlier positions are
        reused and this call's are appended: generating a character costs one position.
        """
        q, k, v = self.query(x), self.key(x), self.value(x)
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=1)
                v = torch.cat([cache["v"], v], dim=1)
            cache["k"], cache["v"] = k, v
        # A fresh sequence needs the causal mask; one new query may see every cached key.
        assert q.shape[1] in (1, k.shape[1]), "a cache is filled from empty, then one position at a time"
        # The fused kernel computes exactly attention_weights(x) @ v, without building the T x T matrix.
        return F.scaled_dot_product_attention(q, k, v, is_causal=q.shape[1] > 1,
                                              dropout_p=self.dropout if self.training else 0.0)

    def attention_weights(self, x):
        """The (B, T, T) attention matrix, spelled out as in the lecture (used for the heatmaps)."""
        q, k = self.query(x), self.key(x)
        T = x.shape[1]
        wei = q @ k.transpose(-2, -1) / math.sqrt(k.shape[-1])
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device))
        wei = wei.masked_fill(~causal, float("-inf"))  # a position may not attend to the future
        return F.softmax(wei, dim=-1)


class MultiHeadAttention(nn.Module):
    """Several heads in parallel, each free to look for something different; outputs concatenated."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.heads = nn.ModuleList(Head(cfg, cfg.n_embd // cfg.n_head) for _ in range(cfg.n_head))
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)  # back into the residual stream
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x, cache: list[dict] | None = None):
        out = torch.cat([h(x, cache[i] if cache is not None else None) for i, h in enumerate(self.heads)], dim=-1)
        return self.dropout(self.proj(out))


class FeedForward(nn.Module):
    """Per-position computation after the tokens have exchanged information."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(cfg.n_embd, 4 * cfg.n_embd), nn.ReLU(),
            nn.Linear(4 * cfg.n_embd, cfg.n_embd), nn.Dropout(cfg.dropout),
        )

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """Communication (attention) then computation (feed-forward), each as a residual branch."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.sa = MultiHeadAttention(cfg)
        self.ffwd = FeedForward(cfg)
        self.ln1 = nn.LayerNorm(cfg.n_embd)
        self.ln2 = nn.LayerNorm(cfg.n_embd)

    def forward(self, x, cache: list[dict] | None = None):
        x = x + self.sa(self.ln1(x), cache)  # residual: gradients flow straight down the stack
        x = x + self.ffwd(self.ln2(x))
        return x


class GPT(LanguageModel):
    supports_cache = True

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.block_size = cfg.block_size
        self.vocab_size = cfg.vocab_size
        self.token_embedding_table = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.position_embedding_table = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        # small initial weights keep the first losses near ln(vocab), as in the lecture
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def new_cache(self) -> list[list[dict]]:
        """An empty key/value cache: one dict per head per layer."""
        return [[{} for _ in range(self.cfg.n_head)] for _ in range(self.cfg.n_layer)]

    def _embed(self, idx, start_pos: int = 0):
        T = idx.shape[1]
        if start_pos + T > self.block_size:
            raise ValueError(f"positions up to {start_pos + T} exceed the context of {self.block_size}")
        pos = torch.arange(start_pos, start_pos + T, device=idx.device)
        return self.token_embedding_table(idx) + self.position_embedding_table(pos)

    def forward(self, idx, targets=None, cache: list | None = None):
        """idx (B, T) -> (logits (B, T, vocab), loss or None). With a cache, idx continues it."""
        x = self._embed(idx, cache_len(cache) if cache is not None else 0)
        for i, block in enumerate(self.blocks):
            x = block(x, cache[i] if cache is not None else None)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss

    @torch.no_grad()
    def attention_maps(self, idx) -> torch.Tensor:
        """Every head's attention over idx (1, T): a tensor (n_layer, n_head, T, T)."""
        x = self._embed(idx)
        maps = []
        for block in self.blocks:
            h = block.ln1(x)
            maps.append(torch.stack([head.attention_weights(h)[0] for head in block.sa.heads]))
            x = block(x)
        return torch.stack(maps)


class BigramLanguageModel(LanguageModel):
    """The lecture's baseline: the next character depends on the current one alone."""

    block_size = 1  # it never looks further back

    def __init__(self, vocab_size: int):
        super().__init__()
        self.vocab_size = vocab_size
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)  # row i: logits after token i

    def forward(self, idx, targets=None, cache=None):
        logits = self.token_embedding_table(idx)
        loss = None if targets is None else F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss


GPT_NAMES = ("gpt-shakespeare", "bigram")


def load_gpt(name: str = "gpt-shakespeare", directory=None) -> LanguageModel:
    """A shipped language model in eval mode, with its `.tokenizer`."""
    if name not in GPT_NAMES:
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(GPT_NAMES)}.")
    meta = load_meta(name, directory)
    tokenizer = CharTokenizer(meta["vocab"])
    if name == "bigram":
        model = BigramLanguageModel(tokenizer.vocab_size)
    else:
        model = GPT(GPTConfig(**meta["config"]))
    model = load_state(model, name, directory)
    model.tokenizer = tokenizer
    return model
