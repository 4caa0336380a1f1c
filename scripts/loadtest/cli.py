"""The command line: which scenarios, against which server, for how long; the report at the end."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import bystander, faults, generate, line, memory, mixed, train
from .lab import Lab
from .server import OwnServer, load_average, log, prioritise, scan_tracebacks

SCENARIOS = {
    "generate": generate.run,
    "train": train.run,
    "bystander": bystander.run,
    "memory": memory.run,
    "line": line.run,
    "mixed": mixed.run,
    "faults": faults.run,
}
MAX_STUDENTS = 300  # a bound on any scenario's size: this is a load test, not a flood

EXAMPLES = """\
examples (from the repository root; every run starts its own server unless --url is given):
  .venv/bin/python scripts/loadtest.py --scenario generate                 # 1 alone (3 clicks), then 20 at once
  .venv/bin/python scripts/loadtest.py --scenario train --duration 30      # 1 live GAN alone, then 10
  .venv/bin/python scripts/loadtest.py --scenario bystander                # GPT page beside 10 trainers vs idle
  .venv/bin/python scripts/loadtest.py --scenario mixed --class-size 50 --duration 120
  .venv/bin/python scripts/loadtest.py --scenario mixed --class-size 100 --processes 2   # behind HAProxy
  .venv/bin/python scripts/loadtest.py --scenario memory --memory-students 100 --rounds 2 --ttl 30
  .venv/bin/python scripts/loadtest.py --scenario line --line vae=10,gan=5,gpt=5 --duration 330 --ttl 30
  .venv/bin/python scripts/loadtest.py --scenario faults
  .venv/bin/python scripts/loadtest.py --scenario generate --students 3 --json out.json   # a quick check
  .venv/bin/python scripts/loadtest.py --url http://127.0.0.1:8600 --server-pids P1,P2 --scenario mixed
  .venv/bin/python scripts/loadtest.py --browser --help     # the Chromium harness (scripts/loadtest/browser.py)

