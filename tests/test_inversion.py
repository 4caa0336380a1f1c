"""GAN inversion: Adam on z finds the shipped generator's closest twin of a real digit, touching nothing else."""

from __future__ import annotations

import math

import pytest
import torch

from core import load_generator
from core.gan.inversion import Inversion, typicality
from core.gan.model import GANConfig, Generator
from core.serving.scheduler import Scheduler
from core.training.checkpoint import load_tensors


@pytest.fixture(scope="module")
def digit() -> torch.Tensor:
    """A real MNIST test digit (shipped with the weights), (1, 1, 28, 28) in [0, 1]."""
    return load_tensors("gan.history")["digits"][:1].float() / 255


def test_search_lowers_the_pixel_loss_and_leaves_the_generator_alone(digit, one_thread):
    G = load_generator()
    before = {k: v.clone() for k, v in G.state_dict().items()}
    search = Inversion(G, digit, restarts=3, max_steps=40, generator=torch.Generator().manual_seed(0))
    first = search.best().loss  # before any step: the best random start
    while search.step():
        pass
    losses = torch.tensor(search.losses)
    assert losses.shape == (40, 3)
    assert (losses[-1] < losses[0]).all()  # every start went downhill
    assert losses[-1].min() < 0.5 * losses[0].min()
    twin = search.best()
    assert twin.loss <= losses.min() and twin.loss < first
    assert twin.image.shape == (1, 1, 28, 28) and 0 <= twin.image.min() and twin.image.max() <= 1
    assert twin.z.shape == (1, G.latent_dim)
    # the shared generator: same weights and statistics, no gradients left on it, still in eval mode
    assert all(torch.equal(v, before[k]) for k, v in G.state_dict().items())
    assert all(p.grad is None for p in G.parameters()) and not G.training
    w = search.wander()
    assert w["typical_norm"] == math.sqrt(G.latent_dim) and 0 <= w["percentile"] <= 1 and w["moved"] > 0


def test_seeded_searches_repeat_exactly(digit, one_thread):
    G = load_generator()

    def run(seed):
        search = Inversion(G, digit, restarts=2, max_steps=10, generator=torch.Generator().manual_seed(seed))
        while search.step():
            pass
        return search

    a, b, c = run(7), run(7), run(8)
    assert a.losses == b.losses and torch.equal(a.best().z, b.best().z) and torch.equal(a.best().image, b.best().image)
    assert not torch.equal(a.z0, c.z0)


def test_runs_on_the_scheduler_and_stops_when_asked(digit, one_thread):
    G = load_generator()
    s = Scheduler(workers=1, quantum=0.01)
    try:
        search = Inversion(G, digit, max_steps=20, steps_per_call=5)
        s.submit_task("me", search.step).result(timeout=60)
        assert search.done and search.steps == 20
        stopped = Inversion(G, digit, max_steps=10_000)
        stopped.stop()
        s.submit_task("me", stopped.step).result(timeout=60)
        assert stopped.done and stopped.steps == 0
    finally:
        s.shutdown()


def test_two_sessions_search_the_shared_generator_at_once(digit, one_thread):
    G = load_generator()

    def search(seed):
        return Inversion(G, digit, restarts=2, max_steps=30, steps_per_call=2, generator=torch.Generator().manual_seed(seed))

    alone = search(1)
    while alone.step():
        pass
    s = Scheduler(workers=2, quantum=0.005)
    try:
        a, b = search(1), search(2)
        jobs = [s.submit_task("a", a.step), s.submit_task("b", b.step)]
        for job in jobs:
            job.result(timeout=60)
    finally:
        s.shutdown()
    # interleaved on two threads, each search is still its own (to float rounding: a worker may use other torch threads)
    torch.testing.assert_close(torch.tensor(a.losses), torch.tensor(alone.losses), rtol=1e-4, atol=1e-6)
    assert all(p.grad is None for p in G.parameters())


def test_prior_keeps_z_nearer_the_centre(digit, one_thread):
    G = load_generator()
    norms = []
    for weight in (0.0, 1.0):
        search = Inversion(G, digit, restarts=2, max_steps=30, prior_weight=weight, generator=torch.Generator().manual_seed(0))
        while search.step():
            pass
        norms.append(search.z.detach().norm(dim=1))
    assert (norms[1] < norms[0]).all()


def test_typicality_of_noise():
    d = 64
    assert abs(typicality(torch.full((d,), 1.0))["percentile"] - 0.5) < 0.05  # norm sqrt(d): ordinary noise
    assert typicality(torch.zeros(d))["percentile"] == 0
    assert typicality(torch.full((d,), 2.0))["percentile"] > 0.999
    zs = torch.randn(2000, d, generator=torch.Generator().manual_seed(0))
    p = torch.tensor([typicality(z)["percentile"] for z in zs])
    assert abs((p < 0.5).float().mean() - 0.5) < 0.05  # the percentile of real noise is uniform


def test_rejects_a_training_generator_and_a_wrong_target(digit):
    G = Generator(GANConfig(latent_dim=4, g_channels=4))
    with pytest.raises(ValueError, match="eval mode"):
        Inversion(G, digit)
    with pytest.raises(ValueError, match="28x28"):
        Inversion(G.eval(), torch.zeros(1, 1, 14, 14))
