"""Checkpoints: tensors in safetensors (never pickle), metadata in a JSON file beside them.

weights/<name>.safetensors   the model's parameters
weights/<name>.json          config, dataset, steps, wall time, hardware, metrics, date, command
weights/<name>.<part>.safetensors   optional sidecar tensors (latents, sample digits, history)
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from i18n import N_, Message

MISSING = N_("{path} is missing.")
MISSING_TRAIN = N_("{path} is missing. Train it with: {command}")
CORRUPT = N_("{path} is corrupt or unreadable ({error}).")
CORRUPT_TRAIN = N_("{path} is corrupt or unreadable ({error}). Train it with: {command}")
NOT_JSON = N_("{path} is not valid JSON ({error}).")
NOT_JSON_TRAIN = N_("{path} is not valid JSON ({error}). Train it with: {command}")
MISFIT = N_("{path} does not fit the model described by {meta}: {error}")


class WeightsError(RuntimeError):
    """A weight file is missing, corrupt, or does not fit the model. Its message is an i18n.Message:
    English as str(e), shown in the learner's language by the pages."""


class MissingWeightsError(WeightsError, FileNotFoundError):
    pass


def weights_dir() -> Path:
    # GENLAB_WEIGHTS lets tests point the app at a copy with a broken file.
    return Path(os.environ.get("GENLAB_WEIGHTS") or Path(__file__).resolve().parents[2] / "weights")


def _problem(template: str, template_with_command: str, path: Path, name: str, **values) -> Message:
    """The message for a weight file's problem, naming the command that makes the file when there is one."""
    from core.registry import BY_NAME  # the registry says which command makes each shipped file

    model = BY_NAME.get(name.split(".")[0])
    if model is None:
        return Message(template, path=path, **values)
    return Message(template_with_command, path=path, command=model.train_command, **values)


def save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().clone().contiguous() for k, v in tensors.items()}, str(path))


def load_tensors(name: str, directory: Path | None = None) -> dict[str, torch.Tensor]:
    """Read weights/<name>.safetensors, with an error that says what to do."""
    path = (directory or weights_dir()) / f"{name}.safetensors"
    if not path.exists():
        raise MissingWeightsError(_problem(MISSING, MISSING_TRAIN, path, name))
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(_problem(CORRUPT, CORRUPT_TRAIN, path, name, error=e)) from e


def load_meta(name: str, directory: Path | None = None) -> dict:
    path = (directory or weights_dir()) / f"{name}.json"
    if not path.exists():
        raise MissingWeightsError(_problem(MISSING, MISSING_TRAIN, path, name))
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise WeightsError(_problem(NOT_JSON, NOT_JSON_TRAIN, path, name, error=e)) from e


def load_state(model: torch.nn.Module, name: str, directory: Path | None = None) -> torch.nn.Module:
    """Fill `model` with the parameters in weights/<name>.safetensors; eval mode, float32."""
    state = load_tensors(name, directory)
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError as e:
        path = (directory or weights_dir()) / f"{name}.safetensors"
        raise WeightsError(Message(MISFIT, path=path, meta=f"{name}.json", error=e)) from e
    return model.eval()


def hardware() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    n = torch.get_num_threads()
    return f"{platform.processor() or platform.machine()} CPU, {n} thread{'' if n == 1 else 's'}"


def _portable_path(word: str, root: Path, cwd: Path, placeholder: str) -> str:
    """A path as it reads from the repository's root, or a placeholder where it lies outside it."""
    path = Path(word).expanduser()
    path = (path if path.is_absolute() else cwd / path).resolve()
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix() or "."
    if not (Path(word).is_absolute() or word.startswith(("..", "~"))):
        return word  # a relative path that stays relative reruns the same anywhere
    return placeholder


def portable_command(argv: list[str], root: Path | None = None, cwd: Path | None = None) -> str:
    """The command line that made a file, as anyone can rerun it from the repository's root.

    The metadata is shown to learners and read by others, so it must not carry this machine's paths:
    the script and every path inside the repository become relative to its root, the data root becomes
    `<data>` (each reader has their own), and any other path outside the repository becomes `<flag>`,
    named after the flag it follows (`--out-dir <out-dir>`).
    """
    root = (root or Path(__file__).resolve().parents[2]).resolve()
    cwd = Path(cwd or os.getcwd()).resolve()
    words = ["python", _portable_path(argv[0], root, cwd, "<script>")] if argv else ["python"]
    flag = None  # the flag the current word is the value of
    for word in argv[1:]:
        name, eq, value = word.partition("=")
        if word.startswith("--") and eq:  # --flag=value
            words.append(f"{name}={_value(name, value, root, cwd)}")
        elif word.startswith("-"):
            words.append(word)
        else:
            words.append(_value(flag, word, root, cwd))
        flag = word if word.startswith("--") and not eq else None
    return " ".join(words)


def _value(flag: str | None, value: str, root: Path, cwd: Path) -> str:
    if flag == "--data-dir":
        return "<data>"
    if not ("/" in value or "\\" in value or value in (".", "..") or value.startswith("~")):
        return value  # not a path: a number, a preset, a name
    return _portable_path(value, root, cwd, f"<{flag.lstrip('-')}>" if flag else "<path>")


def save_checkpoint(
    model: torch.nn.Module, name: str, meta: dict, directory: Path | None = None, dtype: torch.dtype | None = None
) -> Path:
    """Write weights/<name>.safetensors and weights/<name>.json; returns the weights path."""
    directory = directory or weights_dir()
    state = {k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v) for k, v in model.state_dict().items()}
    path = directory / f"{name}.safetensors"
    save_tensors(path, state)
    meta = {
        "name": name,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "hardware": hardware(),
        "torch": torch.__version__,
        "command": portable_command(sys.argv),
        "parameters": sum(p.numel() for p in model.parameters()),
        **meta,
    }
    (directory / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


# --- resumable training state (model + optimizer), also without pickle -------------------------


def save_training_state(path: Path, modules: dict, optimizers: dict, progress: dict) -> None:
    """Everything needed to resume: module and optimizer tensors in safetensors, the rest in JSON."""
    tensors, opt_meta = {}, {}
    for key, module in modules.items():
        tensors.update({f"{key}.{k}": v for k, v in module.state_dict().items()})
    for key, opt in optimizers.items():
        sd = opt.state_dict()
        for pid, slots in sd["state"].items():
            for slot, v in slots.items():
                tensors[f"opt:{key}.{pid}.{slot}"] = v if torch.is_tensor(v) else torch.tensor(v)
        opt_meta[key] = sd["param_groups"]
    save_tensors(path.with_suffix(".safetensors"), tensors)
    path.with_suffix(".json").write_text(json.dumps({"progress": progress, "param_groups": opt_meta}))


def load_training_state(path: Path, modules: dict, optimizers: dict) -> dict:
    """Restore what save_training_state wrote; returns its progress dict."""
    tensors = load_file(str(path.with_suffix(".safetensors")))
    meta = json.loads(path.with_suffix(".json").read_text())
    for key, module in modules.items():
        prefix = f"{key}."
        module.load_state_dict({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)})
    for key, opt in optimizers.items():
        state: dict = {}
        for k, v in tensors.items():
            if k.startswith(f"opt:{key}."):
                pid, slot = k[len(f"opt:{key}.") :].split(".", 1)
                state.setdefault(int(pid), {})[slot] = v
        opt.load_state_dict({"state": state, "param_groups": meta["param_groups"][key]})
    return meta["progress"]
