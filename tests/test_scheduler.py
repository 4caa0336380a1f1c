"""The compute scheduler and the line of live trainers: fairness, isolation of failures, cleanup."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest
import torch

from core.gan.live import DigitData, LiveDigitGAN
from core.serving.scheduler import Scheduler
from core.serving.trainer_queue import TrainerQueue


@pytest.fixture
def one_worker():
    s = Scheduler(workers=1, quantum=0.01)
    yield s
    s.shutdown()


def until(condition, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def counting_task(log: list, name: str, steps: int, seconds: float = 0.002, spent: dict | None = None):
    left = [steps]

    def step() -> bool:
        t0 = time.perf_counter()
        time.sleep(seconds)
        log.append(name)
        if spent is not None:  # what the step really took (a busy machine stretches sleeps)
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0
        left[0] -= 1
        return left[0] > 0

    return step


def test_two_submitters_interleave(one_worker):
    log: list[str] = []
    a = one_worker.submit_task("a", counting_task(log, "a", 40))
    b = one_worker.submit_task("b", counting_task(log, "b", 40))
    a.result(5), b.result(5)
    switches = sum(1 for x, y in zip(log, log[1:]) if x != y)
    assert log.count("a") == log.count("b") == 40
    assert switches >= 6  # turns alternate; neither ran to the end first


def test_turns_are_fair_in_time_not_in_count(one_worker):
    """An owner whose steps take 20 ms and one whose steps take 1 ms get about the same worker time."""
    log: list[str] = []
    spent: dict[str, float] = {}
    one_worker.submit_task("slow", counting_task(log, "slow", 10_000, seconds=0.02, spent=spent))
    one_worker.submit_task("fast", counting_task(log, "fast", 100_000, seconds=0.001, spent=spent))
    time.sleep(1.0)
    one_worker.shutdown()
    n_slow, n_fast = log.count("slow"), log.count("fast")
    assert n_fast > 5 * n_slow  # turns alone would give them the same number of steps
    assert 0.4 < spent["fast"] / spent["slow"] < 2.5, (n_slow, n_fast, spent)


def test_a_task_that_serves_several_sessions_gets_their_shares(one_worker):
    """A batch decoding four students' texts competes as four students, not as one."""
    log: list[str] = []
    spent: dict[str, float] = {}
    one_worker.submit_task("batch", counting_task(log, "batch", 10_000, seconds=0.005, spent=spent), serves=lambda: 4)
    one_worker.submit_task("solo", counting_task(log, "solo", 10_000, seconds=0.005, spent=spent))
    time.sleep(1.0)
    one_worker.shutdown()
    assert 2.5 < spent["batch"] / spent["solo"] < 6, spent


def test_a_stream_of_short_jobs_does_not_starve_a_long_task(one_worker):
    """Sessions that redraw every moment (a short job each time) still leave the long task its share."""
    log: list[str] = []
    spent: dict[str, float] = {}
    one_worker.submit_task("long", counting_task(log, "long", 100_000, seconds=0.005, spent=spent))
    stop = time.monotonic() + 1.0

    def redraw(owner: str):
        while time.monotonic() < stop:
            one_worker.submit(owner, time.sleep, 0.005).result()

    pages = [threading.Thread(target=redraw, args=(f"page-{i}",)) for i in range(5)]
    for t in pages:
        t.start()
    for t in pages:
        t.join()
    one_worker.shutdown()
    assert spent["long"] > 0.1  # a fair share of one worker among six owners is about 0.17 s


def test_a_long_job_does_not_block_a_short_one(one_worker):
    log: list[str] = []
    long = one_worker.submit_task("long", counting_task(log, "long", 500))
    assert until(lambda: len(log) > 3)
    short = one_worker.submit("short", lambda: "done")
    assert short.result(timeout=1) == "done"
    assert not long.done()  # the short job ran in the middle of the long one
    long_steps_before = len(log)
    assert long_steps_before < 500


def test_one_owners_jobs_never_run_at_once():
    s = Scheduler(workers=2, quantum=0.01)
    running, most = [0], [0]
    lock = threading.Lock()

    def job():
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1

    try:
        jobs = [s.submit("same-session", job) for _ in range(10)]
        for j in jobs:
            j.result(5)
    finally:
        s.shutdown()
    assert most[0] == 1


def test_two_workers_run_two_owners_at_once():
    s = Scheduler(workers=2, quantum=0.01)
    both = threading.Barrier(2, timeout=2)
    try:
        jobs = [s.submit(owner, both.wait) for owner in ("a", "b")]
        for j in jobs:
            j.result(5)  # a BrokenBarrierError here would mean they ran one after the other
    finally:
        s.shutdown()


def test_a_failing_job_fails_alone(one_worker):
    bad = one_worker.submit("a", lambda: 1 / 0)
    good = one_worker.submit("b", lambda: 42)
    with pytest.raises(ZeroDivisionError):
        bad.result(5)
    assert good.result(5) == 42
    assert one_worker.run("a", lambda: "still serving") == "still serving"


