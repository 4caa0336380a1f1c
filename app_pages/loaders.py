"""The Streamlit loaders, cached once per server process (here, beside the pages: core/ never imports Streamlit).

Models returned here are shared by every session: pages must only read them (eval mode,
no training, no in-place changes). Anything a session trains lives in st.session_state.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import streamlit as st
import torch

from core.gan import model as gan
from core.gpt import model as gpt
from core.gpt.remote import DecodeProcess, RemoteService
from core.gpt.service import GenerationService
from core.mnist import classifier
from core.serving.janitor import SessionJanitor
from core.serving.scheduler import Scheduler, get_scheduler
from core.serving.trainer_queue import TrainerQueue
from core.training import checkpoint
from core.vae import history as vae_history
from core.vae import model as vae

SERVER_ID = uuid.uuid4().hex[:8]  # tells this server process from the one before a restart


def _dir() -> str:
    get_scheduler()  # sets torch's threads for the scheduler's workers before any model work
    return str(checkpoint.weights_dir())  # part of each cache key, so tests can point elsewhere


def scheduler() -> Scheduler:
    """The server's one compute scheduler (core/serving/scheduler.py): all model work of all sessions runs on it."""
    return get_scheduler()


@st.cache_resource
def trainer_queue() -> TrainerQueue:
    """The server's one line of live trainers (core/serving/trainer_queue.py)."""
    return TrainerQueue(get_scheduler())


@st.cache_resource(show_spinner="Loading the VAE…")
def _vae(name: str, directory: str):
    return vae.load_vae(name, directory=Path(directory))


@st.cache_resource(show_spinner="Loading the VAE's test-set latents…")
def _vae_data(name: str, directory: str) -> dict[str, torch.Tensor]:
    t = checkpoint.load_tensors(f"{name}.data", Path(directory))
    t["digits"] = t["digits"].float() / 255.0
    return t


@st.cache_resource(show_spinner="Loading the VAE's recorded training…")
def _vae_history(name: str, directory: str) -> vae_history.Replay:
    return vae_history.load_vae_history(name, Path(directory))


@st.cache_resource(show_spinner="Loading the digit classifier…")
def _classifier(directory: str):
    return classifier.load_classifier(Path(directory))


@st.cache_resource(show_spinner="Loading the generator…")
def _generator(directory: str):
    return gan.load_generator(Path(directory))


@st.cache_resource(show_spinner="Loading the GAN's training history…")
def _gan_history(directory: str):
    return gan.load_history(Path(directory))


@st.cache_resource(show_spinner="Loading the language model…")
def _gpt(name: str, directory: str):
    return gpt.load_gpt(name, directory=Path(directory))


@st.cache_resource(show_spinner=False)
def janitor() -> SessionJanitor | None:
    """The server's janitor (core/serving/janitor.py): frees what a session held once it has been gone for
    longer than Streamlit's disconnected-session TTL. None where no Streamlit server runs (AppTest)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    ttl = float(st.get_option("server.disconnectedSessionTTL"))
    return SessionJanitor(Runtime.instance().is_active_session, ttl_s=ttl).start()


@st.cache_resource(show_spinner=False)
def _decode_in_a_process() -> bool:
    """Text generation runs in a process of its own (core/gpt/remote.py) unless GENLAB_DECODE_PROCESS=0; on
    Windows, where a child cannot inherit the pipe, in the server's process on the scheduler (core/gpt/service.py)."""
    return os.environ.get("GENLAB_DECODE_PROCESS", "1" if os.name == "posix" else "0") == "1"


def _generation_service(name: str, directory: str):
    if _decode_in_a_process():
        return DecodeProcess.shared(directory).service(name, _gpt(name, directory))
    return GenerationService(_gpt(name, directory), get_scheduler(), name=name)


@st.cache_resource
def _meta(name: str, directory: str) -> dict:
    return checkpoint.load_meta(name, Path(directory))


def load_vae(name: str):
    return _vae(name, _dir())


def load_vae_data(name: str) -> dict[str, torch.Tensor]:
    """Test-set latents (mu, labels, kl_per_dim) and sample digits in [0, 1]."""
    return _vae_data(name, _dir())


def load_vae_history(name: str) -> vae_history.Replay:
    """The recorded training of vae-z2 or ae-z2 (core/vae/history.py), shared read-only by every session."""
    return _vae_history(name, _dir())


def load_classifier():
    return _classifier(_dir())


def load_generator():
    return _generator(_dir())


def load_gan_history():
    return _gan_history(_dir())


def load_gpt(name: str):
    return _gpt(name, _dir())


def start_text_generator() -> None:
    """In a real server, start the text generator's process with the server (AppTest starts it on first use)."""
    from streamlit.runtime import Runtime

    # AppTest installs a mock Runtime (MagicMock(spec=Runtime)): only a real server starts the process early
    if Runtime.exists() and type(Runtime.instance()) is Runtime and _decode_in_a_process():
        DecodeProcess.shared(_dir()).start()


def generation_service(name: str) -> GenerationService | RemoteService:
    """Batched text generation for every session at once, for one shipped language model."""
    return _generation_service(name, _dir())


def load_meta(name: str) -> dict:
    return _meta(name, _dir())


@st.cache_resource(show_spinner=False, max_entries=4)
def _text_corpus(source: str, data: str):
    """A text every session may train on (tiny Shakespeare, GenLab's explanations), read and encoded once per server:
    sessions only read it (core/gpt/live.py's Corpus is never changed after it is made)."""
    from core.gpt.live import Corpus, builtin_text

    return Corpus(builtin_text(source, data or None))


def text_corpus(source: str):
    """The Corpus of a built-in text ("shakespeare", "explanations-pt-BR", "explanations-en"); DataUnavailableError
    when tiny Shakespeare is neither in the data root nor downloadable."""
    return _text_corpus(source, os.environ.get("GENLAB_DATA", ""))
