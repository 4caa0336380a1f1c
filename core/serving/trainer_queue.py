"""Live training for a whole class: a few trainers at a time, the rest in a visible line.

Ten students pressing Start at once on a 2-core server would each get a tenth of a core: ten GANs
that never get past blobs. Instead at most `max_active` trainers train at once (one per scheduler
worker by default); the others wait in line, told how many are ahead and about how long. When
someone waits, an active trainer gives its place up after a turn of `turn_s` seconds and joins the
back of the line, so everyone trains in turns at full speed.

A trainer stops taking a place when nobody looks at it (its page stopped calling `keep_alive`, so
its tab was closed or left), when its learner has not touched it for `idle_s`, or when its session
is gone: the queue only holds weak references, so a trainer dropped with its session frees its
place at once and its memory with it.

A trainer is any object with `owner` (whose turn it runs in on the scheduler), `running` (the
learner wants it to train), `train_step() -> bool` (one step; False when it had to stop itself),
and `pause(reason)`; a reason is a Message (English as a str; the page shows it in the learner's language).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field

from core.serving.scheduler import Scheduler
from i18n import N_, Message

TURN_S = 30.0  # a turn at the front when others wait: long enough to see progress
WATCH_TIMEOUT_S = 30  # no page has shown the trainer for this long: its tab is closed or hidden
IDLE_S = 600  # no click for ten minutes: pause, so an abandoned tab does not hold a place

_keys = itertools.count()


@dataclass
class _Turn:
    started: float
    token: object = field(default_factory=object)  # tells this turn's task from a later turn's


class TrainerQueue:
    def __init__(
        self,
        scheduler: Scheduler,
        max_active: int | None = None,
        turn_s: float = TURN_S,
        watch_timeout_s: float = WATCH_TIMEOUT_S,
        idle_s: float = IDLE_S,
    ):
        self.scheduler = scheduler
        self.max_active = max_active or default_max_active(scheduler)
        self.turn_s, self.watch_timeout_s, self.idle_s = turn_s, watch_timeout_s, idle_s
        self._lock = threading.Lock()
        self._refs: dict[int, weakref.ref] = {}
        self._gone: deque[int] = deque()  # keys of trainers garbage-collected with their sessions
        self._active: dict[int, _Turn] = {}
        self._waiting: deque[int] = deque()

    # -- what pages call -------------------------------------------------------------------------
    def start(self, trainer) -> None:
        """The learner pressed Start: train now if a place is free, else join the line."""
        trainer.running = True
        trainer.last_touched = trainer.last_seen = time.monotonic()
        self._join(trainer)

    def stop(self, trainer) -> None:
        """Pause, Reset or a new trainer: give up the place (or the place in line). Returns once a step
        that was under way has finished, so a paused trainer is really still."""
        trainer.running = False
        self._leave(self._key(trainer))
        self.scheduler.run(trainer.owner, lambda: None)  # the owner's jobs run in order: this waits for them

    def keep_alive(self, trainer) -> None:
        """The page is showing this trainer. One that was set aside while away rejoins."""
        trainer.last_seen = time.monotonic()
        if trainer.running:
            self._join(trainer)

    def touch(self, trainer) -> None:
        """The learner did something (a click, a setting): not idle."""
        trainer.last_touched = time.monotonic()

    def state(self, trainer) -> str:
        """'training', 'waiting' or 'paused'."""
        key = self._key(trainer)
        with self._lock:
            if key in self._active:
                return "training"
            return "waiting" if key in self._waiting else "paused"

    def place(self, trainer) -> tuple[int, float] | None:
        """(trainers ahead, estimated seconds until its turn) while it waits, else None."""
        key = self._key(trainer)
        with self._lock:
            if key not in self._waiting:
                return None
            i = self._waiting.index(key)
            now = time.monotonic()
            # active trainers hand over when their turns end; the line moves max_active at a time
            left = sorted(max(0.0, self.turn_s - (now - t.started)) for t in self._active.values())
            if len(left) < self.max_active:
                return i, 0.0
            return i, left[i % self.max_active] + (i // self.max_active) * self.turn_s

    def stats(self) -> dict:
        with self._lock:
            return {"active": len(self._active), "waiting": len(self._waiting), "max_active": self.max_active}

    # -- the line ----------------------------------------------------------------------------------
    def _key(self, trainer) -> int:
        key = getattr(trainer, "_queue_key", None)
        if key is None:
            key = trainer._queue_key = next(_keys)
            # The callback may run in any thread, in the middle of anything: it only leaves a note.
            self._refs[key] = weakref.ref(trainer, lambda _, k=key: self._gone.append(k))
        return key

    def _join(self, trainer) -> None:
        key = self._key(trainer)
        with self._lock:
            if key in self._active or key in self._waiting:
                return
            self._waiting.append(key)
            self._fill()

    def _leave(self, key: int) -> None:
        with self._lock:
            self._drop(key)

    def _drop(self, key: int) -> None:
        """(Lock held.) Take key out of the places and the line; the next in line moves up."""
        self._active.pop(key, None)
        if key in self._waiting:
            self._waiting.remove(key)
        self._fill()

    def _fill(self) -> None:
        """Forget trainers whose sessions are gone, then give free places to the front of the line."""
        while self._gone:
            key = self._gone.popleft()
            self._refs.pop(key, None)
            self._active.pop(key, None)
            if key in self._waiting:
                self._waiting.remove(key)
        while self._waiting and len(self._active) < self.max_active:
            key = self._waiting.popleft()
            trainer = self._refs[key]() if key in self._refs else None
            if trainer is None:
                continue
            turn = self._active[key] = _Turn(time.monotonic())
            self.scheduler.submit_task(trainer.owner, lambda k=key, t=turn.token: self._step(k, t))

    # -- one step of an active trainer, on a scheduler worker --------------------------------------
    def _step(self, key: int, token: object) -> bool:
        ref = self._refs.get(key)
        trainer = ref() if ref else None
        if trainer is None:  # its session is gone: its place goes to the next in line now
            with self._lock:
                self._drop(key)
            return False
        now = time.monotonic()
        with self._lock:
            turn = self._active.get(key)
            if turn is None or turn.token is not token:
                return False  # stopped, or this is an old turn's task
            if not trainer.running:
                self._drop(key)
                return False
            if now - trainer.last_seen > self.watch_timeout_s:
                self._drop(key)  # nobody is watching: keep_alive rejoins it when the page shows it again
                return False
            if now - trainer.last_touched > self.idle_s:
                idle = N_("paused after {minutes} minutes without a click, to give others a turn")
                trainer.pause(Message(idle, minutes=round(self.idle_s / 60)))
                self._drop(key)
                return False
            if now - turn.started > self.turn_s and self._waiting:
                del self._active[key]
                self._waiting.append(key)  # to the back of the line; the front takes this place
                self._fill()
                return False
        try:
            if trainer.train_step():
                return True
        except Exception as e:  # this trainer stops and says why; the others go on
            trainer.pause(Message(N_("stopped on an unexpected problem: {error}"), error=f"{type(e).__name__}: {e}"))
        self._leave(key)  # it stopped itself (a loss blew up, or the error above)
        return False


def run_steps(trainer, n_steps: int, max_seconds: float | None = None) -> int:
    """A live trainer's steps taken at once, outside the line (the Step button, benchmarks, scripts): up to n_steps,
    fewer when max_seconds runs out or the trainer stopped itself on a problem. Returns how many were tried."""
    start, done = time.perf_counter(), 0
    while done < n_steps and trainer.problem is None:
        trainer.train_step()
        done += 1
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    return done


class StepRate:
    """A live trainer's steps per second of wall time over the last `window_s` seconds (0 before it has trained):
    what the page's status line shows, the same for every kind of trainer."""

    def __init__(self, window_s: float = 10.0):
        self.window_s = window_s
        self._recent: deque[tuple[float, int]] = deque()

    def tick(self, steps: int) -> None:
        self._recent.append((time.perf_counter(), steps))

    @property
    def per_second(self) -> float:
        now = time.perf_counter()
        while self._recent and now - self._recent[0][0] > self.window_s:
            self._recent.popleft()
        if len(self._recent) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._recent[0], self._recent[-1]
        return (s1 - s0) / max(now - t0, t1 - t0, 1e-9)


def default_max_active(scheduler: Scheduler) -> int:
    """One active trainer per worker (GENLAB_MAX_TRAINERS overrides): each trains at full speed."""
    return max(1, int(os.environ.get("GENLAB_MAX_TRAINERS") or scheduler.workers))
