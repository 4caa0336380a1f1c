"""One compute scheduler per server process: a few worker threads run every session's model work.

A class of students shares one server. If every session ran its own torch work on its own thread,
twenty threads would fight over two cores and everyone would wait. Instead, sessions hand their work
to the scheduler and wait on a future:

    job = scheduler.submit(owner, fn, *args)       # one call: a decode, an encode, a sample grid
    job = scheduler.submit_task(owner, step)        # a long job: step() is called until it returns False

Fairness is round-robin between owners (an owner is a browser session, or a shared service such as
the batched text generator), counted in worker time rather than in turns: a free worker takes, of
the owners with work waiting, the one that has used the least worker time so far, and runs one
*slice* of its first job (a whole call, or a task's steps for up to `quantum` seconds). A GAN step
may take 100 ms where a decoding step takes 2, so turns alone would hand the trainers most of the
machine; counting time gives each busy owner an equal share. A short job never waits for a long one
to finish, only for the slices already running. An owner that arrives starts level with the others
(not at zero, which would let it take the machine until it caught up).
An owner's jobs never run at the same time as each other, so a session's models need no locks.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import Callable, Hashable

QUANTUM_S = 0.05  # a task's slice: long enough to amortise the hand-over, short enough to feel instant
# A decoding step is ~50 small torch calls, and a GAN step ~100; each takes the GIL back after its
# kernel, and waits while a page thread runs Python until the interpreter forces a switch. Measured
# here, a live GAN beside two page-like threads (busy 30% of the time): 5.3 steps/s at Python's
# default 5 ms, 5.5 at 1 ms, 7.5 at 0.2 ms (9-10 alone).
SWITCH_INTERVAL_S = 0.0002


class Job(Future):
    """A future with a place in the scheduler's line."""

    def __init__(
        self,
        scheduler: "Scheduler",
        owner: Hashable,
        step: Callable[[], bool],
        one_call: bool,
        serves: Callable[[], int] | None = None,
    ):
        super().__init__()
        self.scheduler, self.owner, self.step, self.one_call = scheduler, owner, step, one_call
        self.serves = serves  # how many sessions this work is for (a batch of their texts), if not one

    def ahead(self) -> int:
        """How many other owners get a turn before this job's next slice (0 once it is running)."""
        return self.scheduler.ahead(self)

    def wait(self, timeout: float | None = None) -> bool:
        """True when the job is done (finished, failed or cancelled) within timeout seconds."""
        try:
            self.exception(timeout)
        except TimeoutError:
            return False
        except Exception:  # CancelledError: done all the same
            pass
        return True


