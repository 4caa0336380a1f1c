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

from core import registry
from core.gpt.kv_cache import KVCache, SamplingWeights, cached_forward
from core.gpt.sampling import generate_tokens
from core.gpt.tokenizer import CharTokenizer
from core.training.checkpoint import load_meta, load_state


class LanguageModel(nn.Module):
    """What the GPT and the bigram model share: sampling."""

    supports_cache = False
    block_size: int
    vocab_size: int
    tokenizer: CharTokenizer | None = None  # set by load_gpt: the page and stream() read and write text

    def generate(
        self,
        idx,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        generator: torch.Generator | None = None,
        use_cache: bool = True,
    ) -> torch.Tensor:
        """idx (B, T) -> (B, T + max_new_tokens)."""
        new = list(generate_tokens(self, idx, max_new_tokens, temperature, top_k, top_p, generator, use_cache))
        return torch.cat([idx, *new], dim=1) if new else idx


@dataclass
class GPTConfig:
    vocab_size: int = 65
    block_size: int = 256  # the longest context the model sees
    n_embd: int = 384
    n_head: int = 6
    n_layer: int = 6
    dropout: float = 0.2
    # The lecture adds these ideas one at a time (core/gpt/ladder.py); the GPT has them all.
    feed_forward: bool = True
    residual: bool = True
    layer_norm: bool = True


class Head(nn.Module):
    """One head of causal self-attention: softmax(Q K^T / sqrt(d)) V, never looking ahead.

    The lecture's building block. MultiHeadAttention computes all its heads at once from these
    same parameters; forward and attention_weights show what one head does on its own.
    """

    def __init__(self, cfg: GPTConfig, head_size: int):
        super().__init__()
        self.key = nn.Linear(cfg.n_embd, head_size, bias=False)
        self.query = nn.Linear(cfg.n_embd, head_size, bias=False)
        self.value = nn.Linear(cfg.n_embd, head_size, bias=False)
        self.dropout = cfg.dropout

    def forward(self, x):
        """x (B, T, C) -> (B, T, head_size)."""
        q, k, v = self.query(x), self.key(x), self.value(x)
        # The fused kernel computes exactly attention_weights(x) @ v, without building the T x T matrix.
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0)

    def attention_weights(self, x):
        """The (B, T, T) attention matrix, spelled out as in the lecture (used for the heatmaps)."""
        q, k = self.query(x), self.key(x)
        T = x.shape[1]
        wei = q @ k.transpose(-2, -1) / math.sqrt(k.shape[-1])
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device))
        wei = wei.masked_fill(~causal, float("-inf"))  # a position may not attend to the future
        return F.softmax(wei, dim=-1)


class MultiHeadAttention(nn.Module):
    """Several heads in parallel, each free to look for something different; outputs concatenated.

    The heads keep their own query/key/value parameters (as in the lecture, and in the saved
    weights), but run as one: their weights are stacked into a single (3C, C) matrix, so one
    matrix product gives every head's q, k and v.
    """

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.heads = nn.ModuleList(Head(cfg, cfg.n_embd // cfg.n_head) for _ in range(cfg.n_head))
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)  # back into the residual stream
        self.dropout = nn.Dropout(cfg.dropout)
        self.attn_dropout = cfg.dropout

    def head_weights(self) -> list[nn.Parameter]:
        """The heads' query, key and value weights, in the stacked order."""
        return [h.query.weight for h in self.heads] + [h.key.weight for h in self.heads] + [h.value.weight for h in self.heads]

    def qkv_weight(self) -> torch.Tensor:
        """Every head's query, key and value weights stacked into one (3C, C) matrix, on every call, so
        gradients reach each head (sampling with a cache keeps a stacked copy: core/gpt/kv_cache.py)."""
        return torch.cat(self.head_weights())

    def forward(self, x):
        B, T, C = x.shape
        qkv = F.linear(x, self.qkv_weight())  # (B, T, 3C): one product for every head
        q, k, v = qkv.view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)  # each (B, nh, T, hs)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.attn_dropout if self.training else 0.0)
        out = self.proj(out.transpose(1, 2).reshape(B, T, C))  # the heads side by side, as torch.cat of the heads
        return self.dropout(out)


