"""Train your own GPT: one rung of the lecture ladder on a learner's own text, a step at a time, in their session.

    model, metrics = core.train_on_text(text, "ladder-dropout", steps=2000, seed=0)

Corpus reads the text the lecture's way (a character vocabulary from the text itself, the first 90% to train
on, the last 10% to validate); LiveGPT trains it with the loop scripts/train_gpt.py runs (core/gpt/train.py:
get_batch, train_step, make_optimizer and its schedule), one step per call, so the server's trainer line
(core/serving/trainer_queue.py) can give it turns beside the GANs. Nothing here is shared between
sessions: each LiveGPT owns its text, model, optimiser and random generator.

What it says to the learner (a text it cannot use, a file it refuses) is a Message: English as a str, shown in
the learner's language by the page's _().
"""

from __future__ import annotations

import copy
import io
import json
import math
import re
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, fields, replace

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from core.gan.live import Figure, english
from core.gpt import ladder
from core.gpt.model import GPT, GPTConfig, LanguageModel
from core.gpt.tokenizer import PLACEHOLDER, CharTokenizer
from core.gpt.train import TrainConfig, full_loss, get_batch, make_optimizer, split, train_step
from core.registry import LADDER
from core.serving.trainer_queue import StepRate
from core.training.checkpoint import hardware
from core.training.data import load_shakespeare
from i18n import N_, TEXT_DIR

MAX_VOCAB = 200  # the most frequent characters kept; the rest share one placeholder token
MAX_PLACEHOLDER_SHARE = 0.5  # beyond this, most of the text would be one sign: nothing to learn
MAX_TEXT_CHARS = 2_000_000  # tiny Shakespeare is 1.1 million
MAX_TEXT_BYTES = 5_000_000  # an uploaded .txt: refused above this, before it is read
MAX_MODEL_BYTES = 25_000_000  # an uploaded .safetensors (every ladder rung is under 1 MB)
MAX_META_BYTES = 1_000_000  # its .json
LIVE = replace(ladder.BUDGET, eval_interval=100)  # the ladder's own budget: its schedule, batch and learning rate
EVAL_WINDOWS = 32  # held-out windows of the validation split scored every eval_interval steps (the same ones each time)
SAMPLE_AT = (0, 100, 300, 1000, 3000, 10_000, 30_000, 100_000)  # steps whose sample joins the strip
SAMPLE_CHARS = 240
WORD = re.compile(r"[^\W\d_]+")  # a run of letters, accented ones included

EMPTY = N_("The text is empty: paste some text, upload a .txt file or pick one of the texts offered.")
TOO_SHORT = N_(
    "The text has {n} characters; training needs at least {need}: one window of {block} characters to train on "
    "in the first 90% and one to validate on in the last 10%."
)
ONE_CHARACTER = N_("The text is one character repeated ({char}): there is nothing to learn about which character comes next.")
TOO_MANY_CHARACTERS = N_(
    "The text has {distinct} different characters; the model keeps the {cap} most frequent ones and writes every other "
    "one as {placeholder}. Here that would be {share} of the text, so there is too little left to learn. "
    "Try a text in one alphabet."
)
TOO_LONG = N_("The text has {n} characters; the limit is {limit}. Use a part of it.")
FILE_TOO_BIG = N_("{name} is {size} MB; the limit is {limit} MB. Use a smaller file.")
NOT_TEXT = N_("{name} is not a text file (it holds binary data). Upload a plain .txt file.")
NOT_UTF8 = N_("{name} is not UTF-8 text (byte {position} does not fit). Save it as UTF-8 and upload it again.")
NOT_SAFETENSORS = N_("{name} is not a .safetensors file GenLab can read ({error}).")
BAD_META = N_("{name} is not the .json GenLab writes beside a model: {error}.")
BAD_WEIGHTS = N_("{name} does not fit the model its .json describes: {error}.")
NOT_FINITE = N_("{name} holds weights that are not numbers (NaN or infinite) in {tensor}.")
UNKNOWN_RUNG = N_("{rung} is not a rung of the lecture ladder.")


class TextError(ValueError):
    """A text (or a file) the trainer cannot use; args[0] is a Message saying why."""


def _mb(n: int) -> Figure:
    return Figure(n / 1e6, 1)


# -- the text -----------------------------------------------------------------------------------------------


def read_text_file(name: str, size: int, read) -> str:
    """An uploaded .txt: its size checked before read() is called, then decoded as UTF-8 (a BOM is dropped)."""
    if size > MAX_TEXT_BYTES:
        raise TextError(english(FILE_TOO_BIG, name=name, size=_mb(size), limit=_mb(MAX_TEXT_BYTES)))
    data = read()
    if b"\x00" in data[:MAX_TEXT_BYTES]:
        raise TextError(english(NOT_TEXT, name=name))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TextError(english(NOT_UTF8, name=name, position=Figure(e.start))) from None


