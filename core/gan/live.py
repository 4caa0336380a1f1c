"""GANs that train a few steps at a time inside one browser session, and helpers for showing GANs.

The page keeps one LiveDigitGAN and one LiveToyGAN in st.session_state; a TrainerQueue
(core/serving/trainer_queue.py) trains them a step at a time on the server's compute scheduler. Nothing here
is shared between sessions: each object owns its networks, its optimisers and its random generator.
Training stops by itself (and says why) when a loss turns NaN or explodes. What it says (why it stopped,
where its digits come from) is a Message: English as a str, shown in the learner's language by the page's _().
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from core.gan.history import TrainingHistory
from core.gan.model import GANConfig, GANTrainer, TrainSettings, new_mnist_gan, to_unit
from core.gan.toy import TOY_SETTINGS, Toy2D, discriminator_map, generate, make_distribution, mode_coverage, toy_trainer
from core.serving.trainer_queue import StepRate, run_steps
from core.training.data import load_mnist
from core.training.helpers import evaluating
from i18n import N_, Message, number, speaking

# Half the width of the shipped DCGAN: on two CPU cores it draws recognisable digits in minutes.
LIVE_CONFIG = GANConfig(g_channels=32, d_channels=32)
# The generator learns 2.5 times faster than DCGAN's 2e-4 (the discriminator keeps it): from a fresh start the
# samples read as digits (30% of them >= 90% sure) after 300-400 steps, against 300-600 with 2e-4 for both.
LIVE_SETTINGS = TrainSettings(lr_g=5e-4, lr_d=2e-4)
# A BCE loss of 50 means a logit of about -50 on the wrong side: the players have blown up.
LOSS_LIMIT = 50.0


# Whole sentences for each player (a translation must not glue "the generator's loss" into a sentence).
NOT_A_NUMBER = {
    "loss_d": N_("the discriminator's loss became {value} (not a number) at step {step}"),
    "loss_g": N_("the generator's loss became {value} (not a number) at step {step}"),
}
EXPLODED = {
    "loss_d": N_("the discriminator's loss exploded to {value} at step {step}"),
    "loss_g": N_("the generator's loss exploded to {value} at step {step}"),
}


class Figure:
    """A number inside a Message, written with the separators of the language it is shown in: a Message is
    formatted again when the page shows it, so one made here (a worker thread, or a cache every session
    shares) reads 14,055.5 in English and 14.055,5 in Portuguese."""

    def __init__(self, x: float, decimals: int = 0):
        self.x, self.decimals = x, decimals

    def __format__(self, spec: str) -> str:
        return number(self.x, self.decimals)

    def __repr__(self) -> str:
        return f"Figure({self.x!r}, {self.decimals})"


def english(template: str, **values) -> Message:
    """A Message whose str is English with English figures, whichever session's thread makes it."""
    with speaking("en"):
        return Message(template, **values)


def check_losses(stats: dict, limit: float = LOSS_LIMIT) -> Message | None:
    """None when a training step looks healthy, else a sentence saying what went wrong."""
    for key in ("loss_d", "loss_g"):
        value = stats[key]
        if not math.isfinite(value):  # nan or inf: the same in every language
            return english(NOT_A_NUMBER[key], value=value, step=Figure(stats["step"]))
        if value > limit:
            return english(EXPLODED[key], value=Figure(value, 1), step=Figure(stats["step"]))
    return None


