"""Prompt engineering, measured: labelled tasks, prompt variants as data, and a harness that scores them.

Introduced in notebook 06; notebook 07 reuses the handbook-answer task and the best prompt variant per
model (`handbook_variants`, `recorded_best_variant`). A `Task` holds held-out labelled examples and a
separate pool of training examples for few-shot prompts. A `PromptVariant` is data, not code: chat
template or raw text, system prompt, instruction, how many and which examples, "think step by step", an
output-format constraint, a reply prefix, one validated retry. `evaluate_variant` answers every example
greedily (batched, so every run gives the same answers) and returns the score together with what the
prompt cost: prompt tokens, new tokens and seconds per example.

The tasks come from the course's own data: routing handbook questions to HR / IT / other, extracting
fields from a question as JSON, telling a novel from technical documentation (a task family the course's
own IFT model was trained on), and short answers to handbook questions, with or without sources.

A few-shot example is shown to every user who asks, so the handbook-answer pool holds only examples whose source
document every role may see (`handbook_shot_pool(data.load_handbook(access.PUBLIC))`); each `Example` carries the
ids of the documents its text came from, so a prompt's provenance can be checked (`access.hidden_ids`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .models import IFT_CHECKPOINT
from .pretrained import GEMMA3, SMOLLM2
from .prompting import Message, context_window

METRICS = ("choice", "json", "contains")
STEP_BY_STEP = "Think step by step: explain your reasoning in one or two sentences, then give the final answer on a last line that starts with 'Answer:'."


# --- Tasks and variants, as data ----------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One labelled input: what the prompt shows (`input`, optional `context` passages) and the reference reply."""

    example_id: str
    input: str
    target: str
    context: tuple[str, ...] = ()
    label: str = ""  # the class few-shot draws balance over (the target when empty)
    source_ids: tuple[str, ...] = ()  # the documents `context` was taken from (checked against the asker's role)

    @property
    def group(self) -> str:
        """The class this example belongs to, for balanced few-shot draws."""
        return self.label or self.target


@dataclass(frozen=True)
class Task:
    """A prompt-evaluation task: its instructions, its held-out examples, a training pool for shots, and its metric."""

    name: str
    instruction: str  # the plain instruction, as a user would write it
    examples: tuple[Example, ...]  # evaluated: a held-out split
    shot_pool: tuple[Example, ...]  # few-shot examples are drawn from here only (the train split)
    metric: str  # "choice" (one of `choices`), "json" (an object with `json_keys`) or "contains" (the reference appears)
    input_label: str = "Input"  # how raw-text prompts introduce an input ("Question: ...")
    output_label: str = "Answer"  # ...and the reply ("Department:")
    choices: tuple[str, ...] = ()
    json_keys: tuple[str, ...] = ()
    role: str = ""  # a system prompt that gives the model a role
    detailed_instruction: str = ""  # the instruction with definitions and the exact reply format
    max_new_tokens: int = 8
    few_shot_k: int = 3  # examples in the standard few-shot variant, balanced over the labels
    stop_at_newline: bool = False  # a one-line reply is all that is scored: stop decoding at the first line break

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"Unknown metric {self.metric!r}; use one of {METRICS}.")
        if self.metric == "choice" and not self.choices:
            raise ValueError(f"Task {self.name!r} is scored by choice but lists no choices.")
        if self.metric == "json" and not self.json_keys:
            raise ValueError(f"Task {self.name!r} is scored as JSON but lists no json_keys.")
        if not self.examples:
            raise ValueError(f"Task {self.name!r} has no examples to evaluate.")
        leaked = {e.example_id for e in self.examples} & {e.example_id for e in self.shot_pool}
        if leaked:
            raise ValueError(f"Task {self.name!r}: examples {sorted(leaked)[:3]} are both evaluated and usable as shots.")


