"""The browser harness: a class of real browsers against one GenLab server, judged by the server's own clocks.

For what only a browser shows (fonts, the canvas, reconnection dialogs), with a handful of students: beyond
~20 the browsers on the server's own cores are what gets measured (issue 25); the protocol client
(scripts/loadtest/protocol.py) measures the server.

One headless Chromium (the system's, never a downloaded one) opens one browser context per student.
The browsers share the machine's cores with the server, so their own timings say little; the report
rests on (a) what the pages themselves print (the GPT caption "300 characters in 0.8 s", the GAN's
"Step 1,234") and (b) the server process's RSS and CPU time, read from /proc every few seconds. The
browsers run at idle CPU priority (SCHED_IDLE, and while the class generates the lowest autogroup
weight; --clients): in a real class they run on the students' own machines, so here they get only what
the server leaves.

Usage (from the repository root; --browser picks this harness, see scripts/loadtest/__init__.py):

    .venv/bin/python scripts/loadtest.py --browser --scenario generate                  # 1 student, then 20 at once
    .venv/bin/python scripts/loadtest.py --browser --scenario train --duration 60       # 1 trainer, then 10 + a bystander
    .venv/bin/python scripts/loadtest.py --browser --scenario memory --rounds 3         # 3 rounds of 20, waits out the TTL
    .venv/bin/python scripts/loadtest.py --browser --scenario generate --scenario train --json out.json --shots shots/

    # quick checks
    .venv/bin/python scripts/loadtest.py --browser --scenario generate --students 3
    .venv/bin/python scripts/loadtest.py --browser --scenario train --students 2 --duration 20
    .venv/bin/python scripts/loadtest.py --browser --scenario memory --rounds 1 --students 2 --ttl 10

    # an already running server, or the proxy of scripts/serve_class.sh
    .venv/bin/python scripts/loadtest.py --browser --url http://127.0.0.1:8600 --server-pids 1234,1235 \\
        --server-log /tmp/genlab-class/app-8601.log --server-log /tmp/genlab-class/app-8602.log

By default the script starts its own server (`streamlit run app.py` on a free port, output to a log
file it keeps; GENLAB_* variables pass through) and stops it at the end. With --ttl and an own server,
the server gets --server.disconnectedSessionTTL too. --server-arg passes more Streamlit flags, e.g.
--server-arg=--server.maxMessageSize=400.

Scenarios:
  generate  GPT page: one student clicks Generate (the single-session figure), then N students click it
            at the same moment. Reports how many finished, median / max of the pages' seconds, the ratio
            median / solo, error boxes and connection dialogs.
  train     GAN page, "Train one live": one trainer alone, then T trainers at once for D seconds, and a
            bystander who generates text after ~20 s. Reports steps/s (summed over trainers) against the
            solo figure, queue messages, and the bystander's seconds against an idle server's.
  memory    R rounds: S students visit every page, generate, train ~20 s, close; then the script waits
            for the disconnected-session TTL + 30 s. Passes if the RSS after the last round is within
            15% of the RSS after the first.

Every scenario also reports the server's CPU seconds and RSS, and "Traceback" blocks in its log.
--max-seconds (default 1800) bounds the whole run: it then stops and reports what it has.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .server import (
    CLK_TCK,  # noqa: F401  (restart_check and older callers import it from here)
    ROOT,  # noqa: F401
    OwnServer,
    cpu_by_process,
    descendants,
    fmt,
    load_average,
    log,
    median,
    scan_tracebacks,
    server_usage,
)

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
PAGES = {"": "GenLab", "latent-space": "Latent", "gan-training": "GAN", "gpt-generation": "GPT"}

RESULT_RE = re.compile(r"([\d,]+) characters in ([\d.]+) s")
STEP_RE = re.compile(r"\bStep ([\d,]+)(?![\d,]| of)")  # the live status line, not the replay's "Step 5 of 9"
RATE_RE = re.compile(r"([\d.]+) steps/s")
QUEUE_RE = re.compile(r"queued|ahead of you", re.I)
# Buttons by their widget keys (Streamlit gives each keyed widget the class st-key-<key>): labels
# change with the language and carry an icon's name in their text.
GENERATE = ".st-key-gpt_go button"
START = ".st-key-live_start button"
PAUSE = ".st-key-live_pause button"
LIVE_TAB_RE = re.compile(r"Train one live")  # the load test browses in English
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Runs in every page from its first byte: remembers each error box and connection dialog once, with the
# time it was first seen, so a box that a later rerun removes is still reported.
WATCH_JS = """
window.__lt = {seen: {}};
setInterval(() => {
  const note = (kind, el) => {
    const key = kind + ': ' + (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 300);
    if (!(key in window.__lt.seen)) window.__lt.seen[key] = Date.now();
  };
  document.querySelectorAll('[data-testid=stException]').forEach(e => note('exception', e));
  document.querySelectorAll('[data-testid=stAlertContentError]').forEach(e => note('error', e));
  document.querySelectorAll('[data-testid=stAlertContentWarning]').forEach(e => note('warning', e));
  document.querySelectorAll('[role=dialog], [data-testid=stDialog]').forEach(e => {
    if (/Connection error|connected to the internet|Is Streamlit still running/i.test(e.textContent)) note('connection', e);
  });
}, 1000);
"""

# The finished generation's caption, a stopped run, or an error box: whichever comes first.
RESULT_JS = """
() => {
  for (const c of document.querySelectorAll('[data-testid=stCaptionContainer]')) {
    const m = c.textContent.match(/([\\d,]+) characters in ([\\d.]+) s/);
    if (m) return {chars: m[1], seconds: m[2], caption: c.textContent.slice(0, 200)};
    if (/stopped after/.test(c.textContent)) return {stopped: c.textContent.slice(0, 200)};
  }
  const err = document.querySelector('[data-testid=stException], [data-testid=stAlertContentError]');
  if (err) return {error: err.textContent.slice(0, 300)};
  return null;
}
"""

CLICK_GENERATE_JS = """
() => {
  const b = [...document.querySelectorAll('.st-key-gpt_go button')].find(b => !b.disabled);
  if (b) b.click();
  return !!b;
}
"""

# The live trainer's status line and any queue message, as plain text for Python to parse.
TRAIN_JS = """
() => {
  const main = document.querySelector('[data-testid=stMain]');
  if (!main) return {status: [], queue: []};
  const texts = sel => [...main.querySelectorAll(sel)].map(e => e.textContent.trim());
  return {
    status: texts('[data-testid=stMarkdownContainer]').filter(t => /Step\\s+[\\d,]+/.test(t)),
    queue: texts('[data-testid=stMarkdownContainer], [data-testid=stCaptionContainer], [data-testid^=stAlertContent]')
             .filter(t => /queued|ahead of you/i.test(t)),
  };
}
"""

CONNECTION_RE = re.compile(r"Connection error|connected to the internet", re.I)


# -- the browsers' priority ----------------------------------------------------------------------

CLIENT_NICE = 10


IDLE_GROUP_NICE = 19  # the lowest autogroup weight


def renice_clients(nice: int | None, group_nice: int, server_pids: list[int]) -> None:
    """Lower this script's browsers (every process below it, the server's excepted) below the server.

    Under Linux's autogroup scheduling the CPU is shared between session groups first, and a thread's class
    or niceness counts only inside its group. Chromium starts its processes in sessions of their own, so
    each renderer's group shared the CPU with the server's as an equal, SCHED_IDLE or not (measured: the
    browsers took 70% of the machine while the server's text generator waited half its time for a core).
    So the group of every Chromium child process (renderers, GPU, utilities: "--type=" on the command
    line) gets niceness `group_nice` (the generate scenario's 19, else back to 0). The browser process,
    Playwright's driver and this script keep their groups' weight: they turn clicks into events. With
    `nice` every thread gets that niceness too. Chromium starts renderers and sets priorities as it goes,
    so this is re-applied.
    """
    server = set(descendants(server_pids))
    for pid in descendants([os.getpid()]):
        if pid in server:
            continue
        try:
            group = Path(f"/proc/{pid}/autogroup")
            child = b"--type=" in Path(f"/proc/{pid}/cmdline").read_bytes()
            if child and not group.read_text().rstrip().endswith(f"nice {group_nice}"):
                group.write_text(str(group_nice))
        except OSError:
            pass  # gone, or no autogroup on this kernel: the scheduling class is enough
        if nice is None:
            continue
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            continue
        for tid in tids:  # on Linux a niceness belongs to a thread
            try:
                if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                    os.setpriority(os.PRIO_PROCESS, tid, nice)
            except OSError:
                pass


# -- the sampler and the run -----------------------------------------------------------------------


@dataclass
class Run:
    """What every scenario shares: the browser, the server's address and processes, the clock."""

    args: argparse.Namespace
    url: str
    pids: list[int]
    logs: list[Path]
    deadline: float
    browser: object = None
    t0: float = field(default_factory=time.monotonic)
    samples: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # students whose page never loaded
    client_group_nice: int = 0  # idle clients: their Chromium children's autogroup niceness (see renice_clients)

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 2)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def timeout_ms(self, cap_s: float) -> float:
        """A Playwright timeout: the cap, or what is left of --max-seconds, whichever is shorter."""
        return max(1.0, min(cap_s, self.left() - 2)) * 1000

    def mark(self, label: str) -> None:
        self.events.append({"t": self.now(), "label": label})
        log(label)

    def sample(self) -> dict | None:
        if not self.pids:
            return None
        rss, cpu = server_usage(self.pids)
        s = {"t": self.now(), "rss_mb": round(rss, 1), "cpu_s": round(cpu, 2)}
        self.samples.append(s)
        return s

    async def sampler(self, every: float) -> None:
        """Sample every `every` s; lower new browser processes every half second (a context opens a renderer)."""
        tick, last = min(every, 0.5), -every
        for _ in range(int(self.args.max_seconds / tick) + 100):  # bounded; cancelled at the end anyway
            if self.args.clients == "nice":
                await asyncio.to_thread(renice_clients, CLIENT_NICE, CLIENT_NICE, self.pids)
            elif self.args.clients == "idle":
                await asyncio.to_thread(renice_clients, None, self.client_group_nice, self.pids)
            if self.now() - last >= every:
                last = self.now()
                await asyncio.to_thread(self.sample)
            await asyncio.sleep(tick)


class Window:
    """The server's CPU seconds and peak RSS between two moments of a scenario."""

    def __init__(self, run: Run):
        self.run, self.t = run, run.now()
        self.cpu = cpu_by_process(run.pids)

    def close(self) -> dict:
        t, cpu = self.run.now(), cpu_by_process(self.run.pids)
        out = {"seconds": round(t - self.t, 1)}
        if not cpu:
            return out
        used = {pid: round(cpu[pid] - self.cpu.get(pid, 0), 1) for pid in cpu}
        rss = [s["rss_mb"] for s in self.run.samples if self.t <= s["t"] <= t] + [server_usage(self.run.pids)[0]]
        return out | {
            "server_cpu_s": round(sum(used.values()), 1),
            "server_cpu_s_by_pid": used,
            "server_cores_busy": round(sum(used.values()) / max(t - self.t, 1e-9), 2),
            "peak_rss_mb": round(max(rss), 1),
        }


# -- one student ------------------------------------------------------------------------------------


class Student:
    """One browser context (its own cookies, so its own Streamlit session) with one page."""

    def __init__(self, run: Run, name: str):
        self.run, self.name = run, name
        self.ctx = self.page = None
        self.seen: dict[str, float] = {}

    async def start(self) -> "Student":
        self.ctx = await self.run.browser.new_context(viewport=VIEWPORT)
        await self.ctx.add_init_script(WATCH_JS)
        self.page = await self.ctx.new_page()
        return self

    async def wait_ready(self, heading: str, timeout_s: float = 120) -> None:
        """The page's title is there and its script has finished; a page that crashed fails at once."""
        t = self.run.timeout_ms(timeout_s)
        title = self.page.locator("h1", has_text=heading)
        crashed = self.page.locator("[data-testid=stException], [data-testid=stAlertContentError]")
        await title.or_(crashed).first.wait_for(timeout=t)
        if not await title.count():  # an error box and no title: the page's script failed
            raise RuntimeError("the page shows an error: " + (await crashed.first.inner_text())[:200])
        await self.page.wait_for_selector(READY, timeout=t)

    async def open(self, path: str) -> None:
        await self.collect()  # a new document forgets what the old one saw
        await self.page.goto(f"{self.run.url}/{path}", wait_until="domcontentloaded", timeout=self.run.timeout_ms(90))
        await self.wait_ready(PAGES[path])

    async def navigate(self, path: str) -> None:
        """Through the sidebar, as a student would: the same Streamlit session, another page."""
        link = self.page.locator(f"[data-testid=stSidebarNav] a[href$='/{path}']").first
        if await link.count() == 0:
            return await self.open(path)
        await link.click(timeout=self.run.timeout_ms(30))
        # the page keeps its state in the query string (?lang=…, ?gpt_tabs=…)
        await self.page.wait_for_url(re.compile(f"/{re.escape(path)}(\\?.*)?$"), timeout=self.run.timeout_ms(30))
        await self.wait_ready(PAGES[path])

    async def find_generate(self) -> None:
        await self.page.locator(GENERATE).first.wait_for(timeout=self.run.timeout_ms(60))

    async def click_generate(self) -> None:
        """One JavaScript call that finds the button and clicks it: no Playwright checks (scrolling,
        waiting for it to settle), so a whole class clicks within milliseconds."""
        clicked = await self.page.evaluate(CLICK_GENERATE_JS)
        if not clicked:
            raise RuntimeError(f"{self.name}: no enabled Generate button to click")

    async def wait_result(self, clicked_at: float, timeout_s: float) -> dict:
        """The caption's characters and seconds (the page's own clock) and the browser's click-to-caption time."""
        try:
            handle = await self.page.wait_for_function(RESULT_JS, polling=250, timeout=self.run.timeout_ms(timeout_s))
            res = await handle.json_value()
        except Exception as e:  # a timeout, or the page went away
            return {"status": "timeout" if "Timeout" in type(e).__name__ else f"failed: {type(e).__name__}"}
        out = {"client_s": round(time.monotonic() - clicked_at, 2)}
        if "seconds" in res:
            return out | {
                "status": "ok",
                "chars": int(res["chars"].replace(",", "")),
                "seconds": float(res["seconds"]),
                "caption": res["caption"],
            }
        return out | ({"status": "stopped", "text": res["stopped"]} if "stopped" in res else {"status": "error", "text": res["error"]})

    async def generate(self, timeout_s: float) -> dict:
        await self.find_generate()
        clicked = time.monotonic()
        await self.click_generate()
        return await self.wait_result(clicked, timeout_s)

    async def open_live_tab(self) -> None:
        await self.page.get_by_role("tab", name=LIVE_TAB_RE).first.click(timeout=self.run.timeout_ms(60))
        await self.page.locator(START).first.wait_for(timeout=self.run.timeout_ms(90))

    async def press(self, selector: str, timeout_s: float = 60) -> None:
        await self.page.locator(selector).first.click(timeout=self.run.timeout_ms(timeout_s))

    async def training_reading(self) -> dict:
        """The step counter, the page's own steps/s, and any queue message."""
        try:
            got = await self.page.evaluate(TRAIN_JS)
        except Exception as e:
            return {"t": self.run.now(), "step": None, "failed": type(e).__name__}
        status = " ".join(got["status"])
        step, rate = STEP_RE.search(status), RATE_RE.search(status)
        return {
            "t": self.run.now(),
            "step": int(step.group(1).replace(",", "")) if step else None,
            "rate": float(rate.group(1)) if rate else None,
            "queue": got["queue"][0][:200] if got["queue"] else None,
        }

    async def collect(self) -> dict[str, float]:
        """Merge what the page's watcher saw (error boxes, warnings, connection dialogs) into self.seen."""
        try:
            seen = await self.page.evaluate("window.__lt ? window.__lt.seen : {}")
            body = await self.page.evaluate("document.body ? document.body.innerText.slice(-4000) : ''")
        except Exception:
            return self.seen
        self.seen.update({k: v for k, v in seen.items() if k not in self.seen})
        if CONNECTION_RE.search(body) and not any(k.startswith("connection") for k in self.seen):
            self.seen["connection: " + CONNECTION_RE.search(body).group(0)] = time.time() * 1000
        return self.seen

    async def describe(self) -> str:
        """The script state and the start of the page's text: was it slow, or broken?"""
        try:
            return await self.page.evaluate(
                "(document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') || 'no app') + ': '"
                " + (document.querySelector('[data-testid=stMain]')?.innerText || '').replace(/\\s+/g, ' ').slice(0, 200)"
            )
        except Exception as e:
            return f"unreadable ({type(e).__name__})"

    async def screenshot(self, path: Path) -> None:
        try:
            await self.page.screenshot(path=str(path), full_page=True, timeout=self.run.timeout_ms(30))
        except Exception as e:
            log(f"screenshot {path} failed: {type(e).__name__}")

    async def close(self) -> None:
        await self.collect()
        try:
            await self.ctx.close()
        except Exception:
            pass


async def start_students(run: Run, n: int, prefix: str, path: str) -> list[Student]:
    """n students with the page open, at most --open-concurrency loading at once (page loads are heavy)."""
    gate = asyncio.Semaphore(run.args.open_concurrency)

    async def one(i: int) -> Student | None:
        async with gate:
            s = await Student(run, f"{prefix}{i + 1}").start()
            try:
                await s.open(path)
                return s
            except Exception as e:  # one slow page should not sink the other students' figures
                run.failures.append(
                    f"{s.name} could not open /{path}: {type(e).__name__}: {str(e).splitlines()[0][:150]}"
                    f" | the page: {await s.describe()}"
                )
                log(run.failures[-1])
                await s.close()
                return None

    students = [s for s in await asyncio.gather(*(one(i) for i in range(n))) if s is not None]
    if not students:
        raise RuntimeError(f"no student could open /{path}")
    return students


def problems(students: list[Student]) -> dict:
    """Error boxes, warnings and connection dialogs seen by any student, with how many saw each."""
    kinds: dict[str, dict[str, int]] = {"exception": {}, "error": {}, "warning": {}, "connection": {}}
    for s in students:
        for key in s.seen:
            kind, _, text = key.partition(": ")
            kinds.setdefault(kind, {})[text] = kinds[kind].get(text, 0) + 1
    return kinds


async def close_all(students: list[Student]) -> None:
    await asyncio.gather(*(s.close() for s in students), return_exceptions=True)


async def shot(run: Run, student: Student, name: str) -> None:
    if run.args.shots:
        Path(run.args.shots).mkdir(parents=True, exist_ok=True)
        await student.screenshot(Path(run.args.shots) / f"{name}.png")


def log_offsets(run: Run) -> list[int]:
    return [p.stat().st_size if p.exists() else 0 for p in run.logs]


def tracebacks_since(run: Run, offsets: list[int]) -> list[dict]:
    return [b for path, start in zip(run.logs, offsets) for b in scan_tracebacks(path, start)[0]]


# -- scenario: generate -----------------------------------------------------------------------------


async def scenario_generate(run: Run, res: dict) -> None:
    # Idle browsers get the lowest group weight here, where the server needs the cores and the pages only
    # redraw text. Not while GANs train: the server then keeps both cores busy by design, and browsers
    # lowered that far could not even click (a Start click timed out after 60 s).
    run.client_group_nice = IDLE_GROUP_NICE
    try:
        await generate_crowd(run, res)
    finally:
        run.client_group_nice = 0


async def generate_crowd(run: Run, res: dict) -> None:
    n, timeout_s = run.args.students or run.args.generate_students, run.args.gen_timeout

    # A teacher starts the server before the class comes: the server's very first Generate (which may wait
    # for the text generator's process to start) is not the figure a student sees. Behind a proxy, new
    # sessions take turns over the app processes: one warm-up per process.
    run.mark("generate: warm-up (not counted)")
    warm = await start_students(run, max(1, len(run.pids)), "warm", "gpt-generation")
    res["warm_up"] = [await w.generate(timeout_s) for w in warm]
    await close_all(warm)

    run.mark("generate: 1 student alone")
    solo = (await start_students(run, 1, "solo", "gpt-generation"))[0]
    res["solo"] = await solo.generate(timeout_s)
    await close_all([solo])

    run.mark(f"generate: {n} students open the page")
    crowd = await start_students(run, n, "s", "gpt-generation")
    await asyncio.gather(*(s.find_generate() for s in crowd))
    run.mark(f"generate: {n} students click Generate")
    window, clicked = Window(run), time.monotonic()
    await asyncio.gather(*(s.click_generate() for s in crowd))
    res["click_spread_s"] = round(time.monotonic() - clicked, 2)
    res["students"] = await asyncio.gather(*(s.wait_result(clicked, timeout_s) for s in crowd))
    res["server"] = window.close()
    run.mark("generate: all results in (or timed out)")

    await shot(run, crowd[0], "generate")
    await close_all(crowd)
    res["problems"] = problems([solo, *crowd])
    summarise_generate(res)


def summarise_generate(res: dict) -> None:
    ok = [r for r in res.get("students", []) if r["status"] == "ok"]
    secs = [r["seconds"] for r in ok]
    solo = res.get("solo", {}).get("seconds")
    res["summary"] = {
        "n": len(res.get("students", [])),
        "finished": len(ok),
        "solo_s": solo,
        "median_s": median(secs),
        "max_s": max(secs) if secs else None,
        "ratio_median_over_solo": round(median(secs) / solo, 2) if secs and solo else None,
        "client_median_s": median([r["client_s"] for r in ok]),
        "not_finished": [r for r in res.get("students", []) if r["status"] != "ok"],
    }


# -- scenario: train ----------------------------------------------------------------------------------


async def start_trainers(run: Run, n: int, prefix: str) -> list[Student]:
    trainers = await start_students(run, n, prefix, "gan-training")
    await asyncio.gather(*(t.open_live_tab() for t in trainers))
    return trainers


async def watch_trainers(run: Run, trainers: list[Student], seconds: float, series: list[list[dict]]) -> None:
    """Read every trainer's step counter every --poll seconds for `seconds`."""
    end = time.monotonic() + min(seconds, max(0.0, run.left() - 5))
    for _ in range(int(seconds / run.args.poll) + 2):
        readings = await asyncio.gather(*(t.training_reading() for t in trainers))
        for s, r in zip(series, readings):
            s.append(r)
        pause = min(run.args.poll, end - time.monotonic())
        if pause <= 0:
            break
        await asyncio.sleep(pause)


def window_rate(series: list[dict], t_from: float) -> tuple[int, float]:
    """(steps gained, seconds) from the first reading at or after t_from to the last reading.
    A trainer that shows no counter yet (queued) counts as step 0."""
    inside = [r for r in series if r["t"] >= t_from]
    if len(inside) < 2:
        return 0, 0.0
    first, last = inside[0], inside[-1]
    return (last["step"] or 0) - (first["step"] or 0), last["t"] - first["t"]


async def pause_all(run: Run, trainers: list[Student]) -> None:
    """Stop the timers so the next scenario starts on a quiet server (best effort)."""
    await asyncio.gather(*(t.press(PAUSE, 10) for t in trainers), return_exceptions=True)


async def scenario_train(run: Run, res: dict) -> None:
    a = run.args
    n, duration = a.students or a.trainers, a.duration
    solo_s = a.solo_duration or min(duration, 30)
    warm = min(5.0, duration / 4)  # leave out the first tick: page and data loading, not training

    run.mark(f"train: 1 trainer alone for {solo_s:.0f} s")
    solo = (await start_trainers(run, 1, "solo"))[0]
    await solo.press(START)
    t_go, solo_series = run.now(), [[]]
    await watch_trainers(run, [solo], solo_s, solo_series)
    steps, secs = window_rate(solo_series[0], t_go + warm)
    res["solo"] = {
        "steps": steps,
        "seconds": round(secs, 1),
        "steps_per_s": round(steps / secs, 2) if secs else None,
        "page_rate": solo_series[0][-1].get("rate") if solo_series[0] else None,
    }
    await pause_all(run, [solo])
    await close_all([solo])

    run.mark("train: the bystander generates on an idle server")
    idle = (await start_students(run, 1, "idle", "gpt-generation"))[0]
    res["bystander_idle"] = await idle.generate(a.gen_timeout)
    await close_all([idle])

    run.mark(f"train: {n} trainers and 1 bystander open their pages")
    trainers = await start_trainers(run, n, "t")
    bystander = (await start_students(run, 1, "bystander", "gpt-generation"))[0]
    run.mark(f"train: {n} trainers press Start, for {duration:.0f} s")
    await asyncio.gather(*(t.press(START) for t in trainers))
    window, t_go, series = Window(run), run.now(), [[] for _ in trainers]

    async def bystander_run() -> dict:
        await asyncio.sleep(min(a.bystander_after, duration / 2))
        run.mark("train: the bystander clicks Generate")
        return await bystander.generate(a.gen_timeout)

    by_task = asyncio.create_task(bystander_run())
    await watch_trainers(run, trainers, duration, series)
    res["bystander"] = await by_task  # still under load: the trainers pause only after it finished
    res["server"] = window.close()
    run.mark("train: window over")

    per = [window_rate(s, t_go + warm) for s in series]
    secs = statistics.mean([p[1] for p in per]) if per else 0
    res["trainers"] = [
        {
            "name": t.name,
            "steps_in_window": p[0],
            "seconds": round(p[1], 1),
            "last_step": next((r["step"] for r in reversed(s) if r["step"] is not None), None),
            "page_rate": next((r["rate"] for r in reversed(s) if r.get("rate") is not None), None),
            "queued_readings": sum(1 for r in s if r.get("queue")),
            "queue_texts": sorted({r["queue"] for r in s if r.get("queue")}),
        }
        for t, p, s in zip(trainers, per, series)
    ]
    res["series"] = {t.name: [[r["t"], r["step"]] for r in s] for t, s in zip(trainers, series)}
    total = sum(p[0] for p in per)
    res["aggregate_steps_per_s"] = round(total / secs, 2) if secs else None
    await shot(run, trainers[0], "train")
    await pause_all(run, trainers)
    await close_all([*trainers, bystander])
    res["problems"] = problems([solo, idle, *trainers, bystander])
    solo_rate = res["solo"]["steps_per_s"]
    res["summary"] = {
        "trainers": n,
        "solo_steps_per_s": solo_rate,
        "aggregate_steps_per_s": res["aggregate_steps_per_s"],
        "ratio_aggregate_over_solo": round(res["aggregate_steps_per_s"] / solo_rate, 2)
        if solo_rate and res["aggregate_steps_per_s"] is not None
        else None,
        "queued_trainers": sum(1 for t in res["trainers"] if t["queued_readings"]),
        # One line per kind of message: the countdown's numbers would make every reading unique.
        "queue_texts": sorted({re.sub(r"\d[\d,.]*", "#", q) for t in res["trainers"] for q in t["queue_texts"]}),
        "bystander_idle_s": res["bystander_idle"].get("seconds"),
        "bystander_s": res["bystander"].get("seconds"),
    }


# -- scenario: memory ---------------------------------------------------------------------------------


async def visit_everything(run: Run, s: Student, train_s: float) -> dict:
    """From Home: Latent Space, GPT (generate), GAN (train live for train_s), through the sidebar."""
    out = {}
    await s.navigate("latent-space")
    await s.navigate("gpt-generation")
    out["generate"] = await s.generate(run.args.gen_timeout)
    await s.navigate("gan-training")
    await s.open_live_tab()
    await s.press(START)
    await asyncio.sleep(min(train_s, max(0.0, run.left() - 10)))
    out["steps"] = (await s.training_reading())["step"]
    return out


async def scenario_memory(run: Run, res: dict) -> None:
    a = run.args
    n, ttl = a.students or a.memory_students, a.ttl or 120
    res["rss_before_mb"] = (run.sample() or {}).get("rss_mb")
    res["rounds"] = []
    for r in range(1, a.rounds + 1):
        run.mark(f"memory: round {r}: {n} students visit every page")
        window = Window(run)
        students = [await Student(run, f"m{r}-{i + 1}").start() for i in range(n)]
        gate = asyncio.Semaphore(a.open_concurrency)

        async def one(s: Student, gate: asyncio.Semaphore = gate) -> dict:
            try:
                async with gate:
                    await s.open("")  # the first load is the heavy part; the rest run side by side
                return await visit_everything(run, s, a.train_seconds)
            except Exception as e:
                return {"failed": f"{type(e).__name__}: {str(e)[:200]}"}

        visits = await asyncio.gather(*(one(s) for s in students))
        if r == a.rounds:
            await shot(run, students[0], "memory")
        await close_all(students)
        run.mark(f"memory: round {r}: all contexts closed; waiting {ttl + 30:.0f} s (TTL + 30)")
        peak = window.close().get("peak_rss_mb")
        wait_s = max(0.0, min(ttl + 30, run.left() - 5))
        await asyncio.sleep(wait_s)
        after = run.sample()
        run.mark(f"memory: round {r}: waited {wait_s:.0f} s")
        peak = max([peak or 0] + [s["rss_mb"] for s in run.samples if s["t"] >= window.t])
        res["rounds"].append(
            {
                "round": r,
                "students": n,
                "peak_rss_mb": peak,
                "after_wait_rss_mb": after and after["rss_mb"],
                "waited_s": round(wait_s),  # less than TTL + 30 when --max-seconds ran out: the sessions were not freed yet
                "generated": sum(1 for v in visits if v.get("generate", {}).get("status") == "ok"),
                "trained": sum(1 for v in visits if (v.get("steps") or 0) > 0),
                "failed": [v["failed"] for v in visits if "failed" in v],
                "problems": problems(students),
            }
        )
    first, last = res["rounds"][0]["after_wait_rss_mb"], res["rounds"][-1]["after_wait_rss_mb"]
    growth = (last - first) / first if first and last and len(res["rounds"]) > 1 else None
    cut_short = [r["round"] for r in res["rounds"] if r["waited_s"] < ttl + 30 - 1]
    res["summary"] = {
        "rss_after_first_mb": first,
        "rss_after_last_mb": last,
        "growth": None if growth is None else round(growth, 3),
        "check": "n/a (one round)"
        if growth is None
        else f"INCOMPLETE (--max-seconds cut the wait of round {cut_short})"
        if cut_short
        else ("PASS" if abs(growth) <= 0.15 else "FAIL"),
    }
    res["curve"] = labelled_curve(run, "memory:")


def labelled_curve(run: Run, prefix: str = "") -> list[dict]:
    """The RSS samples from the first event starting with prefix on, each event's label put on the
    first sample after it."""
    events = [e for e in run.events if e["label"].startswith(prefix)]
    start = events[0]["t"] if events else 0
    curve = [dict(s) for s in run.samples if s["t"] >= start]
    for e in events:
        target = next((c for c in curve if c["t"] >= e["t"]), None)
        if target is not None:
            target["event"] = (target.get("event", "") + " | " + e["label"]).strip(" |")
    return curve


# -- the report ----------------------------------------------------------------------------------------


def table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in rows), default=10)
    return "\n".join([f"\n== {title} ==", *(f"  {k:<{width}}  {v}" for k, v in rows)])


