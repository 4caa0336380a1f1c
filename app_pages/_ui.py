"""Small UI helpers every page shares (no model logic here: that lives in core/)."""
from __future__ import annotations

import traceback

import numpy as np
import streamlit as st
import torch

from core.checkpoint import WeightsError


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


def weights_error(e: Exception) -> None:
    st.error(f"**This page needs model files that could not be loaded.**\n\n{e}", icon="📦")


def load(loader, *args):
    """Call a cached loader; on missing or corrupt weights explain it and stop this page."""
    try:
        return loader(*args)
    except WeightsError as e:
        weights_error(e)
        st.stop()


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
