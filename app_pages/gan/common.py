"""What the GAN Training page's tabs share: the tab labels, the live controls (Start / Pause / Step / Reset and
the settings) with their status line, the redraw timer of a training GAN, and the helpers several tabs call."""

from __future__ import annotations

import functools
import math
import types
from dataclasses import replace

import streamlit as st

from app_pages._ui import compute, in_language, prose, run_page, worded
from app_pages.loaders import scheduler, trainer_queue
from i18n import N_, _, language, ngettext, number, speaking

# Plain words: a tab's label is its value in the URL (?gan_tab=Train+one+live), so a teacher can share it;
# _ui.show_open_tab shows them translated and a Portuguese link opens the same tab.
TABS = [
    N_("Replay the training"),
    N_("Train one live"),
    N_("Toy 2-D GAN"),
    N_("Explore the generator"),
    N_("Find my digit"),
]
LR_CHOICES = [1e-5, 3e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2]
BATCH_CHOICES = [16, 32, 64, 128, 256, 512]
CHART = {"displayModeBar": False}
# What each chart shows, the first words of its text alternative (figures/words.py adds the numbers), shown with _()
LOSSES = N_("The losses of D and G, and D's average verdict on real and generated digits, over the training steps")
SHARES = N_("The share of each digit among the generated samples the classifier is sure of")
FID = N_("The Fréchet distance between generated and real digits over the training steps")
HELP = {  # the live controls' tooltips, shown with _()
    "step": N_("Exactly one generator update (after the chosen number of D updates)."),
    "reset": N_("Throw this GAN away and start again from fresh random weights."),
    "d_steps": N_("More discriminator updates make D stronger; too strong and G's gradient fades."),
    "live_lr_g": N_(
        "The digit GAN starts its generator faster than its discriminator (0.0005 against 0.0002): from fresh weights "
        "its samples read as digits after about 300-400 steps, against 300-600 with 0.0002 for both."
    ),
}
# The live controls: their keys come from these English names ({prefix}_start…), the same in every language
# (scripts/loadtest.py clicks .st-key-live_start). name: label, icon.
BUTTONS = {
    "start": (N_("Start"), "play_arrow"),
    "pause": (N_("Pause"), "pause"),
    "step": (N_("Step"), "skip_next"),
    "reset": (N_("Reset"), "restart_alt"),
}
# Redraw timers; slower while a GAN waits in line, where only its place changes. The digit GAN's redraw (its view
# in the trainer's turn, a PNG, a loss chart built in Python and drawn again by the browser) took time from its own
# training: every 2 s is still live (about 20 steps apart) and costs half as much as every second.
DIGIT_TICK_S, TOY_TICK_S, REPLAY_TICK_S, WAITING_TICK_S = 2.0, 0.5, 0.5, 3.0


def learning_rate(lr: float) -> str:
    """A learning rate as a plain decimal with the language's mark: 0.0002 / 0,0002 (each choice has one digit)."""
    return number(lr, max(0, -math.floor(math.log10(lr))))


def problem_text(error: BaseException) -> str:
    """An exception's message in the learner's language where core made it a Message, with its type."""
    message = _(error.args[0]) if error.args and isinstance(error.args[0], str) else str(error)
    return f"{type(error).__name__}: {message}"


def guarded(body):
    """Fragment reruns skip app.py's error guard: send them through the same one."""
    return functools.wraps(body)(lambda: run_page(types.SimpleNamespace(run=body)))  # wraps: the fragment's identity


def download(label: str, file_name: str, key: str, make, *args) -> None:
    """A PNG or GIF download: make(*args) runs only when the button is clicked (in this run's language: the GIF
    writes its step labels, and Streamlit calls it outside the page run)."""
    mime, lang = "image/" + file_name.rsplit(".", 1)[1], language()

    def data():
        with speaking(lang):
            return make(*args)

    st.download_button(label, data, file_name, mime, key=key, on_click="ignore", icon=":material/download:")


