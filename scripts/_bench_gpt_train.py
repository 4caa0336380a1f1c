"""How fast a learner's own GPT trains (core/gpt/live.py, the Train your own tab), on one thread as on a scheduler worker:

- steps/s of the full ladder architecture (212k parameters, context 64, batch 32) without dropout (ladder-layernorm,
  the tab's default) and with it (ladder-dropout), the bare step and the live trainer's own loop (its validation
  estimates and samples included);
- on tiny Shakespeare, the loss over the whole validation split after 30 s, 90 s and 5 min of training;
- on GenLab's Portuguese explanations, the real-word meter (share of sampled words that occur in the training text)
  and the share of accented letters kept in the samples, over time.

    python scripts/_bench_gpt_train.py                       # all three parts (about 9 minutes)
    python scripts/_bench_gpt_train.py --part speed          # one part: speed, shakespeare or portuguese
    python scripts/_bench_gpt_train.py --part portuguese --at-steps 1000 2000 3600   # the meter by steps, not time
    python scripts/benchmark.py --only gpt_train             # the same rows, in the project's table

The clock counts training only: the measurements at each mark are taken with the clock stopped.
"""

from __future__ import annotations

import argparse
import time
import unicodedata

import torch

import _common  # noqa: F401  (puts the repo root on sys.path)
from core.gpt.live import SAMPLE_CHARS, Corpus, LiveGPT, builtin_text, real_word_share
from core.gpt.train import full_loss, get_batch, train_step

RUNG = "ladder-layernorm"  # the full architecture; the tab's default rung (without dropout: see bench_speed)
SHAKESPEARE_MARKS_S = (30, 90, 300)
PORTUGUESE_MARKS_S = (30, 60, 120, 180)


def _row(metric: str, value: float, unit: str, rung: str = RUNG) -> dict:
    return {"model": f"own GPT ({rung})", "metric": metric, "value": round(value, 4), "unit": unit}


def bench_speed(corpus: Corpus, steps: int = 300) -> list[dict]:
    """The full architecture without dropout (ladder-layernorm) and with it (ladder-dropout): same 212k parameters;
    attention dropout sends PyTorch's CPU attention down a slower path."""
    return [row for rung in (RUNG, "ladder-dropout") for row in _speed(corpus, rung, steps)]


def _speed(corpus: Corpus, rung: str, steps: int) -> list[dict]:
    live = LiveGPT(corpus, rung, seed=0)
    c, cfg = live.corpus, live.cfg
    for it in range(20):  # warm-up
        x, y = get_batch(c.train, c.block_size, cfg.batch_size, live.gen)
        train_step(live.model, live.optimizer, x, y, cfg, it)
    t0 = time.perf_counter()
    for it in range(steps):
        x, y = get_batch(c.train, c.block_size, cfg.batch_size, live.gen)
        train_step(live.model, live.optimizer, x, y, cfg, it)
    bare = steps / (time.perf_counter() - t0)
    live = LiveGPT(corpus, RUNG, seed=0)
    t0 = time.perf_counter()
    live.run(steps)  # crosses step 100 and 300: two validation estimates and samples
    looped = steps / (time.perf_counter() - t0)
    return [
        _row("train steps/s, one thread (bare step)", bare, "steps/s"),
        _row(f"train steps/s, live loop ({steps} steps)", looped, "steps/s"),
    ]


def train_for(live: LiveGPT, marks_s, measure, by_steps: bool = False) -> list[tuple[float, int, dict]]:
    """Train until each mark of training time (or of steps, by_steps); at each, measure(live) with the clock stopped."""
    out, clock = [], 0.0
    for mark in marks_s:
        while (live.steps if by_steps else clock) < mark:
            t0 = time.perf_counter()
            live.train_step()
            clock += time.perf_counter() - t0
        out.append((mark, live.steps, measure(live)))
    return out


def bench_shakespeare(data_dir=None, marks_s=SHAKESPEARE_MARKS_S) -> list[dict]:
    live = LiveGPT(Corpus(builtin_text("shakespeare", data_dir)), RUNG, seed=0)

    def val(lv):
        loss = full_loss(lv.model, lv.corpus.val, lv.corpus.block_size)
        lv.model.train()
        return {"val": loss}

    rows = []
    for mark, steps, m in train_for(live, marks_s, val):
        print(f"shakespeare: {mark} s, step {steps}: validation loss {m['val']:.4f}", flush=True)
        rows.append(_row(f"tiny Shakespeare val loss after {mark} s ({steps} steps)", m["val"], "nats/char"))
    return rows


ACCENTED = set("áàâãéêíóôõúçÁÀÂÃÉÊÍÓÔÕÚÇ")


def bench_portuguese(marks_s=PORTUGUESE_MARKS_S, samples: int = 5, by_steps: bool = False) -> list[dict]:
    corpus = Corpus(builtin_text("explanations-pt-BR"))
    live = LiveGPT(corpus, RUNG, seed=0)
    text_accents = sum(ch in ACCENTED for ch in corpus.text) / sum(ch.isalpha() for ch in corpus.text)

    def meter(lv):
        texts = [lv.write(SAMPLE_CHARS, seed=s) for s in range(samples)]
        shares = [s for t in texts if (s := real_word_share(t, lv.corpus.known_words)) is not None]
        letters = sum(ch.isalpha() for t in texts for ch in t)
        accents = sum(ch in ACCENTED for t in texts for ch in t)
        assert all(unicodedata.is_normalized("NFC", t) for t in texts)
        return {"real": sum(shares) / len(shares), "accents": accents / max(letters, 1), "sample": texts[0]}

    rows, unit = [], "steps" if by_steps else "s"
    for mark, steps, m in train_for(live, marks_s, meter, by_steps):
        print(f"portuguese: {mark} {unit}, step {steps}: real words {m['real']:.1%}, accented letters {m['accents']:.1%} "
              f"(text: {text_accents:.1%})\n{m['sample']}\n", flush=True)  # fmt: skip
        when = f"{steps} steps" if by_steps else f"{mark} s ({steps} steps)"
        rows.append(_row(f"pt-BR real-word meter after {when}", 100 * m["real"], "%"))
        rows.append(_row(f"pt-BR accented letters in samples after {when}", 100 * m["accents"], "% of letters"))
    rows.append(_row("pt-BR accented letters in the training text", 100 * text_accents, "% of letters"))
    return rows


def bench_gpt_train(parts=("speed", "shakespeare", "portuguese"), data_dir=None, steps_marks=None) -> list[dict]:
    torch.set_num_threads(1)  # as on one scheduler worker
    rows = []
    if "speed" in parts:
        rows += bench_speed(Corpus(builtin_text("shakespeare", data_dir)))
    if "shakespeare" in parts:
        rows += bench_shakespeare(data_dir)
    if "portuguese" in parts:
        rows += bench_portuguese(steps_marks, by_steps=True) if steps_marks else bench_portuguese()
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", nargs="*", choices=("speed", "shakespeare", "portuguese"), default=("speed", "shakespeare", "portuguese"))
    p.add_argument("--data-dir", default=None)
    p.add_argument("--at-steps", type=int, nargs="*", default=None, help="portuguese: measure at these steps, not times")
    args = p.parse_args()
    for r in bench_gpt_train(args.part, args.data_dir, args.at_steps):
        print(f"{r['metric']:<60} {r['value']:>10.4g}  {r['unit']}")


if __name__ == "__main__":
    main()
