"""The training scripts under torchrun: two CPU processes (gloo) must train exactly as one process
does on the same global batch and seed, write loadable weights, resume, and fail as a whole."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from conftest import ROOT
from core.gan.history import losses_from_tensors
from core.gan.model import load_generator, load_history
from core.gpt.model import load_gpt
from core.mnist.classifier import ClassifierConfig, DigitClassifier, load_classifier
from core.training.checkpoint import load_meta, save_checkpoint
from core.training.distributed import Dist, plan_batches
from core.vae.model import load_vae

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}  # two processes on two cores


def train(script: str | Path, *args, nproc: int = 0, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run scripts/<script> as one plain process (nproc=0) or under torchrun with nproc processes."""
    launcher = (
        [sys.executable]
        if not nproc
        else [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)]
    )
    path = script if Path(script).is_absolute() else str(ROOT / "scripts" / script)
    return subprocess.run([*launcher, path, *map(str, args)], cwd=ROOT, env=env or ENV, capture_output=True, text=True, timeout=180)


def ok(run: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """The run succeeded; else show what the failing rank said first, then the launcher's summary."""
    out = run.stdout + run.stderr
    first = re.search(r"Fatal Python error|terminate called|Traceback", out)
    assert run.returncode == 0, out[first.start() : first.start() + 3000] + "\n...\n" + out[-1500:] if first else out[-3000:]
    return run


def assert_same_tensors(a: Path, b: Path, lr: float, rtol: float = 1e-4) -> None:
    """Two safetensors files hold the same tensors to float tolerance (sums run in another order).

    Each tensor is compared relative to its largest entry. Adam's moments (the "opt:" tensors, the
    gradients themselves) must agree that closely. Weights get a quarter of the learning rate on top:
    Adam moves a weight by about lr whatever its gradient's size, so a gradient that is zero up to
    rounding may move it by another fraction of lr in each run.
    """
    ta, tb = load_file(str(a)), load_file(str(b))
    assert ta.keys() == tb.keys()
    for k in ta:
        scale = ta[k].float().abs().max().item()
        atol = rtol * scale + (0 if k.startswith("opt:") else lr / 4)
        torch.testing.assert_close(tb[k].float(), ta[k].float(), rtol=rtol, atol=atol, msg=k)


# -- the batch plan (no processes) -----------------------------------------------------------------


def test_plan_keeps_the_global_batch_whatever_the_world_size():
    assert plan_batches(32, 1) == (1, 32)
    assert plan_batches(32, 2) == (1, 16)
    assert plan_batches(32, 2, grad_accum=4) == (4, 4)
    assert plan_batches(64, 4, micro_batch=5) == (4, 4)  # fewest steps with micro-batches that fit
    with pytest.raises(ValueError, match="split evenly over 3"):
        plan_batches(32, 3)
    with pytest.raises(ValueError, match="3 equal micro-batches"):
        plan_batches(32, 2, grad_accum=3)


def test_each_rank_keeps_its_own_rows():
    batch = torch.arange(8)
    assert Dist().mine(batch) is batch
    assert Dist(rank=1, world_size=2, backend="gloo").mine(batch).tolist() == [4, 5, 6, 7]


# -- two processes train as one ----------------------------------------------------------------------


def test_gpt_two_processes_with_accumulation_match_one_process_and_resume(tiny_shakespeare, tmp_path):
    # The cpu preset with a batch of 8: one process takes it whole; two take 4 rows each in two
    # micro-batches of 2. Dropout off: its masks are per rank by design. Eval after every step.
    args = [
        "--data-dir",
        tiny_shakespeare,
        "--device",
        "cpu",
        "--preset",
        "cpu",
        "--max-iters",
        3,
        "--eval-interval",
        1,
        "--eval-iters",
        2,
        "--batch-size",
        8,
        "--dropout",
        0,
    ]
    ok(train("train_gpt.py", *args, "--out-dir", tmp_path / "one"))
    ok(train("train_gpt.py", *args, "--out-dir", tmp_path / "two", "--grad-accum", 2, nproc=2))

    one, two = load_meta("gpt-shakespeare", tmp_path / "one"), load_meta("gpt-shakespeare", tmp_path / "two")
    assert [c["iter"] for c in two["curve"]] == [1, 2, 3]
    for a, b in zip(one["curve"], two["curve"]):
        assert b["train"] == pytest.approx(a["train"], abs=2e-4) and b["val"] == pytest.approx(a["val"], abs=2e-4)
    assert two["distributed"] == {"world_size": 2, "backend": "gloo", "grad_accum": 2, "micro_batch": 2}
    assert one["distributed"] == {"world_size": 1, "backend": None, "grad_accum": 1, "micro_batch": 8}
    # parameters and AdamW's moments, in float32, after the last step
    state = "runs/gpt-shakespeare/state.safetensors"
    assert_same_tensors(tmp_path / "one" / state, tmp_path / "two" / state, lr=2e-3)
    assert load_gpt("gpt-shakespeare", tmp_path / "two").tokenizer.vocab_size == one["config"]["vocab_size"]

    # Resuming: rank 0 reads the saved state and hands it to rank 1. Had rank 1 kept fresh optimizer
    # moments, the ranks' parameters would drift apart and the end-of-run check would fail the run.
    run = ok(train("train_gpt.py", *args, "--out-dir", tmp_path / "two", "--grad-accum", 2, "--max-iters", 4, "--resume", nproc=2))
    assert "resumed at iteration 3" in run.stdout
    assert [c["iter"] for c in load_meta("gpt-shakespeare", tmp_path / "two")["curve"]] == [1, 2, 3, 4]


def test_gan_steps_on_two_processes_match_one_process(tiny_mnist, tmp_path):
    # BatchNorm normalises over the global batch on both ranks, so each step is the same step:
    # the losses of the second step show the first step's updates of both networks.
    clf_dir = tmp_path / "clf"
    save_checkpoint(
        DigitClassifier(ClassifierConfig(channels=4, features=8)).eval(),
        "classifier",
        {"config": {"channels": 4, "features": 8, "dropout": 0.25}},
        clf_dir,
    )
    env = {**ENV, "GENLAB_WEIGHTS": str(clf_dir)}
    args = ["--data-dir", tiny_mnist, "--device", "cpu", "--max-steps", 2, "--batch-size", 16, "--channels", 8, "--d-channels", 6]
    ok(train("train_gan.py", *args, "--out-dir", tmp_path / "one", env=env))
    ok(train("train_gan.py", *args, "--out-dir", tmp_path / "two", nproc=2, env=env))

    (t_one, _), (t_two, two) = load_history(tmp_path / "one"), load_history(tmp_path / "two")
    a, b = losses_from_tensors(t_one), losses_from_tensors(t_two)
    assert b["step"] == [1, 2]
    for k in ("loss_d", "loss_g", "d_real", "d_fake"):
        assert b[k] == pytest.approx(a[k], rel=1e-5), k
    # the generator's moving average, BatchNorm statistics included
    assert_same_tensors(tmp_path / "one" / "gan.safetensors", tmp_path / "two" / "gan.safetensors", lr=2e-4)
    assert two["distributed"] == {"world_size": 2, "backend": "gloo"}
    assert load_generator(tmp_path / "two")(torch.zeros(2, 64)).shape == (2, 1, 28, 28)


def test_vae_step_on_two_processes_with_accumulation_matches_one_process(tiny_mnist, tmp_path):
    # The reparameterisation's noise is drawn for the whole batch; each rank keeps its rows.
    name = "vae-z2"
    args = [
        "--data-dir",
        tiny_mnist,
        "--device",
        "cpu",
        "--max-steps",
        1,
        "--epochs",
        1,
        "--batch-size",
        32,
        "--latent-dim",
        2,
        "--name",
        name,
    ]
    ok(train("train_vae.py", *args, "--out-dir", tmp_path / "one"))
    ok(train("train_vae.py", *args, "--out-dir", tmp_path / "two", "--grad-accum", 2, nproc=2))

    one, two = load_meta(name, tmp_path / "one"), load_meta(name, tmp_path / "two")
    assert two["history"][0]["train_loss"] == pytest.approx(one["history"][0]["train_loss"], rel=1e-5)
    state = f"runs/{name}/state.safetensors"
    assert_same_tensors(tmp_path / "one" / state, tmp_path / "two" / state, lr=1e-3)
    assert two["distributed"]["world_size"] == 2 and two["distributed"]["micro_batch"] == 8
    assert load_vae(name, tmp_path / "two").decode(torch.zeros(1, 2)).shape == (1, 1, 28, 28)


def test_classifier_smoke_run_under_torchrun_writes_loadable_weights(tiny_mnist, tmp_path):
    ok(
        train(
            "train_classifier.py",
            "--data-dir",
            tiny_mnist,
            "--device",
            "cpu",
            "--max-steps",
            2,
            "--epochs",
            1,
            "--batch-size",
            32,
            "--grad-accum",
            2,
            "--out-dir",
            tmp_path,
            nproc=2,
        )
    )
    assert load_classifier(tmp_path)(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    meta = json.loads((tmp_path / "classifier.json").read_text())
    assert meta["distributed"] == {"world_size": 2, "backend": "gloo", "grad_accum": 2, "micro_batch": 8}


def test_close_frees_the_dropped_ddp_wrappers_before_it_leaves_the_group(tmp_path):
    # A DDP wrapper sits in a reference cycle; left to interpreter shutdown, its reducer's gloo threads
    # can abort a finished run. With the collector off, only close() can free it in time.
    script = tmp_path / "close.py"
    script.write_text(
        textwrap.dedent(f"""
        import gc, sys, weakref
        sys.path.insert(0, {str(ROOT)!r})
        import torch
        from core.training.distributed import init
        gc.disable()
        run, _ = init(torch.device("cpu"))
        fwd = run.wrap(torch.nn.Linear(4, 4))
        fwd(torch.randn(2, 4)).sum().backward()
        alive = weakref.ref(fwd)
        fwd = None
        assert alive() is not None, "no cycle: this test would prove nothing"
        run.close()
        assert alive() is None, "close() left the DDP wrapper alive"
        print("closed clean")
    """)
    )
    assert ok(train(script, nproc=2)).stdout.count("closed clean") == 2


# -- failing ----------------------------------------------------------------------------------------


def test_a_failing_rank_fails_the_whole_run_with_its_message(tiny_shakespeare, tmp_path):
    # Rank 1 breaks in its second step while rank 0 waits for it in an all-reduce.
    wrapper = tmp_path / "break_rank_1.py"
    wrapper.write_text(
        textwrap.dedent(f"""
        import os, runpy, sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "scripts")!r}]
        import core.gpt.train as lm
        step = lm.train_step
        def train_step(*args, **kwargs):
            if os.environ["RANK"] == "1" and args[5] == 1:
                raise RuntimeError("rank 1 ran out of luck")
            return step(*args, **kwargs)
        lm.train_step = train_step
        sys.argv[0] = {str(ROOT / "scripts" / "train_gpt.py")!r}
        runpy.run_path(sys.argv[0], run_name="__main__")
    """)
    )
    run = train(
        wrapper,
        "--data-dir",
        tiny_shakespeare,
        "--device",
        "cpu",
        "--preset",
        "bigram",
        "--max-iters",
        5,
        "--batch-size",
        8,
        "--out-dir",
        tmp_path / "out",
        nproc=2,
    )
    assert run.returncode != 0
    assert "RuntimeError: rank 1 ran out of luck" in run.stderr
    assert not (tmp_path / "out" / "bigram.safetensors").exists()
