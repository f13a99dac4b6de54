"""Instruction fine-tuning: chat formatting, loss masking, full vs LoRA training, and instruction scores.

Taught in notebook 03 (on the course's tiny CPT model, and with `peft` on the shipped SmolLM2), reused in
06-07 (the course's IFT model as one of the compared models). An example is a chat: the user turn holds
the instruction (and input), the assistant turn the reference output. With `mask_prompt=True` only the
assistant's tokens are scored, so the model learns to answer rather than to predict questions.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .evaluation import contains_answer, exact_match, token_f1
from .models import ASSISTANT, END_OF_TEXT, USER

IGNORE_INDEX = -100  # label value the cross-entropy loss skips

# The tiny GPT's chat format, as a Jinja template so `tokenizer.apply_chat_template` works like on real models.
TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}" + USER + "\n{{ message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}" + ASSISTANT + "\n{{ message['content'] }}" + END_OF_TEXT + "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}" + ASSISTANT + "\n{% endif %}"
)

# How each task family of datasets/instructions.jsonl is scored against its reference.
# The five judgement families each answer with one of two words (chance 0.50); handbook_answer is section 10's adapter task.
TASK_METRICS = {"source": "exact", "length": "exact", "digit": "exact", "question": "exact", "quotes": "exact", "handbook_answer": "contains"}


def add_chat_template(tokenizer: Any) -> Any:
    """Give the course tokenizer its chat template (user / assistant turns with reserved tokens); return it."""
    tokenizer.chat_template = TINY_CHAT_TEMPLATE
    return tokenizer


def user_content(record: dict[str, str]) -> str:
    """Return the user turn of an instruction record: the instruction, then its input if any."""
    return f"{record['instruction']}\n{record['input']}" if record.get("input") else record["instruction"]


def prompt_ids(tokenizer: Any, content: str) -> list[int]:
    """Token ids of a one-message chat, ending with the assistant's turn marker (what the model answers after)."""
    return tokenizer.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]


def fit_prompt(tokenizer: Any, record: dict[str, str], reserved: int, max_length: int) -> list[int] | None:
    """Prompt ids for `record`, its input cut from the end so that `reserved` more tokens still fit; None if impossible."""
    prompt = prompt_ids(tokenizer, user_content(record))
    overflow = len(prompt) + reserved - max_length
    if overflow > 0 and record.get("input"):
        input_ids = tokenizer(record["input"])["input_ids"]
        kept = len(input_ids) - overflow - 2  # a little slack: re-tokenizing a cut text can add a token
        if kept < 8:
            return None
        prompt = prompt_ids(tokenizer, user_content(dict(record, input=tokenizer.decode(input_ids[:kept]))))
    return prompt if len(prompt) + reserved <= max_length else None


def tokenize_example(tokenizer: Any, record: dict[str, str], max_length: int, mask_prompt: bool = True) -> dict[str, list[int]] | None:
    """Return {"input_ids", "labels"} for one example, prompt tokens masked; None if the output cannot fit.

    The input passage is truncated from its end until prompt + output fit in `max_length` tokens.
    """
    output_ids = tokenizer(record["output"])["input_ids"] + [tokenizer.eos_token_id]
    prompt = fit_prompt(tokenizer, record, len(output_ids), max_length)
    if prompt is None:
        return None
    labels = ([IGNORE_INDEX] * len(prompt) if mask_prompt else list(prompt)) + output_ids
    return {"input_ids": prompt + output_ids, "labels": labels}


def tokenize_examples(tokenizer: Any, records: Sequence[dict[str, str]], max_length: int, mask_prompt: bool = True) -> list[dict[str, list[int]]]:
    """Tokenize many examples, dropping those whose output cannot fit in `max_length`."""
    examples = [tokenize_example(tokenizer, record, max_length, mask_prompt) for record in records]
    kept = [example for example in examples if example is not None]
    if not kept:
        raise ValueError(f"No example fits in {max_length} tokens; raise max_length or shorten the outputs.")
    return kept


def padding_collator(tokenizer: Any) -> Any:
    """Return a collator that pads input_ids with the pad token and labels with -100 (ignored)."""
    from transformers import DataCollatorForSeq2Seq

    return DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE_INDEX, return_tensors="pt")


def instruction_tune(model: Any, tokenizer: Any, examples: list[dict[str, list[int]]], *, num_steps: int, run_name: str, **overrides: Any) -> Any:
    """Fine-tune `model` (full or a peft model) on tokenized chat examples with HF `Trainer`; return the history."""
    from .training import fit

    history = fit(model, examples, num_steps=num_steps, run_name=run_name, data_collator=padding_collator(tokenizer), **overrides)
    history.tokens_seen = examples_tokens(examples, num_steps * history.batch_size)
    return history


def examples_tokens(examples: Sequence[dict[str, list[int]]], n_seen: int) -> int:
    """Tokens in `n_seen` examples drawn epoch by epoch from `examples` (the last, partial epoch counted from the start)."""
    full_epochs, rest = divmod(n_seen, len(examples))
    return full_epochs * sum(len(e["input_ids"]) for e in examples) + sum(len(e["input_ids"]) for e in examples[:rest])


def ignore_peft_deprecation_warning() -> None:
    """Hide the FutureWarning peft raises by reading a property transformers 5 deprecated: nothing a learner can change."""
    warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)


ignore_peft_deprecation_warning()  # at import: notebooks also call peft directly (PeftModel.from_pretrained)


