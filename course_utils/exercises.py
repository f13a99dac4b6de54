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
    exercise = "Exercise 4 (stretch): write the chat format by hand"
    for content, answer in (("Is this from a novel?\nEmma smiled.", "novel"), ("Give the title of this passage.\nWAL mode...", "Write-Ahead Logging")):
        ok, result = _call_safely(exercise, format_chat, content, answer)
        if not ok:
            return False
        expected = tokenizer.apply_chat_template([{"role": "user", "content": content}, {"role": "assistant", "content": answer}], tokenize=False)
        if result != expected:
            return report_check(exercise, False, f"expected {expected!r}, got {result!r}. Print tokenizer.chat_template to see the pieces.")
    return report_check(exercise, True)


def check_lora_at_full_ft_settings(train_lora: Callable[[], Any], tokenizer: Any, eval_set: Sequence[Mapping[str, str]], full_ft_score: float) -> bool:
    """Check `train_lora() -> model`: LoRA trained with full fine-tuning's recipe, scored against full fine-tuning."""
    from .finetuning import instruction_score
    from .recipes import IFT

    exercise = "Exercise 3 (medium): LoRA at full fine-tuning's learning rate and steps"
    ok, model = _call_safely(exercise, train_lora)
    if not ok:
        return False
    adapters = [parameter for name, parameter in model.named_parameters() if "lora_B" in name] if hasattr(model, "named_parameters") else []
    if not adapters:
        return report_check(exercise, False, "return the LoRA model: lora_model(copy.deepcopy(cpt_model), r=IFT.lora_r, target_modules=targets), trained.")
    if all(float(parameter.detach().abs().max()) == 0.0 for parameter in adapters):
        return report_check(exercise, False, "the adapters are still zero (B starts at 0): train the model with run_ift(model, tokenizer, examples, IFT) before returning it.")
    score = instruction_score(model, tokenizer, eval_set, IFT.max_new_tokens).overall
    print(f"instruction score: LoRA at full fine-tuning's settings {score:.3f}, full fine-tuning {full_ft_score:.3f}")
    if score >= full_ft_score - 0.1:
        return report_check(exercise, False, "this LoRA scores close to full fine-tuning: did it train with lora_recipe(IFT)? Use IFT, full fine-tuning's own recipe.")
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


# --- Notebook 05: fine-tuning embeddings ---


def check_leaked_queries(leaked_queries: Callable[[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]], list[str]]) -> bool:
    """Check `leaked_queries(train, held_out) -> list[str]`: the qids of held-out queries whose text is also a training query."""
    from .embedder_finetuning import normalize_query

    exercise = "Exercise 1 (easy): find held-out queries that leaked into training"
    train = [{"qid": "t1", "query": "How do I vacuum a database?"}, {"qid": "t2", "query": "What is WAL mode?"}]
    cases = [
        ([{"qid": "h1", "query": "How do I vacuum a database?"}, {"qid": "h2", "query": "Why is my query slow?"}], "an exact copy"),
        ([{"qid": "h3", "query": "what is  WAL mode?"}, {"qid": "h4", "query": "What is a WAL file?"}], "a copy that differs only in case and spacing"),
        ([{"qid": "h5", "query": "Why is my query slow?"}], "no leak at all"),
        ([{"qid": "h7", "query": "WHAT IS WAL MODE?"}, {"qid": "h6", "query": "How do I vacuum a database? "}], "two leaks, in held-out order"),
    ]
    for held_out, what in cases:
        ok, answer = _call_safely(exercise, leaked_queries, train, held_out)
        if not ok:
            return False
        seen = {normalize_query(q["query"]) for q in train}
        expected = [q["qid"] for q in held_out if normalize_query(q["query"]) in seen]
        if not isinstance(answer, list):
            return report_check(exercise, False, f"return a list of qids, got {type(answer).__name__}.")
        if answer != expected:
            return report_check(exercise, False, f"case '{what}': expected {expected}, got {answer}. Compare texts lower-cased with white space squeezed (' '.join(text.lower().split())).")
    return report_check(exercise, True)


