"""Latent Space: what a VAE's latent vector holds, and why its latent space can be sampled from.

Layout only, top to bottom as the learner sees it: the model, the intro, then one call per tab, each tab in its
own module under app_pages/latent/ (common.py: what they share). The last two watch the latent space form: a
replay of vae-z2's and ae-z2's recorded trainings, and a 2-D VAE training live in the session on the trainer line.
The numbers come from core/vae/latent.py, the figures from figures/latent.py and the long explanations from
text/<language>/latent_*.md. Every word shown goes through _() (catalog: i18n/locales/pt_BR/LC_MESSAGES/latent.po).
"""

from __future__ import annotations

import streamlit as st

from app_pages._ui import load, prose, show_open_tab
from app_pages.latent import compare, draw, interpolation, live, reconstruction, replay, sliders
from app_pages.latent.common import TABS, Context, glossary_link, on_z_grid
from app_pages.loaders import load_classifier, load_meta, load_vae, load_vae_data, scheduler
from core import registry
from core.training.checkpoint import WeightsError, weights_dir
from core.vae import latent
from figures.latent import png_uri
from figures.pictures import image_grid
from i18n import _, ngettext, number

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


# --- the page ---

st.title(":material/scatter_plot: " + _("Latent Space"))
st.markdown(prose("latent_intro"))
names = registry.names(page="latent_space")
captions = [_(registry.entry(n).label) for n in names]
name = st.radio(_("Model"), names, key="ls_model", horizontal=True, captions=captions, bind="query-params", persist_state="session")
model, data = load(load_vae, name), load(load_vae_data, name)
dim, mu = model.latent_dim, data["mu"]
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
    ls_start_idx=0, ls_map_bg=sliders.BACKGROUNDS[0], ls_rec_idx=0, ls_int_a=0, ls_int_b=1, ls_int_steps=10, ls_int_drawn=False,
    ls_cmp_seed=0,
)  # fmt: skip
for k, v in (defaults | dict(ls_cmp_n=24)).items():
    st.session_state.setdefault(k, v)
for i in range(dim):  # first visit: test digit #0; later visits keep the values, inside this model's bounds
    k = f"ls_z_{name}_{i}"
    st.session_state[k] = on_z_grid(float(st.session_state.get(k, mu[0, i])), float(lo[i]), float(hi[i]))
ctx = Context(
    name,
    model,
    data,
    lo,
    hi,
    classifier,
    classifier_error,
    manifold_uri=lambda: manifold_uri(name, str(weights_dir())),
    classifier_plane=lambda: classifier_plane(name, str(weights_dir())),
)

show_open_tab(
    TABS, "ls_tab", [sliders.show, reconstruction.show, interpolation.show, compare.show, draw.show, replay.show, live.show], ctx
)
