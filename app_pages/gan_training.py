"""GAN Training: how a generator and a discriminator pull against each other, and why it wobbles.

Five tabs, and only the open one runs (st.tabs with on_change="rerun"): a replay of the shipped GAN's
recorded training, a GAN training live in this session, a toy 2-D GAN whose discriminator is drawn on the
plane, the shipped generator to explore, and a search for the noise that draws the learner's own digit.
Figures: figures/gan.py; explanations: text/<language>/gan_*.md and draw_gan*.md. Live training and the search
run on the server's scheduler (core/trainer_queue.py, core/scheduler.py); this page only redraws on a timer.
Every word goes through _() (catalog: i18n/locales/pt_BR/LC_MESSAGES/gan.po); numbers through number()/percent().
"""

from __future__ import annotations

import functools
import math
import re
import types
from dataclasses import replace

import streamlit as st
import torch

from app_pages import drawing
from app_pages._ui import compute, hold, load, lost_run_notice, prose, remember_run, run_page, session_owner, tabs, to_image
from core import registry
from core.cache import load_classifier, load_gan_history, load_generator, scheduler, trainer_queue
from core.checkpoint import WeightsError
from core.data import DataUnavailableError, data_root
from core.gan.inversion import Inversion
from core.gan.live import LIVE_SETTINGS, DigitData, LiveDigitGAN, LiveToyGAN, mnist_digits, shipped_digits
from core.gan.model import TrainSettings, to_unit
from core.gan.toy import DISTRIBUTIONS, TOY_SETTINGS
from core.gpt.prompt import _machine as machine  # the metadata's "x86_64 CPU, 1 thread", in the learner's language
from core.vae.latent import interpolate, prior_draws
from figures import gan as figs
from i18n import N_, _, language, ngettext, number, percent, speaking

# Plain words: a tab's label is its value in the URL (?gan_tab=Train+one+live), so a teacher can share it;
# _ui.tabs shows them translated and a Portuguese link opens the same tab.
TABS = [
    N_("Replay the training"),
    N_("Train one live"),
    N_("Toy 2-D GAN"),
    N_("Explore the generator"),
    N_("Find my digit"),
]
LR_CHOICES = [1e-5, 3e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2]
BATCH_CHOICES = [16, 32, 64, 128, 256, 512]
PRIOR_CHOICES = [round(i * 0.005, 3) for i in range(21)]  # the search's pull towards typical noise: 0 to 0.1
CHART = {"displayModeBar": False}
HELP = {  # tooltips, shown with _()
    "step": N_("Exactly one generator update (after the chosen number of D updates)."),
    "reset": N_("Throw this GAN away and start again from fresh random weights."),
    "d_steps": N_("More discriminator updates make D stronger; too strong and G's gradient fades."),
    "find_seed": N_("Picks the random starting noise. The same drawing and seed find the same twin."),
    "prior": N_("0: match the pixels at any cost. Higher: keep z close to the noise the GAN was trained on."),
    "loss": N_("Mean squared difference per pixel, on the generator's scale of −1 (black) to 1 (white)."),
    "norm": N_("The length of z. Random noise of {d} numbers has ‖z‖ ≈ √{d} = {typical}."),
    "percentile": N_("The share of random noise vectors that are shorter. About 50%: ordinary noise; near 100%: z went far out."),
    "moved": N_("How far Adam moved z from its random start."),
    "confident": N_("Samples the classifier is ≥90% sure about"),
    "stretch": N_("Each picture from its darkest to its brightest pixel"),
    "modes": N_("A mode counts when it gets at least a quarter of its fair share of generated points."),
    "on_mode": N_("Generated points within 3σ of real data"),
}
# The live controls: their keys come from these English names ({prefix}_start…), the same in every language
# (scripts/loadtest.py clicks .st-key-live_start). name: label, icon.
BUTTONS = {
    "start": (N_("Start"), "play_arrow"),
    "pause": (N_("Pause"), "pause"),
    "step": (N_("Step"), "skip_next"),
    "reset": (N_("Reset"), "restart_alt"),
}
HEADLINE = {  # the replay's headline against its target, whole sentences for each verdict
    True: N_("Headline: {headline} (target: confident share {target}, met) · made by `{command}`"),
    False: N_("Headline: {headline} (target: confident share {target}, not met) · made by `{command}`"),
}
# Redraw timers; slower while a GAN waits in line, where only its place changes.
DIGIT_TICK_S, TOY_TICK_S, REPLAY_TICK_S, WAITING_TICK_S = 1.0, 0.5, 0.5, 3.0