@dataclass(frozen=True)
class PromptVariant:
    """One way to prompt, as data: format, system prompt, instruction, few-shot examples, reasoning, output format, retry."""

    name: str
    chat: bool = True  # the tokenizer's chat template, or a raw text prompt
    system: str = ""  # a system message (chat) or an opening paragraph (raw text)
    instruction: str = ""  # empty: the task's own instruction
    k: int = 0  # number of few-shot examples
    shots: str = "balanced"  # "balanced" (cycle through the classes), "random", or "label=<class>" (all from one class)
    shot_seed: int = 0
    step_by_step: bool = False  # ask for reasoning first, then "Answer: ..."
    instruction_last: bool = False  # put the instruction after the input (closest to the reply) instead of before it
    format_hint: str = ""  # an output-format constraint added to the instruction
    reply_prefix: str = ""  # the reply is forced to start with this text (response priming)
    retry: bool = False  # validate each reply; if invalid, show the model the error and ask once more
    max_new_tokens: int = 0  # 0: the task's own limit

    def __post_init__(self) -> None:
        if self.k < 0:
            raise ValueError(f"k must be zero or positive, got {self.k}.")
        if not (self.shots in ("balanced", "random") or self.shots.startswith("label=")):
            raise ValueError(f"shots must be 'balanced', 'random' or 'label=<class>', got {self.shots!r}.")


def standard_variants(task: Task) -> list[PromptVariant]:
    """The variants every model is tried with: raw text vs chat, a role + detailed instructions, and a few examples as raw text."""
    k = task.few_shot_k
    return [
        PromptVariant("raw text, zero-shot", chat=False),
        PromptVariant("chat, zero-shot"),
        PromptVariant("chat, role + instructions", system=task.role, instruction=task.detailed_instruction),
        PromptVariant(f"raw text, {k}-shot", chat=False, k=k),
    ]


# --- Building prompts ---------------------------------------------------------------------------


def pick_shots(task: Task, variant: PromptVariant) -> list[Example]:
    """Draw the variant's k few-shot examples from the task's training pool (seeded, so the same every run)."""
    if variant.k == 0:
        return []
    pool = list(task.shot_pool)
    random.Random(variant.shot_seed).shuffle(pool)
    if variant.shots.startswith("label="):
        pool = [e for e in pool if e.group == variant.shots.removeprefix("label=")]
    elif variant.shots == "balanced":
        groups: dict[str, list[Example]] = {}
        for example in pool:
            groups.setdefault(example.group, []).append(example)
        order = sorted(groups)
        random.Random(variant.shot_seed).shuffle(order)
        pool = [groups[g][i] for i in range(max(map(len, groups.values()), default=0)) for g in order if i < len(groups[g])]
    if len(pool) < variant.k:
        raise ValueError(f"Task {task.name!r} has only {len(pool)} pool examples for shots={variant.shots!r}; asked for {variant.k}.")
    return pool[: variant.k]


def _instruction(task: Task, variant: PromptVariant) -> str:
    parts = [variant.instruction or task.instruction, variant.format_hint, STEP_BY_STEP if variant.step_by_step else ""]
    return " ".join(part for part in parts if part)


def _input_block(task: Task, example: Example, labelled: bool) -> str:
    sources = "Sources:\n" + "\n".join(f"[{i}] {p}" for i, p in enumerate(example.context, start=1)) + "\n\n" if example.context else ""
    return f"{sources}{task.input_label}: {example.input}" if labelled or example.context else example.input


def build_prompt(task: Task, variant: PromptVariant, example: Example, shots: Sequence[Example] = ()) -> str | list[Message]:
    """Return the prompt for one example: chat messages (shots as earlier turns) or one raw text (shots as blocks).

    The instruction opens the prompt (as in the IFT data, instruction then input), or, with `instruction_last`, closes it.
    """
    instruction = _instruction(task, variant)
    if variant.chat:
        messages: list[Message] = [{"role": "system", "content": variant.system}] if variant.system else []
        turns = [*shots, example]
        for number, turn in enumerate(turns):
            content = _input_block(task, turn, labelled=False)
            if variant.instruction_last and turn is example:
                content = f"{content}\n\n{instruction}"
            elif not variant.instruction_last and number == 0:
                content = f"{instruction}\n{content}"
            messages.append({"role": "user", "content": content})
            if turn is not example:
                messages.append({"role": "assistant", "content": turn.target})
        return messages
    blocks = [variant.system, "" if variant.instruction_last else instruction]
    blocks += [f"{_input_block(task, shot, labelled=True)}\n{task.output_label}: {shot.target}" for shot in shots]
    query = _input_block(task, example, labelled=True)
    blocks.append(f"{query}\n\n{instruction}\n{task.output_label}:" if variant.instruction_last else f"{query}\n{task.output_label}:")
    return "\n\n".join(block for block in blocks if block)


