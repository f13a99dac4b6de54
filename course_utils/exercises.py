"""Auto-checked exercises of notebooks 00-07: each `check_*` prints a clear pass, or a fail with a hint, and returns a bool.

Every checker is built the same way, so that no answer crashes it and plausible wrong answers do not pass:
- it never raises: the learner's function runs under a time limit, and every comparison of its result runs inside
  `@_checker`'s safety net, so an unfinished or wrong exercise never stops the notebook;
- results are normalised before comparing (numpy scalars, 0-d tensors, arrays where a list is asked for); a wrong type
  gets a hint naming the expected one, and dtypes are checked where the exercise names one;
- besides the case the notebook shows, each checker draws fresh cases (seeded, so a run is reproducible) chosen so
  that every parameter matters, and no hint prints a value that would pass.
The solution notebooks `assert` the returned bool, so CI proves every exercise is solvable. The advice behind
notebook 00's scenarios is the course's guide, APPROACHES.md.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import random
import signal
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

PASS_MARK, FAIL_MARK = "PASS", "NOT YET"
LEARNER_TIME_LIMIT_S = 20.0  # one call of a learner's function; a loop that never ends fails with a hint instead


def report_check(exercise: str, passed: bool, hint: str = "") -> bool:
    """Print the outcome of one exercise check and return `passed`."""
    if passed:
        print(f"[{PASS_MARK}] {exercise}")
    else:
        print(f"[{FAIL_MARK}] {exercise}: {hint}")
    return passed


# --- The safety net every checker runs in -------------------------------------------------------


class _NotYet(Exception):
    """A failed check; its message is the hint shown to the learner."""


class _TimedOut(BaseException):
    """Raised inside a learner's function when it runs past the time limit (BaseException: `except Exception` can't swallow it)."""


def _checker(exercise: str) -> Callable[[Callable[..., None]], Callable[..., bool]]:
    """Turn a check body that raises `_NotYet` (or anything else) on failure into a checker that prints and returns a bool."""

    def _decorate(check: Callable[..., None]) -> Callable[..., bool]:
        @functools.wraps(check)
        def _run(*args: Any, **kwargs: Any) -> bool:
            try:
                check(*args, **kwargs)
            except _NotYet as not_yet:
                return report_check(exercise, False, str(not_yet))
            except Exception as error:  # noqa: BLE001 - a value the checks did not foresee: still a hint, never a crash
                return report_check(exercise, False, f"checking your answer failed with {type(error).__name__}: {error}. Compare your result's type with the exercise's signature.")
            return report_check(exercise, True)

        _run.exercise = exercise  # type: ignore[attr-defined]
        _run.__signature__ = inspect.signature(check).replace(return_annotation="bool")  # type: ignore[attr-defined]
        return _run

    return _decorate


@contextmanager
def _alarm_after(seconds: float) -> Iterator[None]:
    """Raise `_TimedOut` in the main thread after `seconds` (Linux and macOS; Jupyter runs cells in the main thread)."""

    def _on_alarm(signum: int, frame: Any) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_in_thread(function: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> Any:
    """Fallback off the main thread (or on Windows): wait at most `seconds`; a runaway thread is left behind, not awaited."""
    outcome: dict[str, Any] = {}

    def _target() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed back to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=_target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimedOut
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _call_with_time_limit(function: Callable[..., Any], args: tuple[Any, ...], seconds: float | None) -> Any:
    """Call `function(*args)`, raising `_TimedOut` after `seconds` (None: no limit)."""
    if seconds is None:
        return function(*args)
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm_after(seconds):
            return function(*args)
    return _run_in_thread(function, args, seconds)


_DEFAULT_LIMIT = object()


def _call(function: Callable[..., Any], *args: Any, time_limit: Any = _DEFAULT_LIMIT, timeout_hint: str = "does a loop ever stop?") -> Any:
    """Call a learner's function; an exception, a placeholder or a runaway loop becomes a failed check with a hint."""
    seconds = LEARNER_TIME_LIMIT_S if time_limit is _DEFAULT_LIMIT else time_limit
    if not callable(function):
        raise _NotYet(f"pass your function itself (its name, without calling it), got {_type_name(function)}.")
    try:
        return _call_with_time_limit(function, args, seconds)
    except NotImplementedError:
        raise _NotYet("the function still raises NotImplementedError: replace the placeholder with your code.") from None
    except _TimedOut:
        raise _NotYet(f"your function did not return within {seconds:g} s: {timeout_hint} (If the kernel stays busy, interrupt or restart it.)") from None
    except Exception as error:  # noqa: BLE001 - a learner's bug: show it, don't stop the notebook
        raise _NotYet(f"your function raised {type(error).__name__}: {error}") from None


# --- Normalising a learner's values before comparing ---------------------------------------------


def _type_name(value: Any) -> str:
    """Describe a value's type for a hint, with its shape when it has one."""
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(shape)}"
    if isinstance(value, (list, tuple)) and value:
        return f"{type(value).__name__} of {type(value[0]).__name__}"
    return type(value).__name__


def _plain(value: Any) -> Any:
    """A numpy scalar, a 0-d array or a 0-d tensor as the Python scalar it holds; anything else unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    shape = getattr(value, "shape", None)
    if shape is not None and tuple(shape) == () and hasattr(value, "item"):
        return value.item()
    return value


def _as_float(value: Any, what: str = "a float") -> float:
    """The learner's number as a float; a wrong type or a non-finite value fails with a hint."""
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _NotYet(f"return {what}, got {_type_name(value)}" + (" (use .item() for a one-element tensor)" if hasattr(value, "shape") else "") + ".")
    if not math.isfinite(value):
        raise _NotYet(f"your function returned {value}: look for a division by zero or an overflow.")
    return float(value)


def _as_int(value: Any, what: str = "an int") -> int:
    """The learner's number as an int; a float (even 100.0) fails, since the exercise asks for a whole number."""
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, int):
        advice = " (round() gives an int)" if isinstance(value, float) else ""
        raise _NotYet(f"return {what}, got {_type_name(value)}{advice}.")
    return value


def _as_list(value: Any, item_type: type | tuple[type, ...], what: str) -> list[Any]:
    """The learner's sequence as a list of plain items of `item_type` (a list, a tuple or a 1-D array or tensor)."""
    if hasattr(value, "tolist") and hasattr(value, "shape"):
        if len(value.shape) != 1:
            raise _NotYet(f"return {what}, got {_type_name(value)}.")
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise _NotYet(f"return {what}, got {_type_name(value)}.")
    items = [_plain(item) for item in value]
    wrong = [item for item in items if isinstance(item, bool) or not isinstance(item, item_type)]
    if wrong:
        raise _NotYet(f"return {what}: one item is a {type(wrong[0]).__name__} ({_shorten(wrong[0])}).")
    return items


def _as_str(value: Any, what: str = "one string") -> str:
    """The learner's string; anything else fails with a hint."""
    if not isinstance(value, str):
        raise _NotYet(f"return {what}, got {_type_name(value)}.")
    return str(value)


def _shorten(value: Any, width: int = 80) -> str:
    """repr of a value, cut to `width` characters for a hint."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _close(answer: float, expected: float, rel: float = 1e-5, abs_: float = 1e-9) -> bool:
    """True if two floats agree to float32 precision (a learner may compute in float32)."""
    return math.isclose(answer, expected, rel_tol=rel, abs_tol=abs_)


def _cases_rng(name: str) -> random.Random:
    """A generator of fresh cases, seeded by the checker's name: the same cases on every run, but not the visible ones."""
    return random.Random(zlib.crc32(name.encode()))


WORDS = (
    "the", "model", "reads", "every", "document", "before", "it", "answers", "questions", "about", "policy",
    "travel", "laptop", "password", "leave", "budget", "index", "query", "token", "window", "embedding", "vector",
    "search", "training", "data", "office", "printer", "report", "team", "manager", "contract", "invoice",
    "security", "network", "backup", "server", "schedule", "meeting", "holiday", "salary", "review", "project",
    "deadline",
)


def _sentence(rng: random.Random, n_min: int = 3, n_max: int = 12) -> str:
    """A random sentence of course vocabulary, capitalised, ending in a full stop or a question mark."""
    words = rng.choices(WORDS, k=rng.randint(n_min, n_max))
    return " ".join(words).capitalize() + rng.choice(".?")


# --- Notebook 00: setup and map -------------------------------------------------------------

# The advice of the course's guide for each scenario (APPROACHES.md, the "When" of each approach).
APPROACH_SCENARIOS: dict[str, tuple[str, str]] = {
    "A model for a language no available model has ever seen": (
        "pretraining", "the course's guide (APPROACHES.md) keeps pre-training for when nothing cheaper works, e.g. an unseen language."),
    "A model that knows the vocabulary of a very specialised legal domain, from unlabelled contracts": (
        "cpt", "new knowledge from unlabelled domain text is continued pre-training."),
    "Answers in the company's tone and format, from a few thousand labelled examples": (
        "ift", "task-specific behaviour from labelled examples is instruction fine-tuning."),
    "Answers from internal documents that change every week, with citations": (
        "rag", "fresh, private knowledge with traceability is retrieval-augmented generation."),
    "Search keeps returning the wrong one of many near-identical regional policies": (
        "embedding_finetuning", "when documents are too similar for a general embedder, fine-tune the embedder."),
    "A general task that needs no private data, wanted today": (
        "prompting", "immediate results on general tasks: prompt engineering."),
}
APPROACHES = ("pretraining", "cpt", "ift", "rag", "embedding_finetuning", "prompting")


@_checker("Exercise 1 (easy): pick an approach per scenario")
def check_approach_choices(answers: Mapping[str, str]) -> None:
    """Check a {scenario: approach} dict against the advice of the course's guide (APPROACHES.md) for each scenario."""
    if not isinstance(answers, Mapping) or set(answers) != set(APPROACH_SCENARIOS):
        raise _NotYet("return a dict with exactly the scenarios of APPROACH_SCENARIOS as keys.")
    invalid = [value for value in answers.values() if not isinstance(value, str) or value not in APPROACHES]
    if invalid:
        raise _NotYet(f"use only these names: {APPROACHES}; got {_shorten(invalid)}.")
    wrong = [scenario for scenario, (expected, _) in APPROACH_SCENARIOS.items() if answers[scenario] != expected]
    if wrong:
        raise _NotYet(f"{len(wrong)} scenario(s) differ from the course's guide (APPROACHES.md), e.g. {wrong[0]!r}. Re-read that approach's 'When'.")


