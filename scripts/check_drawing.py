"""How well the drawing preprocessing recovers MNIST digits: the figure quoted in docs/results.md.

    python scripts/check_drawing.py --data-dir <data>                   # all 10,000 test digits
    python scripts/check_drawing.py --data-dir <data> --n 1000           # every 10th

Each test digit is redrawn as a canvas might send it (core.mnist.drawing.canvas_like: enlarged to 280x280,
shrunk again, moved off-centre, inverted or not, grey, RGB or RGBA), prepared by mnist_from_drawing,
and read by the shipped classifier. Exits 1 when the accuracy is below --min-accuracy.
"""

from __future__ import annotations

import argparse
import time

import torch

import _common  # noqa: F401  (puts the repo root on sys.path)
from core.mnist.classifier import load_classifier, predict
from core.mnist.drawing import canvas_like, mnist_from_drawing
from core.training.data import load_mnist

FORMS = [
    "grey, dark ink on light",
    "grey, light ink on dark",
    "RGB, coloured ink on white",
    "RGBA, transparent canvas",
    "RGBA, light ink on opaque dark",
]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="data root (default: $GENLAB_DATA, else ./data)")
    p.add_argument("--n", type=int, default=None, help="this many test digits, spread evenly (default: all 10,000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sizes, positions and colours")
    p.add_argument("--min-accuracy", type=float, default=0.97)
    args = p.parse_args()
    torch.set_num_threads(1)  # thousands of tiny resizes: more threads only add hand-over costs

    x, y = load_mnist(train=False, data_dir=args.data_dir)
    if args.n:
        keep = torch.linspace(0, len(x) - 1, args.n).round().long()
        x, y = x[keep], y[keep]
    t0 = time.perf_counter()
    out = torch.cat([mnist_from_drawing(c) for c in canvas_like(x, torch.Generator().manual_seed(args.seed))])
    per_digit = (time.perf_counter() - t0) / len(x)

    classifier = load_classifier()
    right = predict(classifier, out)[0].argmax(1) == y
    right_orig = predict(classifier, x)[0].argmax(1) == y
    diff = (out - x).abs().mean((1, 2, 3))
    acc = right.float().mean().item()
    print(f"{len(x):,} MNIST test digits, redrawn on 280x280 canvases (seed {args.seed})")
    print(f"  classifier accuracy after mnist_from_drawing: {acc:.2%}  ({right.sum().item():,} right)")
    print(f"  classifier accuracy on the untouched originals: {right_orig.float().mean().item():.2%}")
    print(f"  mean absolute pixel difference from the original: {diff.mean().item():.4f} (worst digit {diff.max().item():.4f})")
    form = torch.arange(len(x)) % len(FORMS)
    for i, name in enumerate(FORMS):
        print(f"    {name:32s} {right[form == i].float().mean().item():.2%}")
    print(f"  {1000 * per_digit:.1f} ms per drawing, canvas made and prepared (one thread)")
    return 0 if acc >= args.min_accuracy else 1


if __name__ == "__main__":
    raise SystemExit(main())
