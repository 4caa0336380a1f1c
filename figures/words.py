"""Pictures and charts in words, for screen readers: the text a page passes as `alt=` to st.image and
st.plotly_chart. A chart's words are read from the figure's own data, so they always match what is drawn."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go

from i18n import LOCALES, _, language, number

TAGS = re.compile(r"<[^>]+>")


def _plain(text) -> str:
    return TAGS.sub(" ", str(text or "")).replace("**", "").strip()


def _value(v) -> str:
    """A number as the language writes it, with no more decimals than a reader needs; a category as itself."""
    from babel.numbers import format_decimal

    try:
        v = float(v)
    except (TypeError, ValueError):
        return _plain(v)
    pattern = "#,##0" if abs(v) >= 100 else "#,##0.##" if abs(v) >= 1 else "#,##0.###"
    return format_decimal(v, format=pattern, locale=LOCALES[language()])


def _trace_words(trace) -> str | None:
    """One trace in a few words: a line's last value, a bar chart's tallest bar, a cloud's size, a heatmap's shape."""
    name = _plain(getattr(trace, "name", None))
    kind = trace.type
    marker = getattr(trace, "marker", None)
    if getattr(trace, "visible", None) is False or (marker is not None and marker.opacity == 0):
        return None  # drawn for clicks or hovers, not to be seen
    if kind == "heatmap":
        z = np.asarray(trace.z if trace.z is not None else [], dtype=object)
        rows, cols = (z.shape + (1,))[:2] if z.ndim else (0, 0)
        words = _("a heatmap of {rows} × {cols} cells").format(rows=number(rows), cols=number(cols))
        return f"{name}: {words}" if name else words
    x = [] if trace.x is None else list(trace.x)
    y = [] if getattr(trace, "y", None) is None else list(trace.y)
    if not y:
        return None
    if kind == "bar":
        top = int(np.nanargmax(np.asarray(y, dtype=float)))
        label = x[top] if top < len(x) else top + 1
        words = _("{n} bars, the tallest {x} at {y}").format(n=number(len(y)), x=_plain(label), y=_value(y[top]))
    elif len(y) == 1:
        words = _("one point, at ({x}, {y})").format(x=_value(x[0] if x else 1), y=_value(y[0]))
    elif "lines" in (trace.mode or "lines"):
        words = _("{n} points, last {y} at {x}").format(n=number(len(y)), y=_value(y[-1]), x=_value(x[-1] if x else len(y)))
    else:
        words = _("{n} points").format(n=number(len(y)))
    return f"{name}: {words}" if name else words


def chart_words(fig: go.Figure, what: str) -> str:
    """A chart in one line: what it shows (already translated), then each trace's numbers and any note on it
    ("No steps yet")."""
    parts = [w for w in (_trace_words(t) for t in fig.data) if w]
    titles = {_plain(fig.layout.title.text)} if fig.layout.title and fig.layout.title.text else set()
    notes = [_plain(a.text) for a in fig.layout.annotations or () if a.text and _plain(a.text) not in titles]
    if not parts and notes:
        parts = notes  # an empty chart says why
    return f"{what}. " + "; ".join(parts) + ("." if parts else "")
