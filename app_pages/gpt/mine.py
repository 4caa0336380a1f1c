"""The learner's own GPT in the page's model picker: the one training in the Train your own tab (a copy as it is now)
or one they uploaded. It lives in this session only.

Its text is generated in the server's process on the scheduler (core/gpt/service.py), not in the text generator's
process (core/gpt/remote.py): that child loads the shipped models from weights/ by name, and a session's model would
have to cross the pipe and be freed there when the session ends. In-process, the model and its one-row-per-request
batch are this session's objects, freed with it; and a few learners generating with their own models cost the
server what one shipped model's batch costs.
"""

from __future__ import annotations

import time

import streamlit as st

from app_pages._ui import compute, load, session_owner
from app_pages.loaders import generation_service, load_gpt, load_meta, scheduler
from core import registry
from core.gpt.service import GenerationService
from core.training.checkpoint import hardware
from i18n import N_, _, number

OWN = "mine"  # its value in the picker (and the URL)
PICKED = N_("Your GPT")  # in the picker: the same words whatever it has learned, so the picker keeps its choice
LABEL = N_("Your GPT ({rung}, step {steps})")


def own() -> tuple | None:
    """(model, metadata) of this session's own GPT, or None. The training one is copied in its turn when it moved on."""
    live = st.session_state.get("gpt_own")
    if live is not None and live.model is not None and live.steps:
        model = compute(live.frozen)
        return model, summary(live)  # in this run's language
    return st.session_state.get("gpt_uploaded")


def summary(live) -> dict:
    """The metadata the page's tabs read, from the live trainer (its last validation estimate, not the whole split)."""
    last, name = live.curve[-1], st.session_state.get("gpt_own_dataset", "")
    return {
        "preset": live.rung,
        "steps": live.steps,
        "best_iter": live.steps,
        "parameters": sum(p.numel() for p in live.model.parameters()),
        "metrics": {"val_loss": last["val"], "train_loss": last["train"]},
        "wall_time_s": live.seconds,
        "curve": live.curve,
        "hardware": hardware(),
        "date": time.strftime("%Y-%m-%d"),
        # the model card words this in the learner's language (core/gpt/prompt.py's _dataset reads this shape)
        "dataset": f"{_(name)} ({len(live.corpus):,} characters; first 90% train, last 10% validation)",
        "command": st.session_state.get("gpt_own_command", ""),
    }


def names(shipped) -> list[str]:
    return [*shipped, OWN] if own_exists() else list(shipped)


def own_exists() -> bool:
    live = st.session_state.get("gpt_own")
    return (live is not None and live.model is not None and live.steps > 0) or "gpt_uploaded" in st.session_state


def label(name: str, meta: dict | None = None) -> str:
    """How the page names a model; with meta, the learner's own one says its rung and step."""
    if name != OWN:
        return _(registry.entry(name).label)
    if meta is None:
        return _(PICKED)
    return _(LABEL).format(rung=_(registry.entry(meta.get("preset", "ladder-dropout")).label), steps=number(meta.get("steps", 0)))


def model_and_meta(name: str):
    if name == OWN and (mine := own()) is not None:
        return mine
    return load(load_gpt, name), load(load_meta, name)


def train_command(name: str, meta: dict) -> str:
    return meta.get("command", "") if name == OWN else registry.entry(name).train_command


def service(name: str, model=None):
    """The batched generator for `name`: the shipped one, or this session's own for its model as it is now."""
    if name != OWN:
        return generation_service(name)
    model = model if model is not None else own()[0]
    held = st.session_state.get("_gpt_own_service")
    if held is None or held.model is not model:
        # one per copy of the model; the one before finishes its requests and goes with its last reference
        held = st.session_state["_gpt_own_service"] = GenerationService(model, scheduler(), name=f"own:{session_owner()}")
    return held