class Scheduler:
    def __init__(self, workers: int | None = None, quantum: float = QUANTUM_S, name: str = "genlab"):
        self.workers = workers or default_workers()
        self.quantum = quantum
        self._cv = threading.Condition()
        self._queues: dict[Hashable, deque[Job]] = {}  # each owner's jobs, oldest first
        self._line: list[Hashable] = []  # owners with work, waiting for a worker
        self._running: set[Hashable] = set()
        self._used: dict[Hashable, float] = {}  # worker seconds each owner has used (a few idle ones too)
        self._clock = 0.0  # the least used time among owners with work; it only moves forward
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"{name}-worker-{i}", daemon=True) for i in range(self.workers)]
        for t in self._threads:
            t.start()

    # -- submitting ----------------------------------------------------------------------------
    def submit(self, owner: Hashable, fn: Callable, /, *args, **kwargs) -> Job:
        """Run fn(*args, **kwargs) once, in the owner's turn; the job's result is fn's."""
        job = Job(self, owner, lambda: fn(*args, **kwargs), one_call=True)
        return self._enqueue(job)

    def submit_task(self, owner: Hashable, step: Callable[[], bool], serves: Callable[[], int] | None = None) -> Job:
        """Call step() again and again, `quantum` seconds per turn, until it returns False.

        serves() says how many sessions the task works for right now (a shared batch of their texts):
        its time then counts as theirs, shared out, so a batch for twenty waits no longer than one."""
        return self._enqueue(Job(self, owner, step, one_call=False, serves=serves))

    def run(self, owner: Hashable, fn: Callable, /, *args, **kwargs):
        """Submit and wait: the result, or fn's exception raised here."""
        return self.submit(owner, fn, *args, **kwargs).result()

    def _enqueue(self, job: Job) -> Job:
        with self._cv:
            if self._closed:
                raise RuntimeError("the scheduler is shut down")
            queue = self._queues.setdefault(job.owner, deque())
            queue.append(job)
            if len(queue) == 1 and job.owner not in self._running:
                # An owner back after a pause starts level with the least-served busy owner, never
                # below: idle time is not credit. One that has just used a lot keeps its count, so a
                # session sending many short jobs cannot jump ahead of long ones every time.
                self._used[job.owner] = max(self._used.get(job.owner, 0.0), self._clock)
                self._line.append(job.owner)
            self._cv.notify()
        return job

    def _advance_clock(self) -> None:
        """(Lock held.) Move the clock to the least-served busy owner, and forget idle owners below it
        (they would start at the clock anyway)."""
        busy = [self._used[o] for o in (*self._line, *self._running)]
        if busy:
            self._clock = max(self._clock, min(busy))
        for owner in [o for o, used in self._used.items() if used <= self._clock and o not in self._queues]:
            del self._used[owner]

    # -- where a job stands ----------------------------------------------------------------------
    def ahead(self, job: Job) -> int:
        with self._cv:
            if job.done() or job.running() or job.owner not in self._line:
                return 0  # running, or its owner is running another of its jobs
            # the owners the next workers pick before this one: less served, or as served and earlier in line
            mine, place = self._used[job.owner], self._line.index(job.owner)
            return sum(1 for i, o in enumerate(self._line) if self._used[o] < mine or self._used[o] == mine and i < place)

    # -- the workers -----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._line and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                owner = min(self._line, key=self._used.__getitem__)  # the least served goes next
                self._line.remove(owner)
                job = self._queues[owner][0]
                self._running.add(owner)
            t0 = time.perf_counter()
            finished = self._run_slice(job)
            spent = time.perf_counter() - t0
            shared_by = max(1, job.serves()) if job.serves else 1  # (outside the lock: serves() may take its own)
            with self._cv:
                self._running.discard(owner)
                self._used[owner] += spent / shared_by
                queue = self._queues[owner]
                queue.popleft()
                if not finished:
                    queue.append(job)  # behind the owner's other jobs: a long task lets them through
                if queue:
                    self._line.append(owner)
                else:
                    del self._queues[owner]
                self._advance_clock()
                self._cv.notify()

    def _run_slice(self, job: Job) -> bool:
        """Run one turn of job; True when it is over (done, failed or cancelled)."""
        if job.done():
            return True
        if not job.running() and not job.set_running_or_notify_cancel():
            return True  # cancelled before its first turn
        try:
            if job.one_call:
                job.set_result(job.step())
                return True
            deadline = time.perf_counter() + self.quantum
            while job.step():
                if time.perf_counter() >= deadline:
                    return False
            job.set_result(None)
        except BaseException as e:  # the job fails; the worker and everyone else go on
            job.set_exception(e)
        return True

    def shutdown(self) -> None:
        with self._cv:
            self._closed = True
            for queue in self._queues.values():
                for job in queue:
                    job.cancel()
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout=5)


def default_workers() -> int:
    """One worker per core (GENLAB_WORKERS overrides): each runs torch on one thread, so all cores work."""
    return max(1, int(os.environ.get("GENLAB_WORKERS") or os.cpu_count() or 1))


_scheduler: Scheduler | None = None
_lock = threading.Lock()


def get_scheduler() -> Scheduler:
    """The server's one scheduler, started on first use, with torch's threads set to fit the cores."""
    global _scheduler
    with _lock:
        if _scheduler is None:
            from core.training.device import configure_threads

            workers = default_workers()
            configure_threads(max(1, (os.cpu_count() or 1) // workers))
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
            _scheduler = Scheduler(workers)
        return _scheduler
