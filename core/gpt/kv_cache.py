"""Sampling with a KV cache: the GPT's forward pass written out for decoding, a few tokens at a time.

A step of sampling feeds one new token per text. The lecture's forward (core/gpt/model.py) would recompute
the keys and values of the whole context; here each layer keeps them in a KVCache and a step computes only
the new position's. The arithmetic is the lecture's, on the same parameters (tests/test_gpt.py checks they
agree); it is written as one loop of plain tensor calls because at one token a step a module call costs as
much as the matrix product inside it.

    cache = model.new_cache(batch_size)
    logits, _ = model(prompt, cache=cache)        # fill the cache from empty
    logits, _ = model(next_token, cache=cache)    # then one position at a time: GPT.forward comes here
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


class KVCache:
    """Every layer's keys and values, preallocated and written in place: a step copies only its new positions.

    k and v are (n_layer, batch, n_head, block_size, head_size); lengths[row] counts the positions row
    holds. Rows may hold different lengths (a batch of texts decoded together): each row then writes its
    new position after its own last one, and a mask keeps its query off the other positions.
    view(start, stop) is a window onto some of the rows that shares the storage.
    """

    def __init__(self, cfg, batch_size: int = 1, device=None, dtype=None):
        self.n_head, self.head_size = cfg.n_head, cfg.n_embd // cfg.n_head
        shape = (cfg.n_layer, batch_size, self.n_head, cfg.block_size, self.head_size)
        # zeros, not empty: a masked position still goes through the kernel, and 0 * NaN would be NaN
        self.k = torch.zeros(shape, device=device, dtype=dtype)
        self.v = torch.zeros(shape, device=device, dtype=dtype)
        self.lengths = [0] * batch_size
        self.block_size = cfg.block_size
        self._positions = torch.arange(cfg.block_size, device=device)
        self._views: dict[tuple[int, int], KVCache] = {}  # made once: a decoder asks for the same rows every step
        self._select(0, batch_size)

    def _select(self, start: int, stop: int) -> None:
        self.rows = slice(start, stop)
        self.layers = [(k[start:stop], v[start:stop]) for k, v in zip(self.k, self.v)]  # views, no copies

    def view(self, start: int, stop: int) -> KVCache:
        """Rows start..stop-1 of this cache, as a cache of their own (same storage, same lengths list)."""
        window = self._views.get((start, stop))
        if window is None:
            window = self._views[start, stop] = copy.copy(self)
            window._select(start, stop)
        return window

    def __len__(self) -> int:
        """Positions held (by the longest row)."""
        return max(self.lengths[self.rows])

    def clear(self) -> None:
        """Forget this view's rows (the storage is reused, not zeroed: only held positions are read)."""
        for row in range(self.rows.start, self.rows.stop):
            self.lengths[row] = 0

    def move_row(self, src: int, dst: int) -> None:
        """Copy row src's keys and values into row dst (a decoder keeps its busy rows together)."""
        n = self.lengths[src]
        self.k[:, dst, :, :n] = self.k[:, src, :, :n]
        self.v[:, dst, :, :n] = self.v[:, src, :, :n]
        self.lengths[dst] = n

    def begin(self, T: int) -> torch.Tensor:
        """Plan a forward pass of T new positions per row; returns their position ids, (T,) or (B, 1)."""
        lengths = self.lengths[self.rows]
        first = lengths[0]
        if all(n == first for n in lengths):  # one text, or texts of one length: plain slices
            if first + T > self.block_size:
                raise ValueError(f"positions up to {first + T} exceed the context of {self.block_size}")
            if first and T > 1:
                raise ValueError("a cache is filled from empty, then one position at a time")
            self._write, self._end, self._mask = first, first + T, None
            return self._positions[first : first + T]
        if T != 1:
            raise ValueError("rows of different lengths advance one position at a time")
        self._end = max(lengths) + 1
        if self._end > self.block_size:
            raise ValueError(f"positions up to {self._end} exceed the context of {self.block_size}")
        pos = torch.tensor(lengths, device=self.k.device)
        # Where each (row, head) writes its new position, counted in rows of head_size in the layer's storage:
        # one index_copy_ a layer instead of an indexed write.
        rows = torch.arange(len(lengths), device=pos.device)[:, None] * self.n_head
        self._write = ((rows + torch.arange(self.n_head, device=pos.device)) * self.block_size + pos[:, None]).flatten()
        # (B, 1, 1, end): a row's query sees its own positions only, never another row's leftovers
        self._mask = (self._positions[: self._end] <= pos[:, None])[:, None, None, :]
        return pos[:, None]

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        """Store this layer's new keys and values (B, n_head, T, head_size); return the keys and values
        (B, n_head, end, head_size) the step attends to, and the mask (None: all of them, causally)."""
        K, V = self.layers[layer]
        if self._mask is None:  # every row writes positions _write.._end-1
            K.narrow(2, self._write, k.shape[2]).copy_(k)
            V.narrow(2, self._write, v.shape[2]).copy_(v)
        else:
            K.view(-1, self.head_size).index_copy_(0, self._write, k.reshape(-1, self.head_size))
            V.view(-1, self.head_size).index_copy_(0, self._write, v.reshape(-1, self.head_size))
        return K.narrow(2, 0, self._end), V.narrow(2, 0, self._end), self._mask

    def advance(self, T: int) -> None:
        for row in range(self.rows.start, self.rows.stop):
            self.lengths[row] += T