def words(text: str) -> list[str]:
    """The runs of letters of text, case folded (so "The" and "the" are one word)."""
    return [w.casefold() for w in WORD.findall(text)]


def real_word_share(sample: str, known: set[str]) -> float | None:
    """The share of sample's words that occur in the training text (None: no word). A word cut off by the end of
    the sample is left out."""
    found = words(sample)
    if found and sample[-1:].isalpha():
        found = found[:-1]
    return sum(w in known for w in found) / len(found) if found else None


def min_chars(block_size: int, train_fraction: float = 0.9) -> int:
    """The shortest text whose split leaves one training batch and one validation window of block_size."""
    n = block_size + 2
    while int(train_fraction * n) <= block_size or n - int(train_fraction * n) <= block_size:
        n += 1
    return n


class Corpus:
    """A text read the lecture's way: Unicode NFC, a character vocabulary from the text itself (capped at
    MAX_VOCAB, the rest one placeholder), encoded, split 90/10; and its words, for the real-word meter."""

    def __init__(self, text: str, block_size: int = ladder.WIDTH.block_size, max_vocab: int = MAX_VOCAB):
        text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            raise TextError(english(EMPTY))
        if len(text) > MAX_TEXT_CHARS:
            raise TextError(english(TOO_LONG, n=Figure(len(text)), limit=Figure(MAX_TEXT_CHARS)))
        if len(text) < (need := min_chars(block_size)):
            raise TextError(english(TOO_SHORT, n=Figure(len(text)), need=Figure(need), block=Figure(block_size)))
        counts = Counter(text)
        if len(counts) == 1:
            raise TextError(english(ONE_CHARACTER, char=repr(text[0])))
        self.tokenizer = CharTokenizer.from_text(text, max_vocab)
        self.distinct = len(counts)
        self.placeholder_share = 0.0
        if self.tokenizer.placeholder is not None:
            kept = set(self.tokenizer.chars)
            self.placeholder_share = sum(c for ch, c in counts.items() if ch not in kept) / len(text)
            if self.placeholder_share > MAX_PLACEHOLDER_SHARE:
                share = Figure(100 * self.placeholder_share)
                raise TextError(
                    english(TOO_MANY_CHARACTERS, distinct=Figure(len(counts)), cap=Figure(max_vocab), placeholder=PLACEHOLDER,
                            share=f"{share}%")
                )  # fmt: skip
        self.text, self.block_size = text, block_size
        self.data = torch.tensor(self.tokenizer.encode(text), dtype=torch.long)
        self.train, self.val = split(self.data)
        self.known_words = set(words(text[: len(self.train)]))  # the meter counts words of the training split

    def __len__(self) -> int:
        return len(self.text)


# -- the model --------------------------------------------------------------------------------------------


def build(rung: str, vocab_size: int, gen: torch.Generator) -> LanguageModel:
    """Rung `rung` of the ladder, its weights drawn from gen (the lecture's init, never the global random state)."""
    if rung not in ladder.CONFIGS:
        raise ValueError(english(UNKNOWN_RUNG, rung=rung))
    model = ladder.build(rung, vocab_size)
    std = 0.02 if isinstance(model, GPT) else 1.0  # the GPT's init; the bigram table's nn.Embedding default
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or ".ln" in f".{name}" and p.dim() == 1:
                continue  # biases stay 0, LayerNorm gains 1
            p.copy_(torch.randn(p.shape, generator=gen) * std)
    return model


