"""Measuring models: perplexity for language models, scores for answers, metrics for retrieval.

Perplexity is used by notebooks 01-03 and 07, and a general task score (a passage's true continuation over the same words shuffled) by 03; the answer scores (exact match, token F1, contains, and the course's
scorer `answer_matches`) by 03-07; the retrieval metrics (hit rate@k, recall@k, MRR, nDCG@k) by 04, 05 and 07. Everything here is
deterministic, so tests can assert the numbers a notebook prints.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any


def mean_loss(model: Any, blocks: Any, batch_size: int = 64) -> float:
    """Return the mean next-token cross-entropy (nats/token) of `model` over token blocks."""
    import torch

    if len(blocks) == 0:
        raise ValueError("mean_loss needs at least one block of tokens.")
    device = next(model.parameters()).device
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(blocks), batch_size):
            batch = blocks[start : start + batch_size].to(device)
            loss = model(input_ids=batch, labels=batch).loss
            n_predicted = batch.shape[0] * (batch.shape[1] - 1)
            total += loss.item() * n_predicted
            count += n_predicted
    return total / count


def block_losses(model: Any, blocks: Any, batch_size: int = 64) -> list[float]:
    """Return each block's mean next-token cross-entropy (nats/token): per-item scores for a paired comparison."""
    import torch
    import torch.nn.functional as F

    if len(blocks) == 0:
        raise ValueError("block_losses needs at least one block of tokens.")
    device = next(model.parameters()).device
    model.eval()
    losses: list[float] = []
    with torch.no_grad():
        for start in range(0, len(blocks), batch_size):
            batch = blocks[start : start + batch_size].to(device)
            logits = model(input_ids=batch).logits[:, :-1].float()
            per_token = F.cross_entropy(logits.transpose(1, 2), batch[:, 1:], reduction="none")
            losses.extend(per_token.mean(dim=1).tolist())
    return losses


def perplexity(model: Any, blocks: Any, batch_size: int = 64) -> float:
    """Return exp(mean next-token loss): how many tokens the model is 'choosing between' on average."""
    return math.exp(mean_loss(model, blocks, batch_size))


def continuation_choices(blocks: Any, prefix_tokens: int = 48, continuation_tokens: int = 16, seed: int = 0) -> list[dict[str, Any]]:
    """A general task from held-out text: a passage's opening, its true continuation, and the same tokens shuffled.

    Every window of `prefix_tokens + continuation_tokens` tokens in a block makes one item. The other choice holds
    exactly the true continuation's tokens in a seeded random order, so only knowing how the language goes tells them
    apart: word order, not which words occur.
    """
    import torch

    window = prefix_tokens + continuation_tokens
    if len(blocks) < 1 or blocks.shape[1] < window or continuation_tokens < 2:
        raise ValueError(f"continuation_choices needs blocks of at least {window} tokens and a continuation of 2+ tokens; got {tuple(blocks.shape)}.")
    generator = torch.Generator().manual_seed(seed)
    items = []
    for start in range(0, blocks.shape[1] - window + 1, window):
        for block in blocks:
            true = block[start + prefix_tokens : start + window]
            items.append({"prefix": block[start : start + prefix_tokens], "true": true, "other": true[torch.randperm(continuation_tokens, generator=generator)]})
    return items


def continuation_log_probs(model: Any, prefixes: Any, continuations: Any) -> list[float]:
    """Sum of log P(continuation token | everything before it) for each row of (prefixes, continuations)."""
    import torch

    device = next(model.parameters()).device
    sequences = torch.cat([prefixes, continuations], dim=1).to(device)
    with torch.no_grad():
        log_probs = model(input_ids=sequences).logits[:, :-1].float().log_softmax(dim=-1)
    targets = sequences[:, 1:]
    token_log_probs = log_probs.gather(2, targets.unsqueeze(-1)).squeeze(-1)
    return token_log_probs[:, prefixes.shape[1] - 1 :].sum(dim=1).tolist()


def continuation_choice_scores(model: Any, items: Sequence[dict[str, Any]], batch_size: int = 64) -> list[float]:
    """Per item 1.0 if the model gives the true continuation a higher log-probability than the other one, else 0.0."""
    import torch

    if not items:
        raise ValueError("continuation_choice_scores needs at least one item; build them with continuation_choices(blocks).")
    model.eval()
    scores: list[float] = []
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        prefixes = torch.stack([item["prefix"] for item in batch])
        true = continuation_log_probs(model, prefixes, torch.stack([item["true"] for item in batch]))
        other = continuation_log_probs(model, prefixes, torch.stack([item["other"] for item in batch]))
        scores.extend(float(t > o) for t, o in zip(true, other))
    return scores