@dataclass
class _Layer:
    """One Block's weights as a step reads them; None where the rung of the ladder has no such part."""

    ln1: tuple[torch.Tensor, torch.Tensor] | None
    qkv_t: torch.Tensor  # (C, 3C): every head's query, key and value weights, side by side
    proj_t: torch.Tensor
    proj_b: torch.Tensor
    ln2: tuple[torch.Tensor, torch.Tensor] | None
    ffwd: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None  # up_t, up_b, down_t, down_b


class SamplingWeights:
    """The model's parameters as a step reads them, made from the model once and again after any change
    (kept in memory beside it, never saved: the weights files hold the lecture's parameters only).

    Each layer's heads are stacked into one (C, 3C) matrix, so one product gives every head's query, key and
    value; every matrix is stored transposed, (in, out), the order in which a product of a few rows reads its
    weight fastest. stale() tells when a parameter changed since: an in-place write (load_state_dict, an
    optimizer step) bumps a tensor's _version, and new data (.to(), .double()) has a new address.
    """

    def __init__(self, model: nn.Module):
        self.sources = list(model.parameters())
        self.stamp = self._stamp()
        self._held = [p.detach() for p in self.sources]  # holding the data keeps its address from being reused
        self.tok, self.pos = model.token_embedding_table.weight.detach(), model.position_embedding_table.weight.detach()
        self.layers = [self._layer(block) for block in model.blocks]
        self.ln_f = _norm(model.ln_f)
        self.head_t, self.head_b = _t(model.lm_head.weight), model.lm_head.bias.detach()
        self.residual, self.n_head = model.cfg.residual, model.cfg.n_head

    @staticmethod
    def _layer(block: nn.Module) -> _Layer:
        sa, ffwd = block.sa, block.ffwd
        qkv = torch.cat(sa.head_weights()).detach()
        up, down = (ffwd.net[0], ffwd.net[2]) if ffwd is not None else (None, None)
        return _Layer(
            ln1=_norm(block.ln1),
            qkv_t=_t(qkv),
            proj_t=_t(sa.proj.weight),
            proj_b=sa.proj.bias.detach(),
            ln2=_norm(block.ln2) if block.ln2 is not None else None,
            ffwd=(_t(up.weight), up.bias.detach(), _t(down.weight), down.bias.detach()) if ffwd is not None else None,
        )

    def _stamp(self) -> list[tuple[int, int]]:
        return [(p._version, p.data_ptr()) for p in self.sources]

    def stale(self) -> bool:
        return self._stamp() != self.stamp


def _t(w: torch.Tensor) -> torch.Tensor:
    return w.detach().t().contiguous()


def _norm(layer: nn.Module) -> tuple[torch.Tensor, torch.Tensor] | None:
    """A LayerNorm's (weight, bias); None for nn.Identity (the rungs before LayerNorm)."""
    return (layer.weight.detach(), layer.bias.detach()) if isinstance(layer, nn.LayerNorm) else None


def _layer_norm(x: torch.Tensor, norm: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
    return x if norm is None else F.layer_norm(x, x.shape[-1:], *norm)


def cached_forward(model: nn.Module, idx: torch.Tensor, cache: KVCache, last_only: bool = False) -> torch.Tensor:
    """GPT.forward with a cache: idx (B, T) continues the rows of the cache -> logits (B, T, vocab).

    last_only: the logits of the last position only, (B, 1, vocab); the last layer then computes its
    attention output and feed-forward for that position alone (a prefill needs only the others' keys and values).
    The positions travel as one (B * T, C) matrix, so every product is one torch.addmm on weights stored (in, out).
    This is sampling: no dropout, and no gradients reach the parameters.
    """
    w = model.sampling_weights()
    B, T = idx.shape
    x = w.tok[idx] + w.pos[cache.begin(T)]  # (B, T, C)
    C = x.shape[-1]
    x = x.reshape(B * T, C)
    for i, layer in enumerate(w.layers):
        qkv = _layer_norm(x, layer.ln1) @ layer.qkv_t  # every head's query, key and value: one product
        q, k, v = qkv.view(B, T, 3, w.n_head, C // w.n_head).permute(2, 0, 3, 1, 4).unbind()  # each (B, n_head, T, head_size)
        k, v, mask = cache.update(i, k, v)  # store this step's keys and values, attend to all the rows hold
        if last_only and i == len(w.layers) - 1 and T > 1:  # from here on, the last position alone
            q, x, T = q[:, :, -1:], x.view(B, T, C)[:, -1], 1
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None and T > 1)
        out = out.transpose(1, 2).reshape(B * T, C)  # the heads side by side
        x = _join(x, torch.addmm(layer.proj_b, out, layer.proj_t), w.residual)
        if layer.ffwd is not None:
            up_t, up_b, down_t, down_b = layer.ffwd
            hidden = torch.addmm(up_b, _layer_norm(x, layer.ln2), up_t).relu_()
            x = _join(x, torch.addmm(down_b, hidden, down_t), w.residual)
    cache.advance(idx.shape[1])
    return torch.addmm(w.head_b, _layer_norm(x, w.ln_f), w.head_t).view(B, T, -1)


def _join(x: torch.Tensor, branch: torch.Tensor, residual: bool) -> torch.Tensor:
    """Block.join: the branch added to its input (residual), or in its place."""
    return branch.add_(x) if residual else branch
