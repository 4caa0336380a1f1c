"""Text generation in a process of its own, for a class on one server.

In the server's process every torch call must take Python's GIL back after its kernel, and twenty page
threads redrawing their texts hold it most of the time: measured, the batch then decoded at a fraction of
its speed alone. Here the BatchDecoders (one per language model, core/gpt/batch_decode.py) live in a
child process with its own interpreter and its own core. The server keeps the pages; each request
crosses a pipe once, and the tokens of every request come back in one message at most every 20 ms.

    service = DecodeProcess.shared(directory).service("gpt-shakespeare", model)
    request = service.submit(ids, 300, seed=1)     # the same DecodeRequest as in-process: wait(), new_ids, cancel()

A request gets exactly the text it gets in-process (same decoder, same model file, same seed). If the
child dies, its requests fail with a message saying so, and the next submit starts a new child.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from pathlib import Path

import torch

from core.gpt.batch_decode import BatchDecoder, DecodeRequest, failure, new_request
from core.gpt.model import LanguageModel, load_gpt

MAX_BATCH = 32  # more requests than this, per model, wait for a free row
ROOT = Path(__file__).resolve().parents[2]  # the child runs `python -m core.gpt.remote` from here
SEND_EVERY_S = 0.02  # tokens go back at most 50 times a second (a page redraws its text 7 times a second)
STOPPED = "the text generator's process stopped; press the button again"


class DecodeProcess:
    """The child process that decodes for every language model, and the thread that reads its answers."""

    _shared: dict[str, "DecodeProcess"] = {}
    _shared_lock = threading.Lock()

    def __init__(self, directory: Path | str, threads: int = 1, max_batch: int = MAX_BATCH):
        self.directory, self.threads, self.max_batch = str(directory), threads, max_batch
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._live: dict[int, tuple[DecodeRequest, subprocess.Popen]] = {}  # sent, not finished: (request, to which child)
        self._child: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._sending = threading.Lock()  # page threads submit and cancel at once

    @classmethod
    def shared(cls, directory: Path | str) -> "DecodeProcess":
        """The server's one decoding process for the weights in `directory` (started at the first request)."""
        with cls._shared_lock:
            if str(directory) not in cls._shared:
                cls._shared[str(directory)] = cls(directory, threads=int(os.environ.get("GENLAB_DECODE_THREADS", "1")))
            return cls._shared[str(directory)]

    @classmethod
    def close_all(cls) -> None:
        """Stop every shared decoding process (tests: each test's weights folder has its own)."""
        with cls._shared_lock:
            processes = list(cls._shared.values())
            cls._shared.clear()
        for process in processes:
            process.close()

    def service(self, name: str, model: LanguageModel) -> "RemoteService":
        """Generation with `model` (loaded here too: requests are checked before they cross)."""
        self.start()
        return RemoteService(self, name, model)

    def start(self) -> None:
        """Start the child unless it runs: ahead of the first request, which would otherwise wait ~1 s for torch."""
        with self._lock:
            self._ensure_child()

    def _ensure_child(self) -> None:  # with self._lock held
        if self._child is None or self._child.poll() is not None:
            self._start()

    def submit(self, name: str, request: DecodeRequest) -> DecodeRequest:
        if request.max_new_tokens == 0:  # nothing to write: no trip to the child
            request._finish()
            return request
        with self._lock:
            self._ensure_child()
            rid = next(self._ids)
            self._live[rid] = (request, self._child)
            request.on_cancel = lambda: self._send(("cancel", rid, None))
            self._send(("submit", rid, (name, request.prompt, request.max_new_tokens, request.temperature,
                                        request.top_k, request.top_p, request.seed)))  # fmt: skip
        return request

    def close(self) -> None:
        with self._lock:
            if self._child is not None and self._child.poll() is None:
                self._send(("stop", None, None))
                try:
                    self._child.wait(5)
                except subprocess.TimeoutExpired:
                    self._child.kill()

    def _send(self, message) -> None:
        with self._sending:
            try:
                self._conn.send(message)
            except OSError:  # the child is gone: the reader fails its requests
                pass

    def _start(self) -> None:
        # A fresh interpreter started as `python -m core.gpt.remote`: forking a process that runs threads is
        # unsafe, and multiprocessing's spawn would re-run the server's main module.
        here, there = Pipe()
        self._conn = here
        command = [
            sys.executable,
            "-m",
            "core.gpt.remote",
            str(there.fileno()),
            self.directory,
            str(self.threads),
            str(self.max_batch),
        ]
        self._child = subprocess.Popen(command, cwd=ROOT, pass_fds=[there.fileno()])
        there.close()
        threading.Thread(target=self._read, args=(self._child, here), name="genlab-decode-reader", daemon=True).start()

    def _read(self, child, conn: Connection) -> None:
        """Hand each step's tokens to the waiting requests; when the child dies, fail what it held."""
        while True:
            try:
                news = conn.recv()
            except (EOFError, OSError):  # the child is gone: fail what it held (not what a newer child holds)
                with self._lock:
                    if self._child is child:
                        self._child = None
                    lost = [rid for rid, (_request, holder) in self._live.items() if holder is child]
                    lost = [self._live.pop(rid)[0] for rid in lost]
                for request in lost:
                    request._finish(STOPPED)
                return
            for rid, tokens, done, error, position in news:
                request, _holder = self._live.get(rid, (None, None))
                if request is None:
                    continue
                request.position = position
                for token in tokens:
                    request._append(token)
                if done:
                    with self._lock:
                        self._live.pop(rid, None)
                    request._finish(error)


