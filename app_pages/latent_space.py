"""Latent Space: what a VAE's latent vector holds, and why its latent space can be sampled from.

UI only: the computations live in core/latent.py and core/vae.py.
"""
from __future__ import annotations

import base64
import io
from functools import partial

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from PIL import Image
from plotly.colors import qualitative

from core import latent
from core.cache import load_classifier, load_meta, load_vae, load_vae_data, scheduler
from core.checkpoint import WeightsError, weights_dir
from app_pages._ui import compute, image_grid, load, to_image

MODELS = {
    "vae-z2": "VAE · 2 latent numbers",
    "vae-z16": "VAE · 16 latent numbers",
    "ae-z2": "Plain autoencoder · 2 latent numbers",
}
TABS = ["🎛️ Sliders & map", "🔁 Reconstruction", "🎞️ Interpolation", "⚖️ AE vs VAE"]
COLORS = qualitative.T10  # one colour per digit 0-9, shared by points and the classifier's map
MAP_CELLS = 16            # decoded digits per side behind the 2-D map
UNUSED_KL = 0.05          # nats: below this a dimension carries (almost) nothing


# --- small helpers ---------------------------------------------------------------------------------

def fresh_generator() -> torch.Generator:
    g = torch.Generator()
    g.seed()  # a new random seed for each request; never the global torch.manual_seed
    return g


def png_uri(img: np.ndarray) -> str:
    """A uint8 grey image as a data URI, for a picture inside a Plotly figure."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def classifier_or_none():
    """The digit classifier only adds colour here, so a missing one is a note, not an error."""
    try:
        return load_classifier(), None
    except WeightsError as e:
        return None, f"The digit classifier is not available ({e})"


def zkey(name: str, i: int) -> str:
    return f"ls_z_{name}_{i}"


def set_sliders(name: str, z: torch.Tensor) -> None:
    """Move the latent sliders of `name` to z (called from callbacks, before the sliders exist)."""
    for i, v in enumerate(z.tolist()):
        st.session_state[zkey(name, i)] = round(float(v), 2)


def current_z(name: str, dim: int) -> torch.Tensor:
    return torch.tensor([float(st.session_state[zkey(name, i)]) for i in range(dim)])


# --- cached work on the 2-D plane (once per model and weights folder) -------------------------------
# `directory` is only part of the cache key: the same name in another weights folder is another model.

@st.cache_data(show_spinner="Decoding the latent plane…", max_entries=8)
def manifold_uri(name: str, directory: str, cells: int) -> str:
    model, data = load_vae(name), load_vae_data(name)
    lo, hi = latent.slider_bounds(data["mu"], model.variational)
    cols, rows = latent.square_cells(lo, hi, cells)
    images = scheduler().run("cache", latent.manifold, model, lo, hi, cols, rows)  # once per server, in line
    return png_uri(image_grid(images, ncols=cols, pad=0))


@st.cache_data(show_spinner="Asking the classifier about the plane…", max_entries=8)
def classifier_plane(name: str, directory: str, cells: int) -> tuple[np.ndarray, np.ndarray]:
    model, data = load_vae(name), load_vae_data(name)
    lo, hi = latent.slider_bounds(data["mu"], model.variational)
    digit, confidence = scheduler().run("cache", latent.classify_plane, model, load_classifier(), lo, hi,
                                        *latent.square_cells(lo, hi, cells))
    return digit.numpy(), confidence.numpy()


# --- figures ---------------------------------------------------------------------------------------

def points_figure(mu: torch.Tensor, labels: torch.Tensor, lo, hi, size=4, opacity=0.75, max_points=None,
                  height=520) -> go.Figure:
    """Test-set means on the 2-D plane, one trace (and legend entry) per digit."""
    mu, labels = mu.numpy(), labels.numpy()
    if max_points:
        mu, labels = mu[:max_points], labels[:max_points]
    fig = go.Figure()
    for d in range(10):
        idx = np.flatnonzero(labels == d)
        fig.add_trace(go.Scattergl(
            x=mu[idx, 0], y=mu[idx, 1], mode="markers", name=str(d), customdata=idx,
            marker=dict(size=size, color=COLORS[d], opacity=opacity),
            hovertemplate=f"a {d} (test digit #%{{customdata}})<br>z = (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10),
        legend=dict(title="digit", itemsizing="constant"),
        # equal scales, so distances on screen are distances in latent space
        xaxis=dict(range=[float(lo[0]), float(hi[0])], title="z1", zeroline=False, showgrid=False,
                   constrain="domain"),
        yaxis=dict(range=[float(lo[1]), float(hi[1])], title="z2", zeroline=False, showgrid=False,
                   scaleanchor="x", scaleratio=1, constrain="domain"),
        clickmode="event+select", dragmode="pan")
    return fig


def add_manifold(fig: go.Figure, uri: str, lo, hi) -> None:
    fig.add_layout_image(source=uri, xref="x", yref="y", x=float(lo[0]), y=float(hi[1]), sizex=float(hi[0] - lo[0]),
                         sizey=float(hi[1] - lo[1]), sizing="stretch", layer="below", opacity=0.8)


def add_classifier_plane(fig: go.Figure, digit: np.ndarray, confidence: np.ndarray, lo, hi) -> None:
    rows, cols = digit.shape
    centres = latent.plane_grid(lo, hi, cols, rows)
    xs, ys = centres[:cols, 0].numpy(), centres[::cols, 1].numpy()
    scale = []
    for d in range(10):  # a stepped colour scale: digit d -> COLORS[d]
        scale += [(d / 10, COLORS[d]), ((d + 1) / 10, COLORS[d])]
    fig.add_trace(go.Heatmap(
        x=xs, y=ys, z=digit, customdata=np.round(confidence * 100), zmin=-0.5, zmax=9.5, colorscale=scale,
        showscale=False, opacity=0.45, name="classifier",
        hovertemplate="the classifier reads a %{z} here (%{customdata}% sure)<extra></extra>"))
    fig.data = fig.data[-1:] + fig.data[:-1]  # draw it first, under the points


def kl_figure(kl: torch.Tensor, order: list[int]) -> go.Figure:
    used = [float(kl[i]) >= UNUSED_KL for i in order]
    fig = go.Figure(go.Bar(
        x=[f"z{i + 1}" for i in order], y=[float(kl[i]) for i in order],
        marker_color=["#4C78A8" if u else "#BAB0AC" for u in used],
        hovertemplate="%{x}: mean KL %{y:.2f} nats<extra></extra>"))
    fig.update_layout(height=230, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="mean KL (nats)",
                      title=dict(text="How much each dimension is used", font_size=14))
    return fig


# --- tab 1: sliders and the 2-D map ----------------------------------------------------------------

def init_sliders(name: str, start: torch.Tensor, lo, hi) -> None:
    """First visit: start at test digit #0. Later visits: keep the values, inside the bounds."""
    for i in range(len(lo)):
        k = zkey(name, i)
        v = st.session_state.get(k, float(start[i]))
        st.session_state[k] = round(min(max(float(v), float(lo[i])), float(hi[i])), 2)


