"""Scenario mixed: a class of N students spread over the pages and tabs at a human pace.

Students arrive over --ramp seconds and then, until --duration is over, each repeats: think (a pause drawn
from --think, several seconds), then one activity drawn by its share (--mix):
  generate  the GPT page: a new seed, Generate; timed to the first and the last character,
  train     the GAN's "Train one live": Start, keep training while thinking (--train-seconds), Pause,
  slide     Latent Space: move a latent slider; timed to the first redrawn text and to the run's end,
  explore   the GAN's "Explore the generator" tab: a new seed,
  browse    open Home or the Glossary (a page load).
Every click is timed from the BackMsg sent; "first" is the first text delta the click brought (for generate:
the first character), "last" the end of the run (for generate: the finished caption). Targets (issue 25):
N=50 on one process, p95 click -> first <= 2 s, no error, no dropped session."""

from __future__ import annotations

import asyncio
import random
import time

from . import generate, train
from .lab import Lab, Window, close_all, session_errors, spread, timing
from .protocol import Closed, Session
from .texts import STEP_RE

DEFAULT_MIX = "generate=3,slide=3,train=2,explore=1,browse=1"
EXPLORE = ("gan-training", "gan_tab=Explore+the+generator")


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, share = part.partition("=")
        if name.strip() not in ACTIONS:
            raise ValueError(f"unknown activity {name!r} in --mix (known: {', '.join(ACTIONS)})")
        mix[name.strip()] = float(share or 1)
    return mix


async def on_page(s: Session, path: str, query: str, timeout: float) -> float | None:
    """Open the page unless the student is already on it; the seconds it took (None: already there)."""
    if getattr(s, "where", None) == (path, query):
        return None
    took = await s.open(path, query, timeout=timeout)
    s.where = (path, query)
    return took


async def do_generate(lab, s, rng, log) -> None:
    await on_page(s, generate.PAGE, generate.QUERY, lab.args.open_timeout)
    log("generate", await generate.generate(s, lab.args.gen_timeout, seed=rng.randrange(1_000_000)))


async def do_train(lab, s, rng, log) -> None:
    gan = train.TRAINERS["gan"]
    await on_page(s, gan.page, gan.query, lab.args.open_timeout)
    w = await s.click(gan.start, first=lambda x: bool(STEP_RE.search(x.text)), timeout=lab.args.open_timeout)
    log("train start", timing(w))
    t0, step0 = lab.now(), train.reading(s, lab.now())["step"] or 0
    await asyncio.sleep(min(rng.uniform(*lab.args.train_seconds_range), max(0.0, lab.left() - 15)))
    t1, step1 = lab.now(), train.reading(s, lab.now())["step"] or 0
    log.res.setdefault("training", []).append({"steps": step1 - step0, "seconds": round(t1 - t0, 1)})
    log("train pause", timing(await s.click(gan.pause, timeout=lab.args.open_timeout)))


async def do_slide(lab, s, rng, log) -> None:
    took = await on_page(s, "latent-space", "", lab.args.open_timeout)
    if took is not None:
        log("open page", {"first_s": None, "last_s": round(took, 3), "text": "latent-space"})
    keys = [k for k in s.page.widgets if k.startswith("ls_z_")]
    if keys:
        key = rng.choice(keys)
        log("slide", timing(await s.set(key, s.page.slider_pick(key, rng), timeout=lab.args.open_timeout)))


async def do_explore(lab, s, rng, log) -> None:
    took = await on_page(s, *EXPLORE, lab.args.open_timeout)
    if took is not None:
        log("open page", {"first_s": None, "last_s": round(took, 3), "text": "explore"})
    if s.has("explore_seed"):
        log("explore", timing(await s.set("explore_seed", rng.randrange(1_000_000), timeout=lab.args.open_timeout)))


async def do_browse(lab, s, rng, log) -> None:
    path = rng.choice(["", "glossary"])
    s.where = None
    log("open page", {"first_s": None, "last_s": round(await s.open(path, timeout=lab.args.open_timeout), 3), "text": path})
    s.where = (path, "")


ACTIONS = {"generate": do_generate, "train": do_train, "slide": do_slide, "explore": do_explore, "browse": do_browse}


