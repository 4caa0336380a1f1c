"""The DCGAN, the shared trainer, the toy 2-D GAN, the training history file and the live session,
all on tiny synthetic data (plus one smoke run of scripts/train_gan.py on a tiny fake MNIST)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.gan.history import TrainingHistory, losses_from_tensors, moments_from_tensors
from core.gan.live import LiveDigitGAN, LiveGAN, LiveToyGAN, check_losses, digit_sampler, mnist_digits, shipped_digits, smooth_curve
from core.gan.model import GANConfig, GANTrainer, TrainSettings, load_generator, load_history, lr_scale, mnist_sampler, new_mnist_gan
from core.gan.toy import TOY_SETTINGS, discriminator_map, generate, make_distribution, mode_coverage, ring, toy_trainer
from core.mnist.classifier import ClassifierConfig, DigitClassifier
from core.training.checkpoint import load_tensors, save_checkpoint, save_tensors
from core.training.data import DataUnavailableError

ROOT = Path(__file__).resolve().parent.parent
TINY = GANConfig(latent_dim=8, g_channels=4, d_channels=4)


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny_classifier() -> DigitClassifier:
    """An untrained classifier: its verdicts are arbitrary but have the right shapes."""
    return DigitClassifier(ClassifierConfig(channels=4, features=8)).eval()


def random_digits(n: int = 64, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


# -- the DCGAN and the trainer ---------------------------------------------------------------


def test_generator_and_discriminator_shapes_and_ranges():
    G, D = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    z = torch.randn(5, TINY.latent_dim, generator=torch.Generator().manual_seed(1))
    images = G(z)
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1  # tanh output, the range real batches are scaled to
    logits = D(images)
    assert logits.shape == (5,)
    assert torch.isfinite(logits).all()


def test_one_trainer_step_changes_both_networks_and_returns_finite_losses():
    G, D = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    before_g = [p.detach().clone() for p in G.parameters()]
    before_d = [p.detach().clone() for p in D.parameters()]
    trainer = GANTrainer(
        G, D, mnist_sampler(random_digits()), TINY.latent_dim, TrainSettings(batch_size=8), torch.Generator().manual_seed(2)
    )
    stats = trainer.step()
    assert trainer.steps == stats["step"] == 1
    assert all(math.isfinite(stats[k]) for k in ("loss_d", "loss_g", "d_real", "d_fake"))
    assert 0 <= stats["d_real"] <= 1 and 0 <= stats["d_fake"] <= 1
    assert any(not torch.equal(a, b) for a, b in zip(before_g, G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before_d, D.parameters()))


def test_moving_average_generator_trails_the_trained_one():
    G, D = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    start = [p.detach().clone() for p in G.parameters()]
    trainer = GANTrainer(
        G,
        D,
        mnist_sampler(random_digits()),
        TINY.latent_dim,
        TrainSettings(batch_size=8),
        torch.Generator().manual_seed(2),
        ema_decay=0.999,
    )
    assert trainer.sampler is trainer.G_ema
    trainer.step()
    decay = 2 / 11  # the warm-up decay after one step: (1 + 1) / (10 + 1)
    for p0, p, p_ema in zip(start, G.parameters(), trainer.G_ema.parameters()):
        assert torch.allclose(p_ema, decay * p0 + (1 - decay) * p, atol=1e-6)
    assert any(not torch.equal(p, q) for p, q in zip(G.parameters(), trainer.G_ema.parameters()))
    assert GANTrainer(G, D, mnist_sampler(random_digits()), TINY.latent_dim).sampler is G  # no average asked


def test_update_settings_changes_learning_rates_and_batch_size():
    G, D = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    seen = []

    def sample(n, gen):
        seen.append(n)
        return torch.zeros(n, 1, 28, 28)

    trainer = GANTrainer(G, D, sample, TINY.latent_dim, TrainSettings(batch_size=8), torch.Generator().manual_seed(0))
    trainer.update_settings(TrainSettings(lr_g=1e-3, lr_d=5e-4, batch_size=4, d_steps=3))
    trainer.step()
    assert seen == [4, 4, 4]  # three discriminator updates, each on a batch of 4
    assert trainer.opt_g.param_groups[0]["lr"] == 1e-3 and trainer.opt_d.param_groups[0]["lr"] == 5e-4


def test_spectral_norm_discriminator_has_no_batchnorm_and_unit_largest_stretch():
    cfg = GANConfig(latent_dim=8, g_channels=4, d_channels=4, spectral_norm=True)
    torch.manual_seed(1)
    G, D = new_mnist_gan(cfg, torch.Generator().manual_seed(0))
    torch.manual_seed(2)  # another global seed: every weight that counts comes from the generator
    _, D_again = new_mnist_gan(cfg, torch.Generator().manual_seed(0))
    for (name, a), b in zip(D.state_dict().items(), D_again.state_dict().values()):
        assert torch.equal(a, b), name  # raw weights and the power iteration's vectors alike
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in G.modules())  # the generator keeps its own
    with torch.no_grad():
        D(G(torch.zeros(2, cfg.latent_dim)))  # one more power iteration, as in training
    layers = [m for m in D.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(layers) == 4
    for m in layers:  # the largest singular value is a power-iteration estimate: close to 1, not exactly
        assert torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2).item() == pytest.approx(1.0, abs=0.05)
        raw = m.parametrizations.weight.original
        assert torch.linalg.matrix_norm(raw.detach().flatten(1), ord=2) < 0.9  # DCGAN's small start, rescaled to 1


class ConstantCritic(torch.nn.Module):
    """A discriminator that says the same logit for every image: the losses can be worked out by hand."""

    def __init__(self, logit: float):
        super().__init__()
        self.logit = torch.nn.Parameter(torch.tensor(logit))

    def forward(self, x):
        return self.logit.expand(len(x))


@pytest.mark.parametrize(
    "loss, loss_d, grad_d, loss_g",
    [
        ("hinge", 3.0, 1.0, lambda b: -b),  # relu(1 - 2) + relu(1 + 2); G raises the logit of its fakes
        ("bce", math.log1p(math.exp(-2)) + math.log1p(math.exp(2)), 2 * torch.sigmoid(torch.tensor(2.0)).item() - 1, None),
    ],
)
def test_losses_of_both_players(loss, loss_d, grad_d, loss_g):
    G, _ = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    D = ConstantCritic(2.0)
    settings = TrainSettings(lr_d=1e-2, batch_size=4)
    trainer = GANTrainer(G, D, mnist_sampler(random_digits()), TINY.latent_dim, settings, torch.Generator().manual_seed(0), loss=loss)
    stats = trainer.step()
    assert stats["loss_d"] == pytest.approx(loss_d, abs=1e-5)
    after = D.logit.item()
    assert after == pytest.approx(2.0 - 1e-2 * math.copysign(1, grad_d), abs=1e-5)  # Adam's first step: lr times the sign
    expected_g = loss_g(after) if loss_g else math.log1p(math.exp(-after))
    assert stats["loss_g"] == pytest.approx(expected_g, abs=1e-5)


def test_unknown_loss_and_adam_betas():
    G, D = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="hinge"):
        GANTrainer(G, D, mnist_sampler(random_digits()), TINY.latent_dim, loss="wasserstein")
    trainer = GANTrainer(G, D, mnist_sampler(random_digits()), TINY.latent_dim, TrainSettings(beta1=0.0, beta2=0.9))
    assert trainer.opt_g.param_groups[0]["betas"] == trainer.opt_d.param_groups[0]["betas"] == (0.0, 0.9)


# -- the toy 2-D GAN -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ring", "grid", "moons"])
def test_distributions_sample_points_on_their_modes(name):
    dist = make_distribution(name)
    points = dist.sample(2000, torch.Generator().manual_seed(0))
    assert points.shape == (2000, 2)
    assert points.abs().max() < dist.extent  # the page's square shows all the data
    cov = mode_coverage(points, dist)
    assert cov["covered"] == dist.n_modes  # real data covers every mode...
    assert cov["quality"] > 0.95  # ...and lies on them


def test_mode_coverage_counts_only_modes_with_a_fair_share():
    dist = ring(n_modes=8)
    centres = dist.anchors
    on_three = torch.cat([centres[0].repeat(50, 1), centres[3].repeat(40, 1), centres[5].repeat(10, 1)])
    cov = mode_coverage(on_three, dist)
    # 100 points, fair share 12.5, a quarter of it 3.1: modes 0, 3 and 5 all count
    assert cov["covered"] == 3 and cov["counts"][0] == 50 and cov["quality"] == 1.0
    far = torch.zeros(100, 2)  # the ring's empty centre
    assert mode_coverage(far, dist) == {"covered": 0, "n_modes": 8, "counts": [0] * 8, "quality": 0.0}
    lopsided = torch.cat([centres[0].repeat(98, 1), centres[1].repeat(2, 1)])
    assert mode_coverage(lopsided, dist)["covered"] == 1  # 2 points are less than a quarter of a fair share


def test_toy_gan_on_the_ring_covers_more_modes_after_a_few_hundred_steps():
    dist = ring()
    trainer = toy_trainer(dist, seed=0)
    z = torch.randn(2000, trainer.latent_dim, generator=torch.Generator().manual_seed(99))
    before = mode_coverage(generate(trainer.G, z), dist)
    for _ in range(600):
        stats = trainer.step()
    after = mode_coverage(generate(trainer.G, z), dist)
    assert math.isfinite(stats["loss_d"]) and math.isfinite(stats["loss_g"])
    assert after["covered"] >= before["covered"] + 3
    assert after["quality"] > before["quality"]


def test_toy_trainer_is_reproducible_from_its_seed():
    a, b = toy_trainer(ring(), seed=3), toy_trainer(ring(), seed=3)
    for _ in range(5):
        sa, sb = a.step(), b.step()
    assert sa == sb


def test_discriminator_map_is_a_probability_grid():
    trainer = toy_trainer(ring(), seed=0)
    ticks, probs = discriminator_map(trainer.D, extent=3.0, resolution=20)
    assert ticks.shape == (20,) and ticks[0] == -3 and ticks[-1] == 3
    assert probs.shape == (20, 20)
    assert probs.min() >= 0 and probs.max() <= 1


# -- the saved training history --------------------------------------------------------------


def test_history_round_trips_through_a_safetensors_file(tmp_path):
    G, D = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    trainer = GANTrainer(
        G, D, mnist_sampler(random_digits()), TINY.latent_dim, TrainSettings(batch_size=8), torch.Generator().manual_seed(1)
    )
    classifier = tiny_classifier()
    real_feats = classifier.features(random_digits(40, seed=5)).detach()
    fixed = torch.randn(6, TINY.latent_dim, generator=torch.Generator().manual_seed(2))
    history = TrainingHistory(fixed, classifier, real_feats, n_eval=32)
    history.snapshot(G, 0)
    for _ in range(3):
        history.log(trainer.step())
    history.snapshot(G, 3)

    save_tensors(tmp_path / "gan.history.safetensors", history.to_tensors())
    loaded = load_tensors("gan.history", tmp_path)
    moments = moments_from_tensors(loaded)
    assert [m["step"] for m in moments] == [0, 3]
    for saved, original in zip(moments, history.moments):
        assert saved["samples"].dtype == torch.uint8 and saved["samples"].shape == (6, 28, 28)
        assert torch.equal(saved["samples"], original["samples"])
        assert saved["shares"] == pytest.approx(original["shares"])
        assert sum(saved["shares"]) == pytest.approx(1.0)
        assert saved["fid"] == pytest.approx(original["fid"], rel=1e-5)
        assert saved["confident_share"] == pytest.approx(original["confident_share"])
    losses = losses_from_tensors(loaded)
    assert losses["step"] == [1, 2, 3]
    assert losses["loss_g"] == pytest.approx(history.losses["loss_g"])


def test_history_stays_bounded():
    G, _ = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    history = TrainingHistory(torch.zeros(2, TINY.latent_dim), max_points=10, max_moments=5)
    for step in range(1, 101):
        history.log({"step": step, "loss_d": 1.0, "loss_g": 1.0, "d_real": 0.5, "d_fake": 0.5})
    for step in range(12):
        history.snapshot(G, step)
    assert len(history.losses["step"]) <= 10 and history.losses["step"][-1] > 80
    assert len(history.moments) <= 5 and history.moments[0]["step"] == 0


def test_lr_scale_holds_then_falls_linearly_to_zero():
    assert lr_scale(500, None, 1000) == 1.0
    assert lr_scale(599, 600, 1000) == 1.0
    assert lr_scale(800, 600, 1000) == pytest.approx(0.5)
    assert lr_scale(1000, 600, 1000) == 0.0
    assert lr_scale(1200, 600, 1000) == 0.0  # a resumed run past its end never goes negative


# -- the training script ---------------------------------------------------------------------


def test_train_gan_script_smoke_run_writes_files_that_load(tiny_mnist, tmp_path):
    # The script scores samples with weights_dir()/classifier.*: give it a tiny one of its own.
    clf_dir = tmp_path / "clf"
    save_checkpoint(tiny_classifier(), "classifier", {"config": {"channels": 4, "features": 8, "dropout": 0.25}}, clf_dir)
    out = tmp_path / "out"
    env = {**os.environ, "GENLAB_WEIGHTS": str(clf_dir), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "scripts/train_gan.py",
        "--data-dir",
        str(tiny_mnist),
        "--device",
        "cpu",
        "--max-steps",
        "3",
        "--batch-size",
        "16",
        "--channels",
        "8",
        "--d-channels",
        "6",
        "--decay-from",
        "1",
        "--spectral-norm",
        "--loss",
        "hinge",
        "--lr-d",
        "4e-4",
        "--out-dir",
        str(out),
    ]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]

    G = load_generator(out)
    assert G(torch.zeros(2, G.latent_dim)).shape == (2, 1, 28, 28)
    tensors, meta = load_history(out)
    assert meta["steps"] == 3 and meta["config"]["g_channels"] == 8 and meta["config"]["d_channels"] == 6
    assert meta["lr_decay_from"] == 1
    assert meta["config"]["spectral_norm"] and meta["loss"] == "hinge" and meta["train_settings"]["lr_d"] == 4e-4
    metrics = meta["metrics"]
    assert len(metrics["confident_share_seeds"]) == len(metrics["eval_seeds"]) == 5
    assert metrics["confident_share_seeds"][0] == metrics["confident_share"] and metrics["eval_seeds"][0] == metrics["eval_seed"]
    assert 0 <= metrics["class_share_range"][0] <= metrics["class_share_range"][1] <= 1
    assert math.isfinite(meta["metrics"]["fid_floor"])
    moments = moments_from_tensors(tensors)
    assert moments[0]["step"] == 0 and moments[-1]["step"] == 3
    assert len(moments[0]["shares"]) == 10
    assert losses_from_tensors(tensors)["step"] == [1, 2, 3]
    assert tensors["digits"].shape == (64, 1, 28, 28) and tensors["digits"].dtype == torch.uint8
    assert json.loads((out / "gan.json").read_text())["name"] == "gan"


# -- the live session ------------------------------------------------------------------------


def test_check_losses_spots_nan_and_explosions():
    ok = {"step": 7, "loss_d": 1.2, "loss_g": 0.8}
    assert check_losses(ok) is None
    assert "not a number" in check_losses({**ok, "loss_g": float("nan")})
    assert "exploded" in check_losses({**ok, "loss_d": 80.0})
    assert "step 7" in check_losses({**ok, "loss_d": float("inf")})


def test_live_session_pauses_on_nan_loss():
    G, D = new_mnist_gan(TINY, torch.Generator().manual_seed(0))
    poisoned = lambda n, gen: torch.full((n, 1, 28, 28), float("nan"))  # noqa: E731
    trainer = GANTrainer(G, D, poisoned, TINY.latent_dim, TrainSettings(batch_size=4), torch.Generator())
    live = LiveGAN(trainer, TrainingHistory(torch.zeros(4, TINY.latent_dim)))
    live.running = True
    assert live.run(50) == 1  # stopped right after the bad step...
    assert not live.running  # ...paused itself...
    assert "not a number" in live.problem
    assert live.run(50) == 0  # ...and refuses to go on until it is replaced
    assert len(live.history.losses["step"]) == 1


def test_live_digit_gan_trains_snapshots_and_changes_settings():
    data = shipped_digits({"digits": (random_digits(32) * 255).to(torch.uint8)})
    assert not data.from_mnist and "32" in data.description
    live = LiveDigitGAN(data, tiny_classifier(), seed=0, cfg=TINY, n_show=9, n_eval=16)
    live.snapshot_every = 2
    assert [m["step"] for m in live.history.moments] == [0]
    assert live.run(4) == 4 and live.steps == 4
    assert [m["step"] for m in live.history.moments] == [0, 2, 4]
    assert len(live.history.moments[-1]["shares"]) == 10
    samples = live.samples()
    assert samples.shape == (9, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    live.update_settings(TrainSettings(lr_g=1e-3, lr_d=1e-4, batch_size=16, d_steps=2))
    assert live.trainer.settings.batch_size == 16 and live.trainer.opt_d.param_groups[0]["lr"] == 1e-4
    assert live.run(1) == 1 and live.steps_per_second > 0


def test_live_digit_gan_stops_at_its_time_budget():
    data = shipped_digits({"digits": (random_digits(32) * 255).to(torch.uint8)})
    live = LiveDigitGAN(data, None, seed=0, cfg=TINY)
    assert live.run(10_000, max_seconds=0.0) == 1  # at least one step, then the budget is spent


def test_digit_sampler_scales_uint8_to_minus_one_one():
    digits = torch.tensor([0, 255], dtype=torch.uint8).reshape(2, 1, 1, 1).expand(2, 1, 28, 28)
    batch = digit_sampler(digits)(100, torch.Generator().manual_seed(0))
    assert batch.shape == (100, 1, 28, 28) and set(batch.unique().tolist()) == {-1.0, 1.0}


def test_mnist_digits_reads_the_data_root(tiny_mnist):
    data = mnist_digits(tiny_mnist)
    assert data.from_mnist and data.images.shape == (256, 1, 28, 28) and data.images.dtype == torch.uint8
    assert "256" in data.description and str(tiny_mnist) not in data.description  # a learner's page shows no server folder


def test_mnist_digits_raises_data_unavailable_when_offline(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr("torchvision.datasets.MNIST", offline)
    with pytest.raises(DataUnavailableError):
        mnist_digits(tmp_path)


def test_live_toy_gan_records_coverage_and_draws_the_plane():
    live = LiveToyGAN("ring", seed=0, settings=TOY_SETTINGS, n_show=200)
    assert live.coverage["step"] == [0]
    live.run(live.snapshot_every)
    assert live.coverage["step"] == [0, live.snapshot_every]
    view = live.view(resolution=16)
    assert view["real"].shape == (200, 2) and view["fake"].shape == (200, 2)
    assert view["d_map"].shape == (16, 16)
    assert 0 <= view["coverage"]["covered"] <= 8


# -- display helpers -------------------------------------------------------------------------


def test_smooth_curve_thins_and_averages():
    steps = list(range(1, 1001))
    x, y = smooth_curve(steps, [2.0] * 1000, max_points=100)
    assert len(x) == len(y) <= 100 and (y == 2.0).all() and x[-1] == 1000
    x, y = smooth_curve([1, 2, 3], [1.0, 2.0, 3.0])
    assert list(y) == [1.0, 2.0, 3.0]  # short curves are left alone
    values = [1.0] * 500 + [float("nan")] * 500
    _, y = smooth_curve(range(1000), values, max_points=10)
    assert (y[:5] == 1.0).all() and math.isnan(y[-1])
