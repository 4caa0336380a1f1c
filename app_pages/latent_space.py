"""Latent Space: what a VAE's latent vector holds, and why its latent space can be sampled from.

Layout only, top to bottom as the learner sees it. The numbers come from core/latent.py, the figures
from figures/latent.py and the long explanations from text/<language>/latent_*.md. Every word shown goes
through _() (catalog: i18n/locales/pt_BR/LC_MESSAGES/latent.po).
"""

from __future__ import annotations

import random
from functools import partial

import streamlit as st
import torch

from app_pages import drawing
from app_pages._ui import compute, image_grid, load, prose, tabs, to_image
from core import registry
from core.cache import load_classifier, load_meta, load_vae, load_vae_data, scheduler
from core.checkpoint import WeightsError, weights_dir
from core.vae import latent
from figures import latent as figs
from figures.latent import coords, png_bytes, png_uri
from i18n import N_, _, language, ngettext, number, percent, speaking

# Plain words: a tab's label is its value in the URL (?ls_tab=Interpolation); _ui.tabs shows them translated
# and a Portuguese link opens the same tab.
TABS = [N_("Sliders & map"), N_("Reconstruction"), N_("Interpolation"), N_("AE vs VAE"), N_("Draw a digit")]
GLOSSARY = dict(page="app_pages/glossary.py", icon=":material/menu_book:")  # label: _("Glossary"), where shown
# The map's backgrounds and the paths: the radios' values (and the URL's), shown translated.
BACKGROUNDS = [N_("decoded digits"), N_("classifier's reading"), N_("nothing")]
METHODS = [N_("linear"), N_("spherical")]
NO_BAR, MAP_BAR = {"displayModeBar": False}, {"displayModeBar": False, "scrollZoom": True}
PNG = dict(mime="image/png", icon=":material/download:", on_click="ignore")  # a download needs no rerun
IMG = dict(width="stretch", output_format="PNG")  # crisp pixels, not JPEG's blur
DICE = ":material/casino:"  # the "random" buttons
HELP = {  # tooltips, kept short (the long explanations live in text/), shown with _()
    "digit": N_("The sliders jump to where the encoder puts this test digit."),
    "origin": N_("z = 0: the centre of the prior N(0, I)."),
    "draw": N_("A random point from the prior: what sampling from the model does."),
    "reset": N_("Back to where the page starts: test digit #0."),
    "kl": N_("Mean KL over the test set (nats): how much this dimension tells the decoder."),
    "map": N_("What the decoder draws at each spot of the plane, or which digit the classifier sees there."),
    "recon": N_(
        "Binary cross-entropy summed over the 784 pixels (nats), averaged over the draws: small when the decoded image "
        "matches the original."
    ),
    "kl_one": N_("KL(N(μ, σ²) ‖ N(0, I)) in nats: how far this digit's cloud is from the prior."),
    "loss": N_("Reconstruction + KL: the VAE's training loss for this digit."),
    "path": N_(
        "Linear: a straight line between the two codes. Spherical: an arc that keeps the distance from the origin, where "
        "the prior's draws live in many dimensions."
    ),
    "from_drawing": N_("Start the path at your drawing's μ (draw it in the Draw a digit tab)."),
    "to_sliders": N_("The sliders jump to where the encoder puts your drawing."),
}
# The digit classifier only adds colour and scores: without it each place says what is missing, whole.
NO_CLASSIFIER = {
    "plane": N_("The digit classifier is not available ({error}), so the plane is left blank."),
    "scores": N_("The digit classifier is not available ({error}), so the samples are not scored."),
    "reading": N_("The digit classifier is not available ({error}), so there is no reading."),
}


def shown_in(lang: str):
    """A format_func that translates options into lang, the language of this run (bound now: AppTest formats a
    widget's value again after the run, where no session says which language)."""

    def show(option: str) -> str:
        with speaking(lang):
            return _(option)

    return show


def glossary_link(where=st) -> None:
    where.page_link(**GLOSSARY, label=_("Glossary"))


def reads(digit: int, confidence: float) -> str:
    return _("The classifier reads a **{digit}** ({sure} sure).").format(digit=digit, sure=percent(confidence))


# --- the 2-D plane, worked out once per model and weights folder (`directory` only keys the cache) ---


