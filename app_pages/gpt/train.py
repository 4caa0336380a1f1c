"""The Train your own tab: a rung of the lecture ladder training on a text the learner picks, in this session, on the
server's one line of live trainers (core/serving/trainer_queue.py, beside the GANs), redrawn on a timer while it
trains: its status line, the loss curve and the strip of samples at fixed steps. Then: take it home, or bring it back.

Keys a load-test client uses (the same in every language): gpt_train_source (radio), gpt_train_rung, gpt_train_seed,
the buttons gpt_train_start / _pause / _step / _reset, and the status line "Step 1,234 · training · 21.0 steps/s",
"queued: … ahead of you" while waiting in line."""

from __future__ import annotations

import copy
import hashlib

import streamlit as st

from app_pages._ui import hold, in_language, lost_run_notice, prose, remember_run, session_owner
from app_pages.gan.common import CHART, button_row, problem_text, redrawn, status_line
from app_pages.gpt import mine
from app_pages.loaders import scheduler, text_corpus, trainer_queue
from core import LADDER, registry
from core.gpt import live as core_live
from core.gpt.live import BUILTIN, Corpus, LiveGPT, TextError, load_upload, read_text_file
from core.gpt.prompt import text_box
from core.training.data import DataUnavailableError
from figures.gpt import loss_curve
from figures.words import chart_words
from i18n import N_, _, number, percent

SOURCES = {  # the radio's values (and the URL's), shown translated
    "shakespeare": N_("tiny Shakespeare"),
    "explanations-pt-BR": N_("GenLab's explanations in Portuguese"),
    "explanations-en": N_("GenLab's explanations in English"),
    "own": N_("your own text"),
}
HELP = {
    "step": N_("Exactly one training step on one batch of 32 windows."),
    "reset": N_("Throw this model away; the next Start trains a new one with the settings above."),
    "seed": N_("The same seed, text and rung give the same first weights, batches and samples."),
    "text": N_("Up to {mb} MB of UTF-8 text."),
}
RESTARTED = N_("The server restarted, so the GPT you were training is gone. Press Start to train a fresh one.")
TICK_S = 1.0
LOSSES = N_("The training and validation losses over the steps")  # the loss chart's text alternative, with _()
# The full architecture without dropout: with it, PyTorch's CPU attention takes a slower path (scripts/_bench_gpt_train.py),
# and at the ladder's budget dropout did not help (validation loss 1.57 without, 1.63 with).
DEFAULT_RUNG = "ladder-layernorm"


def rung_label(name: str) -> str:
    return f"{LADDER.index(name) + 1} · {_(registry.entry(name).label)}"


def chosen_text(source: str) -> tuple[str | None, str | None]:
    """(the learner's own text or None, what is wrong with it or None), from the upload if there is one, else the box."""
    upload = st.session_state.get("gpt_train_file")
    if upload is not None:
        try:
            return read_text_file(upload.name, upload.size, upload.getvalue), None  # size checked before getvalue()
        except TextError as e:
            return None, _(e.args[0])
    return st.session_state.get("gpt_train_text", ""), None


def wanted(source: str, own_text: str | None, rung: str, seed: int) -> tuple:
    digest = hashlib.sha1(own_text.encode()).hexdigest() if source == "own" and own_text is not None else ""
    return source, digest, rung, seed


def current() -> tuple[tuple, str | None]:
    """(settings, own text) as the widgets hold them now: a callback runs before the page's next run, so what it was
    drawn with may be older than a text just typed."""
    source = st.session_state.get("gpt_train_source", next(iter(SOURCES)))
    own_text = chosen_text(source)[0] if source == "own" else None
    rung, seed = st.session_state.get("gpt_train_rung", DEFAULT_RUNG), int(st.session_state.get("gpt_train_seed", 0))
    return wanted(source, own_text, rung, seed), own_text


def corpus_for(source: str, own_text: str | None) -> Corpus:
    """The Corpus to train on (TextError or DataUnavailableError when there is none); built on the scheduler."""
    if source in BUILTIN:
        return scheduler().run(session_owner(), text_corpus, source)
    return scheduler().run(session_owner(), Corpus, own_text or "")


