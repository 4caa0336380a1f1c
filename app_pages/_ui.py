"""Small UI helpers every page shares (no model logic here: that lives in core/)."""

from __future__ import annotations

import functools
import traceback
from pathlib import Path

import numpy as np
import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.cache import SERVER_ID, janitor, scheduler
from core.checkpoint import WeightsError
from core.scheduler import Job

TEXT_DIR = Path(__file__).resolve().parent.parent / "text"  # long explanations, one Markdown file each
QUICK_S = 0.3  # a job that finishes within this never shows a waiting line


def run_page(page) -> None:
    """Run one page; an unexpected error becomes a friendly message on that page only."""
    try:
        page.run()
    except WeightsError as e:
        weights_error(e)
    except Exception as e:  # never show a learner a traceback; the other pages keep working
        st.error(f"Sorry, this page hit an unexpected problem: {type(e).__name__}: {e}")
        with st.expander("Details for a bug report"):
            st.code(traceback.format_exc())


@functools.cache
def prose(name: str) -> str:
    """The explanation text/en/<name>.md, as Markdown (read once per server)."""
    return (TEXT_DIR / "en" / f"{name}.md").read_text(encoding="utf-8")


def weights_error(e: Exception) -> None:
    st.error(f"**This page needs model files that could not be loaded.**\n\n{e}", icon=":material/inventory_2:")


def load(loader, *args):
    """Call a cached loader; on missing or corrupt weights explain it and stop this page."""
    try:
        return loader(*args)
    except WeightsError as e:
        weights_error(e)
        st.stop()


def session_owner() -> str:
    """Who this session's work belongs to on the scheduler: its jobs take turns with other sessions'."""
    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id}" if ctx else "session:none"


def hold(obj):
    """Register a heavy per-session object (one with .release()) to be freed when this session ends,
    even while Streamlit still keeps the ended session around. Returns obj."""
    if (j := janitor()) is not None and (ctx := get_script_run_ctx()) is not None:
        j.hold(ctx.session_id, obj)
    return obj


def compute(fn, /, *args, **kwargs):
    """Run model work on the server's scheduler, in this session's turn, and return its result.

    While it waits in line the page says so; every redraw lets Streamlit stop this run if the
    learner clicks something else meanwhile.
    """
    return wait(scheduler().submit(session_owner(), fn, *args, **kwargs))


def wait(job: Job, what: str = "Waiting for the server"):
    if not job.wait(QUICK_S):
        box = st.empty()
        while not job.wait(0.2):
            ahead = job.ahead()
            place = f": {ahead} ahead of you in line" if ahead else ""
            box.caption(f":material/hourglass_empty: {what}{place}…")
        box.empty()
    return job.result()


def remember_run(name: str) -> None:
    """Note in the URL that this session holds a result made by this server process."""
    if st.query_params.get(name) != SERVER_ID:
        st.query_params[name] = SERVER_ID
    st.session_state.pop(f"_{name}_lost", None)


def lost_run_notice(name: str, message: str) -> None:
    """A new session whose URL says it held a result on another server process: the server restarted
    (the browser reconnected by itself) and the result is gone. Say so plainly until a new result."""
    if f"_{name}_checked" not in st.session_state:
        st.session_state[f"_{name}_checked"] = True
        made_by = st.query_params.get(name)
        if made_by and made_by != SERVER_ID:
            st.session_state[f"_{name}_lost"] = True
            del st.query_params[name]
    if st.session_state.get(f"_{name}_lost"):
        st.info(message, icon=":material/power_off:")


def to_image(x: torch.Tensor, scale: int = 1) -> np.ndarray:
    """A (1, 28, 28) or (28, 28) tensor in [0, 1] -> uint8 array, optionally enlarged (crisp pixels)."""
    img = (x.detach().squeeze().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
    return img.repeat(scale, 0).repeat(scale, 1) if scale > 1 else img


def image_grid(images: torch.Tensor, ncols: int, pad: int = 2, scale: int = 1) -> np.ndarray:
    """(N, 1, H, W) or (N, H, W) in [0, 1] -> one uint8 image of the tiles in rows of ncols."""
    images = images.detach().reshape(len(images), *images.shape[-2:]).clamp(0, 1).cpu()
    n, h, w = images.shape
    nrows = -(-n // ncols)
    grid = torch.ones(nrows * (h + pad) + pad, ncols * (w + pad) + pad)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = img
    return to_image(grid, scale)
