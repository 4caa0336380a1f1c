"""One student as one websocket session speaking Streamlit's own protocol: no browser, no rendering.

The browser's side of a Streamlit session, as far as the server can tell:
- it opens ws://host/_stcore/stream (subprotocol "streamlit"; a reconnecting tab passes its session id
  as the third entry of Sec-WebSocket-Protocol),
- it sends a BackMsg `rerun_script` (a ClientState: the page's url path or script hash, the query string,
  the widgets' values) whenever the page should run: on opening it, on a click, on a changed widget,
- it redraws from the ForwardMsgs it gets back: `new_session` when a full run starts, `delta`s that put
  an element at a path (metadata.delta_path), `auto_rerun` to rerun a fragment on a timer (st.fragment
  with run_every), `script_finished` at the end of a run.

`Page` is that state machine alone (fed ForwardMsgs, no network: what the unit tests drive with recorded
messages). `Session` adds the websocket, the fragment timers and the clocks a load test reads: from the
moment a click is sent to the delta that carries what the student waits for.

Widgets are set and clicked by their keys: a keyed widget's id ends with "-<key>" ($$ID-<hash>-<key>), and
every delta that draws a widget carries its id.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ID_PREFIX = "$$ID-"
# Elements whose text a student reads, and where the text is.
TEXT_FIELDS = {
    "markdown": "body",
    "html": "body",
    "heading": "body",
    "alert": "body",
    "text": "body",
    "code": "code_text",
    "exception": "message",
}
ALERT_ERROR = 1  # Alert.Format.ERROR
FULL_RUN_FINISHED = 0  # ForwardMsg.FINISHED_SUCCESSFULLY; 3 ends a fragment's run


def widget_key(widget_id: str) -> str | None:
    """The user's key of a keyed widget id ("$$ID-<32 hex>-<key>"), None for an id Streamlit made up."""
    if not widget_id.startswith(ID_PREFIX):
        return None
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[2] else None


@dataclass
class Seen:
    """One piece of text a delta put on the page: when it arrived (client clock), where, what kind."""

    t: float
    path: tuple[int, ...]
    kind: str
    text: str