def by_process_row(server: dict) -> list[tuple[str, str]]:
    """With several server processes (behind the proxy): the CPU seconds each one spent."""
    per = server.get("server_cpu_s_by_pid", {})
    return [("CPU s by process", ", ".join(f"pid {pid}: {s}" for pid, s in per.items()))] if len(per) > 1 else []


PROBLEM_LABELS = {
    "exception": "exception box",
    "error": "error box",
    "connection": "connection dialog",
    "warning": "warning box (not an error)",
}


def problem_rows(res: dict) -> list[tuple[str, str]]:
    """Errors first (or a line saying there were none), then warnings, which are only notes."""
    found = res.get("problems", {})
    errors = [
        (f"{PROBLEM_LABELS[k]} ({n} students)", text[:160])
        for k in ("exception", "error", "connection")
        for text, n in found.get(k, {}).items()
    ]
    errors += [("page did not load", f[:160]) for f in res.get("open_failures", [])]
    errors += [("server traceback", tb["exception"][:160] or tb["line"]) for tb in res.get("tracebacks", [])]
    notes = [(f"{PROBLEM_LABELS['warning']} ({n} students)", text[:160]) for text, n in found.get("warning", {}).items()]
    return (errors or [("errors", "none seen (no error box, connection dialog or server traceback)")]) + notes