class FeedForward(nn.Module):
    """Per-position computation after the tokens have exchanged information."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(cfg.n_embd, 4 * cfg.n_embd),
            nn.ReLU(),
            nn.Linear(4 * cfg.n_embd, cfg.n_embd),
            nn.Dropout(cfg.dropout),
        )

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """Communication (attention) then computation (feed-forward), each as a residual branch."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        norm = nn.LayerNorm if cfg.layer_norm else nn.Identity
        self.ln1 = norm(cfg.n_embd)
        self.sa = MultiHeadAttention(cfg)
        self.ln2 = norm(cfg.n_embd) if cfg.feed_forward else None
        self.ffwd = FeedForward(cfg) if cfg.feed_forward else None
        self.residual = cfg.residual

    def forward(self, x):
        x = self.join(x, self.sa(self.ln1(x)))
        if self.ffwd is not None:
            x = self.join(x, self.ffwd(self.ln2(x)))
        return x

    def join(self, x, branch):
        """Residual: add the branch to its input, so gradients flow straight down the stack.
        Without it the branch replaces its input, and a deep stack trains badly."""
        return x + branch if self.residual else branch


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
        self.ln_f = nn.LayerNorm(cfg.n_embd) if cfg.layer_norm else nn.Identity()
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size)
        self.apply(self._init_weights)
        self._sampling: SamplingWeights | None = None  # the parameters as a cached step reads them
        self.register_load_state_dict_post_hook(self._forget_sampling)

    @staticmethod
    def _init_weights(m):
        # small initial weights keep the first losses near ln(vocab), as in the lecture
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def new_cache(self, batch_size: int = 1) -> KVCache:
        """An empty key/value cache for batch_size texts."""
        p = self.lm_head.weight
        return KVCache(self.cfg, batch_size, device=p.device, dtype=p.dtype)

    def _embed(self, idx, start_pos: int = 0):
        T = idx.shape[1]
        if start_pos + T > self.block_size:
            raise ValueError(f"positions up to {start_pos + T} exceed the context of {self.block_size}")
        pos = torch.arange(start_pos, start_pos + T, device=idx.device)
        return self.token_embedding_table(idx) + self.position_embedding_table(pos)

    def _forget_sampling(self, *_):
        self._sampling = None  # load_state_dict(assign=True) brings new Parameter objects

    def sampling_weights(self) -> SamplingWeights:
        """The parameters as a cached sampling step reads them, made again after any change to them."""
        if self._sampling is None or self._sampling.stale():
            self._sampling = SamplingWeights(self)
        return self._sampling

    def forward(self, idx, targets=None, cache: KVCache | None = None, last_only: bool = False):
        """idx (B, T) -> (logits (B, T, vocab), loss or None).

        With a cache (sampling), idx continues its rows: core/gpt/kv_cache.py. last_only: the logits of the
        last position alone, (B, 1, vocab), all that sampling reads.
        """
        if cache is not None:
            return cached_forward(self, idx, cache, last_only), None
        x = self._embed(idx)
        for block in self.blocks:
            x = block(x)
        if last_only:
            x = x[:, -1:]
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

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)
        loss = None if targets is None else F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss


GPT_NAMES = registry.names("gpt")


def load_gpt(name: str = "gpt-shakespeare", directory=None) -> LanguageModel:
    """A shipped language model in eval mode, with its `.tokenizer`."""
    if name not in GPT_NAMES:
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(GPT_NAMES)}.")
    meta = load_meta(name, directory)
    tokenizer = CharTokenizer(meta["vocab"], meta.get("placeholder"))  # a placeholder: trained on a capped vocabulary
    if meta["model"] == "bigram":
        model = BigramLanguageModel(tokenizer.vocab_size)
    else:
        model = GPT(GPTConfig(**meta["config"]))
    model = load_state(model, name, directory)
    model.tokenizer = tokenizer
    return model
