"""Unit tests of core/vae.py and core/latent.py on tiny synthetic data, and a smoke run of train_vae.py."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from core.mnist.classifier import ClassifierConfig, DigitClassifier
from core.training.checkpoint import MissingWeightsError, load_tensors
from core.training.data import load_mnist
from core.vae import latent
from core.vae.history import load_vae_history
from core.vae.model import VAE, VAEConfig, encode_all, evaluate, kl_per_dim, load_vae, reparameterize, train_epoch, vae_loss


def tiny_vae(latent_dim: int = 3, variational: bool = True, seed: int = 0) -> VAE:
    with torch.random.fork_rng():  # a fixed initialisation without touching the global generator
        torch.manual_seed(seed)
        return VAE(VAEConfig(latent_dim=latent_dim, variational=variational, channels=4, hidden=32)).eval()


def tiny_classifier() -> DigitClassifier:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return DigitClassifier(ClassifierConfig(channels=4, features=8)).eval()


def strokes(n: int = 32) -> torch.Tensor:
    """n synthetic 28x28 'digits' in [0, 1]: a bright bar at a different row in each."""
    x = torch.zeros(n, 1, 28, 28)
    for i in range(n):
        r = 4 + i % 20
        x[i, 0, r : r + 3, 6:22] = 1.0
    return x


# --- core/vae.py ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variational", [True, False])
def test_shapes_and_ranges(variational):
    model = tiny_vae(latent_dim=3, variational=variational)
    x = strokes(5)
    mu, logvar = model.encode(x)
    assert mu.shape == (5, 3)
    assert (logvar.shape == (5, 3)) if variational else (logvar is None)
    images = model.decode(torch.randn(5, 3, generator=torch.Generator().manual_seed(0)))
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1
    logits, mu2, _ = model(x, torch.Generator().manual_seed(0))
    assert logits.shape == x.shape and torch.equal(mu, mu2)


def test_autoencoder_decodes_mu_deterministically():
    model = tiny_vae(variational=False)
    x = strokes(4)
    a, _, _ = model(x, torch.Generator().manual_seed(1))
    b, _, _ = model(x, torch.Generator().manual_seed(2))
    assert torch.equal(a, b)


def test_reparameterization_passes_gradients_to_mu_and_sigma():
    mu = torch.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    logvar = torch.tensor([[0.0, -2.0, 1.0]], requires_grad=True)
    z = reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    z.sum().backward()
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(0))
    # z = mu + exp(logvar / 2) * eps  =>  dz/dmu = 1,  dz/dlogvar = exp(logvar / 2) * eps / 2
    assert torch.allclose(mu.grad, torch.ones_like(mu))
    assert torch.allclose(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)
    assert (logvar.grad != 0).all()


def test_reparameterization_repeats_with_a_fixed_generator():
    mu, logvar = torch.zeros(4, 2), torch.zeros(4, 2)
    a = reparameterize(mu, logvar, torch.Generator().manual_seed(7))
    b = reparameterize(mu, logvar, torch.Generator().manual_seed(7))
    c = reparameterize(mu, logvar, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_kl_is_zero_only_at_the_prior():
    zero = kl_per_dim(torch.zeros(1, 2), torch.zeros(1, 2))
    assert torch.allclose(zero, torch.zeros(1, 2))
    moved = kl_per_dim(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, -1.0]]))
    assert torch.allclose(moved[0, 0], torch.tensor(0.5))  # mu = 1, sigma = 1: mu^2 / 2
    assert moved[0, 1] > 0


def test_loss_terms_add_up():
    model = tiny_vae()
    x = strokes(8)
    logits, mu, logvar = model(x, torch.Generator().manual_seed(0))
    loss, recon, kl = vae_loss(logits, x, mu, logvar, beta=2.0)
    assert torch.allclose(loss, recon + 2.0 * kl)
    assert torch.allclose(kl, kl_per_dim(mu, logvar).sum() / 8)
    _, _, kl_ae = vae_loss(logits, x, mu, None)
    assert kl_ae.item() == 0.0


def test_loss_falls_over_a_few_steps():
    model = tiny_vae(latent_dim=2).train()
    x = strokes(32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    before = evaluate(model, x, seed=0)["loss"]  # the same noise eps before and after
    for _ in range(5):  # 10 steps
        train_epoch(model, opt, x, batch_size=16, generator=gen)
    after = evaluate(model, x, seed=0)["loss"]
    assert after < 0.75 * before, (before, after)


def test_encode_all_gives_mu_and_kl_per_image():
    x = strokes(10)
    mu, kl = encode_all(tiny_vae(latent_dim=3), x, batch_size=4)
    assert mu.shape == kl.shape == (10, 3) and (kl >= 0).all()
    _, kl_ae = encode_all(tiny_vae(variational=False), x)
    assert (kl_ae == 0).all()


def test_load_vae_explains_what_is_missing(tmp_path):
    with pytest.raises(ValueError, match="vae-z2"):
        load_vae("vae-z3", tmp_path)
    with pytest.raises(MissingWeightsError, match="train_vae.py --latent-dim 16"):
        load_vae("vae-z16", tmp_path)


@pytest.mark.parametrize("plain", [False, True])
def test_train_script_smoke_run_writes_loadable_weights(tiny_mnist, tmp_path, plain):
    name = "ae-z2" if plain else "vae-z2"
    # A name of its own keeps this run's resume state (runs/<name>/) apart from a real training's.
    run_name = f"pytest-smoke-{name}"
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "train_vae.py"),
        "--data-dir",
        str(tiny_mnist),
        "--latent-dim",
        "2",
        "--max-steps",
        "2",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--device",
        "cpu",
        "--out-dir",
        str(out),
        "--name",
        run_name,
    ] + (["--plain"] if plain else [])
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    finally:
        shutil.rmtree(ROOT / "runs" / run_name, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for suffix in ("safetensors", "json", "data.safetensors", "history.safetensors"):
        (out / f"{run_name}.{suffix}").rename(out / f"{name}.{suffix}")

    model = load_vae(name, out)
    assert model.latent_dim == 2 and model.variational is not plain
    assert model.decode(torch.zeros(1, 2)).shape == (1, 1, 28, 28)
    side = load_tensors(f"{name}.data", out)
    assert side["mu"].shape == (64, 2) and side["labels"].shape == (64,)  # the fixture's 64 test digits
    assert side["kl_per_dim"].shape == (2,) and side["digits"].dtype == torch.uint8
    # the recorded training ends with the model that ships: its map is that model's encoding of the fixed digits
    replay = load_vae_history(name, out)
    assert [m["step"] for m in replay.moments][0] == 0 and replay.moments[-1]["step"] == 2
    assert replay.variational is not plain and len(replay.indices) == 64
    mu, _ = encode_all(model, load_mnist(False, tiny_mnist)[0][replay.indices])
    assert torch.allclose(replay.moments[-1]["mu"], mu, atol=1e-5)


# --- core/latent.py: sliders and clicks -----------------------------------------------------------


def test_dims_by_kl_puts_the_most_used_first():
    assert latent.dims_by_kl(torch.tensor([0.01, 3.0, 0.5, 3.0])) == [1, 3, 2, 0]


def test_slider_bounds():
    mu = torch.tensor([[-7.3, 2.0], [5.1, 12.2], [0.0, 4.0]])
    lo, hi = latent.slider_bounds(mu / 4, variational=True)
    assert lo.tolist() == [-4.0, -4.0] and hi.tolist() == [4.0, 4.0]
    lo, hi = latent.slider_bounds(torch.tensor([[0.5, -4.2]]), variational=True)  # reaches a far-out digit
    assert lo.tolist() == [-5.0, -5.0] and hi.tolist() == [5.0, 5.0]
    lo, hi = latent.slider_bounds(mu, variational=False)
    assert (lo <= mu.min(0).values).all() and (hi >= mu.max(0).values).all()
    assert lo.tolist() == [-9.0, 0.0] and hi.tolist() == [7.0, 14.0]  # 10% margin, rounded outwards


def test_click_to_latent_reads_the_clicked_point():
    lo, hi = torch.tensor([-4.0, -4.0]), torch.tensor([4.0, 4.0])
    selection = {
        "points": [{"curve_number": 3, "point_index": 17, "x": 1.25, "y": -0.5, "customdata": 901}],
        "point_indices": [17],
        "box": [],
        "lasso": [],
    }
    z = latent.click_to_latent(selection, lo, hi)
    assert torch.allclose(z, torch.tensor([1.25, -0.5]))


def test_click_to_latent_clamps_and_ignores_empty_selections():
    lo, hi = torch.tensor([-4.0, -4.0]), torch.tensor([4.0, 4.0])
    far = {"points": [{"x": 9.0, "y": -6.0}]}
    assert latent.click_to_latent(far, lo, hi).tolist() == [4.0, -4.0]
    assert latent.click_to_latent(None, lo, hi) is None
    assert latent.click_to_latent({"points": [], "point_indices": []}, lo, hi) is None
    assert latent.click_to_latent({"points": [{"curve_number": 0}]}, lo, hi) is None


def test_prior_draws_repeat_by_seed():
    a, b, c = latent.prior_draws(6, 2, 5), latent.prior_draws(6, 2, 5), latent.prior_draws(6, 2, 6)
    assert a.shape == (6, 2) and torch.equal(a, b) and not torch.equal(a, c)


# --- core/latent.py: interpolation ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_interpolation_starts_and_ends_at_the_endpoints(method):
    z0, z1 = torch.tensor([1.0, -2.0, 0.5]), torch.tensor([-0.3, 1.0, 2.0])
    path = latent.interpolate(z0, z1, 7, method)
    assert path.shape == (7, 3)
    assert torch.allclose(path[0], z0, atol=1e-6) and torch.allclose(path[-1], z1, atol=1e-6)


def test_linear_midpoint_is_the_average():
    z0, z1 = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 4.0])
    assert torch.allclose(latent.interpolate(z0, z1, 3, "linear")[1], torch.tensor([1.0, 2.0]))


def test_spherical_keeps_the_norm_where_the_line_sags():
    z0, z1 = torch.tensor([4.0, 0.0, 0.0]), torch.tensor([0.0, 4.0, 0.0])
    arc = latent.interpolate(z0, z1, 9, "spherical")
    line = latent.interpolate(z0, z1, 9, "linear")
    assert torch.allclose(arc.norm(dim=1), torch.full((9,), 4.0), atol=1e-5)
    assert line[4].norm() < 4.0 * math.cos(math.pi / 4) + 1e-5  # the chord's midpoint is nearer the origin


def test_spherical_moves_the_norm_evenly_between_unequal_endpoints():
    z0, z1 = torch.tensor([3.0, 0.0]), torch.tensor([0.0, -5.0])
    arc = latent.interpolate(z0, z1, 5, "spherical")
    assert torch.allclose(arc.norm(dim=1), torch.tensor([3.0, 3.5, 4.0, 4.5, 5.0]), atol=1e-5)
    # halfway round: the direction bisects the two
    assert torch.allclose(arc[2] / arc[2].norm(), torch.tensor([1.0, -1.0]) / math.sqrt(2), atol=1e-6)


def test_spherical_falls_back_to_a_line_when_no_arc_exists():
    z0, z1 = torch.tensor([1.0, 1.0]), torch.tensor([2.0, 2.0])  # parallel
    assert torch.allclose(latent.interpolate(z0, z1, 5, "spherical"), latent.interpolate(z0, z1, 5, "linear"))
    zero = torch.zeros(2)
    assert torch.allclose(latent.interpolate(zero, z1, 3, "spherical")[1], torch.tensor([1.0, 1.0]))
    with pytest.raises(ValueError):
        latent.interpolate(z0, z1, 3, "cubic")


# --- core/latent.py: the plane, reconstruction ---------------------------------------------------


def test_plane_grid_tiles_like_an_image():
    lo, hi = torch.tensor([-2.0, 0.0]), torch.tensor([2.0, 4.0])
    g = latent.plane_grid(lo, hi, 4)
    assert g.shape == (16, 2)
    assert torch.allclose(g[0], torch.tensor([-1.5, 3.5]))  # top-left cell centre
    assert torch.allclose(g[3], torch.tensor([1.5, 3.5]))  # top-right
    assert torch.allclose(g[-1], torch.tensor([1.5, 0.5]))  # bottom-right
    assert (g >= lo).all() and (g <= hi).all()


def test_rectangular_plane_has_square_cells():
    lo, hi = torch.tensor([-40.0, -20.0]), torch.tensor([20.0, 10.0])  # twice as wide as tall
    cols, rows = latent.square_cells(lo, hi, 16)
    assert (cols, rows) == (16, 8)
    assert latent.square_cells(lo[[1, 0]], hi[[1, 0]], 16) == (8, 16)
    g = latent.plane_grid(lo, hi, cols, rows)
    assert g.shape == (128, 2)
    assert torch.allclose(g[1] - g[0], torch.tensor([3.75, 0.0]))  # one cell to the right
    assert torch.allclose(g[cols] - g[0], torch.tensor([0.0, -3.75]))  # one cell down: the same size


def test_manifold_and_classifier_plane():
    model = tiny_vae(latent_dim=2)
    lo, hi = torch.tensor([-3.0, -3.0]), torch.tensor([3.0, 3.0])
    images = latent.manifold(model, lo, hi, 5)
    assert images.shape == (25, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert torch.allclose(images[7], latent.decode(model, latent.plane_grid(lo, hi, 5)[7])[0])
    digit, conf = latent.classify_plane(model, tiny_classifier(), lo, hi, 5, 3)
    assert digit.shape == conf.shape == (3, 5)
    assert digit.min() >= 0 and digit.max() <= 9 and (conf > 0).all() and (conf <= 1).all()


def test_reconstruction_of_one_digit():
    model = tiny_vae(latent_dim=3)
    x = strokes(3)[1:2]
    r = latent.reconstruct(model, x, samples=4, generator=torch.Generator().manual_seed(0))
    assert r["mu"].shape == r["sigma"].shape == (3,) and (r["sigma"] > 0).all()
    assert r["mean_image"].shape == (1, 28, 28) and r["sample_images"].shape == (4, 1, 28, 28)
    assert r["loss"] == pytest.approx(r["recon"] + r["kl"], rel=1e-5)
    assert r["kl"] == pytest.approx(float(r["kl_per_dim"].sum()), rel=1e-5)
    again = latent.reconstruct(model, x, samples=4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(r["sample_images"], again["sample_images"]) and r["recon"] == again["recon"]


def test_autoencoder_reconstruction_has_no_cloud():
    model = tiny_vae(latent_dim=2, variational=False)
    r = latent.reconstruct(model, strokes(1), samples=4)
    assert r["sigma"] is None and r["kl"] == 0.0 and r["loss"] == pytest.approx(r["recon"])
    assert r["sample_images"].shape == (1, 1, 28, 28)
    assert torch.allclose(r["sample_images"][0], r["mean_image"])