def test_waiting_jobs_know_their_place(one_worker):
    gate = threading.Event()
    first = one_worker.submit("a", gate.wait)
    assert until(first.running)
    second = one_worker.submit("b", lambda: None)
    third = one_worker.submit("c", lambda: None)
    assert (first.ahead(), second.ahead(), third.ahead()) == (0, 0, 1)
    gate.set()
    third.result(5)


# -- the line of live trainers -------------------------------------------------------------------


class FakeTrainer:
    def __init__(self, owner):
        self.owner, self.running, self.steps, self.notice = owner, False, 0, None
        self.last_seen = self.last_touched = time.monotonic()

    def train_step(self) -> bool:
        self.steps += 1
        time.sleep(0.001)
        return True

    def pause(self, reason=None):
        self.running, self.notice = False, reason


def test_the_cap_puts_the_rest_in_line_and_turns_rotate(one_worker):
    queue = TrainerQueue(one_worker, max_active=1, turn_s=1.0, watch_timeout_s=60)
    a, b, c = FakeTrainer("a"), FakeTrainer("b"), FakeTrainer("c")
    for t in (a, b, c):
        queue.start(t)
    assert queue.state(a) == "training" and queue.state(b) == queue.state(c) == "waiting"
    ahead_b, eta_b = queue.place(b)
    ahead_c, eta_c = queue.place(c)
    assert (ahead_b, ahead_c) == (0, 1) and 0 < eta_b <= 1.0 < eta_c <= 2.0
    assert until(lambda: b.steps > 0 and c.steps > 0)  # everyone got a turn
    queue.stop(a), queue.stop(b), queue.stop(c)
    assert until(lambda: queue.stats()["active"] == 0)


def test_a_trainer_nobody_watches_gives_its_place_up_and_comes_back(one_worker):
    queue = TrainerQueue(one_worker, max_active=1, watch_timeout_s=0.1)
    a, b = FakeTrainer("a"), FakeTrainer("b")
    queue.start(a)
    queue.start(b)
    b.last_seen = time.monotonic() + 3600  # b's page keeps watching
    assert until(lambda: queue.state(a) == "paused")  # a's tab went quiet: b trains
    assert until(lambda: queue.state(b) == "training")
    assert a.running  # not paused by its learner: the page showing it again puts it back in line
    queue.keep_alive(a)
    assert queue.state(a) == "waiting"
    queue.stop(a), queue.stop(b)


def test_an_idle_trainer_is_paused_with_a_reason(one_worker):
    queue = TrainerQueue(one_worker, max_active=1, idle_s=0.05, watch_timeout_s=60)
    a = FakeTrainer("a")
    queue.start(a)
    a.last_seen = time.monotonic() + 3600
    assert until(lambda: not a.running)
    assert "without a click" in a.notice and queue.state(a) == "paused"


def test_a_closed_session_frees_its_place_and_its_memory(one_worker, one_thread):
    """The queue holds trainers weakly: when a session (here a dict) drops its GAN, the GAN is freed
    and the next in line trains."""
    queue = TrainerQueue(one_worker, max_active=1, watch_timeout_s=60)
    digits = DigitData((torch.rand(64, 1, 28, 28) * 255).to(torch.uint8), False, "random digits")
    session = {"live_gan": LiveDigitGAN(digits, n_show=4, owner="s1")}
    waiting = FakeTrainer("s2")
    queue.start(session["live_gan"])
    queue.start(waiting)
    assert until(lambda: session["live_gan"].steps >= 2, timeout=120)
    gone = weakref.ref(session["live_gan"])
    params = [weakref.ref(p) for p in session["live_gan"].trainer.G.parameters()]
    del session["live_gan"]
    assert until(lambda: (gc.collect(), gone() is None)[1], timeout=60)
    # the networks' tensors go with it (once a slice that was running when it was dropped has ended)
    assert until(lambda: (gc.collect(), all(p() is None for p in params))[1], timeout=60)
    assert until(lambda: queue.state(waiting) == "training", timeout=60)
    queue.stop(waiting)


# -- the janitor ---------------------------------------------------------------------------------


class Heavy:
    def __init__(self):
        self.weights = torch.zeros(1000)

    def release(self):
        self.weights = None


def test_the_janitor_releases_what_an_ended_session_held_after_the_ttl():
    from core.serving.janitor import SessionJanitor

    active = {"s1": True, "s2": True}
    janitor = SessionJanitor(lambda sid: active[sid], ttl_s=30)
    a, b = Heavy(), Heavy()
    janitor.hold("s1", a)
    janitor.hold("s2", b)
    weights = weakref.ref(a.weights)
    active["s1"] = False  # s1's tab closed
    assert janitor.sweep(now=100) == []  # first seen gone: it may still come back
    assert janitor.sweep(now=120) == [] and a.weights is not None  # within the TTL
    active["s2"] = False
    assert janitor.sweep(now=131) == ["s1"]
    assert a.weights is None and weights() is None and b.weights is not None
    active["s2"] = True  # s2 reconnected in time: its clock starts again
    assert janitor.sweep(now=200) == [] and janitor.sessions() == 1
