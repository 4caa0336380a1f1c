"""Scenario bystander: a student who only reads and generates while T others train live.

The bystander opens the GPT page (seconds until its run finished) and clicks Generate (first and last
character), once on an idle server and once while T trainers train. Issue 25's browser figure was 5.4 s to
load the page beside 10 trainers."""

from __future__ import annotations

import asyncio

from . import generate, train
from .lab import Lab, Window, close_all, session_errors
from .protocol import Session


async def visit(lab: Lab, name: str) -> dict:
    s = Session(lab.url, name, open_timeout=lab.args.open_timeout)
    await s.connect()
    try:
        opened = await s.open(generate.PAGE, generate.QUERY, timeout=lab.args.open_timeout)
        out = {"open_s": round(opened, 2)} | await generate.generate(s, lab.args.gen_timeout)
        out["errors"] = session_errors([s])
        return out
    finally:
        await close_all([s])


async def run(lab: Lab, res: dict) -> None:
    a = lab.args
    trainer, n = train.TRAINERS[a.trainer], a.students or a.trainers
    lab.mark("bystander: on an idle server")
    res["idle"] = await visit(lab, "idle")
    lab.mark(f"bystander: {n} trainers start")
    students, _ = await train.start(lab, trainer, n, "t")
    window = Window(lab)
    await asyncio.sleep(min(a.bystander_after, max(0.0, lab.left() - 60)))
    lab.mark("bystander: opens the GPT page and generates")
    res["loaded"] = await visit(lab, "bystander")
    res["server"] = window.close()
    res["errors"] = session_errors(students)
    await train.stop(trainer, students)
    await close_all(students)
    idle, loaded = res["idle"], res["loaded"]
    ratio = lambda k: round(loaded[k] / idle[k], 2) if loaded.get(k) and idle.get(k) else None  # noqa: E731
    res["summary"] = {
        "trainers": n,
        "idle": {k: idle.get(k) for k in ("open_s", "first_s", "last_s")},
        "loaded": {k: loaded.get(k) for k in ("open_s", "first_s", "last_s")},
        "ratio_open": ratio("open_s"),
        "ratio_last": ratio("last_s"),
    }
