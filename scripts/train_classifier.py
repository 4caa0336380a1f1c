"""Train the digit classifier that scores the GAN's samples and colours the VAE's latent map.

python scripts/train_classifier.py            # -> weights/classifier.*  (target: >= 99.0% test accuracy)
torchrun --standalone --nproc_per_node 2 scripts/train_classifier.py   # two processes, one global batch
"""

import time
from dataclasses import asdict

import torch
from torch.distributed.elastic.multiprocessing.errors import record

import _common
from core.mnist.classifier import ClassifierConfig, DigitClassifier, accuracy, train_epoch
from core.training.checkpoint import save_checkpoint
from core.training.data import load_mnist


@record  # under torchrun, a failing rank's error heads the launcher's report
def main():
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=128, help="the global batch (over all processes)")
    p.add_argument("--lr", type=float, default=2e-3)
    args = p.parse_args()
    run, device, _ = _common.setup(args)
    gen = torch.Generator(device=device).manual_seed(args.seed)  # batches and shifts: one stream, on every rank

    train_x, train_y = load_mnist(train=True, data_dir=args.data_dir)
    test_x, test_y = load_mnist(train=False, data_dir=args.data_dir)
    train_x, train_y, test_x, test_y = (t.to(device) for t in (train_x, train_y, test_x, test_y))

    cfg = ClassifierConfig()
    model = DigitClassifier(cfg).to(device)
    run.seed_ranks(args.seed)  # dropout masks differ per rank
    accum, micro = _common.plan(args, run, args.batch_size)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = len(train_x) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps_per_epoch * args.epochs)
    fwd = run.wrap(model)
    bar = _common.progress(run, total=args.max_steps or steps_per_epoch * args.epochs, desc="classifier")
    t0 = time.time()
    for epoch in range(args.epochs):
        train_epoch(
            fwd,
            opt,
            train_x,
            train_y,
            args.batch_size,
            gen,
            args.max_steps,
            mine=run.mine,
            accum=accum,
            on_step=lambda s, loss: (sched.step(), bar.update(1), bar.set_postfix(loss=f"{loss:.3f}")),
        )
        if run.is_main:
            bar.write(f"epoch {epoch + 1}: test accuracy {accuracy(model, test_x, test_y):.4f}")
        if args.max_steps:
            break
    bar.close()
    run.check_in_sync(model)
    fwd = None  # before close(): see Dist.close
    run.close()
    if not run.is_main:
        return
    acc = accuracy(model, test_x, test_y)
    save_checkpoint(
        model.cpu(),
        "classifier",
        {
            "model": "digit classifier",
            "config": asdict(cfg),
            "dataset": "MNIST (60,000 train / 10,000 test)",
            "epochs": args.epochs,
            "steps": bar.n,
            "wall_time_s": round(time.time() - t0, 1),
            "distributed": {**run.info(), "grad_accum": accum, "micro_batch": micro},
            "metrics": {"test_accuracy": round(acc, 4)},
            "headline": f"test accuracy {acc:.2%}",
        },
        _common.out_dir(args),
    )
    print(f"classifier: test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
