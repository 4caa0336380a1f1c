"""Both languages, complete: every string the code marks has a Portuguese translation, every explanation
has a Portuguese file, numbers follow the locale, and the language can be chosen without losing work."""

from __future__ import annotations

import json
import re
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from i18n import HERE, LOCALES, _, catalog, ngettext, number, percent, pick, speaking

PO_DIR = HERE / "locales" / LOCALES["pt-BR"] / "LC_MESSAGES"


def extracted() -> dict[str, str]:
    """Every message the code marks with _(), N_() or ngettext(), as pybabel extract finds it (babel.cfg):
    msgid -> where it is."""
    method_map = [(line[9:-1].strip(), "python") for line in (ROOT / "babel.cfg").read_text().splitlines()
                  if line.startswith("[python:")]  # fmt: skip
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_marked_string_has_a_portuguese_translation():
    """A new string without its translation fails here (add it to a .po file under i18n/locales/pt_BR/)."""
    messages, translated = extracted(), catalog("pt-BR")
    assert len(messages) > 20
    missing = [f"{where}: {msgid!r}" for msgid, where in messages.items() if msgid not in translated]
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_the_catalogs_have_no_fuzzy_or_empty_entry_and_keep_every_placeholder():
    for path in sorted(PO_DIR.glob("*.po")):
        with open(path, "rb") as f:
            for m in read_po(f):
                if not m.id:
                    continue
                assert not m.fuzzy, f"{path.name}: fuzzy {m.id!r}"
                ids, strs = (m.id, m.string) if isinstance(m.id, tuple) else ((m.id,), (m.string,))
                assert all(strs), f"{path.name}: empty translation of {m.id!r}"
                assert all(fields(s) == fields(ids[0]) for s in strs), f"{path.name}: placeholders differ in {m.id!r}"


def test_every_explanation_exists_in_both_languages_with_the_same_placeholders():
    english = sorted((ROOT / "text" / "en").glob("*.md"))
    assert english
    for path in english:
        twin = ROOT / "text" / "pt-BR" / path.name
        assert twin.exists(), f"{twin} is missing"
        braces = re.compile(r"\{[^{}]*\}")
        assert set(braces.findall(twin.read_text())) == set(braces.findall(path.read_text())), twin.name


def test_translation_and_number_formats_follow_the_language():
    assert _("Home") == "Home" and number(14055) == "14,055" and number(1.6, 2) == "1.60" and percent(0.668, 1) == "66.8%"
    with speaking("pt-BR"):
        assert _("Home") == "Início"
        assert number(14055) == "14.055" and number(1.6, 2) == "1,60" and percent(0.668, 1) == "66,8%"
        assert _("a string nobody translated") == "a string nobody translated"
        assert ngettext("{n} epoch", "{n} epochs", 1) == "{n} época" and ngettext("{n} epoch", "{n} epochs", 2) == "{n} épocas"
    assert ngettext("{n} epoch", "{n} epochs", 1) == "{n} epoch" and ngettext("{n} epoch", "{n} epochs", 2) == "{n} epochs"


@pytest.mark.parametrize(
    "asked, browser, expected",
    [("pt-BR", None, "pt-BR"), ("pt", "en-US", "pt-BR"), ("en", "pt-BR", "en"), (None, "pt-PT", "pt-BR"),
     (None, "de-DE", "en"), ("xx", "pt-BR", "pt-BR"), (None, None, "en")],
)  # fmt: skip
def test_the_link_then_the_browser_decide(asked, browser, expected):
    assert pick(asked, browser) == expected


def test_lang_in_the_url_and_the_picker_switch_language_and_keep_what_the_visitor_did():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "pt-BR"
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "pt-BR" and at.query_params["lang"] == "pt-BR"
    at.switch_page("app_pages/gpt_generation.py").run()
    at.text_area(key="gpt_prompt").set_value("KING:\nSpeak.").run()
    at.selectbox(key="lang").set_value("en").run()
    assert not at.exception
    assert at.session_state["lang"] == "en" and at.query_params["lang"] == "en"
    assert at.text_area(key="gpt_prompt").value == "KING:\nSpeak."  # the prompt survived the switch


# --- Home, the GPT page and the Glossary read fully in Portuguese -------------------------------------------

