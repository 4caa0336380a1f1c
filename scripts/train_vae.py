"""Train a VAE (or, with --plain, an autoencoder) on MNIST and ship it to weights/.

    python scripts/train_vae.py --latent-dim 2            # -> weights/vae-z2.*
    python scripts/train_vae.py --latent-dim 16           # -> weights/vae-z16.*
    python scripts/train_vae.py --latent-dim 2 --plain    # -> weights/ae-z2.*
    torchrun --standalone --nproc_per_node 2 scripts/train_vae.py --latent-dim 2   # two processes

Under torchrun --batch-size is the global batch: each process trains on its share of it.
A 2-D model's training is also recorded for the page's replay: weights/<name>.history.safetensors.
"""

import time
from dataclasses import asdict

import torch
from safetensors.torch import load_file
from torch.distributed.elastic.multiprocessing.errors import record

import _common
from core.training.checkpoint import load_training_state, save_checkpoint, save_tensors, save_training_state
from core.training.data import digit_sample, load_mnist
from core.vae.history import VAEHistory, fixed_test_indices, moment_steps
from core.vae.model import VAE, VAEConfig, encode_all, evaluate, train_epoch


@record  # under torchrun, a failing rank's error heads the launcher's report
def main():
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--latent-dim", type=int, default=2)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--plain", action="store_true", help="a plain autoencoder (no sampling, no KL)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128, help="the global batch (over all processes)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--name", default=None, help="default: vae-z<latent> or ae-z<latent>")
    p.add_argument("--moments", type=int, default=40, help="snapshots of the 2-D map to record")
    p.add_argument("--grid-span", type=float, default=None, help="the recorded grid covers [-span, span]^2 (default: 3 VAE, 30 plain)")
    args = p.parse_args()
    run, device, _ = _common.setup(args)
    gen = torch.Generator(device=device).manual_seed(args.seed)  # batches and noise: one stream, on every rank
    name = args.name or f"{'ae' if args.plain else 'vae'}-z{args.latent_dim}"

    train_x, _ = load_mnist(train=True, data_dir=args.data_dir)
    test_x, test_y = load_mnist(train=False, data_dir=args.data_dir)
    train_x, test_x = train_x.to(device), test_x.to(device)

    cfg = VAEConfig(latent_dim=args.latent_dim, variational=not args.plain, hidden=args.hidden, beta=args.beta)
    model = VAE(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    # cosine decay to a tenth of the rate: the last epochs polish rather than bounce
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=args.lr / 10)
    accum, micro = _common.plan(args, run, args.batch_size)
    state_path = _common.run_dir(args, name) / "state"
    steps_per_epoch = len(train_x) // args.batch_size
    total = args.max_steps or steps_per_epoch * args.epochs
    # the replay's record: 2-D models only (the map is the latent space itself)
    recorder, snap_at, record_path = None, set(), state_path.with_name("history.safetensors")
    if args.latent_dim == 2 and run.is_main:
        idx = fixed_test_indices(len(test_x))
        span = args.grid_span or (30.0 if args.plain else 3.0)
        recorder, snap_at = VAEHistory(test_x[idx], test_y[idx], idx, span), set(moment_steps(total, args.moments))
    start, elapsed, history = 0, 0.0, []
    if run.share(args.resume and state_path.with_suffix(".json").exists()):  # rank 0's files decide
        prog = load_training_state(state_path, {"model": model}, {"opt": opt}) if run.is_main else None
        run.share_state({"model": model}, {"opt": opt})
        prog = run.share(prog)
        start, elapsed, history = prog["epoch"], prog["elapsed"], prog["history"]
        if recorder is not None and record_path.exists():
            recorder.restore(load_file(str(record_path)))
            recorder.drop_after(start * steps_per_epoch)
        for _ in range(start):
            sched.step()
        if run.is_main:
            print(f"resumed {name} at epoch {start}")
    fwd = run.wrap(model)

    if recorder is not None and start == 0:
        recorder.snapshot(model, 0, 0.0)

    def on_step(epoch, s, stats):
        bar.update(1)
        bar.set_postfix(loss=f"{stats['loss']:.1f}")
        if recorder is not None:
            step = epoch * steps_per_epoch + s
            recorder.log(step, stats)
            if step in snap_at:
                recorder.snapshot(model, step, step / steps_per_epoch)

    bar = _common.progress(run, total=total, initial=min(start * steps_per_epoch, total), desc=name)
    for epoch in range(start, args.epochs):
        t0 = time.time()
        stats = train_epoch(
            fwd,
            opt,
            train_x,
            args.batch_size,
            gen,
            args.max_steps,
            on_step=lambda s, stats: on_step(epoch, s, stats),  # noqa: B023 (called within this epoch)
            mine=run.mine,
            accum=accum,
        )
        stats = run.mean({k: stats[k] for k in ("loss", "recon", "kl")})  # over the global batch
        sched.step()
        elapsed += time.time() - t0
        if run.is_main:
            test = evaluate(model, test_x)
            history.append({"epoch": epoch + 1, "train_loss": stats["loss"], "test_loss": test["loss"]})
            bar.write(
                f"epoch {epoch + 1}: train {stats['loss']:.2f}  test {test['loss']:.2f} "
                f"(recon {test['recon']:.2f} + KL {test['kl']:.2f})"
            )
            save_training_state(
                state_path, {"model": model}, {"opt": opt}, {"epoch": epoch + 1, "elapsed": elapsed, "history": history}
            )
            if recorder is not None:
                save_tensors(record_path, recorder.to_tensors())
        if args.max_steps:
            break
    bar.close()
    run.check_in_sync(model)
    fwd = None  # before close(): see Dist.close
    run.close()
    if not run.is_main:
        return

    test = evaluate(model, test_x)
    out = _common.out_dir(args)
    save_checkpoint(
        model.cpu(),
        name,
        {
            "model": "autoencoder" if args.plain else "vae",
            "config": asdict(cfg),
            "dataset": "MNIST (60,000 train / 10,000 test)",
            "epochs": len(history),
            "steps": len(history) * steps_per_epoch,
            "batch_size": args.batch_size,
            "distributed": {**run.info(), "grad_accum": accum, "micro_batch": micro},
            "wall_time_s": round(elapsed, 1),
            "metrics": {"test_loss": round(test["loss"], 3), "test_recon": round(test["recon"], 3), "test_kl": round(test["kl"], 3)},
            "headline": f"test loss {test['loss']:.1f} nats/image",
            "history": history,
        },
        out,
    )
    # What the page needs with no dataset present: test-set latents and a few test digits.
    mu, kl = encode_all(model, test_x.cpu())
    save_tensors(
        out / f"{name}.data.safetensors",
        {
            "mu": mu,
            "labels": test_y,
            "kl_per_dim": kl.mean(0),
            **digit_sample(test_x, test_y),
        },
    )
    if recorder is not None:
        done = min(total, len(history) * steps_per_epoch)
        if recorder.moments[-1]["step"] != done:  # the shipped model is the last moment
            recorder.snapshot(model, done, done / steps_per_epoch)
        save_tensors(out / f"{name}.history.safetensors", recorder.to_tensors())
    print(f"{name}: test loss {test['loss']:.2f} (recon {test['recon']:.2f} + KL {test['kl']:.2f}) -> {out}")


if __name__ == "__main__":
    main()