def go_to_digit(name: str, mu: torch.Tensor, lo, hi) -> None:
    set_sliders(name, latent.clamp_latent(mu[int(st.session_state["ls_start_idx"])], lo, hi))


def go_to_prior_draw(name: str, lo, hi) -> None:
    set_sliders(name, latent.clamp_latent(torch.randn(len(lo), generator=fresh_generator()), lo, hi))


def on_map_click(name: str, lo, hi) -> None:
    z = latent.click_to_latent(st.session_state[f"ls_map_{name}"]["selection"], lo, hi)
    if z is not None:
        set_sliders(name, z)


def start_controls(name: str, mu: torch.Tensor, n_digits: int, lo, hi) -> None:
    st.session_state.setdefault("ls_start_idx", 0)
    c = st.columns([1.2, 1.3, 1, 1.5, 1], vertical_alignment="bottom")
    c[0].number_input("Test digit #", 0, n_digits - 1, key="ls_start_idx", persist_state="session")
    c[1].button("Start from its μ", key="ls_go_digit", on_click=go_to_digit, args=(name, mu, lo, hi),
                width="stretch", help="The sliders jump to where the encoder puts this test digit.")
    c[2].button("Origin", key="ls_go_origin", on_click=set_sliders, args=(name, torch.zeros(len(lo))),
                width="stretch", help="z = 0: the centre of the prior N(0, I).")
    c[3].button("🎲 Draw z ~ N(0, I)", key="ls_go_random", on_click=go_to_prior_draw, args=(name, lo, hi),
                width="stretch", help="A random point from the prior: what sampling from the model does.")
    c[4].button("↺ Reset", key="ls_reset", on_click=set_sliders,
                args=(name, latent.clamp_latent(mu[0], lo, hi)), width="stretch",
                help="Back to where the page starts: test digit #0.")


