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


# --- Notebook 01: pre-training ----------------------------------------------------------------


def check_parameter_formula(gpt2_parameters: Callable[[int, int, int, int], int]) -> bool:
    """Check `gpt2_parameters(vocab_size, context_length, n_layer, n_embd) -> int` against real models."""
    from .models import TinyGPTConfig, build_tiny_gpt, count_parameters

    exercise = "Exercise 1 (easy): count a GPT-2's parameters with a formula"
    for vocab_size, context_length, n_layer, n_embd in ((512, 64, 2, 64), (4096, 128, 4, 128)):
        ok, answer = _call_safely(exercise, gpt2_parameters, vocab_size, context_length, n_layer, n_embd)
        if not ok:
            return False
        config = TinyGPTConfig(vocab_size=vocab_size, context_length=context_length, n_layer=n_layer, n_head=4, n_embd=n_embd)
        expected = count_parameters(build_tiny_gpt(config))
        if answer != expected:
            hint = "remember the head is tied to the token embeddings (counted once)" if answer == expected + vocab_size * n_embd else (
                "per block: attention 4·d² + 4·d, MLP 8·d² + 5·d, two layer norms 4·d; plus embeddings and a final layer norm (2·d)")
            return report_check(exercise, False, f"for {config} expected {expected:,}, got {answer!r}: {hint}.")
    return report_check(exercise, True)


def check_next_token_loss(next_token_loss: Callable[[Any, Any], float]) -> bool:
    """Check `next_token_loss(logits, input_ids) -> float`: mean cross-entropy of predicting token t+1 from position t."""
    import torch
    import torch.nn.functional as F

    exercise = "Exercise 2 (medium): the next-token loss by hand"
    generator = torch.Generator().manual_seed(0)
    logits, input_ids = torch.randn(2, 6, 11, generator=generator), torch.randint(0, 11, (2, 6), generator=generator)
    ok, answer = _call_safely(exercise, next_token_loss, logits, input_ids)
    if not ok:
        return False
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, 11), input_ids[:, 1:].reshape(-1)).item()
    unshifted = F.cross_entropy(logits.reshape(-1, 11), input_ids.reshape(-1)).item()
    try:
        answer = float(answer)
    except (TypeError, ValueError):
        return report_check(exercise, False, f"return a float (use .item()), got {type(answer).__name__}.")
    if abs(answer - unshifted) < 1e-5 and abs(unshifted - expected) > 1e-5:
        return report_check(exercise, False, "the logits at position t predict token t+1: drop the last logit and the first token.")
    if abs(answer - expected) > 1e-4:
        return report_check(exercise, False, f"expected {expected:.4f}, got {answer:.4f}. Use F.cross_entropy on flattened (B·(T-1), V) logits.")
    return report_check(exercise, True)


def check_training_days(training_days: Callable[[float, float, int, float, float], float]) -> bool:
    """Check `training_days(n_parameters, n_tokens, n_gpus, peak_flops_per_gpu, utilisation) -> float`."""
    from .costs import ClusterAssumptions, estimate_training_cost

    exercise = "Exercise 3 (stretch): days to pre-train on a cluster"
    for n_parameters, n_tokens, n_gpus in ((8e9, 15e12, 1024), (405e9, 15.6e12, 16384)):
        cluster = ClusterAssumptions(n_gpus=n_gpus)
        ok, answer = _call_safely(exercise, training_days, n_parameters, n_tokens, n_gpus, cluster.peak_flops_per_gpu, cluster.utilisation)
        if not ok:
            return False
        expected = estimate_training_cost(n_parameters, n_tokens, cluster).days
        if not isinstance(answer, (int, float)) or abs(answer - expected) > 0.01 * expected:
            hint = "did you use 6 FLOPs per parameter per token?" if isinstance(answer, (int, float)) and abs(answer * 6 - expected) < 0.01 * expected else (
                "FLOPs = 6·N·D; divide by (GPUs × peak × utilisation) for seconds, then by 86,400")
            return report_check(exercise, False, f"for {n_parameters:.0e} parameters expected {expected:.1f} days, got {answer!r}: {hint}.")
    return report_check(exercise, True)


# --- Notebook 02: continued pre-training -------------------------------------------------------


def check_words_per_context(words_per_context: Callable[[Any, Sequence[str], int], float], tokenizer: Any) -> bool:
    """Check `words_per_context(tokenizer, texts, context_length) -> float`: words that fit in one context window."""
    from .models import tokens_per_word

    exercise = "Exercise 1 (easy): words per context window"
    texts = ["SELECT name FROM sqlite_master WHERE type='table';", "It was a fine morning, and Emma walked to Hartfield."]
    ok, answer = _call_safely(exercise, words_per_context, tokenizer, texts, 128)
    if not ok:
        return False
    expected = 128 / tokens_per_word(tokenizer, texts)
    if not isinstance(answer, (int, float)) or abs(answer - expected) > 1e-6 * expected:
        return report_check(exercise, False, f"expected {expected:.1f} words, got {answer!r}: divide the context length by tokens per word.")
    return report_check(exercise, True)


