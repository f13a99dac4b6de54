"""The course's tiny GPT as a transformers model: GPT-2 without bias vectors.

It is transformers' own `GPT2LMHeadModel` (attention, generation, key/value cache, saving and loading all
unchanged) with each projection a bias-free `nn.Linear` and each layer norm a scale without a shift, as in
nanoGPT's default (`bias=False`). On a CPU the biases cost a few percent of a training step at this size: every
layer copies its bias into the output before the matrix product and sums its gradient afterwards, and each bias is
one more tensor for autograd, the gradient clipping and the optimizer. `benchmarks/bench_pretraining.py` times this
model and the stock GPT-2 side by side (`benchmarks/RESULTS.md`).

Importing this module registers the model type with `AutoConfig` and `AutoModelForCausalLM`, so the course's
checkpoints load with `AutoModelForCausalLM.from_pretrained` (`models.load_checkpoint` does it for you).
"""

from __future__ import annotations

import math

from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel

MODEL_TYPE = "course_tiny_gpt"


class TinyGPT2Config(GPT2Config):
    """GPT-2's configuration (same fields) under the course's model type, whose layers carry no bias vectors."""

    model_type = MODEL_TYPE


class TinyGPT2ForCausalLM(GPT2LMHeadModel):
    """`GPT2LMHeadModel` whose projections are bias-free `nn.Linear` layers and whose layer norms have no shift."""

    config_class = TinyGPT2Config

    def __init__(self, config: TinyGPT2Config) -> None:
        super().__init__(config)
        for block in self.transformer.h:
            _remove_biases(block, config)
        self.transformer.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon, bias=False)


def _remove_biases(block: nn.Module, config: TinyGPT2Config) -> None:
    """Replace one GPT-2 block's projections and layer norms with bias-free ones, initialised as GPT-2 does."""
    d, std = config.n_embd, config.initializer_range
    residual_std = std / math.sqrt(2 * config.n_layer)  # GPT-2's scaled init of the layers that write to the residual stream
    block.attn.c_attn = _linear(d, 3 * d, std)
    block.attn.c_proj = _linear(d, d, residual_std)
    block.mlp.c_fc = _linear(d, 4 * d, std)
    block.mlp.c_proj = _linear(4 * d, d, residual_std)
    block.ln_1 = nn.LayerNorm(d, eps=config.layer_norm_epsilon, bias=False)
    block.ln_2 = nn.LayerNorm(d, eps=config.layer_norm_epsilon, bias=False)


def _linear(n_in: int, n_out: int, std: float) -> nn.Linear:
    layer = nn.Linear(n_in, n_out, bias=False)
    nn.init.normal_(layer.weight, mean=0.0, std=std)
    return layer


AutoConfig.register(MODEL_TYPE, TinyGPT2Config, exist_ok=True)
AutoModelForCausalLM.register(TinyGPT2Config, TinyGPT2ForCausalLM, exist_ok=True)