Bounds: --max-seconds (default 1800) stops everything and reports what was measured; no scenario takes more
than 300 students; only 127.0.0.1 is contacted (own servers listen there; --url must point there).
The client speaks Streamlit's websocket protocol (scripts/loadtest/protocol.py); timings are taken at the
client, from the click's message sent to the delta received. The run's JSON (--json) keeps every click."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/loadtest.py",
        description="GenLab's load test: students as websocket sessions speaking Streamlit's protocol (no browser).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
    )
    p.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="repeatable; default generate")
    size = p.add_argument_group("sizes")
    size.add_argument("--students", type=int, help="override the size of every scenario")
    size.add_argument("--generate-students", type=int, default=20, help="generate: N (default 20)")
    size.add_argument("--trainers", type=int, default=10, help="train, bystander: T (default 10)")
    size.add_argument("--memory-students", type=int, default=20, help="memory: S (default 20)")
    size.add_argument("--class-size", type=int, nargs="+", default=[20], help="mixed: N, or several (run one after the other)")
    what = p.add_argument_group("what the students do")
    what.add_argument("--trainer", choices=list(train.TRAINERS), default="gan", help="train, bystander, memory: which live trainer")
    what.add_argument("--line", help="line: trainers of each kind, e.g. vae=10,gan=5,gpt=5 (the default)")
    what.add_argument("--duration", type=float, default=60, help="train: seconds per window; line: watched; mixed: the class's length")
    what.add_argument("--poll", type=float, default=1.0, help="train: seconds between step readings (default 1)")
    what.add_argument("--solo-clicks", type=int, default=3, help="generate: the lone student's clicks (median)")
    what.add_argument("--bystander-after", type=float, default=15, help="bystander: seconds into training")
    what.add_argument("--rounds", type=int, default=2, help="memory: R (default 2)")
    what.add_argument("--train-seconds", type=float, default=15, help="memory: seconds each student trains")
    what.add_argument("--ttl", type=float, help="memory, line: the server's disconnectedSessionTTL (default 120), for own servers")
    what.add_argument("--mix", default=mixed.DEFAULT_MIX, help=f"mixed: activity shares (default {mixed.DEFAULT_MIX})")
    what.add_argument("--think", type=float, nargs=2, default=[4.0, 12.0], metavar=("MIN", "MAX"), help="mixed: think time (s)")
    what.add_argument("--train-seconds-range", type=float, nargs=2, default=[15.0, 40.0], metavar=("MIN", "MAX"))
    what.add_argument("--ramp", type=float, default=20, help="mixed: students arrive over this many seconds")
    what.add_argument("--between", type=float, default=20, help="mixed: seconds between two classes")
    what.add_argument("--seed", type=int, default=0, help="mixed, memory: the students' random choices")
    what.add_argument("--oversized-mb", type=float, default=26, help="faults: the oversized frame (server limit 25 MB)")
    srv = p.add_argument_group("the server")
    srv.add_argument("--url", help="an already running server or proxy on 127.0.0.1")
    srv.add_argument("--server-pids", action="append", default=[], help="with --url: PIDs to sample (comma list)")
    srv.add_argument("--server-log", action="append", default=[], help="with --url: logs to scan for tracebacks")
    srv.add_argument("--processes", type=int, default=1, help="own servers: 1, or K app processes behind HAProxy")
    srv.add_argument("--port", type=int, help="own server's port (with --processes K: the first app's)")
    srv.add_argument("--proxy-port", type=int, help="with --processes K: the proxy's port")
    srv.add_argument("--stats-port", type=int, help="with --processes K: HAProxy's stats page")
    srv.add_argument("--server-arg", action="append", default=[], help="an extra flag for own servers")
    srv.add_argument(
        "--server-nice",
        type=int,
        help="set the server processes' niceness and autogroup weight (e.g. -10, as root) on a machine shared with "
        "other work, to stand in for a dedicated one; default: leave them alone",
    )
    srv.add_argument("--log-dir", help="own servers' logs (default: a new folder under /tmp)")
    run = p.add_argument_group("the run")
    run.add_argument("--json", help="write everything (every click) here")
    run.add_argument("--max-seconds", type=float, default=1800, help="stop everything after this long (default 1800)")
    run.add_argument("--open-concurrency", type=int, default=8, help="students connecting at once (default 8)")
    run.add_argument("--open-timeout", type=float, default=120, help="seconds to wait for a page (default 120)")
    run.add_argument("--gen-timeout", type=float, default=300, help="seconds to wait for one generation")
    run.add_argument("--sample-every", type=float, default=2, help="seconds between RSS/CPU samples")
    run.add_argument("--record", help="record a short session's messages to this file (the tests' fixture) and stop")
    a = p.parse_args(argv)
    a.scenario = list(dict.fromkeys(a.scenario or ["generate"]))
    if a.url and not a.url.startswith(("http://127.0.0.1", "http://localhost")):
        p.error("--url must point at 127.0.0.1 (this tool only talks to the local machine)")
    sizes = [a.students, a.generate_students, a.trainers, a.memory_students, *a.class_size]
    if any(x is not None and not 1 <= x <= MAX_STUDENTS for x in sizes):
        p.error(f"sizes must be between 1 and {MAX_STUDENTS}")
    if not 1 <= a.processes <= 8:
        p.error("--processes: 1 to 8")
    return a