def check_replay_blocks(replay_blocks_needed: Callable[[int, float], int]) -> bool:
    """Check `replay_blocks_needed(n_domain_blocks, replay_fraction) -> int` (general blocks to mix in)."""
    exercise = "Exercise 2 (medium): how many general blocks to replay"
    for n_domain, fraction in ((300, 0.25), (1000, 0.5), (90, 0.1)):
        ok, answer = _call_safely(exercise, replay_blocks_needed, n_domain, fraction)
        if not ok:
            return False
        expected = round(n_domain * fraction / (1 - fraction))
        if answer == round(n_domain * fraction):
            return report_check(exercise, False, "that makes general text a share of the *domain* blocks; it must be that share of the *mixed* total.")
        if answer != expected:
            return report_check(exercise, False, f"for {n_domain} domain blocks at {fraction:.0%} expected {expected}, got {answer!r}: solve g / (n + g) = fraction for g.")
    return report_check(exercise, True)


def check_packing(pack_with_separator: Callable[[Any, Sequence[str], int], Any], tokenizer: Any) -> bool:
    """Check `pack_with_separator(tokenizer, texts, block_size) -> LongTensor` against the course's packing."""
    import torch

    from .training import pack_blocks, tokenize_documents

    exercise = "Exercise 3 (stretch): concatenate documents with a separator and cut blocks"
    texts = ["PRAGMA journal_mode=WAL;", "Emma Woodhouse, handsome, clever, and rich.", "VACUUM INTO 'backup.db';"] * 4
    ok, answer = _call_safely(exercise, pack_with_separator, tokenizer, texts, 16)
    if not ok:
        return False
    expected = pack_blocks(tokenize_documents(tokenizer, texts), 16)
    if not isinstance(answer, torch.Tensor) or answer.shape != expected.shape:
        return report_check(exercise, False, f"return a LongTensor of shape {tuple(expected.shape)}, got {getattr(answer, 'shape', type(answer))}.")
    if not torch.equal(answer, expected):
        return report_check(exercise, False, "the ids differ: append tokenizer.eos_token_id after *every* document, then drop the ragged tail.")
    return report_check(exercise, True)


# --- Notebook 03: instruction fine-tuning -----------------------------------------------------


def check_prompt_mask(mask_prompt_labels: Callable[[list[int], int], list[int]]) -> bool:
    """Check `mask_prompt_labels(input_ids, n_prompt_tokens) -> labels` (-100 on the prompt, ids elsewhere)."""
    exercise = "Exercise 1 (easy): mask the prompt in the labels"
    ids = [2, 202, 51, 52, 53, 3, 202, 61, 62, 0]
    ok, answer = _call_safely(exercise, mask_prompt_labels, list(ids), 7)
    if not ok:
        return False
    expected = [-100] * 7 + ids[7:]
    if answer == ids[:7] + [-100] * 3:
        return report_check(exercise, False, "you masked the answer instead of the prompt: the first n_prompt_tokens become -100.")
    if answer != expected:
        return report_check(exercise, False, f"expected {expected}, got {answer!r}.")
    return report_check(exercise, True)


def check_lora_parameters(lora_parameters: Callable[[Sequence[tuple[int, int]], int], int]) -> bool:
    """Check `lora_parameters(shapes, r) -> int`: r x (d_in + d_out) summed over the adapted matrices."""
    exercise = "Exercise 2 (medium): count LoRA's trainable parameters"
    cases = [([(128, 384), (128, 128)], 8), ([(576, 576), (576, 192)] * 30, 8)]
    for shapes, r in cases:
        ok, answer = _call_safely(exercise, lora_parameters, shapes, r)
        if not ok:
            return False
        expected = sum(r * (d_in + d_out) for d_in, d_out in shapes)
        if answer == sum(r * d_in * d_out for d_in, d_out in shapes):
            return report_check(exercise, False, "LoRA learns A (r x d_in) and B (d_out x r), not a d_in x d_out matrix.")
        if answer != expected:
            return report_check(exercise, False, f"for r={r} and {len(shapes)} matrices expected {expected:,}, got {answer!r}.")
    return report_check(exercise, True)