def check_in_batch_loss(in_batch_loss: Callable[[Any, Any, float], float]) -> bool:
    """Check `in_batch_loss(query_vectors, doc_vectors, scale) -> float` against `embedder_finetuning.in_batch_negatives_loss`."""
    import numpy as np

    from .embedder_finetuning import in_batch_negatives_loss

    exercise = "Exercise 2 (medium): the in-batch negatives loss by hand"
    rng = np.random.default_rng(0)
    cases = [
        (np.eye(3), np.eye(3), 20.0, "perfect pairs (each query equals its positive)"),
        (rng.standard_normal((4, 8)), rng.standard_normal((4, 8)), 20.0, "random vectors, not unit length"),
        (rng.standard_normal((3, 8)), rng.standard_normal((6, 8)), 5.0, "3 queries, 3 positives + 3 hard negatives, scale 5"),
    ]
    for queries, docs, scale, what in cases:
        ok, answer = _call_safely(exercise, in_batch_loss, queries, docs, scale)
        if not ok:
            return False
        expected = in_batch_negatives_loss(queries, docs, scale)
        try:
            close = abs(float(answer) - expected) < 1e-6
        except (TypeError, ValueError):
            return report_check(exercise, False, f"return a float, got {type(answer).__name__}.")
        if not close:
            hint = "normalise the vectors first (cosine similarity), multiply by scale, then take each row's cross-entropy with its own positive (column i) as the target"
            return report_check(exercise, False, f"case '{what}': expected {expected:.4f}, got {float(answer):.4f}: {hint}.")
    return report_check(exercise, True)


def check_project_2d(project_2d: Callable[[Any], Any]) -> bool:
    """Check `project_2d(vectors) -> (n, 2) array`: coordinates on the first two principal components (signs may flip)."""
    import numpy as np

    from .embedder_finetuning import project_2d as reference

    exercise = "Exercise 3 (stretch): a PCA projection by hand"
    rng = np.random.default_rng(1)
    cases = [rng.standard_normal((12, 5)) * [5.0, 3.0, 1.0, 0.5, 0.1] + 7.0, rng.standard_normal((30, 16))]
    for vectors in cases:
        ok, answer = _call_safely(exercise, project_2d, vectors)
        if not ok:
            return False
        answer = np.asarray(answer, dtype=np.float64)
        expected = reference(vectors)
        if answer.shape != expected.shape:
            return report_check(exercise, False, f"expected an array of shape {expected.shape}, got {answer.shape}.")
        signs = np.where(np.sum(answer * expected, axis=0) < 0, -1.0, 1.0)  # a principal axis may point either way
        if not np.allclose(answer * signs, expected, atol=1e-6):
            hint = "centre the vectors (subtract the mean row), take the SVD of the centred matrix, and project onto the first two right singular vectors"
            return report_check(exercise, False, f"the coordinates differ from the principal components: {hint}.")
    return report_check(exercise, True)


# --- Notebook 06: prompt engineering ---------------------------------------------------------


def check_few_shot_prompt(few_shot_prompt: Callable[[str, Sequence[tuple[str, str]], str], str]) -> bool:
    """Check `few_shot_prompt(instruction, shots, question) -> str` against the harness's raw-text few-shot format."""
    from .prompt_eval import Example, PromptVariant, Task, build_prompt

    exercise = "Exercise 1 (easy): a raw-text few-shot prompt"
    cases = [
        ("Which team?", [("How many vacation days do I get?", "HR"), ("My VPN drops.", "IT")], "Where is the defibrillator?"),
        ("Route this question.", [], "Who approves laptops?"),
    ]
    for instruction, shots, question in cases:
        ok, answer = _call_safely(exercise, few_shot_prompt, instruction, shots, question)
        if not ok:
            return False
        pool = tuple(Example(f"s{i}", q, a) for i, (q, a) in enumerate(shots))
        task = Task("route", instruction, (Example("q", question, "?"),), pool, "choice", input_label="Question", output_label="Team", choices=("?",))
        expected = build_prompt(task, PromptVariant("raw", chat=False, k=len(shots)), task.examples[0], pool)
        if not isinstance(answer, str):
            return report_check(exercise, False, f"return one string, got {type(answer).__name__}.")
        if answer.rstrip() != expected:
            hint = ("end with the open question and 'Team:' so the model writes the label next" if not answer.rstrip().endswith("Team:") else
                    "separate the instruction and each block with one blank line; a block is 'Question: ...' and 'Team: ...' on two lines")
            return report_check(exercise, False, f"for {len(shots)} shot(s) expected\n{expected}\n--- got ---\n{answer}\nHint: {hint}.")
    return report_check(exercise, True)


