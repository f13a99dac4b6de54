import sys; sys.path.insert(0, __import__("os").path.dirname(__file__))
from nbtools import build, colab_badge, COLAB_CELL
cells = [
("md", f"""
# 03 · Instruction fine-tuning — exercise solutions

{colab_badge("solutions/03_instruction_finetuning_solutions.ipynb")}

Worked solutions to the exercises of `notebooks/03_instruction_finetuning.ipynb`. Exercise 3 needs the course tokenizer
with its chat template, loaded from notebook 01's checkpoint (rebuilt with its recipe if missing).
"""),
("code", COLAB_CELL.replace("%cd /content/course/notebooks", "%cd /content/course/solutions")),
("md", "**Exercise 1 (easy).** Copy the ids and overwrite the first `n_prompt_tokens` with -100."),
("code", """
from course_utils.exercises import check_prompt_mask


def mask_prompt_labels(input_ids: list[int], n_prompt_tokens: int) -> list[int]:
    return [-100] * n_prompt_tokens + input_ids[n_prompt_tokens:]


assert check_prompt_mask(mask_prompt_labels)
"""),
("md", "**Exercise 2 (medium).** A: r × d_in and B: d_out × r, per adapted matrix."),
("code", """
from course_utils.exercises import check_lora_parameters


def lora_parameters(shapes: list[tuple[int, int]], r: int) -> int:
    return sum(r * (d_in + d_out) for d_in, d_out in shapes)


assert check_lora_parameters(lora_parameters)
"""),
("md", "**Exercise 3 (stretch).** Read the pieces off `tokenizer.chat_template`: role tokens, newlines, and the end-of-text token closing the answer."),
("code", """
from course_utils.exercises import check_chat_format
from course_utils.finetuning import add_chat_template
from course_utils.recipes import ensure_pretrained

_, tokenizer = ensure_pretrained()
add_chat_template(tokenizer)


def format_chat(user_content: str, answer: str) -> str:
    return f"<|user|>\\n{user_content}\\n<|assistant|>\\n{answer}<|endoftext|>"


assert check_chat_format(format_chat, tokenizer)
"""),
]
build(cells, "solutions/03_instruction_finetuning_solutions.ipynb")
print("written")
