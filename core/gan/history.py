"""What a GAN's training looked like: losses every step, and snapshots at chosen moments.

A snapshot holds the fixed-noise sample grid and, when a digit classifier is given, the
classifier's verdict on fresh samples (class shares: the mode-collapse meter; confidence) and
the Fréchet distance between classifier features of generated and real digits.
The training script saves one of these beside the weights; the page's live training keeps one
in the session.
"""

from __future__ import annotations

import torch

from core.gan.model import to_unit
from core.mnist.classifier import class_report, frechet_distance, gaussian_stats, predict
from core.training.helpers import evaluating

LOSS_KEYS = ("loss_d", "loss_g", "d_real", "d_fake")
EVAL_SEEDS = (12345, 1, 2, 3, 4)  # the shipped generator's noise seeds for its figures; the headline's first


@torch.no_grad()
def score_generator(G, classifier, real_stats=None, n: int = 2000, seed: int = 0) -> dict:
    """The classifier's verdict on n fresh samples: class shares, confidence, Fréchet distance.

    The noise comes from a generator of its own, so measuring never changes a training run.
    """
    device = next(G.parameters()).device
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    with evaluating(G):
        probs, feats = predict(classifier, to_unit(G(z)))
    report = class_report(probs.cpu())
    if real_stats is not None:
        report["fid"] = frechet_distance(gaussian_stats(feats.cpu()), real_stats)
    return report


def score_seeds(G, classifier, real_stats=None, n: int = 2000, seeds=EVAL_SEEDS) -> list[dict]:
    """`score_generator` once per noise seed: one lucky draw of noise must not make a target."""
    return [score_generator(G, classifier, real_stats, n, seed) for seed in seeds]


class TrainingHistory:
    def __init__(
        self,
        fixed_noise: torch.Tensor,
        classifier=None,
        real_features: torch.Tensor | None = None,
        n_eval: int = 1000,
        max_points: int = 4000,
        max_moments: int = 120,
        seed: int = 0,
    ):
        self.fixed_noise = fixed_noise
        self.classifier = classifier
        self.real_stats = gaussian_stats(real_features) if real_features is not None else None
        self.n_eval, self.max_points, self.max_moments, self.seed = n_eval, max_points, max_moments, seed
        self.losses: dict[str, list[float]] = {k: [] for k in ("step",) + LOSS_KEYS}
        self.moments: list[dict] = []
        self._stride, self._pending = 1, 0

    # -- losses --------------------------------------------------------------------------------
    def log(self, stats: dict) -> None:
        """Record one trainer step; past max_points, keep every other point (memory stays bounded)."""
        self._pending += 1
        if self._pending < self._stride:
            return
        self._pending = 0
        for k in self.losses:
            self.losses[k].append(float(stats[k]))
        if len(self.losses["step"]) > self.max_points:
            self.losses = {k: v[::2] for k, v in self.losses.items()}
            self._stride *= 2

    # -- snapshots -----------------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self, G: torch.nn.Module, step: int) -> dict:
        device = next(G.parameters()).device
        with evaluating(G):
            grid = to_unit(G(self.fixed_noise.to(device))).squeeze(1).cpu()
        moment = {"step": step, "samples": (grid * 255).round().to(torch.uint8)}
        if self.classifier is not None:
            moment.update(score_generator(G, self.classifier, self.real_stats, self.n_eval, self.seed + step))
        self.moments.append(moment)
        if len(self.moments) > self.max_moments:
            self.moments = self.moments[:1] + self.moments[1::2]  # keep the first, thin the rest
        return moment

    # -- saving --------------------------------------------------------------------------------
    def to_tensors(self) -> dict[str, torch.Tensor]:
        t = {f"loss.{k}": torch.tensor(v) for k, v in self.losses.items()}
        t["moment.step"] = torch.tensor([m["step"] for m in self.moments])
        t["moment.samples"] = torch.stack([m["samples"] for m in self.moments])
        if self.moments and "shares" in self.moments[0]:
            t["moment.shares"] = torch.tensor([m["shares"] for m in self.moments])
            for k in ("mean_confidence", "confident_share"):
                t[f"moment.{k}"] = torch.tensor([m[k] for m in self.moments])
        if self.moments and "fid" in self.moments[0]:
            t["moment.fid"] = torch.tensor([m["fid"] for m in self.moments])
        return t


def moments_from_tensors(t: dict[str, torch.Tensor]) -> list[dict]:
    """The saved snapshots as a list of dicts, the shape `TrainingHistory.moments` has."""
    out = []
    for i, step in enumerate(t["moment.step"].tolist()):
        m = {"step": step, "samples": t["moment.samples"][i]}
        if "moment.shares" in t:
            m["shares"] = t["moment.shares"][i].tolist()
            m["mean_confidence"] = t["moment.mean_confidence"][i].item()
            m["confident_share"] = t["moment.confident_share"][i].item()
        if "moment.fid" in t:
            m["fid"] = t["moment.fid"][i].item()
        out.append(m)
    return out


def losses_from_tensors(t: dict[str, torch.Tensor]) -> dict[str, list[float]]:
    return {k.split(".", 1)[1]: v.tolist() for k, v in t.items() if k.startswith("loss.")}