class LiveGAN:
    """One GANTrainer plus its bounded history, trained a step at a time; pauses itself on trouble.

    In the app a TrainerQueue calls `train_step()` on a scheduler worker, in the turn of `owner`
    (the learner's session), so every other use of the networks (drawing samples, Step) must run in
    that owner's turn too: the scheduler never runs two jobs of one owner at once.
    """

    snapshot_every = 100
    rate_window_s = 10.0  # steps/s is measured over the last few seconds of wall time

    def __init__(self, trainer: GANTrainer, history: TrainingHistory, owner=None):
        self.trainer, self.history = trainer, history
        self.owner = owner if owner is not None else object()
        self.running = False  # the learner wants it to train (Start pressed, not paused)
        self.problem: str | None = None  # why training stopped itself (a loss blew up): a Message
        self.notice: str | None = None  # why it was paused for the learner (idle): a Message
        self.last_seen = self.last_touched = time.monotonic()
        self._rate = StepRate(self.rate_window_s)

    @property
    def steps(self) -> int:
        return self.trainer.steps

    @property
    def steps_per_second(self) -> float:
        return self._rate.per_second

    def update_settings(self, settings: TrainSettings) -> None:
        if settings != self.trainer.settings:
            self.trainer.update_settings(settings)

    def pause(self, reason: str | None = None) -> None:
        self.running = False
        self.notice = reason

    def release(self) -> None:
        """Its session has ended: drop the networks, optimisers and history now (see core/serving/janitor.py)."""
        self.running = False
        self.trainer = self.history = self._view = None

    def train_step(self) -> bool:
        """One trainer step, logged (and snapshotted every snapshot_every steps).
        False when a loss blew up: training pauses itself and `problem` says why."""
        if self.problem is not None:
            return False
        stats = self.trainer.step()
        self.history.log(stats)
        self._rate.tick(self.steps)
        self.problem = check_losses(stats)
        if self.problem is not None:
            self.running = False
            return False
        if self.steps % self.snapshot_every == 0:
            self.snapshot()
        return True

    def run(self, n_steps: int, max_seconds: float | None = None) -> int:
        """Up to n_steps steps at once (fewer if max_seconds runs out or a loss blows up); how many were taken."""
        return run_steps(self, n_steps, max_seconds)

    def snapshot(self) -> None:
        """Record what the page plots over time (subclasses say what)."""


# -- the digit GAN -----------------------------------------------------------------------------


@dataclass
class DigitData:
    images: torch.Tensor  # uint8 (N, 1, 28, 28): a quarter of float32's memory
    from_mnist: bool
    description: str  # a Message: show it with _()


def mnist_digits(data_dir=None) -> DigitData:
    """MNIST's training digits from the data root (downloaded if missing and online).
    Raises DataUnavailableError when they are neither there nor downloadable."""
    images, _ = load_mnist(train=True, data_dir=data_dir, download=True)
    images = (images * 255).round().to(torch.uint8)
    # where they were read from is the server's business, not the learner's: it is not shown
    return DigitData(images, True, english(N_("MNIST's {n} training digits"), n=Figure(len(images))))


def shipped_digits(history: dict[str, torch.Tensor]) -> DigitData:
    """The 1,000 MNIST test digits saved in gan.history: enough for live training with no dataset."""
    images = history["digits"].reshape(-1, 1, 28, 28)
    shipped = N_("the {n} MNIST test digits shipped with the app (no MNIST dataset in the data root)")
    return DigitData(images, False, english(shipped, n=Figure(len(images))))


def digit_sampler(images_u8: torch.Tensor):
    """Real batches for the trainer: random digits, converted to floats in [-1, 1] one batch at a time."""

    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        idx = torch.randint(len(images_u8), (n,), generator=gen)
        return images_u8[idx].float() / 127.5 - 1

    return sample


