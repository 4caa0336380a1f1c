"""A character-level tokenizer: every distinct character of the training text is one token."""

from __future__ import annotations

import unicodedata

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


class CharTokenizer:
    def __init__(self, chars: str):
        self.chars = chars
        self.vocab_size = len(chars)
        self.stoi = {ch: i for i, ch in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        return cls("".join(sorted(set(text))))

    def clean(self, text: str) -> tuple[str, list[str]]:
        """Map text onto the vocabulary; returns (clean text, notes on what was changed).

        Accents are stripped by Unicode decomposition (é -> e, ç -> c), typographic quotes and
        dashes become their plain forms, and anything else unknown is dropped.
        """
        out, replaced, dropped = [], set(), set()
        for ch in text:
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
            elif ch not in "\r":
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
