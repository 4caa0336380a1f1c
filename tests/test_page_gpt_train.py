"""The GPT page's Train your own tab, driven through AppTest: a ladder rung training on a chosen text in this session,
on the trainer line; then the model in the page's picker."""

from __future__ import annotations

import time

import pytest
from test_i18n import english_shown, portuguese_app

from conftest import no_errors
from core.gpt.live import load_upload
from core.training.data import DataUnavailableError

PAGE = "app_pages/gpt_generation.py"


@pytest.fixture
def tab(app, one_thread):
    at = app.switch_page(PAGE).run()
    at.session_state["gpt_tabs"] = "Train your own"
    at.run()
    no_errors(at)
    yield at
    if (live := at.session_state["gpt_own"] if "gpt_own" in at.session_state else None) is not None:
        live.running = False  # the trainer line forgets it at its next turn


def status(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step"))


def test_step_trains_the_chosen_rung_on_the_portuguese_explanations_and_shows_step_0(tab):
    at = tab
    at.radio(key="gpt_train_source").set_value("explanations-pt-BR")
    at.selectbox(key="gpt_train_rung").set_value("ladder-attention").run()
    assert "gpt_own" not in at.session_state and at.button(key="gpt_train_pause").disabled
    at.button(key="gpt_train_step").click().run()
    no_errors(at)
    live = at.session_state["gpt_own"]
    assert live.steps == 1 and live.rung == "ladder-attention" and "ç" in live.corpus.tokenizer.chars
    assert status(at).startswith("**Step 1**") and "paused" in status(at)
    assert any("of its words occur in the training text" in m.value for m in at.markdown)  # the step-0 sample's meter
    assert any("a vocabulary of" in c.value for c in at.caption)


def test_start_trains_on_the_line_pause_stops_and_the_model_joins_the_picker(tab):
    at = tab
    at.radio(key="gpt_train_source").set_value("explanations-en")
    at.selectbox(key="gpt_train_rung").set_value("ladder-bigram").run()
    at.button(key="gpt_train_start").click().run()
    no_errors(at)
    live = at.session_state["gpt_own"]
    deadline = time.monotonic() + 60
    while live.steps < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    assert live.steps >= 5 and ("training" in status(at) or "queued" in status(at))
    at.button(key="gpt_train_pause").click().run()
    assert not live.running and "paused" in status(at)
    steps = live.steps
    time.sleep(0.5)
    assert live.steps == steps  # paused means still
    assert at.selectbox(key="gpt_model").options[-1] == "Your GPT"
    at.selectbox(key="gpt_model").set_value("mine")
    at.session_state["gpt_tabs"] = "Generate"
    at.run()
    at.number_input(key="gpt_len").set_value(30)
    at.button(key="gpt_go").click().run()
    no_errors(at)
    assert len(at.session_state["gpt_result"]["text"]) == 30
    for label in ("Side by side", "Next-character odds", "Attention maps", "Model card"):
        at.session_state["gpt_tabs"] = label
        at.run()
        no_errors(at)
    at.session_state["gpt_tabs"] = "Train your own"
    at.run().button(key="gpt_train_reset").click().run()
    no_errors(at)
    assert "gpt_own" not in at.session_state and "Your GPT" not in at.selectbox(key="gpt_model").options
    assert at.selectbox(key="gpt_model").value == "gpt-shakespeare"


@pytest.mark.parametrize(
    "text, words",
    [("", "The text is empty"), ("ab " * 100, "needs at least"), ("z" * 2000, "one character repeated")],
)
def test_unusable_own_text_is_a_message_not_a_trainer(tab, text, words):
    at = tab
    at.radio(key="gpt_train_source").set_value("own").run()
    at.text_area(key="gpt_train_text").set_value(text).run()
    at.button(key="gpt_train_start").click().run()
    assert not at.exception
    assert "gpt_own" not in at.session_state
    assert any(words in e.value for e in at.error), [e.value for e in at.error]


def test_own_text_trains_and_changed_settings_ask_for_reset(tab):
    at = tab
    at.radio(key="gpt_train_source").set_value("own").run()
    at.text_area(key="gpt_train_text").set_value("O menino viu a ação do avô na praça. " * 40)
    at.button(key="gpt_train_step").click().run()  # the text typed and the click in one go: the click sees the text
    no_errors(at)
    assert at.session_state["gpt_own"].steps == 1
    at.number_input(key="gpt_train_seed").set_value(5).run()
    assert any("press Reset" in i.value for i in at.info)


def test_missing_shakespeare_says_so(tab, tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path))

    def offline(url, path):
        raise DataUnavailableError("offline")

    monkeypatch.setattr("core.training.data._download", offline)
    at = tab
    at.radio(key="gpt_train_source").set_value("shakespeare").run()
    at.button(key="gpt_train_step").click().run()
    assert not at.exception and "gpt_own" not in at.session_state
    assert any("not in the data root" in e.value for e in at.error), [e.value for e in at.error]


