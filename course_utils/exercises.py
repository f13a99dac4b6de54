"""Auto-checked exercises: each `check_*` prints a clear pass, or a fail with a hint, and returns a bool.

A checker never raises on a wrong answer (a learner's unfinished exercise must not stop the notebook);
the solution notebooks `assert` the returned bool, so CI proves every exercise is solvable.
Notebook 00's checkers are here; each later notebook adds its own below its heading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

PASS_MARK, FAIL_MARK = "PASS", "NOT YET"


def report_check(exercise: str, passed: bool, hint: str = "") -> bool:
    """Print the outcome of one exercise check and return `passed`."""
    if passed:
        print(f"[{PASS_MARK}] {exercise}")
    else:
        print(f"[{FAIL_MARK}] {exercise}: {hint}")
    return passed


def _call_safely(exercise: str, function: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """Call a learner's function; turn an exception into a failed check instead of a crash."""
    try:
        return True, function(*args)
    except NotImplementedError:
        report_check(exercise, False, "the function still raises NotImplementedError: replace the placeholder with your code.")
    except Exception as error:  # a learner's bug: show it, don't stop the notebook
        report_check(exercise, False, f"your function raised {type(error).__name__}: {error}")
    return False, None


# --- Notebook 00: setup and map -------------------------------------------------------------

# The article's own advice for each scenario (see ../shared/ARTICLE.md, "When" of each approach).
APPROACH_SCENARIOS: dict[str, tuple[str, str]] = {
    "A model for a language no available model has ever seen": (
        "pretraining", "the article keeps pre-training for when nothing cheaper works, e.g. an unseen language."),
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


def check_approach_choices(answers: Mapping[str, str]) -> bool:
    """Check a {scenario: approach} dict against the article's advice for each scenario."""
    exercise = "Exercise 1 (easy): pick an approach per scenario"
    if not isinstance(answers, Mapping) or set(answers) != set(APPROACH_SCENARIOS):
        return report_check(exercise, False, "return a dict with exactly the scenarios of APPROACH_SCENARIOS as keys.")
    invalid = [value for value in answers.values() if value not in APPROACHES]
    if invalid:
        return report_check(exercise, False, f"use only these names: {APPROACHES}; got {invalid}.")
    wrong = [scenario for scenario, (expected, _) in APPROACH_SCENARIOS.items() if answers[scenario] != expected]
    if wrong:
        return report_check(exercise, False, f"{len(wrong)} scenario(s) differ from the article, e.g. {wrong[0]!r}. Re-read that approach's 'When'.")
    return report_check(exercise, True)


def check_most_similar(most_similar: Callable[[str, Sequence[str]], str], embedder: Any) -> bool:
    """Check a learner's `most_similar(query, candidates) -> str` on cases with an unambiguous answer."""
    from .retrieval import embed_texts

    exercise = "Exercise 2 (medium): most_similar(query, candidates)"
    cases = [
        ("How do I reset my password?", ["Steps to change a forgotten login password", "Vacation days per country", "Quarterly sales figures"]),
        ("How many days of holiday do I get?", ["Steps to change a forgotten login password", "Annual leave entitlement for employees", "Printer troubleshooting"]),
    ]
    for query, candidates in cases:
        ok, answer = _call_safely(exercise, most_similar, query, candidates)
        if not ok:
            return False
        vectors = embed_texts(embedder, [query, *candidates])
        expected = candidates[int((vectors[1:] @ vectors[0]).argmax())]
        if answer != expected:
            return report_check(exercise, False, f"for {query!r} expected {expected!r}, got {answer!r}. Embed the query and the candidates, compare with cosine similarity, return the best candidate string.")
    return report_check(exercise, True)


def check_prompt_token_count(count_prompt_tokens: Callable[[str], int], tokenizer: Any) -> bool:
    """Check a learner's `count_prompt_tokens(question) -> int` (tokens the chat model really sees)."""
    exercise = "Exercise 3 (stretch): count the tokens of a chat prompt"
    for question in ("What is RAG?", "Summarise our travel policy in two sentences, please."):
        ok, answer = _call_safely(exercise, count_prompt_tokens, question)
        if not ok:
            return False
        messages = [{"role": "user", "content": question}]
        expected = len(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])
        if answer == len(tokenizer(question)["input_ids"]):
            return report_check(exercise, False, "that counts the question alone; the model sees the chat template around it. Use tokenizer.apply_chat_template.")
        if answer != expected:
            return report_check(exercise, False, f"for {question!r} expected {expected} tokens, got {answer!r}. Did you set add_generation_prompt=True?")
    return report_check(exercise, True)
