"""Text generation for a whole class: every session's request to one model decoded in one batch.

Twenty students pressing Generate at once would, one by one, each read the model's weights for every
character. Batched, one forward pass serves all of them: a BatchDecoder (core/batch_decode.py) holds
the running requests, and this service keeps one task on the compute scheduler stepping it while any
request is running or waiting. A request joins at the next step and leaves when it is done or
cancelled (continuous batching), and its text is the text it would get alone.
"""

from __future__ import annotations

import threading

from core.gpt.batch_decode import BatchDecoder, DecodeRequest
from core.gpt.model import LanguageModel
from core.serving.scheduler import Scheduler

MAX_BATCH = 32  # more requests than this wait for a free row


class GenerationService:
    def __init__(self, model: LanguageModel, scheduler: Scheduler, name: str = "gpt", max_batch: int = MAX_BATCH):
        self.model, self.scheduler = model, scheduler
        self.decoder = BatchDecoder(model, max_batch=max_batch)
        self.owner = f"generate:{name}"  # the batch takes its turns like one more session
        self._lock = threading.Lock()
        self._stepping = False

    def submit(
        self,
        ids: list[int],
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> DecodeRequest:
        """Queue one request (ValueError on settings that make no sense); follow it with request.wait()."""
        request = self.decoder.submit(ids, max_new_tokens, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed)
        with self._lock:
            if not self._stepping:
                self._stepping = True
                self.scheduler.submit_task(self.owner, self._step, serves=self.decoder.pending)
        return request

    def queue_position(self, request: DecodeRequest) -> int:
        return self.decoder.queue_position(request)

    def _step(self) -> bool:
        """One batched decoding step, on a scheduler worker; False when there is nothing left to do."""
        try:
            more = self.decoder.step()
        except Exception:  # the decoder fails its own requests (each says why); this keeps the service alive
            more = False
        if more:
            return True
        with self._lock:  # a request submitted just now must not be left without a task
            if self.decoder.pending():
                return True
            self._stepping = False
            return False