def shown_in(lang: str, show=_):
    """A format_func bound to lang, the language of this run (AppTest formats a widget's value again after the
    run, where no session says which language)."""

    def shown(option) -> str:
        with speaking(lang):
            return show(option)

    return shown


def learning_rate(lr: float) -> str:
    """A learning rate as a plain decimal with the language's mark: 0.0002 / 0,0002 (each choice has one digit)."""
    return number(lr, max(0, -math.floor(math.log10(lr))))


def with_decimal_marks(text: str) -> str:
    """A target such as "≥ 0.85" with the language's decimal mark ("≥ 0,85")."""
    return re.sub(r"\d+\.\d+|\d+", lambda m: number(float(m[0]), len(m[0].partition(".")[2])), text)


@st.cache_resource(show_spinner=_("Loading MNIST for live training…"))  # the same source in every language: one cache
def mnist_for_live(root: str) -> DigitData:
    return mnist_digits(root)  # read-only and shared: every session samples from the same tensor


def live_digit_data() -> DigitData:
    """MNIST from the data root if present (or downloadable), else the 1,000 digits shipped in gan.history."""
    try:
        return mnist_for_live(str(data_root()))
    except DataUnavailableError:
        return shipped_digits(load(load_gan_history)[0])


def new_live_digits(data: DigitData, seed: int, settings: TrainSettings = LIVE_SETTINGS) -> LiveDigitGAN:
    try:
        classifier = load_classifier()
    except WeightsError:
        classifier = None  # train anyway, without the class-share meter
    return hold(compute(LiveDigitGAN, data, classifier, seed=seed, settings=settings, owner=session_owner()))


def new_toy(dist: str, seed: int, settings: TrainSettings) -> LiveToyGAN:
    return hold(compute(LiveToyGAN, dist, seed=seed, settings=settings, owner=session_owner()))


def start_search(G, target: torch.Tensor, seed: int, prior: float) -> None:
    """A new search for the noise that draws `target`, run as a task on the scheduler in this session's turn
    (the shared generator is only read: Adam moves z alone). A search still running is stopped first."""
    if (old := st.session_state.get("gan_find")) is not None:
        old["search"].stop()
    generator = torch.Generator().manual_seed(seed)  # per request: the same drawing and seed find the same twin
    search = Inversion(G, target, prior_weight=prior, max_steps=drawing.SEARCH_STEPS, generator=generator)
    job = scheduler().submit_task(session_owner(), search.step)
    st.session_state.gan_find = dict(search=search, job=job, target=target)


def stop_search() -> None:
    if (find := st.session_state.get("gan_find")) is not None:
        find["search"].stop()


def search_snapshot(search: Inversion) -> dict:
    """What the page shows of a search, taken in this session's turn: between two slices of the search itself."""
    return dict(best=search.best(), losses=list(search.losses), steps=search.steps, wander=search.wander())


def wander_note(w: dict) -> str:
    if w["percentile"] > 0.99:
        return _("z wandered far out: random noise is almost never this long. The GAN draws your digit only from unusual noise.")
    if w["percentile"] < 0.01:
        return _("z sits unusually close to the centre: random noise is almost never this short.")
    return _("z still looks like ordinary random noise: your digit is one the GAN could draw by chance.")


def problem_text(error: BaseException) -> str:
    """An exception's message in the learner's language where core made it a Message, with its type."""
    message = _(error.args[0]) if error.args and isinstance(error.args[0], str) else str(error)
    return f"{type(error).__name__}: {message}"


@torch.no_grad()
def draw(G, z: torch.Tensor) -> torch.Tensor:
    return to_unit(G(z))  # the shipped generator is shared by every session: only read it


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