class LiveDigitGAN(LiveGAN):
    """A fresh small DCGAN on MNIST; snapshots carry the classifier's class shares (if one is given)."""

    snapshot_every = 100

    def __init__(
        self,
        data: DigitData,
        classifier=None,
        seed: int = 0,
        settings: TrainSettings = LIVE_SETTINGS,
        cfg: GANConfig = LIVE_CONFIG,
        n_show: int = 36,
        n_eval: int = 256,
        owner=None,
    ):
        gen = torch.Generator().manual_seed(seed)
        G, D = new_mnist_gan(cfg, gen)
        trainer = GANTrainer(G, D, digit_sampler(data.images), cfg.latent_dim, settings, gen)
        fixed = torch.randn(n_show, cfg.latent_dim, generator=gen)
        history = TrainingHistory(fixed, classifier, n_eval=n_eval, max_points=2000, max_moments=60, seed=seed)
        super().__init__(trainer, history, owner)
        self.data = data
        self._view = None
        self.snapshot()  # step 0: pure noise, for the "before" picture

    def snapshot(self) -> None:
        self.history.snapshot(self.trainer.G, self.steps)

    @torch.no_grad()
    def samples(self) -> torch.Tensor:
        """The generator's current pictures of the fixed noise, (n_show, 1, 28, 28) in [0, 1]."""
        with evaluating(self.trainer.G) as G:
            return to_unit(G(self.history.fixed_noise))

    def view(self) -> dict:
        """A consistent copy of what the page draws (run it in the owner's turn, between steps).
        Pages redraw every second; while the GAN waits or is paused, the last view serves again."""
        if self._view is None or self._view["steps"] != self.steps:
            self._view = {
                "steps": self.steps,
                "samples": self.samples(),
                "losses": _copy_losses(self.history),
                "moments": list(self.history.moments),
            }
        return self._view


# -- the toy 2-D GAN ---------------------------------------------------------------------------


class LiveToyGAN(LiveGAN):
    """The 2-D GAN; snapshots record how many modes the generator covers."""

    snapshot_every = 50

    def __init__(self, dist_name: str = "ring", seed: int = 0, settings: TrainSettings = TOY_SETTINGS, n_show: int = 1000, owner=None):
        self.dist: Toy2D = make_distribution(dist_name)
        trainer = toy_trainer(self.dist, seed, settings)
        gen = torch.Generator().manual_seed(seed + 1)  # the display's own draws: training's stay untouched
        fixed = torch.randn(n_show, trainer.latent_dim, generator=gen)
        super().__init__(trainer, TrainingHistory(fixed, max_points=2000), owner)
        self.real = self.dist.sample(n_show, gen)
        self.coverage: dict[str, list] = {"step": [], "covered": [], "quality": []}
        self._view = None
        self.snapshot()

    def fake(self) -> torch.Tensor:
        return generate(self.trainer.G, self.history.fixed_noise)

    def snapshot(self) -> None:
        c = mode_coverage(self.fake(), self.dist)
        for key, value in (("step", self.steps), ("covered", c["covered"]), ("quality", c["quality"])):
            self.coverage[key].append(value)
        if len(self.coverage["step"]) > 400:  # bounded, like the loss history
            self.coverage = {k: v[::2] for k, v in self.coverage.items()}

    def view(self, resolution: int = 60) -> dict:
        """Everything the plane plot needs: real and generated points, D's heatmap, the coverage.
        Computed again only when the GAN has moved on (pages redraw on a timer)."""
        if self._view is None or self._view["steps"] != self.steps:
            ticks, probs = discriminator_map(self.trainer.D, self.dist.extent, resolution)
            fake = self.fake()
            self._view = {
                "steps": self.steps,
                "real": self.real,
                "fake": fake,
                "ticks": ticks,
                "d_map": probs,
                "coverage": mode_coverage(fake, self.dist),
                "losses": _copy_losses(self.history),
                "coverage_curve": {k: list(v) for k, v in self.coverage.items()},
            }
        return self._view


def _copy_losses(history: TrainingHistory) -> dict[str, list[float]]:
    return {k: list(v) for k, v in history.losses.items()}


# -- helpers for showing a GAN -----------------------------------------------------------------


def smooth_curve(steps, values, max_points: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """A noisy per-step curve as at most max_points averages of consecutive points (NaN-safe)."""
    steps, values = np.asarray(steps, dtype=float), np.asarray(values, dtype=float)
    if len(values) <= max_points:
        return steps, values
    width = math.ceil(len(values) / max_points)
    n = len(values) // width * width
    blocks = values[:n].reshape(-1, width)
    with warnings.catch_warnings():  # a block of only NaNs (a blown-up run) averages to NaN, quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(blocks, 1)
    return steps[:n].reshape(-1, width)[:, -1], means
