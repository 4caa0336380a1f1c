"""The words the load test reads on GenLab's English pages, and the pages it opens.

app_pages/gan/common.py (status_line) and core/gpt/prompt.py (result_caption) keep these words stable."""

from __future__ import annotations

import re

RESULT_RE = re.compile(r"([\d,]+) characters? in ([\d.]+) s")  # the finished generation's caption
STOPPED_RE = re.compile(r"stopped after")
WRITING_RE = re.compile(r"writing… ([\d,]+) of")  # the caption while the text streams
STEP_RE = re.compile(r"\bStep ([\d,]+)\b(?! of)")  # the live status line, not the replay's "Step 5 of 9"
RATE_RE = re.compile(r"([\d.]+) steps/s")
QUEUE_RE = re.compile(r"queued|ahead of you", re.I)

PAGES = {"": "Home", "latent-space": "Latent Space", "gan-training": "GAN Training", "gpt-generation": "GPT Generation"}


def count(text: str) -> int:
    """ "1,234" -> 1234 (the English pages group thousands with commas)."""
    return int(text.replace(",", ""))


def step_of(text: str) -> int | None:
    m = STEP_RE.search(text)
    return count(m.group(1)) if m else None


def first_character(seen) -> bool:
    """The first delta that shows generated text: the streaming caption, or the result at once."""
    m = WRITING_RE.search(seen.text)
    return bool(m and count(m.group(1)) >= 1) or bool(RESULT_RE.search(seen.text))


def last_character(seen) -> bool:
    """The finished caption (all characters in), or a stopped run's."""
    return bool(RESULT_RE.search(seen.text) or STOPPED_RE.search(seen.text))
