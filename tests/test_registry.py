"""core/registry.py is the one list of shipped models: every entry is real, and everything that lists
models reads it (Home, the GPT page's picker, evaluate.py, the missing-weights message)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, no_errors
from core import registry
from core.training.checkpoint import MissingWeightsError, load_meta, load_tensors, weights_dir

FAMILIES = {"vae", "gan", "gpt", "classifier"}


@pytest.mark.parametrize("model", registry.MODELS, ids=lambda m: m.name)
def test_every_entry_ships_weights_whose_metadata_holds_its_metric(model):
    for suffix in (".safetensors", ".json"):
        assert (weights_dir() / f"{model.name}{suffix}").is_file(), f"weights/{model.name}{suffix} is missing"
    meta = json.loads((weights_dir() / f"{model.name}.json").read_text())
    value = meta["metrics"][model.metric]
    assert isinstance(value, (int, float)), f"{model.name}: metrics.{model.metric} is {value!r}"
    assert model.family in FAMILIES and model.tolerance > 0
    assert (model.target is None) == (model.meets is None), "a target needs its check, and a check its target"
    if model.meets is not None:
        assert isinstance(model.meets(value), bool)


@pytest.mark.parametrize("model", [m for m in registry.MODELS if m.page], ids=lambda m: m.name)
def test_every_page_named_exists_and_is_in_the_navigation(model):
    path = f"app_pages/{model.page}.py"
    assert (ROOT / path).is_file()
    assert f'"{path}"' in (ROOT / "app.py").read_text()  # st.Page(...) in app.py's st.navigation


def test_names_and_entries_agree():
    assert len(set(registry.names())) == len(registry.MODELS), "two entries share a name"
    for family in FAMILIES:
        assert all(registry.entry(n).family == family for n in registry.names(family=family))
    assert set(registry.names(page="gpt_generation")) == {"gpt-shakespeare", "bigram"}
    assert registry.LADDER == tuple(m.name for m in registry.MODELS if m.ladder)
    with pytest.raises(ValueError, match="gpt-shakespeare"):  # an unknown name lists the shipped ones
        registry.entry("gpt-2")


@pytest.mark.parametrize("model", registry.MODELS, ids=lambda m: m.name)
def test_a_missing_file_says_which_command_makes_it(model, tmp_path):
    for read in (load_meta, load_tensors):
        with pytest.raises(MissingWeightsError) as e:
            read(model.name, tmp_path)
        assert model.train_command in str(e.value)


def test_evaluate_measures_exactly_the_registry():
    """evaluate.py's --only accepts the registry's names and nothing else."""
    out = subprocess.run([sys.executable, "scripts/evaluate.py", "--only", "no-such-model"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 2 and "invalid choice" in out.stderr, out.stderr[-500:]
    choices = out.stderr.split("choose from", 1)[1]
    for name in registry.names():
        assert repr(name) in choices or name in choices.split(", ")


def test_home_shows_a_card_line_per_shipped_model_and_links_to_its_page(app):
    no_errors(app)
    lines = [m.value for m in app.markdown]
    [ladder] = [v for v in lines if "The lecture, step by step" in v]  # one line for the ladder's rungs
    assert f"{len(registry.LADDER)} models" in ladder
    for model in registry.MODELS:
        if model.ladder:
            continue
        [line] = [v for v in lines if f"(`{model.name}`)" in v]
        assert model.label in line and model.dataset in line
        if model.target:
            assert model.target in line  # the headline figure beside the figure it must reach
    links = {link.proto.page for link in app.get("page_link")}
    for page in {m.page for m in registry.MODELS if m.page}:
        assert page.replace("_", "-") in links  # app.py's url_path for app_pages/<page>.py


def test_the_gpt_page_picks_among_its_registry_models(app):
    app.switch_page("app_pages/gpt_generation.py").run()
    no_errors(app)
    picker = app.selectbox(key="gpt_model")
    assert picker.options == [registry.entry(n).label for n in registry.names(page="gpt_generation")]