def report_generate(res: dict) -> str:
    if "summary" not in res:
        summarise_generate(res)
    s, srv = res["summary"], res.get("server", {})
    rows = [
        ("1 student alone", f"{fmt(s['solo_s'])} s (page caption)"),
        (f"{s['n']} students at once", f"{s['finished']} of {s['n']} finished"),
        ("median / max", f"{fmt(s['median_s'])} s / {fmt(s['max_s'])} s (page captions)"),
        ("ratio median / solo", fmt(s["ratio_median_over_solo"])),
        ("browser click-to-caption median", f"{fmt(s['client_median_s'], 1)} s (browsers share the cores)"),
        ("click spread", f"{fmt(res.get('click_spread_s'))} s"),
        (
            "server during the crowd",
            f"{srv.get('server_cpu_s', '-')} CPU s in {srv.get('seconds', '-')} s "
            f"({srv.get('server_cores_busy', '-')} cores), peak RSS {srv.get('peak_rss_mb', '-')} MB",
        ),
    ]
    rows += by_process_row(srv)
    rows += [("not finished", f"{r['status']} {r.get('text', '')[:120]}") for r in s["not_finished"]]
    return table("generate", rows + problem_rows(res))


def report_train(res: dict) -> str:
    s, srv = res.get("summary", {}), res.get("server", {})
    rows = [
        (
            "1 trainer alone",
            f"{fmt(res.get('solo', {}).get('steps_per_s'))} steps/s (page says {fmt(res.get('solo', {}).get('page_rate'), 1)})",
        ),
        (f"{s.get('trainers', '?')} trainers together", f"{fmt(s.get('aggregate_steps_per_s'))} steps/s summed"),
        ("ratio aggregate / solo", fmt(s.get("ratio_aggregate_over_solo"))),
        ("per trainer (steps in window)", ", ".join(f"{t['steps_in_window']}" for t in res.get("trainers", []))),
        ("queued trainers", str(s.get("queued_trainers", "-"))),
        (
            "bystander generate",
            f"{fmt(s.get('bystander_s'), 1)} s under load, {fmt(s.get('bystander_idle_s'), 1)} s idle (page captions)",
        ),
        (
            "server during the window",
            f"{srv.get('server_cpu_s', '-')} CPU s in {srv.get('seconds', '-')} s "
            f"({srv.get('server_cores_busy', '-')} cores), peak RSS {srv.get('peak_rss_mb', '-')} MB",
        ),
    ]
    rows += by_process_row(srv)
    rows += [("queue message", q) for q in s.get("queue_texts", [])]
    if res.get("bystander", {}).get("status") not in (None, "ok"):
        rows.append(("bystander", f"{res['bystander']['status']} {res['bystander'].get('text', '')[:120]}"))
    return table("train", rows + problem_rows(res))