class RemoteService:
    """GenerationService's interface (submit, queue_position, model) for one model of the decoding process."""

    def __init__(self, process: DecodeProcess, name: str, model: LanguageModel):
        self.process, self.name, self.model = process, name, model

    def submit(self, ids, max_new_tokens, temperature=1.0, top_k=None, top_p=None, seed=None) -> DecodeRequest:
        """Checked here (ValueError at once, in the page's thread), decoded in the child."""
        return self.process.submit(self.name, new_request(self.model, ids, max_new_tokens, temperature, top_k, top_p, seed))

    def queue_position(self, request: DecodeRequest) -> int:
        return request.position


@dataclass
class _Followed:
    """A request in the child, and what the server has been told of it."""

    request: DecodeRequest
    decoder: BatchDecoder
    sent: int = 0  # tokens sent so far
    told: int = -1  # the place in line last sent


def serve(conn: Connection, directory: str, threads: int, max_batch: int) -> None:
    """The child: take requests and cancels, step every model's batch in turn, send back what each step drew.
    Returns when the server says stop or goes away (its end of the pipe closes)."""
    torch.set_num_threads(threads)
    decoders: dict[str, BatchDecoder] = {}
    live: dict[int, _Followed] = {}  # by request id
    last_sent = 0.0
    while True:
        idle = not any(d.pending() for d in decoders.values())
        messages = []
        try:
            while conn.poll(None if idle and not messages else 0):  # idle: sleep until a request comes
                messages.append(conn.recv())
        except EOFError:
            return
        for kind, rid, payload in messages:
            if kind == "stop":
                return
            if kind == "cancel" and rid in live:
                live[rid].request.cancel()
            elif kind == "submit":
                name, prompt, *settings = payload
                try:
                    if name not in decoders:
                        decoders[name] = BatchDecoder(load_gpt(name, Path(directory)), max_batch=max_batch)
                except Exception as e:  # the page reports it; the other models go on
                    conn.send([(rid, [], True, failure(e), 0)])
                    continue
                live[rid] = _Followed(decoders[name].enqueue(DecodeRequest(prompt, *settings)), decoders[name])
        for decoder in decoders.values():
            if decoder.pending():
                decoder.step()
        if time.perf_counter() - last_sent < SEND_EVERY_S and not any(f.request.done for f in live.values()):
            continue  # more tokens in one message: each message costs the server's page threads the GIL
        last_sent = time.perf_counter()
        news = []
        for rid, f in list(live.items()):
            tokens, position = f.request.new_ids[f.sent :], f.decoder.queue_position(f.request)
            if tokens or f.request.done or position != f.told:
                news.append((rid, tokens, f.request.done, f.request.error, position))
                f.sent, f.told = f.sent + len(tokens), position
            if f.request.done:
                del live[rid]
        if news:
            conn.send(news)


if __name__ == "__main__":  # python -m core.gpt.remote FD DIRECTORY THREADS MAX_BATCH, started by DecodeProcess
    fd, directory, threads, max_batch = sys.argv[1:]
    serve(Connection(int(fd)), directory, int(threads), int(max_batch))
