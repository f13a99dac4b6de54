# %% [markdown]
# # 01 · Pre-training — exercise solutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/solutions/01_pretraining_solutions.ipynb)
#
# Worked solutions to the exercises of `notebooks/01_pretraining.ipynb`. Try them first. Exercises 1-3 need no trained
# model, only formulas; exercise 4 trains a short run of its own.

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/solutions

# %% [markdown]
# **Exercise 1 (easy).** Per block with width d: attention has a (d × 3d) projection for queries, keys and values
# plus a (d × d) output projection: 4d². The MLP goes d → 4d → d: 8d². The course's GPT has no bias vectors, so that is
# all; its two layer norms have a scale each (no shift): 2d. Around the blocks: token embeddings V·d (shared with the
# output head), position embeddings C·d and a final layer norm d. (Stock GPT-2 adds biases: 13d more per block, d more
# for the final norm.)

# %%
from course_utils.exercises import check_parameter_formula


def gpt2_parameters(vocab_size: int, context_length: int, n_layer: int, n_embd: int) -> int:
    d = n_embd
    per_block = 4 * d * d + 8 * d * d + 2 * d
    return vocab_size * d + context_length * d + n_layer * per_block + d


assert check_parameter_formula(gpt2_parameters)

# %% [markdown]
# **Exercise 2 (medium).** Position t predicts token t+1: drop the last logit and the first target, then flatten.

# %%
import torch
import torch.nn.functional as F
from course_utils.exercises import check_next_token_loss


def next_token_loss(logits: torch.Tensor, input_ids: torch.Tensor) -> float:
    vocab_size = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, vocab_size), input_ids[:, 1:].reshape(-1)).item()


assert check_next_token_loss(next_token_loss)

# %% [markdown]
# **Exercise 3 (stretch).** FLOPs = 6·N·D; the cluster delivers GPUs × peak × utilisation FLOP/s; a day is 86,400 s.

# %%
from course_utils.costs import ClusterAssumptions
from course_utils.exercises import check_training_days


def training_days(n_parameters: float, n_tokens: float, n_gpus: int, peak_flops_per_gpu: float, utilisation: float) -> float:
    flops = 6 * n_parameters * n_tokens
    return flops / (n_gpus * peak_flops_per_gpu * utilisation) / 86_400


assert check_training_days(training_days)
defaults = ClusterAssumptions()
print(f"405B parameters on 15.6T tokens with 16,384 GPUs: {training_days(405e9, 15.6e12, 16_384, defaults.peak_flops_per_gpu, defaults.utilisation):.0f} days")

# %% [markdown]
# **Exercise 4 (experiment).** Notebook 01's trained model comes from the cache (`ensure_pretrained()`, rebuilt with the
# recipe if missing); the experiment trains a fresh model for a sixth of the recipe's steps on the same blocks.
#
# *Prediction:* I expect the validation loss to go **up**: the short run reads a sixth of the tokens, and section 5's
# curve was still falling when it stopped, so fewer steps should leave the model less sure of the next token.

# %%
import dataclasses

from course_utils.exercises import check_pretraining_experiment
from course_utils.recipes import PRETRAIN, ensure_pretrained, fresh_model, general_texts, pretrain, to_blocks

model, tokenizer = ensure_pretrained()
train_blocks, val_blocks = to_blocks(tokenizer, *general_texts(PRETRAIN), PRETRAIN.model.context_length, PRETRAIN.n_eval_blocks)

PREDICTION = "up"
short_recipe = dataclasses.replace(PRETRAIN, num_steps=100)
steps_model = fresh_model(tokenizer, short_recipe)
steps_history = pretrain(steps_model, train_blocks, val_blocks, short_recipe, disable_tqdm=True)

assert check_pretraining_experiment(PREDICTION, steps_history, steps_model, model, val_blocks)
