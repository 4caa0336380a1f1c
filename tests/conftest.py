"""Shared fixtures. Tests that need a real dataset or Chromium skip where it is absent, unless
GENLAB_REQUIRE_DATA / GENLAB_REQUIRE_BROWSER are set (CI sets both, turning the skip into a failure)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.training.data import data_root

ROOT = Path(__file__).resolve().parent.parent


def need(condition: bool, reason: str, require_var: str) -> None:
    """Skip with a reason, or fail when the environment says this must run."""
    if condition:
        return
    if os.environ.get(require_var):
        pytest.fail(f"{reason} ({require_var} is set, so this may not be skipped)")
    pytest.skip(reason)


@pytest.fixture
def mnist_dir() -> Path:
    root = data_root(os.environ.get("GENLAB_DATA"))
    need(
        os.environ.get("GENLAB_DATA") is not None and (root / "MNIST" / "raw").is_dir(),
        "MNIST not found: set GENLAB_DATA to a folder holding MNIST/raw/",
        "GENLAB_REQUIRE_DATA",
    )
    return root


@pytest.fixture
def shakespeare_dir() -> Path:
    root = data_root(os.environ.get("GENLAB_DATA"))
    need(
        os.environ.get("GENLAB_DATA") is not None and (root / "tinyshakespeare" / "input.txt").is_file(),
        "tiny Shakespeare not found: set GENLAB_DATA to a folder holding tinyshakespeare/input.txt",
        "GENLAB_REQUIRE_DATA",
    )
    return root


@pytest.fixture
def one_thread():
    """Tiny networks run fastest on one thread (and on a busy machine two threads crawl)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def app():
    """An AppTest of the whole app; call app.switch_page("app_pages/x.py").run() to open a page."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


@pytest.fixture(autouse=True)
def _stop_decoding_processes():
    """Each test's weights folder gets its own text-generation process (core/gpt/remote.py): stop them after it."""
    yield
    from core.gpt.remote import DecodeProcess

    DecodeProcess.close_all()


def no_errors(at) -> None:
    """The page ran without an exception and shows no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _write_idx(path: Path, array) -> None:
    """Write a uint8 array in MNIST's IDX format (what torchvision reads from MNIST/raw/)."""
    import numpy as np

    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.tobytes())


@pytest.fixture
def tiny_mnist(tmp_path) -> Path:
    """A data root holding a tiny random MNIST (256 train, 64 test) in torchvision's layout."""
    import numpy as np

    rng = np.random.default_rng(0)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", 256), ("t10k", 64)):
        _write_idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(raw / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n))
    return tmp_path


@pytest.fixture
def tiny_shakespeare(tmp_path) -> Path:
    """A data root holding a short stand-in for tinyshakespeare/input.txt."""
    d = tmp_path / "tinyshakespeare"
    d.mkdir(parents=True)
    verse = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    (d / "input.txt").write_text(verse * 60)
    return tmp_path


# --- the real browser: one Streamlit server for every browser test (tests/test_browser.py, tests/test_accessibility.py)

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    return path if path and Path(path).exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    """`streamlit run app.py` on a free port, started once for the session's browser tests: its URL."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
