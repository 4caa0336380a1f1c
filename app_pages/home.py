"""Home: what each model is, in a few plain sentences, and a card per shipped model."""
import streamlit as st

from core.cache import load_meta
from core.checkpoint import WeightsError

st.title("🧪 GenLab")
st.markdown(
    "A playground for three generative models, each defined, trained and shipped by this project. "
    "Pick a page on the left, move things, and watch what the model does."
)

CARDS = [
    {
        "page": "app_pages/latent_space.py", "title": "Latent Space — VAE and autoencoder", "weights": ["vae-z2", "vae-z16", "ae-z2"],
        "text": "An **autoencoder** squeezes a 28×28 digit through a few numbers (the *latent vector*) and "
                "rebuilds it. A **variational** autoencoder (VAE) encodes each digit as a small cloud "
                "N(μ, σ²) instead of a point and decodes a sample from it, z = μ + σ·ε: this "
                "*reparameterization trick* keeps the randomness in ε so gradients still reach μ and σ, and "
                "a KL penalty packs the clouds around the origin — so any point you pick decodes to a digit.",
    },
    {
        "page": "app_pages/gan_training.py", "title": "GAN Training — generator vs discriminator", "weights": ["gan"],
        "text": "A **generator** turns random noise into images; a **discriminator** tries to tell them from "
                "real digits. Each learns from the other's mistakes. Watch a recorded training run, train "
                "your own live, and see how the tug-of-war can wobble or *collapse* onto a few digits.",
    },
    {
        "page": "app_pages/gpt_generation.py", "title": "GPT Generation — Shakespeare, one character at a time",
        "weights": ["gpt-shakespeare", "bigram"],
        "text": "A **GPT** predicts the next character from the ones before it. In each layer, "
                "**self-attention** lets every position look back at earlier ones and pick what matters "
                "(softmax(QKᵀ/√d)·V), then a feed-forward network thinks about it. Type a prompt and "
                "watch Shakespeare-like text stream out; compare with the bigram model it started from.",
    },
]


def model_line(name: str) -> str:
    try:
        meta = load_meta(name)
    except WeightsError as e:
        return f"⚠️ `{name}`: {e}"
    params = meta.get("parameters", 0)
    return f"**{name}** · {params / 1e6:.2f} M parameters · {meta.get('dataset', '?')} · {meta.get('headline', '')}"


for card in CARDS:
    with st.container(border=True):
        st.subheader(card["title"])
        st.markdown(card["text"])
        for name in card["weights"]:
            st.markdown(model_line(name))
        st.page_link(card["page"], label=f"Open {card['title'].split(' —')[0]}", icon="➡️")

with st.container(border=True):
    st.markdown("The **digit classifier** (" + model_line("classifier") + ") scores the GAN's samples and "
                "colours the VAE's latent map.")
