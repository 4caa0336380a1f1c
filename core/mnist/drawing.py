"""A drawing (a canvas image) turned into an MNIST digit, prepared the way MNIST's own digits were.

MNIST's authors scaled each digit's bounding box to fit 20x20 pixels keeping its aspect ratio,
anti-aliased, then placed it in a 28x28 frame so that its centre of mass sits at the centre. A model
trained on MNIST expects exactly that: a big digit drawn in a corner must be moved and shrunk first.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from i18n import N_, Message

BOX, FRAME = 20, 28
CENTRE = FRAME / 2  # MNIST's centres of mass average (14.0, 14.0) in pixel-index coordinates
MIN_CONTRAST = 0.1  # ink must differ from the background by 10% of the range to count as ink
MIN_INK_SHARE = 1e-4  # fewer ink pixels than this share of the image is a stray mark, not a drawing


class EmptyDrawingError(ValueError):
    """The canvas holds no drawing (or only a faint smudge)."""

    def __init__(self, message: str | None = None):
        super().__init__(message or Message(N_("draw something first")))


def ink_map(image) -> torch.Tensor:
    """A uint8 image (H, W), (H, W, 3) or (H, W, 4) -> (H, W) float ink in [0, 1]: background 0, ink 1.

    Works for dark ink on a light background and light ink on a dark one; for RGBA whose alpha varies
    (a canvas with a transparent background) the drawing is the alpha channel.
    """
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise ValueError(Message(N_("expected a uint8 image (values 0-255), got dtype {dtype}"), dtype=str(a.dtype)))
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise ValueError(Message(N_("expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {shape}"), shape=a.shape))
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(Message(N_("the image has no pixels: shape {shape}"), shape=a.shape))
    x = torch.from_numpy(np.ascontiguousarray(a)).float() / 255
    if x.ndim == 3 and x.shape[2] == 4 and x[..., 3].max() - x[..., 3].min() > MIN_CONTRAST:
        g = x[..., 3]  # transparent background: the colour of a see-through pixel means nothing
    elif x.ndim == 3:
        g = x[..., :3] @ torch.tensor([0.299, 0.587, 0.114])  # luminance, as PIL's convert("L")
    else:
        g = x
    # The background is what fills the border; the ink is the extreme furthest from it, dark or light.
    border = torch.cat([g[0], g[-1], g[:, 0], g[:, -1]])
    bg = border.median()
    lo, hi = g.min(), g.max()
    if bg - lo > hi - bg:  # dark ink on a light background
        g, bg, hi = 1 - g, 1 - bg, 1 - lo
    if hi - bg < MIN_CONTRAST:
        raise EmptyDrawingError()
    return ((g - bg) / (hi - bg)).clamp(0, 1)  # full contrast: faint or coloured ink becomes MNIST's white


def mnist_from_drawing(image) -> torch.Tensor:
    """A canvas image (uint8 (H, W), (H, W, 3) or (H, W, 4), any size, either polarity) -> a float
    tensor (1, 1, 28, 28) in [0, 1], ink = 1, prepared as MNIST was.

    Raises EmptyDrawingError ("draw something first") for an empty canvas, ValueError for a bad image.
    """
    ink = ink_map(image)
    mask = ink > MIN_CONTRAST
    if mask.sum() < max(1, MIN_INK_SHARE * ink.numel()):
        raise EmptyDrawingError()
    rows, cols = mask.any(1).nonzero().squeeze(1), mask.any(0).nonzero().squeeze(1)
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    # The bounding box's longer side becomes 20 pixels. Antialiasing averages every source pixel
    # (as torchvision's resize, which calls this), so a thin stroke turns grey instead of breaking up.
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    digit = F.interpolate(crop[None, None], size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0]
    digit = digit.clamp(0, 1)

    # Place the box so that its centre of mass lands on the frame's centre (rounded to whole pixels),
    # keeping the whole box inside the frame.
    mass = digit.sum()
    cy = (digit.sum(1) * torch.arange(size[0])).sum() / mass
    cx = (digit.sum(0) * torch.arange(size[1])).sum() / mass
    top = min(max(round(CENTRE - cy.item()), 0), FRAME - size[0])
    left = min(max(round(CENTRE - cx.item()), 0), FRAME - size[1])
    out = torch.zeros(1, 1, FRAME, FRAME)
    out[0, 0, top : top + size[0], left : left + size[1]] = digit
    return out


def canvas_like(digits: torch.Tensor, generator: torch.Generator, size: int = 280):
    """MNIST digits as a drawing canvas might send them, one uint8 array at a time: each enlarged to
    size x size, shrunk again by 35-95%, moved off-centre, and delivered in one of five forms (grey ink
    inverted or not, coloured ink on white RGB, black ink on a transparent RGBA canvas, light ink on
    an opaque dark RGBA canvas). `digits` is (N, 1, 28, 28) in [0, 1]. Used to test the preprocessing.
    """
    palette = torch.tensor([[0, 0, 0], [20, 40, 160], [200, 30, 30], [0, 110, 60]], dtype=torch.float32)
    for i, d in enumerate(digits):
        big = F.interpolate(d[None], size=(size, size), mode="bilinear", align_corners=False)
        s = round(size * (0.35 + 0.6 * torch.rand(1, generator=generator).item()))
        small = F.interpolate(big, size=(s, s), mode="bilinear", antialias=True, align_corners=False)[0, 0].clamp(0, 1)
        top, left = torch.randint(0, size - s + 1, (2,), generator=generator).tolist()
        a = torch.zeros(size, size)
        a[top : top + s, left : left + s] = small
        a = a[..., None]  # (H, W, 1) ink in [0, 1]
        form = i % 5
        if form == 0:
            img = 255 * (1 - a[..., 0])  # dark on light
        elif form == 1:
            img = 255 * a[..., 0]  # light on dark
        elif form == 2:
            colour = palette[torch.randint(len(palette), (1,), generator=generator).item()]
            img = 255 * (1 - a) + colour * a  # coloured ink over white paper
        elif form == 3:
            img = torch.cat([torch.zeros(size, size, 3), 255 * a], 2)  # black strokes, see-through elsewhere
        else:
            img = torch.cat([40 + 200 * a.expand(-1, -1, 3), torch.full((size, size, 1), 255.0)], 2)
        yield img.round().clamp(0, 255).to(torch.uint8).numpy()
