"""What the GPT page shows, computed without Streamlit: a prompt made fit for the model, the odds
of the next character, and attention over the end of the prompt."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .generation import LanguageModel, check_sampling, next_token_probs

# Whitespace made visible on chart axes and bar labels.
_VISIBLE = {"\n": "↵", " ": "·"}

ATTENTION_CHARS = 64  # the heatmap stays readable up to about this many characters


def visible(ch: str) -> str:
    return _VISIBLE.get(ch, ch)


@dataclass
class Prompt:
    text: str  # what the model continues: cleaned, never empty, at most one context window long
    ids: list[int]
    notes: list[str]  # what was changed, in words a learner understands


def prepare_prompt(tokenizer, raw: str, block_size: int, slack: int = 4) -> Prompt:
    """Fit any text to the model: known characters only, never empty, the last window only.

    Only the last block_size characters can reach the model, so a huge paste is cut *before*
    cleaning (slack windows are kept because cleaning may drop a few characters).
    """
    notes = []
    total = len(raw)
    if total > slack * block_size:
        raw = raw[-slack * block_size:]
    text, changes = tokenizer.clean(raw)
    notes += changes
    if not text:
        notes.append("empty prompt" + (" after cleaning" if total else "") + ": the model starts from a newline")
        text = "\n"
    if total > block_size:
        notes.append(f"kept the last {min(len(text), block_size)} of {total:,} characters: "
                     f"the model's context window is {block_size} characters")
        text = text[-block_size:]
    return Prompt(text, tokenizer.encode(text), notes)


@torch.no_grad()
def next_char_odds(model: LanguageModel, ids: list[int], temperature: float = 1.0, top_k: int | None = None,
                   top_p: float | None = None, k: int = 15) -> list[tuple[str, float]]:
    """The k likeliest next characters after ids, with the probabilities generation samples from
    (after temperature, top-k and top-p), likeliest first."""
    check_sampling(1, temperature, top_k, top_p, model.vocab_size)
    if not ids:
        raise ValueError("ids must hold at least one token")
    logits, _ = model(torch.tensor([ids[-model.block_size:]], dtype=torch.long))
    probs = next_token_probs(logits[:, -1, :], temperature, top_k, top_p)[0]
    top = torch.topk(probs, min(k, len(probs)))
    return [(model.tokenizer.decode([i]), p) for p, i in zip(top.values.tolist(), top.indices.tolist())]


def attention_window(model, ids: list[int], max_chars: int = ATTENTION_CHARS) -> tuple[torch.Tensor, list[str]]:
    """Attention of every layer and head over the last max_chars tokens: ((n_layer, n_head, T, T), labels)."""
    ids = ids[-min(max_chars, model.block_size):]
    maps = model.attention_maps(torch.tensor([ids], dtype=torch.long))
    return maps, [visible(model.tokenizer.decode([i])) for i in ids]
