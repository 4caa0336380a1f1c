"""The real-browser test: serve the app with `streamlit run` (conftest.server), open every page in Chromium."""

from __future__ import annotations

import pytest

from conftest import FLAGS, ROOT, chromium, need

PAGES = {"": "GenLab", "latent-space": "Latent", "gan-training": "GAN", "gpt-generation": "GPT"}
SHOTS = ROOT / "tests" / "_screenshots"


@pytest.mark.browser
def test_every_page_renders_in_chromium(server):
    browser_path = chromium()
    need(browser_path is not None, "no Chromium installed (Debian: apt-get install chromium)", "GENLAB_REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for path, heading in PAGES.items():
            page.goto(f"{server}/{path}", wait_until="domcontentloaded", timeout=60_000)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
            page.wait_for_selector("h1", timeout=30_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(SHOTS / f"{path or 'home'}.png"), full_page=True)
            title = page.locator("h1").first.inner_text()
            assert heading in title, f"/{path}: heading {title!r} lacks {heading!r}"
            errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
            assert errors.count() == 0, f"/{path}: " + " | ".join(e.inner_text()[:200] for e in errors.all())

        # The lecture ladder through a real server: the text generator's own process writes rungs 5 and 6 side by side.
        page.goto(f"{server}/gpt-generation?gpt_tabs=Lecture+ladder&gpt_rung=6&gpt_len=40", wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
        page.locator(".st-key-gpt_ladder_race_go button").click()
        page.wait_for_function("document.body.innerText.includes('40 characters each')", timeout=90_000)
        assert "6 · Residual connections" in page.locator("h2").all_inner_texts()
        page.screenshot(path=str(SHOTS / "gpt-generation-ladder.png"), full_page=True)

        # A browser set to Portuguese gets the app in Portuguese; ?lang=en switches it back.
        portuguese = browser.new_context(locale="pt-BR", viewport={"width": 1400, "height": 1000}).new_page()
        for query, heading, tab in (("", "Geração com GPT", "Gerar"), ("?lang=en", "GPT Generation", "Generate")):
            portuguese.goto(f"{server}/gpt-generation{query}", wait_until="domcontentloaded", timeout=60_000)
            portuguese.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
            portuguese.wait_for_selector("h1", timeout=30_000)
            assert heading in portuguese.locator("h1").first.inner_text()
            assert portuguese.get_by_role("tab", name=tab, exact=True).count() == 1
            portuguese.screenshot(path=str(SHOTS / f"gpt-generation-{tab.lower()}.png"), full_page=True)
        browser.close()
