"""A character-level tokenizer: every distinct character of the training text is one token.

The shipped models know tiny Shakespeare's 65 characters: text outside them is cleaned (accents stripped,
curly quotes straightened, the rest dropped). A model trained on a learner's own text (core/gpt/live.py)
keeps its most frequent characters and has one placeholder token for all the others: what it does not know
becomes the placeholder instead of vanishing.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

# Characters a learner may type or paste that tiny Shakespeare writes differently.
_LOOKALIKES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\t": " ",
    "\r": "",
    "\u00a0": " ",
}


PLACEHOLDER = "\ufffd"  # "�", Unicode's own sign for a character that could not be shown


class CharTokenizer:
    def __init__(self, chars: str, placeholder: str | None = None):
        self.chars = chars
        self.vocab_size = len(chars)
        self.stoi = {ch: i for i, ch in enumerate(chars)}
        if placeholder is not None and placeholder not in self.stoi:
            raise ValueError(f"the placeholder {placeholder!r} is not in the vocabulary")
        self.placeholder = placeholder  # None: unknown characters are cleaned or dropped (the shipped models)

    @classmethod
    def from_text(cls, text: str, max_chars: int | None = None) -> "CharTokenizer":
        """Every distinct character of text; with max_chars, only the max_chars most frequent ones and the
        placeholder for the rest (when there is a rest)."""
        counts = Counter(text)
        if max_chars is None or len(counts) <= max_chars:
            return cls("".join(sorted(counts)))
        kept = sorted(ch for ch, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_chars])
        return cls("".join(kept) + PLACEHOLDER, PLACEHOLDER)

    def clean(self, text: str) -> tuple[str, list[str]]:
        """Map text onto the vocabulary; returns (clean text, notes on what was changed).

        The text is first composed (Unicode NFC). Accents unknown to the vocabulary are stripped by
        decomposition (é -> e, ç -> c), typographic quotes and dashes become their plain forms, and anything
        else unknown becomes the placeholder, or is dropped where the vocabulary has none.
        """
        out, replaced, dropped = [], set(), set()
        for ch in unicodedata.normalize("NFC", text):  # "e" + a combining accent is the one character "é"
            if ch in self.stoi:
                out.append(ch)
                continue
            plain = _LOOKALIKES.get(ch)
            if plain and not all(c in self.stoi for c in plain):
                plain = None  # e.g. a curly quote's '"', which tiny Shakespeare never uses
            if plain is None:
                base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
                plain = base if base and all(c in self.stoi for c in base) else ""
            if plain:
                out.append(plain)
                replaced.add(f"{ch!r}→{plain!r}")
            elif ch == "\r":
                continue  # Windows line ends: "\r\n" is "\n"
            elif self.placeholder is not None:
                out.append(self.placeholder)
                replaced.add(f"{ch!r}→{self.placeholder!r}")
            else:
                dropped.add(repr(ch))
        notes = []
        if replaced:
            notes.append("replaced " + ", ".join(sorted(replaced)))
        if dropped:
            notes.append("dropped " + ", ".join(sorted(dropped)[:20]) + (" …" if len(dropped) > 20 else ""))
        return "".join(out), notes

    def encode(self, text: str) -> list[int]:
        """Token ids; characters outside the vocabulary are cleaned first, never an error."""
        clean, _ = self.clean(text)
        return [self.stoi[c] for c in clean]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)
