"""Scenario faults: students who misbehave while --students others keep generating.

  drop mid-click   clicks Generate (or Start on the live GAN) and vanishes 0.3 s later, no closing handshake;
  reconnect        generates, loses its connection, reconnects passing its session id (as a browser tab does
                   after a network blip): it must find its own session again (its text still there);
  malformed        sends bytes that are no BackMsg: the server closes that connection (1002), nobody else's;
  text frame       sends a text frame (Streamlit speaks binary protobufs only);
  oversized        sends one frame over server.maxWidgetStateSize (--oversized-mb): closed with 1009.
The others must see every Generate finish, no error box and no traceback; a traceback in the server's log
is kept there (it is counted in the report) but must never reach a client."""

from __future__ import annotations

import asyncio

from . import generate, train
from .lab import Lab, close_all, session_errors
from .protocol import Closed, Session
from .texts import RESULT_RE


async def keep_generating(s: Session, until: asyncio.Event, timeout: float, out: list) -> None:
    while not until.is_set():
        try:
            out.append(await generate.generate(s, timeout, seed=len(out)))
        except Closed as e:
            out.append({"first_s": None, "last_s": None, "text": f"closed: {e}"})
            return


async def misbehave(lab: Lab, name: str, action) -> dict:
    s = Session(lab.url, name, open_timeout=lab.args.open_timeout)
    try:
        await s.connect()
        return await action(s)
    except Exception as e:
        return {"outcome": f"{type(e).__name__}: {str(e)[:200]}"}
    finally:
        await s.close()


async def drop_mid_generate(s: Session, lab: Lab) -> dict:
    await s.open(generate.PAGE, generate.QUERY, timeout=lab.args.open_timeout)
    task = asyncio.create_task(s.click("gpt_go", timeout=30))
    await asyncio.sleep(0.3)
    await s.drop()
    task.cancel()
    return {"outcome": "dropped"}


async def drop_mid_train(s: Session, lab: Lab) -> dict:
    gan = train.TRAINERS["gan"]
    await s.open(gan.page, gan.query, timeout=lab.args.open_timeout)
    task = asyncio.create_task(s.click(gan.start, timeout=30))
    await asyncio.sleep(0.3)
    await s.drop()
    task.cancel()
    return {"outcome": "dropped"}


async def reconnect(s: Session, lab: Lab) -> dict:
    await s.open(generate.PAGE, generate.QUERY, timeout=lab.args.open_timeout)
    first = await generate.generate(s, lab.args.gen_timeout, seed=4242)
    sid = s.page.session_id
    await s.drop()
    await asyncio.sleep(1.0)
    again = Session(lab.url, s.name + "-again", open_timeout=lab.args.open_timeout)
    again.cookie = s.cookie  # behind the proxy: back to the same app process
    await again.connect(session_id=sid)
    try:
        again.page.page_hash, again.page.query_string = s.page.page_hash, s.page.query_string
        await again.rerun(timeout=lab.args.open_timeout)  # the tab's rerun after reconnecting
        kept = again.page.find(RESULT_RE)
        return {
            "outcome": "same session" if sid and again.page.session_id == sid and kept else "a new session",
            "session_id_kept": bool(sid) and again.page.session_id == sid,
            "text_kept": bool(kept),
            "first_generate": first,
            "errors": session_errors([again]),
        }
    finally:
        await again.close()


async def send_raw(s: Session, lab: Lab, data: bytes | str) -> dict:
    await s.open("", timeout=lab.args.open_timeout)
    try:
        await s.ws.send(data)
    except Exception as e:
        return {"outcome": f"send failed: {type(e).__name__}"}
    try:
        await asyncio.wait_for(s.closed.wait(), 10)
    except asyncio.TimeoutError:
        return {"outcome": "still open after 10 s", "errors": session_errors([s])}
    return {"outcome": s.close_reason or "closed", "errors": session_errors([s])}


async def run(lab: Lab, res: dict) -> None:
    a = lab.args
    n = a.students or 5
    lab.mark(f"faults: {n} students keep generating while others misbehave")
    others = await lab.students(n, "calm", generate.PAGE, generate.QUERY)
    stop, results = asyncio.Event(), [[] for _ in others]
    calm = [asyncio.create_task(keep_generating(s, stop, a.gen_timeout, r)) for s, r in zip(others, results)]
    big = b"\x0a" + b"\xff" * int(a.oversized_mb * 1024 * 1024)
    faults = {
        "drop mid-generate": lambda s: drop_mid_generate(s, lab),
        "drop mid-train": lambda s: drop_mid_train(s, lab),
        "reconnect with the same session": lambda s: reconnect(s, lab),
        "malformed message": lambda s: send_raw(s, lab, b"\x07\xffnot a BackMsg\x00" * 4),
        "text frame": lambda s: send_raw(s, lab, "hello"),
        "oversized message": lambda s: send_raw(s, lab, big),
    }
    res["faults"] = {}
    for name, action in faults.items():
        lab.mark(f"faults: {name}")
        res["faults"][name] = await misbehave(lab, name.split()[0], action)
    await asyncio.sleep(3)  # the calm students' clicks after the last fault
    stop.set()
    await asyncio.wait_for(asyncio.gather(*calm, return_exceptions=True), a.gen_timeout + 10)
    res["errors"] = session_errors(others)
    await close_all(others)
    clicks = [r for rs in results for r in rs]
    res["summary"] = {
        "calm_students": len(others),
        "calm_clicks": len(clicks),
        "calm_finished": sum(1 for r in clicks if r["last_s"] is not None),
        "calm_errors": len(res["errors"]),
        "faults": {k: v.get("outcome") for k, v in res["faults"].items()},
        "what_the_misbehaving_clients_got": sorted({e for v in res["faults"].values() for e in v.get("errors", [])}),
    }