def live_buttons(prefix: str, live, on_reset, tips: dict) -> None:
    """Start / Pause / Step / Reset of a live trainer held by the page (digit GAN, toy GAN or VAE); keys
    {prefix}_start… The callbacks change the session before the rerun draws anything. tips: tooltips by button
    name, shown with _()."""
    queue = trainer_queue()

    def start():
        if live.problem is None:
            live.notice = None
            queue.start(live)

    def step():
        queue.stop(live)
        try:  # in this session's turn on the scheduler, like the training itself
            scheduler().run(live.owner, live.run, 1)
        except Exception as e:  # a callback's error would bypass the page's guard
            st.session_state[f"{prefix}_error"] = problem_text(e)

    def reset():
        queue.stop(live)  # waits for a step under way: nothing is half-reset
        on_reset()

    clicks = {  # name: callback, options
        "start": (start, dict(type="primary", disabled=live.running or live.problem is not None)),
        "pause": (lambda: queue.stop(live), dict(disabled=not live.running)),
        "step": (step, dict(disabled=live.problem is not None)),
        "reset": (reset, {}),
    }
    button_row(prefix, clicks, tips)


def button_row(prefix: str, clicks: dict, tips: dict) -> None:
    """The live buttons in one row, each as wide as its word in either language. clicks: name -> (callback,
    st.button options); keys {prefix}_{name}; tips: tooltips by name, shown with _()."""
    row = st.container(horizontal=True)
    for name, (click, options) in clicks.items():
        label, icon = BUTTONS[name]
        tip = _(tips[name]) if name in tips else None
        row.button(_(label), icon=f":material/{icon}:", key=f"{prefix}_{name}", on_click=click, help=tip, **options)


def step_error(prefix: str) -> None:
    """What a Step that failed left for this run to say (live_buttons' callback cannot draw)."""
    if err := st.session_state.pop(f"{prefix}_error", None):
        st.error(_("Training stopped on an unexpected problem ({error}). Press **Reset** to start again.").format(error=err))


def controls(prefix: str, live, on_reset) -> None:
    """The live buttons and the settings a learner may change while a GAN trains; the widgets start from what the
    GAN really uses."""
    queue, s = trainer_queue(), live.trainer.settings
    with st.container(border=True):
        live_buttons(prefix, live, on_reset, HELP)
        c, lr_text = st.columns(4), in_language(learning_rate)
        lr_g = c[0].select_slider(
            _("Generator learning rate"), LR_CHOICES, s.lr_g, format_func=lr_text, key=worded(f"{prefix}_lr_g"),
            help=_(HELP[f"{prefix}_lr_g"]) if f"{prefix}_lr_g" in HELP else None,
        )  # fmt: skip
        lr_d = c[1].select_slider(
            _("Discriminator learning rate"), LR_CHOICES, s.lr_d, format_func=lr_text, key=worded(f"{prefix}_lr_d")
        )
        batch = c[2].select_slider(_("Batch size"), BATCH_CHOICES, s.batch_size, key=f"{prefix}_batch")
        d_steps = c[3].slider(_("D steps per G step"), 1, 5, s.d_steps, key=f"{prefix}_d_steps", help=_(HELP["d_steps"]))
    if (new := replace(s, lr_g=lr_g, lr_d=lr_d, batch_size=batch, d_steps=d_steps)) != s:  # applied between two steps
        queue.touch(live)
        scheduler().run(live.owner, live.update_settings, new)
    if live.problem:
        st.error(prose("gan_blowup").format(problem=_(live.problem)), icon=":material/error:")
    step_error(prefix)


def play_button(prefix: str, at_end, rewind) -> bool:
    """A replay's Play / Pause toggle (widget {prefix}_play, state {prefix}_playing); Play at the last moment
    rewind()s first, so it plays from the start. Returns whether it is playing."""
    playing = st.session_state.get(f"{prefix}_playing", False)

    def toggle():
        st.session_state[f"{prefix}_playing"] = not playing
        if not playing and at_end():
            rewind()

    st.button(
        _("Pause") if playing else _("Play the training"),
        icon=":material/pause:" if playing else ":material/play_arrow:",
        key=f"{prefix}_play",
        on_click=toggle,
        type="secondary" if playing else "primary",
    )
    return playing