async def student(lab: Lab, i: int, end: float, mix: dict[str, float], res: dict) -> Session:
    a = lab.args
    rng = random.Random(a.seed * 1000 + i)
    s = Session(lab.url, f"c{i + 1}", open_timeout=a.open_timeout)
    s.where = None
    records = res.setdefault("clicks", [])

    def log(kind: str, rec: dict) -> None:
        records.append({"kind": kind, "student": s.name, "t": lab.now()} | rec)

    log.res = res  # the class's record (do_train adds its trainers' steps)

    await asyncio.sleep(rng.uniform(0, a.ramp))
    try:
        await s.connect()
        await s.open("", timeout=a.open_timeout)
        s.where = ("", "")
        names, weights = list(mix), list(mix.values())
        while time.monotonic() < end - 5:
            await asyncio.sleep(min(rng.uniform(*a.think), max(0.0, end - time.monotonic())))
            if time.monotonic() >= end - 5:
                break
            await ACTIONS[rng.choices(names, weights)[0]](lab, s, rng, log)
    except Closed as e:
        res.setdefault("dropped", []).append(f"{s.name}: {e}")
    except Exception as e:  # a student's failure is a finding, not the end of the class
        res.setdefault("failed", []).append(f"{s.name}: {type(e).__name__}: {str(e)[:200]}")
    return s


async def warm_up(lab: Lab) -> None:
    """One student opens every page and tab the class uses, so the class meets a server whose models are
    loaded, as a teacher's would be (not counted)."""
    s = Session(lab.url, "warm", open_timeout=lab.args.open_timeout)
    await s.connect()
    try:
        gan = train.TRAINERS["gan"]
        for path, query in [
            ("", ""),
            ("latent-space", ""),
            (generate.PAGE, generate.QUERY),
            (gan.page, gan.query),
            EXPLORE,
            ("glossary", ""),
        ]:
            await s.open(path, query, timeout=lab.args.open_timeout)
            if path == generate.PAGE:
                await generate.generate(s, lab.args.gen_timeout)
    finally:
        await s.close()


async def run(lab: Lab, res: dict) -> None:
    """One class per --class-size, one after the other on the same server, a pause between them."""
    sizes = [lab.args.students] if lab.args.students else lab.args.class_size
    lab.mark("mixed: warm-up (one student opens every page; not counted)")
    await warm_up(lab)
    res["classes"], res["summary"] = {}, {}
    for i, n in enumerate(sizes):
        if i:
            await asyncio.sleep(min(lab.args.between, max(0.0, lab.left() - 60)))
        out = res["classes"][str(n)] = {}
        await one_class(lab, n, out)
        res["summary"][f"N={n}"] = out["summary"]


async def one_class(lab: Lab, n: int, res: dict) -> None:
    a = lab.args
    mix = parse_mix(a.mix)
    duration = min(a.duration, max(10.0, lab.left() - 30))
    lab.mark(f"mixed: {n} students for {duration:.0f} s (mix {a.mix}, think {a.think[0]:g}-{a.think[1]:g} s)")
    window, end = Window(lab), time.monotonic() + duration
    students = await asyncio.gather(*(student(lab, i, end, mix, res) for i in range(n)))
    res["server"] = window.close()
    res["errors"] = session_errors(list(students))
    gan = train.TRAINERS["gan"]
    await asyncio.gather(*(s.click(gan.pause, timeout=30) for s in students if s.has(gan.pause)), return_exceptions=True)
    await close_all(list(students))
    lab.mark(f"mixed: {n} students over")
    clicks = res.get("clicks", [])
    kinds = sorted({c["kind"] for c in clicks})
    training = res.get("training", [])
    secs = sum(t["seconds"] for t in training)
    server = res["server"]
    res["summary"] = {
        "students": n,
        "seconds": round(duration),
        "all_clicks": spread([c for c in clicks if c["kind"] != "open page"]),
        "by_kind": {k: spread([c for c in clicks if c["kind"] == k]) for k in kinds},
        "train_steps_per_s_each": round(sum(t["steps"] for t in training) / secs, 2) if secs else None,
        "trainer_turns": len(training),
        "dropped": len(res.get("dropped", [])),
        "failed": len(res.get("failed", [])),
        "errors": len(res["errors"]),
        "peak_rss_mb": server.get("peak_rss_mb"),
        "peak_pss_mb": server.get("peak_pss_mb"),
        "server_cores_busy": server.get("server_cores_busy"),
    }