# Queries with the one candidate that matches them; the other topics' candidates are distractors.
_SIMILAR_TOPICS = (
    ("How do I reset my password?", "Steps to change a forgotten login password"),
    ("How many days of holiday do I get?", "Annual leave entitlement for employees"),
    ("The printer on the third floor keeps jamming", "Printer troubleshooting and paper jams"),
    ("What were last quarter's revenues?", "Quarterly sales figures"),
    ("Can I expense a taxi to the airport?", "Reimbursement rules for business travel costs"),
    ("My laptop screen cracked", "Reporting broken IT equipment"),
    ("What do I do if the fire alarm goes off?", "Emergency evacuation procedure"),
    ("Where can I leave my bicycle?", "Bike storage at the office"),
    ("How do I join the pension plan?", "Enrolling in the retirement savings scheme"),
    ("When does the canteen open?", "Cafeteria opening hours and weekly menu"),
)


def _most_similar_cases() -> list[tuple[str, list[str]]]:
    """The notebook's two cases, then fresh ones: 2 to 6 candidates, the match anywhere in the list."""
    cases = [
        ("How do I reset my password?", ["Steps to change a forgotten login password", "Vacation days per country", "Quarterly sales figures"]),
        ("How many days of holiday do I get?", ["Steps to change a forgotten login password", "Annual leave entitlement for employees", "Printer troubleshooting"]),
    ]
    rng = _cases_rng("check_most_similar")
    for topic in rng.sample(range(len(_SIMILAR_TOPICS)), 4):
        query, match = _SIMILAR_TOPICS[topic]
        others = [candidate for i, (_, candidate) in enumerate(_SIMILAR_TOPICS) if i != topic]
        candidates = [match, *rng.sample(others, rng.randint(1, 5))]
        rng.shuffle(candidates)
        cases.append((query, candidates))
    return cases


@_checker("Exercise 2 (medium): most_similar(query, candidates)")
def check_most_similar(most_similar: Callable[[str, Sequence[str]], str], embedder: Any) -> None:
    """Check a learner's `most_similar(query, candidates) -> str` on the notebook's case and fresh ones."""
    from .retrieval import embed_texts

    cases = _most_similar_cases()
    texts = sorted({text for query, candidates in cases for text in (query, *candidates)})
    vectors = dict(zip(texts, embed_texts(embedder, texts)))  # one batch for every case
    for query, candidates in cases:
        answer = _as_str(_call(most_similar, query, list(candidates)), "one of the candidate strings")
        if answer not in candidates:
            raise _NotYet(f"for {query!r} you returned {_shorten(answer)}, which is not one of the candidates: return the candidate string itself.")
        if answer != max(candidates, key=lambda candidate: float(vectors[candidate] @ vectors[query])):
            raise _NotYet(f"for {query!r} among {len(candidates)} candidates, {answer!r} is not the most similar. Embed the query and the candidates, compare with cosine similarity, return the best candidate string.")


def _chat_length(tokenizer: Any, question: str, add_generation_prompt: bool = True) -> int:
    """Tokens of a one-message chat as the chat model receives it."""
    messages = [{"role": "user", "content": question}]
    return len(tokenizer.apply_chat_template(messages, add_generation_prompt=add_generation_prompt, tokenize=True, return_dict=True)["input_ids"])


@_checker("Exercise 3 (stretch): count the tokens of a chat prompt")
def check_prompt_token_count(count_prompt_tokens: Callable[[str], int], tokenizer: Any) -> None:
    """Check a learner's `count_prompt_tokens(question) -> int` (tokens the chat model really sees)."""
    rng = _cases_rng("check_prompt_token_count")
    questions = ["What is RAG?", "Summarise our travel policy in two sentences, please."]
    questions += [_sentence(rng, 1, 30) for _ in range(4)]
    for question in questions:
        answer = _as_int(_call(count_prompt_tokens, question), "an int (the number of tokens)")
        if answer == len(tokenizer(question)["input_ids"]):
            raise _NotYet("that counts the question alone; the model sees the chat template around it. Use tokenizer.apply_chat_template.")
        if answer == _chat_length(tokenizer, question, add_generation_prompt=False):
            raise _NotYet("that is the chat without the opening of the assistant's turn: set add_generation_prompt=True.")
        if answer != _chat_length(tokenizer, question):
            raise _NotYet(f"for {question!r} your count ({answer}) is not the length of the templated prompt: apply the chat template with add_generation_prompt=True and count its input_ids.")


# --- Notebook 01: pre-training ----------------------------------------------------------------


@_checker("Exercise 1 (easy): count a GPT-2's parameters with a formula")
def check_parameter_formula(gpt2_parameters: Callable[[int, int, int, int], int]) -> None:
    """Check `gpt2_parameters(vocab_size, context_length, n_layer, n_embd) -> int` against real models of several sizes."""
    from .models import TinyGPTConfig, build_tiny_gpt, count_parameters

    rng = _cases_rng("check_parameter_formula")
    sizes = [(512, 64, 2, 64), (4096, 128, 4, 128)]
    sizes += [(rng.randint(50, 3000), rng.choice((16, 32, 100, 256)), rng.randint(1, 5), rng.choice((8, 24, 48, 96))) for _ in range(3)]
    for vocab_size, context_length, n_layer, n_embd in sizes:
        answer = _as_int(_call(gpt2_parameters, vocab_size, context_length, n_layer, n_embd), "an int (a count of parameters)")
        config = TinyGPTConfig(vocab_size=vocab_size, context_length=context_length, n_layer=n_layer, n_head=4, n_embd=n_embd)
        expected = count_parameters(build_tiny_gpt(config))
        if answer != expected:
            hint = "remember the head is tied to the token embeddings (counted once)" if answer == expected + vocab_size * n_embd else (
                "per block: attention 4·d², MLP 8·d² (no biases), two layer norms with a scale each, 2·d; plus token and position embeddings and a final layer norm (d)")
            raise _NotYet(f"for vocab_size={vocab_size}, context_length={context_length}, n_layer={n_layer}, n_embd={n_embd} your count {answer:,} is too {'high' if answer > expected else 'low'}: {hint}.")


def _next_token_cases() -> list[tuple[Any, Any]]:
    """(logits, input_ids) pairs: the notebook's shape, then fresh batch sizes, lengths and vocabularies."""
    import torch

    generator = torch.Generator().manual_seed(0)
    cases = [(torch.randn(2, 6, 11, generator=generator), torch.randint(0, 11, (2, 6), generator=generator))]
    rng = _cases_rng("check_next_token_loss")
    for _ in range(4):
        batch, length, vocab = rng.randint(1, 4), rng.randint(2, 9), rng.randint(3, 40)
        cases.append((3 * torch.randn(batch, length, vocab, generator=generator), torch.randint(0, vocab, (batch, length), generator=generator)))
    return cases


@_checker("Exercise 2 (medium): the next-token loss by hand")
def check_next_token_loss(next_token_loss: Callable[[Any, Any], float]) -> None:
    """Check `next_token_loss(logits, input_ids) -> float`: mean cross-entropy of predicting token t+1 from position t."""
    import torch.nn.functional as F

    for logits, input_ids in _next_token_cases():
        vocab = logits.shape[-1]
        answer = _as_float(_call(next_token_loss, logits.clone(), input_ids.clone()), "a float (use .item())")
        expected = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), input_ids[:, 1:].reshape(-1)).item()
        unshifted = F.cross_entropy(logits.reshape(-1, vocab), input_ids.reshape(-1)).item()
        if _close(answer, unshifted) and not _close(unshifted, expected):
            raise _NotYet("the logits at position t predict token t+1: drop the last logit and the first token.")
        if not _close(answer, expected):
            raise _NotYet(f"for logits of shape {tuple(logits.shape)} your loss is not the mean next-token cross-entropy. Use F.cross_entropy on flattened (B·(T-1), V) logits against the ids shifted by one.")


@_checker("Exercise 3 (stretch): days to pre-train on a cluster")
def check_training_days(training_days: Callable[[float, float, int, float, float], float]) -> None:
    """Check `training_days(n_parameters, n_tokens, n_gpus, peak_flops_per_gpu, utilisation) -> float` on several clusters."""
    from .costs import ClusterAssumptions, estimate_training_cost

    default = ClusterAssumptions()
    rng = _cases_rng("check_training_days")
    cases = [(8e9, 15e12, 1024, default.peak_flops_per_gpu, default.utilisation), (405e9, 15.6e12, 16384, default.peak_flops_per_gpu, default.utilisation)]
    cases += [(10 ** rng.uniform(8, 12), 10 ** rng.uniform(10, 13), rng.randint(8, 20000), 10 ** rng.uniform(14, 15.5), rng.uniform(0.2, 0.6)) for _ in range(4)]
    for n_parameters, n_tokens, n_gpus, peak, utilisation in cases:
        answer = _as_float(_call(training_days, n_parameters, n_tokens, n_gpus, peak, utilisation), "a float (days)")
        cluster = ClusterAssumptions(n_gpus=n_gpus, peak_flops_per_gpu=peak, utilisation=utilisation)
        expected = estimate_training_cost(n_parameters, n_tokens, cluster).days
        if not _close(answer, expected, rel=1e-3):
            ratio = answer / expected if expected else float("nan")
            hint = "did you use 6 FLOPs per parameter per token?" if _close(ratio * 6, 1, rel=1e-3) else (
                "divide seconds by 86,400 to get days" if _close(ratio, 86400, rel=1e-3) or _close(ratio, 24, rel=1e-3) else (
                    "FLOPs = 6·N·D; divide by (GPUs × peak × utilisation) for seconds, then by 86,400; use every argument"))
            raise _NotYet(f"for {n_parameters:.3g} parameters, {n_tokens:.3g} tokens, {n_gpus} GPUs at {peak:.3g} FLOP/s and {utilisation:.0%} utilisation your {answer:.4g} days is too {'high' if ratio > 1 else 'low'}: {hint}.")


# --- Notebook 02: continued pre-training -------------------------------------------------------


@_checker("Exercise 1 (easy): words per context window")
def check_words_per_context(words_per_context: Callable[[Any, Sequence[str], int], float], tokenizer: Any) -> None:
    """Check `words_per_context(tokenizer, texts, context_length) -> float`: words that fit in one context window."""
    from .models import tokens_per_word

    rng = _cases_rng("check_words_per_context")
    cases = [(["SELECT name FROM sqlite_master WHERE type='table';", "It was a fine morning, and Emma walked to Hartfield."], 128)]
    cases += [([_sentence(rng) for _ in range(rng.randint(1, 5))], rng.choice((32, 64, 256, 1024, 2048))) for _ in range(4)]
    for texts, context_length in cases:
        answer = _as_float(_call(words_per_context, tokenizer, list(texts), context_length), "a float (words)")
        expected = context_length / tokens_per_word(tokenizer, texts)
        if not _close(answer, expected):
            raise _NotYet(f"for {len(texts)} text(s) and context_length={context_length} your answer ({answer:.4g}) is not the words per window: divide the context length by tokens per word (tokens / whitespace-separated words).")


