"""The lecture ladder (core/gpt/ladder.py): each rung's config builds the model it names, the shipped rungs load and
their metadata agrees with a recomputation on the real text."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

import pytest
import torch
import torch.nn as nn

from core import LADDER, load_gpt, registry
from core.gpt import ladder
from core.gpt.model import GPT, BigramLanguageModel
from core.gpt.train import full_loss, split
from core.training.checkpoint import load_meta, weights_dir
from core.training.data import load_shakespeare

V = 65


def silence_branches(model: GPT) -> GPT:
    """Zero the last layer of every branch (attention's projection, feed-forward's output), so each branch
    adds exactly nothing: what a block then returns shows whether its input goes around the branch."""
    with torch.no_grad():
        for block in model.blocks:
            for layer in (block.sa.proj, *([block.ffwd.net[2]] if block.ffwd is not None else [])):
                layer.weight.zero_()
                layer.bias.zero_()
    return model.eval()


def test_the_ladder_is_the_registry_s_list_in_the_lecture_s_order():
    assert LADDER == registry.LADDER == tuple(ladder.CONFIGS) == tuple(ladder.CODE)
    assert LADDER[0] == "ladder-bigram" and LADDER[-1] == "ladder-dropout" and len(LADDER) == 8
    assert all(registry.entry(n).ladder and registry.entry(n).family == "gpt" for n in LADDER)
    assert not set(LADDER) & set(registry.names(page="gpt_generation"))  # the picker keeps its two models


def test_each_rung_differs_from_the_one_below_in_one_idea():
    configs = [asdict(ladder.CONFIGS[n]) for n in LADDER[1:]]
    changed = [{k for k in below if below[k] != rung[k]} for below, rung in zip(configs, configs[1:])]
    assert changed == [{"n_head"}, {"feed_forward"}, {"n_layer"}, {"residual"}, {"layer_norm"}, {"dropout"}]
    for cfg in ladder.CONFIGS.values():  # one budget: the same width and context everywhere
        assert cfg is None or (cfg.n_embd, cfg.block_size) == (ladder.WIDTH.n_embd, ladder.WIDTH.block_size)
    assert {f.name for f in fields(ladder.CONFIGS["ladder-attention"])} >= {"feed_forward", "residual", "layer_norm"}


def test_the_first_rungs_build_the_lecture_s_small_models():
    assert isinstance(ladder.build("ladder-bigram", V), BigramLanguageModel)
    one = ladder.build("ladder-attention", V)
    assert len(one.blocks) == 1 and len(one.blocks[0].sa.heads) == 1 and one.blocks[0].ffwd is None
    assert one.blocks[0].sa.heads[0].key.out_features == ladder.WIDTH.n_embd  # one head as wide as the model
    assert len(ladder.build("ladder-multihead", V).blocks[0].sa.heads) == ladder.WIDTH.n_head
    assert ladder.build("ladder-feedforward", V).blocks[0].ffwd is not None
    assert len(ladder.build("ladder-blocks", V).blocks) == ladder.WIDTH.n_layer


def test_blocks_has_no_residual_path_and_residual_has_one():
    torch.manual_seed(0)
    x = torch.randn(2, 5, ladder.WIDTH.n_embd)
    plain = silence_branches(ladder.build("ladder-blocks", V)).blocks[0]
    residual = silence_branches(ladder.build("ladder-residual", V)).blocks[0]
    # with silent branches a block with a residual path returns its input; one without returns nothing of it
    assert torch.equal(residual(x), x)
    assert torch.count_nonzero(plain(x)) == 0


def test_layernorm_and_dropout_come_in_at_their_rungs():
    def norms(name):
        return sum(isinstance(m, nn.LayerNorm) for m in ladder.build(name, V).modules())

    assert [norms(n) for n in LADDER[1:]] == [0, 0, 0, 0, 0, 2 * ladder.WIDTH.n_layer + 1, 2 * ladder.WIDTH.n_layer + 1]
    assert [ladder.CONFIGS[n].dropout > 0 for n in LADDER[1:]] == [False] * 6 + [True]
    full = ladder.build("ladder-dropout", V).train()
    x = torch.randint(V, (2, 16))
    assert not torch.equal(full(x)[0], full(x)[0])  # training: dropout draws a new mask each pass
    full.eval()
    assert torch.equal(full(x)[0], full(x)[0])  # writing: no dropout


def test_the_code_shown_is_the_real_source_of_what_each_rung_adds():
    assert "x + branch if self.residual else branch" in ladder.code("ladder-residual")
    assert "nn.LayerNorm if cfg.layer_norm else nn.Identity" in ladder.code("ladder-layernorm")
    assert "scaled_dot_product_attention" in ladder.code("ladder-attention")
    dropout = ladder.code("ladder-dropout")
    assert "Dropout" in dropout and all(
        "dropout" in line.lower() for line in dropout.splitlines() if line and not line.startswith("#")
    )
    for name in LADDER:
        assert ladder.code(name).startswith("# ")  # each block of lines is headed by what it comes from


@pytest.mark.parametrize(
    "below,rung,kind",
    [([2.5, 2.52], [2.3, 2.31], "helps"), ([2.5, 2.52], [2.49, 2.5], "unclear"), ([2.0, 2.01], [2.2, 2.22], "hurts")],
)
def test_a_step_is_judged_against_the_seed_to_seed_noise(below, rung, kind):
    change, noise, verdict = ladder.verdict(below, rung)
    assert verdict == kind
    assert noise == pytest.approx(0.02) and change == pytest.approx(sum(rung) / 2 - sum(below) / 2)


@pytest.mark.parametrize("name", LADDER)
def test_every_rung_ships_and_loads_like_the_shipped_models(name):
    model = load_gpt(name)
    meta = load_meta(name)
    assert not model.training and model.tokenizer is not None and model.vocab_size == V
    assert model.block_size == (1 if name == "ladder-bigram" else ladder.WIDTH.block_size)
    assert meta["train_config"] == asdict(ladder.BUDGET)  # every rung on the one budget
    assert [s["seed"] for s in meta["seeds"]] == list(ladder.SEEDS)
    assert meta["metrics"]["val_loss"] == meta["seeds"][0]["val_loss"]  # the first seed's weights ship
    assert (weights_dir() / f"{name}.safetensors").stat().st_size <= 25 * 2**20
    assert json.loads((weights_dir() / f"{name}.json").read_text())["preset"] == name


def test_the_shipped_losses_are_what_the_weights_give_on_the_real_text(shakespeare_dir):
    text = load_shakespeare(shakespeare_dir)
    for name in LADDER:
        model, meta = load_gpt(name), load_meta(name)
        ids = torch.tensor(model.tokenizer.encode(text), dtype=torch.long)
        train, val = split(ids)
        block = meta["metrics"]["eval_block_size"]
        with torch.no_grad():
            assert full_loss(model, val, block) == pytest.approx(meta["metrics"]["val_loss"], abs=2e-3)
            windows = (len(val) - 1) // block
            assert full_loss(model, train, block, max_windows=windows) == pytest.approx(meta["metrics"]["train_loss"], abs=2e-3)
