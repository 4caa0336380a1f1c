"""K app processes behind HAProxy, as scripts/serve_class.sh runs them for a class, on ports of the load
test's choosing (127.0.0.1 only): deploy/haproxy.cfg with its `server` lines and its stats port rewritten.

Each process gets cores / K compute workers of one torch thread (serve_class.sh's defaults). A websocket
without the GENLAB_APP cookie is balanced round robin, so each protocol student (one websocket) lands on
the next process; a reconnecting student sends the cookie it got and comes back to its own."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from .server import ROOT, OwnServer, log


def proxy_config(template: str, app_ports: list[int], stats_port: int) -> str:
    """deploy/haproxy.cfg for these app ports, its stats page on stats_port."""
    servers = "".join(f"    server app{i} 127.0.0.1:{p} cookie a{i}\n" for i, p in enumerate(app_ports, 1))
    out, done = [], False
    for line in template.splitlines(keepends=True):
        if re.match(r"\s*server app\d+ ", line):
            if not done:
                out.append(servers)
                done = True
            continue
        out.append(re.sub(r"bind 127\.0\.0\.1:\d+", f"bind 127.0.0.1:{stats_port}", line))
    return "".join(out)


class ProxiedServers:
    """K OwnServers and one HAProxy in front; `url` is the proxy's, `pids` the apps' (the proxy's own CPU
    and memory are small and not counted)."""

    def __init__(self, k: int, extra_args: list[str], log_dir: Path, proxy_port: int, first_app_port: int, stats_port: int):
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        log_dir.mkdir(parents=True, exist_ok=True)
        workers = max(1, (os.cpu_count() or 1) // k)
        env = {"GENLAB_WORKERS": str(workers), "GENLAB_THREADS": "1"}
        ports = [first_app_port + i for i in range(k)]
        self.apps = [OwnServer(extra_args, log_dir / f"app-{p}.log", port=p, env=env) for p in ports]
        self.url = f"http://127.0.0.1:{proxy_port}"
        self.pids = [a.proc.pid for a in self.apps]
        self.logs = [a.log_path for a in self.apps]
        cfg = log_dir / "haproxy.cfg"
        cfg.write_text(proxy_config((ROOT / "deploy" / "haproxy.cfg").read_text(), ports, stats_port))
        self.proxy_log = open(log_dir / "haproxy.log", "ab")
        self.proxy = subprocess.Popen(
            [haproxy, "-db", "-f", str(cfg)],
            env=os.environ | {"GENLAB_PROXY_BIND": f"127.0.0.1:{proxy_port}"},
            stdout=self.proxy_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log(f"{k} app processes on ports {ports} ({workers} workers each) behind HAProxy pid {self.proxy.pid} on {self.url}")

    def wait_healthy(self, seconds: float = 180) -> None:
        for app in self.apps:
            app.wait_healthy(seconds)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proxy.poll() is not None:
                raise SystemExit(f"haproxy exited with {self.proxy.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"the proxy at {self.url} did not answer within 30 s")

    def stop(self) -> None:
        if self.proxy.poll() is None:
            os.killpg(self.proxy.pid, signal.SIGTERM)
            try:
                self.proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proxy.pid, signal.SIGKILL)
        self.proxy_log.close()
        for app in self.apps:
            app.stop()