@dataclass
class Page:
    """What a browser tab knows about its session, updated message by message (no network here)."""

    session_id: str = ""
    page_hash: str = ""  # the script hash of the page this session shows
    pages: dict[str, str] = field(default_factory=dict)  # url path ("" = home) -> page script hash
    query_string: str = ""
    widgets: dict[str, str] = field(default_factory=dict)  # key -> widget id
    widget_kinds: dict[str, str] = field(default_factory=dict)  # key -> element type (button, slider, ...)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (min, max) of sliders, numbers
    options: dict[str, list[str]] = field(default_factory=dict)  # key -> a select slider's options, as shown
    texts: dict[tuple[int, ...], Seen] = field(default_factory=dict)  # the text now at each path
    fragments: dict[str, float] = field(default_factory=dict)  # fragment id -> seconds between its reruns
    running: bool = False
    runs_finished: int = 0
    errors: list[str] = field(default_factory=list)  # exception elements, error boxes, shown tracebacks
    messages: int = 0
    full_run_started: float = 0.0

    def feed(self, msg: ForwardMsg, t: float) -> list[Seen]:
        """Apply one ForwardMsg; returns the texts it put on the page."""
        self.messages += 1
        kind = msg.WhichOneof("type")
        if kind == "new_session":  # every run starts with one; a fragment's run names its fragment
            ns = msg.new_session
            self.session_id = ns.initialize.session_id or self.session_id
            self.running = True
            if not msg.metadata.run.fragment_ids:  # a full run: the browser drops its fragment timers
                self.page_hash = ns.page_script_hash or self.page_hash
                self.fragments.clear()
                self.full_run_started = t
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.fragments.pop(fid, None)
        elif kind == "session_status_changed":
            self.running = msg.session_status_changed.script_is_running
        elif kind == "script_finished":
            self.running = False
            self.runs_finished += 1
            if msg.script_finished == FULL_RUN_FINISHED:  # what this run did not redraw is gone from the page
                self.texts = {p: s for p, s in self.texts.items() if s.t >= self.full_run_started}
        elif kind == "delta":
            return self._delta(msg, t)
        return []

    def _delta(self, msg: ForwardMsg, t: float) -> list[Seen]:
        path, delta = tuple(msg.metadata.delta_path), msg.delta
        dk = delta.WhichOneof("type")
        if dk == "add_block":
            block = delta.add_block
            bid = getattr(getattr(block, block.WhichOneof("type") or "", None), "id", "") or getattr(block, "id", "")
            if key := widget_key(bid or ""):  # tabs with a key are a widget too (their value is the open tab)
                self.widgets[key], self.widget_kinds[key] = bid, block.WhichOneof("type")
            return []
        if dk != "new_element":
            return []
        el = delta.new_element
        ek = el.WhichOneof("type")
        sub = getattr(el, ek) if ek else None
        wid = getattr(sub, "id", "") if sub is not None else ""
        if isinstance(wid, str) and (key := widget_key(wid)):
            if ek == "slider" and sub.type == sub.SELECT_SLIDER:  # one proto for both: the browser sends the option's text
                ek = "select_slider"
                self.options[key] = list(sub.options)
            self.widgets[key], self.widget_kinds[key] = wid, ek
            if ek in ("slider", "number_input"):
                self.ranges[key] = (sub.min, sub.max)
        if ek not in TEXT_FIELDS:
            self.texts.pop(path, None)  # an empty slot or another element replaced the text there
            return []
        text = getattr(sub, TEXT_FIELDS[ek])
        if ek == "exception":
            self.errors.append(f"exception: {sub.type}: {sub.message}"[:300])
        elif ek == "alert" and sub.format == ALERT_ERROR:
            self.errors.append(f"error box: {text}"[:300])
        elif ek == "code" and "Traceback (most recent call last)" in text:
            self.errors.append("traceback shown: " + text.strip().splitlines()[-1][:250])
        seen = Seen(t, path, ek, text)
        self.texts[path] = seen
        return [seen]

    def find(self, pattern: re.Pattern) -> re.Match | None:
        """The first text now on the page that matches."""
        for seen in self.texts.values():
            if m := pattern.search(seen.text):
                return m
        return None

    def slider_pick(self, key: str, rng) -> float | str:
        """A place a learner could drag slider `key` to: one of a select slider's options, or a number in range."""
        if key in self.options:
            return rng.choice(self.options[key])
        lo, hi = self.ranges.get(key, (-1.0, 1.0))
        return round(rng.uniform(lo, hi), 1)


def value_state(kind: str, value) -> dict:
    """The WidgetState field a widget of this kind carries its value in (as the browser sends it)."""
    if kind == "button":
        return {"trigger_value": bool(value)}
    if kind in ("checkbox", "toggle", "expandable"):
        return {"bool_value": bool(value)}
    if kind == "slider":
        return {"double_array_value": [float(v) for v in (value if isinstance(value, (list, tuple)) else [value])]}
    if kind == "select_slider":
        return {"string_array_value": [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]}
    if kind == "number_input":
        return {"double_value": float(value)}
    return {"string_value": str(value)}  # radio, selectbox, text_input, text_area, tabs: the shown label or text


def rerun_msg(page: Page, states: dict[str, dict], trigger: str | None = None, fragment_id: str = "", auto: bool = False) -> BackMsg:
    """The BackMsg a browser sends to (re)run the page: its widgets' values, one button's trigger."""
    msg = BackMsg()
    cs = msg.rerun_script
    cs.query_string = page.query_string
    cs.page_script_hash = page.page_hash
    cs.fragment_id = fragment_id
    cs.is_auto_rerun = auto
    for key, state in states.items():
        if key not in page.widgets:
            continue
        w = cs.widget_states.widgets.add()
        w.id = page.widgets[key]
        for name, v in state.items():
            if name.endswith("_array_value"):
                getattr(w, name).data.extend(v)
            else:
                setattr(w, name, v)
    if trigger is not None:
        w = cs.widget_states.widgets.add()
        w.id, w.trigger_value = page.widgets[trigger], True
    return msg


class Closed(Exception):
    """The server closed the websocket (or it broke) while the student waited."""


