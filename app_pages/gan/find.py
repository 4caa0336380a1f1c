"""The Find my digit tab: the learner draws a digit and Adam searches the shipped generator's noise for its closest
twin, as a task on the server's scheduler, redrawn on a timer while it runs."""

from __future__ import annotations

import streamlit as st
import torch

from app_pages import drawing
from app_pages._ui import compute, in_language, load, prose, session_owner, to_image
from app_pages.gan.common import CHART, guarded, problem_text
from app_pages.loaders import load_generator, scheduler
from core.gan.inversion import Inversion
from figures import gan as figs
from figures.words import chart_words
from i18n import N_, _, number, percent

PRIOR_CHOICES = [round(i * 0.005, 3) for i in range(21)]  # the search's pull towards typical noise: 0 to 0.1
HELP = {  # tooltips, shown with _()
    "find_seed": N_("Picks the random starting noise. The same drawing and seed find the same twin."),
    "prior": N_("0: match the pixels at any cost. Higher: keep z close to the noise the GAN was trained on."),
    "loss": N_("Mean squared difference per pixel, on the generator's scale of −1 (black) to 1 (white)."),
    "norm": N_("The length of z. Random noise of {d} numbers has ‖z‖ ≈ √{d} = {typical}."),
    "percentile": N_("The share of random noise vectors that are shorter. Between 5% and 95%: ordinary noise; above: z went far out."),
    "moved": N_("How far Adam moved z from its random start."),
}


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


UNUSUAL = 0.05  # a z shorter than 5% or longer than 95% of random noise is called unusual (one rule, stated on the page)


def wander_note(w: dict) -> str:
    """One verdict on z's length, with its threshold, from the percentage the metric beside it shows."""
    shown = round(w["percentile"], 2)  # the metric shows whole percent: judge what the learner reads
    values = dict(share=percent(shown), low=percent(UNUSUAL), high=percent(1 - UNUSUAL))
    if shown > 1 - UNUSUAL:
        return _(
            "z is longer than {share} of random noise, past the {high} that counts as unusual: the GAN draws your digit "
            "only from noise it rarely sees."
        ).format(**values)
    if shown < UNUSUAL:
        return _(
            "Only {share} of random noise is shorter than z, under the {low} that counts as unusual: z sits close to the centre."
        ).format(**values)
    return _(
        "z is longer than {share} of random noise, between {low} and {high}: ordinary noise. Your digit is one the GAN could "
        "draw by chance."
    ).format(**values)


def show() -> None:
    """The generator loads here (missing weights stop only this tab); the search lives in the session (gan_find)."""
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
            format_func=in_language(lambda w: number(w, 3)),
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
            a.image(
                drawing.seen(find["target"]),
                caption=_("your drawing (28×28)"),
                width="stretch",
                output_format="PNG",
                alt=_(drawing.DRAWN),
            )
            twin = _("its closest twin, G(z)") if done else _("best G(z) so far")
            alt = _("The digit the generator draws from the best noise found so far, closest to your drawing.")
            b.image(to_image(best.image[0], scale=8), caption=twin, width="stretch", output_format="PNG", alt=alt)
            search = figs.search_figure(view["losses"], height=280)
            what = _("The pixel loss between your drawing and G(z) over the search steps")
            c.plotly_chart(search, key="gan_find_losses", config=CHART, alt=chart_words(search, what))
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
