"""What the GPT page shows, computed without Streamlit: a prompt made fit for the model, the odds
of the next character, and attention over the end of the prompt.

Notes on a prompt are Messages (English as a str; the page shows them with _()). The captions and the
model card are made while the page draws, so they come in the learner's language already."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import torch

from core.gpt.model import LanguageModel
from core.gpt.sampling import check_sampling, next_token_probs
from i18n import N_, Message, _, ngettext, number

# Whitespace made visible on chart axes and bar labels.
_VISIBLE = {"\n": "↵", " ": "·"}

ATTENTION_CHARS = 64  # the heatmap stays readable up to about this many characters

# The metadata's own English words for the data and the machine, as scripts/train_gpt.py and
# core/checkpoint.hardware() write them: the model card shows them in the learner's language.
_DATASET = re.compile(r"(?P<name>.+) \((?P<n>[\d,]+) characters; first (?P<train>\d+)% train, last (?P<val>\d+)% validation\)")
_HARDWARE = re.compile(r"(?P<chip>.+) CPU, (?P<n>\d+) threads?")


def visible(ch: str) -> str:
    return _VISIBLE.get(ch, ch)


@dataclass
class Prompt:
    text: str  # what the model continues: cleaned, never empty, at most one context window long
    ids: list[int]
    notes: list[str]  # what was changed, in words a learner understands (Messages: show them with _())


# The tokenizer's own notes ("replaced 'é'→'e', …", "dropped '😀'") start with one of these words; the
# characters that follow are shown as they are, the words in the learner's language.
_CLEANING = {
    "replaced": N_("replaced {chars}"),
    "dropped": N_("dropped {chars}"),
}


def _cleaning_note(note: str) -> str:
    kind, _space, chars = note.partition(" ")
    return Message(_CLEANING[kind], chars=chars) if kind in _CLEANING else note


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
    notes += [_cleaning_note(note) for note in changes]
    if not text:
        if total:
            notes.append(Message(N_("empty prompt after cleaning: the model starts from a newline")))
        else:
            notes.append(Message(N_("empty prompt: the model starts from a newline")))
        text = "\n"
    if total > block_size:
        kept = N_("kept the last {kept} of {total} characters: the model's context window is {block} characters")
        notes.append(Message(kept, kept=number(min(len(text), block_size)), total=number(total), block=number(block_size)))
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
    logits, _loss = model(torch.tensor([ids[-model.block_size :]], dtype=torch.long))
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
    """HTML of a generated text: the prompt greyed, the model's continuation in the normal colour, whitespace kept.
    The prompt is the text colour at 65 % opacity, not a fixed grey: readable in the light and the dark theme alike
    (5.7:1 on the light theme's box, where WCAG AA asks 4.5:1)."""
    return (
        "<div style='white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:0.9rem;"
        "line-height:1.45;padding:0.8rem 1rem;border-radius:0.5rem;background:rgba(128,128,128,0.08);"
        "border:1px solid rgba(128,128,128,0.25)'>"
        f"<span style='opacity:0.65'>{html.escape(prompt_text)}</span>"
        f"<span>{html.escape(new_text)}</span></div>"
    )


def settings_line(settings: dict) -> str:
    """The sampling settings a text was written with (seed, temperature, top_k, top_p), in one line."""
    return _("seed {seed} · temperature {temperature} · top-k {top_k} · top-p {top_p}").format(
        seed=settings["seed"],
        temperature=number(settings["temperature"], 2),
        top_k=settings["top_k"],
        top_p=number(settings["top_p"], 2),
    )


def result_caption(res: dict) -> str:
    """The line above a finished or stopped text. res: text, want, done, settings (a dict, see
    settings_line), and seconds when done. scripts/loadtest.py reads "N characters in X s" and "stopped
    after" from the English page: keep those words."""
    n, want = len(res["text"]), res["want"]
    secs = res.get("seconds")
    if not res["done"]:
        status = ":material/stop_circle: " + _("stopped after {n} of {want} characters").format(n=number(n), want=number(want))
    elif secs:
        status = ngettext("{n} character in {s} s ({rate} characters/s)", "{n} characters in {s} s ({rate} characters/s)", n).format(
            n=number(n),
            s=number(secs, 2 if secs < 1 else 1),
            rate=number(n / max(secs, 1e-9)),  # 0.24 s, 1.2 s
        )
    else:
        status = ngettext("{n} character", "{n} characters", n).format(n=number(n))
    return _("{status} · {settings} · grey: the prompt the model saw").format(status=status, settings=settings_line(res["settings"]))


def _dataset(text: str) -> str:
    """The metadata's description of the data, in the current language where its shape is known."""
    if m := _DATASET.fullmatch(text):
        return _("{name} ({n} characters; first {train}% train, last {val}% validation)").format(
            name=m["name"], n=number(int(m["n"].replace(",", ""))), train=m["train"], val=m["val"]
        )
    return text


def _machine(text: str) -> str:
    """The metadata's hardware line ("x86_64 CPU, 1 threads"), in the current language where its shape is known."""
    if m := _HARDWARE.fullmatch(text):
        n = int(m["n"])
        return ngettext("{chip} CPU, {n} thread", "{chip} CPU, {n} threads", n).format(chip=m["chip"], n=number(n))
    return text


def model_card(meta: dict, model: LanguageModel, train_command: str) -> str:
    """The model card's facts as a Markdown list, from the weights' metadata.

    It quotes the registry's train_command, not the metadata's "command": that one is the exact run
    that made the file (resumes, scratch folders), the registry's the one a learner would start with.
    The dataset and hardware are the metadata's own words (English).
    """
    V, cfg = model.vocab_size, getattr(model, "cfg", None)
    if cfg is not None:
        shape = _("{layers} blocks × {heads} attention heads, {width}-dimensional embeddings, dropout {dropout}").format(
            layers=cfg.n_layer, heads=cfg.n_head, width=cfg.n_embd, dropout=number(cfg.dropout, 1)
        )
    else:
        shape = _("one {V} × {V} table of next-character scores").format(V=V)
    lines = [
        _("**Architecture**: {shape}, a vocabulary of {V} characters").format(shape=shape, V=V),
        _("**Training**: preset `{preset}`, {steps} steps (best at step {best}) on {hardware}, {date}").format(
            preset=meta.get("preset", "?"),
            steps=number(meta.get("steps", 0)),
            best=number(meta.get("best_iter", 0)),
            hardware=_machine(meta.get("hardware", "?")),
            date=meta.get("date", "?")[:10],
        ),
        _("**Data**: {dataset}").format(dataset=_dataset(meta.get("dataset", "?"))),
        _("**Train it yourself**: `{command}` (it reads the data from `$GENLAB_DATA`, else `./data`)").format(command=train_command),
    ]
    return "\n".join(f"- {line}" for line in lines)