@st.fragment
def slider_panel(name: str, model, lo, hi, kl, classifier) -> None:
    """Sliders and the decoded image. A fragment: moving a slider reruns only this part."""
    dim = model.latent_dim
    order = latent.dims_by_kl(kl) if dim > 2 else list(range(dim))
    step = 0.05 if model.variational else 0.1
    if dim == 2:
        image_spot = st.container()
        slider_cols = [st.container()]
    else:
        image_col, sliders_col = st.columns([2, 3], gap="large")
        image_spot = image_col.container()
        with sliders_col:
            st.markdown("**Latent sliders**, most-used dimension first; grey = the model ignores it")
        slider_cols = sliders_col.columns(2)

    for j, i in enumerate(order):
        label = f"z{i + 1}" + (" (x axis)" if dim == 2 and i == 0 else " (y axis)" if dim == 2 else "")
        if dim > 2:
            k = float(kl[i])
            label += f" · KL {k:.2f}" if k >= UNUSED_KL else f" · :gray[KL {k:.2f}, unused]"
        slider_cols[j * len(slider_cols) // dim].slider(
            label, float(lo[i]), float(hi[i]), step=step, format="%.2f", key=zkey(name, i), persist_state="session",
            help="Mean KL over the test set (nats): how much this dimension tells the decoder." if dim > 2 else None)

    z = current_z(name, dim)
    image = compute(latent.decode, model, z)[0]
    with image_spot:
        st.image(to_image(image, scale=12), caption="decoder(z)", width=336, output_format="PNG")
        z_text = ", ".join(f"{v:.2f}" for v in z.tolist())
        read = ""
        if classifier is not None:
            digit, conf = latent.read_digits(classifier, image[None])
            read = f"The classifier reads a **{int(digit)}** ({float(conf):.0%} sure). "
        norm = f"‖z‖ = {float(z.norm()):.2f}" + (f"; draws from N(0, I) have ‖z‖ ≈ √{dim} = {dim ** 0.5:.1f}."
                                                 if model.variational else ".")
        st.markdown(read + norm if dim > 2 else f"{read}z = ({z_text}), {norm}")
        if dim > 2:
            st.plotly_chart(kl_figure(kl, order), key=f"ls_kl_{name}", config={"displayModeBar": False})


def latent_map(name: str, model, data, lo, hi, classifier, classifier_note) -> None:
    options = ["decoded digits", "classifier's reading", "nothing"]
    st.session_state.setdefault("ls_map_bg", options[0])
    background = st.radio("Behind the points", options, key="ls_map_bg", horizontal=True, persist_state="session",
                          help="What the decoder draws at each spot of the plane, or which digit the "
                               "classifier sees in that drawing.")
    bg_on = background != "nothing"
    # about as tall as the plane is, at this column's width (the axes keep equal scales)
    height = int(np.clip(60 + 520 * float((hi[1] - lo[1]) / (hi[0] - lo[0])), 380, 620))
    fig = points_figure(data["mu"], data["labels"], lo, hi, size=3 if bg_on else 4, opacity=0.6 if bg_on else 0.8,
                        height=height)
    if background == "decoded digits":
        add_manifold(fig, manifold_uri(name, str(weights_dir()), MAP_CELLS), lo, hi)
    elif background == "classifier's reading":
        if classifier is None:
            st.info(f"{classifier_note}, so the plane is left blank.")
        else:
            add_classifier_plane(fig, *classifier_plane(name, str(weights_dir()), 40), lo, hi)
    st.plotly_chart(fig, key=f"ls_map_{name}", on_select=partial(on_map_click, name, lo, hi),
                    selection_mode="points", config={"displayModeBar": False, "scrollZoom": True})
    st.caption(f"Each dot is where the encoder puts one of the {len(data['mu']):,} test digits (its μ), coloured "
               "by its true label. **Click a dot**: the sliders jump there and the decoder draws it.")