def controls(prefix: str, live, on_reset) -> None:
    """Start / Pause / Step / Reset and the settings a learner may change while a GAN trains. The callbacks change
    the session before the rerun draws anything; the widgets start from what the GAN really uses."""
    queue, s = trainer_queue(), live.trainer.settings

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
        queue.stop(live)
        on_reset()

    clicks = {  # name: callback, options
        "start": (start, dict(type="primary", disabled=live.running or live.problem is not None)),
        "pause": (lambda: queue.stop(live), dict(disabled=not live.running)),
        "step": (step, dict(disabled=live.problem is not None)),
        "reset": (reset, {}),
    }
    with st.container(border=True):
        row = st.container(horizontal=True)  # each button as wide as its word, in either language
        for name, (click, options) in clicks.items():
            label, icon = BUTTONS[name]
            tip = _(HELP[name]) if name in HELP else None
            row.button(_(label), icon=f":material/{icon}:", key=f"{prefix}_{name}", on_click=click, help=tip, **options)
        c, lr_text = st.columns(4), shown_in(language(), learning_rate)
        lr_g = c[0].select_slider(_("Generator learning rate"), LR_CHOICES, s.lr_g, format_func=lr_text, key=f"{prefix}_lr_g")
        lr_d = c[1].select_slider(_("Discriminator learning rate"), LR_CHOICES, s.lr_d, format_func=lr_text, key=f"{prefix}_lr_d")
        batch = c[2].select_slider(_("Batch size"), BATCH_CHOICES, s.batch_size, key=f"{prefix}_batch")
        d_steps = c[3].slider(_("D steps per G step"), 1, 5, s.d_steps, key=f"{prefix}_d_steps", help=_(HELP["d_steps"]))
    if (new := replace(s, lr_g=lr_g, lr_d=lr_d, batch_size=batch, d_steps=d_steps)) != s:  # applied between two steps
        queue.touch(live)
        scheduler().run(live.owner, live.update_settings, new)
    if live.problem:
        st.error(prose("gan_blowup").format(problem=_(live.problem)), icon=":material/error:")
    if err := st.session_state.pop(f"{prefix}_error", None):
        st.error(_("Training stopped on an unexpected problem ({error}). Press **Reset** to start again.").format(error=err))


def status_line(live) -> str:
    """Step count and what the trainer is doing: training (and how fast), waiting in line (how long), paused.
    In English it keeps the words scripts/loadtest.py reads: "Step 1,234", "9.6 steps/s", "queued", "ahead of you"."""
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
        line = ngettext(
            "queued: {n} GAN trains at a time here, the others take turns — {wait}",
            "queued: {n} GANs train at a time here, the others take turns — {wait}",
            queue.max_active,
        )
        return f"{steps} · :material/hourglass_top: " + line.format(n=number(queue.max_active), wait=wait)
    paused = _("paused ({why})").format(why=_(live.notice)) if live.notice else _("paused")
    return f"{steps} · :material/pause_circle: {paused}"


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


def live_charts(view: dict, running: bool) -> dict:
    """Built once per view and language: a GAN that waits or is paused redraws the same ones (building a Plotly
    figure is Python work that a busy server shares among all sessions)."""
    if running:
        note = _("No steps yet: the chart starts with this GAN's first turn.")
    else:
        note = _("No steps yet: press Start or Step.")
    cache = st.session_state.setdefault("_live_figures", {})
    if cache.get("view") is not view or cache.get("note") != note or cache.get("lang") != language():
        cache.update(view=view, note=note, lang=language(), charts=figs.live_figures(view, note))
    return cache["charts"]