def start_servers(a: argparse.Namespace):
    """(server object or None, url, pids, logs)."""
    if a.url:
        pids = [int(x) for arg in a.server_pids for x in arg.split(",") if x.strip()]
        return None, a.url.rstrip("/"), pids, [Path(x) for x in a.server_log]
    extra = list(a.server_arg) + (["--server.disconnectedSessionTTL", str(int(a.ttl))] if a.ttl else [])
    log_dir = Path(a.log_dir or tempfile.mkdtemp(prefix="genlab-loadtest-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    if a.processes == 1:
        server = OwnServer(extra, log_dir / "app.log", port=a.port)
        return server, server.url, [server.proc.pid], [server.log_path]
    from .proxy import ProxiedServers
    from .server import free_port

    server = ProxiedServers(
        a.processes,
        extra,
        log_dir,
        proxy_port=a.proxy_port or free_port(),
        first_app_port=a.port or free_port(),
        stats_port=a.stats_port or free_port(),
    )
    return server, server.url, server.pids, server.logs


async def run_scenarios(lab: Lab) -> None:
    sampler = asyncio.create_task(lab.sampler(lab.args.sample_every))
    try:
        for name in lab.args.scenario:
            res = lab.results.setdefault(name, {})
            res["status"] = "running"
            offsets, failed_before = lab.log_offsets(), len(lab.failures)
            try:
                await SCENARIOS[name](lab, res)
                res["status"] = "done"
            except Exception as e:  # report it, and still run the next scenario
                res["status"] = f"failed: {type(e).__name__}: {str(e)[:300]}"
                log(f"{name}: {res['status']}")
            res["tracebacks"] = lab.tracebacks_since(offsets)
            res["open_failures"] = lab.failures[failed_before:]
    finally:
        sampler.cancel()


def report(name: str, res: dict) -> str:
    """The scenario's summary as indented lines: a dict of plain values on one line, nested ones below."""
    lines = [f"\n== {name} ({res.get('status')}) =="]

    def put(d: dict, indent: str) -> None:
        for k, v in d.items():
            if isinstance(v, dict) and any(isinstance(x, dict) for x in v.values()):
                lines.append(f"{indent}{k}:")
                put(v, indent + "  ")
            else:
                lines.append(f"{indent}{k}: {json.dumps(v) if isinstance(v, (dict, list)) else v}")

    put(res.get("summary", {}), "  ")
    fails = res.get("open_failures", [])
    lines.append(f"  students who could not open their page: {len(fails)}" + "".join(f"\n    {f[:150]}" for f in fails[:5]))
    tbs = res.get("tracebacks", [])
    lines.append(f"  server tracebacks during it: {len(tbs)}" + "".join(f"\n    {t['exception'][:150]}" for t in tbs[:5]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--browser" in argv:
        from . import browser

        return browser.main([x for x in argv if x != "--browser"])
    a = parse_args(argv)
    server, url, pids, logs = start_servers(a)

    def give_up(*_):  # last resort if cleanup itself hangs
        if server:
            server.stop()
        os._exit(3)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(int(a.max_seconds) + 120)
    started, load_at_start = time.monotonic(), load_average()
    lab = Lab(args=a, url=url, pids=pids, logs=logs, deadline=started + a.max_seconds)
    stopped_early = None
    try:
        if server:
            server.wait_healthy(min(180, a.max_seconds))
        if a.server_nice is not None:
            prioritise(pids, a.server_nice)
        lab.mark(f"server up at {url} (pids {pids})")
        if a.record:
            from .record import record

            n = asyncio.run(record(url, Path(a.record)))
            log(f"recorded {n} messages to {a.record}")
            return 0
        asyncio.run(asyncio.wait_for(run_scenarios(lab), timeout=max(1, lab.left())))
    except (asyncio.TimeoutError, TimeoutError):
        stopped_early = f"--max-seconds ({a.max_seconds:.0f} s) reached"
    except KeyboardInterrupt:
        stopped_early = "interrupted"
    finally:
        if server:
            server.stop()
        signal.alarm(0)

    all_tb = [b for path in logs for b in scan_tracebacks(path)[0]]
    for name, res in lab.results.items():
        print(report(name, res))
    if lab.samples:
        for k in ("rss_mb", "pss_mb"):
            xs = [s[k] for s in lab.samples]
            print(f"server {k[:3].upper()}: first {xs[0]:.0f} MB, peak {max(xs):.0f} MB, last {xs[-1]:.0f} MB")
    print(f"server tracebacks in the logs: {len(all_tb)} ({', '.join(str(p) for p in logs)})")
    print(f"machine: {os.cpu_count()} cores, load average {load_at_start} at the start, {load_average()} at the end")
    if stopped_early:
        print(f"stopped early: {stopped_early}")
    if a.json:
        out = {
            "config": vars(a),
            "url": url,
            "server_pids": pids,
            "machine": {"cores": os.cpu_count(), "load_average_at_start": load_at_start, "load_average_at_end": load_average()},
            "stopped_early": stopped_early,
            "scenarios": lab.results,
            "samples": lab.samples,
            "events": lab.events,
            "tracebacks": all_tb,
        }
        Path(a.json).write_text(json.dumps(out, indent=1, default=str))
        log(f"wrote {a.json}")
    return 1 if stopped_early else 0
