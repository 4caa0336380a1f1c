"""Decoding many requests together: continuous batching, for a class that shares one server.

Every step runs the newest token of every request in flight through the model in one batched
forward pass, as vLLM and TGI do. A request joins the batch at the next step and leaves as soon as
it is done or cancelled, freeing its row for the next one in line. Each row keeps its own KV-cache
length, sampling settings and random generator, so a request gets the text it would get alone
(generation.stream): the batch shares the matrix products, nothing else.

    decoder = BatchDecoder(model)
    request = decoder.submit(ids, 300, temperature=0.8, seed=1)   # any thread
    while decoder.step(): pass                                     # one worker thread
    request.new_ids                                                # grows as tokens are drawn

The decoder starts no thread: a scheduler calls step() in a loop, other threads call submit() and
cancel() whenever they like.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from typing import Callable

import torch

from core.gpt.model import LanguageModel
from core.gpt.sampling import check_sampling, invalid_rows, kept_on_rebuild, next_logits, next_token_probs, race


class DecodeRequest:
    """One text being written. new_ids grows as tokens are drawn; wait() blocks until it does."""

    def __init__(
        self, prompt: list[int], max_new_tokens: int, temperature: float, top_k: int | None, top_p: float | None, seed: int | None
    ):
        self.prompt = prompt  # what the model continues: at most one context window, never empty
        self.max_new_tokens = max_new_tokens
        self.temperature, self.top_k, self.top_p = temperature, top_k, top_p
        self.seed = seed
        # its own generator: the random numbers it draws do not depend on who else is in the batch
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.new_ids: list[int] = []
        self.done = False
        self.cancelled = False
        self.error: str | None = None
        self.submitted_at = time.perf_counter()
        self.on_cancel: Callable[[], None] | None = None  # a decoder in another process is told here
        self.position = 0  # its place in line there, as last reported (core/gpt/remote.py)
        self.first_token_at: float | None = None
        self.finished_at: float | None = None
        self._changed = threading.Condition()

    def cancel(self) -> None:
        """Stop writing: the request leaves the batch at the next step (what was written is kept)."""
        if not self.cancelled and not self.done and self.on_cancel is not None:
            self.on_cancel()
        self.cancelled = True

    def wait(self, n_have: int, timeout: float | None = None) -> bool:
        """Block until more than n_have tokens exist or the request is done; False if timeout ran out first."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.new_ids) > n_have or self.done, timeout)

    def _append(self, token: int) -> None:
        with self._changed:
            if self.first_token_at is None:
                self.first_token_at = time.perf_counter()
            self.new_ids.append(token)
            self._changed.notify_all()

    def _finish(self, error: str | None = None) -> None:
        with self._changed:
            self.error = error
            self.done = True
            self.finished_at = time.perf_counter()
            self._changed.notify_all()


class _Row:
    """A request in the running batch, and the tokens it continues from (prompt + what it drew)."""

    def __init__(self, request: DecodeRequest):
        self.request = request
        self.tokens = list(request.prompt)
        self.fresh = True  # its prompt is not in the cache yet
        self.needs_prefill = True  # this step feeds it a whole window, not one token


