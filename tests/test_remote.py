"""Text generation in its own process (core/gpt/remote.py): the same texts as in-process, cancels that
reach the child, and a child that dies fails its requests with a message instead of leaving them hanging."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from conftest import ROOT
from core.gpt.batch_decode import decode_alone
from core.gpt.model import GPT, GPTConfig, load_gpt
from core.gpt.remote import STOPPED, DecodeProcess
from core.training.checkpoint import save_checkpoint

VOCAB = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def weights(tmp_path):
    """A small untrained GPT saved as the training script saves one."""
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=len(VOCAB), block_size=32, n_embd=32, n_head=2, n_layer=2, dropout=0.0)
    meta = {"model": "gpt", "config": asdict(cfg), "vocab": VOCAB, "metrics": {"val_loss": 4.17}}
    save_checkpoint(GPT(cfg), "gpt-shakespeare", meta, tmp_path)
    return tmp_path


@pytest.fixture
def service(weights):
    process = DecodeProcess(weights)
    yield process.service("gpt-shakespeare", load_gpt("gpt-shakespeare", weights))
    process.close()


def finish(request, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not request.done:
        assert time.monotonic() < deadline, "the request never finished"
        request.wait(len(request.new_ids), timeout=0.5)
    return request


def test_texts_from_the_process_are_the_texts_alone(service):
    model = service.model
    asks = [  # mixed prompt lengths (one longer than the context) and settings, all at once
        ("ROMEO:\n", 40, dict(seed=1)),
        ("", 25, dict(seed=2, temperature=0.7)),
        ("To be, or not to be, that is the question" * 2, 60, dict(seed=3, top_k=5)),
        ("A", 30, dict(seed=4, top_p=0.9)),
        ("JULIET:\n", 35, dict(top_k=1)),  # greedy
    ]
    requests = [service.submit(model.tokenizer.encode(p), n, **s) for p, n, s in asks]
    for request, (prompt, n, settings) in zip(requests, asks, strict=True):
        finish(request)
        assert request.error is None
        assert request.new_ids == decode_alone(model, model.tokenizer.encode(prompt), n, **settings)


def test_bad_settings_fail_at_once_in_the_caller(service):
    with pytest.raises(ValueError, match="temperature"):
        service.submit([1, 2], 10, temperature=0.0)
    with pytest.raises(ValueError, match="ids must be integers"):
        service.submit([999], 10)
    assert service.submit([1], 0).done  # nothing asked: done without a trip to the child


def test_a_cancel_reaches_the_child(service):
    request = service.submit([1, 2, 3], 5000, seed=0)
    request.wait(0, timeout=60)  # it is running
    request.cancel()
    finish(request, timeout=10)
    assert request.error is None and 0 < len(request.new_ids) < 5000
    assert finish(service.submit([1], 5, seed=0)).new_ids  # the process goes on serving


def test_a_child_that_dies_fails_its_requests_and_the_next_request_starts_a_new_one(service):
    request = service.submit([1, 2, 3], 5000, seed=0)
    request.wait(0, timeout=60)
    old = service.process._child
    old.kill()
    finish(request, timeout=10)
    assert request.error == STOPPED
    again = finish(service.submit([1, 2, 3], 20, seed=0))
    assert again.error is None and len(again.new_ids) == 20
    assert service.process._child is not old


def test_the_child_leaves_when_the_server_goes_away(weights):
    """A server killed outright (no close(), no clean exit) leaves no decoding process behind."""
    server = f"""
import os
from pathlib import Path
from core.gpt.model import load_gpt
from core.gpt.remote import DecodeProcess
process = DecodeProcess({str(weights)!r})
service = process.service("gpt-shakespeare", load_gpt("gpt-shakespeare", Path({str(weights)!r})))
request = service.submit([1], 5000, seed=0)
request.wait(0, timeout=60)
print(process._child.pid, flush=True)
os._exit(1)
"""
    out = subprocess.run([sys.executable, "-c", server], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip(), out.stderr[-2000:]
    child = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and "Z" not in Path(f"/proc/{child}/stat").read_text().split()[2]:
        assert time.monotonic() < deadline, "the decoding process outlived its server"
        time.sleep(0.1)