def status_line(live) -> str:
    """Step count and what a live trainer (GAN, toy GAN, GPT or VAE) is doing: training (and how fast), waiting
    in line (how long), stopped or paused. In English it keeps the words scripts/loadtest reads: "Step 1,234",
    "9.6 steps/s", "queued", "ahead of you"."""
    queue = trainer_queue()
    state, place, steps = queue.state(live), queue.place(live), _("**Step {n}**").format(n=number(live.steps))
    if state == "training":  # steps over wall time, as a stopwatch on the step counter would measure
        rate = _("training · {rate} steps/s (last {window} s)").format(
            rate=number(live.steps_per_second, 1), window=number(live.rate_window_s)
        )
        return f"{steps} · :green[:material/fiber_manual_record:] {rate}"
    if state == "waiting" and place:
        ahead, seconds = place[0], number(place[1])
        wait = (
            _("{n} ahead of you, about {s} s").format(n=number(ahead), s=seconds)
            if ahead
            else _("next, in about {s} s").format(s=seconds)
        )
        line = ngettext(  # one line for every kind of live trainer: they take turns together
            "queued: {n} model trains at a time here, the others take turns — {wait}",
            "queued: {n} models train at a time here, the others take turns — {wait}",
            queue.max_active,
        )
        return f"{steps} · :material/hourglass_top: " + line.format(n=number(queue.max_active), wait=wait)
    if problem := getattr(live, "problem", None):  # a run that cannot go on (the GPT's: a text it cannot use)
        return f"{steps} · :material/error: " + _("stopped: {why}").format(why=_(problem))
    paused = _("paused ({why})").format(why=_(live.notice)) if live.notice else _("paused")
    return f"{steps} · :material/pause_circle: {paused}"


# The page's background (Streamlit's light theme, or its dark one where the system asks for dark): the top chart
# covers the one under it only where it has been drawn.
BACKGROUND = "white", "rgb(14, 17, 23)"


def steady_chart(fig, key: str, alt: str | None = None) -> None:
    """A Plotly chart that a timer redraws without ever showing an empty plot.

    Streamlit names a Plotly chart after its figure, so the browser throws the old chart away and draws each new
    figure from nothing: the toy GAN's plane showed blank for a moment on every redraw (about 1 frame in 6).
    Two charts share one place instead: the new figure on top and, under it, the one shown last time (the same
    figure as before, so the browser keeps it drawn). The top chart's box is painted with the page's background
    only once Plotly shows it (it is hidden, or has no height, while it draws), so until then the old one shows.
    """
    shown = st.session_state.get(f"_{key}_shown")  # (its slot, the figure, its alt text) from the last redraw
    fresh = 0 if shown is None else 1 - shown[0]
    frames = st.container(key=f"{key}_frames")
    for slot in (0, 1):
        figure, words = (fig, alt) if slot == fresh else shown[1:] if shown else (None, None)
        if figure is not None:
            frames.container(key=f"{key}_{slot}").plotly_chart(figure, key=f"{key}_chart_{slot}", config=CHART, alt=words)
    st.session_state[f"_{key}_shown"] = (fresh, fig, alt)
    place, top = f".st-key-{key}_frames", f".st-key-{key}_{fresh}"
    light, dark = BACKGROUND
    st.html(
        f"<style>{place} {{display: grid; grid-template-columns: minmax(0, 1fr)}} {place} > * {{grid-area: 1 / 1}}"
        f" {place} > :has({top}) {{z-index: 1}}"
        f" {top} .js-plotly-plot {{background: {light}}}"
        f" @media (prefers-color-scheme: dark) {{{top} .js-plotly-plot {{background: {dark}}}}}</style>"
    )


def tick(live, seconds: float) -> float | None:
    """How often the live view redraws: not at all when paused, slowly while waiting in line."""
    if not live.running:
        return None
    return WAITING_TICK_S if trainer_queue().state(live) == "waiting" else seconds


def redrawn(key: str, seconds: float):
    """Decorator: draw(live, view) runs in a fragment that redraws the GAN st.session_state[key] on a timer while it
    trains. It keeps the GAN's place in line, takes its view in its turn, and hands over to a full rerun when the
    timer no longer fits (training stopped, or a waiting GAN got its turn)."""
    ticking = tick(st.session_state[key], seconds)

    def fragment(draw):
        @st.fragment(run_every=ticking)
        @guarded
        @functools.wraps(draw)
        def redraw():
            live = st.session_state[key]
            trainer_queue().keep_alive(live)  # first: a slow redraw on a busy server must not look like a closed tab
            with st.container():  # a "waiting for the server" line appears in here, so it never shifts what follows
                view = compute(live.view)
            draw(live, view)  # the same elements in the same order on every redraw: nothing flickers
            if ticking and tick(live, seconds) != ticking:
                st.rerun()

        return redraw

    return fragment