def lora_model(model: Any, r: int = 8, alpha: int = 16, target_modules: Sequence[str] = ("c_attn", "c_proj", "c_fc"), seed: int = 0) -> Any:
    """Wrap `model` with LoRA adapters (peft) on the named modules; only the adapters train."""
    import torch
    from peft import LoraConfig, get_peft_model

    from transformers.pytorch_utils import Conv1D

    torch.manual_seed(seed)  # A is initialised at random: seed it, or the score depends on every earlier cell
    # Stock GPT-2 stores its weights as Conv1D, (d_in, d_out) instead of Linear's (d_out, d_in): peft must be told.
    # (The course's tiny GPT uses nn.Linear, so this is False for it.)
    fan_in_fan_out = any(isinstance(module, Conv1D) for name, module in model.named_modules() if name.rsplit(".", 1)[-1] in target_modules)
    config = LoraConfig(r=r, lora_alpha=alpha, target_modules=list(target_modules), lora_dropout=0.0, bias="none",
                        task_type="CAUSAL_LM", fan_in_fan_out=fan_in_fan_out)
    return get_peft_model(model, config)


def lora_parameter_formula(model: Any, target_modules: Sequence[str], r: int) -> int:
    """LoRA's trainable parameters by formula: r x (d_in + d_out) for every adapted weight matrix."""
    total = 0
    for name, module in model.named_modules():
        if name.split(".")[-1] in target_modules and hasattr(module, "weight") and module.weight.dim() == 2:
            d_a, d_b = module.weight.shape  # (out, in) for Linear, (in, out) for GPT-2's Conv1D: the sum is the same
            total += r * (d_a + d_b)
    if total == 0:
        raise ValueError(f"No 2-D weight matrix matches target_modules {list(target_modules)}.")
    return total


def training_state_bytes(n_trainable: int) -> int:
    """Memory for training state beyond the weights: fp32 gradients + AdamW's two moments = 12 bytes per trainable parameter."""
    return 12 * n_trainable


@dataclass
class InstructionScore:
    """Scores on held-out instructions: overall mean, per task, and how often the model stopped by itself."""

    overall: float
    per_task: dict[str, float]
    stops: float
    answers: list[str] = field(default_factory=list)
    item_scores: list[float] = field(default_factory=list)  # one score per record, in order: for paired comparisons


def score_answer(task: str, prediction: str, reference: str) -> float:
    """Score one answer by its task's metric (exact match, token F1, or contains the reference)."""
    metric = TASK_METRICS.get(task)
    if metric is None:
        raise ValueError(f"Unknown task {task!r}; scored tasks: {sorted(TASK_METRICS)}.")
    scorer = {"exact": exact_match, "f1": token_f1, "contains": contains_answer}[metric]
    return scorer(prediction, reference)


def instruction_score(model: Any, tokenizer: Any, records: Sequence[dict[str, str]], max_new_tokens: int = 48, batch_size: int = 16) -> InstructionScore:
    """Answer each held-out instruction greedily (in batches) and score it; overall = mean of the per-task means."""
    from .prompting import context_window, generate_batch

    if not records:
        raise ValueError("instruction_score needs at least one record.")
    context = context_window(model)
    prompts = []
    for record in records:
        prompt = fit_prompt(tokenizer, record, max_new_tokens, context)
        if prompt is None:
            raise ValueError(f"Record {record.get('id')} cannot fit {max_new_tokens} new tokens in a {context}-token context.")
        prompts.append(tokenizer.decode(prompt))
    answers = generate_batch(model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size)
    item_scores = [score_answer(record["task"], answer.text, record["output"]) for record, answer in zip(records, answers)]
    per_task: dict[str, list[float]] = {}
    for record, score in zip(records, item_scores):
        per_task.setdefault(record["task"], []).append(score)
    means = {task: sum(scores) / len(scores) for task, scores in per_task.items()}
    stopped = sum(answer.new_tokens < max_new_tokens for answer in answers)
    return InstructionScore(overall=sum(means.values()) / len(means), per_task=means, stops=stopped / len(records), answers=[answer.text for answer in answers], item_scores=item_scores)


def trl_sft(model: Any, tokenizer: Any, records: Sequence[dict[str, str]], *, num_steps: int, run_name: str, max_length: int, **overrides: Any) -> Any:
    """The production path: TRL's `SFTTrainer` on prompt/completion pairs, loss on the completion only; returns the trainer."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from .training import training_arguments

    rows = []
    for record in records:
        prompt = fit_prompt(tokenizer, record, len(tokenizer(record["output"])["input_ids"]) + 1, max_length)
        if prompt is not None:
            rows.append({"prompt": tokenizer.decode(prompt), "completion": record["output"]})
    # SFTConfig defaults to bf16 and gradient checkpointing, ~20x slower on CPU: the course defaults turn both off.
    config = training_arguments(run_name, args_class=SFTConfig, max_steps=num_steps, max_length=max_length, completion_only_loss=True, **overrides)
    from transformers import PrinterCallback

    from .progress import quiet_progress_bars, training_progress

    with quiet_progress_bars():  # SFTTrainer prepares the data with dataset maps, each with its own bar
        trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                             callbacks=[training_progress(f"training {run_name} (TRL)")])
    trainer.remove_callback(PrinterCallback)  # with tqdm off it prints every log dict
    trainer.train()
    model.eval()
    return trainer


def handbook_answer_records(questions: Sequence[dict[str, Any]], handbook: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Answer-from-context examples: the gold policy and a question in, the short exact answer out."""
    by_id = {doc["doc_id"]: doc for doc in handbook}
    return [
        {
            "id": question["qid"],
            "task": "handbook_answer",
            "instruction": "Answer the question with the exact words from the policy, nothing else.",
            "input": f"Policy: {by_id[question['gold_doc_ids'][0]]['text']}\nQuestion: {question['question']}",
            "output": question["answer"],
        }
        for question in questions
        if question["type"] == "single"
    ]