def sliders_tab(name: str, model, data, classifier, classifier_note) -> None:
    mu = data["mu"]
    lo, hi = latent.slider_bounds(mu, model.variational)
    init_sliders(name, mu[0], lo, hi)
    start_controls(name, mu, len(data["digits"]), lo, hi)
    if not model.variational:
        st.caption("The autoencoder's latents are not pulled towards N(0, 1), so its sliders span the range of "
                   "its test-set μ instead of about ±4.")
    if model.latent_dim == 2:
        left, right = st.columns([7, 4], gap="large")
        with left:
            latent_map(name, model, data, lo, hi, classifier, classifier_note)
        with right:
            slider_panel(name, model, lo, hi, data["kl_per_dim"], classifier)
    else:
        slider_panel(name, model, lo, hi, data["kl_per_dim"], classifier)
        st.caption("A 2-D map needs a 2-D model: pick vae-z2 or ae-z2 above to see one.")


# --- tab 2: reconstruction -------------------------------------------------------------------------

def random_digit(key: str, n: int) -> None:
    st.session_state[key] = int(torch.randint(n, (1,), generator=fresh_generator()))


def open_in_sliders(name: str, z: torch.Tensor, lo, hi) -> None:
    set_sliders(name, latent.clamp_latent(z, lo, hi))
    st.session_state["ls_tab"] = TABS[0]


def reconstruction_tab(name: str, model, data) -> None:
    digits, labels = data["digits"], data["digit_labels"]
    lo, hi = latent.slider_bounds(data["mu"], model.variational)
    st.session_state.setdefault("ls_rec_idx", 0)
    c = st.columns([1, 1, 3], vertical_alignment="bottom")
    idx = c[0].number_input("Test digit #", 0, len(digits) - 1, key="ls_rec_idx", persist_state="session")
    c[1].button("🎲 Random digit", key="ls_rec_random", on_click=random_digit, args=("ls_rec_idx", len(digits)),
                width="stretch")
    # seeded by the index: the same digit always shows the same draws
    r = compute(latent.reconstruct, model, digits[idx : idx + 1], samples=4, generator=torch.Generator().manual_seed(idx))

    cols = st.columns([1, 1, 1.2, 3], gap="medium")
    cols[0].image(to_image(digits[idx], scale=6), caption=f"original (a {int(labels[idx])})", width="stretch",
                  output_format="PNG")
    cols[1].image(to_image(r["mean_image"], scale=6), caption="decoded μ", width="stretch", output_format="PNG")
    if model.variational:
        cols[2].image(image_grid(r["sample_images"], ncols=2, scale=3), width="stretch", output_format="PNG",
                      caption="decoded draws z = μ + σ·ε from this digit's cloud")
    else:
        cols[2].markdown("The autoencoder maps a digit to **one point** μ, not a cloud: there is nothing "
                         "to sample, so it always draws the same reconstruction.")
    with cols[3]:
        m = st.columns(3)
        m[0].metric("Reconstruction", f"{r['recon']:.1f}", help="Binary cross-entropy summed over the 784 pixels "
                    "(nats), averaged over the draws: small when the decoded image matches the original.")
        m[1].metric("KL", f"{r['kl']:.1f}" if model.variational else "—",
                    help="KL(N(μ, σ²) ‖ N(0, I)) in nats: how far this digit's cloud is from the prior.")
        m[2].metric("Loss", f"{r['loss']:.1f}", help="Reconstruction + KL: the VAE's training loss for this digit.")
        st.caption("The training loss is a trade-off: the reconstruction term wants a precise code, the KL term "
                   "wants every cloud to look like N(0, I)." if model.variational else
                   "The plain autoencoder is trained on the reconstruction term alone.")
        st.button("Open this μ in the sliders", key="ls_rec_to_sliders", on_click=open_in_sliders,
                  args=(name, r["mu"], lo, hi))

    order = latent.dims_by_kl(data["kl_per_dim"]) if model.latent_dim > 2 else list(range(model.latent_dim))
    mu = r["mu"][order].tolist()
    fig = go.Figure(go.Bar(
        x=[f"z{i + 1}" for i in order], y=mu, marker_color="#4C78A8",
        error_y=dict(type="data", array=r["sigma"][order].tolist(), color="#E45756") if model.variational else None,
        hovertemplate="%{x}: μ = %{y:.2f}<extra></extra>"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=40, b=10), yaxis_title="value",
                      title=dict(font_size=14, text="This digit's latent code: μ" +
                                 (" ± σ (the cloud the VAE samples from)" if model.variational else "")))
    if model.latent_dim > 2:
        st.plotly_chart(fig, key="ls_rec_mu", config={"displayModeBar": False})
        st.caption("Dimensions in slider order, most used first. An unused one sits at μ = 0, σ = 1 for every "
                   "digit: exactly the prior, so it tells the decoder nothing.")
        return
    left, right = st.columns([1, 1], gap="large")
    left.plotly_chart(fig, key="ls_rec_mu", config={"displayModeBar": False})
    if model.variational:
        right.markdown(f"σ = ({', '.join(f'{v:.3f}' for v in r['sigma'].tolist())}): the encoder is this sure "
                       "where the digit belongs. The reconstruction term would like σ → 0 (a precise code); the KL "
                       "term charges for every bit of precision, so neighbouring clouds overlap and the space "
                       "between digits gets filled.")
    else:
        right.markdown("Two numbers are all the decoder gets. Everything it draws — which digit, slant, "
                       "thickness — must be read from this one point.")


