"""Scenario memory: R rounds of S students who visit every page, then leave; the server's RSS after each
round once the disconnected sessions' TTL has passed.

Each student: Home, Latent Space (moves a latent slider), GPT Generation (Generate), the live trainer that
--trainer names (the GAN by default: Start, --train-seconds, Pause), then closes its connection. After the
round the script waits TTL + 30 s (the server keeps a closed tab's session for --ttl seconds, then GenLab's
janitor frees it). Targets (issue 25): every session served, peak RSS <= 2 GB with 100 students, and the RSS
after the last round within 15% of the RSS after the first."""

from __future__ import annotations

import asyncio
import random

from . import generate, train
from .lab import Lab, Window, close_all, session_errors
from .protocol import Session


async def slide(s: Session, rng: random.Random, timeout: float) -> dict:
    """Move one latent slider to a random place in its range (the sliders tab is the default one)."""
    keys = [k for k in s.page.widgets if k.startswith("ls_z_")]
    if not keys:
        return {"slid": False}
    key = rng.choice(keys)
    w = await s.set(key, s.page.slider_pick(key, rng), timeout=timeout)
    return {"slid": w.t_last is not None}


async def visit_everything(lab: Lab, s: Session, rng: random.Random) -> dict:
    a, out = lab.args, {}
    trainer = train.TRAINERS[a.trainer]
    await s.open("", timeout=a.open_timeout)
    await s.open("latent-space", timeout=a.open_timeout)
    out |= await slide(s, rng, a.open_timeout)
    await s.open(generate.PAGE, generate.QUERY, timeout=a.open_timeout)
    out["generate"] = await generate.generate(s, a.gen_timeout)
    await train.open_tab(s, trainer, a.open_timeout)
    await s.click(trainer.start, timeout=a.open_timeout)
    await asyncio.sleep(min(a.train_seconds, max(0.0, lab.left() - 10)))
    out["steps"] = train.reading(s, lab.now())["step"]
    await s.click(trainer.pause, timeout=a.open_timeout)
    return out


async def run(lab: Lab, res: dict) -> None:
    a = lab.args
    ttl = a.ttl or 120
    rng = random.Random(a.seed)
    res["rounds"] = []
    # Round 0, not counted: one student loads every model, so "before" is a warm server nobody uses.
    for r in range(0, a.rounds + 1):
        n = (a.students or a.memory_students) if r else 1
        lab.mark(f"memory: round {r}: {n} students visit every page")
        window = Window(lab)
        students = [Session(lab.url, f"m{r}-{i + 1}", open_timeout=a.open_timeout) for i in range(n)]
        gate = asyncio.Semaphore(a.open_concurrency)

        async def one(s: Session, gate: asyncio.Semaphore = gate) -> dict:
            try:
                async with gate:  # connecting and the first page are the heavy part; the rest side by side
                    await s.connect()
                return await visit_everything(lab, s, rng)
            except Exception as e:
                return {"failed": f"{s.name}: {type(e).__name__}: {str(e)[:200]}"}

        visits = await asyncio.gather(*(one(s) for s in students))
        connected = lab.sample()
        errors = session_errors(students)
        await close_all(students)
        server = window.close()
        lab.mark(f"memory: round {r}: all closed; waiting {ttl + 30:.0f} s (TTL + 30)")
        wait_s = max(0.0, min(ttl + 30, lab.left() - 5))
        await asyncio.sleep(wait_s)
        after = lab.sample()
        res["rounds"].append(
            {
                "round": r,
                "students": n,
                "rss_all_connected_mb": connected and connected["rss_mb"],
                "peak_rss_mb": server.get("peak_rss_mb"),
                "after_wait_rss_mb": after and after["rss_mb"],
                "peak_pss_mb": server.get("peak_pss_mb"),
                "after_wait_pss_mb": after and after["pss_mb"],
                "waited_s": round(wait_s),
                "generated": sum(1 for v in visits if (v.get("generate") or {}).get("last_s") is not None),
                "slid": sum(1 for v in visits if v.get("slid")),
                "trained": sum(1 for v in visits if (v.get("steps") or 0) > 0),
                "failed": [v["failed"] for v in visits if "failed" in v],
                "errors": errors,
            }
        )
    warm, counted = res["rounds"][0], res["rounds"][1:]
    first, last = counted[0]["after_wait_rss_mb"], counted[-1]["after_wait_rss_mb"]
    before, pss_before = warm["after_wait_rss_mb"], warm["after_wait_pss_mb"]
    pss_last = counted[-1]["after_wait_pss_mb"]
    growth = (last - first) / first if first and last and len(counted) > 1 else None
    back = (last - before) / before if before and last else None
    res["summary"] = {
        "students": counted[0]["students"],
        "rss_warm_idle_mb": before,
        "pss_warm_idle_mb": pss_before,
        "peak_rss_mb": max((r["peak_rss_mb"] or 0) for r in counted),
        "peak_pss_mb": max((r["peak_pss_mb"] or 0) for r in counted),
        "pss_after_each_round_mb": [r["after_wait_pss_mb"] for r in counted],
        "pss_after_last_over_warm_idle": round((pss_last - pss_before) / pss_before, 3) if pss_last and pss_before else None,
        "rss_after_first_mb": first,
        "rss_after_last_mb": last,
        "growth_last_over_first": None if growth is None else round(growth, 3),
        "rss_after_last_over_warm_idle": None if back is None else round(back, 3),
        "served": sum(r["students"] - len(r["failed"]) for r in counted),
        "failed": sum(len(r["failed"]) for r in counted),
        "errors": sum(len(r["errors"]) for r in counted),
    }
