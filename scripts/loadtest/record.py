"""Record the ForwardMsgs of a short real session into a fixture file for the unit tests
(tests/fixtures/streamlit_session.jsonl): one student opens the GPT page, generates 40 characters, opens the
GAN's "Train one live" tab, trains for a few fragment ticks and pauses.

Each line: {"step": what the student had just done, "t": seconds since the start, "b64": the message}.
Messages over --max-bytes (the GAN's pictures and charts) are left out: the tests read texts, widget ids,
timers and run ends, and the fixture stays small.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path

from .protocol import Session
from .texts import STEP_RE

GPT_QUERY = "gpt_len=40"
LIVE_QUERY = "gan_tab=Train+one+live"


async def record(url: str, out: Path, max_bytes: int = 6000, ticks_s: float = 3.5) -> int:
    s = Session(url, "recorder")
    lines, t0, step = [], time.monotonic(), {"now": "connect"}
    await s.connect()
    apply = s._apply

    def keep(msg, t):  # every message the session sees, tagged with what the student was doing
        data = msg.SerializeToString()
        if len(data) <= max_bytes:
            lines.append({"step": step["now"], "t": round(t - t0, 3), "b64": base64.b64encode(data).decode()})
        apply(msg, t)

    s._apply = keep
    for now, action in [
        ("open gpt-generation", lambda: s.open("gpt-generation", GPT_QUERY)),
        ("click gpt_go", lambda: s.click("gpt_go", last=lambda x: "characters in" in x.text)),
        ("open gan-training live", lambda: s.open("gan-training", LIVE_QUERY)),
        ("click live_start", lambda: s.click("live_start", first=lambda x: bool(STEP_RE.search(x.text)))),
        ("ticks", lambda: asyncio.sleep(ticks_s)),
        ("click live_pause", lambda: s.click("live_pause")),
    ]:
        step["now"] = now
        await action()
    await s.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return len(lines)
