"""GAN Training: how a generator and a discriminator pull against each other, and why it wobbles.

Layout only, top to bottom as the learner sees it: the intro, then one call per tab, each tab in its own module
under app_pages/gan/ (common.py: what they share, the live controls among it). Five tabs, and only the open one
runs (st.tabs with on_change="rerun"): a replay of the shipped GAN's recorded training, a GAN training live in this
session, a toy 2-D GAN whose discriminator is drawn on the plane, the shipped generator to explore, and a search
for the noise that draws the learner's own digit. Figures: figures/gan.py; explanations: text/<language>/gan_*.md
and draw_gan*.md. Live training and the search run on the server's scheduler (core/serving/trainer_queue.py,
core/serving/scheduler.py); the tabs only redraw on a timer. Every word goes through _() (catalog:
i18n/locales/pt_BR/LC_MESSAGES/gan.po); numbers through number()/percent().
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from app_pages._ui import load, prose, show_open_tab
from app_pages.gan import explore, find, live, replay, toy
from app_pages.gan.common import TABS
from app_pages.loaders import load_gan_history
from core.gan.live import DigitData, mnist_digits, shipped_digits
from core.training.data import DataUnavailableError, data_root
from i18n import _

# --- the live tab's training digits, read once per server ---


@st.cache_resource(show_spinner=_("Loading MNIST for live training…"))  # the same source in every language: one cache
def mnist_for_live(root: str) -> DigitData:
    return mnist_digits(root)  # read-only and shared: every session samples from the same tensor


def live_digit_data() -> DigitData:
    """MNIST from the data root if present (or downloadable), else the 1,000 digits shipped in gan.history."""
    try:
        return mnist_for_live(str(data_root()))
    except DataUnavailableError:
        return shipped_digits(load(load_gan_history)[0])


# --- the page ---

st.title(":material/sports_kabaddi: " + _("GAN Training"))
st.markdown(prose("gan_intro"))
left, right = st.columns([5, 1], vertical_alignment="center")
with left.expander(_("How the tug-of-war works — and why it wobbles"), icon=":material/school:"):
    st.markdown(prose("gan_game"))
right.page_link("app_pages/glossary.py", label=_("Glossary"), icon=":material/menu_book:")
show_open_tab(TABS, "gan_tab", [replay.show, partial(live.show, live_digit_data), toy.show, explore.show, find.show])