def transcript(messages: Sequence[Message]) -> str:
    """Chat messages as plain text ("User: ...", "Assistant: ..."), for a model without a chat template."""
    names = {"system": "System", "user": "User", "assistant": "Assistant"}
    return "\n\n".join(f"{names.get(m['role'], m['role'].title())}: {m['content']}" for m in messages) + "\n\nAssistant:"


def has_chat_template(tokenizer: Any) -> bool:
    """True if the tokenizer defines a chat template (instruction-tuned models do; base models usually don't)."""
    return bool(getattr(tokenizer, "chat_template", None))


def model_input(tokenizer: Any, prompt: str | Sequence[Message], reply_prefix: str = "") -> str | list[Message]:
    """What is sent to this model: messages through its chat template (a plain transcript without one), plus a reply prefix."""
    if isinstance(prompt, str):
        return prompt + (" " + reply_prefix if reply_prefix else "")
    if not has_chat_template(tokenizer):
        return transcript(prompt) + (" " + reply_prefix if reply_prefix else "")
    if not reply_prefix:
        return list(prompt)
    return tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, tokenize=False) + reply_prefix


# --- Reading and scoring replies ----------------------------------------------------------------


def final_answer(text: str) -> str:
    """The part of a reply after its last "Answer:" (the whole reply when there is none)."""
    matches = list(re.finditer(r"answer\s*:", text, flags=re.IGNORECASE))
    return text[matches[-1].end() :].strip() if matches else text.strip()


def parse_choice(text: str, choices: Sequence[str]) -> str | None:
    """The one choice the reply's first line names, else None (none, or several: "HR, IT or other" is no answer).

    Matching is case-insensitive, except for short acronyms such as "IT", which count only in capitals (not the pronoun "it").
    """
    first_line = next((line for line in text.strip().splitlines() if line.strip()), "")
    named = []
    for choice in choices:
        acronym = choice.isupper() and len(choice) <= 3
        pattern = rf"(?<![A-Za-z]){re.escape(choice)}(?![A-Za-z])"
        if re.search(pattern, first_line, flags=0 if acronym else re.IGNORECASE):
            named.append(choice)
    return named[0] if len(named) == 1 else None


def parse_json_reply(text: str, keys: Sequence[str]) -> dict[str, Any]:
    """The first JSON object in a reply (code fences allowed); raises ValueError if there is none or a key is missing."""
    start = text.find("{")
    if start < 0:
        raise ValueError("the reply contains no JSON object (no '{')")
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as error:
        raise ValueError(f"the JSON is malformed ({error.msg})") from None
    if not isinstance(value, dict):
        raise ValueError("the reply's JSON is not an object")
    missing = [key for key in keys if key not in value]
    if missing:
        raise ValueError(f"the JSON object lacks the key(s) {missing}")
    return value


def validation_error(task: Task, reply: str) -> str | None:
    """Why a reply breaks the task's required format (None when it is valid): what a retry tells the model."""
    if task.metric == "json":
        try:
            parse_json_reply(reply, task.json_keys)
        except ValueError as error:
            return str(error)
        return None
    if task.metric == "choice" and parse_choice(reply, task.choices) is None:
        return f"the reply must start with one of: {', '.join(task.choices)}"
    if not reply.strip():
        return "the reply is empty"
    return None


def _normalise_field(value: Any) -> str:
    return "" if value is None or str(value).strip().lower() in ("", "null", "none", "n/a") else str(value).strip().lower()


def score_reply(task: Task, reply: str, example: Example) -> float:
    """Score one reply against its example: choice match, share of correct JSON fields, or contains the answer."""
    if task.metric == "choice":
        return float(parse_choice(reply, task.choices) == example.target)
    if task.metric == "json":
        try:
            parsed = parse_json_reply(reply, task.json_keys)
        except ValueError:
            return 0.0
        expected = json.loads(example.target)
        return sum(_normalise_field(parsed[key]) == _normalise_field(expected[key]) for key in task.json_keys) / len(task.json_keys)
    from .evaluation import answer_matches

    return answer_matches(reply, example.target)


