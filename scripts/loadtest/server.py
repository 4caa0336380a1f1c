"""The server under test, seen from outside: start one (`streamlit run app.py`), read its processes' RSS
and CPU time from /proc, and find tracebacks in its log. Shared by the protocol client and the browser
harness."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def fmt(x, digits: int = 2, unit: str = "") -> str:
    return "-" if x is None else f"{x:.{digits}f}{unit}"


# -- the server and /proc ------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    """The 1/5/15-minute load averages: was the machine quiet enough to trust the figures?"""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(roots: list[int]) -> list[int]:
    """The roots and every process below them (a server may run helpers in child processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue  # it ended while we looked
            ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(roots)
    while todo and len(found) < 10_000:
        pid = todo.pop()
        if Path(f"/proc/{pid}").exists() and pid not in found:
            found.append(pid)
            todo.extend(children.get(pid, []))
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """utime + stime, plus the finished children it has waited for (cutime + cstime)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()  # fields[0] is field 3 of proc(5)
    return sum(int(f) for f in fields[11:15]) / CLK_TCK


def server_usage(pids: list[int]) -> tuple[float, float]:
    """(RSS in MB, CPU seconds) summed over the server processes and their children.
    Summed RSS counts pages shared between processes once per process."""
    procs = descendants(pids)
    return sum(rss_mb(p) for p in procs), sum(cpu_seconds(p) for p in procs)


def pss_mb(pids: list[int]) -> float:
    """Proportional set size summed over the server processes and their children: each shared page
    (torch's libraries, mapped by the app and its compute process alike) counted once in all."""
    total = 0.0
    for pid in descendants(pids):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
                    break
        except OSError:
            pass
    return total


def prioritise(pids: list[int], nice: int) -> None:
    """Give the server processes (and those they started) a niceness and their autogroup the same weight.

    Under Linux's autogroup scheduling the CPU is first shared between session groups, so on a machine busy
    with other work a server in its own session gets one group's share however many threads it has. On a
    shared machine this stands in for the dedicated one a class would have (a negative value needs root).
    Only the autogroup of a session a server leads is changed. Re-applied as the server starts threads and
    processes."""
    own = set()  # sessions the servers lead: their autogroups hold nothing else (another group may be shared)
    for pid in pids:
        try:
            if os.getsid(pid) == pid:
                own.add(pid)
        except OSError:
            pass
    for pid in descendants(pids):
        try:
            group = Path(f"/proc/{pid}/autogroup")
            if os.getsid(pid) in own and not group.read_text().rstrip().endswith(f"nice {nice}"):
                group.write_text(str(nice))
        except OSError:
            pass  # gone, or no autogroup on this kernel
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            continue
        for tid in tids:  # on Linux a niceness belongs to a thread
            try:
                if os.getpriority(os.PRIO_PROCESS, tid) != nice:
                    os.setpriority(os.PRIO_PROCESS, tid, nice)
            except OSError:
                pass


class OwnServer:
    """`streamlit run app.py` on a free port, its output in a log file that is kept afterwards."""

    def __init__(self, extra_args: list[str], log_path: Path, port: int | None = None, env: dict | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            *extra_args,
        ]
        self.log_file = open(log_path, "ab")
        # Its own session, so stopping it also stops anything it started.
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=os.environ | (env or {}), stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        log(f"server pid {self.proc.pid} on {self.url}, log {log_path}")

    def wait_healthy(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"the server did not answer /_stcore/health within {seconds:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.log_file.close()


def scan_tracebacks(path: Path, start: int = 0) -> tuple[list[dict], int]:
    """Traceback blocks written to a log since byte `start`: (blocks, new end offset)."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
    except OSError:
        return [], start
    lines, blocks = data.decode("utf-8", "replace").splitlines(), []
    for i, line in enumerate(lines):
        if "Traceback" in line:
            # The exception line is the first one after the indented frames.
            exc = next((x for x in lines[i + 1 : i + 400] if x and not x[0].isspace()), "")
            blocks.append({"log": str(path), "line": line.strip(), "exception": exc.strip()})
    return blocks, start + len(data)


def cpu_by_process(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each given server process (with its children): did every process get work?"""
    return {pid: sum(cpu_seconds(p) for p in descendants([pid])) for pid in pids}