# --- tab 3: interpolation --------------------------------------------------------------------------

def random_pair(n: int) -> None:
    g = fresh_generator()
    a, b = torch.randperm(n, generator=g)[:2].tolist()
    st.session_state["ls_int_a"], st.session_state["ls_int_b"] = a, b


def interpolation_tab(name: str, model, data) -> None:
    digits, mu = data["digits"], data["mu"]
    n = len(digits)
    st.session_state.setdefault("ls_int_a", 0)
    st.session_state.setdefault("ls_int_b", 1)
    st.session_state.setdefault("ls_int_steps", 10)
    method_key = f"ls_int_method_{name}"  # per model: spherical is the default in 16 dimensions
    st.session_state.setdefault(method_key, "spherical" if model.latent_dim > 2 else "linear")
    c = st.columns([1, 1, 1, 1.5, 1.6], vertical_alignment="bottom")
    a = c[0].number_input("From test digit #", 0, n - 1, key="ls_int_a", persist_state="session")
    b = c[1].number_input("To test digit #", 0, n - 1, key="ls_int_b", persist_state="session")
    c[2].button("🎲 Random pair", key="ls_int_random", on_click=random_pair, args=(n,), width="stretch")
    steps = c[3].slider("Frames", 3, 16, key="ls_int_steps", persist_state="session")
    method = c[4].radio("Path", ["linear", "spherical"], key=method_key, horizontal=True, persist_state="session",
                        help="Linear: a straight line between the two codes. Spherical: an arc that keeps the "
                             "distance from the origin, where the prior's draws live in many dimensions.")

    path = latent.interpolate(mu[a], mu[b], steps, method)
    frames = compute(latent.decode, model, path)
    st.markdown(f"**From a {int(data['digit_labels'][a])} to a {int(data['digit_labels'][b])}**: "
                f"{steps} decoded points on the {method} path between their μ (originals at both ends).")
    strip = image_grid(torch.cat([digits[a : a + 1], frames, digits[b : b + 1]]), ncols=steps + 2, pad=4, scale=3)
    strip[:, 3 * (28 + 4) : 3 * (28 + 4) + 6] = 128  # a grey bar between each original and the decoded frames
    strip[:, -3 * (28 + 4) - 6 : -3 * (28 + 4)] = 128
    st.image(strip, width="stretch", output_format="PNG")

    if model.latent_dim == 2:
        lo, hi = latent.slider_bounds(mu, model.variational)
        fig = points_figure(mu, data["labels"], lo, hi, size=3, opacity=0.35, max_points=3000, height=420)
        fig.add_trace(go.Scatter(x=path[:, 0].numpy(), y=path[:, 1].numpy(), mode="lines+markers", name="path",
                                 customdata=np.arange(1, steps + 1), line=dict(color="black", width=2),
                                 marker=dict(size=7, color="black"),
                                 hovertemplate="frame %{customdata}<extra></extra>"))
        fig.update_layout(title=dict(text="The path across the latent map", font_size=14, y=0.99))
        left, right = st.columns([3, 2], gap="large")
        left.plotly_chart(fig, key="ls_int_map", config={"displayModeBar": False})
        right.markdown("Each frame decodes a point on the path between the two digits' μ. Where the path crosses "
                       "another digit's region, that digit appears in between." +
                       (" The VAE's plane is filled, so every frame is a plausible digit." if model.variational else
                        " Where the path crosses empty space between the autoencoder's clusters, the frames stop "
                        "looking like digits."))
    else:
        both = {m: latent.interpolate(mu[a], mu[b], 50, m).norm(dim=1).numpy() for m in ("linear", "spherical")}
        fig = go.Figure([go.Scatter(x=np.linspace(0, 1, 50), y=v, name=m, mode="lines") for m, v in both.items()])
        fig.add_hline(y=model.latent_dim ** 0.5, line_dash="dot", annotation_position="bottom right",
                      annotation_text=f"√{model.latent_dim}: where draws from N(0, I) sit")
        fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="position along the path",
                          yaxis_title="‖z‖", title=dict(text="Distance from the origin along each path", font_size=14))
        st.plotly_chart(fig, key="ls_int_norm", config={"displayModeBar": False})
        st.caption("The straight line sags towards the origin between two codes, into a region where training "
                   "rarely put a code; the arc turns around the origin and keeps its distance from it.")


