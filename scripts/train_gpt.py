"""Train the character-level GPT (or the bigram baseline) on tiny Shakespeare.

    python scripts/train_gpt.py --preset cpu-long   # one CPU thread, about 46 minutes alone -> weights/gpt-shakespeare.*
    python scripts/train_gpt.py --preset cpu        # a smaller model, about 12 minutes
    python scripts/train_gpt.py --preset lecture --device cuda --compile   # the lecture's model, on a GPU
    python scripts/train_gpt.py --preset bigram     # the baseline -> weights/bigram.*
    python scripts/train_gpt.py --preset ladder-residual   # one rung of the lecture ladder (scripts/train_ladder.py: all)
    python scripts/train_gpt.py --preset ladder-layernorm --text my.txt --max-iters 3000 --name my-gpt   # your own text
    torchrun --standalone --nproc_per_node 4 scripts/train_gpt.py --preset lecture --device cuda   # 4 GPUs

Keeps the checkpoint with the best validation loss (the lecture's model overfits late).
Under torchrun the preset's batch is the global batch: each process trains on its share of it.
"""

import time
from dataclasses import asdict, replace
from pathlib import Path

import torch
from torch.distributed.elastic.multiprocessing.errors import record

import _common
from core.gpt import ladder
from core.gpt.live import Corpus
from core.gpt.model import GPT, BigramLanguageModel
from core.gpt.tokenizer import CharTokenizer
from core.gpt.train import PRESETS, TrainConfig, estimate_loss, full_loss, get_batch, make_optimizer, split, train_step
from core.training.checkpoint import load_training_state, save_checkpoint, save_training_state
from core.training.data import load_shakespeare


