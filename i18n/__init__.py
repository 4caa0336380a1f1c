"""The app in two languages: English and Brazilian Portuguese.

Short strings are gettext messages: wrapped in `_()` where they are shown (or marked with `N_()` where
they are defined and translated later), extracted with `pybabel extract -F babel.cfg`, translated in
i18n/locales/pt_BR/LC_MESSAGES/*.po and read with Babel at start-up. Long explanations are Markdown
files, one per language (text/en/, text/pt-BR/). Numbers are formatted by Babel for the language.

    from i18n import _, number
    st.button(_("Generate"))
    st.caption(_("{n} characters in {s} s").format(n=number(300), s=number(0.8, 1)))

No Streamlit here (figures/ and core/ use it too): the app says where the current language comes
from with use_language_source(); tests can pin one with `with speaking("pt-BR"): ...`.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Callable

LANGUAGES = {"en": "English", "pt-BR": "Português (Brasil)"}
DEFAULT = "en"
LOCALES = {"en": "en_US", "pt-BR": "pt_BR"}  # Babel's names for the number formats
HERE = Path(__file__).resolve().parent
TEXT_DIR = HERE.parent / "text"

_source: Callable[[], str] = lambda: DEFAULT  # noqa: E731  (replaced by the app: the session's language)
_pinned: ContextVar[str | None] = ContextVar("language", default=None)


def use_language_source(source: Callable[[], str]) -> None:
    """Where the current language comes from (the app: this session's choice)."""
    global _source
    _source = source


def language() -> str:
    return _pinned.get() or _source()


@contextmanager
def speaking(lang: str):
    """Everything inside speaks `lang` (for tests and scripts)."""
    token = _pinned.set(lang)
    try:
        yield
    finally:
        _pinned.reset(token)


def pick(asked: str | None, browser: str | None = None) -> str:
    """The language to use: `asked` (?lang=, or the picker) if it names one, else the browser's
    (any Portuguese locale -> pt-BR), else English."""
    for wish in (asked, browser):
        wish = (wish or "").strip().lower().replace("_", "-")
        if wish.startswith("pt"):
            return "pt-BR"
        if wish.startswith("en"):
            return "en"
    return DEFAULT


@functools.cache
def catalog(lang: str) -> dict:
    """msgid -> translation for `lang`, from every .po file of its folder (fuzzy entries left out).
    Plural entries map (singular, plural) -> (forms...)."""
    if lang == DEFAULT:
        return {}
    from babel.messages.pofile import read_po  # Babel only where a translation is needed

    messages = {}
    for path in sorted((HERE / "locales" / LOCALES[lang] / "LC_MESSAGES").glob("*.po")):
        with open(path, "rb") as f:
            for m in read_po(f):
                if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string):
                    messages[m.id] = m.string
    return messages


class Message(str):
    """Text made where the language is not known (core/, a worker thread): English as a str, and its
    template and values, so that `_()` can show it in the learner's language.

        raise WeightsError(Message(N_("{path} is missing."), path=path))
    """

    def __new__(cls, template: str, **values):
        self = super().__new__(cls, template.format(**values))
        self.template, self.values = template, values
        return self


def _(message: str) -> str:
    """`message` in the current language (itself where no translation exists)."""
    lang = language()
    if lang == DEFAULT:
        return str(message)
    if isinstance(message, Message):
        return catalog(lang).get(message.template, message.template).format(**message.values)
    return catalog(lang).get(message, message)


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; `_()` translates it where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for n, by the current language's plural rule."""
    lang = language()
    forms = catalog(lang).get((singular, plural)) if lang != DEFAULT else None
    if not forms:
        return singular if n == 1 else plural
    return forms[0] if _locale(lang).plural_form(abs(n)) == "one" else forms[-1]


@functools.cache
def _locale(lang: str):
    from babel import Locale

    return Locale.parse(LOCALES[lang])


def number(x: float, decimals: int = 0) -> str:
    """x with the language's separators: 14,055.5 in English, 14.055,5 in Portuguese."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(x, format=pattern, locale=LOCALES[language()])


def percent(x: float, decimals: int = 0) -> str:
    """A share (0.668) as a percentage: 66.8% / 66,8%."""
    from babel.numbers import format_percent

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return format_percent(x, format=pattern, locale=LOCALES[language()])


def plotly_separators() -> str:
    """Plotly's layout.separators (decimal mark, then thousands) for the current language."""
    return ",." if language() == "pt-BR" else ".,"


@functools.cache
def _prose(lang: str, name: str) -> str:
    path = TEXT_DIR / lang / f"{name}.md"
    if not path.exists():  # tests/test_i18n.py keeps every explanation in both languages
        path = TEXT_DIR / DEFAULT / f"{name}.md"
    return path.read_text(encoding="utf-8")


def prose(name: str) -> str:
    """The explanation text/<language>/<name>.md, as Markdown (read once per server)."""
    return _prose(language(), name)