@st.cache_data(show_spinner=_("Decoding the latent plane…"), max_entries=8)
def manifold_uri(name: str, directory: str, cells: int = 16) -> str:
    model = load_vae(name)
    lo, hi = latent.slider_bounds(load_vae_data(name)["mu"], model.variational)
    cols, rows = latent.square_cells(lo, hi, cells)
    images = scheduler().run("cache", latent.manifold, model, lo, hi, cols, rows)  # once per server, in line
    return png_uri(image_grid(images, ncols=cols, pad=0))


@st.cache_data(show_spinner=_("Asking the classifier about the plane…"), max_entries=8)
def classifier_plane(name: str, directory: str, cells: int = 40):
    model = load_vae(name)
    lo, hi = latent.slider_bounds(load_vae_data(name)["mu"], model.variational)
    cols, rows = latent.square_cells(lo, hi, cells)
    digit, confidence = scheduler().run("cache", latent.classify_plane, model, load_classifier(), lo, hi, cols, rows)
    return digit.numpy(), confidence.numpy()


# --- callbacks: they run before the widgets are drawn, so the sliders show the new z at once ---


def set_z(name: str, z: torch.Tensor, lo, hi, tab: str | None = None) -> None:
    for i, v in enumerate(latent.clamp_latent(z, lo, hi).tolist()):
        st.session_state[f"ls_z_{name}_{i}"] = round(v, 2)
    if tab:
        st.session_state["ls_tab"] = tab  # English: _ui.tabs shows it in the learner's language


def start_from_digit(name: str, mu: torch.Tensor, lo, hi) -> None:
    set_z(name, mu[int(st.session_state["ls_start_idx"])], lo, hi)


def draw_prior(name: str, lo, hi) -> None:
    set_z(name, latent.prior_draws(1, len(lo), random.randrange(2**31))[0], lo, hi)


def on_map_click(name: str, lo, hi) -> None:
    z = latent.click_to_latent(st.session_state[f"ls_map_{name}"]["selection"], lo, hi)
    if z is not None:
        set_z(name, z, lo, hi)


def interpolate_from_drawing() -> None:
    st.session_state["ls_int_drawn"] = True
    st.session_state["ls_tab"] = TABS[2]


def encode_drawing(model, x: torch.Tensor, classifier=None) -> dict:
    """The learner's drawing x (1, 1, 28, 28) through the model, as the Reconstruction tab does a test digit
    (seeded: the same drawing always shows the same draws), and what the classifier reads in it."""
    r = latent.reconstruct(model, x, samples=4, generator=torch.Generator().manual_seed(0))
    if classifier is not None:
        digit, confidence = latent.read_digits(classifier, x)
        r["digit"], r["confidence"] = int(digit), float(confidence)
    return r


def randomize(keys: list[str], n: int) -> None:
    """Distinct random integers below n for these widgets (Python's generator: torch's global seed stays untouched)."""
    st.session_state.update(zip(keys, random.sample(range(n), len(keys))))


def slider_label(i: int, kl: float, dim: int) -> str:
    """z1 (x axis) on a plane; z3 · KL 1.27 among many, greyed where the model ignores the dimension."""
    if dim == 2:
        return _("z{i} ({axis} axis)").format(i=i + 1, axis="xy"[i])
    if kl >= latent.UNUSED_KL:
        return f"z{i + 1} · KL {number(kl, 2)}"
    return _("z{i} · :gray[KL {kl}, unused]").format(i=i + 1, kl=number(kl, 2))


def where_z(z: torch.Tensor, variational: bool) -> str:
    """z and its length, and for a VAE where the prior's draws sit: ‖z‖ ≈ √d."""
    dim, norm = len(z), number(float(z.norm()), 2)
    point = coords(z.tolist()) if dim == 2 else None
    if variational:
        values = dict(norm=norm, dim=dim, root=number(dim**0.5, 1))
        if point is None:
            return _("‖z‖ = {norm}; draws from N(0, I) have ‖z‖ ≈ √{dim} = {root}.").format(**values)
        return _("z = ({z}), ‖z‖ = {norm}; draws from N(0, I) have ‖z‖ ≈ √{dim} = {root}.").format(z=point, **values)
    return f"‖z‖ = {norm}." if point is None else f"z = ({point}), ‖z‖ = {norm}."


