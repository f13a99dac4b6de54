"""Per-block losses: the per-item scores behind notebook 02's paired perplexity claims."""

import math
from types import SimpleNamespace

import pytest
import torch

from course_utils.evaluation import block_losses, mean_loss


class UniformModel(torch.nn.Module):
    """A model that gives every token of a vocabulary of `size` the same logit: its loss is ln(size) everywhere."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size, self.anchor = size, torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, labels=None):
        logits = torch.zeros(*input_ids.shape, self.size) + self.anchor
        loss = None
        if labels is not None:
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, self.size), labels[:, 1:].reshape(-1))
        return SimpleNamespace(logits=logits, loss=loss)


class PeakedModel(UniformModel):
    """Puts all its probability on token 0: loss 0 where the next token is 0, large elsewhere."""

    def forward(self, input_ids, labels=None):
        logits = torch.full((*input_ids.shape, self.size), -30.0)
        logits[..., 0] = 30.0
        return SimpleNamespace(logits=logits + self.anchor, loss=None)


def test_a_uniform_model_loses_log_vocabulary_on_every_block():
    blocks = torch.randint(0, 50, (5, 9))
    assert block_losses(UniformModel(50), blocks, batch_size=2) == pytest.approx([math.log(50)] * 5)


def test_each_block_gets_its_own_loss_in_order():
    blocks = torch.tensor([[0, 0, 0, 0], [0, 1, 1, 1]])  # first block: every next token is 0; second: none is
    first, second = block_losses(PeakedModel(4), blocks)
    assert first == pytest.approx(0.0, abs=1e-6) and second == pytest.approx(60.0, rel=1e-3)


def test_the_mean_of_equal_blocks_is_the_mean_loss():
    blocks = torch.randint(0, 20, (6, 8))
    model = UniformModel(20)
    assert sum(block_losses(model, blocks)) / 6 == pytest.approx(mean_loss(model, blocks))


def test_no_blocks_is_refused():
    with pytest.raises(ValueError, match="at least one block"):
        block_losses(UniformModel(3), torch.zeros((0, 4), dtype=torch.long))