class LiveGPT:
    """A ladder rung training on a Corpus a step at a time; pauses itself when its loss stops being a number.

    In the app a TrainerQueue calls `train_step()` on a scheduler worker in the turn of `owner` (the learner's
    session); every other use of the model (its view, a Step, a frozen copy) must run in that owner's turn too.
    """

    rate_window_s = 10.0
    max_points = 2000  # per-step training losses kept (halved when full)

    def __init__(
        self,
        corpus: Corpus,
        rung: str = LADDER[-1],
        seed: int = 0,
        cfg: TrainConfig = LIVE,
        owner=None,
        model=None,
        start_step: int = 0,
    ):
        """model: weights to go on training (an uploaded model, its vocabulary the corpus's), at step start_step."""
        self.corpus, self.rung, self.seed, self.cfg = corpus, rung, seed, cfg
        self.gen = torch.Generator().manual_seed(seed)
        self.model = model if model is not None else build(rung, corpus.tokenizer.vocab_size, self.gen)
        self.model.tokenizer = corpus.tokenizer
        self.model.train()
        self.optimizer = make_optimizer(self.model, cfg)
        self.owner = owner if owner is not None else object()
        self.running = False
        self.problem: str | None = None  # why training stopped itself: a Message
        self.notice: str | None = None  # why it was paused for the learner: a Message
        self.last_seen = self.last_touched = time.monotonic()
        self.steps, self.seconds = start_step, 0.0
        self.losses: dict[str, list[float]] = {"step": [], "loss": []}
        self.curve: list[dict] = []  # {"iter", "train", "val"} every eval_interval steps
        self.samples: list[dict] = []  # {"step", "text", "real"} at the steps of SAMPLE_AT
        self._rate = StepRate(self.rate_window_s)
        self._view = None
        self._frozen = None
        self.evaluate()
        self.sample()

    # -- the trainer line's protocol ------------------------------------------------------------------------
    def train_step(self) -> bool:
        """One optimisation step (the script's), then the validation estimate and the sample when they are due.
        False when the loss is not a number any more: training pauses itself and `problem` says why."""
        if self.problem is not None:
            return False
        t0 = time.perf_counter()
        x, y = get_batch(self.corpus.train, self.corpus.block_size, self.cfg.batch_size, self.gen)
        loss = train_step(self.model, self.optimizer, x, y, self.cfg, self.steps)
        self.steps += 1
        self.seconds += time.perf_counter() - t0
        self._rate.tick(self.steps)
        self._log(loss)
        if not math.isfinite(loss):
            self.problem = english(N_("the loss became {value} (not a number) at step {step}"), value=loss, step=Figure(self.steps))
            self.running = False
            return False
        if self.steps % self.cfg.eval_interval == 0:
            self.evaluate()
        if self.steps in SAMPLE_AT:
            self.sample()
        return True

    def pause(self, reason: str | None = None) -> None:
        self.running = False
        self.notice = reason

    def release(self) -> None:
        """Its session has ended: drop the text, model and optimiser now (core/serving/janitor.py)."""
        self.running = False
        self.corpus = self.model = self.optimizer = self._view = self._frozen = None

    def run(self, n_steps: int) -> int:
        """Up to n_steps steps at once (fewer if training stops itself); how many were taken."""
        done = 0
        while done < n_steps and self.train_step():
            done += 1
        return done

    @property
    def steps_per_second(self) -> float:
        return self._rate.per_second

    # -- what it measures ---------------------------------------------------------------------------------
    def _log(self, loss: float) -> None:
        self.losses["step"].append(self.steps)
        self.losses["loss"].append(loss)
        if len(self.losses["loss"]) > self.max_points:  # bounded: every other point
            self.losses = {k: v[::2] for k, v in self.losses.items()}

    def evaluate(self) -> dict:
        """Loss on EVAL_WINDOWS fixed windows of each split (the validation ones never trained on)."""
        c = self.corpus
        losses = {
            split_name: full_loss(self.model, data, c.block_size, max_windows=EVAL_WINDOWS)
            for split_name, data in (("train", c.train), ("val", c.val))
        }
        self.model.train()  # full_loss leaves the model in eval mode
        self.curve.append({"iter": self.steps, **{k: round(v, 4) for k, v in losses.items()}})
        return losses

    @torch.no_grad()
    def write(self, n: int = SAMPLE_CHARS, seed: int | None = None) -> str:
        """n characters the model writes now from a newline (the same draws at every step: seed fixed)."""
        tok = self.corpus.tokenizer
        start = tok.stoi.get("\n", 0)
        gen = torch.Generator().manual_seed(self.seed if seed is None else seed)
        self.model.eval()
        try:
            out = self.model.generate(torch.tensor([[start]]), n, generator=gen)
        finally:
            self.model.train()
        return tok.decode(out[0, 1:].tolist())

    def sample(self) -> dict:
        text = self.write()
        entry = {"step": self.steps, "text": text, "real": real_word_share(text, self.corpus.known_words)}
        self.samples.append(entry)
        return entry

    def view(self) -> dict:
        """A consistent copy of what the page draws (run it in the owner's turn); the same one while nothing moved."""
        if self._view is None or self._view["steps"] != self.steps:
            self._view = {
                "steps": self.steps,
                "losses": {k: list(v) for k, v in self.losses.items()},
                "curve": list(self.curve),
                "samples": list(self.samples),
            }
        return self._view

    def frozen(self) -> LanguageModel:
        """A copy of the model as it is now, in eval mode, for generation beside the training (its own memory, so
        the next step changes nothing under a running generation). Run it in the owner's turn."""
        if self._frozen is None or self._frozen.steps != self.steps:
            model = copy.deepcopy(self.model).eval()
            model.tokenizer, model.steps = self.corpus.tokenizer, self.steps
            self._frozen = model
        return self._frozen

    def metrics(self) -> dict:
        """The losses over the whole validation split and as many windows of the training split (as the scripts)."""
        c = self.corpus
        val = full_loss(self.model, c.val, c.block_size)
        train = full_loss(self.model, c.train, c.block_size, max_windows=(len(c.val) - 1) // c.block_size)
        self.model.train()
        return {"val_loss": round(val, 4), "train_loss": round(train, 4), "steps": self.steps, "seconds": round(self.seconds, 1)}

    # -- take it home ---------------------------------------------------------------------------------------
    def metadata(self, dataset: str) -> dict:
        """The .json GenLab writes beside weights/*.safetensors (core/training/checkpoint.py's fields)."""
        cfg, V = ladder.CONFIGS[self.rung], self.corpus.tokenizer.vocab_size
        command = f"python scripts/train_gpt.py --preset {self.rung} --text <your text> --max-iters {self.steps} --seed {self.seed}"
        return {
            "name": f"my-{self.rung}",
            "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "hardware": hardware(),
            "torch": torch.__version__,
            "command": command,
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "model": "bigram" if cfg is None else "gpt",
            "seed": self.seed,
            "preset": self.rung,
            "config": asdict(replace(cfg, vocab_size=V)) if cfg else {"vocab_size": V},
            "train_config": asdict(self.cfg),
            "vocab": self.corpus.tokenizer.chars,
            "placeholder": self.corpus.tokenizer.placeholder,
            "dataset": f"{dataset} ({len(self.corpus):,} characters; first 90% train, last 10% validation)",
            "steps": self.steps,
            "best_iter": self.steps,
            "wall_time_s": round(self.seconds, 1),
            "metrics": {**self.metrics(), "eval_block_size": self.corpus.block_size},
            "curve": self.curve,
        }

    def files(self, dataset: str) -> tuple[bytes, bytes]:
        """(.safetensors, .json) bytes in the weights/ format: core's loaders and the scripts read them."""
        meta = self.metadata(dataset)
        tensors = {k: v.detach().float().contiguous() for k, v in self.model.state_dict().items()}
        return save_safetensors(tensors, metadata={"format": "pt"}), (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode()


# -- an uploaded model: hostile until checked -----------------------------------------------------------------


def _config_from(meta: dict) -> tuple[str, GPTConfig | None, CharTokenizer]:
    """The rung, its config and the tokenizer an uploaded .json describes, each checked (ValueError: why not)."""
    if not isinstance(meta, dict):
        raise ValueError("it is not a JSON object")
    rung, vocab, placeholder = meta.get("preset"), meta.get("vocab"), meta.get("placeholder")
    if rung not in ladder.CONFIGS:
        raise ValueError(f"its preset {str(rung)[:40]!r} is not a rung of the lecture ladder")
    if not isinstance(vocab, str) or not 2 <= len(vocab) <= MAX_VOCAB + 1 or len(set(vocab)) != len(vocab):
        raise ValueError(f"its vocabulary must be 2 to {MAX_VOCAB + 1} distinct characters")
    if placeholder is not None and (not isinstance(placeholder, str) or placeholder not in vocab):
        raise ValueError("its placeholder is not in its vocabulary")
    steps = meta.get("steps", 0)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 0 <= steps <= 10**9:
        raise ValueError("its steps are not a count")
    cfg = ladder.CONFIGS[rung]
    if cfg is not None:
        cfg = replace(cfg, vocab_size=len(vocab))
        given = meta.get("config")
        names = {f.name for f in fields(GPTConfig)}
        if not isinstance(given, dict) or set(given) != names or GPTConfig(**given) != cfg:
            raise ValueError(f"its config is not the {rung} rung's at the ladder's size")
    return rung, cfg, CharTokenizer(vocab, placeholder)


def load_upload(weights_name: str, weights_size: int, read_weights, meta_name: str, meta_size: int, read_meta):
    """A model a learner uploads: (model in eval mode with .tokenizer, its metadata). Sizes are checked before
    anything is read, the tensors are parsed by safetensors (never unpickled) and must have exactly the names and
    shapes of the rung the .json names, every one a finite number. TextError (a Message) says what is wrong."""
    if weights_size > MAX_MODEL_BYTES:
        raise TextError(english(FILE_TOO_BIG, name=weights_name, size=_mb(weights_size), limit=_mb(MAX_MODEL_BYTES)))
    if meta_size > MAX_META_BYTES:
        raise TextError(english(FILE_TOO_BIG, name=meta_name, size=_mb(meta_size), limit=_mb(MAX_META_BYTES)))
    try:
        meta = json.load(io.BytesIO(read_meta()))
        rung, cfg, tok = _config_from(meta)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise TextError(english(BAD_META, name=meta_name, error=str(e)[:200])) from None
    try:
        state = load_safetensors(read_weights())
    except (SafetensorError, ValueError, OSError, RuntimeError) as e:
        raise TextError(english(NOT_SAFETENSORS, name=weights_name, error=str(e)[:200])) from None
    model = build(rung, tok.vocab_size, torch.Generator().manual_seed(0))
    expected = model.state_dict()
    if set(state) != set(expected):
        missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        error = f"missing {', '.join(missing[:3]) or 'nothing'}; unexpected {', '.join(extra[:3]) or 'nothing'}"
        raise TextError(english(BAD_WEIGHTS, name=weights_name, error=error[:200]))
    for key, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[key].shape):
            error = f"{key} is {tuple(tensor.shape)}, the model's is {tuple(expected[key].shape)}"
            raise TextError(english(BAD_WEIGHTS, name=weights_name, error=error[:200]))
        if not tensor.is_floating_point():
            raise TextError(english(BAD_WEIGHTS, name=weights_name, error=f"{key} is not floating point"))
        if not torch.isfinite(tensor).all():
            raise TextError(english(NOT_FINITE, name=weights_name, tensor=key))
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.tokenizer = tok
    return model.eval(), _clean_meta(meta, model)


def _clean_meta(meta: dict, model) -> dict:
    """What the page reads from an uploaded .json, each field of the type it expects (the rest is left behind)."""

    def number(value, default=float("nan")):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return float(value) if ok else default

    def text(value, limit=300):
        return value[:limit] if isinstance(value, str) else ""

    metrics = meta.get("metrics") if isinstance(meta.get("metrics"), dict) else {}
    curve = [
        {"iter": int(number(c.get("iter"), 0)), "train": number(c.get("train")), "val": number(c.get("val"))}
        for c in (meta.get("curve") if isinstance(meta.get("curve"), list) else [])[:1000]
        if isinstance(c, dict)
    ]
    return {
        "preset": meta["preset"],
        "steps": meta.get("steps", 0),
        "best_iter": meta.get("steps", 0),
        "parameters": sum(p.numel() for p in model.parameters()),
        "metrics": {"val_loss": number(metrics.get("val_loss")), "train_loss": number(metrics.get("train_loss"))},
        "wall_time_s": number(meta.get("wall_time_s"), 0.0),
        "curve": curve,
        "seed": int(number(meta.get("seed"), 0)),
        **{k: text(meta.get(k)) for k in ("dataset", "command", "hardware", "date")},
    }


# -- the API --------------------------------------------------------------------------------------------------


def train_on_text(text: str, rung: str, steps: int, seed: int = 0) -> tuple[LanguageModel, dict]:
    """Train rung `rung` of the lecture ladder on `text` for `steps` steps with the live trainer's loop.

    Returns the model (eval mode, with .tokenizer and .block_size) and its metrics: val_loss over the whole
    validation split, train_loss, steps, seconds. ValueError (a TextError, the page's message) for unusable text.
    """
    if rung not in ladder.CONFIGS:
        raise ValueError(english(UNKNOWN_RUNG, rung=rung))
    live = LiveGPT(Corpus(text), rung, seed)
    live.run(steps)
    if live.problem is not None:
        raise RuntimeError(str(live.problem))
    metrics = live.metrics()
    model = live.model.eval()
    model.tokenizer = live.corpus.tokenizer
    return model, metrics


BUILTIN = {  # the texts every learner may pick: source -> how the model card names it
    "shakespeare": "tiny Shakespeare",
    "explanations-pt-BR": "GenLab's explanations in Portuguese (text/pt-BR/*.md)",
    "explanations-en": "GenLab's explanations in English (text/en/*.md)",
}


def builtin_text(source: str, data_dir=None) -> str:
    """One of BUILTIN's texts: tiny Shakespeare from the data root (downloaded if missing and online;
    DataUnavailableError otherwise), or every explanation of one language, one file after another."""
    if source == "shakespeare":
        return load_shakespeare(data_dir)
    lang = source.removeprefix("explanations-")
    return "\n\n".join(path.read_text(encoding="utf-8") for path in sorted((TEXT_DIR / lang).glob("*.md")))