# --- tab 4: AE vs VAE ------------------------------------------------------------------------------

def new_seed() -> None:
    st.session_state["ls_cmp_seed"] = int(torch.randint(10**6, (1,), generator=fresh_generator()))


def prior_figure(mu, labels, lo, hi, z) -> go.Figure:
    fig = points_figure(mu, labels, lo, hi, size=3, opacity=0.4, max_points=3000, height=380)
    fig.update_traces(showlegend=False)
    fig.add_trace(go.Scatter(x=z[:, 0].numpy(), y=z[:, 1].numpy(), mode="markers", name="draws from N(0, I)",
                             marker=dict(symbol="x", size=8, color="black"),
                             hovertemplate="draw at (%{x:.2f}, %{y:.2f})<extra></extra>"))
    return fig


def digit_list(digits) -> str:
    return ", ".join(str(d) for d in digits) or "none"


def comparison_tab(classifier, classifier_note) -> None:
    models = {n: (load(load_vae, n), load(load_vae_data, n)) for n in ("ae-z2", "vae-z2")}
    st.markdown("The **same** random codes z ~ N(0, I) go into both decoders. This is what *sampling* from a "
                "generative model means: pick a code from the prior, decode it.")
    st.session_state.setdefault("ls_cmp_seed", 0)
    st.session_state.setdefault("ls_cmp_n", 24)
    c = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
    n = c[0].slider("Draws", 8, 48, step=8, key="ls_cmp_n", persist_state="session")
    seed = c[1].number_input("Seed", 0, 10**6 - 1, key="ls_cmp_seed", persist_state="session")
    c[2].button("🎲 New draws", key="ls_cmp_new", on_click=new_seed, width="stretch")
    z = latent.prior_draws(n, 2, seed)

    cols = st.columns(2, gap="large")
    for col, (mname, (model, data)) in zip(cols, models.items()):
        with col:
            st.subheader(mname + (" · plain autoencoder" if mname.startswith("ae") else " · VAE"))
            images = compute(latent.decode, model, z)
            st.image(image_grid(images, ncols=8, scale=3), width="stretch", output_format="PNG")
            if classifier is not None:
                digit, conf = latent.read_digits(classifier, images)
                sure = sorted(set(digit[conf >= 0.9].tolist()))
                st.markdown(f"The classifier is sure (≥ 90%) of **{int((conf >= 0.9).sum())} of {n}** samples; "
                            f"among them it sees the digits {digit_list(sure)} "
                            f"(never {digit_list(sorted(set(range(10)) - set(sure)))}).")
            lo, hi = latent.slider_bounds(data["mu"], model.variational)
            # widen the view to show every draw, even where this model put no codes
            lo, hi = torch.minimum(lo, z.min(0).values - 0.5), torch.maximum(hi, z.max(0).values + 0.5)
            st.plotly_chart(prior_figure(data["mu"], data["labels"], lo, hi, z), key=f"ls_cmp_map_{mname}",
                            config={"displayModeBar": False})
    st.caption("Dots: where each model puts test digits (coloured by digit, as on the first tab). "
               "✖: the draws. Note the two maps' scales.")
    if classifier is None:
        st.caption(f"{classifier_note}, so the samples are not scored.")
    ae_mu = models["ae-z2"][1]["mu"]
    st.info("**Why the autoencoder's latent space has holes.** It is trained only to rebuild each digit, so the "
            "encoder puts codes wherever that is easiest: here z1 runs from "
            f"{ae_mu[:, 0].min():.0f} to {ae_mu[:, 0].max():.0f} and z2 from {ae_mu[:, 1].min():.0f} to "
            f"{ae_mu[:, 1].max():.0f}, in clusters with gaps the decoder never learned to draw, and nothing ties "
            "that layout to N(0, I): the draws land in one small patch of it, some of them in the gaps. "
            "The VAE's KL term pulls every digit's cloud N(μ, σ²) towards N(0, I) and keeps the clouds wide, so "
            "they overlap and fill the region the prior draws from: wherever a draw lands, the decoder has "
            "learned to draw a digit there.", icon="🕳️")


