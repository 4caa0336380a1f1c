"""Pictures made of digits: a grid of tiles as one uint8 image, and PNG bytes for downloads."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid


def image_grid(images: torch.Tensor, ncols: int, scale: int = 1, pad: int = 2) -> np.ndarray:
    """(N, H, W) uint8 or (N, 1, H, W) floats in [0, 1] -> one uint8 picture of the tiles, ncols a row, on white."""
    images = images.detach().cpu().reshape(-1, 1, *images.shape[-2:])
    images = images.float() / 255 if images.dtype == torch.uint8 else images.float().clamp(0, 1)
    grid = (make_grid(images, nrow=ncols, padding=pad, pad_value=1.0)[0] * 255).round().to(torch.uint8).numpy()
    return grid.repeat(scale, 0).repeat(scale, 1) if scale > 1 else grid  # enlarged with crisp pixels


def png_bytes(img: np.ndarray, compress_level: int = 6) -> bytes:
    """A uint8 grey image as PNG bytes (for downloads; compress_level 1 for a picture redrawn every second:
    about ten times faster to make than PIL's default 6, a few percent larger)."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()
