"""Sampling text from a language model, one token at a time.

Two paths give the same tokens while the text fits the context window:
- recompute: feed the last block_size tokens through the whole model at every step (the
  lecture's way; a step costs the whole context);
- cached (KV cache): keep each head's keys and values, feed only the new token (a step costs
  one position).

Past the window the cached path slides: when the cache holds block_size positions it is
rebuilt from the last kept_on_rebuild(block_size) tokens (a quarter window), so each new token
still sees at least that much context, and the rebuild happens once every three quarters of a
window. A rebuild costs a forward pass over what it keeps, so keeping less makes decoding
faster; a quarter costs nothing measurable: the shipped model's loss stops falling after about 32
characters of context (python scripts/_bench_gpt.py --context-loss).
"""

from __future__ import annotations

import math
from typing import Callable, Iterator

import torch
import torch.nn.functional as F

from i18n import N_, Message

MAX_NEW_TOKENS = 5000
MAX_TEMPERATURE = 5.0


def check_sampling(max_new_tokens: int, temperature: float, top_k: int | None, top_p: float | None, vocab_size: int) -> None:
    """Refuse values that have no meaning, with a message that says which and why (a Message: English as
    a str, shown in the learner's language by the page's _())."""
    if not isinstance(max_new_tokens, int) or not 0 <= max_new_tokens <= MAX_NEW_TOKENS:
        wrong = Message(
            N_("max_new_tokens must be an integer from 0 to {most}, got {value}"), most=MAX_NEW_TOKENS, value=repr(max_new_tokens)
        )
    elif not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and 0 < temperature <= MAX_TEMPERATURE):
        wrong = Message(
            N_("temperature must be above 0 and at most {most}, got {value}"), most=MAX_TEMPERATURE, value=repr(temperature)
        )
    elif top_k is not None and not (isinstance(top_k, int) and 1 <= top_k <= vocab_size):
        wrong = Message(N_("top_k must be None or an integer from 1 to {most}, got {value}"), most=vocab_size, value=repr(top_k))
    elif top_p is not None and not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
        wrong = Message(N_("top_p must be None or in (0, 1], got {value}"), value=repr(top_p))
    else:
        return
    raise ValueError(wrong)


def next_token_probs(
    logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> torch.Tensor:
    """Logits (B, vocab) -> sampling probabilities after temperature, top-k and top-p (nucleus)."""
    if temperature != 1.0:
        logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = F.softmax(logits, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, order = probs.sort(dim=-1, descending=True)
        # keep the smallest set of tokens whose mass reaches top_p (the first token always stays)
        drop = sorted_p.cumsum(-1) - sorted_p >= top_p
        sorted_p = sorted_p.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_p)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def invalid_rows(probs: torch.Tensor) -> list[int]:
    """Rows of probs (B, vocab) that are no distribution: NaN, infinity or nothing to draw (a broken model)."""
    total = probs.sum(-1)  # NaN or infinity anywhere in a row makes its total fail one of these
    lowest, highest = torch.aminmax(total)
    if float(probs.min()) >= 0 and float(lowest) > 0 and float(highest) < math.inf:  # every row: two reductions settle it
        return []
    ok = (probs.amin(-1) >= 0) & (total > 0) & (total < math.inf)
    return (~ok).nonzero().flatten().tolist()


def draw(probs: torch.Tensor, generator: torch.Generator | list[torch.Generator | None] | None) -> torch.Tensor:
    """One token per row of probs (B, vocab) -> (B, 1), exactly as torch.multinomial(probs, 1, generator) draws it,
    which also refuses odds that are no distribution (RuntimeError)."""
    if bad := invalid_rows(probs):
        raise RuntimeError(f"the odds of row(s) {bad} hold NaN or infinity, or nothing to draw")
    return race(probs, generator)


def race(probs: torch.Tensor, generator: torch.Generator | list[torch.Generator | None] | None) -> torch.Tensor:
    """draw() for odds already checked with invalid_rows().

    Sampling from p is a race: give every token an Exp(1) waiting time E and take the largest p / E.
    One generator (or None) fills the whole batch, as multinomial does. A list gives each row its own:
    row i then draws what it would draw alone with generator[i], whoever shares the batch, and a batch
    needs one small fill per row and one argmax, not one multinomial call per row.
    """
    waits = torch.empty_like(probs)
    if isinstance(generator, list):
        for row, g in zip(waits, generator):
            row.exponential_(generator=g)
    else:
        waits.exponential_(generator=generator)
    return (probs / waits).argmax(-1, keepdim=True)


def kept_on_rebuild(block_size: int) -> int:
    """How many of its last tokens a full cache is rebuilt from: a quarter of the window."""
    return max(1, block_size // 4)


def next_logits(model: torch.nn.Module, idx: torch.Tensor, cache=None) -> torch.Tensor:
    """Each row's logits for its next token, (B, vocab). A model with a cache (the GPT) computes them for the
    last position alone; idx then continues the rows of the cache, if one is given."""
    if not model.supports_cache:
        return model(idx)[0][:, -1]
    return model(idx, cache=cache, last_only=True)[0][:, -1]


@torch.inference_mode()  # like no_grad, and cheaper per operation: that matters at one token per step
def generate_tokens(
    model: torch.nn.Module,  # a core.gpt.model.LanguageModel (which imports this module)
    idx: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    use_cache: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[torch.Tensor]:
    """Yield each new token as a (B, 1) tensor; stops early when should_stop() is true."""
    check_sampling(max_new_tokens, temperature, top_k, top_p, model.vocab_size)
    if idx.shape[1] == 0:
        raise ValueError("idx must hold at least one token (the page starts an empty prompt from a newline)")
    block = model.block_size
    cached = use_cache and model.supports_cache
    cache = None
    for _ in range(max_new_tokens):
        if should_stop and should_stop():
            return
        if not cached:
            logits = next_logits(model, idx[:, -block:])
        elif cache is None:  # prefill: the whole (cropped) prompt at once
            cache = model.new_cache(idx.shape[0])
            logits = next_logits(model, idx[:, -block:], cache)
        elif len(cache) >= block:  # window full: slide by rebuilding from the last quarter window
            cache.clear()
            logits = next_logits(model, idx[:, -kept_on_rebuild(block) :], cache)
        else:  # the usual step: only the newest token goes through the model
            logits = next_logits(model, idx[:, -1:], cache)
        probs = next_token_probs(logits, temperature, top_k, top_p)
        nxt = draw(probs, generator)
        idx = torch.cat([idx, nxt], dim=1)
        yield nxt


def stream(
    model: torch.nn.Module,
    ids: list[int],
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    use_cache: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[str]:
    """Yield the decoded text one character at a time, as it is produced."""
    ids = ids or model.tokenizer.encode("\n")  # an empty prompt starts from a newline
    # only the last window can influence the next character: a 100,000-character paste costs nothing
    idx = torch.tensor([ids[-model.block_size :]], dtype=torch.long)
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    for tok in generate_tokens(model, idx, max_new_tokens, temperature, top_k, top_p, gen, use_cache, should_stop):
        yield model.tokenizer.decode(tok[0].tolist())
