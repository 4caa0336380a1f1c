"""Train the MNIST DCGAN and ship its generator plus a replayable training history.

    python scripts/train_gan.py          # -> weights/gan.safetensors, gan.json, gan.history.safetensors
    torchrun --standalone --nproc_per_node 2 scripts/train_gan.py    # two processes, one global batch

Needs weights/classifier.* (python scripts/train_classifier.py): it scores samples as training goes
(on rank 0 only, under torchrun). --batch-size is the global batch; with several processes each
trains on its share and BatchNorm normalises over the whole batch. No gradient accumulation here:
BatchNorm over sequential micro-batches would not be the same model.
"""

import time
from dataclasses import asdict, replace

import numpy as np
import torch
from safetensors.torch import load_file
from torch.distributed.elastic.multiprocessing.errors import record

import _common
from core.gan.history import EVAL_SEEDS, TrainingHistory, losses_from_tensors, moments_from_tensors, score_seeds
from core.gan.model import LOSSES, GANConfig, GANTrainer, TrainSettings, lr_scale, mnist_sampler, new_mnist_gan
from core.mnist.classifier import frechet_distance, gaussian_stats, load_classifier, predict
from core.training.checkpoint import load_training_state, save_checkpoint, save_tensors, save_training_state
from core.training.data import digit_sample, load_mnist
from core.training.distributed import unwrap