# --- the page ----------------------------------------------------------------------------------------

def reparameterization_expander() -> None:
    with st.expander("📐 The reparameterization trick: why a VAE's latent space can be sampled from"):
        st.markdown("The VAE's encoder does not output a point but a **cloud**: a mean μ and a spread σ for "
                    "each latent number. During training the decoder gets a random point of that cloud:")
        st.latex(r"z = \mu + \sigma \odot \varepsilon, \qquad \varepsilon \sim \mathcal{N}(0, I)")
        st.markdown(
            "Drawing z ~ N(μ, σ²) directly would stop backpropagation: a random draw has no derivative with "
            "respect to the μ and σ it was drawn with. Written as μ + σ·ε, all the randomness sits in ε, which "
            "does not depend on the network, and z is an ordinary function of μ and σ "
            "(∂z/∂μ = 1, ∂z/∂σ = ε): the loss's gradient flows through the sample into the encoder.\n\n"
            "The loss adds, for each latent dimension, a KL term that is zero only when μ = 0 and σ = 1:")
        st.latex(r"\mathrm{KL}\big(\mathcal{N}(\mu, \sigma^2)\,\|\,\mathcal{N}(0, 1)\big)"
                 r" = \tfrac12\left(\mu^2 + \sigma^2 - 1 - \log \sigma^2\right)")
        st.markdown("It pulls every digit's cloud towards the origin and keeps it wide, so the clouds overlap "
                    "and cover N(0, I): that is why a draw from N(0, I) decodes to a digit (see **AE vs VAE**). "
                    "In code: `reparameterize` and `kl_per_dim` in `core/vae.py`.")


def model_caption(name: str) -> str:
    try:
        meta = load_meta(name)
    except WeightsError:
        return ""
    m = meta.get("metrics", {})
    if "test_loss" not in m:
        return ""
    kl = f" + KL {m['test_kl']:.1f}" if meta.get("model") == "vae" else ""
    return (f"**{name}**: test loss {m['test_loss']:.1f} nats/image (reconstruction {m['test_recon']:.1f}{kl}) · "
            f"{meta.get('epochs', '?')} epochs · {meta.get('parameters', 0) / 1e6:.2f} M parameters")


def run() -> None:
    st.title("🌌 Latent Space")
    st.markdown(
        "An autoencoder squeezes each 28×28 digit (784 numbers) into a **latent vector** of just 2 or 16 "
        "numbers, and its decoder draws a digit back from any such vector. What do those numbers hold? "
        "Move them and watch. A **VAE** is trained so that *random* latent vectors decode to digits too: "
        "compare it with the plain autoencoder in **AE vs VAE**.")
    name = st.radio("Model", list(MODELS), key="ls_model", horizontal=True, persist_state="session",
                    bind="query-params", captions=list(MODELS.values()))
    model, data = load(load_vae, name), load(load_vae_data, name)
    st.caption(model_caption(name))
    reparameterization_expander()

    classifier, classifier_note = classifier_or_none()
    tabs = st.tabs(TABS, key="ls_tab", on_change="rerun", bind="query-params")
    with tabs[0]:
        if tabs[0].open:
            sliders_tab(name, model, data, classifier, classifier_note)
    with tabs[1]:
        if tabs[1].open:
            reconstruction_tab(name, model, data)
    with tabs[2]:
        if tabs[2].open:
            interpolation_tab(name, model, data)
    with tabs[3]:
        if tabs[3].open:
            comparison_tab(classifier, classifier_note)


run()