# --- The harness ---------------------------------------------------------------------------------


@dataclass
class VariantResult:
    """How one prompt variant did on one task with one model: its score and what it cost per example."""

    variant: str
    task: str
    score: float
    prompt_tokens: float  # mean per example, retries included (prompts too long to run count their length)
    new_tokens: float  # mean per example, retries included
    seconds: float  # wall time per example, retries included
    valid_first: float  # share of first replies in the required format (before any retry)
    valid: float  # share of final replies in the required format
    score_first: float = 0.0  # the score of the first replies (before any retry)
    retried: int = 0
    too_long: int = 0  # examples whose prompt did not fit the model's context window (scored 0)
    replies: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    def row(self) -> dict[str, float | int]:
        """The numbers of this result as a table row."""
        return {"score": self.score, "prompt tokens": self.prompt_tokens, "new tokens": self.new_tokens,
                "ms / example": 1000 * self.seconds, "valid format": self.valid, "too long": self.too_long}


def _retry_input(tokenizer: Any, prompt: str | list[Message], variant: PromptVariant, task: Task, reply: str, error: str) -> str | list[Message]:
    feedback = f"Your reply was not valid: {error}. Reply again, following the format exactly."
    if isinstance(prompt, str):
        return model_input(tokenizer, f"{prompt} {reply}\n\n{feedback}\n{task.output_label}:", variant.reply_prefix)
    return model_input(tokenizer, [*prompt, {"role": "assistant", "content": reply}, {"role": "user", "content": feedback}], variant.reply_prefix)


@functools.lru_cache(maxsize=8)
def newline_token_ids(tokenizer: Any) -> tuple[int, ...]:
    """Ids of the vocabulary's tokens that contain a line break (byte-level BPE writes it as "Ċ")."""
    tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return tuple(i for i, token in enumerate(tokens) if token and ("\n" in token or "Ċ" in token))


@contextlib.contextmanager
def _stopping_at_newline(model: Any, tokenizer: Any, enabled: bool) -> Iterator[None]:
    """Within the block, greedy decoding of each row also ends at a line break (the model's eos ids are restored after)."""
    config = getattr(model, "generation_config", None)
    if not enabled or config is None:
        yield
        return
    saved = config.eos_token_id
    eos = [] if saved is None else [saved] if isinstance(saved, int) else list(saved)
    config.eos_token_id = eos + [i for i in newline_token_ids(tokenizer) if i not in eos]
    try:
        yield
    finally:
        config.eos_token_id = saved


def _generate_fitting(
    model: Any, tokenizer: Any, inputs: Sequence[Any], max_new_tokens: int, batch_size: int, stop_at_newline: bool = False
) -> tuple[list[Any], list[int]]:
    """Generate for every input that fits the context window (None for the others); also return every input's length."""
    from .prompting import encode_prompt, generate_batch

    window = context_window(model)
    lengths = [int(encode_prompt(tokenizer, x).shape[1]) for x in inputs]
    fits = [i for i, length in enumerate(lengths) if length + max_new_tokens <= window]
    with _stopping_at_newline(model, tokenizer, stop_at_newline):
        generated = generate_batch(model, tokenizer, [inputs[i] for i in fits], max_new_tokens=max_new_tokens, batch_size=batch_size) if fits else []
    out: list[Any] = [None] * len(inputs)
    for i, generation in zip(fits, generated):
        if stop_at_newline:  # a row that stopped at a line break is padded until its batch ends: count only its own tokens
            generation.new_tokens = min(generation.new_tokens, len(tokenizer(generation.text, add_special_tokens=False)["input_ids"]) + 1)
        out[i] = generation
    return out, lengths


