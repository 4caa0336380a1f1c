"""What the GPT page shows, computed without Streamlit: a prompt made fit for the model, the odds
of the next character, and attention over the end of the prompt."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import torch

from core.gpt.model import LanguageModel
from core.gpt.sampling import check_sampling, next_token_probs

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
        raw = raw[-slack * block_size :]
    text, changes = tokenizer.clean(raw)
    notes += changes
    if not text:
        notes.append("empty prompt" + (" after cleaning" if total else "") + ": the model starts from a newline")
        text = "\n"
    if total > block_size:
        notes.append(
            f"kept the last {min(len(text), block_size)} of {total:,} characters: "
            f"the model's context window is {block_size} characters"
        )
        text = text[-block_size:]
    return Prompt(text, tokenizer.encode(text), notes)


@torch.no_grad()
def next_char_odds(
    model: LanguageModel, ids: list[int], temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None, k: int = 15
) -> list[tuple[str, float]]:
    """The k likeliest next characters after ids, with the probabilities generation samples from
    (after temperature, top-k and top-p), likeliest first."""
    check_sampling(1, temperature, top_k, top_p, model.vocab_size)
    if not ids:
        raise ValueError("ids must hold at least one token")
    logits, _ = model(torch.tensor([ids[-model.block_size :]], dtype=torch.long))
    probs = next_token_probs(logits[:, -1, :], temperature, top_k, top_p)[0]
    top = torch.topk(probs, min(k, len(probs)))
    return [(model.tokenizer.decode([i]), p) for p, i in zip(top.values.tolist(), top.indices.tolist())]


def attention_window(model, ids: list[int], max_chars: int = ATTENTION_CHARS) -> tuple[torch.Tensor, list[str]]:
    """Attention of every layer and head over the last max_chars tokens: ((n_layer, n_head, T, T), labels)."""
    ids = ids[-min(max_chars, model.block_size) :]
    maps = model.attention_maps(torch.tensor([ids], dtype=torch.long))
    return maps, [visible(model.tokenizer.decode([i])) for i in ids]


def md_escape(text: str) -> str:
    """Show pasted characters literally, not as Markdown (or as a :material/icon:)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|$~<>:])", r"\\\1", text)


def text_box(prompt_text: str, new_text: str) -> str:
    """HTML of a generated text: the prompt in grey, the model's continuation in the normal colour,
    whitespace kept."""
    return (
        "<div style='white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:0.9rem;"
        "line-height:1.45;padding:0.8rem 1rem;border-radius:0.5rem;background:rgba(128,128,128,0.08);"
        "border:1px solid rgba(128,128,128,0.25)'>"
        f"<span style='color:rgba(128,128,128,0.85)'>{html.escape(prompt_text)}</span>"
        f"<span>{html.escape(new_text)}</span></div>"
    )


def result_caption(res: dict) -> str:
    """The line above a finished or stopped text. res: text, want, done, settings, and seconds when done.
    scripts/loadtest.py reads "N characters in X s" and "stopped after" from it: keep those words."""
    n, want = len(res["text"]), res["want"]
    secs = res.get("seconds")
    speed = f" in {secs:.1f} s ({n / max(secs, 1e-9):,.0f} characters/s)" if secs else ""
    status = f"{n:,} characters{speed}" if res["done"] else f":material/stop_circle: stopped after {n:,} of {want:,} characters"
    return f"{status} · {res['settings']} · grey: the prompt the model saw"


def model_card(meta: dict, model: LanguageModel, train_command: str) -> str:
    """The model card's facts as a Markdown list, from the weights' metadata.

    It quotes the registry's train_command, not the metadata's "command": that one holds the build
    machine's own paths (--data-dir ../shared/data), which mean nothing on a learner's machine.
    """
    V, cfg = model.vocab_size, getattr(model, "cfg", None)
    shape = (f"{cfg.n_layer} blocks × {cfg.n_head} attention heads, {cfg.n_embd}-dimensional embeddings, dropout {cfg.dropout}"
             if cfg is not None else f"one {V} × {V} table of next-character scores")  # fmt: skip
    return (
        f"- **Architecture**: {shape}, a vocabulary of {V} characters\n"
        f"- **Training**: preset `{meta.get('preset', '?')}`, {meta.get('steps', 0):,} steps "
        f"(best at step {meta.get('best_iter', 0):,}) on {meta.get('hardware', '?')}, {meta.get('date', '?')[:10]}\n"
        f"- **Data**: {meta.get('dataset', '?')}\n"
        f"- **Train it yourself**: `{train_command}` (it reads the data from `$GENLAB_DATA`, else `./data`)"
    )