def moment_note(m: dict, metrics: dict, last: bool) -> str:
    """A note where this moment's scores surprise: the last one beside Home's headline (the finished generator's
    own scores, in `metrics`), an untrained generator's flat squares, blobs before any digit."""
    top = max(range(len(m["shares"])), key=m["shares"].__getitem__)
    facts = dict(confident=percent(m["confident_share"]), mean=percent(m["mean_confidence"]), top=top)
    facts.update(top_share=percent(m["shares"][top]), fd=number(m.get("fid", 0), 1))
    facts["levels"] = int(m["samples"].max()) - int(m["samples"].min())
    if last and "fid" in m and {"confident_share", "fid", "eval_samples", "eval_seed"} <= metrics.keys():
        headline = dict(confident_share=percent(metrics["confident_share"]), fid=number(metrics["fid"], 1))
        headline.update(eval_samples=number(metrics["eval_samples"]), eval_seed=metrics["eval_seed"])
        return prose("gan_replay_scores").format(**facts, **headline)
    if facts["levels"] <= 8:
        return prose("gan_replay_untrained").format(**facts)
    if m["confident_share"] < 0.005:
        return prose("gan_replay_early").format(**facts)
    return _("The classifier scores fresh samples at every moment: **Confident** counts those it is at least 90% sure about.")


def headline(meta: dict) -> str:
    """The metadata's headline ("80% confident digits, FD 10.2"), rebuilt from its figures in the learner's language."""
    metrics = meta.get("metrics", {})
    if {"confident_share", "fid"} <= metrics.keys():
        return _("{share} confident digits, FD {fd}").format(share=percent(metrics["confident_share"]), fd=number(metrics["fid"], 1))
    return str(meta.get("headline"))


# -- the page ------------------------------------------------------------------------------------

show = shown_in(language())  # the format_func of the pickers whose options are words
st.title(":material/sports_kabaddi: " + _("GAN Training"))
st.markdown(prose("gan_intro"))
left, right = st.columns([5, 1], vertical_alignment="center")
with left.expander(_("How the tug-of-war works — and why it wobbles"), icon=":material/school:"):
    st.markdown(prose("gan_game"))
right.page_link("app_pages/glossary.py", label=_("Glossary"), icon=":material/menu_book:")
replay_tab, live_tab, toy_tab, explore_tab, find_tab = tabs(TABS, key="gan_tab", on_change="rerun", bind="query-params")

if replay_tab.open:
    with replay_tab:
        tensors, meta = load(load_gan_history)
        steps, metrics, gan = tensors["moment.step"].tolist(), meta.get("metrics", {}), registry.entry("gan")
        st.markdown(
            prose("gan_replay").format(
                steps=number(meta.get("steps", steps[-1])),
                epochs=with_decimal_marks(str(meta.get("epochs"))),  # 14.99 / 14,99, as the metadata gives it
                hardware=machine(str(meta.get("hardware"))),
            )
        )
        if "confident_share" in metrics:  # the target and the command come from the registry
            verdict = HEADLINE[bool(gan.meets(metrics["confident_share"]))]
            st.caption(_(verdict).format(headline=headline(meta), target=with_decimal_marks(gan.target), command=gan.train_command))
        if st.session_state.get("replay_step") not in steps:
            st.session_state.replay_step = steps[-1]
        playing = st.session_state.get("replay_playing", False)

        def toggle():
            st.session_state.replay_playing = not playing
            if not playing and st.session_state.replay_step == steps[-1]:
                st.session_state.replay_step = steps[0]  # play from the start

        st.button(
            _("Pause") if playing else _("Play the training"),
            icon=":material/pause:" if playing else ":material/play_arrow:",
            key="replay_play",
            on_click=toggle,
            type="secondary" if playing else "primary",
        )

        @st.fragment(run_every=REPLAY_TICK_S if playing else None)
        @guarded
        def replay_view() -> None:
            if st.session_state.get("replay_playing"):
                i = steps.index(st.session_state.replay_step)
                if i + 1 >= len(steps):
                    st.session_state.replay_playing = False
                    st.rerun()  # reached the end: a full rerun drops the timer
                st.session_state.replay_step = steps[i + 1]
            step = st.select_slider(
                _("Training moment (step)"), options=steps, key="replay_step", format_func=shown_in(language(), number)
            )
            view = figs.replay_moment(tensors, meta, steps.index(step), stretch=st.session_state.get("replay_stretch", False))
            m = view["moment"]
            left, right = st.columns([2, 3])
            with left:
                a, b = st.columns(2)
                a.markdown(_("**Step {step}** of {last}").format(step=number(step), last=number(steps[-1])))
                b.toggle(_("Stretch contrast"), key="replay_stretch", help=_(HELP["stretch"]))
                st.image(view["grid"], caption=_("G(z) for the same 64 noise vectors at every moment"), width="stretch")
                if "confident_share" in m:
                    a, b, c = st.columns([4, 5, 6])  # room for the longer labels ("Distância de Fréchet")
                    a.metric(_("Confident"), percent(m["confident_share"]), help=_(HELP["confident"]))
                    b.metric(_("Mean confidence"), percent(m["mean_confidence"]))
                    if "fid" in m:
                        c.metric(_("Fréchet distance"), number(m["fid"], 1))
                a, b = st.columns(2)
                with a:
                    download(_("This grid (PNG)"), f"gan_step_{step}.png", "replay_png", figs.png_bytes, view["grid"])
                with b:  # 24 moments of the grid, about half a megabyte
                    download(_("The training (GIF)"), "gan_training.gif", "replay_gif", figs.replay_gif, tensors)
            right.plotly_chart(view["losses"], key="replay_losses", config=CHART)
            if "confident_share" in m:
                right.markdown(moment_note(m, metrics, step == steps[-1]))
            left, right = st.columns(2)
            if "shares" in view:
                left.plotly_chart(view["shares"], key="replay_shares", config=CHART)
                left.caption(
                    _(
                        "Bars far from the dashed line mean the generator favours some digits: the start of **mode collapse**. "
                        "Red bars: digits it hardly ever draws."
                    )
                )
            if "fid" in view:
                right.plotly_chart(view["fid"], key="replay_fid", config=CHART)
                right.caption(
                    _(
                        "The Fréchet distance compares the classifier's features of generated and real digits. "
                        "The green line is the distance between two sets of *real* digits: the floor."
                    )
                )

        replay_view()

