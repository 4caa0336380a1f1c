"""A 2-D VAE that trains a step at a time inside one browser session, with its KL weight β on a dial.

The page keeps one LiveVAE in st.session_state; the server's one line of live trainers
(core/serving/trainer_queue.py) trains it on the compute scheduler, in turns with the GANs and GPTs
of the other sessions. Its step is the training script's (core/vae/model.py train_step): the same
network, loss and optimiser as the shipped vae-z2, only β and the learning rate may be turned while
it trains. Nothing here is shared between sessions. A loss that turns NaN (too high a learning rate)
pauses it with a plain message.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import torch

from core.gan.live import Figure, english  # numbers inside a Message, worded where it is shown
from core.serving.trainer_queue import StepRate, run_steps
from core.training.data import batches, load_mnist
from core.vae.history import N_FIXED, fixed_test_indices
from core.vae.model import VAE, VAEConfig, draw_noise, evaluate, train_step
from i18n import N_

LIVE_CONFIG = VAEConfig(latent_dim=2, hidden=256)  # the shipped vae-z2's network
BETA_RANGE = (0.0, 4.0)  # 0: a plain autoencoder's loss; 1: the VAE; 4: a heavy pull towards N(0, I)
LIVE_LR, LIVE_BATCH = 1e-3, 128  # the training script's defaults
N_SAMPLES = 36  # decoded from N(0, I) on the page
MAX_POINTS = 2000  # loss points kept per curve (older ones thinned)

BETA_REFUSED = N_("β must be between {low} and {high} (you asked for {beta}).")
NOT_A_NUMBER = N_("the loss became {value} (not a number) at step {step}")


@dataclass
class VAEData:
    """What a live VAE trains on and draws: uint8 digits (a quarter of float32's memory)."""

    train: torch.Tensor  # (N, 1, 28, 28) uint8
    test: torch.Tensor  # (n, 1, 28, 28) uint8: the fixed digits on the map and in the test loss
    test_labels: torch.Tensor
    from_mnist: bool
    description: str  # a Message: show it with _()


def to_u8(images: torch.Tensor) -> torch.Tensor:
    return (images * 255).round().to(torch.uint8)


def mnist_vae_data(data_dir=None) -> VAEData:
    """MNIST's 60,000 training digits and the replay's 2,000 fixed test digits, from the data root."""
    train, _ = load_mnist(train=True, data_dir=data_dir, download=True)
    test, labels = load_mnist(train=False, data_dir=data_dir, download=True)
    idx = fixed_test_indices(len(test), N_FIXED)
    where = english(N_("MNIST's {n} training digits"), n=Figure(len(train)))  # no server folder on a learner's page
    return VAEData(to_u8(train), to_u8(test[idx]), labels[idx], True, where)


def shipped_vae_data(tensors: dict[str, torch.Tensor]) -> VAEData:
    """The MNIST test digits shipped in weights/vae-z2.data.safetensors, when there is no dataset: the map
    then shows the very digits it trains on."""
    digits = tensors["digits"]
    digits = digits if digits.dtype == torch.uint8 else to_u8(digits)
    shipped = N_("the {n} MNIST test digits shipped with the app (no MNIST dataset in the data root)")
    return VAEData(digits, digits, tensors["digit_labels"], False, english(shipped, n=Figure(len(digits))))


class LiveVAE:
    """One fresh VAE, its optimiser and its own random stream, trained a step at a time.

    Follows the trainer line's protocol: `owner` (whose turn it runs in on the scheduler), `running`,
    `train_step() -> bool` and `pause(reason)`. Everything that touches the network (view, Step, a new β)
    must run in the owner's turn: the scheduler never runs two jobs of one owner at once.
    """

    rate_window_s = 10.0  # steps/s over the last few seconds of wall time

    def __init__(self, data: VAEData, beta: float = 1.0, seed: int = 0, lr: float = LIVE_LR, batch_size: int = LIVE_BATCH, owner=None):
        self.data, self.seed, self.batch_size = data, seed, batch_size
        self.owner = owner if owner is not None else object()
        self.gen = torch.Generator().manual_seed(seed)  # batches, noise, and (through torch's) the first weights
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.model = VAE(replace(LIVE_CONFIG)).train()  # its own config: β changes only this one
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.set_beta(beta)
        self.fixed_z = torch.randn(N_SAMPLES, LIVE_CONFIG.latent_dim, generator=torch.Generator().manual_seed(seed + 1))
        self.steps = 0
        self.losses: dict[str, list[float]] = {k: [] for k in ("step", "loss", "recon", "kl", "beta")}
        self.running = False  # the learner wants it to train
        self.problem: str | None = None  # why it stopped itself (a NaN loss): a Message
        self.notice: str | None = None  # why it was paused for the learner (idle): a Message
        self.last_seen = self.last_touched = time.monotonic()
        self._rate = StepRate(self.rate_window_s)
        self._order = iter(())
        self._stride, self._pending = 1, 0
        self._view = None

    # -- settings ------------------------------------------------------------------------------
    @property
    def beta(self) -> float:
        return self.model.cfg.beta

    def set_beta(self, beta: float) -> None:
        """The weight of the KL term from the next step on; outside BETA_RANGE it is refused (ValueError with a Message)."""
        low, high = BETA_RANGE
        if not (isinstance(beta, (int, float)) and math.isfinite(beta) and low <= beta <= high):
            asked = Figure(beta, 2) if isinstance(beta, (int, float)) and math.isfinite(beta) else repr(beta)
            raise ValueError(english(BETA_REFUSED, low=Figure(low), high=Figure(high), beta=asked))
        self.model.cfg.beta = float(beta)

    @property
    def lr(self) -> float:
        return self.opt.param_groups[0]["lr"]

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = float(lr)

    # -- the trainer line's protocol -----------------------------------------------------------
    def pause(self, reason: str | None = None) -> None:
        self.running = False
        self.notice = reason

    def release(self) -> None:
        """Its session has ended: drop the network, optimiser and data references now (core/serving/janitor.py)."""
        self.running = False
        self.model = self.opt = self.data = self._view = None

    def next_batch(self) -> torch.Tensor:
        """The next batch of a shuffled pass over the training digits (a new pass when one ends), as the script draws them."""
        idx = next(self._order, None)
        if idx is None:
            self._order = batches(len(self.data.train), min(self.batch_size, len(self.data.train)), self.gen)
            idx = next(self._order)
        return self.data.train[idx].float() / 255.0

    def train_step(self) -> bool:
        """One step of the training script's loop. False when the loss is not a number: it pauses and `problem` says why."""
        if self.problem is not None:
            return False
        x = self.next_batch()
        stats = train_step(self.model, self.opt, x, draw_noise(self.model, len(x), self.gen))
        self.steps += 1
        self._log(stats)
        self._rate.tick(self.steps)
        if not all(math.isfinite(stats[k]) for k in ("loss", "recon", "kl")):
            self.problem = english(NOT_A_NUMBER, value=stats["loss"], step=Figure(self.steps))
            self.running = False
            return False
        return True

    def run(self, n_steps: int, max_seconds: float | None = None) -> int:
        """Up to n_steps steps at once (fewer if max_seconds runs out or a loss blows up); how many were taken."""
        return run_steps(self, n_steps, max_seconds)

    @property
    def steps_per_second(self) -> float:
        return self._rate.per_second

    def _log(self, stats: dict) -> None:
        """The step's batch losses; past MAX_POINTS, every other point is kept (memory stays bounded)."""
        self._pending += 1
        if self._pending < self._stride:
            return
        self._pending = 0
        for k, v in (("step", self.steps), ("beta", self.beta), *((k, stats[k]) for k in ("loss", "recon", "kl"))):
            self.losses[k].append(float(v))
        if len(self.losses["step"]) > MAX_POINTS:
            self.losses = {k: v[::2] for k, v in self.losses.items()}
            self._stride *= 2

    # -- what the page draws -------------------------------------------------------------------
    @torch.no_grad()
    def view(self) -> dict:
        """A consistent copy of what the page draws (run it in the owner's turn): the map of the fixed test digits,
        samples decoded from N(0, I), the loss curves. Made again only when the VAE has moved on."""
        if self._view is None or self._view["steps"] != self.steps:
            self.model.eval()
            mu, _ = self.model.encode(self.data.test.float() / 255.0)
            samples = self.model.decode(self.fixed_z)
            self.model.train()
            self._view = {
                "steps": self.steps,
                "beta": self.beta,
                "mu": mu,
                "labels": self.data.test_labels,
                "samples": samples,
                "losses": {k: list(v) for k, v in self.losses.items()},
            }
        return self._view

    def test_loss(self) -> dict:
        """BCE summed over pixels + KL (β = 1, one z sample) on the fixed test digits."""
        out = evaluate(self.model, self.data.test.float() / 255.0)
        self.model.train()
        return out


def train_vae_live(
    beta: float, seconds: float, seed: int = 0, data: VAEData | None = None, curve_at: tuple[float, ...] = ()
) -> tuple[VAE, dict]:
    """The live tab's loop, alone for a wall-clock budget: (model, {test_loss, recon, kl, steps}) on the 2,000
    fixed test digits. With curve_at (seconds of training), "curve" also holds the test loss at those times; the
    time spent measuring is not counted as training. scripts/_bench_vae_live.py measures the live tab with this."""
    live = LiveVAE(data or mnist_vae_data(), beta=beta, seed=seed)
    trained, curve, marks = 0.0, [], sorted(t for t in curve_at if t < seconds)
    while trained < seconds and live.problem is None:
        start = time.perf_counter()
        live.train_step()
        trained += time.perf_counter() - start
        if marks and trained >= marks[0]:
            curve.append({"seconds": marks.pop(0), "steps": live.steps, **live.test_loss()})
    test = live.test_loss()
    out = {"test_loss": test["loss"], "recon": test["recon"], "kl": test["kl"], "steps": live.steps}
    if curve_at:
        out["curve"] = curve + [{"seconds": seconds, "steps": live.steps, **test}]
    return live.model.eval(), out
