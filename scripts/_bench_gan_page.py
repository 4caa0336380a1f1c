"""The live GAN as a learner meets it: one Chromium tab on GAN Training › Train one live, Start, 60 seconds.

    GENLAB_DATA=../shared/data python scripts/_bench_gan_page.py [--seconds 60] [--browser-nice 19]

Starts its own server, presses Start and reads the page every second: the step counter and steps/s from the
status line, and the classifier's latest confident share from the confident-share chart's text alternative
(the page scores 256 fresh samples every 100 steps). Prints one line per 10 s and the verdict for issue 22's
target: >= 30% of samples read with >= 90% confidence within 60 s of Start. --browser-nice lowers Chromium's
priority, standing in for a student's own machine (in a class the browser does not share the server's cores).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

from loadtest.server import OwnServer, cpu_by_process
from loadtest.texts import RATE_RE, STEP_RE

import _common  # noqa: F401  (puts the repo root on sys.path)

# the chart's text alternative (figures/words.py) ends with its line: "…: 3 points, last 0.31 at 200."
SHARE_RE = re.compile(r"points, last ([\d.]+) at ([\d,]+)")
READ_JS = """() => ({
  text: document.querySelector('[data-testid="stMain"]')?.innerText ?? '',
  alts: [...document.querySelectorAll('[aria-label], img[alt]')].map(e => e.getAttribute('aria-label') || e.alt || ''),
})"""


def reading(page) -> dict:
    got = page.evaluate(READ_JS)
    step, rate = STEP_RE.search(got["text"]), RATE_RE.search(got["text"])
    shares = [m for alt in got["alts"] if "confident" in alt for m in SHARE_RE.findall(alt)]
    last = max(shares, key=lambda m: int(m[1].replace(",", "")), default=None)
    return {
        "step": int(step.group(1).replace(",", "")) if step else None,
        "rate": float(rate.group(1)) if rate else None,
        "confident": float(last[0]) if last else None,
        "scored_at": int(last[1].replace(",", "")) if last else None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--browser-nice", type=int, default=0, help="Chromium's niceness (0: as the server)")
    a = p.parse_args()
    from playwright.sync_api import sync_playwright

    server = OwnServer([], Path(tempfile.mkdtemp(prefix="genlab-ganpage-")) / "app.log")
    try:
        server.wait_healthy(180)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
            if a.browser_nice:
                os.system(f"for p in $(pgrep -f chromium); do renice -n {a.browser_nice} -p $p >/dev/null; done")
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{server.url}/gan-training?gan_tab=Train+one+live&lang=en")
            start = page.locator(".st-key-live_start button").first
            start.wait_for(timeout=120_000)
            time.sleep(3)  # the page settles, as a learner reads it before pressing Start
            cpu0 = sum(cpu_by_process([server.proc.pid]).values())
            start.click()
            t0, seen, verdict = time.monotonic(), [], None
            while (t := time.monotonic() - t0) < a.seconds + 0.5:
                r = reading(page) | {"t": round(t, 1)}
                seen.append(r)
                if r["confident"] is not None and r["confident"] >= 0.3 and verdict is None:
                    verdict = r
                if len(seen) % 10 == 0:
                    shown = f"confident {r['confident']} (scored at step {r['scored_at']})"
                    print(f"{t:5.1f} s  step {r['step']}  {r['rate']} steps/s  {shown}")
                time.sleep(max(0.0, len(seen) - (time.monotonic() - t0)))
            server_cpu = sum(cpu_by_process([server.proc.pid]).values()) - cpu0
            browser.close()
    finally:
        server.stop()
    last = seen[-1]
    average = last["step"] / last["t"]
    print(f"after {last['t']} s: step {last['step']} ({average:.1f} steps/s on average), server CPU {server_cpu:.0f} s")
    if verdict:
        print(f"30% confident reached: shown at {verdict['t']} s (scored at step {verdict['scored_at']}): target met")
    else:
        print(f"30% confident not shown within {a.seconds:.0f} s: target NOT met")


if __name__ == "__main__":
    main()