if live_tab.open:
    with live_tab:
        st.markdown(prose("gan_live"))
        lost_run_notice("gan_run", _("The server restarted, so the GAN you were training is gone. Press Start to train a fresh one."))
        if "live_gan" not in st.session_state:
            st.session_state.live_gan = new_live_digits(live_digit_data(), seed=0)
        live = st.session_state.live_gan

        def reset_live():
            old = st.session_state.live_gan
            st.session_state.live_gan = new_live_digits(old.data, old.trainer.gen.initial_seed() + 1, old.trainer.settings)

        if live.steps or live.running:
            remember_run("gan_run")
        data_icon = "folder" if live.data.from_mnist else "inventory_2"
        st.caption(f":material/{data_icon}: " + _("Training data: {data}.").format(data=_(live.data.description)))
        controls("live", live, reset_live)

        @redrawn("live_gan", DIGIT_TICK_S)
        def live_view(live: LiveDigitGAN, view: dict) -> None:
            st.markdown(status_line(live))
            charts, grid = live_charts(view, live.running), figs.sample_grid(view["samples"], ncols=6, scale=3)
            left, right = st.columns([2, 3])
            left.image(grid, width="stretch", caption=_("G(z) for 36 fixed noise vectors, right now"))
            with left:
                download(_("These samples (PNG)"), f"live_gan_step_{view['steps']}.png", "live_png", figs.png_bytes, grid)
            right.plotly_chart(charts["losses"], key="live_losses", config=CHART)
            if "shares" in charts:
                left, right = st.columns(2)
                left.plotly_chart(charts["shares"], key="live_shares", config=CHART)
                right.plotly_chart(charts["confident"], key="live_confident", config=CHART)
                last = view["moments"][-1]
                every = _("The classifier scores {n} fresh samples every {every} steps (last: step {step}).").format(
                    n=number(live.history.n_eval), every=number(live.snapshot_every), step=number(last["step"])
                )
                if last["confident_share"] < 0.005:
                    every += " " + _("No sample is a digit yet: the bars show its guesses about blobs.")
                st.caption(every)
            else:
                st.caption(_("The digit classifier is not available, so the class-share meter is off."))

        live_view()