@_checker("Exercise 2 (medium): how many general blocks to replay")
def check_replay_blocks(replay_blocks_needed: Callable[[int, float], int]) -> None:
    """Check `replay_blocks_needed(n_domain_blocks, replay_fraction) -> int` (general blocks to mix in, rounded)."""
    rng = _cases_rng("check_replay_blocks")
    cases = [(300, 0.25), (10, 0.3), (7, 0.4)]  # exact; rounds down (4.29); rounds up (4.67)
    while len(cases) < 10:
        n_domain, fraction = rng.randint(1, 5000), rng.randint(5, 90) / 100
        share = n_domain * fraction / (1 - fraction)
        if abs(share % 1 - 0.5) > 0.05:  # no half-way cases: rounding them is a convention, not the exercise
            cases.append((n_domain, fraction))
    for n_domain, fraction in cases:
        answer = _as_int(_call(replay_blocks_needed, n_domain, fraction), "an int (a number of blocks)")
        expected = round(n_domain * fraction / (1 - fraction))
        if answer == round(n_domain * fraction) != expected:
            raise _NotYet("that makes general text a share of the *domain* blocks; it must be that share of the *mixed* total.")
        if answer != expected:
            direction = "rounded the wrong way: round to the nearest integer" if abs(answer - n_domain * fraction / (1 - fraction)) < 1 else "solve g / (n + g) = fraction for g"
            raise _NotYet(f"for {n_domain} domain blocks at {fraction:.0%} your {answer} is {direction}.")


