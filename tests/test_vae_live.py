"""core/vae/live.py: a 2-D VAE training a step at a time in a session, on tiny synthetic digits (the network is the
shipped vae-z2's; a few steps on 32 digits take well under a second)."""

from __future__ import annotations

import math
import time

import pytest
import torch

import core
from core.serving.scheduler import Scheduler
from core.serving.trainer_queue import TrainerQueue
from core.vae.live import BETA_RANGE, LIVE_CONFIG, LiveVAE, VAEData, shipped_vae_data
from i18n import _, speaking

pytestmark = pytest.mark.usefixtures("one_thread")


def tiny_data(n: int = 32) -> VAEData:
    gen = torch.Generator().manual_seed(0)
    x = torch.zeros(n, 1, 28, 28, dtype=torch.uint8)
    for i in range(n):  # a bright bar at a different row in each
        r = 4 + i % 20
        x[i, 0, r : r + 3, 6:22] = 255
    x = torch.where(torch.rand(x.shape, generator=gen) < 0.02, torch.full_like(x, 128), x)
    return VAEData(x, x[:16], torch.arange(16) % 10, False, "tiny bars")


def live(**kwargs) -> LiveVAE:
    return LiveVAE(tiny_data(), **{"seed": 0, "batch_size": 16, **kwargs})


def test_it_trains_and_its_view_is_the_map_the_samples_and_the_losses():
    vae = live()
    assert vae.run(6) == 6 and vae.steps == 6 and vae.problem is None
    view = vae.view()
    assert view["steps"] == 6 and view["mu"].shape == (16, 2) and view["samples"].shape == (36, 1, 28, 28)
    assert view["losses"]["step"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0] and view["losses"]["recon"][-1] < view["losses"]["recon"][0]
    assert vae.view() is view  # not made again until it has moved on
    vae.train_step()
    assert vae.view() is not view


def test_the_same_seed_gives_the_same_run_and_runs_are_independent():
    a, b = live(), live()
    a.run(3)
    b.run(3)
    assert a.losses["loss"] == b.losses["loss"]
    other = live(seed=1)
    other.run(3)
    assert other.losses["loss"] != a.losses["loss"]


def test_beta_turns_while_training_and_only_for_this_vae():
    vae = live(beta=1.0)
    vae.run(2)
    vae.set_beta(0.0)
    vae.run(2)
    assert vae.losses["beta"] == [1.0, 1.0, 0.0, 0.0]
    assert [round(t, 3) for t in vae.losses["loss"][2:]] == [round(r, 3) for r in vae.losses["recon"][2:]]  # β = 0: no KL
    assert LIVE_CONFIG.beta == 1.0 and live().beta == 1.0  # the shared default is untouched
    vae.set_beta(4.0)
    vae.run(1)
    loss, recon, kl = (vae.losses[k][-1] for k in ("loss", "recon", "kl"))
    assert loss == pytest.approx(recon + 4.0 * kl, rel=1e-5)


@pytest.mark.parametrize("beta", [-0.5, 4.5, float("nan"), float("inf"), "1"])
def test_beta_outside_its_range_is_refused_with_a_message(beta):
    vae = live(beta=2.0)
    with pytest.raises(ValueError) as refused:
        vae.set_beta(beta)
    assert vae.beta == 2.0  # nothing changed
    assert "β must be between 0 and 4" in str(refused.value)
    with speaking("pt-BR"):
        assert "β deve ficar entre 0 e 4" in _(refused.value.args[0])
    assert BETA_RANGE == (0.0, 4.0)


def test_a_nan_loss_pauses_it_with_a_plain_message():
    vae = live()
    vae.running = True
    vae.set_lr(1e6)  # a learning rate that blows the loss up
    steps = vae.run(200)
    assert vae.problem is not None and not vae.running and steps < 200
    assert "not a number" in str(vae.problem) and math.isnan(vae.losses["loss"][-1])
    with speaking("pt-BR"):
        assert "não é um número" in _(vae.problem)
    assert vae.train_step() is False and vae.run(5) == 0  # it stays paused until a Reset


def test_reset_is_a_fresh_vae_with_the_same_settings():
    vae = live(beta=0.5, lr=3e-4)
    vae.run(3)
    fresh = LiveVAE(vae.data, beta=vae.beta, seed=vae.seed + 1, lr=vae.lr, batch_size=16)
    assert fresh.steps == 0 and fresh.beta == 0.5 and fresh.lr == 3e-4 and fresh.losses["step"] == []
    assert not any(torch.equal(p, q) for p, q in zip(fresh.model.parameters(), vae.model.parameters()) if p.dim() > 1)


def test_it_trains_on_the_trainer_line_and_stops_when_asked():
    """The same line as the GANs' and GPTs': it follows the protocol (owner, running, train_step, pause)."""
    scheduler = Scheduler(workers=1, quantum=0.01)
    try:
        queue = TrainerQueue(scheduler, max_active=1)
        vae = live()
        queue.start(vae)
        end = time.monotonic() + 30
        while vae.steps < 3 and time.monotonic() < end:
            time.sleep(0.02)
        assert vae.steps >= 3 and queue.state(vae) == "training"
        queue.stop(vae)  # returns once a step under way has finished
        steps = vae.steps
        time.sleep(0.2)
        assert vae.steps == steps and queue.state(vae) == "paused" and not vae.running
    finally:
        scheduler.shutdown()


def test_release_frees_the_network():
    vae = live()
    vae.release()
    assert vae.model is None and vae.opt is None and not vae.running


def test_the_shipped_digits_serve_when_there_is_no_dataset():
    u8 = tiny_data().train
    data = shipped_vae_data({"digits": u8.float() / 255, "digit_labels": torch.arange(32)})
    assert torch.equal(data.train, u8) and torch.equal(data.test, u8) and not data.from_mnist
    assert "32 MNIST test digits shipped" in str(data.description)


def test_train_vae_live_runs_for_its_budget_and_reports_the_test_loss():
    model, out = core.train_vae_live(beta=1.0, seconds=0.5, data=tiny_data())
    assert set(out) == {"test_loss", "recon", "kl", "steps"} and out["steps"] > 0
    assert out["test_loss"] == pytest.approx(out["recon"] + out["kl"], rel=1e-6) and not model.training
