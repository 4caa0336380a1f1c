"""Scenario line: trainers of every kind in the one line at once, e.g. 10 live VAEs, 5 GANs and 5 GPTs.

All press Start together and the client reads each one's status line every --poll seconds for --duration
seconds. A trainer "trains" between two readings when its step count went up. The line is fair when every
trainer, whatever its kind, gets turns and about the same seconds of training: the summary gives per kind the
trainers that trained and their training seconds, and over all trainers the smallest and largest share and
Jain's index (1.0: perfectly even). With 20 trainers, 2 places and 30-second turns, a full round takes 300 s.

Memory: one trainer of each kind trains first and leaves (models and data loaded once), then the server's RSS
after the TTL is "before"; after the line's students leave and the TTL passes again, "after". Target
(issue 21): after within 15% of before."""

from __future__ import annotations

import asyncio
import statistics

from . import train
from .lab import Lab, Window, close_all, session_errors

DEFAULT = {"vae": 10, "gan": 5, "gpt": 5}
GAP_S = 8.0  # the slowest redraw (the VAE's map, 3 s) with room to spare; a trainer in line waits a whole turn


def parse(spec: str | None) -> dict[str, int]:
    """ "vae=10,gan=5,gpt=5" -> {"vae": 10, "gan": 5, "gpt": 5}."""
    if not spec:
        return dict(DEFAULT)
    out = {}
    for part in spec.split(","):
        kind, _, n = part.partition("=")
        if kind.strip() not in train.TRAINERS or not n.strip().isdigit():
            raise ValueError(f"--line: expected kind=count with kinds {list(train.TRAINERS)}, not {part!r}")
        out[kind.strip()] = int(n)
    return out


def training_seconds(series: list[dict], gap: float = GAP_S) -> tuple[float, int]:
    """(seconds it trained, turns). A page redraws its step count every 1-3 s, so two increases less than `gap`
    apart belong to one turn and the time between them counts; a turn's first increase counts one reading."""
    seconds, turns, last_up, prev = 0.0, 0, None, None
    for r in series:
        if r["step"] is None:
            continue
        if prev is not None and r["step"] > prev["step"]:
            if last_up is not None and r["t"] - last_up <= gap:
                seconds += r["t"] - last_up
            else:
                seconds += r["t"] - prev["t"]
                turns += 1
            last_up = r["t"]
        prev = r
    return seconds, turns


def jain(xs: list[float]) -> float | None:
    """Jain's fairness index: (sum x)^2 / (n * sum x^2); 1.0 when all are equal, 1/n when one gets everything."""
    squares = sum(x * x for x in xs)
    return round(sum(xs) ** 2 / (len(xs) * squares), 3) if squares else None


async def idle_rss(lab: Lab, ttl: float, why: str) -> dict | None:
    lab.mark(f"line: {why}; waiting {ttl + 30:.0f} s (TTL + 30)")
    await asyncio.sleep(max(0.0, min(ttl + 30, lab.left() - 5)))
    return lab.sample()


async def warm_up(lab: Lab, kinds: list[str]) -> None:
    """One trainer of each kind trains 10 s and leaves: what stays loaded after this is not a leak."""
    for kind in kinds:
        trainer = train.TRAINERS[kind]
        students, _ = await train.start(lab, trainer, 1, f"warm-{kind}")
        await asyncio.sleep(10)
        await train.stop(trainer, students)
        await close_all(students)


async def run(lab: Lab, res: dict) -> None:
    a = lab.args
    counts = parse(a.line)
    ttl = a.ttl or 120
    await warm_up(lab, list(counts))
    before = await idle_rss(lab, ttl, "warm-up trainers left")

    lab.mark("line: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + f" start together, {a.duration:.0f} s")
    started = await asyncio.gather(*(train.start(lab, train.TRAINERS[kind], n, f"{kind}-") for kind, n in counts.items()))
    kinds = [kind for kind, (students, _) in zip(counts, started) for _ in students]
    students = [s for group, _ in started for s in group]
    window = Window(lab)
    series = await train.watch(lab, students, a.duration, a.poll)
    res["server"] = window.close()
    res["errors"] = session_errors(students)
    for kind, (group, _) in zip(counts, started):
        await train.stop(train.TRAINERS[kind], group)
    await close_all(students)
    after = await idle_rss(lab, ttl, "all left")

    per = [training_seconds(s) for s in series]
    res["trainers"] = [
        {"kind": k, "steps": (s[-1]["step"] or 0) - (s[0]["step"] or 0), "training_s": round(p[0], 1), "turns": p[1]}
        for k, s, p in zip(kinds, series, per)
    ]
    secs = [p[0] for p in per]
    by_kind = {}
    for kind in counts:
        mine = [t for t in res["trainers"] if t["kind"] == kind]
        by_kind[kind] = {
            "trainers": len(mine),
            "trained": sum(1 for t in mine if t["steps"] > 0),
            "training_s_median": round(statistics.median([t["training_s"] for t in mine]), 1) if mine else None,
            "steps_median": statistics.median([t["steps"] for t in mine]) if mine else None,
        }
    watched = res["server"]["seconds"]
    res["summary"] = {
        "by_kind": by_kind,
        "trained": f"{sum(1 for t in res['trainers'] if t['steps'] > 0)} of {len(students)}",
        "training_share_min_max": [round(min(secs) / watched, 3), round(max(secs) / watched, 3)] if secs else None,
        "jain_index": jain(secs),
        "rss_before_mb": before and before["rss_mb"],
        "rss_after_mb": after and after["rss_mb"],
        "peak_rss_mb": res["server"].get("peak_rss_mb"),
        "rss_after_over_before": round(after["rss_mb"] / before["rss_mb"] - 1, 3) if before and after else None,
        "pss_after_over_before": round(after["pss_mb"] / before["pss_mb"] - 1, 3) if before and after else None,
        "errors": len(res["errors"]),
    }