def new_trainer(source: str, own_text: str | None, rung: str, seed: int) -> LiveGPT | None:
    """A fresh trainer with these settings, or None with the reason in gpt_train_error (a callback shows nothing)."""
    try:
        corpus = corpus_for(source, own_text)
        live = scheduler().run(session_owner(), LiveGPT, corpus, rung, seed, owner=session_owner())
    except TextError as e:
        st.session_state["gpt_train_error"] = _(e.args[0])
        return None
    except DataUnavailableError:
        st.session_state["gpt_train_error"] = _(NO_SHAKESPEARE)
        return None
    live.settings = wanted(source, own_text, rung, seed)
    st.session_state["gpt_own_dataset"] = SOURCES[source]  # English (a file's words); the card shows it with _()
    st.session_state["gpt_own_command"] = (
        f"python scripts/train_gpt.py --preset {rung} --text <your text> --max-iters <steps> --seed {seed}"
    )
    st.session_state["gpt_own"] = hold(live)
    return live


NO_SHAKESPEARE = N_(
    "Tiny Shakespeare is not in the data root and could not be downloaded (this server is offline). "
    "Pick GenLab's explanations or your own text, or ask the teacher to put tinyshakespeare/input.txt in the data root."
)


def forget() -> None:
    for key in ("gpt_own", "_gpt_own_meta", "_gpt_own_service"):
        st.session_state.pop(key, None)
    if st.session_state.get("gpt_model") == mine.OWN and "gpt_uploaded" not in st.session_state:
        st.session_state["gpt_model"] = registry.names(page="gpt_generation")[0]


def controls() -> None:
    queue, live = trainer_queue(), st.session_state.get("gpt_own")

    def trainer():
        if (held := st.session_state.get("gpt_own")) is not None:
            return held
        (source, _digest, rung, seed), own_text = current()
        return new_trainer(source, own_text, rung, seed)

    def start():
        if (t := trainer()) is not None and t.problem is None:
            t.notice = None
            queue.start(t)

    def step():
        if (t := trainer()) is None:
            return
        queue.stop(t)
        try:
            scheduler().run(t.owner, t.run, 1)
        except Exception as e:  # a callback's error would bypass the page's guard
            st.session_state["gpt_train_error"] = problem_text(e)

    def pause():
        queue.stop(st.session_state["gpt_own"])

    def reset():
        if (t := st.session_state.get("gpt_own")) is not None:
            queue.stop(t)  # returns once a step under way has finished
        forget()

    running, stopped = live is not None and live.running, live is not None and live.problem is not None
    clicks = {
        "start": (start, dict(type="primary", disabled=running or stopped)),
        "pause": (pause, dict(disabled=not running)),
        "step": (step, dict(disabled=stopped)),
        "reset": (reset, dict(disabled=live is None)),
    }
    button_row("gpt_train", clicks, HELP)  # the other live trainers' buttons, made before a model exists


def sample_strip(samples: list[dict]) -> None:
    """The samples at fixed steps, newest first: the text growing up."""
    for s in reversed(samples):
        meter = (
            _("{share} of its words occur in the training text").format(share=percent(s["real"]))
            if s["real"] is not None
            else _("no words yet")
        )
        st.markdown(_("**Step {n}**").format(n=number(s["step"])) + f" · {meter}")
        st.html(text_box("", s["text"]))