def check_parse_json_reply(parse_json_reply: Callable[[str, Sequence[str]], dict | None]) -> bool:
    """Check `parse_json_reply(text, keys) -> dict | None`: the first JSON object holding every key, else None."""
    exercise = "Exercise 2 (medium): validate a JSON reply"
    keys = ["department", "location"]
    cases = [
        ('{"department": "HR", "location": "Germany"}', {"department": "HR", "location": "Germany"}, "a plain JSON object"),
        ('Sure! {"department": "IT", "location": null} Hope this helps.', {"department": "IT", "location": None}, "text around the object"),
        ('```json\n{"department": "other", "location": null}\n```', {"department": "other", "location": None}, "a code fence"),
        ('{"department": "HR"}', None, "a missing key"),
        ('{"department": "HR", "location": "Lyon"', None, "an unclosed object"),
        ("HR, Germany", None, "no JSON at all"),
        ('["HR", "Germany"]', None, "a JSON list instead of an object"),
    ]
    for text, expected, what in cases:
        ok, answer = _call_safely(exercise, parse_json_reply, text, keys)
        if not ok:
            return False
        if answer != expected:
            hint = "return None for a reply that is not a valid object with every key" if expected is None else "start at the first '{' and let json.JSONDecoder().raw_decode read one object"
            return report_check(exercise, False, f"for {what} ({text!r}) expected {expected!r}, got {answer!r}: {hint}.")
    return report_check(exercise, True)


def check_ift_prompt(ift_prompt: Callable[[str], str], model: Any, tokenizer: Any, n: int = 10) -> bool:
    """Check `ift_prompt(passage) -> str`: a raw-text prompt in the IFT model's own format that makes it classify passages."""
    from .prompt_eval import SOURCE_INSTRUCTION, PromptVariant, evaluate_variant, score_reply, source_task
    from .prompting import generate_batch

    exercise = "Exercise 3 (stretch): speak the IFT model's format"
    task = source_task(n=n, split="validation")
    prompts = []
    for example in task.examples:
        ok, prompt = _call_safely(exercise, ift_prompt, example.input)
        if not ok:
            return False
        if not isinstance(prompt, str) or example.input not in prompt:
            return report_check(exercise, False, "return one string that contains the passage.")
        prompts.append(prompt)
    replies = generate_batch(model, tokenizer, prompts, max_new_tokens=task.max_new_tokens)
    yours = sum(score_reply(task, reply.text, example) for reply, example in zip(replies, task.examples)) / n
    plain = evaluate_variant(model, tokenizer, PromptVariant("plain", chat=False, instruction=SOURCE_INSTRUCTION), task).score
    print(f"validation accuracy: plain raw-text prompt {plain:.2f}, yours {yours:.2f} ({n} passages)")
    if yours < 0.5 or yours <= plain:
        return report_check(exercise, False, "write the turn markers the model was trained with: print(tokenizer.chat_template), or look at what section 2 shows each model reads.")
    return report_check(exercise, True)


# --- Notebook 07: choosing and combining approaches ---------------------------------------------


def check_pick_best(pick_best: Callable[[Mapping[str, Mapping[str, float]], str, bool], str]) -> bool:
    """Check `pick_best(table, column, higher_is_better) -> str`: the approach with the best value in a column, first on ties."""
    exercise = "Exercise 1 (easy): read the table"
    table = {
        "prompt only": {"accuracy": 0.0, "seconds per answer": 0.8, "compute FLOPs": 0.0},
        "RAG": {"accuracy": 0.25, "seconds per answer": 1.6, "compute FLOPs": 5e11},
        "LoRA + RAG": {"accuracy": 0.25, "seconds per answer": 1.5, "compute FLOPs": 5e12},
        "IFT": {"accuracy": 0.0, "seconds per answer": 0.01, "compute FLOPs": 7e12},
    }
    cases = [
        (("accuracy", True), "RAG", "the highest accuracy is shared: return the approach that comes first in the table"),
        (("seconds per answer", False), "IFT", "with higher_is_better=False the lowest value wins"),
        (("compute FLOPs", True), "IFT", "the highest value wins when higher_is_better is True"),
        (("compute FLOPs", False), "prompt only", "a value of 0 is a value too: the lowest wins"),
    ]
    for (column, higher), expected, hint in cases:
        ok, answer = _call_safely(exercise, pick_best, table, column, higher)
        if not ok:
            return False
        if answer != expected:
            return report_check(exercise, False, f"for column {column!r}, higher_is_better={higher}, expected {expected!r}, got {answer!r}: {hint}.")
    return report_check(exercise, True)


