"""Scenario generate: the GPT page's Generate, one student alone and then N at the same moment.

Each click is timed at the client, from the BackMsg sent to the delta that shows the first generated
character (the streaming caption "writing… 1 of 300") and to the one with the finished caption
("300 characters in 1.2 s"). Target (issue 25): the crowd's p50 to the last character at most 2x one alone."""

from __future__ import annotations

import asyncio
import statistics

from .lab import Lab, Window, close_all, session_errors, spread, timing
from .texts import first_character, last_character

PAGE, QUERY = "gpt-generation", ""


async def generate(s, timeout: float, seed: int | None = None) -> dict:
    """One Generate click (with a new seed when given, as a student trying again would), timed."""
    if seed is not None:
        await s.set("gpt_seed", seed, timeout=timeout)
    w = await s.click("gpt_go", first=first_character, last=last_character, timeout=timeout)
    return timing(w)


async def run(lab: Lab, res: dict) -> None:
    a = lab.args
    n, timeout = a.students or a.generate_students, a.gen_timeout

    # A teacher starts the server before the class comes; behind a proxy, one warm-up per process.
    lab.mark("generate: warm-up (not counted)")
    warm = await lab.students(max(1, len(lab.pids)), "warm", PAGE, QUERY)
    res["warm_up"] = await asyncio.gather(*(generate(w, timeout) for w in warm))
    await close_all(warm)

    lab.mark(f"generate: 1 student alone, {a.solo_clicks} clicks")
    solo = (await lab.students(1, "solo", PAGE, QUERY))[0]
    res["solo"] = [await generate(solo, timeout) for _ in range(a.solo_clicks)]
    await close_all([solo])

    lab.mark(f"generate: {n} students open the page")
    crowd = await lab.students(n, "s", PAGE, QUERY)
    lab.mark(f"generate: {len(crowd)} students click Generate at once")
    window = Window(lab)
    res["crowd"] = await asyncio.gather(*(generate(s, timeout) for s in crowd))
    res["server"] = window.close()
    lab.mark("generate: all results in (or timed out)")
    res["errors"] = session_errors([solo, *crowd])
    await close_all(crowd)
    summarise(res)


def summarise(res: dict) -> None:
    solo = [r["last_s"] for r in res.get("solo", []) if r["last_s"] is not None]
    solo_first = [r["first_s"] for r in res.get("solo", []) if r["first_s"] is not None]
    crowd = spread(res.get("crowd", []))
    solo_last = statistics.median(solo) if solo else None
    res["summary"] = {
        "solo_first_s": round(statistics.median(solo_first), 2) if solo_first else None,
        "solo_last_s": round(solo_last, 2) if solo_last else None,
        "crowd": crowd,
        "ratio_p50_last_over_solo": round(crowd["last_p50"] / solo_last, 2) if crowd["last_p50"] and solo_last else None,
    }