def show(inputs) -> None:
    st.markdown(prose("gpt_train"))
    lost_run_notice("gpt_own_run", _(RESTARTED))
    with st.container(border=True):
        source = st.radio(
            _("Text"), list(SOURCES), format_func=in_language(lambda s: _(SOURCES[s])), horizontal=True, key="gpt_train_source"
        )
        own_text, problem = None, None
        if source == "own":
            left, right = st.columns(2)
            left.text_area(_("Paste a text"), key="gpt_train_text", height=150)
            right.file_uploader(
                _("…or upload a .txt file"), type=["txt"], key="gpt_train_file", max_upload_size=core_live.MAX_TEXT_BYTES // 1_000_000,
                help=_(HELP["text"]).format(mb=number(core_live.MAX_TEXT_BYTES / 1e6)),
            )  # fmt: skip
            own_text, problem = chosen_text(source)
            if problem:
                st.error(problem, icon=":material/description:")
        c1, c2 = st.columns([3, 1])
        rung = c1.selectbox(
            _("Model: a rung of the lecture ladder"),
            LADDER,
            index=LADDER.index(DEFAULT_RUNG),
            format_func=in_language(rung_label),
            key="gpt_train_rung",
        )
        seed = c2.number_input(_("Seed"), 0, 2**31 - 1, 0, step=1, key="gpt_train_seed", help=_(HELP["seed"]))
        st.caption(
            _("The vocabulary is the text's own characters (Unicode NFC, so ç, ã and é stay), at most the {cap} most frequent; "
              "any other character becomes {placeholder}. The first 90% trains, the last 10% validates.").format(
                cap=number(core_live.MAX_VOCAB), placeholder=core_live.PLACEHOLDER
            )
        )  # fmt: skip
        settings = wanted(source, own_text, rung, int(seed))
        controls()
    if err := st.session_state.pop("gpt_train_error", None):
        st.error(err, icon=":material/error:")
    live = st.session_state.get("gpt_own")
    if live is None:
        st.caption(_("Press Start to train a new model, or Step to take one step at a time."))
    else:
        if live.steps or live.running:
            remember_run("gpt_own_run")
        if live.settings != settings:
            st.info(_("The settings above differ from the model training now: press Reset, then Start, to train them."))
        facts = live.corpus
        vocab = _("{n} characters of text, a vocabulary of {V}").format(n=number(len(facts)), V=number(facts.tokenizer.vocab_size))
        if facts.placeholder_share:
            vocab += " · " + _("{share} of the text is {placeholder}").format(
                share=percent(facts.placeholder_share, 1), placeholder=core_live.PLACEHOLDER
            )
        st.caption(vocab)
        live_view()
        take_home(live)
    bring_back()


def live_view() -> None:
    @redrawn("gpt_own", TICK_S)
    def draw(live: LiveGPT, view: dict) -> None:
        st.markdown(status_line(live))
        left, right = st.columns([2, 3])
        curve = loss_curve(view["curve"])
        left.plotly_chart(curve, key="gpt_train_losses", config=CHART, alt=chart_words(curve, _(LOSSES)))
        left.caption(
            _("Both losses on the same {n} windows of each split, every {every} steps.").format(
                n=number(core_live.EVAL_WINDOWS), every=number(live.cfg.eval_interval)
            )
        )
        with right:
            st.markdown("**" + _("Samples at fixed steps (the same random draws each time)") + "**")
            sample_strip(view["samples"])

    draw()


def take_home(live: LiveGPT) -> None:
    """Download the model as the two files weights/ holds (made in its turn, only when a button is clicked)."""
    if not live.steps:
        return
    dataset = st.session_state.get("gpt_own_dataset", SOURCES["own"])
    cache = {}

    def files(i: int):
        def make():
            if live.model is None:
                return b""
            if cache.get("steps") != live.steps:
                cache.update(steps=live.steps, files=scheduler().run(live.owner, live.files, dataset))
            return cache["files"][i]

        return make

    row = st.container(horizontal=True)  # each button as wide as its words, in either language
    name = f"my-{live.rung}-step{live.steps}"
    row.download_button(_("Download the weights (.safetensors)"), files(0), f"{name}.safetensors", "application/octet-stream",
                         key="gpt_train_dl_weights", on_click="ignore", icon=":material/download:")  # fmt: skip
    row.download_button(_("Download its metadata (.json)"), files(1), f"{name}.json", "application/json",
                        key="gpt_train_dl_meta", on_click="ignore", icon=":material/download:")  # fmt: skip