def _packing_cases(tokenizer: Any) -> list[tuple[list[str], int]]:
    """The notebook's case, then fresh ones; in some the last document's end-of-text token is the last kept token."""
    from .training import tokenize_documents

    cases = [(["PRAGMA journal_mode=WAL;", "Emma Woodhouse, handsome, clever, and rich.", "VACUUM INTO 'backup.db';"] * 4, 16)]
    rng = _cases_rng("check_packing")
    while len(cases) < 5:
        texts = [_sentence(rng, 1, 10) for _ in range(rng.randint(1, 6))]
        length = len(tokenize_documents(tokenizer, texts))
        exact = [size for size in range(3, length // 2 + 1) if length % size == 0]
        if len(cases) % 2 and exact:  # nothing dropped: a missing final separator would show
            cases.append((texts, rng.choice(exact)))
        elif not len(cases) % 2 and length >= 8:
            cases.append((texts, rng.randint(3, length // 2)))
    return cases


@_checker("Exercise 3 (stretch): concatenate documents with a separator and cut blocks")
def check_packing(pack_with_separator: Callable[[Any, Sequence[str], int], Any], tokenizer: Any) -> None:
    """Check `pack_with_separator(tokenizer, texts, block_size) -> LongTensor` against the course's packing."""
    import torch

    from .training import pack_blocks, tokenize_documents

    for texts, block_size in _packing_cases(tokenizer):
        answer = _call(pack_with_separator, tokenizer, list(texts), block_size)
        expected = pack_blocks(tokenize_documents(tokenizer, texts), block_size)
        if not isinstance(answer, torch.Tensor):
            raise _NotYet(f"return a torch LongTensor of shape (n_blocks, block_size), got {_type_name(answer)}.")
        if answer.dtype != torch.long:
            raise _NotYet(f"return a LongTensor (token ids are integers, dtype torch.long), got dtype {answer.dtype}: use torch.tensor(ids, dtype=torch.long).")
        if tuple(answer.shape) != tuple(expected.shape):
            raise _NotYet(f"for {len(texts)} document(s) and block_size={block_size} your shape {tuple(answer.shape)} is not (n_blocks, block_size) with the ragged tail dropped: count the tokens including one end-of-text per document.")
        if not torch.equal(answer, expected):
            raise _NotYet(f"for {len(texts)} document(s) and block_size={block_size} the ids differ: append tokenizer.eos_token_id after *every* document (the last one too), concatenate, then drop the ragged tail.")


# --- Notebook 03: instruction fine-tuning -----------------------------------------------------


@_checker("Exercise 1 (easy): mask the prompt in the labels")
def check_prompt_mask(mask_prompt_labels: Callable[[list[int], int], list[int]]) -> None:
    """Check `mask_prompt_labels(input_ids, n_prompt_tokens) -> labels` (-100 on the prompt, ids elsewhere)."""
    rng = _cases_rng("check_prompt_mask")
    cases = [([2, 202, 51, 52, 53, 3, 202, 61, 62, 0], 7)]
    for _ in range(5):
        ids = [rng.randint(0, 4095) for _ in range(rng.randint(1, 40))]
        cases.append((ids, rng.randint(0, len(ids))))
    cases.append(([5, 6, 7], 0))
    for ids, n_prompt in cases:
        answer = _as_list(_call(mask_prompt_labels, list(ids), n_prompt), int, "a list of ints (one label per input id)")
        if n_prompt and answer == ids[:n_prompt] + [-100] * (len(ids) - n_prompt):
            raise _NotYet("you masked the answer instead of the prompt: the first n_prompt_tokens become -100.")
        if answer != [-100] * n_prompt + ids[n_prompt:]:
            raise _NotYet(f"for {len(ids)} ids with n_prompt_tokens={n_prompt} you returned {len(answer)} labels, {answer.count(-100)} of them -100: the first n_prompt_tokens labels are -100, the rest are the ids themselves.")


@_checker("Exercise 2 (medium): count LoRA's trainable parameters")
def check_lora_parameters(lora_parameters: Callable[[Sequence[tuple[int, int]], int], int]) -> None:
    """Check `lora_parameters(shapes, r) -> int`: r x (d_in + d_out) summed over the adapted matrices, at several ranks."""
    rng = _cases_rng("check_lora_parameters")
    cases = [([(128, 384), (128, 128)], 8), ([(576, 576), (576, 192)] * 30, 8)]
    for r in rng.sample((1, 2, 4, 16, 32, 64), 4):
        cases.append(([(rng.randint(16, 1024), rng.randint(16, 1024)) for _ in range(rng.randint(1, 6))], r))
    for shapes, r in cases:
        answer = _as_int(_call(lora_parameters, list(shapes), r), "one int (the total over all matrices)")
        if answer == sum(r * d_in * d_out for d_in, d_out in shapes):
            raise _NotYet("LoRA learns A (r x d_in) and B (d_out x r), not a d_in x d_out matrix.")
        if answer != sum(r * (d_in + d_out) for d_in, d_out in shapes):
            raise _NotYet(f"for r={r} and {len(shapes)} matrices your count {answer:,} is wrong: each adapted matrix adds r·d_in + d_out·r; use r and every shape.")


@_checker("Exercise 4 (stretch): write the chat format by hand")
def check_chat_format(format_chat: Callable[[str, str], str], tokenizer: Any) -> None:
    """Check `format_chat(user_content, answer) -> str` against the tokenizer's chat template."""
    rng = _cases_rng("check_chat_format")
    cases = [("Is this from a novel?\nEmma smiled.", "novel"), ("Give the title of this passage.\nWAL mode...", "Write-Ahead Logging")]
    cases += [(_sentence(rng) + "\n" + _sentence(rng), _sentence(rng, 1, 4)) for _ in range(3)]
    for content, reply in cases:
        result = _as_str(_call(format_chat, content, reply))
        expected = tokenizer.apply_chat_template([{"role": "user", "content": content}, {"role": "assistant", "content": reply}], tokenize=False)
        if result != expected:
            raise _NotYet(f"for the user turn {content!r} your string differs from the chat template's {_first_difference(result, expected)}. Print tokenizer.chat_template to see the pieces.")


def _first_difference(answer: str, expected: str) -> str:
    """Where two strings first differ, told by position and the learner's text there (not the expected text)."""
    position = next((i for i, (a, b) in enumerate(zip(answer, expected)) if a != b), min(len(answer), len(expected)))
    if position == len(answer) < len(expected):
        return f"after character {position}: yours ends there, the template goes on"
    return f"at character {position}: yours has {answer[position:position + 12]!r} there"


# Adam moves each weight by at most about lr per step, so after training with IFT's recipe the largest entry of LoRA's
# B matrices (which start at 0) is a fraction of lr x steps. Measured on notebook 02's model: 0.077 after IFT's 120
# steps at 2e-3 (every matrix above 0.054), 6e-7 after 3 steps at 1e-6; the bar, 0.01 x lr x steps, is 0.0024.
LORA_B_TRAINED_FRACTION = 0.01


def _base_weights_differ(model: Any, base_model: Any) -> bool:
    """True if the frozen weights under a LoRA model are not `base_model`'s (e.g. an untrained or another model)."""
    import torch

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    reference = base_model.state_dict()
    for name, tensor in inner.state_dict().items():
        if "lora_" in name:
            continue
        key = name.replace(".base_layer.", ".")
        if key in reference and reference[key].shape == tensor.shape and not torch.equal(reference[key].detach().cpu(), tensor.detach().cpu()):
            return True
    return False


@_checker("Exercise 3 (medium): LoRA at full fine-tuning's learning rate and steps")
def check_lora_at_full_ft_settings(train_lora: Callable[[], Any], tokenizer: Any, eval_set: Sequence[Mapping[str, str]], full_ft_score: float, base_model: Any = None) -> None:
    """Check `train_lora() -> model`: LoRA on notebook 02's model trained with the live full fine-tuning recipe, scored against that run.

    `base_model` is the model LoRA must wrap (default: notebook 02's, from the cache).
    """
    from .finetuning import instruction_score
    from .recipes import IFT, ensure_cpt, live_recipe

    live = live_recipe(IFT)
    model = _call(train_lora, time_limit=None)  # training takes tens of seconds: no time limit here
    adapters = [parameter for name, parameter in model.named_parameters() if "lora_B" in name] if hasattr(model, "named_parameters") else []
    if not adapters:
        raise _NotYet("return the LoRA model: lora_model(copy.deepcopy(cpt_model), r=IFT.lora_r, target_modules=targets), trained.")
    largest = max(float(parameter.detach().abs().max()) for parameter in adapters)
    if largest == 0.0:
        raise _NotYet("the adapters are still zero (B starts at 0): train the model with run_ift(model, tokenizer, examples, LIVE) before returning it.")
    if _base_weights_differ(model, base_model if base_model is not None else ensure_cpt()[0]):
        raise _NotYet("the weights under the adapters are not notebook 02's model: wrap a fresh copy of cpt_model (copy.deepcopy(cpt_model)).")
    if largest < LORA_B_TRAINED_FRACTION * live.lr * live.num_steps:
        raise _NotYet("the adapters barely moved: train with the live full fine-tuning recipe, run_ift(..., LIVE), its learning rate and all its steps.")
    score = instruction_score(model, tokenizer, eval_set, IFT.max_new_tokens).overall
    print(f"instruction score: LoRA at full fine-tuning's settings {score:.3f}, full fine-tuning {full_ft_score:.3f}")
    if score >= full_ft_score - 0.1:
        raise _NotYet("this LoRA scores close to full fine-tuning: did it train with lora_recipe(LIVE)? Use LIVE, full fine-tuning's own recipe.")


# --- Notebook 04: RAG ---


def _visible_cases() -> list[tuple[list[dict[str, Any]], str]]:
    """The handbook for each role, then fresh document lists whose ids are not in sorted order."""
    from .data import ROLES, UNFILTERED, load_handbook

    documents = load_handbook(UNFILTERED)
    cases = [(documents, role) for role in ROLES]
    rng = _cases_rng("check_visible_ids")
    for _ in range(4):
        fresh = [{"doc_id": f"doc-{rng.randint(0, 9999):04d}-{i}", "title": _sentence(rng, 2, 4), "visibility": rng.choice(ROLES)} for i in range(rng.randint(3, 12))]
        rng.shuffle(fresh)
        cases.append((fresh, rng.choice(ROLES)))
    return cases


@_checker("Exercise 1 (easy): the documents a role may see")
def check_visible_ids(visible_ids: Callable[[Sequence[Mapping[str, Any]], str], list[str]]) -> None:
    """Check `visible_ids(documents, role) -> list[str]`: the ids a user with `role` may see, in document order."""
    from .data import is_visible_to

    for documents, role in _visible_cases():
        answer = _as_list(_call(visible_ids, [dict(d) for d in documents], role), str, "a list of doc ids (strings), in document order")
        expected = [d["doc_id"] for d in documents if is_visible_to(d, role)]
        leaked = [doc_id for doc_id in answer if doc_id not in expected]
        if leaked:
            raise _NotYet(f"role {role!r} must not see {leaked[:3]}: keep documents whose visibility is 'all' or the role itself.")
        if len(answer) != len(set(answer)):
            raise _NotYet("each visible document once: your list repeats an id.")
        if sorted(answer) != sorted(expected):
            raise _NotYet(f"role {role!r} should see more documents than the {len(answer)} you returned; documents for everyone (visibility 'all') count too.")
        if answer != expected:
            raise _NotYet("the right documents, in the wrong order: keep the order of `documents` (don't sort).")


def _rrf_cases() -> list[tuple[list[list[str]], int | None]]:
    """Rankings and k (None: call without k, so the default k=60 is used); in several, k changes the fused order."""
    cases: list[tuple[list[list[str]], int | None]] = [
        ([["a", "b", "c"], ["b", "c", "d"]], 60),
        ([["x", "y"], ["z"], ["y", "z", "x"]], 1),
        ([["x", "p", "q", "y"], ["p1", "p2", "p3", "y"], ["s1", "s2", "s3", "y"]], 1),  # 0-based ranks put x above y
        ([["d1", "d2", "d3", "d4"], ["d4", "d3", "d2", "d1"]], 0),
        ([["x", "a", "b", "y"], ["c", "d", "e", "y"]], 1),  # x above y at k=1, below it at k=60
        ([["x", "a", "b", "y"], ["c", "d", "e", "y"]], None),
    ]
    rng = _cases_rng("check_rrf")
    pool = [f"doc{i}" for i in range(12)]
    for k in (0, 2, 5, 30, 200, 1000):
        rankings = [rng.sample(pool, rng.randint(1, 8)) for _ in range(rng.randint(2, 4))]
        cases.append((rankings, k))
    return cases


def _rrf_scores(rankings: Sequence[Sequence[str]], k: int) -> dict[str, float]:
    """Each document's fused score, from the course's reference implementation."""
    from .retrieval import reciprocal_rank_fusion

    return dict(reciprocal_rank_fusion(rankings, k))


@_checker("Exercise 2 (medium): reciprocal rank fusion")
def check_rrf(fuse: Callable[[Sequence[Sequence[str]], int], list[str]]) -> None:
    """Check `fuse(rankings, k=60) -> list[str]` (reciprocal rank fusion) on cases where k changes the order."""
    for rankings, k in _rrf_cases():
        copies = [list(ranking) for ranking in rankings]
        raw = _call(fuse, copies) if k is None else _call(fuse, copies, k)
        answer = _as_list(raw, str, "a list of doc ids (strings), best first")
        scores = _rrf_scores(rankings, 60 if k is None else k)
        shown = f"for {rankings}" + (" called without k" if k is None else f" with k={k}")
        if Counter(answer) != Counter(list(scores)):
            raise _NotYet(f"{shown}: return every document that appears in any ranking exactly once, got {_shorten(answer)}.")
        fused = [round(scores[doc_id], 12) for doc_id in answer]
        if fused != sorted(fused, reverse=True):
            hint = "give k the default value 60" if k is None else "score = sum over rankings of 1 / (k + rank), ranks start at 1, use the k you are given"
            raise _NotYet(f"{shown} your order is not best score first: {hint}.")


def _search_cases(vector_index: Any, embedder: Any) -> list[tuple[str, float, list[str]]]:
    """(query, min_score, expected ids): the notebook's queries, then thresholds deeper than one page, one equal to a
    document's score, and -1 (every document, so only a loop that stops when the index is exhausted ends)."""
    from .retrieval import UNFILTERED, embed_texts, search_vectors

    queries = ["Which documents cover responsible AI?", "vacation days", "quantum chromodynamics", "laptop security rules",
               "how do I claim travel expenses", "parental leave policy", "office opening hours", "any document at all"]
    # One query at a time, exactly as `search` embeds it: a batch could change the last digits of a score.
    rankings = [search_vectors(vector_index, embed_texts(embedder, [query]), len(vector_index), allowed_ids=UNFILTERED)[0] for query in queries]
    scores = [[score for _, score in ranking] for ranking in rankings]
    rng = _cases_rng("check_search_all_above")
    thresholds = [0.3, 0.45, 0.9]
    thresholds += [(scores[i][rank - 1] + scores[i][rank]) / 2 for i in (3, 4, 5) for rank in [rng.randint(11, min(40, len(scores[i]) - 1))]]
    thresholds += [scores[6][rng.randint(3, 14)], -1.0]  # "at least": a document scoring exactly min_score counts
    return [(query, threshold, [doc_id for doc_id, score in ranking if score >= threshold]) for query, threshold, ranking in zip(queries, thresholds, rankings)]


@_checker("Exercise 3 (stretch): keep searching until results turn dissimilar")
def check_search_all_above(search_all_above: Callable[[str, float], list[str]], vector_index: Any, embedder: Any) -> None:
    """Check `search_all_above(query, min_score) -> list[str]`: every document scoring at least `min_score`, each once."""
    for query, min_score, expected in _search_cases(vector_index, embedder):
        answer = _as_list(_call(search_all_above, query, min_score, timeout_hint="stop when the page ends below the threshold *or* holds every document of the index."), str, "a list of doc ids (strings)")
        if len(answer) != len(set(answer)):
            raise _NotYet(f"for {query!r} at {min_score:.3f} your list repeats documents: a bigger page repeats the previous one, so return each document once.")
        if set(answer) == set(expected):
            continue
        if set(answer) - set(expected):
            hint = "keep exactly the documents whose score is >= min_score"
        elif 0 < len(answer) and len(answer) % 5 == 0:
            hint = "you stopped after one page: ask for more results while the last one still scores above the threshold"
        else:
            hint = "keep every document whose score is at least min_score (>=), and stop only when a page ends below it or the index is exhausted"
        raise _NotYet(f"for {query!r} at {min_score:.3f} you returned {len(answer)} documents, not the right ones: {hint}.")


# --- Notebook 05: fine-tuning embeddings ---


def _variants(rng: random.Random, query: str) -> list[tuple[str, bool]]:
    """Variants of a training query and whether each is the same query (only case and white space may differ)."""
    words = query.split()
    reordered = words[1:] + words[:1]
    return [
        (query.upper(), True),
        ("  " + "\t".join(words) + " \n", True),
        ("".join(char.swapcase() if rng.random() < 0.5 else char for char in query), True),
        (query.rstrip("?.!"), False),  # punctuation is part of the text
        (query.replace(" ", "", 1), False),  # a missing space joins two words
        (" ".join(words[:-1]), False),  # a prefix is not the same query
        (query + " " + rng.choice(WORDS), False),  # nor is a longer one
        (" ".join(reordered), False),  # the same words in another order
    ]


def _leak_cases() -> list[tuple[list[dict[str, str]], list[dict[str, str]], str]]:
    """The notebook's cases, then fresh training sets whose held-out sets mix leaks with near-misses."""
    train = [{"qid": "t1", "query": "How do I vacuum a database?"}, {"qid": "t2", "query": "What is WAL mode?"}]
    cases = [
        (train, [{"qid": "h1", "query": "How do I vacuum a database?"}, {"qid": "h2", "query": "Why is my query slow?"}], "an exact copy"),
        (train, [{"qid": "h3", "query": "what is  WAL mode?"}, {"qid": "h4", "query": "What is a WAL file?"}], "a copy that differs only in case and spacing"),
        (train, [{"qid": "h5", "query": "Why is my query slow?"}], "no leak at all"),
        (train, [{"qid": "h7", "query": "WHAT IS WAL MODE?"}, {"qid": "h6", "query": "How do I vacuum a database? "}], "two leaks, in held-out order"),
        (train, [{"qid": "h8", "query": "What is WALmode?"}, {"qid": "h9", "query": "what is wal mode"}, {"qid": "h10", "query": "WAL mode"}], "near-misses: a missing space, no question mark, a part"),
    ]
    rng = _cases_rng("check_leaked_queries")
    for case in range(4):
        fresh_train = [{"qid": f"t{case}-{i}", "query": _sentence(rng, 3, 8)} for i in range(rng.randint(2, 5))]
        held_out = [{"qid": "", "query": text} for text, _ in _variants(rng, rng.choice(fresh_train)["query"])]
        held_out.append({"qid": "", "query": _sentence(rng, 3, 8)})
        rng.shuffle(held_out)
        for i, query in enumerate(held_out):
            query["qid"] = f"q{rng.randint(100, 999)}-{i}"
        cases.append((fresh_train, held_out, "a held-out set with leaks and near-misses"))
    return cases


@_checker("Exercise 1 (easy): find held-out queries that leaked into training")
def check_leaked_queries(leaked_queries: Callable[[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]], list[str]]) -> None:
    """Check `leaked_queries(train, held_out) -> list[str]`: the qids of held-out queries whose text is also a training query."""
    from .embedder_finetuning import normalize_query

    for train, held_out, what in _leak_cases():
        answer = _as_list(_call(leaked_queries, [dict(q) for q in train], [dict(q) for q in held_out]), str, "a list of qids (strings), in held-out order")
        seen = {normalize_query(q["query"]) for q in train}
        expected = [q["qid"] for q in held_out if normalize_query(q["query"]) in seen]
        if answer == expected:
            continue
        queries = {q["qid"]: q["query"] for q in held_out}
        extra = [qid for qid in answer if qid not in expected]
        if extra:
            raise _NotYet(f"case '{what}': {queries.get(extra[0], extra[0])!r} is not a training query once lower-cased with white space squeezed; only case and spacing may differ (' '.join(text.lower().split())), nothing else.")
        if sorted(answer) == sorted(expected):
            raise _NotYet(f"case '{what}': the right qids in the wrong order: keep the held-out order.")
        raise _NotYet(f"case '{what}': you missed a leak. Compare texts lower-cased with white space squeezed (' '.join(text.lower().split())).")


def _in_batch_cases() -> list[tuple[np.ndarray, np.ndarray, float, str]]:
    """(queries, documents, scale, description): the notebook's cases, then fresh sizes, scales and hard negatives."""
    rng = np.random.default_rng(0)
    cases = [
        (np.eye(3), np.eye(3), 20.0, "perfect pairs (each query equals its positive)"),
        (rng.standard_normal((4, 8)), rng.standard_normal((4, 8)), 20.0, "random vectors, not unit length"),
        (rng.standard_normal((3, 8)), rng.standard_normal((6, 8)), 5.0, "3 queries, 3 positives + 3 hard negatives, scale 5"),
    ]
    fresh = np.random.default_rng(zlib.crc32(b"check_in_batch_loss"))
    for scale in (1.0, 50.0, 7.5):
        n, extra, dim = int(fresh.integers(2, 7)), int(fresh.integers(0, 5)), int(fresh.integers(3, 17))
        queries = fresh.standard_normal((n, dim)) * fresh.uniform(0.1, 10.0, (n, 1))
        cases.append((queries, fresh.standard_normal((n + extra, dim)) * 3.0, scale, f"{n} queries, {extra} hard negatives, scale {scale}"))
    return cases


@_checker("Exercise 2 (medium): the in-batch negatives loss by hand")
def check_in_batch_loss(in_batch_loss: Callable[[Any, Any, float], float]) -> None:
    """Check `in_batch_loss(query_vectors, doc_vectors, scale) -> float` against `embedder_finetuning.in_batch_negatives_loss`."""
    from .embedder_finetuning import in_batch_negatives_loss

    for queries, docs, scale, what in _in_batch_cases():
        answer = _as_float(_call(in_batch_loss, queries.copy(), docs.copy(), scale), "one float (the mean over queries)")
        if not _close(answer, in_batch_negatives_loss(queries, docs, scale), rel=1e-4, abs_=1e-6):
            hint = "normalise the vectors first (cosine similarity), multiply by scale, then take each row's cross-entropy with its own positive (column i) as the target, over every document row"
            raise _NotYet(f"case '{what}': your loss {answer:.6g} is not the in-batch negatives loss: {hint}.")


def _pca_cases() -> list[np.ndarray]:
    """Matrices with clearly separated variances (so the first two axes are unique up to sign), off-centre."""
    rng = np.random.default_rng(1)
    cases = [rng.standard_normal((12, 5)) * [5.0, 3.0, 1.0, 0.5, 0.1] + 7.0, rng.standard_normal((30, 16))]
    fresh = np.random.default_rng(zlib.crc32(b"check_project_2d"))
    for _ in range(3):
        n, dim = int(fresh.integers(5, 40)), int(fresh.integers(3, 20))
        spread = np.sort(fresh.uniform(0.1, 1.0, dim))[::-1] * np.geomspace(8.0, 1.0, dim)
        rotation, _ = np.linalg.qr(fresh.standard_normal((dim, dim)))
        cases.append((fresh.standard_normal((n, dim)) * spread) @ rotation + fresh.uniform(-5, 5, dim))
    return cases


@_checker("Exercise 3 (stretch): a PCA projection by hand")
def check_project_2d(project_2d: Callable[[Any], Any]) -> None:
    """Check `project_2d(vectors) -> (n, 2) array`: coordinates on the first two principal components (signs may flip)."""
    from .embedder_finetuning import project_2d as reference

    for vectors in _pca_cases():
        raw = _call(project_2d, vectors.copy())
        expected = reference(vectors)
        try:
            answer = np.asarray(raw.detach().cpu() if hasattr(raw, "detach") else raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise _NotYet(f"return a NumPy array of shape (n, 2), got {_type_name(raw)}.") from None
        if answer.shape != expected.shape:
            raise _NotYet(f"for {vectors.shape[0]} vectors of dimension {vectors.shape[1]} return an array of shape {expected.shape}: one row per vector, two columns; got shape {answer.shape}.")
        signs = np.where(np.sum(answer * expected, axis=0) < 0, -1.0, 1.0)  # a principal axis may point either way
        if not np.allclose(answer * signs, expected, rtol=1e-5, atol=1e-6 * max(1.0, float(np.abs(expected).max()))):
            hint = "centre the vectors (subtract the mean row), take the SVD of the centred matrix, and project onto the first two right singular vectors (no rescaling)"
            raise _NotYet(f"for {vectors.shape[0]} vectors of dimension {vectors.shape[1]} the coordinates differ from the principal components: {hint}.")


# --- Notebook 06: prompt engineering ---------------------------------------------------------


def _few_shot_cases() -> list[tuple[str, list[tuple[str, str]], str]]:
    """The notebook's cases, then fresh instructions, 0-4 shots and questions."""
    cases = [
        ("Which team?", [("How many vacation days do I get?", "HR"), ("My VPN drops.", "IT")], "Where is the defibrillator?"),
        ("Route this question.", [], "Who approves laptops?"),
    ]
    rng = _cases_rng("check_few_shot_prompt")
    for _ in range(3):
        shots = [(_sentence(rng), rng.choice(("HR", "IT", "other"))) for _ in range(rng.randint(1, 4))]
        cases.append((_sentence(rng, 2, 6), shots, _sentence(rng)))
    return cases


@_checker("Exercise 1 (easy): a raw-text few-shot prompt")
def check_few_shot_prompt(few_shot_prompt: Callable[[str, Sequence[tuple[str, str]], str], str]) -> None:
    """Check `few_shot_prompt(instruction, shots, question) -> str` against the harness's raw-text few-shot format."""
    from .prompt_eval import Example, PromptVariant, Task, build_prompt

    for instruction, shots, question in _few_shot_cases():
        answer = _as_str(_call(few_shot_prompt, instruction, list(shots), question)).rstrip()
        pool = tuple(Example(f"s{i}", q, a) for i, (q, a) in enumerate(shots))
        task = Task("route", instruction, (Example("q", question, "?"),), pool, "choice", input_label="Question", output_label="Team", choices=("?",))
        expected = build_prompt(task, PromptVariant("raw", chat=False, k=len(shots)), task.examples[0], pool)
        if answer != expected:
            if not answer.endswith("Team:"):
                hint = "end with the open question and 'Team:' so the model writes the label next"
            elif answer.count("\n\n") != expected.count("\n\n"):
                hint = "separate the instruction and each block with one blank line (\\n\\n), and use every shot"
            else:
                hint = "a block is 'Question: ...' and 'Team: ...' on two lines, the instruction first"
            raise _NotYet(f"for {len(shots)} shot(s), line {_first_line_difference(answer, expected)} of your prompt differs from the format: {hint}.")


def _first_line_difference(answer: str, expected: str) -> str:
    """The first line where two prompts differ, with the learner's text of that line (never the expected one)."""
    ours, theirs = answer.split("\n"), expected.split("\n")
    number = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    return f"{number + 1} ({ours[number]!r})" if number < len(ours) else f"{number + 1} (yours has no line there)"


def _json_cases() -> list[tuple[str, dict[str, Any] | None, str]]:
    """(reply, expected, description): the notebook's cases, two objects, nested objects, braces inside strings, fresh ones."""
    cases: list[tuple[str, dict[str, Any] | None, str]] = [
        ('{"department": "HR", "location": "Germany"}', {"department": "HR", "location": "Germany"}, "a plain JSON object"),
        ('Sure! {"department": "IT", "location": null} Hope this helps.', {"department": "IT", "location": None}, "text around the object"),
        ('```json\n{"department": "other", "location": null}\n```', {"department": "other", "location": None}, "a code fence"),
        ('{"department": "HR"}', None, "a missing key"),
        ('{"department": "HR", "location": "Lyon"', None, "an unclosed object"),
        ("HR, Germany", None, "no JSON at all"),
        ('["HR", "Germany"]', None, "a JSON list instead of an object"),
        ('{"department": "IT", "location": "Paris"} or maybe {"department": "HR", "location": null}', {"department": "IT", "location": "Paris"}, "two objects: the first counts"),
        ('{"department": "HR", "location": {"country": "DE", "city": "Berlin"}}', {"department": "HR", "location": {"country": "DE", "city": "Berlin"}}, "a nested object"),
        ('{"department": "IT", "location": "room {3}"}', {"department": "IT", "location": "room {3}"}, "braces inside a string"),
    ]
    rng = _cases_rng("check_parse_json_reply")
    for _ in range(6):
        value: dict[str, Any] = {"department": rng.choice(("HR", "IT", "other")), "location": rng.choice((None, "Lyon", {"city": "Oslo", "floor": rng.randint(1, 9)}, ["A", {"b": 1}]))}
        if rng.random() < 0.3:
            value.pop(rng.choice(("department", "location")))
        if rng.random() < 0.5:
            value["note"] = rng.choice(("see {policy}", "}", {"deep": {"deeper": [1, 2]}}))
        reply = json.dumps(value)
        if rng.random() < 0.5:
            reply += " " + json.dumps({"department": "IT", "location": "Rome"})
        reply = rng.choice(("", "Answer: ", "```json\n")) + reply + rng.choice(("", " Done.", "\n```"))
        cases.append((reply, value if {"department", "location"} <= set(value) else None, "a fresh reply"))
    return cases


@_checker("Exercise 2 (medium): validate a JSON reply")
def check_parse_json_reply(parse_json_reply: Callable[[str, Sequence[str]], dict | None]) -> None:
    """Check `parse_json_reply(text, keys) -> dict | None`: the first JSON object holding every key, else None."""
    for text, expected, what in _json_cases():
        answer = _call(parse_json_reply, text, ["department", "location"])
        if answer is not None and not isinstance(answer, dict):
            raise _NotYet(f"return a dict (the parsed object) or None, got {_type_name(answer)}.")
        if answer != expected:
            hint = "return None for a reply whose first object is not valid JSON with every key" if expected is None else (
                "start at the first '{' and let json.JSONDecoder().raw_decode read exactly one object (it handles nesting, braces in strings and text after it)")
            raise _NotYet(f"for {what} ({text!r}) you returned {_shorten(answer)}: {hint}.")


@_checker("Exercise 3 (stretch): speak the IFT model's format")
def check_ift_prompt(ift_prompt: Callable[[str], str], model: Any, tokenizer: Any, n: int = 10) -> None:
    """Check `ift_prompt(passage) -> str`: a raw-text prompt in the IFT model's own format that makes it classify passages."""
    from .models import ASSISTANT, USER
    from .prompt_eval import (
        SOURCE_INSTRUCTION,
        PromptVariant,
        context_window,
        evaluate_variant,
        score_reply,
        source_task,
    )
    from .prompting import encode_prompt, generate_batch

    task = source_task(n=n, split="validation")
    window = context_window(model)
    prompts = []
    for example in task.examples:
        prompt = _as_str(_call(ift_prompt, example.input), "one string (the prompt)")
        if example.input not in prompt:
            raise _NotYet("return one string that contains the passage.")
        if USER not in prompt or ASSISTANT not in prompt:
            raise _NotYet(f"write the model's turn markers by hand ({USER} and {ASSISTANT}): print(tokenizer.chat_template) to see where they go.")
        length = int(encode_prompt(tokenizer, prompt).shape[1])
        if length + task.max_new_tokens > window:
            raise _NotYet(f"one of your prompts is {length} tokens, and the model reads at most {window} including its {task.max_new_tokens}-token answer: shorten the instruction.")
        prompts.append(prompt)
    replies = generate_batch(model, tokenizer, prompts, max_new_tokens=task.max_new_tokens)
    yours = sum(score_reply(task, reply.text, example) for reply, example in zip(replies, task.examples)) / n
    plain = evaluate_variant(model, tokenizer, PromptVariant("plain", chat=False, instruction=SOURCE_INSTRUCTION), task).score
    print(f"validation accuracy: plain raw-text prompt {plain:.2f}, yours {yours:.2f} ({n} passages)")
    if yours < 0.5 or yours <= plain:
        raise _NotYet("write the turn markers the model was trained with: print(tokenizer.chat_template), or look at what section 2 shows each model reads.")


# --- Notebook 07: choosing and combining approaches ---------------------------------------------


def _pick_best_cases() -> list[tuple[dict[str, dict[str, float]], str, bool]]:
    """The notebook's table, then fresh tables with ties, zeros and negative values."""
    table = {
        "prompt only": {"accuracy": 0.0, "seconds per answer": 0.8, "compute FLOPs": 0.0},
        "RAG": {"accuracy": 0.25, "seconds per answer": 1.6, "compute FLOPs": 5e11},
        "LoRA + RAG": {"accuracy": 0.25, "seconds per answer": 1.5, "compute FLOPs": 5e12},
        "IFT": {"accuracy": 0.0, "seconds per answer": 0.01, "compute FLOPs": 7e12},
    }
    cases = [(table, "accuracy", True), (table, "seconds per answer", False), (table, "compute FLOPs", True), (table, "compute FLOPs", False)]
    rng = _cases_rng("check_pick_best")
    names = ["prompt only", "RAG", "IFT", "LoRA + RAG", "CPT + RAG", "fine-tuned embedder", "hybrid search"]
    for _ in range(6):
        values = [rng.choice((-1.5, 0.0, 0.25, 0.5, 0.75, 3.0)) for _ in range(rng.randint(3, 6))]
        fresh = {name: {"score": value, "cost": -value} for name, value in zip(rng.sample(names, len(values)), values)}
        cases.append((fresh, rng.choice(("score", "cost")), rng.random() < 0.5))
    return cases


@_checker("Exercise 1 (easy): read the table")
def check_pick_best(pick_best: Callable[[Mapping[str, Mapping[str, float]], str, bool], str]) -> None:
    """Check `pick_best(table, column, higher_is_better) -> str`: the approach with the best value in a column, first on ties."""
    for table, column, higher in _pick_best_cases():
        answer = _as_str(_call(pick_best, {name: dict(row) for name, row in table.items()}, column, higher), "the name of one approach (a string)")
        values = [(name, row[column] if higher else -row[column]) for name, row in table.items()]
        best = max(value for _, value in values)
        expected = next(name for name, value in values if value == best)
        if answer != expected:
            if answer in table and table[answer][column] == table[expected][column]:
                hint = "several approaches share the best value: return the one that comes first in the table"
            else:
                hint = "with higher_is_better=False the lowest value wins, with True the highest; compare the values themselves"
            raise _NotYet(f"for column {column!r} with higher_is_better={higher} over {list(table)}, {answer!r} is not the best: {hint}.")


@_checker("Exercise 2 (medium): the example router's vote")
def check_knn_route(knn_route: Callable[[Sequence[float], Sequence[str], int], str]) -> None:
    """Check `knn_route(similarities, labels, k) -> str`: majority label of the k most similar examples, ties to the nearest."""
    from .assistant import knn_vote

    cases = [
        ([0.9, 0.8, 0.1, 0.7], ["HR", "IT", "IT", "IT"], 3, "two of the three most similar examples are IT"),
        ([0.9, 0.8, 0.1, 0.7], ["HR", "IT", "IT", "IT"], 1, "with k=1 the single most similar example decides"),
        ([0.6, 0.8, 0.9, 0.7], ["IT", "HR", "HR", "IT"], 4, "a 2-2 tie goes to the label of the most similar example"),
        ([0.3, 0.2], ["other", "IT"], 5, "k larger than the number of examples means: all of them"),
        ([0.2, 0.9, 0.5, 0.8], ["IT", "other", "HR", "HR"], 3, "the most similar example is outvoted"),
    ]
    rng = _cases_rng("check_knn_route")
    for _ in range(20):
        n = rng.randint(3, 12)
        cases.append(([rng.random() for _ in range(n)], [rng.choice(("HR", "IT", "other")) for _ in range(n)], rng.randint(1, n), "a fresh case"))
    for similarities, labels, k, what in cases:
        answer = _as_str(_call(knn_route, list(similarities), list(labels), k), "one label (a string)")
        if answer != knn_vote(similarities, labels, k):
            raise _NotYet(f"for similarities {[round(s, 2) for s in similarities]}, labels {labels}, k={k} your {answer!r} is not the vote ({what}): count the labels of the k most similar examples; on a tie, take the tied label whose example is most similar.")


_HIDDEN_DOCUMENT = {
    "doc_id": "facilities-aquarium-2027",
    "text": "Aquarium care: the saltwater aquarium in the ninth-floor lobby is cleaned every Tuesday by the facilities team; never feed the fish yourself.",
}


@_checker("Exercise 3 (stretch): add a document without retraining")
def check_add_document(add_document: Callable[[Any, Any, str, str], Any], vector_index: Any, embedder: Any) -> None:
    """Check `add_document(vector_index, embedder, doc_id, text)`: a new index with one more document; the old one untouched."""
    from .assistant import FRESH_DOCUMENT, FRESH_QUESTIONS
    from .retrieval import UNFILTERED, search

    before_ids, before_size = list(vector_index.doc_ids), vector_index.index.ntotal
    before_vectors = vector_index.index.reconstruct_n(0, before_size) if hasattr(vector_index.index, "reconstruct_n") else None
    for document, questions in ((FRESH_DOCUMENT, [q["question"] for q in FRESH_QUESTIONS]), (_HIDDEN_DOCUMENT, [_HIDDEN_DOCUMENT["text"], "Who cleans the aquarium in the lobby?"])):
        new_index = _call(add_document, vector_index, embedder, document["doc_id"], document["text"])
        if list(vector_index.doc_ids) != before_ids or vector_index.index.ntotal != before_size:
            raise _NotYet("the original index changed: build a new index from its vectors plus the new one.")
        if not all(hasattr(new_index, field) for field in ("doc_ids", "index", "embedder_name")):
            raise _NotYet(f"return a VectorIndex (index_from_vectors(ids, vectors, vector_index.embedder_name)), got {_type_name(new_index)}.")
        if list(new_index.doc_ids) != before_ids + [document["doc_id"]] or new_index.index.ntotal != before_size + 1:
            raise _NotYet("return a VectorIndex whose doc_ids are the old ones followed by the new id, with one more vector.")
        if new_index.embedder_name != vector_index.embedder_name:
            raise _NotYet("keep the embedder name: index_from_vectors(ids, vectors, vector_index.embedder_name).")
        for question in questions:
            if search(new_index, embedder, question, k=1, allowed_ids=UNFILTERED)[0][0] != document["doc_id"]:
                raise _NotYet(f"a question only the new document answers ({question!r}) does not find it: embed its text with the same embedder.")
        kept = new_index.index.reconstruct_n(0, before_size) if before_vectors is not None and hasattr(new_index.index, "reconstruct_n") else None
        if kept is not None and not np.allclose(before_vectors, kept, atol=1e-4):
            raise _NotYet("the old documents' vectors changed: reuse the stored ones (reconstruct_n) instead of changing them.")


# --- Experiment exercises: the last exercise of notebooks 01-07 ----------------------------------
#
# The learner changes one knob of a run the notebook made, writes down which way they expect the measured number to
# move, and runs it. A checker fails only when the run is missing, fake, unchanged or malformed; it then scores both
# runs itself on the same items (evaluating the models, or re-scoring the recorded answers), so the numbers it reports
# cannot be typed in, and prints the paired difference with its 95% interval and whether the prediction held.
# A wrong prediction passes: the experiment, not the guess, is the exercise.

PREDICTION_DIRECTIONS = ("up", "down")
# Trainer's evaluation loss and `block_losses` average the same tokens; they agree to float32 rounding.
EVAL_LOSS_TOLERANCE = 1e-3


def _prediction(prediction: Any) -> str:
    """The learner's predicted direction, "up" or "down"; no prediction (None) fails with a hint."""
    if prediction is None:
        raise _NotYet('write your prediction first: PREDICTION = "up" or "down" (and why, in the markdown cell), then run the experiment.')
    if not isinstance(prediction, str) or prediction.strip().lower() not in PREDICTION_DIRECTIONS:
        raise _NotYet(f'PREDICTION must be "up" or "down" (the way you expect the measured number to move), got {_shorten(prediction)}.')
    return prediction.strip().lower()


def _instance(value: Any, cls: type, what: str) -> Any:
    """`value` if it is a `cls`; anything else (a dict of numbers, None, a list) fails with a hint naming `what`."""
    if not isinstance(value, cls):
        raise _NotYet(f"pass {what} (type {cls.__name__}), got {_type_name(value)}.")
    return value


def _finite_scores(values: Any, what: str) -> list[float]:
    """A run's per-item scores as finite floats."""
    scores = [float(_plain(value)) for value in _as_list(values, (int, float), what)]
    if not scores or not all(math.isfinite(score) for score in scores):
        raise _NotYet(f"{what} must hold one finite number per item.")
    return scores


def _report_experiment(direction: str, variant: Sequence[float], baseline: Sequence[float], metric: str, variant_label: str, baseline_label: str) -> None:
    """Print the measured effect (variant - baseline, paired over the same items, 95% CI) and whether the prediction held."""
    from .stats import paired_difference, verdict

    comparison = paired_difference(variant, baseline, variant_label, baseline_label)
    if comparison.low > 0:
        moved = "went up"
    elif comparison.high < 0:
        moved = "went down"
    else:
        moved = "did not move measurably (the interval includes zero)"
    print(f"{metric}: {variant_label} {comparison.mean_a:.3f}, {baseline_label} {comparison.mean_b:.3f} (the same {comparison.n} items)")
    print(f"difference, {variant_label} - {baseline_label}: {comparison}: the {metric} {moved}.")
    outcome = verdict(comparison, "higher" if direction == "up" else "lower")
    judged = {
        "supported": "your prediction was right",
        "contradicted": "your prediction was wrong, which is a finding too: write down why it went the other way",
    }.get(outcome, f"this run cannot judge your prediction ({outcome}): change the knob more, or measure more items")
    print(f"you predicted {direction!r}: {judged}.")


def _training_history(history: Any, made_by: str) -> Any:
    """A `TrainingHistory` from a real run: losses logged, every one finite."""
    from .training import TrainingHistory

    history = _instance(history, TrainingHistory, f"the TrainingHistory that {made_by} returned")
    losses = [float(_plain(value)) for value in history.train_loss]
    if not history.steps or not losses or not all(math.isfinite(value) for value in losses):
        raise _NotYet(f"this TrainingHistory logged no training loss: pass the one {made_by} returned after your run.")
    return history


def _last_step(history: Any) -> int:
    """The last step a history logged (training loss or evaluation)."""
    return int(max([*history.steps, *history.eval_steps]))


def _same_weights(model: Any, other: Any) -> bool:
    """True if two torch models hold identical parameters (the same model passed twice, or an untrained copy)."""
    import torch

    if model is other:
        return True
    mine, theirs = model.state_dict(), other.state_dict()
    return mine.keys() == theirs.keys() and all(torch.equal(mine[key].detach().cpu(), theirs[key].detach().cpu()) for key in mine)


def _trained_variant(variant_model: Any, baseline_model: Any, hint: str) -> None:
    """The variant is a torch model that is not the baseline (nor a copy of it)."""
    if not hasattr(variant_model, "state_dict") or not hasattr(variant_model, "parameters"):
        raise _NotYet(f"pass the model your run trained, got {_type_name(variant_model)}: {hint}.")
    if _same_weights(variant_model, baseline_model):
        raise _NotYet(f"your model is the baseline itself (identical weights): {hint}.")


def _history_matches_model(history: Any, eval_name: str, losses: Sequence[float], hint: str) -> None:
    """The history's last evaluation on `eval_name` is this model at its last step, scored on these blocks."""
    recorded = history.eval_loss.get(eval_name) if isinstance(history.eval_loss, Mapping) else None
    if not recorded:
        raise _NotYet(f"the history has no '{eval_name}' evaluation: {hint}.")
    if not history.eval_steps or int(history.eval_steps[-1]) != _last_step(history):
        raise _NotYet(f"the history's last evaluation is not at its last step: {hint}.")
    measured = sum(losses) / len(losses)
    if abs(float(_plain(recorded[-1])) - measured) > EVAL_LOSS_TOLERANCE:
        raise _NotYet(f"the history's last '{eval_name}' loss ({float(_plain(recorded[-1])):.3f}) is not this model's loss on these blocks ({measured:.3f}): pass the model and the history of the same run, evaluated on the notebook's blocks.")


@_checker("Exercise 4 (experiment): fewer or more pre-training steps")
def check_pretraining_experiment(prediction: Any, history: Any, variant_model: Any, baseline_model: Any, val_blocks: Any) -> None:
    """Check a pre-training run with a changed `num_steps`, then report its validation loss against the notebook's model."""
    from .evaluation import block_losses
    from .recipes import PRETRAIN

    direction = _prediction(prediction)
    history = _training_history(history, "pretrain(...)")
    steps = _last_step(history)
    if steps == PRETRAIN.num_steps:
        raise _NotYet(f"your run took the recipe's own {PRETRAIN.num_steps} steps: change num_steps (dataclasses.replace(PRETRAIN, num_steps=...)).")
    _trained_variant(variant_model, baseline_model, "train a fresh_model(tokenizer) with your recipe and pass it")
    variant_losses, baseline_losses = block_losses(variant_model, val_blocks), block_losses(baseline_model, val_blocks)
    _history_matches_model(history, "validation", variant_losses,
                           f"train with pretrain(model, train_blocks, val_blocks, recipe) and a num_steps that is a multiple of eval_every ({PRETRAIN.eval_every})")
    _report_experiment(direction, variant_losses, baseline_losses, "validation loss (nats/token)", f"{steps} steps", f"{PRETRAIN.num_steps} steps")


@_checker("Exercise 4 (experiment): another replay share")
def check_replay_experiment(prediction: Any, replay_fraction: Any, history: Any, variant_model: Any, baseline_model: Any, general_val_blocks: Any) -> None:
    """Check a CPT run with a changed replay share, then report its general (Austen) loss against CPT without replay."""
    from .evaluation import block_losses
    from .recipes import CPT

    direction = _prediction(prediction)
    fraction = _as_float(replay_fraction, "a float (the replay share you trained with)")
    if not 0 < fraction < 1:
        raise _NotYet(f"the notebook's saved model used no replay (0.0): train with a replay share between 0 and 1, got {fraction}.")
    history = _training_history(history, "continue_pretraining(...)")
    if _last_step(history) != CPT.num_steps:
        raise _NotYet(f"your run took {_last_step(history)} steps, the no-replay run {CPT.num_steps}: change only the replay share, keep the CPT recipe.")
    _trained_variant(variant_model, baseline_model, "start from load_checkpoint('01_pretrained'), train it on mix_replay(...) blocks and pass it")
    variant_losses, baseline_losses = block_losses(variant_model, general_val_blocks), block_losses(baseline_model, general_val_blocks)
    _history_matches_model(history, "general", variant_losses, "evaluate the run on eval_sets, whose 'general' entry is general_val_blocks")
    _report_experiment(direction, variant_losses, baseline_losses, "general (Austen) loss (nats/token)", f"{fraction:.0%} replay", "no replay")


def _one_changed_field(recipe: Any, default: Any, name: str) -> str:
    """The one field in which `recipe` differs from `default`; none or several fail with a hint."""
    from dataclasses import fields

    changed = [f.name for f in fields(default) if getattr(recipe, f.name) != getattr(default, f.name)]
    if not changed:
        raise _NotYet(f"your recipe is {name} itself: change one setting, e.g. dataclasses.replace({name}, lr=...).")
    if len(changed) > 1:
        raise _NotYet(f"change one setting only, so that the effect has one cause; yours changes {changed}.")
    return changed[0]


@_checker("Exercise 5 (experiment): one setting of instruction fine-tuning")
def check_ift_experiment(prediction: Any, recipe: Any, history: Any, variant_score: Any, baseline_score: Any, eval_set: Sequence[Mapping[str, str]]) -> None:
    """Check an IFT run with one changed recipe setting, then report its instruction score against the notebook's run."""
    from .finetuning import InstructionScore, score_answer
    from .recipes import IFT, IftRecipe, live_recipe

    live = live_recipe(IFT)  # section 4's live run is the baseline
    direction = _prediction(prediction)
    recipe = _instance(recipe, IftRecipe, "the recipe you trained with, dataclasses.replace(LIVE, ...)")
    knob = _one_changed_field(recipe, live, "LIVE")
    history = _training_history(history, "run_ift(...)")
    if not recipe.num_steps - 10 < _last_step(history) <= recipe.num_steps:
        raise _NotYet(f"the history ends at step {_last_step(history)}, the recipe says {recipe.num_steps}: train with run_ift(model, tokenizer, examples, recipe).")
    records = list(eval_set)
    scores = {}
    for label, result in (("your run", variant_score), ("the baseline", baseline_score)):
        result = _instance(result, InstructionScore, f"{label}'s instruction_score(model, tokenizer, eval_set, IFT.max_new_tokens)")
        items = _finite_scores(result.item_scores, f"{label}'s item_scores")
        if len(items) != len(records) or len(result.answers) != len(records):
            raise _NotYet(f"{label} was scored on {len(items)} instructions, eval_set has {len(records)}: score both runs on the same eval_set.")
        rescored = [score_answer(r["task"], answer, r["output"]) for r, answer in zip(records, result.answers)]
        if any(not _close(a, b, rel=1e-6, abs_=1e-9) for a, b in zip(items, rescored)):
            raise _NotYet(f"{label}'s item_scores are not the scores of its answers: pass instruction_score's result unchanged.")
        scores[label] = (items, list(result.answers))
    if scores["your run"][1] == scores["the baseline"][1]:
        raise _NotYet("your run's answers are the baseline's, word for word: score the model you trained with the changed recipe.")
    _report_experiment(direction, scores["your run"][0], scores["the baseline"][0], "instruction score (per instruction)",
                       f"{knob}={getattr(recipe, knob)}", f"{knob}={getattr(live, knob)}")


def _chunk_hits(embedder: Any, chunks: Sequence[Any], vectors: Any, pages: Sequence[Any], questions: Sequence[Mapping[str, Any]], k: int) -> list[float]:
    """Per question, 1.0 when a top-k chunk holds the opening of its gold section (`rag.evaluate_chunking`, item by item)."""
    from .rag import chunks_holding_start
    from .retrieval import (
        UNFILTERED,
        embedder_name_of,
        index_from_vectors,
        ranked_ids,
        search_many,
    )

    chunk_index = index_from_vectors([c.chunk_id for c in chunks], np.asarray(vectors, dtype=np.float32), embedder_name_of(embedder))
    rankings = [ranked_ids(hits) for hits in search_many(chunk_index, embedder, [q["question"] for q in questions], k=k, allowed_ids=UNFILTERED)]
    page_of = {doc_id: page for page in pages for doc_id in page.spans}
    golds = [chunks_holding_start(chunks, page_of[q["gold_doc_ids"][0]], q["gold_doc_ids"][0]) for q in questions]
    return [float(bool(set(ranking[:k]) & set(gold))) for ranking, gold in zip(rankings, golds)]


def _checked_chunking(chunks: Any, vectors: Any, embedder: Any, what: str) -> tuple[list[Any], np.ndarray]:
    """Chunks and their vectors: a list of `rag.Chunk`, one unit vector per chunk, made by `embedder` from the chunks' texts."""
    from .rag import Chunk
    from .retrieval import embed_texts

    if not isinstance(chunks, (list, tuple)) or not chunks or not all(isinstance(c, Chunk) for c in chunks):
        raise _NotYet(f"pass {what}'s chunks as the list rag.window_chunks(...) returned, got {_type_name(chunks)}.")
    try:
        array = np.asarray(vectors.detach().cpu() if hasattr(vectors, "detach") else vectors, dtype=np.float32)
    except (TypeError, ValueError):
        raise _NotYet(f"pass {what}'s vectors as the array embed_texts(...) returned, got {_type_name(vectors)}.") from None
    if array.ndim != 2 or array.shape[0] != len(chunks) or not np.all(np.isfinite(array)):
        raise _NotYet(f"{what}: {len(chunks)} chunks need an array of {len(chunks)} rows, one vector per chunk; got shape {array.shape}.")
    probes = sorted({0, len(chunks) // 2, len(chunks) - 1})
    expected = embed_texts(embedder, [chunks[i].text for i in probes])
    if array.shape[1] != expected.shape[1] or not np.all(np.sum(array[probes] * expected, axis=1) > 0.99):
        raise _NotYet(f"{what}'s vectors are not the embeddings of its chunks: embed_texts(embedder, [c.text for c in chunks]).")
    return list(chunks), array


@_checker("Exercise 4 (experiment): another chunk size")
def check_chunking_experiment(prediction: Any, chunks: Any, vectors: Any, baseline_chunks: Any, baseline_vectors: Any, embedder: Any,
                              pages: Sequence[Any], questions: Sequence[Mapping[str, Any]], k: int = 1) -> None:
    """Check a re-chunking of the FAQ pages, then report hit@k against the notebook's 128-token windows on the same questions."""
    direction = _prediction(prediction)
    chunks, array = _checked_chunking(chunks, vectors, embedder, "your chunking")
    baseline_chunks, baseline_array = _checked_chunking(baseline_chunks, baseline_vectors, embedder, "the baseline")
    if [(c.page_id, c.start, c.end) for c in chunks] == [(c.page_id, c.start, c.end) for c in baseline_chunks]:
        raise _NotYet("your chunks are the baseline's, boundary for boundary: change chunk_size (or overlap) in rag.window_chunks.")
    if {c.page_id for c in chunks} != {c.page_id for c in baseline_chunks}:
        raise _NotYet("chunk the same pages as the baseline (faq_pages), so that both chunkings cover the same text.")
    variant_hits = _chunk_hits(embedder, chunks, array, pages, questions, k)
    baseline_hits = _chunk_hits(embedder, baseline_chunks, baseline_array, pages, questions, k)
    mean_length = lambda items: sum(len(c.text) for c in items) / len(items)
    print(f"{len(chunks)} chunks of {mean_length(chunks):.0f} characters on average, against {len(baseline_chunks)} of {mean_length(baseline_chunks):.0f}")
    _report_experiment(direction, variant_hits, baseline_hits, f"hit@{k} (answer opening in the top {k})", "your chunks", "the baseline's")


def _embeds_differently(model: Any, other: Any) -> bool:
    """True if two embedders give different vectors for the same probe sentences."""
    from .retrieval import embed_texts

    probes = ["How many vacation days do I get in Germany?", "PRAGMA journal_mode=WAL;"]
    return not np.allclose(embed_texts(model, probes), embed_texts(other, probes), atol=1e-5)


@_checker("Exercise 4 (experiment): one setting of embedder fine-tuning")
def check_embedder_experiment(prediction: Any, recipe: Any, history: Any, variant_model: Any, baseline_model: Any,
                              queries: Sequence[Mapping[str, Any]], documents: Sequence[Mapping[str, Any]]) -> None:
    """Check an embedder fine-tuned with one changed recipe setting, then report hit@1 against the baseline on held-out questions."""
    from .data import texts_of
    from .embedder_finetuning import (
        EMBEDDER_RECIPE,
        EmbedderRecipe,
        corpus_vectors,
        hits_at_k,
    )
    from .retrieval import embed_texts

    direction = _prediction(prediction)
    recipe = _instance(recipe, EmbedderRecipe, "the recipe you trained with, dataclasses.replace(ef.EMBEDDER_RECIPE, ...)")
    knob = _one_changed_field(recipe, EMBEDDER_RECIPE, "ef.EMBEDDER_RECIPE")
    _training_history(history, "ef.train_embedder(...)")
    for label, model in (("your model", variant_model), ("the baseline", baseline_model)):
        if not hasattr(model, "encode") or "-ft-" not in str(getattr(model, "course_name", "")):
            raise _NotYet(f"{label} is not an embedder trained by ef.train_embedder (it names trained models '<base>-ft-<digest>'), got {_type_name(model)}.")
    if variant_model is baseline_model or not _embeds_differently(variant_model, baseline_model):
        raise _NotYet("your model embeds exactly like the baseline: train a fresh_embedder() with the changed recipe and pass that one.")
    queries, documents = list(queries), list(documents)
    variant_hits = hits_at_k(variant_model, queries, documents, embed_texts(variant_model, texts_of(documents)), 1)
    # The baseline's document vectors are in the cache when it is notebook 05's model; the variant's never are.
    baseline_hits = hits_at_k(baseline_model, queries, documents, corpus_vectors(baseline_model, documents, "experiment-documents"), 1)
    _report_experiment(direction, variant_hits, baseline_hits, "hit@1 (the right document first)",
                       f"{knob}={getattr(recipe, knob)}", f"{knob}={getattr(EMBEDDER_RECIPE, knob)}")


def _rescored(task: Any, result: Any, label: str) -> list[float]:
    """A VariantResult's per-example scores, checked against its replies (a reply of "" is a prompt that did not fit)."""
    from .prompt_eval import final_answer, score_reply

    scores = _finite_scores(result.scores, f"{label}'s scores")
    if len(scores) != len(task.examples) or len(result.replies) != len(task.examples):
        raise _NotYet(f"{label} answered {len(scores)} examples, the task has {len(task.examples)}: evaluate both variants on the whole task.")
    for score, reply, example in zip(scores, result.replies, task.examples):
        possible = {0.0} if reply == "" else {score_reply(task, reply, example), score_reply(task, final_answer(reply), example)}
        if not any(_close(score, value) for value in possible):
            raise _NotYet(f"{label}'s scores are not the scores of its replies: pass evaluate_variant's result unchanged.")
    return scores


@_checker("Exercise 4 (experiment): a prompt variant of your own")
def check_prompt_experiment(prediction: Any, variant_result: Any, baseline_result: Any, task: Any) -> None:
    """Check a prompt variant evaluated on the same task as a baseline variant, then report the accuracy difference."""
    from .prompt_eval import Task, VariantResult

    direction = _prediction(prediction)
    task = _instance(task, Task, "the task both variants were evaluated on (e.g. source)")
    results = {}
    for label, result in (("your variant", variant_result), ("the baseline", baseline_result)):
        result = _instance(result, VariantResult, f"{label}'s pe.evaluate_variant(...) result")
        if result.task != task.name:
            raise _NotYet(f"{label} was evaluated on task {result.task!r}, not {task.name!r}: evaluate both variants on the same task.")
        results[label] = (result, _rescored(task, result, label))
    variant, baseline = results["your variant"][0], results["the baseline"][0]
    if variant.variant == baseline.variant or (variant.replies == baseline.replies and _close(variant.prompt_tokens, baseline.prompt_tokens)):
        raise _NotYet("your variant is the baseline (same name, or the same prompts and replies): change one thing in a PromptVariant and evaluate it.")
    print(f"prompt tokens per example: {variant.variant!r} {variant.prompt_tokens:.0f}, {baseline.variant!r} {baseline.prompt_tokens:.0f}")
    _report_experiment(direction, results["your variant"][1], results["the baseline"][1], f"{task.name} accuracy", repr(variant.variant), repr(baseline.variant))


def _question_key(question: Mapping[str, Any]) -> tuple[str, str]:
    """A question as asked: its text and its asker's role (the same text asked by another role is another item)."""
    return str(question.get("question")), str(question.get("asker_visibility"))


@_checker("Exercise 4 (experiment): one parameter of a RAG approach")
def check_rag_experiment(prediction: Any, variant_run: Any, baseline_run: Any) -> None:
    """Check a RAG run with one changed parameter against the baseline run on the same questions, then report accuracy."""
    from .assistant import ApproachRun

    direction = _prediction(prediction)
    for label, run in (("your run", variant_run), ("the baseline", baseline_run)):
        _instance(run, ApproachRun, f"{label}'s assistant.answer_questions(...) result")
        n = len(run.questions)
        if not n or not len(run.replies) == len(run.prompt_tokens) == len(run.source_ids) == n:
            raise _NotYet(f"{label} has {n} questions but {len(run.replies)} replies: pass answer_questions' result unchanged.")
    position = {_question_key(q): i for i, q in enumerate(baseline_run.questions)}
    shared = [(i, position[_question_key(q)]) for i, q in enumerate(variant_run.questions) if _question_key(q) in position]
    if len(shared) < len(variant_run.questions):
        raise _NotYet(f"{len(variant_run.questions) - len(shared)} of your questions are not in the baseline run: answer the same questions (or a slice of them).")
    mine = [(variant_run.replies[i], variant_run.prompt_tokens[i], variant_run.source_ids[i]) for i, _ in shared]
    theirs = [(baseline_run.replies[j], baseline_run.prompt_tokens[j], baseline_run.source_ids[j]) for _, j in shared]
    if variant_run is baseline_run or mine == theirs:
        raise _NotYet("your run has the baseline's prompts and replies: change one parameter (e.g. the retriever's n_sentences) and answer again.")
    variant_scores, baseline_scores = ([run.scores[i] for i in rows] for run, rows in ((variant_run, [i for i, _ in shared]), (baseline_run, [j for _, j in shared])))
    print(f"prompt tokens per question: yours {sum(m[1] for m in mine) / len(mine):.0f}, the baseline's {sum(t[1] for t in theirs) / len(theirs):.0f}")
    _report_experiment(direction, variant_scores, baseline_scores, "answer accuracy", variant_run.name, baseline_run.name)
