"""A real server restart under a real browser: does the GPT page come back with its settings, and say so?

    .venv/bin/python scripts/restart_check.py [--chromium /usr/bin/chromium] [--shots DIR]

Starts its own server, writes 777 characters with seed 5 in headless Chromium, stops the server, starts a
new one on the same port, and times what the learner sees. Streamlit's page reconnects by itself but
redraws nothing until the next interaction, so the check then clicks one harmless widget (the typing
speed) and expects the notice that the text is gone, with the length and seed back from the URL.
Prints the figures; exits 1 if the page does not come back as promised.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from loadtest import CHROMIUM, OwnServer, log
from playwright.sync_api import sync_playwright


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chromium", default=CHROMIUM, help=f"the Chromium binary (default {CHROMIUM})")
    p.add_argument("--shots", type=Path, help="save a screenshot before and after the restart here")
    a = p.parse_args()
    server_log = Path(tempfile.mkstemp(prefix="genlab-restart-", suffix=".log")[1])
    server = OwnServer([], server_log)
    server.wait_healthy()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=a.chromium, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(f"{server.url}/gpt-generation?gpt_len=777&gpt_seed=5", wait_until="networkidle")
        page.get_by_role("button", name="Generate").first.click()
        caption = page.wait_for_selector("text=/characters in/", timeout=120_000).inner_text()
        log(f"before the restart: {caption.split(' · ')[0]}")

        server.stop()
        stopped = time.monotonic()
        page.wait_for_selector("text=/server is not responding/", timeout=60_000)
        log("the page says the server is not responding")
        server = OwnServer([], server_log, port=server.port)
        server.wait_healthy()
        healthy = time.monotonic()
        log(f"a new server answers on the same port, {healthy - stopped:.1f} s after the old one stopped")
        page.wait_for_selector("text=/server is not responding/", state="detached", timeout=120_000)
        log(f"the page reconnected {time.monotonic() - healthy:.1f} s later")

        page.get_by_text("fast", exact=True).click()  # any widget reruns the page, in a new session
        page.wait_for_selector("text=/server restarted/", timeout=60_000)
        length = page.locator(".st-key-gpt_len input").input_value()
        seed = page.locator(".st-key-gpt_seed input").input_value()
        log(f"after one click: the notice, length {length}, seed {seed}")
        if a.shots:
            a.shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(a.shots / "gpt-after-restart.png"), full_page=True)
        browser.close()
    server.stop()
    ok = (length, seed) == ("777", "5")
    print("PASS" if ok else f"FAIL: length {length}, seed {seed} (want 777 and 5); server log {server_log}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
