"""Memory that comes back: free what a session held once the session has ended.

Streamlit keeps a disconnected session for `server.disconnectedSessionTTL` seconds (so a browser
that lost its network for a moment gets its session back), but it only drops an expired session the
next time another session disconnects. After a class closes its tabs nothing disconnects any more,
and every GAN the class trained would stay in memory. So the heavy objects a session creates (live
GANs with their networks, optimisers and histories) are also registered here, weakly. The janitor
looks every few seconds: once a session has been gone for longer than the TTL, it can never come
back, so its objects are released; Python's garbage collector clears the cycles they leave, and
the C allocator returns the freed pages to the system.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time
import weakref
from typing import Callable, Protocol

SWEEP_EVERY_S = 10.0


class Releasable(Protocol):
    def release(self) -> None:
        """Drop everything heavy (the object is not used again)."""


class SessionJanitor:
    def __init__(self, is_active: Callable[[str], bool], ttl_s: float, every_s: float = SWEEP_EVERY_S):
        self.is_active, self.ttl_s, self.every_s = is_active, ttl_s, every_s
        self._lock = threading.Lock()
        self._held: dict[str, list[weakref.ref]] = {}  # session id -> its heavy objects
        self._gone_since: dict[str, float] = {}  # session id -> when it was first seen gone
        self._thread: threading.Thread | None = None

    def hold(self, session_id: str, obj: Releasable) -> None:
        """Release obj when this session ends (the session itself keeps obj alive until then)."""
        with self._lock:
            refs = self._held.setdefault(session_id, [])
            refs[:] = [r for r in refs if r() is not None] + [weakref.ref(obj)]

    def sweep(self, now: float | None = None) -> list[str]:
        """Release what sessions gone for longer than the TTL held; returns their ids."""
        now = time.monotonic() if now is None else now
        ended = []
        with self._lock:
            for sid in list(self._held):
                if self.is_active(sid):
                    self._gone_since.pop(sid, None)
                elif now - self._gone_since.setdefault(sid, now) > self.ttl_s:
                    ended.append((sid, self._held.pop(sid)))
                    del self._gone_since[sid]
        for _, refs in ended:
            for ref in refs:
                if (obj := ref()) is not None:
                    obj.release()
        if ended:
            release_memory()
        return [sid for sid, _ in ended]

    def sessions(self) -> int:
        """How many sessions hold something."""
        with self._lock:
            return len(self._held)

    def start(self) -> "SessionJanitor":
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="genlab-janitor", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while True:
            time.sleep(self.every_s)
            try:
                self.sweep()
            except Exception:  # a failed sweep must never take the server down; the next one retries
                pass


def release_memory() -> None:
    """Collect reference cycles now, and ask glibc to give freed heap pages back to the system
    (without this, RSS stays at its peak even when Python has freed everything)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): the allocator keeps its own policy
        pass