def report_memory(res: dict) -> str:
    rows = [("RSS before", f"{fmt(res.get('rss_before_mb'), 0)} MB")]
    for r in res.get("rounds", []):
        rows.append(
            (
                f"round {r['round']}",
                f"peak {fmt(r['peak_rss_mb'], 0)} MB, after the wait "
                f"{fmt(r['after_wait_rss_mb'], 0)} MB; of {r['students']} students "
                f"{r['generated']} generated, {r['trained']} trained, {len(r['failed'])} failed",
            )
        )
        rows += [(f"round {r['round']} failure", f[:160]) for f in r["failed"]]
        rows += [(f"round {r['round']} {PROBLEM_LABELS.get(k, k)}", t[:160]) for k, found in r["problems"].items() for t in found]
    s = res.get("summary", {})
    rows.append(("last round vs first (after the wait)", f"{fmt(s.get('growth'), 3)} -> {s.get('check', '-')}"))
    return table("memory", rows + problem_rows({k: res.get(k, []) for k in ("tracebacks", "open_failures")}))


REPORTS = {"generate": report_generate, "train": report_train, "memory": report_memory}


def write_outputs(run: Run, out: dict) -> None:
    path = Path(run.args.json)
    path.write_text(json.dumps(out, indent=1, default=str))
    curve = labelled_curve(run)
    with open(path.with_suffix(".rss.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "rss_mb", "cpu_s", "event"])
        w.writerows([c["t"], c["rss_mb"], c["cpu_s"], c.get("event", "")] for c in curve)
    log(f"wrote {path} and {path.with_suffix('.rss.csv')}")
    write_png(path.with_suffix(".rss.png"), curve, run.events)


def write_png(path: Path, curve: list[dict], events: list[dict]) -> None:
    """The RSS curve as a picture, only where plotly can export images (kaleido); never installed here."""
    try:
        import kaleido  # noqa: F401
        import plotly.graph_objects as go
    except ImportError:
        log("no kaleido: the RSS curve is in the JSON and the CSV only")
        return
    fig = go.Figure(go.Scatter(x=[c["t"] for c in curve], y=[c["rss_mb"] for c in curve], mode="lines"))
    for e in events:
        fig.add_vline(x=e["t"], line=dict(color="grey", dash="dot", width=1))
    fig.update_layout(xaxis_title="seconds", yaxis_title="server RSS (MB)", height=400, width=900)
    try:
        fig.write_image(str(path))
        log(f"wrote {path}")
    except Exception as e:
        log(f"PNG export failed ({type(e).__name__}); the curve is in the JSON and the CSV")


# -- main -----------------------------------------------------------------------------------------------

SCENARIOS = {"generate": scenario_generate, "train": scenario_train, "memory": scenario_memory}


async def run_scenarios(run: Run) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        run.browser = await p.chromium.launch(executable_path=run.args.chromium, headless=True, args=FLAGS)
        sampler = asyncio.create_task(run.sampler(run.args.sample_every))
        try:
            for name in run.args.scenario:
                res = run.results[name] = {"status": "running"}
                first_failure, offsets = len(run.failures), log_offsets(run)
                try:
                    await SCENARIOS[name](run, res)
                    res["status"] = "done"
                except Exception as e:  # report it, and still run the next scenario
                    res["status"] = f"failed: {type(e).__name__}: {str(e)[:300]}"
                    log(f"{name}: {res['status']}")
                res["open_failures"] = run.failures[first_failure:]
                res["tracebacks"] = tracebacks_since(run, offsets)
        finally:
            sampler.cancel()
            try:
                await asyncio.wait_for(run.browser.close(), 30)
            except Exception:
                pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        prog="scripts/loadtest.py --browser",
        epilog="See the docstring of scripts/loadtest/browser.py for examples.",
    )
    p.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="generate, train, memory (repeatable)")
    p.add_argument("--students", type=int, help="override the size of every scenario (N, T and S)")
    p.add_argument("--generate-students", type=int, default=20, help="N (default 20)")
    p.add_argument("--trainers", type=int, default=10, help="T (default 10)")
    p.add_argument("--memory-students", type=int, default=20, help="S (default 20)")
    p.add_argument("--duration", type=float, default=60, help="D: seconds the trainers train (default 60)")
    p.add_argument("--solo-duration", type=float, help="seconds the lone trainer trains (default min(D, 30))")
    p.add_argument("--bystander-after", type=float, default=20, help="seconds into training the bystander generates")
    p.add_argument("--rounds", type=int, default=3, help="R (default 3)")
    p.add_argument("--train-seconds", type=float, default=20, help="memory: seconds each student trains (default 20)")
    p.add_argument("--ttl", type=float, help="the server's disconnectedSessionTTL (default 120); passed to an own server")
    p.add_argument("--gen-timeout", type=float, default=300, help="seconds to wait for one generation (default 300)")
    p.add_argument("--url", help="an already running server or proxy, e.g. http://127.0.0.1:8600")
    p.add_argument("--server-pids", action="append", default=[], help="with --url: PIDs to sample (comma list, repeatable)")
    p.add_argument("--server-log", action="append", default=[], help="with --url: a log to scan for tracebacks (repeatable)")
    p.add_argument("--server-arg", action="append", default=[], help="an extra flag for the own server (repeatable)")
    p.add_argument("--log", help="the own server's log file (default: a new file under /tmp)")
    p.add_argument("--json", help="write everything (RSS curve included) here; a .rss.csv goes beside it")
    p.add_argument("--shots", help="folder for one student's screenshot at the end of each scenario")
    # three memory rounds alone take about 3 x (170 s of visits + 150 s of waiting)
    p.add_argument("--max-seconds", type=float, default=1800, help="stop everything after this long (default 1800)")
    p.add_argument("--open-concurrency", type=int, default=4, help="pages loading at once (default 4)")
    p.add_argument("--poll", type=float, default=2, help="seconds between step-counter readings (default 2)")
    p.add_argument("--sample-every", type=float, default=2, help="seconds between RSS/CPU samples (default 2)")
    p.add_argument("--chromium", default=CHROMIUM, help=f"the Chromium binary (default {CHROMIUM})")
    p.add_argument(
        "--clients",
        choices=["idle", "nice", "normal"],
        default="idle",
        help="CPU priority of this script and its browsers, never the server's: idle (SCHED_IDLE, and the lowest "
        "autogroup weight for every browser process: they run on what the server leaves, as students' own "
        "machines would; the default), nice (niceness 10 for their threads and groups) or normal. Re-applied "
        "every half second: Chromium starts processes in sessions of their own and sets priorities itself",
    )
    a = p.parse_args(argv)
    a.scenario = list(dict.fromkeys(a.scenario or ["generate"]))
    if a.url and not a.url.startswith(("http://127.0.0.1", "http://localhost")):
        p.error("--url must point at 127.0.0.1 (this tool only talks to the local machine)")
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    server = None
    if a.url:
        url, logs = a.url.rstrip("/"), [Path(x) for x in a.server_log]
        pids = [int(x) for arg in a.server_pids for x in arg.split(",") if x.strip()]
    else:
        extra = list(a.server_arg) + (["--server.disconnectedSessionTTL", str(int(a.ttl))] if a.ttl else [])
        log_path = Path(a.log or tempfile.mkstemp(prefix="genlab-loadtest-", suffix=".log")[1])
        server = OwnServer(extra, log_path)
        url, pids, logs = server.url, [server.proc.pid], [log_path]

    # Last resort if cleanup itself hangs: stop our server and leave.
    def give_up(*_):
        if server:
            server.stop()
        os._exit(3)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(int(a.max_seconds) + 120)

    started, load_at_start = time.monotonic(), load_average()
    run = Run(args=a, url=url, pids=pids, logs=logs, deadline=started + a.max_seconds)
    stopped_early = None
    try:
        if server:
            server.wait_healthy(min(120, a.max_seconds))
        run.mark(f"server up at {url}")
        if a.clients == "idle":  # inherited by Playwright's driver and every Chromium process and thread
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        elif a.clients == "nice":
            os.nice(CLIENT_NICE)
        asyncio.run(asyncio.wait_for(run_scenarios(run), timeout=max(1, run.left())))
    except (asyncio.TimeoutError, TimeoutError):
        stopped_early = f"--max-seconds ({a.max_seconds:.0f} s) reached"
    except KeyboardInterrupt:
        stopped_early = "interrupted"
    except Exception as e:  # report what was measured before the failure
        stopped_early = f"{type(e).__name__}: {str(e)[:300]}"
    finally:
        if server:
            server.stop()
        signal.alarm(0)

    all_tb = [b for path in logs for b in scan_tracebacks(path)[0]]
    out = {
        "config": vars(a),
        "url": url,
        "server_pids": pids,
        "server_logs": [str(p) for p in logs],
        "machine": {"cores": os.cpu_count(), "load_average_at_start": load_at_start, "load_average_at_end": load_average()},
        "stopped_early": stopped_early,
        "scenarios": run.results,
        "samples": run.samples,
        "events": run.events,
        "tracebacks": all_tb,
    }
    for name, res in run.results.items():
        try:
            print(REPORTS[name](res) + ("" if res.get("status") == "done" else f"\n  (incomplete: {res.get('status')})"))
        except Exception as e:  # a half-filled scenario still shows what it has in the JSON
            print(f"\n== {name} ==\n  incomplete ({type(e).__name__}: {e})")
    if run.samples:
        rss = [s["rss_mb"] for s in run.samples]
        print(
            f"\nserver RSS: first {rss[0]:.0f} MB, peak {max(rss):.0f} MB, last {rss[-1]:.0f} MB; "
            f"CPU {run.samples[-1]['cpu_s'] - run.samples[0]['cpu_s']:.0f} s over {run.samples[-1]['t']:.0f} s"
        )
    print(f"server tracebacks in the logs: {len(all_tb)}" + (f"  ({', '.join(str(p) for p in logs)})" if logs else ""))
    print(
        f"machine: {os.cpu_count()} cores, load average {load_at_start} at the start, {load_average()} at the end "
        "(other work on the machine skews every figure)"
    )
    if stopped_early:
        print(f"stopped early: {stopped_early}")
    if a.json:
        write_outputs(run, out)
    return 1 if stopped_early else 0


if __name__ == "__main__":
    sys.exit(main())