class BatchDecoder:
    """Continuous batching over one model: up to max_batch requests decode together, the rest wait in line."""

    def __init__(self, model: LanguageModel, max_batch: int = 32):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch!r}")
        self.model = model
        self.max_batch = max_batch
        self._lock = threading.Lock()  # guards _waiting and _rows, shared with submitting threads
        self._stepping = threading.Lock()  # one step at a time
        self._waiting: deque[DecodeRequest] = deque()
        self._rows: list[_Row] = []  # row i of the batch lives in row i of the cache
        self._cache = None  # grows with the batch, up to max_batch rows

    # --- called from any thread ---------------------------------------------------------------------------

    def submit(
        self,
        ids: list[int],
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> DecodeRequest:
        """Queue a request; it joins the batch at the next step with a free row."""
        return self.enqueue(new_request(self.model, ids, max_new_tokens, temperature, top_k, top_p, seed))

    def enqueue(self, request: DecodeRequest) -> DecodeRequest:
        """Queue a request made by new_request() for this decoder's model."""
        if request.max_new_tokens == 0:
            request._finish()
            return request
        with self._lock:
            self._waiting.append(request)
        return request

    def pending(self) -> int:
        """Requests decoding or waiting."""
        with self._lock:
            return len(self._rows) + len(self._waiting)

    def active(self) -> int:
        """Requests decoding now."""
        with self._lock:
            return len(self._rows)

    def queue_position(self, request: DecodeRequest) -> int:
        """0 while decoding (or finished); k >= 1 while waiting: its place in line (k - 1 wait ahead of it)."""
        with self._lock:
            try:
                return self._waiting.index(request) + 1
            except ValueError:
                return 0

    # --- called by the scheduler's one worker thread ---------------------------------------------------------

    def step(self) -> bool:
        """Admit waiting requests, draw one token for every active one, retire the finished.

        Returns True while any request is decoding or waiting.
        """
        with self._stepping:
            with self._lock:
                self._retire([i for i, row in enumerate(self._rows) if row.request.cancelled])
                for request in [r for r in self._waiting if r.cancelled]:  # it leaves the line, never runs
                    self._waiting.remove(request)
                    request._finish()
                while self._waiting and len(self._rows) < self.max_batch:
                    self._rows.append(_Row(self._waiting.popleft()))
                if self.model.supports_cache:
                    self._arrange_cache()
                rows = list(self._rows)
            try:  # without the lock: submit() and cancel() stay instant
                leaving = self._decode(rows) if rows else []
            except Exception as e:  # a bug, not a bad row: fail this batch rather than leave its requests hanging
                for row in rows:
                    if not row.request.done:
                        row.request._finish(failure(e))
                leaving = list(range(len(rows)))
            with self._lock:
                self._retire(leaving)
                return bool(self._rows or self._waiting)

    @torch.inference_mode()
    def _decode(self, rows: list[_Row]) -> list[int]:
        """Draw one token for every row; returns the rows that leave (finished, cancelled or failed)."""
        logits, failed = self._next_logits(rows)
        for i, message in failed.items():
            rows[i].request._finish(message)
        # Rows with the same settings share one next_token_probs call (row by row, the odds are the same
        # numbers) and one draw, in which each row uses its own generator, as generate_tokens does alone.
        by_settings: dict[tuple, list[int]] = {}
        for i, row in enumerate(rows):
            r = row.request
            if i not in failed and not r.cancelled:
                by_settings.setdefault((r.temperature, r.top_k, r.top_p), []).append(i)
        for (temperature, top_k, top_p), members in by_settings.items():
            probs = next_token_probs(logits if len(members) == len(rows) else logits[members], temperature, top_k, top_p)
            if bad := invalid_rows(probs):  # NaN odds, say: those rows fail, the others go on
                for j in bad:
                    failed[members[j]] = failure(RuntimeError("the model's odds hold NaN or infinity"))
                    rows[members[j]].request._finish(failed[members[j]])
                keep = [j for j in range(len(members)) if j not in bad]
                probs, members = probs[keep], [members[j] for j in keep]
            if not members:
                continue
            tokens = race(probs, [rows[i].request.generator for i in members]).flatten().tolist()
            for i, token in zip(members, tokens):
                rows[i].tokens.append(token)
                rows[i].request._append(token)
        return [
            i
            for i, row in enumerate(rows)
            if i in failed or row.request.cancelled or len(row.request.new_ids) >= row.request.max_new_tokens
        ]

    def _retire(self, leaving: list[int]) -> None:
        """Take rows out of the batch; the last row moves into each gap, so busy rows stay together."""
        for i in sorted(set(leaving), reverse=True):  # from the back: a row moved forward is never one leaving
            request = self._rows[i].request
            if not request.done:
                request._finish()
            last = len(self._rows) - 1
            if i != last:
                if self._cache is not None:
                    self._cache.move_row(last, i)
                self._rows[i] = self._rows[last]
            self._rows.pop()

    def _arrange_cache(self) -> None:
        """Grow the cache to the batch, and put the rows that need a prefill behind the ones that step.

        A row needs a prefill when its prompt is not cached yet, or when its cache holds a whole window:
        then, as in generate_tokens, it is rebuilt from its last kept_on_rebuild(block_size) tokens. The rows that
        step by one token then form one slice of the cache (one batched forward, no gather).
        """
        n, block = len(self._rows), self.model.block_size
        if self._cache is None or len(self._cache.lengths) < n:
            self._grow_cache(n)
        lengths = self._cache.lengths
        for i, row in enumerate(self._rows):
            row.needs_prefill = row.fresh or lengths[i] >= block
        i, j = 0, n - 1
        while True:
            while i < j and not self._rows[i].needs_prefill:
                i += 1
            while i < j and self._rows[j].needs_prefill:
                j -= 1
            if i >= j:
                break
            self._cache.move_row(j, i)  # row i's cache is rebuilt anyway: only row j's is copied
            self._rows[i], self._rows[j] = self._rows[j], self._rows[i]
        # The prefills last, by length, so rows of one length prefill together. Their caches are rebuilt:
        # they move without copying anything.
        steps = sum(not row.needs_prefill for row in self._rows)
        self._rows[steps:] = sorted(self._rows[steps:], key=lambda row: len(_context(row, block)))

    def _grow_cache(self, n: int) -> None:
        size = min(self.max_batch, max(n, 2 * len(self._cache.lengths) if self._cache else 4))
        bigger = self.model.new_cache(size)
        if self._cache is not None:
            old = len(self._cache.lengths)
            bigger.k[:, :old] = self._cache.k
            bigger.v[:, :old] = self._cache.v
            bigger.lengths[:old] = self._cache.lengths
        self._cache = bigger

    def _next_logits(self, rows: list[_Row]) -> tuple[torch.Tensor, dict[int, str]]:
        """Every row's logits for its next token (len(rows), vocab), and why the forward failed for some rows."""
        failed: dict[int, str] = {}
        parts = self._cached_logits(rows, failed) if self.model.supports_cache else self._recomputed_logits(rows, failed)
        if len(parts) == 1 and len(parts[0][0]) == len(rows):  # the usual step: one forward for every row
            return parts[0][1], failed
        dtype = parts[0][1].dtype if parts else torch.float32
        logits = torch.zeros(len(rows), self.model.vocab_size, dtype=dtype)  # a failed row's zeros are never drawn from
        for members, part in parts:
            logits[members] = part
        return logits, failed

    def _cached_logits(self, rows: list[_Row], failed: dict[int, str]) -> list[tuple[list[int], torch.Tensor]]:
        model, block, cache = self.model, self.model.block_size, self._cache
        parts = []
        steps = sum(not row.needs_prefill for row in rows)  # rows 0..steps-1, thanks to _arrange_cache
        if steps:
            idx = torch.tensor([[row.tokens[-1]] for row in rows[:steps]])
            try:
                parts.append((list(range(steps)), next_logits(model, idx, cache.view(0, steps))))
            except Exception as e:  # every row of this forward fails; the decoder goes on
                failed.update((i, failure(e)) for i in range(steps))
        # One forward per run of prefills of one length (_arrange_cache sorted them), shaped as in generate_tokens.
        contexts = {i: _context(rows[i], block) for i in range(steps, len(rows))}
        for _, run in itertools.groupby(contexts, key=lambda i: len(contexts[i])):
            members = list(run)
            view = cache.view(members[0], members[-1] + 1)
            view.clear()
            try:
                parts.append((members, next_logits(model, torch.tensor([contexts[i] for i in members]), view)))
                for i in members:
                    rows[i].fresh = False
            except Exception as e:
                failed.update((i, failure(e)) for i in members)
        return parts

    def _recomputed_logits(self, rows: list[_Row], failed: dict[int, str]) -> list[tuple[list[int], torch.Tensor]]:
        """No cache: feed each row its last window; rows with windows of one length share a forward."""
        block = self.model.block_size
        by_length: dict[int, list[int]] = {}
        for i, row in enumerate(rows):
            by_length.setdefault(min(len(row.tokens), block), []).append(i)
        parts = []
        for members in by_length.values():
            try:
                parts.append((members, next_logits(self.model, torch.tensor([rows[i].tokens[-block:] for i in members]))))
            except Exception as e:
                failed.update((i, failure(e)) for i in members)
        return parts


def _context(row: _Row, block: int) -> list[int]:
    """What a prefill feeds a row: its prompt (one window), or, when its cache holds a whole window, the
    last quarter window (as in generate_tokens)."""
    return row.tokens[-block:] if row.fresh else row.tokens[-kept_on_rebuild(block) :]


def new_request(
    model: LanguageModel,
    ids: list[int],
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
) -> DecodeRequest:
    """A checked request for `model` (ValueError on settings that make no sense), its prompt cut to one window."""
    check_sampling(max_new_tokens, temperature, top_k, top_p, model.vocab_size)
    ids = list(ids)
    if not ids:  # an empty prompt starts from a newline, as stream() does
        if getattr(model, "tokenizer", None) is None:
            raise ValueError("ids must hold at least one token (this model has no tokenizer to start from '\\n')")
        ids = model.tokenizer.encode("\n")
    if not all(isinstance(i, int) and 0 <= i < model.vocab_size for i in ids):
        raise ValueError(f"ids must be integers from 0 to {model.vocab_size - 1}")
    # only the last window can influence the next token
    return DecodeRequest(ids[-model.block_size :], max_new_tokens, temperature, top_k, top_p, seed)


def failure(e: Exception) -> str:
    """How a failed request says why (the page shows it)."""
    return f"generation failed: {type(e).__name__}: {e}"


def decode_alone(model: LanguageModel, ids: list[int], max_new_tokens: int, **sampling) -> list[int]:
    """One request through a fresh decoder, to completion: the new token ids."""
    decoder = BatchDecoder(model, max_batch=1)
    request = decoder.submit(ids, max_new_tokens, **sampling)
    while decoder.step():
        pass
    if request.error:
        raise RuntimeError(request.error)
    return request.new_ids