def check_chat_format(format_chat: Callable[[str, str], str], tokenizer: Any) -> bool:
    """Check `format_chat(user_content, answer) -> str` against the tokenizer's chat template."""
    exercise = "Exercise 3 (stretch): write the chat format by hand"
    for content, answer in (("Is this from a novel?\nEmma smiled.", "novel"), ("Give the title of this passage.\nWAL mode...", "Write-Ahead Logging")):
        ok, result = _call_safely(exercise, format_chat, content, answer)
        if not ok:
            return False
        expected = tokenizer.apply_chat_template([{"role": "user", "content": content}, {"role": "assistant", "content": answer}], tokenize=False)
        if result != expected:
            return report_check(exercise, False, f"expected {expected!r}, got {result!r}. Print tokenizer.chat_template to see the pieces.")
    return report_check(exercise, True)


# --- Notebook 04: RAG ---


def check_visible_ids(visible_ids: Callable[[Sequence[Mapping[str, Any]], str], list[str]]) -> bool:
    """Check `visible_ids(documents, role) -> list[str]`: the ids a user with `role` may see, in document order."""
    from .data import is_visible_to, load_handbook

    exercise = "Exercise 1 (easy): the documents a role may see"
    documents = load_handbook()
    for role in ("all", "hr", "it"):
        ok, answer = _call_safely(exercise, visible_ids, documents, role)
        if not ok:
            return False
        expected = [d["doc_id"] for d in documents if is_visible_to(d, role)]
        if not isinstance(answer, list):
            return report_check(exercise, False, f"return a list of doc ids, got {type(answer).__name__}.")
        if set(answer) - set(expected):
            leaked = sorted(set(answer) - set(expected))[:3]
            return report_check(exercise, False, f"role {role!r} must not see {leaked}: keep documents whose visibility is 'all' or the role itself.")
        if answer != expected:
            return report_check(exercise, False, f"role {role!r} should see {len(expected)} documents, you returned {len(answer)}; documents for everyone (visibility 'all') count too.")
    return report_check(exercise, True)


def check_rrf(fuse: Callable[[Sequence[Sequence[str]], int], list[str]]) -> bool:
    """Check `fuse(rankings, k=60) -> list[str]` (reciprocal rank fusion) against `retrieval.reciprocal_rank_fusion`."""
    from .retrieval import reciprocal_rank_fusion

    exercise = "Exercise 2 (medium): reciprocal rank fusion"
    cases = [
        ([["a", "b", "c"], ["b", "c", "d"]], 60),
        ([["x", "y"], ["z"], ["y", "z", "x"]], 1),
        ([["x", "p", "q", "y"], ["p1", "p2", "p3", "y"], ["s1", "s2", "s3", "y"]], 1),  # 0-based ranks put x above y
        ([["d1", "d2", "d3", "d4"], ["d4", "d3", "d2", "d1"]], 0),
    ]
    for rankings, k in cases:
        ok, answer = _call_safely(exercise, fuse, rankings, k)
        if not ok:
            return False
        expected = [doc_id for doc_id, _ in reciprocal_rank_fusion(rankings, k)]
        if not isinstance(answer, list) or sorted(answer) != sorted(expected):
            return report_check(exercise, False, f"for {rankings} return every document that appears in any ranking once, got {answer!r}.")
        scores = dict(reciprocal_rank_fusion(rankings, k))
        if [round(scores[d], 12) for d in answer] != [round(scores[d], 12) for d in expected]:
            return report_check(exercise, False, f"for {rankings} with k={k} expected the order {expected}, got {answer}. Score = sum of 1 / (k + rank), ranks start at 1.")
    return report_check(exercise, True)


def check_search_all_above(search_all_above: Callable[[str, float], list[str]], vector_index: Any, embedder: Any) -> bool:
    """Check `search_all_above(query, min_score) -> list[str]`: every document scoring at least `min_score`, however many."""
    from .retrieval import search_above

    exercise = "Exercise 3 (stretch): keep searching until results turn dissimilar"
    for query, min_score in (("Which documents cover responsible AI?", 0.3), ("vacation days", 0.45), ("quantum chromodynamics", 0.9)):
        ok, answer = _call_safely(exercise, search_all_above, query, min_score)
        if not ok:
            return False
        expected = [doc_id for doc_id, _ in search_above(vector_index, embedder, query, min_score)]
        if not isinstance(answer, list) or set(answer) != set(expected):
            got = len(answer) if isinstance(answer, list) else type(answer).__name__
            hint = "you stopped after one page: ask for more results while the last one still scores above the threshold" if isinstance(answer, list) and 0 < len(answer) < len(expected) and len(answer) % 5 == 0 else (
                "keep exactly the documents whose score is >= min_score")
            return report_check(exercise, False, f"for {query!r} at {min_score} expected {len(expected)} documents, got {got}: {hint}.")
    return report_check(exercise, True)
