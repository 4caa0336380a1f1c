"""The digit classifier and the measures built on it."""

import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from core.mnist.classifier import (
    ClassifierConfig,
    DigitClassifier,
    accuracy,
    class_report,
    frechet_distance,
    gaussian_stats,
    load_classifier,
    predict,
    train_epoch,
)
from core.training.checkpoint import weights_dir
from core.training.data import load_mnist


def test_classifier_shapes():
    model = DigitClassifier(ClassifierConfig(channels=4, features=8))
    probs, feats = predict(model, torch.rand(5, 1, 28, 28))
    assert probs.shape == (5, 10) and feats.shape == (5, 8)
    assert torch.allclose(probs.sum(1), torch.ones(5))


def test_classifier_learns_a_tiny_task():
    g = torch.Generator().manual_seed(0)
    # two "digits": a bright top half or a bright bottom half
    x = torch.zeros(64, 1, 28, 28)
    y = torch.arange(64) % 2
    x[y == 0, :, :14] = 1
    x[y == 1, :, 14:] = 1
    model = DigitClassifier(ClassifierConfig(channels=4, features=8, dropout=0.0))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(10):
        train_epoch(model, opt, x, y, 16, g)
    assert accuracy(model, x, y) == 1.0


def test_class_report_counts_shares_and_confidence():
    probs = torch.tensor([[0.95] + [0.05 / 9] * 9, [0.95] + [0.05 / 9] * 9, [0.0, 0.5, 0.5] + [0.0] * 7])
    r = class_report(probs)
    assert r["shares"][0] == pytest.approx(2 / 3) and sum(r["shares"]) == pytest.approx(1)
    assert r["confident_share"] == pytest.approx(2 / 3)


def test_frechet_distance_is_zero_for_equal_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2000, 4, generator=g)
    b = torch.randn(2000, 4, generator=g)
    assert frechet_distance(gaussian_stats(a), gaussian_stats(a)) == pytest.approx(0, abs=1e-6)
    near = frechet_distance(gaussian_stats(a), gaussian_stats(b))
    far = frechet_distance(gaussian_stats(a), gaussian_stats(b + 2))
    assert near < 0.1 and far == pytest.approx(16, rel=0.1)  # ||shift||^2 = 4 * 2^2


def test_classifier_script_smoke_run_writes_loadable_weights(tiny_mnist, tmp_path):
    out = tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            "scripts/train_classifier.py",
            "--data-dir",
            str(tiny_mnist),
            "--device",
            "cpu",
            "--max-steps",
            "2",
            "--epochs",
            "1",
            "--out-dir",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    model = load_classifier(out)
    assert predict(model, torch.rand(3, 1, 28, 28))[0].shape == (3, 10)


def test_shipped_classifier_reaches_99_percent(mnist_dir):
    x, y = load_mnist(train=False, data_dir=mnist_dir, download=False)
    assert accuracy(load_classifier(weights_dir()), x, y) >= 0.99