def evaluate_variant(
    model: Any, tokenizer: Any, variant: PromptVariant, task: Task, examples: Sequence[Example] | None = None, batch_size: int = 16
) -> VariantResult:
    """Answer each example greedily with this variant's prompt (one validated retry if asked) and score the replies."""
    examples = list(task.examples if examples is None else examples)
    if not examples:
        raise ValueError("evaluate_variant needs at least one example.")
    max_new_tokens = variant.max_new_tokens or task.max_new_tokens
    shots = pick_shots(task, variant)
    prompts = [build_prompt(task, variant, example, shots) for example in examples]
    inputs = [model_input(tokenizer, prompt, variant.reply_prefix) for prompt in prompts]
    one_line = task.stop_at_newline and not variant.step_by_step  # reasoning spans lines; its answer comes last
    first, lengths = _generate_fitting(model, tokenizer, inputs, max_new_tokens, batch_size, one_line)
    replies = [variant.reply_prefix + g.text if g is not None else "" for g in first]
    parsed = [final_answer(r) if variant.step_by_step else r for r in replies]
    errors = [validation_error(task, p) if g is not None else "too long" for p, g in zip(parsed, first)]
    valid_first = sum(e is None for e in errors) / len(examples)
    cost = [(g.prompt_tokens, g.new_tokens, g.seconds) if g is not None else (length, 0, 0.0) for g, length in zip(first, lengths)]
    score_first = sum(score_reply(task, p, e) if g is not None else 0.0 for p, e, g in zip(parsed, examples, first)) / len(examples)
    to_retry = [i for i, (g, e) in enumerate(zip(first, errors)) if variant.retry and g is not None and e is not None]
    if to_retry:
        retry_inputs = [_retry_input(tokenizer, prompts[i], variant, task, replies[i], errors[i]) for i in to_retry]
        for i, g in zip(to_retry, _generate_fitting(model, tokenizer, retry_inputs, max_new_tokens, batch_size, one_line)[0]):
            if g is not None:
                replies[i] = variant.reply_prefix + g.text
                parsed[i] = final_answer(replies[i]) if variant.step_by_step else replies[i]
                errors[i] = validation_error(task, parsed[i])
                cost[i] = (cost[i][0] + g.prompt_tokens, cost[i][1] + g.new_tokens, cost[i][2] + g.seconds)
    scores = [score_reply(task, p, e) if g is not None else 0.0 for p, e, g in zip(parsed, examples, first)]
    n = len(examples)
    return VariantResult(
        variant=variant.name, task=task.name, score=sum(scores) / n,
        prompt_tokens=sum(c[0] for c in cost) / n, new_tokens=sum(c[1] for c in cost) / n, seconds=sum(c[2] for c in cost) / n,
        valid_first=valid_first, valid=sum(e is None for e in errors) / n, score_first=score_first, retried=len(to_retry),
        too_long=sum(g is None for g in first), replies=replies, scores=scores,
    )


def score_matrix(results: Mapping[tuple[str, str], VariantResult]) -> dict[str, dict[str, float]]:
    """{row: {column: score}} from results keyed by (row, column), e.g. (variant, model), for a heatmap."""
    matrix: dict[str, dict[str, float]] = {}
    for (row, column), result in results.items():
        matrix.setdefault(row, {})[column] = result.score
    return matrix


def best_variant(results: Mapping[str, VariantResult]) -> str:
    """The name of the best-scoring variant; ties go to the one with fewer prompt tokens (it costs less)."""
    if not results:
        raise ValueError("best_variant needs at least one result.")
    return min(results, key=lambda name: (-results[name].score, results[name].prompt_tokens))


def select_variant(model: Any, tokenizer: Any, variants: Sequence[PromptVariant], task: Task) -> tuple[PromptVariant, dict[str, VariantResult]]:
    """Evaluate every variant on `task` (use a validation split) and return the best one with all the results."""
    if not variants:
        raise ValueError("select_variant needs at least one variant.")
    tried = {variant.name: evaluate_variant(model, tokenizer, variant, task) for variant in variants}
    chosen = best_variant(tried)
    return next(variant for variant in variants if variant.name == chosen), tried