@record  # under torchrun, a failing rank's error heads the launcher's report
def main():
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--preset", choices=[*PRESETS, "bigram", *ladder.CONFIGS], default="cpu")
    p.add_argument("--max-iters", type=int, default=None)
    p.add_argument("--eval-interval", type=int, default=None)
    p.add_argument("--eval-iters", type=int, default=None, help="batches per loss estimate")
    p.add_argument("--batch-size", type=int, default=None, help="the global batch (over all processes)")
    p.add_argument("--dropout", type=float, default=None, help="override the preset's dropout")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (GPU)")
    p.add_argument("--name", default=None, help="default: gpt-shakespeare, or bigram")
    p.add_argument("--text", default=None, help="train on this UTF-8 file instead (as the GPT page's Train your own tab reads it)")
    args = p.parse_args()
    run, device, gen = _common.setup(args)
    name = args.name or ("gpt-shakespeare" if args.preset in PRESETS else args.preset)

    if args.text:  # the page's reading: NFC, the 200 most frequent characters and a placeholder for the rest
        corpus = Corpus(Path(args.text).read_text(encoding="utf-8-sig"))
        text, tok, data = corpus.text, corpus.tokenizer, corpus.data
        dataset = f"{Path(args.text).name} ({len(text):,} characters; first 90% train, last 10% validation)"
    else:
        text = load_shakespeare(args.data_dir)
        tok = CharTokenizer.from_text(text)
        data = torch.tensor(tok.encode(text), dtype=torch.long)
        dataset = "tiny Shakespeare (1,115,394 characters; first 90% train, last 10% validation)"
    train_data, val_data = split(data)

    if args.preset == "bigram":
        model_cfg, tcfg = (
            None,
            TrainConfig(batch_size=32, max_iters=3000, lr=1e-2, min_lr=1e-3, warmup_iters=0, weight_decay=0.0, eval_interval=500),
        )
        model, block = BigramLanguageModel(tok.vocab_size), 8
    elif args.preset in ladder.CONFIGS:  # every rung: the ladder's one budget
        model_cfg, tcfg = ladder.CONFIGS[args.preset], ladder.BUDGET
        model, block = ladder.build(args.preset, tok.vocab_size), ladder.WIDTH.block_size
        model_cfg = model_cfg and replace(model_cfg, vocab_size=tok.vocab_size)
    else:
        model_cfg, tcfg = PRESETS[args.preset]
        model_cfg = replace(model_cfg, vocab_size=tok.vocab_size, **({} if args.dropout is None else {"dropout": args.dropout}))
        model, block = GPT(model_cfg), model_cfg.block_size
    tcfg = replace(
        tcfg,
        **{
            k: v
            for k, v in {
                "max_iters": args.max_iters or args.max_steps,
                "eval_interval": args.eval_interval,
                "eval_iters": args.eval_iters,
                "batch_size": args.batch_size,
            }.items()
            if v
        },
    )
    accum, micro = _common.plan(args, run, tcfg.batch_size)
    model.to(device)
    run.seed_ranks(args.seed)  # dropout masks differ per rank
    opt = make_optimizer(model, tcfg, device.type)
    autocast = torch.bfloat16 if device.type == "cuda" else None
    fwd = torch.compile(model) if args.compile else model

    state_path = _common.run_dir(args, name) / "state"
    it, best, best_it, elapsed, curve = 0, float("inf"), 0, 0.0, []
    if run.share(args.resume and state_path.with_suffix(".json").exists()):  # rank 0's files decide
        prog = load_training_state(state_path, {"model": model}, {"opt": opt}) if run.is_main else None
        run.share_state({"model": model}, {"opt": opt})
        prog = run.share(prog)
        it, best, best_it, elapsed, curve = prog["iter"], prog["best"], prog["best_iter"], prog["elapsed"], prog["curve"]
        if run.is_main:
            print(f"resumed at iteration {it} (best val {best:.4f})")
    fwd = run.wrap(fwd)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()} if run.is_main else None

    bar = _common.progress(run, total=tcfg.max_iters, initial=it, desc=name)
    t0 = time.time()
    while it < tcfg.max_iters:
        x, y = get_batch(train_data, block, tcfg.batch_size, gen)  # the global batch, the same on every rank
        x, y = run.mine(x).to(device), run.mine(y).to(device)
        loss = run.mean(train_step(fwd, opt, x, y, tcfg, it, autocast, accum))
        it += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.3f}")
        if run.is_main and (it % tcfg.eval_interval == 0 or it == tcfg.max_iters):
            losses = {
                s: estimate_loss(model, d, block, tcfg.batch_size, tcfg.eval_iters, seed=it, device=device)
                for s, d in (("train", train_data), ("val", val_data))
            }
            curve.append({"iter": it, **{k: round(v, 4) for k, v in losses.items()}})
            if losses["val"] < best:
                best, best_it = losses["val"], it
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            bar.write(f"iter {it}: train {losses['train']:.4f}  val {losses['val']:.4f}  (best {best:.4f} @ {best_it})")
            save_training_state(
                state_path,
                {"model": model},
                {"opt": opt},
                {"iter": it, "best": best, "best_iter": best_it, "curve": curve, "elapsed": elapsed + time.time() - t0},
            )
    bar.close()
    elapsed += time.time() - t0
    run.check_in_sync(model)
    fwd = None  # before close(): see Dist.close
    run.close()
    if not run.is_main:
        return

    model.load_state_dict(best_state)
    val = full_loss(model, val_data, block, device=device)
    # as many windows of the training split, spread over it: the gap to val shows overfitting
    train = full_loss(model, train_data, block, max_windows=(len(val_data) - 1) // block, device=device)
    meta = {
        "model": "bigram" if model_cfg is None else "gpt",
        "seed": args.seed,
        "preset": args.preset,
        "config": asdict(model_cfg) if model_cfg else {"vocab_size": tok.vocab_size},
        "train_config": asdict(tcfg),
        "distributed": {**run.info(), "grad_accum": accum, "micro_batch": micro},
        "vocab": tok.chars,
        "placeholder": tok.placeholder,
        "dataset": dataset,
        "steps": it,
        "best_iter": best_it,
        "wall_time_s": round(elapsed, 1),
        "metrics": {
            "val_loss": round(val, 4),
            "train_loss": round(train, 4),
            "val_loss_estimate": round(best, 4),
            "eval_block_size": block,
        },
        "headline": f"validation loss {val:.3f}",
        "curve": curve,
    }
    # 16-bit floats halve the file; the model is computed in float32 after loading
    save_checkpoint(model.cpu(), name, meta, _common.out_dir(args), dtype=torch.float16 if model_cfg else None)
    print(f"{name}: validation loss {val:.4f} over the whole validation split (best estimate {best:.4f} @ {best_it})")


if __name__ == "__main__":
    main()
