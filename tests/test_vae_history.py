"""core/vae/history.py: the recorded training the Latent Space page replays. Tiny synthetic models here, and the
shipped history checked against the shipped vae-z2 (its last moment is that model)."""

from __future__ import annotations

import pytest
import torch
from test_vae import strokes, tiny_vae

from core import load_vae, load_vae_history
from core.training.checkpoint import MissingWeightsError, WeightsError, load_meta, load_tensors, save_tensors, weights_dir
from core.training.data import load_mnist
from core.vae.history import N_FIXED, VAEHistory, fixed_test_indices, latent_grid, moment_steps
from core.vae.model import encode_all, train_step


def test_moments_run_from_step_0_to_the_end_denser_early():
    steps = moment_steps(9360)
    assert steps[0] == 0 and steps[-1] == 9360 and len(steps) == 40
    gaps = [b - a for a, b in zip(steps, steps[1:])]
    assert gaps[0] < 5 and gaps == sorted(gaps)  # every gap wider than the one before
    assert sum(s <= 9360 / 4 for s in steps) > 20  # more than half the moments in the first quarter


def test_the_fixed_digits_are_the_same_every_time_and_cover_every_class():
    idx = fixed_test_indices()
    assert len(idx) == N_FIXED and torch.equal(idx, fixed_test_indices()) and torch.equal(idx, idx.sort().values)
    assert len(set(idx.tolist())) == N_FIXED


def test_the_grid_runs_row_by_row_from_the_top_left():
    z = latent_grid(3.0, n=4)
    assert z.shape == (16, 2)
    assert z[0].tolist() == [-3.0, 3.0] and z[3].tolist() == [3.0, 3.0] and z[-1].tolist() == [3.0, -3.0]


def record(variational: bool = True, steps: int = 3) -> tuple[VAEHistory, torch.nn.Module]:
    model = tiny_vae(latent_dim=2, variational=variational)
    x = strokes(24)
    history = VAEHistory(x[:16], torch.arange(16) % 10, torch.arange(16), grid_span=2.0, n_recon=4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    history.snapshot(model, 0, 0.0)
    for step in range(1, steps + 1):
        eps = torch.randn(len(x), 2, generator=gen) if variational else None
        history.log(step, train_step(model.train(), opt, x, eps))
        history.snapshot(model, step, step / steps)
    return history, model


@pytest.mark.parametrize("variational", [True, False])
def test_a_history_saves_and_loads_without_pickle(tmp_path, variational):
    history, model = record(variational)
    name = "vae-z2" if variational else "ae-z2"
    save_tensors(tmp_path / f"{name}.history.safetensors", history.to_tensors())
    replay = load_vae_history(name, tmp_path)
    assert [m["step"] for m in replay.moments] == [0, 1, 2, 3]
    m = replay.moments[-1]
    assert m["mu"].shape == (16, 2) and torch.equal(m["labels"], torch.arange(16) % 10) and m["epoch"] == 1.0
    assert m["grid"].shape == (100, 28, 28) and m["grid"].dtype == torch.uint8 and m["recons"].shape == (4, 28, 28)
    assert replay.grid_span == 2.0 and replay.grid_z.shape == (100, 2) and replay.originals.shape == (4, 28, 28)
    assert replay.losses["step"] == [1.0, 2.0, 3.0] and len(replay.losses["recon"]) == 3
    assert replay.variational is variational and (m["kl"] > 0) is variational
    assert m["recon_loss"] > 0
    mu, _ = encode_all(model, history.images)  # the last moment is the model as it ends
    assert torch.allclose(m["mu"], mu, atol=1e-6)


def test_a_resumed_run_forgets_what_came_after_its_checkpoint():
    history, _ = record(steps=3)
    again = VAEHistory(history.images, history.labels, history.indices, 2.0, n_recon=4)
    again.restore(history.to_tensors())
    again.drop_after(1)
    assert [m["step"] for m in again.moments] == [0, 1] and again.losses["step"] == [1.0]


def test_loading_explains_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="vae-z2"):
        load_vae_history("vae-z16", tmp_path)
    with pytest.raises(MissingWeightsError, match="train_vae.py --latent-dim 2 --plain"):
        load_vae_history("ae-z2", tmp_path)
    (tmp_path / "vae-z2.history.safetensors").write_bytes(b"\x80\x04 not a safetensors file")
    with pytest.raises(WeightsError, match="corrupt"):
        load_vae_history("vae-z2", tmp_path)


@pytest.fixture
def shipped():
    if not (weights_dir() / "vae-z2.history.safetensors").exists():
        pytest.fail("weights/vae-z2.history.safetensors is missing: python scripts/train_vae.py --latent-dim 2")
    return load_vae_history("vae-z2"), load_vae("vae-z2")


def test_the_shipped_replay_ends_with_the_shipped_model(shipped):
    """The last moment's map is the shipped vae-z2's encoding of the 2,000 digits (saved with it in vae-z2.data)."""
    replay, model = shipped
    assert len(replay.indices) == N_FIXED and torch.equal(replay.indices, fixed_test_indices())
    data = load_tensors("vae-z2.data")
    assert torch.equal(replay.labels, data["labels"][replay.indices])
    assert torch.allclose(replay.moments[-1]["mu"], data["mu"][replay.indices], atol=1e-4)
    assert replay.moments[0]["step"] == 0 and len(replay.moments) >= 30
    assert replay.moments[-1]["step"] == load_meta("vae-z2")["steps"]


def test_the_shipped_replay_matches_encoding_the_real_digits(shipped, mnist_dir):
    replay, model = shipped
    images, labels = load_mnist(train=False, data_dir=mnist_dir)
    mu, _ = encode_all(model, images[replay.indices])
    assert torch.equal(labels[replay.indices], replay.labels)
    assert torch.allclose(replay.moments[-1]["mu"], mu, atol=1e-5)
