"""What every protocol scenario shares: the server's address and processes, the clock, the RSS sampler,
students that connect and open a page, and the statistics of their clicks."""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from .protocol import Closed, Session, Watch
from .server import cpu_by_process, log, prioritise, pss_mb, scan_tracebacks, server_usage


@dataclass
class Lab:
    args: argparse.Namespace
    url: str
    pids: list[int]
    logs: list[Path]
    deadline: float
    t0: float = field(default_factory=time.monotonic)
    samples: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # students who could not connect or open their page

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 2)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def mark(self, label: str) -> None:
        self.events.append({"t": self.now(), "label": label})
        log(label)

    def sample(self) -> dict | None:
        if not self.pids:
            return None
        rss, cpu = server_usage(self.pids)
        s = {"t": self.now(), "rss_mb": round(rss, 1), "pss_mb": round(pss_mb(self.pids), 1), "cpu_s": round(cpu, 2)}
        self.samples.append(s)
        return s

    async def sampler(self, every: float) -> None:
        nice = getattr(self.args, "server_nice", None)
        for _ in range(int(self.args.max_seconds / every) + 100):  # bounded; cancelled at the end anyway
            if nice is not None:
                await asyncio.to_thread(prioritise, self.pids, nice)
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(every)

    def log_offsets(self) -> list[int]:
        return [p.stat().st_size if p.exists() else 0 for p in self.logs]

    def tracebacks_since(self, offsets: list[int]) -> list[dict]:
        return [b for path, start in zip(self.logs, offsets) for b in scan_tracebacks(path, start)[0]]

    async def students(self, n: int, prefix: str, path: str, query: str = "") -> list[Session]:
        """n students with the page open (at most --open-concurrency opening at once); one that cannot
        connect or open is reported in results["open_failures"] and left out."""
        gate = asyncio.Semaphore(self.args.open_concurrency)
        failures = self.failures

        async def one(i: int) -> Session | None:
            s = Session(self.url, f"{prefix}{i + 1}", open_timeout=self.args.open_timeout)
            async with gate:
                try:
                    await s.connect()
                    await s.open(path, query, timeout=self.args.open_timeout)
                    return s
                except (Closed, OSError, asyncio.TimeoutError, Exception) as e:
                    failures.append(f"{s.name} could not open /{path}: {type(e).__name__}: {str(e)[:150]}")
                    log(failures[-1])
                    await s.close()
                    return None

        return [s for s in await asyncio.gather(*(one(i) for i in range(n))) if s is not None]


async def close_all(students: list[Session]) -> None:
    await asyncio.gather(*(s.close() for s in students), return_exceptions=True)


class Window:
    """The server's CPU seconds and peak RSS between two moments of a scenario."""

    def __init__(self, lab: Lab):
        self.lab, self.t = lab, lab.now()
        self.cpu = cpu_by_process(lab.pids)

    def close(self) -> dict:
        t, cpu = self.lab.now(), cpu_by_process(self.lab.pids)
        out = {"seconds": round(t - self.t, 1)}
        if not cpu:
            return out
        used = {pid: round(cpu[pid] - self.cpu.get(pid, 0), 1) for pid in cpu}
        inside = [s for s in self.lab.samples if self.t <= s["t"] <= t]
        rss = [s["rss_mb"] for s in inside] + [server_usage(self.lab.pids)[0]]
        pss = [s["pss_mb"] for s in inside] + [pss_mb(self.lab.pids)]
        return out | {
            "peak_pss_mb": round(max(pss), 1),
            "server_cpu_s": round(sum(used.values()), 1),
            "server_cpu_s_by_pid": used,
            "server_cores_busy": round(sum(used.values()) / max(t - self.t, 1e-9), 2),
            "peak_rss_mb": round(max(rss), 1),
        }


def percentile(xs: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank): p95 of 20 values is the 19th."""
    if not xs:
        return None
    xs = sorted(xs)
    return xs[max(0, math.ceil(q / 100 * len(xs)) - 1)]


def timing(w: Watch) -> dict:
    """A click's record: seconds from sent to the first and the last awaited delta (None: never came)."""
    return {
        "first_s": None if w.t_first is None else round(w.t_first - w.sent, 3),
        "last_s": None if w.t_last is None else round(w.t_last - w.sent, 3),
        "text": w.text_last[:120],
    }


def spread(records: list[dict]) -> dict:
    """p50 / p95 / max of first_s and last_s over the records that got there, and how many did not."""
    first = [r["first_s"] for r in records if r.get("first_s") is not None]
    last = [r["last_s"] for r in records if r.get("last_s") is not None]
    r3 = lambda x: None if x is None else round(x, 2)  # noqa: E731
    return {
        "n": len(records),
        "done": len(last),
        "first_p50": r3(percentile(first, 50)),
        "first_p95": r3(percentile(first, 95)),
        "last_p50": r3(percentile(last, 50)),
        "last_p95": r3(percentile(last, 95)),
        "last_max": r3(max(last) if last else None),
        "last_mean": r3(statistics.mean(last) if last else None),
    }


def session_errors(students: list[Session]) -> list[str]:
    """What the students saw that they should not: error boxes, exceptions, shown tracebacks, dropped
    connections (a student's own closing excepted)."""
    out = [f"{s.name}: {e}" for s in students for e in s.page.errors]
    return out + [f"{s.name}: connection {s.close_reason}" for s in students if s.closed.is_set() and s.close_reason]
