# %% [markdown]
# # 06 · Prompt engineering — exercise solutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/solutions/06_prompt_engineering_solutions.ipynb)
#
# Worked solutions to the exercises of `notebooks/06_prompt_engineering.ipynb`. Try them yourself first. Exercise 3
# needs the course's IFT model from notebook 03, loaded through `course_utils` (`ensure_ift()` rebuilds it if missing);
# every check is `assert`ed, so CI proves each exercise is solvable.

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/solutions

# %% [markdown]
# **Exercise 1 (easy).** One block per shot, the open question last, blocks joined by a blank line.

# %%
from course_utils.exercises import check_few_shot_prompt


def few_shot_prompt(instruction: str, shots: list[tuple[str, str]], question: str) -> str:
    blocks = [instruction] + [f"Question: {q}\nTeam: {label}" for q, label in shots] + [f"Question: {question}\nTeam:"]
    return "\n\n".join(blocks)


assert check_few_shot_prompt(few_shot_prompt)

# %% [markdown]
# **Exercise 2 (medium).** Start at the first `{` and let `json.JSONDecoder().raw_decode` read exactly one value (text
# after it is ignored); keep it only if it is an object with every key.

# %%
import json

from course_utils.exercises import check_parse_json_reply


def parse_json_reply(text: str, keys: list[str]) -> dict | None:
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and all(key in value for key in keys) else None


assert check_parse_json_reply(parse_json_reply)

# %% [markdown]
# **Exercise 3 (stretch).** Write the IFT model's turn markers by hand, exactly as its chat template renders one user
# turn and opens the assistant's: `<|user|>`, a newline, the instruction and the passage on their own lines, then
# `<|assistant|>` and a newline.

# %%
from course_utils.exercises import check_ift_prompt
from course_utils.prompt_eval import SOURCE_INSTRUCTION
from course_utils.recipes import ensure_ift

model, tokenizer = ensure_ift()


def ift_prompt(passage: str) -> str:
    return f"<|user|>\n{SOURCE_INSTRUCTION}\n{passage}\n<|assistant|>\n"


assert check_ift_prompt(ift_prompt, model, tokenizer)

# %% [markdown]
# **Exercise 4 (experiment).** The baseline is SmolLM2's `"chat, zero-shot"` run on the source task (the notebook's 16 test
# passages), evaluated again here; the variant adds two examples from the task's training pool, balanced over
# the labels, and changes nothing else.
#
# *Prediction:* I expect the accuracy to go **up**: two labelled passages show the model both answers and the one-word
# reply format, which a zero-shot instruction only describes.

# %%
from course_utils import prompt_eval as pe
from course_utils.exercises import check_prompt_experiment
from course_utils.pretrained import load_chat_model

smol, smol_tokenizer = load_chat_model()
source = pe.source_task(n=16)  # the notebook's sample of test passages (its N_SOURCE)
baseline_result = pe.evaluate_variant(smol, smol_tokenizer, pe.PromptVariant("chat, zero-shot"), source)

PREDICTION = "up"
my_variant_result = pe.evaluate_variant(smol, smol_tokenizer, pe.PromptVariant("chat, 2-shot", k=2), source)

assert check_prompt_experiment(PREDICTION, my_variant_result, baseline_result, source)
