"""What the GPT Generation page's tabs share: the model, prompt and sampling settings chosen above the tabs (one
Inputs), and follow(), which streams one request from the shared batched generator (Generate and Side by side)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from core import registry
from core.gpt.model import LanguageModel
from core.gpt.prompt import Prompt
from i18n import N_, _, number

NAMES = registry.names(page="gpt_generation")
REDRAW_S = 0.15  # redraw streamed text about 7 times a second: smooth enough, and twenty pages redrawing
# at once leave the server's threads time for the model (each redraw is Python work)
FAILED = N_("Generation stopped on a problem on the server: {error}. What was written is kept; press the button to try again.")


@dataclass(frozen=True, eq=False)
class Inputs:
    """The widgets above the tabs: the model picked (with its metadata), the prompt as typed (raw) and as fitted to
    the model (prompt), how many characters to write, and the sampling settings, both as the sampler takes them
    (sampling: top-k and top-p None where they cut nothing) and as settings_line shows them (settings)."""

    name: str
    model: LanguageModel
    meta: dict
    raw: str
    prompt: Prompt
    length: int
    seed: int
    sampling: dict
    settings: dict


class GenerationFailed(RuntimeError):
    """The shared generator could not finish this request (the message says why)."""


def follow(service, ids: list[int], length: int, seed: int, sampling: dict, status):
    """Submit one request to the shared batched generator and yield its text as it grows
    (at most once per REDRAW_S, and once more at the end).

    The request leaves the batch when this generator is closed: when the run ends, when the learner
    clicks anything (Streamlit stops this script run), or when the browser goes away.
    """
    try:
        request = service.submit(ids, length, seed=seed, **sampling)
    except ValueError as e:  # settings the model refuses (core's message, in the learner's language)
        raise GenerationFailed(_(e.args[0])) from e
    decode = service.model.tokenizer.decode
    try:
        shown, last = 0, 0.0
        while not request.done:
            request.wait(shown, timeout=REDRAW_S)  # returns at once when there is something new
            if len(request.new_ids) > shown:
                if not request.done:  # the finished text shows at once
                    time.sleep(max(0.0, last + REDRAW_S - time.perf_counter()))  # never spin: other threads need the GIL
                shown, last = len(request.new_ids), time.perf_counter()
                yield decode(request.new_ids[:shown])
            elif shown == 0 and (ahead := service.queue_position(request)):
                waiting = _("waiting for a free place in the batch: {n} ahead of you…").format(n=number(ahead))
                status.caption(f":material/hourglass_empty: {waiting}")
        if request.error:
            raise GenerationFailed(request.error)
        yield decode(request.new_ids)
    finally:
        request.cancel()