def next_token_distribution(model: Any, tokenizer: Any, prompt: str, top_k: int = 10) -> list[tuple[str, float]]:
    """Return the model's `top_k` most likely next tokens after `prompt`, with their probabilities."""
    import torch

    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"].to(next(model.parameters()).device)
    model.eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(input_ids=input_ids).logits[0, -1], dim=-1)
    top = torch.topk(probabilities, top_k)
    return [(tokenizer.decode([int(i)]), float(p)) for p, i in zip(top.values, top.indices)]


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and articles, squeeze spaces (SQuAD-style normalisation)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in string.punctuation)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, reference: str) -> float:
    """1.0 if the normalised prediction equals the normalised reference, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall between prediction and reference (0-1)."""
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not predicted or not expected:
        return float(predicted == expected)
    overlap = sum((Counter(predicted) & Counter(expected)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(predicted), overlap / len(expected)
    return 2 * precision * recall / (precision + recall)


def contains_answer(prediction: str, reference: str) -> float:
    """1.0 if the normalised reference appears inside the normalised prediction, else 0.0."""
    return float(normalize_answer(reference) in normalize_answer(prediction))


_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16",
    "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
    "sixty": "60", "ninety": "90",
}
_NUMBER_WORD_PATTERN = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def numbers_as_digits(text: str) -> str:
    """Write number words as digits ("twenty weeks" -> "20 weeks"), so both spellings of an answer compare equal."""
    return _NUMBER_WORD_PATTERN.sub(lambda match: _NUMBER_WORDS[match.group(0).lower()], text)


def answer_matches(prediction: str, reference: str) -> float:
    """1.0 if the reference answer appears in the prediction (`contains_answer`, number words as digits): the course's answer scorer."""
    return contains_answer(numbers_as_digits(prediction), numbers_as_digits(reference))


def _check_ranking(ranked_ids: Sequence[str], gold_ids: Sequence[str]) -> None:
    if not gold_ids:
        raise ValueError("A retrieval metric needs at least one gold id for the query.")
    if isinstance(ranked_ids, str) or isinstance(gold_ids, str):
        raise TypeError("Pass lists of ids, not a single string.")


def recall_at_k(ranked_ids: Sequence[str], gold_ids: Sequence[str], k: int) -> float:
    """Fraction of the gold ids found among the first k ranked ids."""
    _check_ranking(ranked_ids, gold_ids)
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}.")
    return len(set(ranked_ids[:k]) & set(gold_ids)) / len(set(gold_ids))


def reciprocal_rank(ranked_ids: Sequence[str], gold_ids: Sequence[str]) -> float:
    """1 / rank of the first gold id in the ranking (0 if none is retrieved)."""
    _check_ranking(ranked_ids, gold_ids)
    gold = set(gold_ids)
    for rank, doc_id in enumerate(ranked_ids, start=1):
        if doc_id in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked_ids: Sequence[str], gold_ids: Sequence[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain at k with binary relevance (1 = perfect ranking)."""
    _check_ranking(ranked_ids, gold_ids)
    gold = set(gold_ids)
    gain = sum(1.0 / math.log2(rank + 1) for rank, doc_id in enumerate(ranked_ids[:k], start=1) if doc_id in gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return gain / ideal


def hit_rate_at_k(rankings: Sequence[Sequence[str]], golds: Sequence[Sequence[str]], k: int) -> float:
    """Fraction of queries with at least one gold id among the first k ranked ids."""
    if len(rankings) != len(golds) or not rankings:
        raise ValueError(f"Need one ranking per query and at least one query; got {len(rankings)} and {len(golds)}.")
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}.")
    return sum(bool(set(ranking[:k]) & set(gold)) for ranking, gold in zip(rankings, golds)) / len(golds)


def mean_retrieval_metrics(rankings: Sequence[Sequence[str]], golds: Sequence[Sequence[str]], ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """Average recall@k for each k, MRR and nDCG@10 over many queries."""
    if len(rankings) != len(golds) or not rankings:
        raise ValueError(f"Need one ranking per query and at least one query; got {len(rankings)} rankings and {len(golds)} gold lists.")
    metrics = {f"recall@{k}": sum(recall_at_k(r, g, k) for r, g in zip(rankings, golds)) / len(golds) for k in ks}
    metrics["MRR"] = sum(reciprocal_rank(r, g) for r, g in zip(rankings, golds)) / len(golds)
    metrics["nDCG@10"] = sum(ndcg_at_k(r, g, 10) for r, g in zip(rankings, golds)) / len(golds)
    return metrics