def test_the_tab_in_portuguese_shows_no_english_string(one_thread):
    at = portuguese_app("gpt_generation")
    at.session_state["gpt_tabs"] = "Treine o seu"
    at.run()
    at.radio(key="gpt_train_source").set_value("explanations-pt-BR")
    at.selectbox(key="gpt_train_rung").set_value("ladder-bigram").run()
    at.button(key="gpt_train_step").click().run()
    no_errors(at)
    assert "**Passo 1**" in " ".join(m.value for m in at.markdown)
    assert not english_shown(at, "gpt_generation"), english_shown(at, "gpt_generation")
    at.radio(key="gpt_train_source").set_value("own").run()
    at.button(key="gpt_train_reset").click().run()
    at.button(key="gpt_train_start").click().run()
    assert any("O texto está vazio" in e.value for e in at.error)


def test_an_uploaded_model_joins_the_picker_and_keeps_training_on_its_text(tab):
    """The upload's checks are core's (tests/test_gpt_live.py); here: what the page does with a model that passed."""
    at = tab
    at.radio(key="gpt_train_source").set_value("explanations-en")
    at.selectbox(key="gpt_train_rung").set_value("ladder-bigram").run()
    at.button(key="gpt_train_step").click().run()
    live = at.session_state["gpt_own"]
    weights, meta = live.files("test")
    model, info = load_upload("m.safetensors", len(weights), lambda: weights, "m.json", len(meta), lambda: meta)
    at.button(key="gpt_train_reset").click().run()
    at.session_state["gpt_uploaded"] = (model, info)
    at.run()
    no_errors(at)
    assert "Your GPT" in at.selectbox(key="gpt_model").options
    at.radio(key="gpt_train_source").set_value("explanations-pt-BR").run()  # another vocabulary: refused, said why
    at.button(key="gpt_train_resume").click().run()
    assert "gpt_own" not in at.session_state and any("pick the text it was trained on" in e.value for e in at.error)
    at.radio(key="gpt_train_source").set_value("explanations-en").run()
    at.button(key="gpt_train_resume").click().run()
    no_errors(at)
    resumed = at.session_state["gpt_own"]
    assert resumed.steps == 1 and resumed.rung == "ladder-bigram" and resumed.model is not model
    at.button(key="gpt_train_step").click().run()
    assert resumed.steps == 2


def test_a_link_to_your_gpt_in_a_new_session_falls_back_to_a_shipped_model(app):
    app.query_params["gpt_model"] = "mine"
    at = app.switch_page(PAGE).run()
    no_errors(at)
    assert at.selectbox(key="gpt_model").value == "gpt-shakespeare"


def test_your_gpt_s_card_reads_in_portuguese(one_thread):
    at = portuguese_app("gpt_generation")
    at.session_state["gpt_tabs"] = "Treine o seu"
    at.run()
    at.radio(key="gpt_train_source").set_value("explanations-pt-BR")
    at.selectbox(key="gpt_train_rung").set_value("ladder-bigram").run()
    at.button(key="gpt_train_step").click().run()
    at.selectbox(key="gpt_model").set_value("mine")
    for label in ("Ficha do modelo", "Lado a lado"):
        at.session_state["gpt_tabs"] = label
        at.run()
        no_errors(at)
        assert not english_shown(at, "gpt_generation"), (label, english_shown(at, "gpt_generation"))
        if label == "Ficha do modelo":
            card = " ".join(m.value for m in at.markdown)
            assert "as explicações do GenLab em português (" in card, card[-600:]  # the words around it: Portuguese too