@st.fragment
def explore(name: str, model, data: dict, lo, hi, classifier, classifier_error: str | None, drawn_mu=None) -> None:
    """Sliders, the decoded image and, in 2-D, the map (with the learner's drawing, if any, at drawn_mu).
    A fragment: a slider move or a click reruns only this."""
    show = shown_in(language())
    dim, kl = model.latent_dim, data["kl_per_dim"]
    if dim == 2:
        map_col, side = st.columns([7, 4], gap="large")
        image_spot, slider_cols = side.container(), [side]
    else:
        image_spot, side = st.columns([2, 3], gap="large")
        side.markdown(_("**Latent sliders**, most-used dimension first; grey = the model ignores it"))
        slider_cols = side.columns(2)
    for j, i in enumerate(latent.slider_order(kl)):
        step, tip = (0.05 if model.variational else 0.1), (_(HELP["kl"]) if dim > 2 else None)
        col = slider_cols[j * len(slider_cols) // dim]
        col.slider(
            slider_label(i, float(kl[i]), dim),
            float(lo[i]),
            float(hi[i]),
            step=step,
            format="%.2f",
            key=f"ls_z_{name}_{i}",
            help=tip,
            persist_state="session",
        )
    z = torch.tensor([float(st.session_state[f"ls_z_{name}_{i}"]) for i in range(dim)])
    decoded = compute(latent.decode, model, z)
    image = to_image(decoded[0], scale=12)

    with image_spot:
        st.image(image, caption="decoder(z)", width=336, output_format="PNG")
        read = ""
        if classifier is not None:
            digit, conf = latent.read_digits(classifier, decoded)
            read = reads(int(digit), float(conf)) + " "
        st.markdown(read + where_z(z, model.variational))
        st.download_button(_("Download this digit (PNG)"), png_bytes(image), f"{name}-decoded.png", key="ls_z_png", **PNG)
        if dim > 2:
            st.plotly_chart(figs.kl_figure(kl, latent.slider_order(kl)), key=f"ls_kl_{name}", config=NO_BAR)
    if dim == 2:
        with map_col:
            background = st.radio(
                _("Behind the points"),
                BACKGROUNDS,
                format_func=show,
                key="ls_map_bg",
                horizontal=True,
                help=_(HELP["map"]),
                persist_state="session",
            )
            uri = manifold_uri(name, str(weights_dir())) if background == BACKGROUNDS[0] else None
            plane = None
            if background == BACKGROUNDS[1] and classifier is None:
                st.info(_(NO_CLASSIFIER["plane"]).format(error=classifier_error))
            elif background == BACKGROUNDS[1]:
                plane = classifier_plane(name, str(weights_dir()))
            fig = figs.map_figure(data["mu"], data["labels"], lo, hi, z, image_uri=uri, plane=plane, drawn=drawn_mu)
            click = partial(on_map_click, name, lo, hi)
            st.plotly_chart(fig, key=f"ls_map_{name}", on_select=click, selection_mode="points", config=MAP_BAR)
            st.caption(prose("latent_map"))


# --- the page ---

show = shown_in(language())  # the format_func of the pickers whose options are words
st.title(":material/scatter_plot: " + _("Latent Space"))
st.markdown(prose("latent_intro"))
names = registry.names(page="latent_space")
captions = [_(registry.entry(n).label) for n in names]
name = st.radio(_("Model"), names, key="ls_model", horizontal=True, captions=captions, bind="query-params", persist_state="session")
model, data = load(load_vae, name), load(load_vae_data, name)
dim, mu, labels, digits = model.latent_dim, data["mu"], data["labels"], data["digits"]
lo, hi = latent.slider_bounds(mu, model.variational)
meta = load(load_meta, name)
metrics = meta.get("metrics", {})
row = st.container(horizontal=True, vertical_alignment="center")
if "test_loss" in metrics:
    terms = dict(loss=number(metrics["test_loss"], 1), recon=number(metrics["test_recon"], 1))
    if model.variational:
        loss = _("test loss {loss} nats/image (reconstruction {recon} + KL {kl})").format(kl=number(metrics["test_kl"], 1), **terms)
    else:
        loss = _("test loss {loss} nats/image (reconstruction {recon})").format(**terms)
    epochs = meta.get("epochs")
    facts = [ngettext("{n} epoch", "{n} epochs", epochs).format(n=number(epochs))] if isinstance(epochs, int) else []
    facts.append(_("{n} M parameters").format(n=number(meta.get("parameters", 0) / 1e6, 2)))
    row.caption(f"**{name}**: {loss} · " + " · ".join(facts))
glossary_link(row)
with st.expander(_("The reparameterization trick: why a VAE's latent space can be sampled from"), icon=":material/functions:"):
    st.markdown(prose("latent_reparameterization"))

try:  # the classifier only adds colour and scores here: without it the page still works, with a note
    classifier, classifier_error = load_classifier(), None
except WeightsError as e:
    classifier, classifier_error = None, _(e.args[0]) if e.args else str(e)
defaults = dict(
    ls_start_idx=0, ls_map_bg=BACKGROUNDS[0], ls_rec_idx=0, ls_int_a=0, ls_int_b=1, ls_int_steps=10, ls_int_drawn=False, ls_cmp_seed=0
)
for k, v in (defaults | dict(ls_cmp_n=24)).items():
    st.session_state.setdefault(k, v)
for i in range(dim):  # first visit: test digit #0; later visits keep the values, inside this model's bounds
    k = f"ls_z_{name}_{i}"
    st.session_state[k] = round(min(max(float(st.session_state.get(k, mu[0, i])), float(lo[i])), float(hi[i])), 2)

# Only the open tab runs (on_change="rerun").
tab_map, tab_rec, tab_int, tab_cmp, tab_draw = tabs(TABS, key="ls_tab", on_change="rerun", bind="query-params")
with tab_map:
    if tab_map.open:
        row = st.container(horizontal=True, vertical_alignment="bottom")
        row.number_input(_("Test digit #"), 0, len(digits) - 1, key="ls_start_idx", width=160, persist_state="session")
        row.button(_("Start from its μ"), key="ls_go_digit", on_click=start_from_digit, args=(name, mu, lo, hi), help=_(HELP["digit"]))
        row.button(
            _("Origin"),
            key="ls_go_origin",
            on_click=set_z,
            args=(name, torch.zeros(dim), lo, hi),
            help=_(HELP["origin"]),
            icon=":material/adjust:",
        )
        row.button(
            _("Draw z ~ N(0, I)"), key="ls_go_random", on_click=draw_prior, args=(name, lo, hi), help=_(HELP["draw"]), icon=DICE
        )
        row.button(
            _("Reset"),
            key="ls_reset",
            on_click=set_z,
            args=(name, mu[0], lo, hi),
            help=_(HELP["reset"]),
            icon=":material/restart_alt:",
        )
        if not model.variational:
            st.caption(_("The autoencoder's latents are not pulled towards N(0, 1): its sliders span its test-set μ, not about ±4."))
        drawn = drawing.drawn_digit(quiet=True) if dim == 2 else None  # a drawing made in its tab is marked on the map
        drawn_mu = compute(encode_drawing, model, drawn)["mu"] if drawn is not None else None
        explore(name, model, data, lo, hi, classifier, classifier_error, drawn_mu)
        if dim > 2:
            st.caption(_("A 2-D map needs a 2-D model: pick vae-z2 or ae-z2 above to see one."))

with tab_rec:
    if tab_rec.open:
        row = st.container(horizontal=True, vertical_alignment="bottom")
        idx = row.number_input(_("Test digit #"), 0, len(digits) - 1, key="ls_rec_idx", width=160, persist_state="session")
        row.button(_("Random digit"), key="ls_rec_random", on_click=randomize, args=(["ls_rec_idx"], len(digits)), icon=DICE)
        # seeded by the index: the same digit always shows the same draws
        r = compute(latent.reconstruct, model, digits[idx : idx + 1], samples=4, generator=torch.Generator().manual_seed(idx))
        cols = st.columns([1, 1, 1.2, 3], gap="medium")
        original = _("original (a {digit})").format(digit=int(data["digit_labels"][idx]))
        cols[0].image(to_image(digits[idx], scale=6), caption=original, **IMG)
        cols[1].image(to_image(r["mean_image"], scale=6), caption=_("decoded μ"), **IMG)
        if model.variational:
            draws = image_grid(r["sample_images"], ncols=2, scale=3)
            cols[2].image(draws, caption=_("decoded draws z = μ + σ·ε from this digit's cloud"), **IMG)
        else:
            cols[2].markdown(prose("latent_ae_point"))
        with cols[3]:
            mcols = st.columns(3)
            mcols[0].metric(_("Reconstruction"), number(r["recon"], 1), help=_(HELP["recon"]))
            mcols[1].metric("KL", number(r["kl"], 1) if model.variational else "—", help=_(HELP["kl_one"]))
            mcols[2].metric(_("Loss"), number(r["loss"], 1), help=_(HELP["loss"]))
            st.caption(
                prose("latent_tradeoff") if model.variational else _("The plain autoencoder is trained on the reconstruction alone.")
            )
            row = st.container(horizontal=True, vertical_alignment="center")
            row.button(_("Open this μ in the sliders"), key="ls_rec_to_sliders", on_click=set_z, args=(name, r["mu"], lo, hi, TABS[0]))
            glossary_link(row)
        left, right = st.columns([3, 2] if dim > 2 else [1, 1], gap="large")
        left.plotly_chart(
            figs.code_figure(r["mu"], r["sigma"], latent.slider_order(data["kl_per_dim"])), key="ls_rec_mu", config=NO_BAR
        )
        if dim > 2:
            right.markdown(prose("latent_unused"))
        elif model.variational:
            right.markdown(prose("latent_sigma").format(sigma=coords(r["sigma"].tolist(), 3)))
        else:
            right.markdown(prose("latent_two_numbers"))

with tab_int:
    if tab_int.open:
        method_key = f"ls_int_method_{name}"  # per model: spherical is the default in 16 dimensions
        st.session_state.setdefault(method_key, METHODS[1] if dim > 2 else METHODS[0])
        row = st.container(horizontal=True, vertical_alignment="bottom")
        from_drawing = row.toggle(_("From my drawing"), key="ls_int_drawn", help=_(HELP["from_drawing"]), persist_state="session")
        a = row.number_input(
            _("From test digit #"), 0, len(digits) - 1, key="ls_int_a", width=160, disabled=from_drawing, persist_state="session"
        )
        b = row.number_input(_("To test digit #"), 0, len(digits) - 1, key="ls_int_b", width=160, persist_state="session")
        row.button(_("Random pair"), key="ls_int_random", on_click=randomize, args=(["ls_int_a", "ls_int_b"], len(digits)), icon=DICE)
        steps = row.slider(_("Frames"), 3, 16, key="ls_int_steps", width=260, persist_state="session")
        method = row.radio(
            _("Path"),
            METHODS,
            format_func=show,
            key=method_key,
            horizontal=True,
            help=_(HELP["path"]),
            persist_state="session",
        )
        drawn = drawing.drawn_digit(quiet=True) if from_drawing else None
        if from_drawing and drawn is None:
            st.info(
                _("Draw a digit in the Draw a digit tab first: until then the path starts at a test digit."), icon=":material/draw:"
            )
        to, along = int(data["digit_labels"][b]), dict(steps=number(steps), method=_(method))
        if drawn is not None:  # your digit -> a test digit
            start, first, source = compute(encode_drawing, model, drawn)["mu"], drawn, "drawing"
            title = _(
                "**From your drawing to a {to}**: {steps} decoded points on the {method} path between their μ "
                "(originals at both ends)."
            ).format(to=to, **along)
        else:
            start, first, source = mu[a], digits[a : a + 1], str(a)
            title = _(
                "**From a {a} to a {to}**: {steps} decoded points on the {method} path between their μ (originals at both ends)."
            ).format(a=int(data["digit_labels"][a]), to=to, **along)
        path = latent.interpolate(start, mu[b], steps, method)
        frames = compute(latent.decode, model, path)
        st.markdown(title)
        strip = image_grid(torch.cat([first, frames, digits[b : b + 1]]), ncols=steps + 2, pad=4, scale=3)
        strip[:, 96:102] = strip[:, -102:-96] = 128  # grey bars between each original (a 3 × 32 px tile) and the frames
        st.image(strip, **IMG)
        file_name = f"{name}-path-{source}-{b}.png"
        st.download_button(_("Download the strip (PNG)"), png_bytes(strip), file_name, key="ls_int_png", **PNG)
        if dim == 2:
            left, right = st.columns([3, 2], gap="large")
            left.plotly_chart(figs.path_figure(mu, labels, lo, hi, path), key="ls_int_map", config=NO_BAR)
            right.markdown(prose("latent_path_vae" if model.variational else "latent_path_ae"))
        else:
            norms = {m: latent.interpolate(start, mu[b], 50, m).norm(dim=1).numpy() for m in METHODS}
            st.plotly_chart(figs.norm_figure(norms, dim), key="ls_int_norm", config=NO_BAR)
            st.caption(prose("latent_slerp"))

with tab_cmp:
    if tab_cmp.open:
        pair = {n: (load(load_vae, n), load(load_vae_data, n)) for n in ("ae-z2", "vae-z2")}
        st.markdown(prose("latent_sampling"))
        row = st.container(horizontal=True, vertical_alignment="bottom")
        n = row.slider(_("Draws"), 8, 48, step=8, key="ls_cmp_n", width=260, persist_state="session")
        seed = row.number_input(_("Seed"), 0, 10**6 - 1, key="ls_cmp_seed", width=160, persist_state="session")
        row.button(_("New draws"), key="ls_cmp_new", on_click=randomize, args=(["ls_cmp_seed"], 10**6), icon=DICE)
        glossary_link(row)
        z = latent.prior_draws(n, 2, seed)
        for col, (other, (m, d)) in zip(st.columns(2, gap="large"), pair.items()):
            with col:
                st.markdown(f"#### {_(registry.entry(other).label)}")
                images = compute(latent.decode, m, z)
                grid = image_grid(images, ncols=8, scale=3)
                st.image(grid, **IMG)
                st.download_button(
                    _("Download these samples (PNG)"), png_bytes(grid), f"{other}-seed{seed}.png", key=f"ls_png_{other}", **PNG
                )
                if classifier is not None:
                    digit, conf = latent.read_digits(classifier, images)
                    seen = set(digit[conf >= 0.9].tolist())
                    listed = [", ".join(str(v) for v in sorted(s)) or _("none") for s in (seen, set(range(10)) - seen)]
                    sure = number(int((conf >= 0.9).sum()))
                    st.markdown(prose("latent_scored").format(sure=sure, n=number(n), seen=listed[0], never=listed[1]))
                view = latent.cover(*latent.slider_bounds(d["mu"], m.variational), z)  # every draw in view, even off the codes
                st.plotly_chart(figs.draws_figure(d["mu"], d["labels"], *view, z), key=f"ls_cmp_map_{other}", config=NO_BAR)
        st.caption(_("Note the two maps' scales: the same draws cover a small patch of the autoencoder's plane."))
        if classifier is None:
            st.caption(_(NO_CLASSIFIER["scores"]).format(error=classifier_error))
        ae_lo, ae_hi = (v.round().int().tolist() for v in pair["ae-z2"][1]["mu"].aminmax(dim=0))
        st.info(prose("latent_holes").format(lo=ae_lo, hi=ae_hi), icon=":material/blur_on:")

with tab_draw:
    if tab_draw.open:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown(prose("draw_latent_intro"))
        glossary_link(row)
        row = st.container(horizontal=True, gap="large")  # wraps on a narrow screen: the map goes below
        left, right = row.container(width=drawing.COLUMN), row.container()
        with left:
            drawing.canvas("ls_canvas")
            x = drawing.drawn_digit()
            if x is not None:
                r = compute(encode_drawing, model, x, classifier)
                a, b = st.columns(2)
                drawing.preview(x, a)
                b.image(to_image(r["mean_image"], scale=8), caption=_("{name} decodes its μ").format(name=name), **IMG)
                if classifier is None:
                    st.caption(_(NO_CLASSIFIER["reading"]).format(error=classifier_error))
                else:
                    st.markdown(reads(r["digit"], r["confidence"]))
                where = coords(r["mu"].tolist())
                st.markdown(f"μ = ({where})" if dim == 2 else f"‖μ‖ = {number(float(r['mu'].norm()), 2)}")
                st.button(
                    _("Open in the sliders"),
                    key="ls_draw_to_sliders",
                    on_click=set_z,
                    args=(name, r["mu"], lo, hi, TABS[0]),
                    help=_(HELP["to_sliders"]),
                    icon=":material/tune:",
                )
                st.button(
                    _("Interpolate from my drawing"),
                    key="ls_draw_to_path",
                    on_click=interpolate_from_drawing,
                    icon=":material/timeline:",
                )
        with right:
            if dim == 2:  # the map is there before the first stroke; the star comes with the drawing
                uri = manifold_uri(name, str(weights_dir()))
                drawn_mu = r["mu"] if x is not None else None
                fig = figs.map_figure(mu, labels, lo, hi, None, image_uri=uri, drawn=drawn_mu, clickable=False)
                st.plotly_chart(fig, key=f"ls_draw_map_{name}", config=MAP_BAR)
                st.caption(
                    _("The star is where the encoder puts your drawing, among the {n} test digits' μ.").format(n=number(len(mu)))
                )
            elif x is not None:
                st.plotly_chart(
                    figs.code_figure(r["mu"], r["sigma"], latent.slider_order(data["kl_per_dim"])), key="ls_draw_mu", config=NO_BAR
                )
                st.caption(_("Sixteen numbers make no map: open them in the sliders to see them one by one."))
        st.markdown(prose("draw_latent"))