# The files whose marked strings these pages show: the shell, the pages, their figures and core's messages.
SHOWN_BY = {
    "home": ("app.py", "app_pages/_ui.py", "app_pages/home.py", "core/registry.py", "core/training/checkpoint.py"),
    "gpt_generation": ("app.py", "app_pages/_ui.py", "app_pages/gpt_generation.py", "app_pages/gpt/", "figures/gpt.py",
                       "core/gpt/", "core/registry.py", "core/training/checkpoint.py"),
    "glossary": ("app.py", "app_pages/_ui.py", "app_pages/glossary.py"),
    "latent_space": ("app.py", "app_pages/_ui.py", "app_pages/latent_space.py", "app_pages/latent/", "app_pages/drawing.py",
                     "figures/latent.py", "core/vae/", "core/mnist/drawing.py", "core/registry.py", "core/training/checkpoint.py",
                     "app_pages/gan/common.py", "core/serving/trainer_queue.py"),
    "gan_training": ("app.py", "app_pages/_ui.py", "app_pages/gan_training.py", "app_pages/gan/", "app_pages/drawing.py",
                     "figures/gan.py", "core/gan/", "core/serving/trainer_queue.py", "core/mnist/drawing.py", "core/gpt/prompt.py",
                     "core/registry.py", "core/training/checkpoint.py"),
}  # fmt: skip
# Every page's pictures and charts are put in words by figures/words.py (their alt texts).
SHOWN_BY = {page: (*files, "figures/words.py") for page, files in SHOWN_BY.items()}
PROTO_TEXT = {"body", "label", "help", "placeholder", "options", "alt"}  # what an element shows or reads out (not its id)
PLOT_TEXT = {"text", "name", "customdata"}  # titles ({"text": …}), legends, bar labels, hover text


def english_left(page: str) -> dict[str, re.Pattern]:
    """A pattern for every English msgid the page may show whose Portuguese differs (placeholders match anything;
    a msgid of mostly placeholders, such as "L{layer} H{head}", would match anything and is left out)."""
    method_map = [(line[9:-1].strip(), "python") for line in (ROOT / "babel.cfg").read_text().splitlines()
                  if line.startswith("[python:")]  # fmt: skip
    translated, patterns = catalog("pt-BR"), {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map):
        if not filename.startswith(SHOWN_BY[page]) or message not in translated:
            continue
        forms = translated[message]
        for english, portuguese in zip(message if isinstance(message, tuple) else (message,),
                                       forms if isinstance(forms, tuple) else (forms,)):  # fmt: skip
            literal = re.split(r"\{[^{}]*\}", english)
            if english == portuguese or max(len(part.strip()) for part in literal) < 4:
                continue
            body = ".+?".join(re.escape(part) for part in literal)
            patterns[english] = re.compile(("\\b" if english[0].isalnum() else "") + body + ("\\b" if english[-1].isalnum() else ""))
    return patterns


def shown_texts(at) -> list[str]:
    """Every text the page shows: element bodies, labels, tooltips, options, tab names, and the words in its
    Plotly figures, Markdown escapes undone. Not the prompt in its box or the generated text (the GPT writes
    English Shakespeare)."""
    texts = []

    def proto_strings(message):
        for field, value in message.ListFields():
            for v in value if field.is_repeated else [value]:
                if field.type == field.TYPE_MESSAGE:
                    proto_strings(v)
                elif field.type == field.TYPE_STRING and field.name in PROTO_TEXT:
                    texts.append(v)

    def plot_strings(obj, key=None):
        if isinstance(obj, dict):
            for k, v in obj.items():
                plot_strings(v, k)
        elif isinstance(obj, list):
            for v in obj:
                plot_strings(v, key)
        elif isinstance(obj, str) and key in PLOT_TEXT:
            texts.append(obj)

    def walk(node):
        kind, proto = getattr(node, "type", None), getattr(node, "proto", None)
        if kind == "plotly_chart":
            plot_strings(json.loads(proto.spec))
            texts.append(proto.alt)  # the chart in words, for a screen reader
        elif proto is not None and kind != "html":
            proto_strings(proto)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return [re.sub(r"\\(.)", r"\1", text) for text in texts]