def moment_steps(total: int, n: int = 48) -> set[int]:
    """Snapshot steps: evenly spread, plus denser early on, where the pictures change fastest."""
    even = np.linspace(0, total, n)
    early = np.geomspace(10, max(total, 10), n // 3)
    return {int(s) for s in np.concatenate([even, early])}


class ShardedGANTrainer(GANTrainer):
    """The GAN trainer on one rank: it draws the whole batch (real digits, noise) from the stream
    every rank shares, as a single process would, and keeps its own rows (`mine`)."""

    def __init__(self, G, D, sample_real, *args, mine, **kwargs):
        super().__init__(G, D, lambda n, gen: mine(sample_real(n, gen)), *args, **kwargs)
        self.mine = mine

    def noise(self, n: int) -> torch.Tensor:
        return self.mine(super().noise(n))


@record  # under torchrun, a failing rank's error heads the launcher's report
def main():
    p = _common.parser(__doc__.splitlines()[0], accumulate=False)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=64, help="the global batch (over all processes)")
    p.add_argument("--lr-g", type=float, default=2e-4)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--channels", type=int, default=64, help="generator width")
    p.add_argument("--d-channels", type=int, default=None, help="discriminator width (default: --channels)")
    p.add_argument("--spectral-norm", action="store_true", help="spectral normalisation in the discriminator (no BatchNorm there)")
    p.add_argument("--loss", default="bce", choices=LOSSES, help="bce: DCGAN's cross-entropy; hinge: the hinge loss")
    p.add_argument("--beta1", type=float, default=0.5, help="Adam's first beta, both players")
    p.add_argument("--beta2", type=float, default=0.999, help="Adam's second beta, both players")
    p.add_argument(
        "--decay-from",
        type=int,
        default=6000,
        help="from this step on, lower both learning rates linearly to zero at the last step (past the end: off)",
    )
    p.add_argument("--ema", type=float, default=0.999, help="decay of the generator's moving average (0: none)")
    args = p.parse_args()
    run, device, _ = _common.setup(args)
    _common.plan(args, run, args.batch_size)  # exits unless the batch splits evenly over the processes
    gen = torch.Generator(device=device).manual_seed(args.seed)  # batches and noise, on the device, on every rank

    train_x, _ = load_mnist(train=True, data_dir=args.data_dir)
    cfg = GANConfig(g_channels=args.channels, d_channels=args.d_channels or args.channels, spectral_norm=args.spectral_norm)
    if run.is_main:  # only rank 0 scores samples
        test_x, test_y = load_mnist(train=False, data_dir=args.data_dir)
        classifier = load_classifier().to(device)
        _, test_feats = predict(classifier, test_x.to(device))
        _, train_feats = predict(classifier, train_x[:10000].to(device))
        real_stats = gaussian_stats(test_feats.cpu())
        floor = frechet_distance(gaussian_stats(train_feats.cpu()), real_stats)  # train vs test: the best one can hope for
        fixed = torch.randn(64, cfg.latent_dim, generator=torch.Generator().manual_seed(args.seed + 1))
        history = TrainingHistory(fixed, classifier, test_feats.cpu(), max_points=10**6, max_moments=1000, seed=args.seed)

    settings = TrainSettings(lr_g=args.lr_g, lr_d=args.lr_d, beta1=args.beta1, beta2=args.beta2, batch_size=args.batch_size)
    G, D = new_mnist_gan(cfg, torch.Generator().manual_seed(args.seed))
    G, D = run.sync_batchnorm(G).to(device), run.sync_batchnorm(D).to(device)
    trainer = ShardedGANTrainer(
        G, D, mnist_sampler(train_x.to(device)), cfg.latent_dim, settings, gen, args.ema or None, args.loss, mine=run.mine
    )
    modules = {"G": G, "D": D, **({"G_ema": trainer.G_ema} if trainer.G_ema is not None else {})}
    optimizers = {"opt_g": trainer.opt_g, "opt_d": trainer.opt_d}

    total = args.max_steps or args.epochs * (len(train_x) // args.batch_size)
    snap_at = moment_steps(total)
    state_path = _common.run_dir(args, "gan") / "state"
    history_path = state_path.with_name("history.safetensors")
    elapsed = 0.0
    if run.share(args.resume and state_path.with_suffix(".json").exists()):  # rank 0's files decide
        prog = load_training_state(state_path, modules, optimizers) if run.is_main else None
        run.share_state(modules, optimizers)
        prog = run.share(prog)
        trainer.steps, elapsed = prog["step"], prog["elapsed"]
        if run.is_main:
            saved = load_file(str(history_path))
            history.losses, history.moments = losses_from_tensors(saved), moments_from_tensors(saved)
            print(f"resumed at step {trainer.steps}")
    trainer.G, trainer.D = run.wrap(G), run.wrap(D)  # the optimisers hold the same parameters

    bar = _common.progress(run, total=total, initial=trainer.steps, desc="gan")
    if run.is_main and 0 in snap_at and trainer.steps == 0:
        history.snapshot(unwrap(trainer.sampler), 0)
    t0 = time.time()
    while trainer.steps < total:
        f = lr_scale(trainer.steps, args.decay_from, total)
        trainer.update_settings(replace(settings, lr_g=args.lr_g * f, lr_d=args.lr_d * f))
        stats = run.mean(trainer.step())  # the global batch's losses
        bar.update(1)
        if not run.is_main:
            continue
        history.log(stats)
        if trainer.steps in snap_at:
            m = history.snapshot(unwrap(trainer.sampler), trainer.steps)
            bar.set_postfix(
                loss_d=f"{stats['loss_d']:.2f}",
                loss_g=f"{stats['loss_g']:.2f}",
                confident=f"{m['confident_share']:.2f}",
                fid=f"{m['fid']:.1f}",
            )
        if trainer.steps % 1000 == 0:
            save_training_state(state_path, modules, optimizers, {"step": trainer.steps, "elapsed": elapsed + time.time() - t0})
            save_tensors(history_path, history.to_tensors())
    bar.close()
    elapsed += time.time() - t0
    run.check_in_sync(G)
    run.check_in_sync(D)
    trainer.G, trainer.D = G, D  # drop the DDP wrappers before close(): see Dist.close
    run.close()
    if not run.is_main:
        return

    G_final = unwrap(trainer.sampler)  # the moving average, when training kept one
    scores = score_seeds(G_final, classifier, real_stats, n=2000)  # the headline's seed first
    score = scores[0]
    shares = [p for s in scores for p in s["shares"]]  # every class's share under every seed
    out = _common.out_dir(args)
    save_checkpoint(
        G_final.cpu(),
        "gan",
        {
            "model": "dcgan generator",
            "config": asdict(cfg),
            "train_settings": asdict(settings),
            "loss": args.loss,
            "ema_decay": args.ema or None,
            "lr_decay_from": args.decay_from,
            "distributed": run.info(),
            "dataset": "MNIST (60,000 train)",
            "steps": trainer.steps,
            "epochs": round(trainer.steps * args.batch_size / len(train_x), 2),
            "wall_time_s": round(elapsed, 1),
            "metrics": {
                "confident_share": round(score["confident_share"], 4),
                "mean_confidence": round(score["mean_confidence"], 4),
                "class_shares": [round(s, 4) for s in score["shares"]],
                "fid": round(score["fid"], 3),
                "fid_floor": round(floor, 3),
                "eval_samples": 2000,
                "eval_seed": EVAL_SEEDS[0],
                # the same figures for more noise seeds: a target must hold for every one of them
                "eval_seeds": list(EVAL_SEEDS),
                "confident_share_seeds": [round(s["confident_share"], 4) for s in scores],
                "class_share_range": [round(min(shares), 4), round(max(shares), 4)],
                "fid_seeds": [round(s["fid"], 3) for s in scores],
            },
            "headline": f"{score['confident_share']:.0%} confident digits, FD {score['fid']:.1f}",
        },
        out,
    )
    save_tensors(out / "gan.history.safetensors", {**history.to_tensors(), **digit_sample(test_x, test_y)})
    for seed, s in zip(EVAL_SEEDS, scores):
        print(
            f"gan, noise seed {seed}: {s['confident_share']:.1%} confident (>=0.9), class shares "
            f"{min(s['shares']):.1%}..{max(s['shares']):.1%}, FD {s['fid']:.2f} (floor {floor:.2f})"
        )


if __name__ == "__main__":
    main()