def check_knn_route(knn_route: Callable[[Sequence[float], Sequence[str], int], str]) -> bool:
    """Check `knn_route(similarities, labels, k) -> str`: majority label of the k most similar examples, ties to the nearest."""
    import random

    from .assistant import knn_vote

    exercise = "Exercise 2 (medium): the example router's vote"
    cases = [
        ([0.9, 0.8, 0.1, 0.7], ["HR", "IT", "IT", "IT"], 3, "two of the three most similar examples are IT"),
        ([0.9, 0.8, 0.1, 0.7], ["HR", "IT", "IT", "IT"], 1, "with k=1 the single most similar example decides"),
        ([0.6, 0.8, 0.9, 0.7], ["IT", "HR", "HR", "IT"], 4, "a 2-2 tie goes to the label of the most similar example (HR at 0.9)"),
        ([0.3, 0.2], ["other", "IT"], 5, "k larger than the number of examples means: all of them"),
    ]
    rng = random.Random(0)
    for _ in range(20):
        n = rng.randint(3, 12)
        cases.append(([rng.random() for _ in range(n)], [rng.choice(("HR", "IT", "other")) for _ in range(n)], rng.randint(1, n), "a random case"))
    for similarities, labels, k, what in cases:
        ok, answer = _call_safely(exercise, knn_route, list(similarities), list(labels), k)
        if not ok:
            return False
        expected = knn_vote(similarities, labels, k)
        if answer != expected:
            return report_check(exercise, False, f"for similarities {[round(s, 2) for s in similarities]}, labels {labels}, k={k} expected {expected!r}, got {answer!r} ({what}).")
    return report_check(exercise, True)


def check_add_document(add_document: Callable[[Any, Any, str, str], Any], vector_index: Any, embedder: Any) -> bool:
    """Check `add_document(vector_index, embedder, doc_id, text)`: a new index with one more document; the old one untouched."""
    from .assistant import FRESH_DOCUMENT, FRESH_QUESTIONS
    from .retrieval import search

    exercise = "Exercise 3 (stretch): add a document without retraining"
    before_ids, before_size = list(vector_index.doc_ids), vector_index.index.ntotal
    ok, new_index = _call_safely(exercise, add_document, vector_index, embedder, FRESH_DOCUMENT["doc_id"], FRESH_DOCUMENT["text"])
    if not ok:
        return False
    if vector_index.doc_ids != before_ids or vector_index.index.ntotal != before_size:
        return report_check(exercise, False, "the original index changed: build a new index from its vectors plus the new one.")
    if not hasattr(new_index, "doc_ids") or new_index.doc_ids != before_ids + [FRESH_DOCUMENT["doc_id"]] or new_index.index.ntotal != before_size + 1:
        return report_check(exercise, False, "return a VectorIndex whose doc_ids are the old ones followed by the new id, with one more vector.")
    if getattr(new_index, "embedder_name", None) != vector_index.embedder_name:
        return report_check(exercise, False, "keep the embedder name: index_from_vectors(ids, vectors, vector_index.embedder_name).")
    for question in FRESH_QUESTIONS:
        if search(new_index, embedder, question["question"], k=1)[0][0] != FRESH_DOCUMENT["doc_id"]:
            return report_check(exercise, False, f"a question only the new document answers ({question['question']!r}) does not find it: embed its text with the same embedder.")
    if hasattr(new_index.index, "reconstruct_n"):
        import numpy as np

        old, kept = vector_index.index.reconstruct_n(0, before_size), new_index.index.reconstruct_n(0, before_size)
        if not np.allclose(old, kept, atol=1e-4):
            return report_check(exercise, False, "the old documents' vectors changed: reuse the stored ones (reconstruct_n) instead of changing them.")
    return report_check(exercise, True)