def english_shown(at, page: str) -> list[str]:
    texts = shown_texts(at)
    assert len(texts) > 5
    return [f"{english!r} shown as {text[:120]!r}" for english, pattern in english_left(page).items() for text in texts
            if pattern.search(text)]  # fmt: skip


def portuguese_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "pt-BR"
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    return at


def test_home_in_portuguese_shows_no_english_string_of_the_catalog():
    at = portuguese_app()
    assert not english_shown(at, "home"), english_shown(at, "home")
    text = " ".join(m.value for m in at.markdown)
    assert "4.225 parâmetros" in text and "1,83 M de parâmetros" in text  # Babel's pt-BR separators
    assert "perda de validação 1,476" in text and "perda de validação ≤ 1,50 (atingida)" in text


def test_the_gpt_page_in_portuguese_shows_no_english_string_of_the_catalog():
    """Every tab, after a Generate and a Compare, with a prompt the page had to adjust."""
    at = portuguese_app("gpt_generation")
    labels = [t.label for t in at.tabs]  # only the open tab runs: each is opened in turn
    at.text_area(key="gpt_prompt").set_value("Ação, café 😀 " * 40).run()
    at.number_input(key="gpt_len").set_value(12)
    at.button(key="gpt_go").click().run()
    captions = " ".join(c.value for c in at.caption)
    assert "12 caracteres em" in captions and "temperatura 1,00" in captions
    # the GPT still writes English Shakespeare: the prompt keeps its letters, and the note says so in Portuguese
    assert at.session_state["gpt_result"]["prompt"].endswith("Acao, cafe  ")
    [note] = [i.value for i in at.info if "ajustado" in i.value]
    assert "acentos removidos" in note and "'ç'→'c'" in note and "descartados" in note and "mantidos os últimos" in note
    at.session_state["gpt_tabs"] = labels[1]
    at.run().button(key="gpt_compare_go").click().run()
    assert "12 caracteres cada" in " ".join(c.value for c in at.caption)
    for model in ("gpt-shakespeare", "bigram"):  # the bigram: the attention tab's note, its card
        at.selectbox(key="gpt_model").set_value(model).run()
        for label in labels:
            at.session_state["gpt_tabs"] = label
            at.run()
            assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
            assert not english_shown(at, "gpt_generation"), (label, english_shown(at, "gpt_generation"))


def test_the_glossary_in_portuguese_shows_no_english_string_and_finds_words_without_accents():
    at = portuguese_app("glossary")
    assert not english_shown(at, "glossary"), english_shown(at, "glossary")
    text = " ".join(m.value for m in at.markdown)
    for term in ("Vetor latente", "Truque da reparametrização", "Colapso de modo", "Autoatenção", "Cabeça de atenção",
                 "Conexão residual", "Normalização de camadas", "Temperatura", "Rede geradora / rede discriminadora"):  # fmt: skip
        assert term in text, term
    at.text_input(key="glossary_find").set_value("reparametrizacao").run()  # typed without accents
    found = " ".join(m.value for m in at.markdown)
    assert "Truque da reparametrização" in found and "Dropout" not in found


def test_switching_language_keeps_the_gpt_page_as_the_visitor_left_it():
    at = portuguese_app("gpt_generation")
    assert at.session_state["gpt_tabs"] == "Gerar"  # a first visit opens the first tab, in either language
    at.selectbox(key="gpt_model").set_value("bigram")
    at.radio(key="gpt_typing").set_value("slow")
    at.number_input(key="gpt_seed").set_value(42).run()
    assert at.radio(key="gpt_typing").options == ["no ritmo do modelo", "rápida", "lenta"]
    at.selectbox(key="lang").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="gpt_model").value == "bigram" and at.radio(key="gpt_typing").value == "slow"
    assert at.number_input(key="gpt_seed").value == 42
    assert at.radio(key="gpt_typing").options == ["as written", "fast", "slow"]
    assert [t.label for t in at.tabs] == [
        "Generate",
        "Side by side",
        "Lecture ladder",
        "Next-character odds",
        "Attention maps",
        "Model card",
        "Train your own",
    ]
    assert at.session_state["gpt_tabs"] == "Generate"