if toy_tab.open:
    with toy_tab:
        st.markdown(prose("gan_toy"))
        dist = st.selectbox(_("Real data"), list(DISTRIBUTIONS), key="toy_dist", format_func=lambda k: show(DISTRIBUTIONS[k]().label))
        toy = st.session_state.get("toy_gan")
        if toy is None or toy.dist.name != dist:  # a new distribution needs a new GAN
            if toy is not None:
                trainer_queue().stop(toy)
            toy = st.session_state.toy_gan = new_toy(dist, 0, toy.trainer.settings if toy else TOY_SETTINGS)

        def reset_toy():
            old = st.session_state.toy_gan
            st.session_state.toy_gan = new_toy(old.dist.name, old.trainer.gen.initial_seed() + 1, old.trainer.settings)

        controls("toy", toy, reset_toy)
        with st.expander(_("Things to try (Reset between experiments)"), icon=":material/science:"):
            st.markdown(prose("gan_toy_experiments"))

        @redrawn("toy_gan", TOY_TICK_S)
        def toy_view(toy: LiveToyGAN, view: dict) -> None:
            cov, curve = view["coverage"], view["coverage_curve"]
            left, right = st.columns([3, 2])
            left.plotly_chart(figs.toy_figure(view, toy.dist.extent), key="toy_plane", config=CHART)
            with right:
                st.markdown(status_line(toy))
                a, b = st.columns(2)
                covered = f"{number(cov['covered'])} / {number(cov['n_modes'])}"
                a.metric(_("Modes covered"), covered, help=_(HELP["modes"]))
                b.metric(_("Points on a mode"), percent(cov["quality"]), help=_(HELP["on_mode"]))
                modes = figs.coverage_line(curve["step"], curve["covered"], _("Modes covered"), cov["n_modes"] + 0.5)
                st.plotly_chart(modes, key="toy_coverage", config=CHART)
                losses = figs.loss_figure(
                    view["losses"], height=300, real=N_("D(x) on real points"), fake=N_("D(G(z)) on generated points")
                )
                st.plotly_chart(losses, key="toy_losses", config=CHART)

        toy_view()

if explore_tab.open:
    with explore_tab:
        G = load(load_generator)
        st.markdown(
            _("The shipped generator is a function from {n} random numbers to a picture. Same seed, same noise, same digits.").format(
                n=G.latent_dim
            )
        )
        seed = st.columns([1, 3])[0].number_input(_("Seed"), 0, 1_000_000, value=0, step=1, key="explore_seed")
        grid = figs.sample_grid(compute(draw, G, prior_draws(64, G.latent_dim, int(seed))), ncols=16, scale=2)
        st.image(grid, caption=_("64 samples from seed {seed}").format(seed=seed))
        download(_("These samples (PNG)"), f"gan_seed_{seed}.png", "explore_png", figs.png_bytes, grid)
        st.subheader(_("Walk between two noise vectors"))
        c = st.columns(3)
        a = c[0].number_input(_("Start seed"), 0, 1_000_000, value=1, step=1, key="explore_seed_a")
        b = c[1].number_input(_("End seed"), 0, 1_000_000, value=2, step=1, key="explore_seed_b")
        n = c[2].slider(_("Steps"), 4, 16, value=10, key="explore_steps")
        # along an arc: a straight line passes near the origin, where Gaussian noise almost never lies
        z = interpolate(prior_draws(1, G.latent_dim, int(a))[0], prior_draws(1, G.latent_dim, int(b))[0], n, "spherical")
        strip = figs.sample_grid(compute(draw, G, z), ncols=n, scale=3)
        st.image(strip, caption=_("Each picture is G of a point on the path from z_start to z_end"))
        download(_("This walk (PNG)"), f"gan_walk_{a}_to_{b}.png", "explore_walk_png", figs.png_bytes, strip)
        st.caption(_("Smooth morphing means the generator learned a continuous map, not a lookup table of training digits."))