def spread(scores: Sequence[float]) -> dict[str, float]:
    """Min, max, range and standard deviation of scores (e.g. of paraphrases of one instruction)."""
    if not scores:
        raise ValueError("spread needs at least one score.")
    mean = sum(scores) / len(scores)
    return {"min": min(scores), "max": max(scores), "range": max(scores) - min(scores), "std": (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5}


# --- The course's tasks ------------------------------------------------------------------------

ROUTES = {"hr": "HR", "it": "IT", "responsible_ai": "other", "general": "other"}
ROUTING_INSTRUCTION = "Which team should handle this employee question: HR, IT or other?"
ROUTING_ROLE = "You are the help desk of Northwind Analytics. You forward each employee question to the team that handles it."
ROUTING_DETAILED = (
    "HR handles leave, pay, benefits, expenses and travel. IT handles laptops, accounts, passwords, VPN and printers. "
    "Anything else is other. Which team handles this question? Reply with one word: HR, IT or other."
)
PLACES = ("Germany", "France", "United Kingdom", "United States", "Japan", "Americas", "APAC", "EMEA", "Austin", "Berlin", "Lyon", "Manchester")
EXTRACTION_INSTRUCTION = (
    "Extract two fields from the employee question as JSON: department (HR, IT or other) and location "
    "(the country, region or office it names, or null)."
)
JSON_FORMAT_HINT = 'Reply with only the JSON object, like {"department": "IT", "location": null}.'
SOURCE_INSTRUCTION = "Is this passage from a novel or from technical documentation? Answer novel or documentation."
SOURCE_PARAPHRASES = (
    SOURCE_INSTRUCTION,  # the wording the course's IFT model was trained on
    "Novel or documentation? Say which one this passage comes from.",
    "Where is this text from: a novel or technical documentation?",
    "Classify the passage as novel or documentation.",
    "Does this passage come from a work of fiction (novel) or from software documentation?",
)
ANSWER_INSTRUCTION = "Answer the question in a few words."
ANSWER_ROLE = "You answer employees' questions about the Northwind Analytics handbook, using only the sources."
ANSWER_DETAILED = "Answer the question with the exact words from the sources, in a few words, nothing else."


def _balanced(records: Sequence[dict[str, Any]], group: Any, n: int, seed: int) -> list[dict[str, Any]]:
    """n records drawn round-robin over the groups after a seeded shuffle: a small, balanced, fixed sample."""
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in shuffled:
        groups.setdefault(group(record), []).append(record)
    order = sorted(groups)
    picked = [groups[g][i] for i in range(max(map(len, groups.values()), default=0)) for g in order if i < len(groups[g])]
    if len(picked) < n:
        raise ValueError(f"Only {len(picked)} records available, asked for {n}.")
    return picked[:n]


def _single_questions(split: str) -> list[dict[str, Any]]:
    from .data import load_handbook_questions

    return [q for q in load_handbook_questions(split) if q["type"] == "single"]


def routing_task(n: int = 10, split: str = "test", seed: int = 0) -> Task:
    """Route handbook questions to HR, IT or other (labels from the gold document's category; SYNTHETIC data)."""
    def _example(q: dict[str, Any]) -> Example:
        return Example(q["qid"], q["question"], ROUTES[q["category"]])

    evaluated = _balanced(_single_questions(split), lambda q: ROUTES[q["category"]], n, seed)
    return Task(
        "route", ROUTING_INSTRUCTION, tuple(map(_example, evaluated)), tuple(map(_example, _single_questions("train"))), "choice",
        input_label="Question", output_label="Team", choices=("HR", "IT", "other"), role=ROUTING_ROLE,
        detailed_instruction=ROUTING_DETAILED, max_new_tokens=8, stop_at_newline=True,
    )


def question_location(question: dict[str, Any], handbook: Sequence[dict[str, Any]]) -> str | None:
    """The place a handbook question names when its gold document is that place's variant (else None)."""
    variant = {d["doc_id"]: d["variant"] for d in handbook}[question["gold_doc_ids"][0]]
    return variant if variant in PLACES and variant.lower() in question["question"].lower() else None


def extraction_task(n: int = 10, split: str = "test", seed: int = 0) -> Task:
    """Extract {"department", "location"} from handbook questions as JSON (labels from the gold document; SYNTHETIC)."""
    from .access import UNFILTERED
    from .data import load_handbook

    handbook = load_handbook(UNFILTERED)  # read for the place names of variants only: no document text reaches a prompt

    def _example(q: dict[str, Any]) -> Example:
        location = question_location(q, handbook)
        target = json.dumps({"department": ROUTES[q["category"]], "location": location})
        return Example(q["qid"], q["question"], target, label="place" if location else "no place")

    def _unambiguous(q: dict[str, Any]) -> bool:  # a question naming a place that is not its label would be mislabelled
        return question_location(q, handbook) is not None or not any(p.lower() in q["question"].lower() for p in PLACES)

    evaluated = _balanced([q for q in _single_questions(split) if _unambiguous(q)], lambda q: str(question_location(q, handbook) is not None), n, seed)
    pool = [q for q in _single_questions("train") if _unambiguous(q)]
    return Task(
        "extract", EXTRACTION_INSTRUCTION, tuple(map(_example, evaluated)), tuple(map(_example, pool)), "json",
        input_label="Question", output_label="JSON", json_keys=("department", "location"), role=ROUTING_ROLE,
        detailed_instruction=EXTRACTION_INSTRUCTION + " " + JSON_FORMAT_HINT, max_new_tokens=24,
    )


def source_task(n: int = 10, split: str = "test", seed: int = 0, max_words: int = 16) -> Task:
    """Novel or documentation? The `source` family of datasets/instructions.jsonl, which the course's IFT model learned.

    Passages are cut to their first `max_words` words: short prompts leave room for examples in a 128-token window.
    """
    from .data import load_instructions

    def _example(r: dict[str, Any]) -> Example:
        return Example(r["id"], " ".join(r["input"].split()[:max_words]), r["output"])

    evaluated = _balanced(load_instructions(split, "source"), lambda r: r["output"], n, seed)
    return Task(
        "source", SOURCE_INSTRUCTION, tuple(map(_example, evaluated)), tuple(map(_example, load_instructions("train", "source"))), "choice",
        input_label="Passage", output_label="Source", choices=("novel", "documentation"),
        role="You are a librarian who sorts texts by where they come from.",
        detailed_instruction=(
            "Decide where the passage comes from: a novel (fiction, characters, dialogue) or technical documentation "
            "(software, commands, settings). Reply with one word: novel or documentation."
        ),
        max_new_tokens=8, few_shot_k=4, stop_at_newline=True,
    )


def gold_sentence(question: dict[str, Any], handbook: Sequence[dict[str, Any]]) -> str | None:
    """The first sentence of the question's gold document that holds its answer, as "Title: sentence" (None if none does)."""
    from .evaluation import answer_matches
    from .rag import split_sentences

    document = {d["doc_id"]: d for d in handbook}[question["gold_doc_ids"][0]]
    holding = [s for s in split_sentences(document["text"]) if answer_matches(s, question["answer"])]
    return f"{document['title']}: {holding[0]}" if holding else None


def handbook_shot_pool(documents: Sequence[dict[str, Any]]) -> tuple[Example, ...]:
    """Training questions answered by one of `documents`, each with the sentence of its gold document that holds the answer.

    A shot is shown to every user, so pass only what every role may see: `data.load_handbook(access.PUBLIC)`.
    """
    from .access import check_document

    by_id = {check_document(document)["doc_id"]: document for document in documents}
    pool = []
    for q in _single_questions("train"):
        if all(doc_id in by_id for doc_id in q["gold_doc_ids"]):
            sentence = gold_sentence(q, list(by_id.values()))
            if sentence:
                pool.append(Example(q["qid"], q["question"], q["answer"], (sentence,), label=q["category"], source_ids=(q["gold_doc_ids"][0],)))
    return tuple(pool)


def handbook_answer_task(n: int = 10, split: str = "test", seed: int = 0, contexts: Mapping[str, Sequence[str]] | None = None) -> Task:
    """Short answers to handbook questions; with `contexts` ({qid: passages}) each prompt carries its sources (RAG).

    Few-shot examples are training questions about documents every role may see, shown with the sentence that holds
    the answer: a shot reaches every asker, so it must never come from a document some asker may not see.
    """
    from .access import PUBLIC
    from .data import load_handbook

    evaluated = _balanced(_single_questions(split), lambda q: q["category"], n, seed)
    examples = tuple(Example(q["qid"], q["question"], q["answer"], tuple(contexts[q["qid"]]) if contexts else ()) for q in evaluated)
    return Task(
        "handbook answer", ANSWER_INSTRUCTION, examples, handbook_shot_pool(load_handbook(PUBLIC)), "contains", input_label="Question", output_label="Answer",
        role=ANSWER_ROLE, detailed_instruction=ANSWER_DETAILED, max_new_tokens=16, stop_at_newline=True,
    )


SELECTION_QUESTIONS = 6  # validation questions notebook 06 chooses each model's handbook-answer variant on


def handbook_variants() -> list[PromptVariant]:
    """The variants tried on the handbook-answer task (notebook 06 picks the best per model; notebook 07 reuses it)."""
    return [PromptVariant("chat, zero-shot"), PromptVariant("raw text, 1-shot", chat=False, k=1)]


# The models notebook 06 compares, by the names it records their results under: the shipped instruct model, the
# course's own IFT checkpoint (notebook 03), and the shipped base model.
COMPARED_MODELS = (SMOLLM2.name, IFT_CHECKPOINT, GEMMA3.name)


def best_variant_key(model_name: str) -> str:
    """The results key under which notebook 06 records `model_name`'s best handbook-answer variant."""
    return f"best_handbook_variant_{slug(model_name)}"


def recorded_best_variant(model_name: str) -> PromptVariant:
    """The handbook-answer variant notebook 06 measured best for `model_name` (read from its recorded results).

    Without notebook 06's results, `select_variant(model, tokenizer, handbook_variants(), task)` on the validation
    questions with retrieved contexts makes the same choice.
    """
    from .results import load_results

    key = best_variant_key(model_name)
    recorded = load_results("06_prompt_engineering")
    if key not in recorded:
        raise KeyError(f"No best variant recorded for {model_name!r}: run notebooks/06_prompt_engineering.ipynb first.")
    by_name = {variant.name: variant for variant in handbook_variants()}
    return by_name[recorded[key]["value"]]


def slug(name: str) -> str:
    """A name as a results key: lower case, runs of other characters as one underscore ("SmolLM2-135M" -> "smollm2_135m")."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def with_instruction(variant: PromptVariant, instruction: str, name: str | None = None) -> PromptVariant:
    """A copy of `variant` with another instruction (e.g. a paraphrase)."""
    return replace(variant, instruction=instruction, name=name or variant.name)


# --- Notebook 06, section 1: does a model answer a request, or continue its text? -------------------------------

# Open requests anyone could answer; the first is the guide's own example. A base model tends to continue such text
# (another request, the rest of a list of prompts), an instruct model to answer it.
OPEN_REQUESTS = (
    "Tell me three principles important to Responsible AI",
    "Explain what a database index is",
    "List two benefits of writing unit tests",
    "Write a haiku about the sea",
    "What is the capital of France?",
    "Give me three tips for a job interview",
    "Name three primary colours",
    "How do I reverse a list in Python?",
    "Describe photosynthesis in two sentences",
    "Suggest a name for a bakery",
    "Why is the sky blue?",
    "Summarise the story of Cinderella in one sentence",
    "Translate 'good morning' into French",
    "What are the symptoms of a cold?",
    "Recommend a book for a long train journey",
    "Write a short thank-you note to a colleague",
    "How many legs does a spider have?",
    "Give an example of a renewable energy source",
    "Explain why we need sleep",
    "What should I pack for a weekend hike?",
)
_REQUEST_OPENERS = ("tell me", "explain", "list", "write", "what", "give", "name", "how", "describe", "suggest", "why",
                    "summarise", "summarize", "translate", "recommend", "question:", "q:", "user:", "instruction:")


def continues_text(request: str, reply: str) -> bool:
    """True if `reply` continues the request's text instead of answering it (the rule notebook 06 counts).

    A reply continues when it is empty, when it carries on the request's own sentence (it opens in lower case or with
    continuing punctuation), when it opens with markup as in a web page or forum dump ("<...>", "[User 1]"), or when
    one of its lines is another request (a question, or a line that opens like one).
    """
    text = reply.strip()
    if not text:
        return True
    if text[0].islower() or text[0] in ".,;:-)[<":
        return True
    lines = [line.strip().lower() for line in text.splitlines() if line.strip()]
    asks_again = any(line.endswith("?") for line in lines) or any(line.startswith(_REQUEST_OPENERS) for line in lines[1:])
    return asks_again or lines[0] == request.strip().lower()
