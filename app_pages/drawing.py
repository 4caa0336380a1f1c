"""The drawing canvas both MNIST pages share: draw a digit, see it as the models see it (28x28).

The last drawing lives in st.session_state[DRAWING] as the canvas sends it (an (H, W, 4) uint8 array),
so it follows the learner from tab to tab and from page to page; AppTest injects a drawing there.
A canvas drawn anew (another tab or page opened) starts from the strokes of that last drawing, so the
canvas and the previews never disagree.

streamlit-drawable-canvas is imported inside canvas(): the component registers itself on import,
which only works inside a running Streamlit app.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from app_pages._ui import to_image
from core import EmptyDrawingError, mnist_from_drawing
from i18n import N_, _

DRAWING = "drawn_image"  # the last canvas image, (H, W, 4) uint8
STROKES = "drawn_strokes"  # the same drawing as the canvas's own JSON, to redraw it on a fresh canvas
SIZE = 280  # canvas pixels: ten times MNIST's 28, room for a finger on a phone
COLUMN = SIZE + 20  # width of the page column that holds the canvas: never narrower than the canvas
PEN = (14, 30, 22)  # stroke width choices on the 280-px canvas (min, max, default): MNIST's strokes, scaled up
TOOLBAR_PX = 44  # the canvas toolbar's height: the room kept free above the canvas
SEARCH_STEPS = 300  # GAN inversion: Adam steps per search (tests make it tiny)
SEARCH_TICK_S = 0.5  # how often a running search is redrawn
EMPTY = N_("Draw a digit first: the canvas is empty.")  # shown with _()
DRAWN = N_("Your drawing, shrunk to 28 × 28 pixels as the model sees it.")  # its text alternative, shown with _()


def canvas(key: str) -> None:
    """The canvas (white ink on black, like MNIST), a pen-width slider and a Clear button.

    Undo, redo and clear are also on the canvas's own toolbar. What is drawn lands in
    st.session_state[DRAWING] with every stroke; read it back with drawn_digit().
    """
    from streamlit_drawable_canvas import st_canvas

    round_ = st.session_state.get("draw_round", 0)  # Clear bumps it: a new key is a new, empty canvas
    widget = f"{key}_{round_}"
    if widget not in st.session_state:  # drawn anew: start from the last drawing's strokes
        st.session_state[f"{key}_start"] = st.session_state.get(STROKES)
    st.session_state.setdefault("draw_pen", PEN[2])
    # The component's toolbar (undo, redo, clear; its tooltips are English and cannot be translated) floats above the
    # canvas on hover and covered the text above it: this empty band is its room. Our own Clear button below speaks
    # the page's language; an own Undo would have to redraw a fresh canvas whose picture the component only sends
    # after the next stroke, so the previews would disagree with it: undo stays on the toolbar.
    st.space(TOOLBAR_PX)
    result = st_canvas(
        stroke_width=int(st.session_state["draw_pen"]),
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=SIZE,
        height=SIZE,
        drawing_mode="freedraw",
        initial_drawing=st.session_state[f"{key}_start"],  # the same all along: a change would reset the canvas
        return_image_data=True,
        key=widget,
    )
    image = result.image_data  # None until the canvas sends something (and always under AppTest)
    if image is not None:
        st.session_state[DRAWING], st.session_state[STROKES] = image, result.json_data
    row = st.container(horizontal=True, vertical_alignment="bottom")
    row.slider(_("Pen width"), *PEN[:2], step=2, key="draw_pen", width=170, persist_state="session")
    row.button(_("Clear"), key=f"{key}_clear", on_click=clear, icon=":material/delete:")
    st.caption(
        _(
            "Draw one digit, big: every stroke updates the pictures at once. To undo a stroke, point at the canvas: "
            "its toolbar appears just above it (its tips are in English)."
        )
    )


def clear() -> None:
    for k in (DRAWING, STROKES, "_drawn_digit"):
        st.session_state.pop(k, None)
    st.session_state["draw_round"] = st.session_state.get("draw_round", 0) + 1


def drawn_digit(quiet: bool = False) -> torch.Tensor | None:
    """The last drawing prepared as MNIST was, (1, 1, 28, 28) in [0, 1]; None when there is none.

    Unless quiet, an empty canvas gets a friendly note and an unreadable image a warning (never a traceback).
    """
    image = st.session_state.get(DRAWING)
    memo = st.session_state.get("_drawn_digit")
    if memo is not None and memo[0] is image:  # the same drawing as last run: no need to prepare it again
        return memo[1]
    try:
        if image is None:
            raise EmptyDrawingError()
        x = mnist_from_drawing(image)
    except EmptyDrawingError:
        if not quiet:
            st.info(_(EMPTY), icon=":material/draw:")
        return None
    except (ValueError, TypeError) as e:  # not an image the canvas would send
        if not quiet:
            problem = _(e.args[0]) if e.args else str(e)  # core's message (a Message) in the learner's language
            st.warning(
                _("This drawing could not be read ({problem}). Clear the canvas and draw again.").format(problem=problem),
                icon=":material/warning:",
            )
        return None
    st.session_state["_drawn_digit"] = (image, x)
    return x


def seen(x: torch.Tensor) -> np.ndarray:
    """A 28x28 digit enlarged with crisp pixels, to show it as the model sees it."""
    return to_image(x[0], scale=8)


def preview(x: torch.Tensor, where=st, width: int | str = "stretch") -> None:
    """The drawing as the model sees it: 28x28 pixels, after MNIST's preparation."""
    where.image(seen(x), caption=_("as the model sees it (28×28)"), width=width, output_format="PNG", alt=_(DRAWN))