if find_tab.open:
    with find_tab:
        G = load(load_generator)
        st.markdown(prose("draw_gan_intro"))
        with st.expander(_("How the search works"), icon=":material/school:"):
            st.markdown(prose("draw_gan"))
        row = st.container(horizontal=True, gap="large")  # wraps on a narrow screen: canvas, then the search
        left, right = row.container(width=drawing.COLUMN), row.container()
        with left:
            drawing.canvas("gan_canvas")
            x = drawing.drawn_digit()
            if x is not None:
                drawing.preview(x, width=140)
        with right:
            find = st.session_state.get("gan_find")
            running = find is not None and not find["job"].done()
            st.session_state.setdefault("gan_find_seed", 0)
            st.session_state.setdefault("gan_find_prior", 0.01)
            row = st.container(horizontal=True, vertical_alignment="bottom")
            seed = row.number_input(
                _("Seed"), 0, 1_000_000, step=1, key="gan_find_seed", width=140, help=_(HELP["find_seed"]), persist_state="session"
            )
            prior = row.select_slider(  # not st.slider: its format="%.3f" writes 0.010 in every language
                _("Pull towards typical noise"),
                PRIOR_CHOICES,
                format_func=shown_in(language(), lambda w: number(w, 3)),
                key="gan_find_prior",
                width=220,
                help=_(HELP["prior"]),
                persist_state="session",
            )
            go = row.button(_("Find my digit"), key="gan_find_go", type="primary", icon=":material/search:", disabled=x is None)
            if go:
                start_search(G, x, int(seed), float(prior))
                running = True
            row.button(_("Stop"), key="gan_find_stop", icon=":material/stop:", on_click=stop_search, disabled=not running)

            @st.fragment(run_every=drawing.SEARCH_TICK_S if running else None)
            @guarded
            def search_view() -> None:
                find = st.session_state.get("gan_find")
                if find is None:
                    st.caption(_("Press **Find my digit**: the search starts from random noise and shows its progress here."))
                    return
                search, job = find["search"], find["job"]
                view = compute(search_snapshot, search)  # the same elements in the same order on every redraw
                best, w, done = view["best"], view["wander"], job.done()
                steps, total = number(view["steps"]), number(search.max_steps)
                if not done:
                    status = _("**Step {n}** of {total} · searching…").format(n=steps, total=total)
                elif search.stopped and view["steps"] < search.max_steps:
                    status = _("**Stopped** at step {n} of {total}.").format(n=steps, total=total)
                else:
                    status = _("**Done**: {n} steps, {starts} random starts.").format(n=steps, starts=number(len(search.z0)))
                st.markdown(status)
                if done and not job.cancelled() and job.exception() is not None:
                    problem = problem_text(job.exception())
                    st.warning(
                        _("The search stopped on an unexpected problem ({error}). Press Find my digit again.").format(error=problem)
                    )
                a, b, c = st.columns([2, 2, 6])
                a.image(drawing.seen(find["target"]), caption=_("your drawing (28×28)"), width="stretch", output_format="PNG")
                twin = _("its closest twin, G(z)") if done else _("best G(z) so far")
                b.image(to_image(best.image[0], scale=8), caption=twin, width="stretch", output_format="PNG")
                c.plotly_chart(figs.search_figure(view["losses"], height=280), key="gan_find_losses", config=CHART)
                if done:
                    m = st.columns(4)
                    m[0].metric(_("Pixel loss"), number(best.loss, 4), help=_(HELP["loss"]))
                    typical = _("typical noise: {norm}").format(norm=number(w["typical_norm"], 1))
                    tip = _(HELP["norm"]).format(d=best.z.shape[1], typical=number(w["typical_norm"], 1))
                    m[1].metric("‖z‖", number(w["norm"], 1), delta=typical, delta_color="off", delta_arrow="off", help=tip)
                    m[2].metric(_("Longer than"), percent(w["percentile"]), help=_(HELP["percentile"]))
                    m[3].metric(_("Moved from its start"), number(w["moved"], 1), help=_(HELP["moved"]))
                    st.caption(wander_note(w))
                if running and done:
                    st.rerun()  # the search ended: a full rerun drops the timer and frees the Stop button

            search_view()
