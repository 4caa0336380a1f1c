"""Small torch helpers that are not about any one model."""

from __future__ import annotations

from contextlib import contextmanager

import torch.nn as nn


@contextmanager
def evaluating(module: nn.Module):
    """Run `module` in eval mode (BatchNorm uses its running statistics), then restore its mode.

    Drawing pictures mid-training must not depend on the batch, nor leave the network in eval mode.
    """
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)
