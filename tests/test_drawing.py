"""mnist_from_drawing: canvas images of any size and polarity -> MNIST-style 28x28 digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import load_classifier
from core.mnist.classifier import predict
from core.mnist.drawing import EmptyDrawingError, canvas_like, mnist_from_drawing
from core.training.checkpoint import load_tensors
from core.training.data import load_mnist


def centre_of_mass(x: torch.Tensor) -> tuple[float, float]:
    x = x[0, 0]
    i = torch.arange(28.0)
    return ((x.sum(1) * i).sum() / x.sum()).item(), ((x.sum(0) * i).sum() / x.sum()).item()


def stroke() -> np.ndarray:
    """An L drawn dark on a light, wide canvas, far from its centre."""
    img = np.full((200, 300), 255, np.uint8)
    img[20:120, 30:45] = 0
    img[105:120, 30:90] = 0
    return img


def test_shape_range_box_and_centre():
    x = mnist_from_drawing(stroke())
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() >= 0 and x.max() <= 1 and x.max() > 0.99  # ink = 1, background = 0
    ink = x[0, 0] > 0
    assert ink.any(1).sum() == 20 and ink.any(0).sum() == 12  # the 100x60 box fits 20x20, aspect kept
    cy, cx = centre_of_mass(x)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5  # moved whole pixels: within half a pixel


def test_polarity_and_channels_give_the_same_digit(one_thread):
    img = stroke()
    x = mnist_from_drawing(img)
    rgb = np.repeat(img[..., None], 3, 2)
    ink = 255 - img
    forms = {
        "light on dark": ink,
        "RGB": rgb,
        "RGB light on dark": 255 - rgb,
        "RGBA opaque": np.concatenate([rgb, np.full_like(img, 255)[..., None]], 2),
        "RGBA transparent (black strokes)": np.stack([np.zeros_like(img)] * 3 + [ink], 2),
        "RGBA transparent (white strokes)": np.stack([np.where(ink > 0, 255, 0).astype(np.uint8)] * 3 + [ink], 2),
        "red ink on grey paper": np.stack([np.full_like(img, 230)] + [np.where(ink > 0, 40, 230).astype(np.uint8)] * 2, 2),
    }
    for name, form in forms.items():
        torch.testing.assert_close(mnist_from_drawing(form), x, msg=name)


def test_shipped_digits_pass_through_and_every_canvas_form_reads_alike(one_thread):
    t = load_tensors("gan.history")  # the first test digits, shipped with the weights
    digits, labels = t["digits"][:50].float() / 255, t["digit_labels"][:50]
    # An MNIST digit is already prepared: it comes back (almost) unchanged.
    same = torch.cat([mnist_from_drawing(d[0].mul(255).round().to(torch.uint8).numpy()) for d in digits])
    assert (same - digits).abs().mean() < 0.005
    # One digit in each of canvas_like's five forms gives the same image.
    canvases = list(canvas_like(digits[:1].expand(5, -1, -1, -1), torch.Generator().manual_seed(0)))
    assert [c.shape for c in canvases] == [(280, 280), (280, 280), (280, 280, 3), (280, 280, 4), (280, 280, 4)]
    probs, _ = predict(load_classifier(), torch.cat([mnist_from_drawing(c) for c in canvases]))
    assert (probs.argmax(1) == labels[0]).all()


def test_mnist_test_digits_redrawn_read_as_well(mnist_dir, one_thread):
    x, y = load_mnist(train=False, data_dir=mnist_dir, download=False)
    x, y = x[::10], y[::10]  # 1,000 digits spread over the whole test set
    out = torch.cat([mnist_from_drawing(c) for c in canvas_like(x, torch.Generator().manual_seed(0))])
    probs, _ = predict(load_classifier(), out)
    acc = (probs.argmax(1) == y).float().mean().item()
    assert acc >= 0.97, acc
    # close to the originals: what differs is the blur of enlarging and shrinking again
    assert (out - x).abs().mean() < 0.05


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((280, 280), np.uint8),
        np.full((280, 280, 3), 255, np.uint8),
        np.zeros((280, 280, 4), np.uint8),  # the canvas's transparent blank
        np.full((100, 100), 250, np.uint8) - np.eye(100, dtype=np.uint8) * 10,  # a faint smudge
        np.pad(np.zeros((1, 1), np.uint8), 139, constant_values=255),  # one stray pixel on 279x279
    ],
    ids=["black", "white RGB", "transparent RGBA", "faint", "one pixel"],
)
def test_empty_canvas_says_draw_something(image):
    with pytest.raises(EmptyDrawingError, match="draw something first"):
        mnist_from_drawing(image)
    assert issubclass(EmptyDrawingError, ValueError)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((28, 28), np.float32), "uint8"),
        (np.zeros((28, 28, 2), np.uint8), r"\(H, W\), \(H, W, 3\) or \(H, W, 4\)"),
        (np.zeros((1, 28, 28, 3), np.uint8), "shape"),
        (np.zeros((0, 28), np.uint8), "no pixels"),
    ],
)
def test_bad_input_is_a_clear_error(image, message):
    with pytest.raises(ValueError, match=message) as e:
        mnist_from_drawing(image)
    assert not isinstance(e.value, EmptyDrawingError)
