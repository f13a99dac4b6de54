# %% [markdown]
# # 03 · Instruction fine-tuning — exercise solutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/solutions/03_instruction_finetuning_solutions.ipynb)
#
# Worked solutions to the exercises of `notebooks/03_instruction_finetuning.ipynb`. Exercises 3 and 5 compare with section
# 4's live full fine-tuning run, which is repeated here (a few CPU seconds: the same recipe, data and seed); exercise 4 needs the course tokenizer with its chat template, loaded
# from notebook 01's checkpoint (each model rebuilt with its recipe if missing).

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/solutions

# %% [markdown]
# **Exercise 1 (easy).** Copy the ids and overwrite the first `n_prompt_tokens` with -100.

# %%
from course_utils.exercises import check_prompt_mask


def mask_prompt_labels(input_ids: list[int], n_prompt_tokens: int) -> list[int]:
    return [-100] * n_prompt_tokens + input_ids[n_prompt_tokens:]


assert check_prompt_mask(mask_prompt_labels)

# %% [markdown]
# **Exercise 2 (medium).** A: r × d_in and B: d_out × r, per adapted matrix.

# %%
from course_utils.exercises import check_lora_parameters


def lora_parameters(shapes: list[tuple[int, int]], r: int) -> int:
    return sum(r * (d_in + d_out) for d_in, d_out in shapes)


assert check_lora_parameters(lora_parameters)

# %% [markdown]
# **Exercise 3 (medium).** Wrap, train with `LIVE` (not `lora_recipe(LIVE)`), return. Section 4's live full fine-tuning
# run is repeated first and scored on the same held-out instructions.

# %%
import copy

from course_utils.exercises import check_lora_at_full_ft_settings
from course_utils.finetuning import add_chat_template, instruction_score, lora_model
from course_utils.recipes import IFT, ensure_cpt, ift_examples, instruction_eval_set, live_recipe, run_ift

LIVE = live_recipe(IFT)
cpt_model, tokenizer = ensure_cpt()
add_chat_template(tokenizer)
eval_set = instruction_eval_set()
examples = ift_examples(tokenizer, IFT)
live_model = copy.deepcopy(cpt_model)
run_ift(live_model, tokenizer, examples, LIVE, run_name="03_full", disable_tqdm=True)
live_score = instruction_score(live_model, tokenizer, eval_set, IFT.max_new_tokens)


def lora_at_full_ft_settings():
    lora = lora_model(copy.deepcopy(cpt_model), r=IFT.lora_r, target_modules=("c_attn", "c_proj", "c_fc"))
    run_ift(lora, tokenizer, examples, LIVE, run_name="03_lora_full_ft_settings", disable_tqdm=True)
    return lora


assert check_lora_at_full_ft_settings(lora_at_full_ft_settings, tokenizer, eval_set, live_score.overall)

# %% [markdown]
# **Exercise 4 (stretch).** Read the pieces off `tokenizer.chat_template`: role tokens, newlines, and the end-of-text token closing the answer.

# %%
from course_utils.exercises import check_chat_format
from course_utils.finetuning import add_chat_template
from course_utils.recipes import ensure_pretrained

_, tokenizer = ensure_pretrained()
add_chat_template(tokenizer)


def format_chat(user_content: str, answer: str) -> str:
    return f"<|user|>\n{user_content}\n<|assistant|>\n{answer}<|endoftext|>"


assert check_chat_format(format_chat, tokenizer)

# %% [markdown]
# **Exercise 5 (experiment).** The baseline is section 4's live run, repeated in exercise 3's cell (`live_score`); the
# experiment repeats it from notebook 02's model with a tenth of the learning rate.
#
# *Prediction:* I expect the instruction score to go **down**: at a tenth of the rate the same number of steps moves the
# weights much less, so the model should learn less of the answer format and stop less often by itself.

# %%
import copy
import dataclasses

from course_utils.exercises import check_ift_experiment
from course_utils.finetuning import add_chat_template, instruction_score
from course_utils.recipes import IFT, ensure_cpt, ift_examples, instruction_eval_set, live_recipe, run_ift

cpt_model, tokenizer = ensure_cpt()
add_chat_template(tokenizer)
eval_set = instruction_eval_set()

PREDICTION = "down"
ift_recipe = dataclasses.replace(live_recipe(IFT), lr=IFT.lr / 10)
ift_model = copy.deepcopy(cpt_model)
ift_history = run_ift(ift_model, tokenizer, ift_examples(tokenizer, ift_recipe), ift_recipe, run_name="03_exercise", disable_tqdm=True)
ift_score = instruction_score(ift_model, tokenizer, eval_set, IFT.max_new_tokens)

assert check_ift_experiment(PREDICTION, ift_recipe, ift_history, ift_score, live_score, eval_set)
