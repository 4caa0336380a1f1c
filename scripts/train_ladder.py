"""Train the lecture ladder: every rung at every seed on the same budget (core/gpt/ladder.py).

    python scripts/train_ladder.py --data-dir <data> --jobs 2           # 8 rungs x 2 seeds, two at a time
    python scripts/train_ladder.py --rungs ladder-residual ladder-layernorm

Each run is scripts/train_gpt.py --preset <rung>. The first seed's weights ship (weights/<rung>.*); the
other seeds train beside them in runs/ladder/, and their losses join the shipped metadata under "seeds",
so the page can show how much of a gap between rungs is noise.
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import _common
from core.gpt import ladder
from core.training.checkpoint import load_meta


def main():
    p = _common.parser(__doc__.splitlines()[0], accumulate=False)
    p.add_argument("--rungs", nargs="*", choices=ladder.CONFIGS, default=list(ladder.CONFIGS))
    p.add_argument("--seeds", nargs="*", type=int, default=list(ladder.SEEDS))
    p.add_argument("--jobs", type=int, default=1, help="runs at once, one CPU thread each when more than one")
    args = p.parse_args()
    shipped = _common.out_dir(args)
    others = (_common.ROOT if args.out_dir is None else shipped) / "runs" / "ladder"

    def train(rung: str, seed: int) -> None:
        out = shipped if seed == args.seeds[0] else others / f"seed{seed}"
        out.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(_common.ROOT / "scripts/train_gpt.py"), "--preset", rung, "--seed", str(seed),
               "--out-dir", str(out), "--device", args.device]  # fmt: skip
        cmd += ["--data-dir", args.data_dir] if args.data_dir else []
        cmd += ["--max-steps", str(args.max_steps)] if args.max_steps else []
        env = {**os.environ, **({"OMP_NUM_THREADS": "1"} if args.jobs > 1 else {})}
        log = others / f"{rung}-seed{seed}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as f:
            subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, check=True)
        print(f"{rung} seed {seed}: {load_meta(rung, out)['metrics']}", flush=True)

    runs = [(rung, seed) for seed in args.seeds for rung in args.rungs]
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda run: train(*run), runs))  # list(): a failed run raises here

    for rung in args.rungs:  # every seed's losses into the shipped metadata
        seeds = [load_meta(rung, shipped if s == args.seeds[0] else others / f"seed{s}") for s in args.seeds]
        meta = seeds[0]
        meta["seeds"] = [
            {"seed": m["seed"], "val_loss": m["metrics"]["val_loss"], "train_loss": m["metrics"]["train_loss"]} for m in seeds
        ]
        (shipped / f"{rung}.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
