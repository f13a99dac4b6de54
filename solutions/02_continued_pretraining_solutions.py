# %% [markdown]
# # 02 · Continued pre-training — exercise solutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/solutions/02_continued_pretraining_solutions.ipynb)
#
# Worked solutions to the exercises of `notebooks/02_continued_pretraining.ipynb`. They need notebook 01's tokenizer,
# loaded from the cache (or rebuilt with notebook 01's recipe if it is missing).

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/solutions

# %%
from course_utils.recipes import ensure_pretrained

_, tokenizer = ensure_pretrained()

# %% [markdown]
# **Exercise 1 (easy).** A context of C tokens holds C / (tokens per word) words.

# %%
from course_utils.exercises import check_words_per_context
from course_utils.models import tokens_per_word


def words_per_context(tokenizer, texts: list[str], context_length: int) -> float:
    return context_length / tokens_per_word(tokenizer, texts)


assert check_words_per_context(words_per_context, tokenizer)

# %% [markdown]
# **Exercise 2 (medium).** With n domain blocks and g general ones, g / (n + g) = f gives g = n·f / (1 − f).

# %%
from course_utils.exercises import check_replay_blocks


def replay_blocks_needed(n_domain_blocks: int, replay_fraction: float) -> int:
    return round(n_domain_blocks * replay_fraction / (1 - replay_fraction))


assert check_replay_blocks(replay_blocks_needed)

# %% [markdown]
# **Exercise 3 (stretch).** One stream of ids with a separator after each document, then a reshape.

# %%
import torch
from course_utils.exercises import check_packing


def pack_with_separator(tokenizer, texts: list[str], block_size: int) -> torch.Tensor:
    stream = []
    for text in texts:
        stream += tokenizer(text)["input_ids"] + [tokenizer.eos_token_id]
    n_blocks = len(stream) // block_size
    return torch.tensor(stream[: n_blocks * block_size], dtype=torch.long).view(n_blocks, block_size)


assert check_packing(pack_with_separator, tokenizer)

# %% [markdown]
# **Exercise 4 (experiment).** Section 5's CPT model without replay comes from the cache (`ensure_cpt()`); the experiment
# repeats CPT from notebook 01's model with a tenth of general text in the mix, the recipe unchanged.
#
# *Prediction:* I expect the general loss to go **down**: every step that reads Austen again pulls the weights back
# towards predicting her text, so even a small share should forget less than CPT on documentation alone.

# %%
from course_utils.exercises import check_replay_experiment
from course_utils.models import load_checkpoint
from course_utils.recipes import CPT, PRETRAIN, continue_pretraining, domain_texts, ensure_cpt, general_texts, mix_replay, to_blocks

cpt_model, _ = ensure_cpt()
block_size = PRETRAIN.model.context_length
domain_train_blocks, domain_val_blocks = to_blocks(tokenizer, *domain_texts(CPT), block_size, CPT.n_eval_blocks)
general_train_blocks, general_val_blocks = to_blocks(tokenizer, *general_texts(PRETRAIN), block_size, PRETRAIN.n_eval_blocks)
eval_sets = {"domain": domain_val_blocks, "general": general_val_blocks}

PREDICTION = "down"
REPLAY_FRACTION = 0.1
replay_model, _ = load_checkpoint("01_pretrained")
mixed_blocks = mix_replay(domain_train_blocks, general_train_blocks, REPLAY_FRACTION, seed=CPT.seed)
replay_history = continue_pretraining(replay_model, mixed_blocks, eval_sets, CPT, run_name="02_cpt_exercise", disable_tqdm=True)

assert check_replay_experiment(PREDICTION, REPLAY_FRACTION, replay_history, replay_model, cpt_model, general_val_blocks)