def keep_training() -> None:
    """The uploaded model goes on training on the chosen text, when that text has the model's vocabulary."""
    model, meta = st.session_state["gpt_uploaded"]
    (source, digest, _rung, seed), own_text = current()
    try:
        corpus = corpus_for(source, own_text)
    except TextError as e:
        st.session_state["gpt_train_error"] = _(e.args[0])
        return
    except DataUnavailableError:
        st.session_state["gpt_train_error"] = _(NO_SHAKESPEARE)
        return
    if corpus.tokenizer.chars != model.tokenizer.chars:
        st.session_state["gpt_train_error"] = _(OTHER_VOCABULARY).format(
            n=number(model.vocab_size), m=number(corpus.tokenizer.vocab_size)
        )
        return
    if (old := st.session_state.get("gpt_own")) is not None:
        trainer_queue().stop(old)
    forget()
    weights = copy.deepcopy(model)
    live = scheduler().run(
        session_owner(),
        LiveGPT,
        corpus,
        meta["preset"],
        seed,
        owner=session_owner(),
        model=weights,
        start_step=int(meta.get("steps", 0)),
    )
    live.settings = (source, digest, meta["preset"], seed)
    st.session_state["gpt_own_dataset"] = SOURCES[source]
    st.session_state["gpt_own"] = hold(live)
    st.session_state["gpt_train_rung"] = meta["preset"]


OTHER_VOCABULARY = N_(
    "This model knows {n} characters, and the chosen text's vocabulary is another ({m} characters): pick the text it was "
    "trained on to keep training it."
)


def bring_back() -> None:
    """Upload a model downloaded before (both files): checked, never unpickled; it joins the model picker above."""
    loaded = "gpt_uploaded" in st.session_state
    with st.expander(_("Bring back a model you downloaded"), icon=":material/upload:", expanded=loaded):
        files = st.file_uploader(
            _("Its .safetensors and its .json, both at once"),
            type=["safetensors", "json"],
            accept_multiple_files=True,
            key="gpt_train_upload",
            max_upload_size=core_live.MAX_MODEL_BYTES // 1_000_000,  # the browser refuses more; core checks again
            help=_("At most {mb} MB; read as tensors only, never run.").format(mb=number(core_live.MAX_MODEL_BYTES / 1e6)),
        )
        if files:
            weights = [f for f in files if f.name.lower().endswith(".safetensors")]
            metas = [f for f in files if f.name.lower().endswith(".json")]
            if len(weights) != 1 or len(metas) != 1:
                st.warning(_("Upload exactly one .safetensors file and its .json together."), icon=":material/upload:")
                return
            check_upload(weights[0], metas[0])
        if err := st.session_state.get("_gpt_upload_error"):
            st.error(_(err), icon=":material/block:")
        elif "gpt_uploaded" in st.session_state:
            model, meta = st.session_state["gpt_uploaded"]
            st.success(
                _("Loaded: {label}. Pick it in the Model list at the top of the page to generate with it.").format(
                    label=mine.label(mine.OWN, meta)
                ),
                icon=":material/check_circle:",
            )
            st.button(
                _("Keep training it on the text chosen above"), key="gpt_train_resume", icon=":material/model_training:",
                on_click=keep_training,
            )  # fmt: skip


def check_upload(w, m) -> None:
    """Load an uploaded pair once (sizes first, then safetensors' parser and core's checks, on the scheduler)."""
    stamp = (w.file_id, m.file_id)
    if st.session_state.get("_gpt_upload_stamp") == stamp:
        return
    st.session_state["_gpt_upload_stamp"] = stamp
    try:
        model, meta = scheduler().run(session_owner(), load_upload, w.name, w.size, w.getvalue, m.name, m.size, m.getvalue)
    except TextError as e:
        st.session_state["_gpt_upload_error"] = e.args[0]  # a model loaded before stays loaded
    else:
        st.session_state.pop("_gpt_upload_error", None)
        st.session_state["gpt_uploaded"] = (model, meta)
