"""Checkpoints: safetensors + JSON, clear errors for missing, corrupt and mismatched files."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.mnist.classifier import ClassifierConfig, DigitClassifier, load_classifier
from core.training.checkpoint import (
    MissingWeightsError,
    WeightsError,
    load_meta,
    load_state,
    load_training_state,
    portable_command,
    save_checkpoint,
    save_training_state,
    weights_dir,
)


def small_classifier():
    torch.manual_seed(0)
    return DigitClassifier(ClassifierConfig(channels=4, features=8))


def test_round_trip_keeps_parameters_and_meta(tmp_path):
    model = small_classifier()
    save_checkpoint(
        model, "classifier", {"config": {"channels": 4, "features": 8, "dropout": 0.25}, "metrics": {"test_accuracy": 0.5}}, tmp_path
    )
    meta = load_meta("classifier", tmp_path)
    assert meta["metrics"]["test_accuracy"] == 0.5
    assert meta["parameters"] == sum(p.numel() for p in model.parameters())
    assert {"date", "hardware", "command"} <= set(meta)
    loaded = load_classifier(tmp_path)
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    assert not loaded.training


def test_half_precision_files_load_as_float32(tmp_path):
    model = small_classifier()
    save_checkpoint(model, "classifier", {"config": {"channels": 4, "features": 8, "dropout": 0.25}}, tmp_path, dtype=torch.float16)
    loaded = load_classifier(tmp_path)
    w = next(loaded.parameters())
    assert w.dtype == torch.float32
    assert torch.allclose(w, next(model.parameters()), atol=1e-3)


def test_missing_file_names_the_command_that_trains_it(tmp_path):
    with pytest.raises(MissingWeightsError, match="python scripts/train_vae.py --latent-dim 16"):
        load_meta("vae-z16", tmp_path)


def test_corrupt_file_is_a_clear_error_naming_the_file(tmp_path):
    model = small_classifier()
    save_checkpoint(model, "classifier", {"config": {"channels": 4, "features": 8, "dropout": 0.25}}, tmp_path)
    (tmp_path / "classifier.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(WeightsError, match="classifier.safetensors is corrupt"):
        load_classifier(tmp_path)
    (tmp_path / "classifier.json").write_text("{not json")
    with pytest.raises(WeightsError, match="classifier.json is not valid JSON"):
        load_meta("classifier", tmp_path)


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    save_checkpoint(small_classifier(), "classifier", {"config": {"channels": 4, "features": 8, "dropout": 0.25}}, tmp_path)
    with pytest.raises(WeightsError, match="does not fit"):
        load_state(DigitClassifier(ClassifierConfig(channels=8, features=8)), "classifier", tmp_path)


def test_loading_never_unpickles(tmp_path):
    """A pickle renamed to .safetensors is rejected, not executed."""
    model = small_classifier()
    torch.save(model.state_dict(), tmp_path / "classifier.safetensors")
    (tmp_path / "classifier.json").write_text(json.dumps({"config": {"channels": 4, "features": 8, "dropout": 0.25}}))
    with pytest.raises(WeightsError):
        load_classifier(tmp_path)


def test_training_state_resumes_model_and_optimizer(tmp_path):
    model = small_classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.rand(2, 1, 28, 28)).sum().backward()
    opt.step()
    save_training_state(tmp_path / "state", {"model": model}, {"opt": opt}, {"epoch": 3})
    model2 = small_classifier()
    opt2 = torch.optim.Adam(model2.parameters(), lr=1e-3)
    assert load_training_state(tmp_path / "state", {"model": model2}, {"opt": opt2}) == {"epoch": 3}
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), model2.parameters()))
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert s1.keys() == s2.keys() and all(torch.equal(s1[k]["exp_avg"], s2[k]["exp_avg"]) for k in s1)


def test_metadata_command_carries_no_machine_paths(tmp_path, monkeypatch):
    """The recorded command reruns anywhere: the script relative to the repository, the data root as
    <data>, paths in the repository relative to it, any other path a placeholder."""
    root = Path(__file__).resolve().parents[1]
    argv = [str(root / "scripts" / "train_gpt.py"), "--preset", "ladder-bigram", "--out-dir", str(root / "weights"),
            "--data-dir", "/home/someone/data", "--json=/tmp/x/bench.json", "--lr", "3e-4"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    save_checkpoint(small_classifier(), "classifier", {"config": {"channels": 4, "features": 8, "dropout": 0.25}}, tmp_path)
    command = load_meta("classifier", tmp_path)["command"]
    assert command == (
        "python scripts/train_gpt.py --preset ladder-bigram --out-dir weights --data-dir <data> --json=<json> --lr 3e-4"
    )


def test_portable_command_makes_relative_paths_from_the_repository_root(tmp_path):
    root = tmp_path / "genlab"
    (root / "scripts").mkdir(parents=True)
    assert portable_command(["train_vae.py", "--data-dir=../data", "--out-dir", "runs/a"], root=root, cwd=root / "scripts") == (
        "python scripts/train_vae.py --data-dir=<data> --out-dir scripts/runs/a"
    )
    assert portable_command(["scripts/train_gan.py", "--out-dir", "../elsewhere"], root=root, cwd=root) == (
        "python scripts/train_gan.py --out-dir <out-dir>"
    )


def test_shipped_metadata_commands_rerun_anywhere():
    for path in sorted(weights_dir().glob("*.json")):
        meta = json.loads(path.read_text())
        for key in ("command", "command_before_resume"):
            command = meta.get(key, "")
            assert command.startswith("python scripts/") or not command, (path.name, command)
            assert not re.search(r"(^|[\s=])(/|~|\.\.)", command), (path.name, command)
            assert "--data-dir" not in command or "--data-dir <data>" in command, (path.name, command)


def test_fix_commands_rewrites_old_metadata_in_place(tmp_path):
    """scripts/fix_commands.py: metadata written before commands were portable is mended without retraining."""
    old = {"name": "ladder-bigram", "command": "python /build/genlab/scripts/train_gpt.py --preset ladder-bigram --out-dir "
           "/build/genlab/weights --data-dir /build/data", "metrics": {"val_loss": 2.4839}}  # fmt: skip
    path = tmp_path / "ladder-bigram.json"
    path.write_text(json.dumps(old, indent=2) + "\n")
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, str(root / "scripts" / "fix_commands.py"), str(path)], check=True, capture_output=True)
    new = json.loads(path.read_text())
    assert new["command"] == "python scripts/train_gpt.py --preset ladder-bigram --out-dir weights --data-dir <data>"
    assert {k: v for k, v in new.items() if k != "command"} == {k: v for k, v in old.items() if k != "command"}