@dataclass
class Watch:
    """Times, on the client's clock, of the first text matching `first` and of `last` after a click."""

    sent: float
    first: Callable[[Seen], bool]
    last: Callable[[Seen], bool] | None  # None: the end of the run the click started
    t_first: float | None = None
    t_last: float | None = None
    text_last: str = ""
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Session:
    """One student: a websocket, a Page, the fragment timers, and the clocks.

    `cookies` carries the proxy's stickiness cookie (HAProxy's GENLAB_APP) so a reconnection with the same
    session reaches the same app process."""

    def __init__(self, base_url: str, name: str = "student", open_timeout: float = 60):
        assert base_url.startswith(("http://127.0.0.1", "http://localhost")), "127.0.0.1 only"
        self.ws_url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.name, self.open_timeout = name, open_timeout
        self.page = Page()
        self.states: dict[str, dict] = {}  # the widget values this student has set, sent with every rerun
        self.ws = None
        self.cookie = ""
        self.watches: list[Watch] = []
        self.reader: asyncio.Task | None = None
        self.timers: dict[str, asyncio.Task] = {}
        self.closed = asyncio.Event()
        self.close_reason = ""
        self.finished = asyncio.Condition()
        self.sent = 0
        self.leaving = False  # this student closes the connection: not an error

    # -- the connection ------------------------------------------------------------------------------

    async def connect(self, session_id: str = "") -> None:
        import websockets

        # Positional: [protocol, XSRF token, session id]. No XSRF cookie here, so the token is a placeholder
        # (the server checks it only for its auth cookie), as the browser sends one when it has none.
        protocols = ["streamlit"] + (["PLACEHOLDER_AUTH_TOKEN", session_id] if session_id else [])
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await asyncio.wait_for(
            websockets.connect(
                self.ws_url,
                subprotocols=protocols,
                additional_headers=headers,
                max_size=None,
                open_timeout=self.open_timeout,
                ping_interval=None,
            ),
            self.open_timeout + 5,
        )
        if set_cookie := self.ws.response.headers.get("Set-Cookie"):
            self.cookie = set_cookie.split(";", 1)[0]
        self.closed, self.leaving, self.close_reason = asyncio.Event(), False, ""
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._apply(msg, time.monotonic())
        except Exception as e:  # a closed or broken connection ends the session
            if not self.leaving:
                self.close_reason = f"{type(e).__name__}: {e}"[:200]
        else:
            rcvd = getattr(self.ws, "close_rcvd", None)
            if not self.leaving:
                self.close_reason = f"closed by the server ({rcvd.code if rcvd else '?'})"
        finally:
            self.closed.set()
            for w in self.watches:
                w.done.set()
            async with self.finished:
                self.finished.notify_all()

    def _apply(self, msg: ForwardMsg, t: float) -> None:
        kind = msg.WhichOneof("type")
        had = dict(self.page.fragments)
        for seen in self.page.feed(msg, t):
            for w in self.watches:
                if w.t_first is None and w.first(seen):
                    w.t_first = t
                if w.last is not None and w.t_last is None and w.last(seen):
                    w.t_last, w.text_last = t, seen.text
                    w.t_first = w.t_first or t
                    w.done.set()
        if kind == "script_finished":
            for w in self.watches:
                if w.last is None and w.t_last is None:
                    w.t_last = t
                    w.done.set()
            asyncio.get_running_loop().create_task(self._notify())
        if self.page.fragments != had:
            self._retime(had)

    async def _notify(self) -> None:
        async with self.finished:
            self.finished.notify_all()

    def _retime(self, had: dict[str, float]) -> None:
        """Start a timer for each new fragment (or new interval), stop the ones no longer asked for."""
        for fid in list(self.timers):
            if self.page.fragments.get(fid) != had.get(fid) or fid not in self.page.fragments:
                self.timers.pop(fid).cancel()
        for fid, every in self.page.fragments.items():
            if fid not in self.timers and every > 0:
                self.timers[fid] = asyncio.create_task(self._tick(fid, every))

    async def _tick(self, fid: str, every: float) -> None:
        """Like the browser's setInterval: rerun the fragment every `every` seconds until told otherwise."""
        while not self.closed.is_set():
            await asyncio.sleep(every)
            if fid not in self.page.fragments or self.closed.is_set():
                return
            await self.send(rerun_msg(self.page, self.states, fragment_id=fid, auto=True))

    async def send(self, msg: BackMsg | bytes) -> None:
        if self.closed.is_set():
            raise Closed(self.close_reason)
        try:
            await self.ws.send(msg if isinstance(msg, bytes) else msg.SerializeToString())
            self.sent += 1
        except Exception as e:
            raise Closed(f"{type(e).__name__}: {e}") from e

    async def close(self) -> None:
        self.leaving = True
        for task in self.timers.values():
            task.cancel()
        self.timers.clear()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except Exception:
                pass
        if self.reader is not None:
            self.reader.cancel()

    async def drop(self) -> None:
        """Vanish without a closing handshake, as a laptop lid or a lost Wi-Fi does."""
        self.leaving = True
        for task in self.timers.values():
            task.cancel()
        self.timers.clear()
        try:
            self.ws.transport.abort()
        except Exception:
            pass
        if self.reader is not None:
            self.reader.cancel()

    # -- what a student does -------------------------------------------------------------------------

    async def wait_idle(self, timeout: float) -> None:
        """Until the run in progress (if any) has finished."""
        async with self.finished:
            await asyncio.wait_for(self.finished.wait_for(lambda: not self.page.running or self.closed.is_set()), timeout)
        if self.closed.is_set():
            raise Closed(self.close_reason)

    async def open(self, path: str, query: str = "", timeout: float = 120) -> float:
        """Open a page by its url path ("" is home) with a query string; seconds until its run finished."""
        msg = BackMsg()
        msg.rerun_script.page_name = path
        msg.rerun_script.page_script_hash = self.page.pages.get(path, "")
        msg.rerun_script.query_string = self.page.query_string = query
        self.states = {}  # another page: its widgets start from their defaults
        self.page.widgets.clear()
        self.page.widget_kinds.clear()
        self.page.texts.clear()
        self.page.ranges.clear()
        self.page.options.clear()
        return await self._run_and_wait(msg, timeout)

    async def rerun(self, timeout: float = 120) -> float:
        return await self._run_and_wait(rerun_msg(self.page, self.states), timeout)

    async def _run_and_wait(self, msg: BackMsg, timeout: float) -> float:
        sent, done = time.monotonic(), self.page.runs_finished
        await self.send(msg)
        async with self.finished:
            await asyncio.wait_for(
                self.finished.wait_for(lambda: self.page.runs_finished > done and not self.page.running or self.closed.is_set()),
                timeout,
            )
        if self.closed.is_set():
            raise Closed(self.close_reason)
        return time.monotonic() - sent

    def has(self, key: str) -> bool:
        return key in self.page.widgets

    async def wait_widget(self, key: str, timeout: float) -> bool:
        """Until widget `key` is on the page (a run a fragment's rerun ended early may still be drawing it)."""
        end = time.monotonic() + timeout
        while key not in self.page.widgets and time.monotonic() < end and not self.closed.is_set():
            await asyncio.sleep(0.1)
        return key in self.page.widgets

    async def set(self, key: str, value, first=None, last=None, timeout: float = 120) -> Watch:
        """Change a widget (the browser reruns the page with it) and time the run."""
        if key not in self.page.widgets:
            raise KeyError(f"{self.name}: no widget with key {key!r} on this page")
        self.states[key] = value_state(self.page.widget_kinds[key], value)
        return await self._timed(rerun_msg(self.page, self.states), first, last, timeout)

    async def click(self, key: str, first=None, last=None, timeout: float = 120) -> Watch:
        """Click a button; times the click against `first` and `last` (predicates on arriving texts;
        first defaults to any text, last to the end of the run)."""
        if key not in self.page.widgets:
            raise KeyError(f"{self.name}: no widget with key {key!r} on this page")
        return await self._timed(rerun_msg(self.page, self.states, trigger=key), first, last, timeout)

    async def _timed(self, msg: BackMsg, first, last, timeout: float) -> Watch:
        w = Watch(sent=time.monotonic(), first=first or (lambda s: True), last=last)
        self.watches.append(w)
        try:
            await self.send(msg)
            await asyncio.wait_for(w.done.wait(), timeout)
        except asyncio.TimeoutError:
            pass  # reported as a watch without t_last
        finally:
            self.watches.remove(w)
        if self.closed.is_set() and w.t_last is None:
            raise Closed(self.close_reason)
        return w

    async def wait_text(self, pattern: re.Pattern, timeout: float, since: float = 0.0) -> re.Match | None:
        """The first text matching `pattern` that is on the page now (arrived after `since`) or arrives."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and not self.closed.is_set():
            for seen in list(self.page.texts.values()):
                if seen.t >= since and (m := pattern.search(seen.text)):
                    return m
            await asyncio.sleep(0.1)
        return None
