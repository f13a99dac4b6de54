"""Adversary tests: for every checker, the worked solution passes, plausible wrong answers fail, nothing raises.

Each wrong answer is one a learner could write (several were found by trying ~280 submissions: the D1-D9
regressions below). A checker must return False with a hint for each, never an exception.
"""

import copy
import json
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import exercises as ex
from course_utils.retrieval import UNFILTERED, embed_texts, index_from_vectors, search


def passes(check, answer, *args, **kwargs):
    """True if the checker accepts `answer` (it must return a bool, never raise)."""
    result = check(answer, *args, **kwargs)
    assert isinstance(result, bool)
    return result


@pytest.fixture
def short_time_limit(monkeypatch):
    # A runaway loop fails after this long instead of the notebook's limit: keeps the suite fast (used only by
    # tests of answers that never return, so that no passing answer depends on the machine's speed).
    monkeypatch.setattr(ex, "LEARNER_TIME_LIMIT_S", 1.0)


@pytest.fixture(scope="module")
def handbook_index(embedder):
    """An exact index of every handbook document, built in memory (no cache)."""
    from course_utils import data, retrieval

    documents = data.load_handbook(data.UNFILTERED)
    return retrieval.build_vector_index(embedder, data.texts_of(documents, "doc_id"), data.texts_of(documents))


@pytest.fixture(scope="module")
def small_tokenizer():
    from course_utils.models import train_bpe_tokenizer

    return train_bpe_tokenizer(["SELECT name FROM sqlite_master; Emma walked to Hartfield. " + " ".join(ex.WORDS)] * 30, vocab_size=300)


@pytest.fixture(scope="module")
def chat_tokenizer():
    from course_utils.finetuning import add_chat_template
    from course_utils.models import train_bpe_tokenizer

    return add_chat_template(train_bpe_tokenizer(["Emma smiled. WAL mode. " + " ".join(ex.WORDS)] * 10, vocab_size=300))


# --- 00 ---------------------------------------------------------------------------------------

RIGHT_CHOICES = {scenario: answer for scenario, (answer, _) in ex.APPROACH_SCENARIOS.items()}


def swapped(choices):
    wrong = dict(choices)
    first, second = list(wrong)[:2]
    wrong[first], wrong[second] = wrong[second], wrong[first]
    return wrong


@pytest.mark.parametrize("answers", [
    {s: "rag" for s in ex.APPROACH_SCENARIOS},  # one answer for everything
    swapped(RIGHT_CHOICES),  # two scenarios exchanged
    {**RIGHT_CHOICES, "an extra scenario": "rag"},
    {s: ["rag"] for s in ex.APPROACH_SCENARIOS},  # unhashable values
    list(RIGHT_CHOICES.items()),  # not a dict
], ids=["all-rag", "swapped", "extra-key", "list-values", "not-a-dict"])
def test_approach_checker_rejects_wrong_choices(answers):
    assert passes(ex.check_approach_choices, RIGHT_CHOICES) is True
    assert passes(ex.check_approach_choices, answers) is False


def test_approach_checker_cites_the_courses_guide(capsys):
    ex.check_approach_choices(swapped(RIGHT_CHOICES))
    assert "APPROACHES.md" in capsys.readouterr().out


def most_similar_solution(embedder):
    def most_similar(query, candidates):
        vectors = embed_texts(embedder, [query, *candidates])
        return candidates[int((vectors[1:] @ vectors[0]).argmax())]

    return most_similar


def test_most_similar_checker_rejects_plausible_mistakes(embedder):
    right = most_similar_solution(embedder)

    def least_similar(query, candidates):
        vectors = embed_texts(embedder, [query, *candidates])
        return candidates[int((vectors[1:] @ vectors[0]).argmin())]

    visible = {"How do I reset my password?": "Steps to change a forgotten login password",
               "How many days of holiday do I get?": "Annual leave entitlement for employees"}
    wrong = [
        lambda q, c: c[0],
        lambda q, c: c[-1],
        least_similar,
        lambda q, c: int(np.argmax([len(x) for x in c])),  # an index, not the string
        lambda q, c: np.array(c),  # an array: crashed the old checker
        lambda q, c: visible.get(q, c[0]),  # the visible cases' answers from a table
    ]
    assert passes(ex.check_most_similar, right, embedder) is True
    for answer in wrong:
        assert passes(ex.check_most_similar, answer, embedder) is False


def test_prompt_token_checker_rejects_plausible_mistakes(chat_model):
    _, tokenizer = chat_model

    def templated(question, generation_prompt=True):
        messages = [{"role": "user", "content": question}]
        return tokenizer.apply_chat_template(messages, add_generation_prompt=generation_prompt, tokenize=True, return_dict=True)["input_ids"]

    wrong = [
        lambda q: len(tokenizer(q)["input_ids"]),  # the question alone
        lambda q: len(templated(q, generation_prompt=False)),
        lambda q: torch.tensor([templated(q)]),  # the ids, not their count: crashed the old checker
        lambda q: len(q),  # characters
        lambda q: {"What is RAG?": len(templated("What is RAG?"))}.get(q, 40),  # a lookup table
    ]
    assert passes(ex.check_prompt_token_count, lambda q: len(templated(q)), tokenizer) is True
    assert passes(ex.check_prompt_token_count, lambda q: np.int64(len(templated(q))), tokenizer) is True
    for answer in wrong:
        assert passes(ex.check_prompt_token_count, answer, tokenizer) is False


# --- 01 ---------------------------------------------------------------------------------------


def gpt2_parameters(vocab_size, context_length, n_layer, n_embd):
    d = n_embd
    return vocab_size * d + context_length * d + n_layer * (12 * d * d + 2 * d) + d


@pytest.mark.parametrize("wrong", [
    lambda v, c, n, d: gpt2_parameters(v, c, n, d) + v * d,  # untied head
    lambda v, c, n, d: gpt2_parameters(v, c, n, d) - c * d,  # no position embeddings
    lambda v, c, n, d: v * d + c * d + n * 12 * d * d,  # no layer norms
    lambda v, c, n, d: v * d + c * d + n * (12 * d * d + 13 * d) + 2 * d,  # stock GPT-2, with biases
    lambda v, c, n, d: float(gpt2_parameters(v, c, n, d)),  # a float
    lambda v, c, n, d: {(512, 64, 2, 64): 135_488, (4096, 128, 4, 128): 1_328_256}.get((v, c, n, d), 0),  # lookup
], ids=["untied", "no-positions", "no-layer-norms", "with-biases", "float", "lookup"])
def test_parameter_formula_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_parameter_formula, gpt2_parameters) is True
    assert passes(ex.check_parameter_formula, wrong) is False


def next_token_loss(logits, input_ids):
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), input_ids[:, 1:].reshape(-1)).item()


@pytest.mark.parametrize("wrong", [
    lambda logits, ids: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids.reshape(-1)).item(),  # unshifted
    lambda logits, ids: F.cross_entropy(logits[:, 1:].reshape(-1, logits.shape[-1]), ids[:, :-1].reshape(-1)).item(),  # shifted backwards
    lambda logits, ids: F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="sum").item(),
    lambda logits, ids: 3.0817,  # D9: the value the old hint printed
    lambda logits, ids: torch.zeros(3),  # not a scalar
], ids=["unshifted", "backwards", "sum", "D9-constant", "vector"])
def test_next_token_loss_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_next_token_loss, next_token_loss) is True
    assert passes(ex.check_next_token_loss, wrong) is False


def test_next_token_loss_checker_accepts_a_0d_tensor():
    as_tensor = lambda logits, ids: F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    assert passes(ex.check_next_token_loss, as_tensor) is True


def test_next_token_loss_hint_does_not_print_a_passing_value(capsys):
    logits = torch.randn(2, 6, 11, generator=torch.Generator().manual_seed(0))
    ids = torch.randint(0, 11, (2, 6), generator=torch.Generator().manual_seed(0))
    expected = next_token_loss(logits, ids)
    ex.check_next_token_loss(lambda l, i: expected + 1.0)
    out = capsys.readouterr().out
    assert "[NOT YET]" in out and f"{expected:.4f}" not in out and f"{expected:.3f}" not in out


def training_days(n_parameters, n_tokens, n_gpus, peak, utilisation):
    return 6 * n_parameters * n_tokens / (n_gpus * peak * utilisation) / 86400


@pytest.mark.parametrize("wrong", [
    lambda n, d, g, p, u: training_days(n, d, g, p, u) / 6,  # forgot the 6
    lambda n, d, g, p, u: training_days(n, d, g, p, u) * 86400,  # seconds
    lambda n, d, g, p, u: training_days(n, d, g, p, 1.0),  # ignores utilisation
    lambda n, d, g, p, u: training_days(n, d, g, 989e12, u),  # hard-codes the default peak
    lambda n, d, g, p, u: 11.2 if g == 1024 else 55.1,  # D9: values a hint printed
], ids=["no-six", "seconds", "no-utilisation", "fixed-peak", "D9-constants"])
def test_training_days_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_training_days, wrong) is False


@pytest.mark.parametrize("right", [
    training_days,
    lambda n, d, g, p, u: np.float32(training_days(n, d, g, p, u)),  # rejected by the old checker
    lambda n, d, g, p, u: torch.tensor(training_days(n, d, g, p, u)),
], ids=["float", "np.float32", "0d-tensor"])
def test_training_days_checker_accepts_numeric_types(right):
    assert passes(ex.check_training_days, right) is True


# --- 02 ---------------------------------------------------------------------------------------


def test_words_per_context_checker(small_tokenizer):
    from course_utils.models import tokens_per_word

    right = lambda tok, texts, n: n / tokens_per_word(tok, texts)
    assert passes(ex.check_words_per_context, right, small_tokenizer) is True
    assert passes(ex.check_words_per_context, lambda tok, texts, n: np.float32(right(tok, texts, n)), small_tokenizer) is True
    assert passes(ex.check_words_per_context, lambda tok, texts, n: torch.tensor(right(tok, texts, n), dtype=torch.float64), small_tokenizer) is True
    wrong = [
        lambda tok, texts, n: n * tokens_per_word(tok, texts),
        lambda tok, texts, n: tokens_per_word(tok, texts),
        lambda tok, texts, n: 128 / tokens_per_word(tok, texts),  # ignores context_length
        lambda tok, texts, n: n / (sum(len(t) for t in texts) / sum(len(t.split()) for t in texts)),  # characters per word
        lambda tok, texts, n: [right(tok, texts, n)],
    ]
    for answer in wrong:
        assert passes(ex.check_words_per_context, answer, small_tokenizer) is False


@pytest.mark.parametrize("wrong", [
    lambda n, f: int(n * f / (1 - f)),  # D1: truncates
    lambda n, f: math.ceil(n * f / (1 - f)),  # D1: rounds up
    lambda n, f: n * f / (1 - f),  # D1: unrounded float
    lambda n, f: round(n * f),  # share of the domain blocks
    lambda n, f: float(round(n * f / (1 - f))),  # a float
    lambda n, f: {(300, 0.25): 100, (1000, 0.5): 1000, (90, 0.1): 10}.get((n, f), 0),  # the old visible cases
], ids=["D1-int", "D1-ceil", "D1-float", "domain-share", "float", "lookup"])
def test_replay_blocks_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_replay_blocks, lambda n, f: round(n * f / (1 - f))) is True
    assert passes(ex.check_replay_blocks, lambda n, f: np.int64(round(n * f / (1 - f)))) is True
    assert passes(ex.check_replay_blocks, wrong) is False


def pack(tokenizer, texts, size, between_only=False, dtype=torch.long, before=False):
    stream = []
    for i, text in enumerate(texts):
        ids = tokenizer(text)["input_ids"]
        if before:
            stream += [tokenizer.eos_token_id] + ids
        else:
            stream += ids + ([] if between_only and i == len(texts) - 1 else [tokenizer.eos_token_id])
    n = len(stream) // size
    return torch.tensor(stream[: n * size], dtype=dtype).view(n, size)


@pytest.mark.parametrize("wrong", [
    lambda tok, texts, size: pack(tok, texts, size, between_only=True),  # D4: no final separator
    lambda tok, texts, size: pack(tok, texts, size).float(),  # D4: float ids
    lambda tok, texts, size: pack(tok, texts, size).int(),  # D4: int32 ids
    lambda tok, texts, size: pack(tok, texts, size, before=True),  # separator before each document
    lambda tok, texts, size: pack(tok, texts, size).tolist(),  # a list of lists
    lambda tok, texts, size: pack(tok, texts, size).numpy(),
], ids=["D4-between-only", "D4-float", "D4-int32", "before", "list", "numpy"])
def test_packing_checker_rejects_plausible_mistakes(wrong, small_tokenizer):
    assert passes(ex.check_packing, pack, small_tokenizer) is True
    assert passes(ex.check_packing, wrong, small_tokenizer) is False


# --- 03 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("wrong", [
    lambda ids, n: ids[:n] + [-100] * (len(ids) - n),  # masks the answer
    lambda ids, n: [-100] * (n + 1) + ids[n + 1:],  # off by one
    lambda ids, n: [-100] * 7 + ids[7:],  # hard-codes the visible case
    lambda ids, n: ids[n:],  # drops the prompt
    lambda ids, n: None,  # edits in place, returns nothing
    lambda ids, n: np.array([[-100] * n + ids[n:]]),  # 2-D: crashed the old checker
], ids=["masks-answer", "off-by-one", "lookup", "drops-prompt", "none", "2d-array"])
def test_prompt_mask_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_prompt_mask, wrong) is False


@pytest.mark.parametrize("right", [
    lambda ids, n: [-100] * n + ids[n:],
    lambda ids, n: np.array([-100] * n + ids[n:]),  # crashed the old checker
    lambda ids, n: torch.tensor([-100] * n + ids[n:]),
], ids=["list", "ndarray", "tensor"])
def test_prompt_mask_checker_accepts_arrays_of_the_right_labels(right):
    assert passes(ex.check_prompt_mask, right) is True


@pytest.mark.parametrize("wrong", [
    lambda shapes, r: sum(8 * (a + b) for a, b in shapes),  # D2: ignores r
    lambda shapes, r: sum(r * a * b for a, b in shapes),  # a full matrix
    lambda shapes, r: r * (shapes[0][0] + shapes[0][1]),  # the first matrix only
    lambda shapes, r: np.array([r * (a + b) for a, b in shapes]),  # per matrix: crashed the old checker
    lambda shapes, r: {2: 5120, 60: 184320}.get(len(shapes), 0),  # lookup
], ids=["D2-fixed-r", "full-matrix", "first-only", "per-matrix-array", "lookup"])
def test_lora_parameters_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_lora_parameters, lambda shapes, r: sum(r * (a + b) for a, b in shapes)) is True
    assert passes(ex.check_lora_parameters, lambda shapes, r: np.sum([r * (a + b) for a, b in shapes])) is True
    assert passes(ex.check_lora_parameters, wrong) is False


def test_chat_format_checker_rejects_plausible_mistakes(chat_tokenizer):
    right = lambda content, answer: f"<|user|>\n{content}\n<|assistant|>\n{answer}<|endoftext|>"
    wrong = [
        lambda content, answer: f"<|user|>\n{content}\n<|assistant|>\n{answer}",  # no end of text
        lambda content, answer: f"<|user|>{content}<|assistant|>{answer}<|endoftext|>",  # no newlines
        lambda content, answer: f"{content}\n{answer}",
        lambda content, answer: chat_tokenizer.apply_chat_template([{"role": "user", "content": content}, {"role": "assistant", "content": answer}]),  # ids
        lambda content, answer: right("Is this from a novel?\nEmma smiled.", "novel"),  # the visible case
    ]
    assert passes(ex.check_chat_format, right, chat_tokenizer) is True
    for answer in wrong:
        assert passes(ex.check_chat_format, answer, chat_tokenizer) is False


@pytest.fixture(scope="module")
def tiny_lora_setup(chat_tokenizer):
    from course_utils.models import TinyGPTConfig, build_tiny_gpt

    config = TinyGPTConfig(vocab_size=len(chat_tokenizer), n_layer=1, n_embd=32, n_head=2, context_length=256)
    torch.manual_seed(0)
    base = build_tiny_gpt(config, chat_tokenizer)
    eval_set = [{"id": "r1", "task": "source", "instruction": "Novel or documentation?", "input": "Emma smiled.", "output": "novel"}]
    return base, config, eval_set


def lora_with_b(base, value):
    """A LoRA model on `base` whose B matrices hold `value`: stands in for an adapter trained that far."""
    from course_utils.finetuning import lora_model

    model = lora_model(copy.deepcopy(base), r=2, target_modules=("c_attn",))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.fill_(value)
    return model


def test_lora_at_full_ft_settings_checker_rejects_plausible_mistakes(tiny_lora_setup, chat_tokenizer, capsys):
    from course_utils.models import build_tiny_gpt
    from course_utils.recipes import IFT

    base, config, eval_set = tiny_lora_setup
    trained = ex.LORA_B_TRAINED_FRACTION * IFT.lr * IFT.num_steps * 2  # comfortably above the bar for "trained with IFT"
    check = ex.check_lora_at_full_ft_settings
    assert passes(check, lambda: lora_with_b(base, trained), chat_tokenizer, eval_set, 0.5, base_model=base) is True
    wrong = [
        (lambda: copy.deepcopy(base), "return the LoRA model"),  # no adapters
        (lambda: lora_with_b(base, 0.0), "still zero"),  # never trained
        (lambda: lora_with_b(base, 3e-6), "barely moved"),  # D7: 3 steps at lr 1e-6
        (lambda: lora_with_b(build_tiny_gpt(config), trained), "not notebook 02's model"),  # D7: another (untrained) model
        (lambda: None, "return the LoRA model"),
    ]
    for answer, hint in wrong:
        assert passes(check, answer, chat_tokenizer, eval_set, 0.5, base_model=base) is False
        assert hint in capsys.readouterr().out
    assert passes(check, lambda: lora_with_b(base, trained), chat_tokenizer, eval_set, 0.0, base_model=base) is False  # as good as full FT
    assert "lora_recipe" in capsys.readouterr().out


# --- 04 ---------------------------------------------------------------------------------------


def visible_ids(documents, role):
    return [d["doc_id"] for d in documents if d["visibility"] in ("all", role)]


@pytest.mark.parametrize("wrong", [
    lambda docs, role: [d["doc_id"] for d in docs if d["visibility"] == role],  # forgets 'all'
    lambda docs, role: [d["doc_id"] for d in docs],
    lambda docs, role: sorted(visible_ids(docs, role)),  # sorted, not document order
    lambda docs, role: [d for d in docs if d["visibility"] in ("all", role)],  # D: dicts, crashed the old checker
    lambda docs, role: set(visible_ids(docs, role)),
    lambda docs, role: [d["doc_id"] for d in docs if role == "all" or d["visibility"] in ("all", role)],  # 'all' sees everything
], ids=["no-all", "everything", "sorted", "dicts", "set", "all-sees-everything"])
def test_visible_ids_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_visible_ids, visible_ids) is True
    assert passes(ex.check_visible_ids, wrong) is False


def fuse(rankings, k=60, zero_based=False):
    scores = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=0 if zero_based else 1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda doc_id: -scores[doc_id])


@pytest.mark.parametrize("wrong", [
    lambda rankings, k=60: fuse(rankings, 60),  # D3: k hard-coded
    lambda rankings, k=60: fuse(rankings, k, zero_based=True),
    lambda rankings, k=0: fuse(rankings, k),  # the wrong default
    lambda rankings, k=60: [d for r in rankings for d in r],  # concatenation, with duplicates
    lambda rankings, k=60: fuse(rankings[:1], k),  # the first ranking only
    lambda rankings, k=60: [(d, 1.0) for d in fuse(rankings, k)],  # (id, score) pairs: crashed the old checker
    lambda rankings, k=60: [[d] for d in fuse(rankings, k)],  # lists: crashed the old checker
], ids=["D3-k60", "zero-based", "default-0", "concatenated", "first-only", "pairs", "lists"])
def test_rrf_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_rrf, lambda rankings, k=60: fuse(rankings, k)) is True
    assert passes(ex.check_rrf, wrong) is False


def search_all_above_for(index, embedder, duplicates=False, stop_when_exhausted=True, page_size=10, strict=False):
    def search_all_above(query, min_score):
        k, found = page_size, []
        while True:
            hits = search(index, embedder, query, k, allowed_ids=UNFILTERED)
            found += hits if duplicates else []
            if hits[-1][1] < min_score or (stop_when_exhausted and k >= len(index)):
                pool = found if duplicates else hits
                return [d for d, s in pool if (s > min_score if strict else s >= min_score)]
            k += page_size

    return search_all_above


def test_search_all_above_checker_rejects_plausible_mistakes(handbook_index, embedder):
    check = ex.check_search_all_above
    assert passes(check, search_all_above_for(handbook_index, embedder), handbook_index, embedder) is True
    wrong = [
        search_all_above_for(handbook_index, embedder, duplicates=True),  # D5: every page appended
        search_all_above_for(handbook_index, embedder, strict=True),  # > instead of >=
        lambda q, m: [d for d, s in search(handbook_index, embedder, q, 10, allowed_ids=UNFILTERED) if s >= m],  # one page
        lambda q, m: search(handbook_index, embedder, q, len(handbook_index), allowed_ids=UNFILTERED),  # (id, score) pairs
        lambda q, m: [[d] for d, s in search(handbook_index, embedder, q, len(handbook_index), allowed_ids=UNFILTERED) if s >= m],  # lists: crashed the old checker
    ]
    for answer in wrong:
        assert passes(check, answer, handbook_index, embedder) is False


def test_search_all_above_checker_stops_a_loop_that_never_ends(handbook_index, embedder, short_time_limit, capsys):
    endless = search_all_above_for(handbook_index, embedder, stop_when_exhausted=False)  # D5: never ends at min_score=-1
    assert passes(ex.check_search_all_above, endless, handbook_index, embedder) is False
    assert "did not return within" in capsys.readouterr().out


# --- 05 ---------------------------------------------------------------------------------------


def leaked_by(normalise, match=None):
    def leaked_queries(train, held_out):
        seen = {normalise(q["query"]) for q in train}
        if match is None:
            return [q["qid"] for q in held_out if normalise(q["query"]) in seen]
        return [q["qid"] for q in held_out if any(match(normalise(q["query"]), s) for s in seen)]

    return leaked_queries


SQUEEZE = lambda text: " ".join(text.lower().split())


@pytest.mark.parametrize("wrong", [
    leaked_by(lambda t: "".join(t.lower().split())),  # D8: removes every space
    leaked_by(lambda t: re.sub(r"[^\w\s]", "", SQUEEZE(t))),  # D8: strips punctuation
    leaked_by(SQUEEZE, match=lambda a, b: a in b or b in a),  # D8: substring
    leaked_by(lambda t: " ".join(sorted(SQUEEZE(t).split()))),  # D8: bag of words
    leaked_by(lambda t: t),  # exact text only
    leaked_by(lambda t: t.lower()),  # case only
    lambda train, held_out: sorted(leaked_by(SQUEEZE)(train, held_out)),  # sorted, not held-out order
    lambda train, held_out: tuple({"h1"}),  # the first visible answer
], ids=["D8-no-spaces", "D8-punctuation", "D8-substring", "D8-bag-of-words", "exact", "case-only", "sorted", "lookup"])
def test_leaked_queries_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_leaked_queries, leaked_by(SQUEEZE)) is True
    assert passes(ex.check_leaked_queries, wrong) is False


def in_batch_loss(queries, docs, scale=20.0, normalise=True, hard_negatives=True):
    if normalise:
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        docs = docs / np.linalg.norm(docs, axis=1, keepdims=True)
    if not hard_negatives:
        docs = docs[: len(queries)]
    logits = scale * queries @ docs.T
    top = logits.max(axis=1)
    log_z = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
    return float(np.mean(log_z - logits[np.arange(len(queries)), np.arange(len(queries))]))


@pytest.mark.parametrize("wrong", [
    lambda q, d, s=20.0: in_batch_loss(q, d, s, normalise=False),
    lambda q, d, s=20.0: in_batch_loss(q, d, s, hard_negatives=False),
    lambda q, d, s=20.0: in_batch_loss(q, d, 20.0),  # scale hard-coded
    lambda q, d, s=20.0: in_batch_loss(q, d, s) * len(q),  # sum over queries
    lambda q, d, s=20.0: np.full(len(q), in_batch_loss(q, d, s)),  # one value per query
    lambda q, d, s=20.0: 6.5193,  # a value the old hint printed
], ids=["unnormalised", "no-hard-negatives", "fixed-scale", "sum", "per-query", "constant"])
def test_in_batch_loss_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_in_batch_loss, in_batch_loss) is True
    assert passes(ex.check_in_batch_loss, lambda q, d, s=20.0: torch.tensor(in_batch_loss(q, d, s), dtype=torch.float32)) is True
    assert passes(ex.check_in_batch_loss, wrong) is False


def project_2d(vectors, centre=True, whiten=False, axes=(0, 1)):
    centred = vectors - vectors.mean(axis=0) if centre else vectors
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    coordinates = centred @ components[list(axes)].T
    return coordinates / singular[list(axes)] if whiten else coordinates


@pytest.mark.parametrize("wrong", [
    lambda v: project_2d(v, centre=False),
    lambda v: project_2d(v, whiten=True),
    lambda v: project_2d(v, axes=(0, 2)),
    lambda v: project_2d(v).T,  # (2, n)
    lambda v: tuple(project_2d(v).T),  # a tuple of two arrays: crashed the old checker
    lambda v: "not an array",  # crashed the old checker
], ids=["uncentred", "whitened", "wrong-axis", "transposed", "tuple", "string"])
def test_project_2d_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_project_2d, project_2d) is True
    assert passes(ex.check_project_2d, lambda v: -project_2d(v)) is True  # axes may point either way
    assert passes(ex.check_project_2d, wrong) is False


# --- 06 ---------------------------------------------------------------------------------------


def few_shot_prompt(instruction, shots, question, separator="\n\n", label="Team"):
    blocks = [instruction] + [f"Question: {q}\n{label}: {a}" for q, a in shots] + [f"Question: {question}\n{label}:"]
    return separator.join(blocks)


@pytest.mark.parametrize("wrong", [
    lambda i, s, q: few_shot_prompt(i, s, q, separator="\n"),
    lambda i, s, q: few_shot_prompt(i, s, q, label="Answer"),
    lambda i, s, q: few_shot_prompt(i, [], q),  # ignores the shots
    lambda i, s, q: few_shot_prompt(i, s, q).rsplit("\n", 1)[0],  # no open 'Team:'
    lambda i, s, q: few_shot_prompt("Which team?", [("How many vacation days do I get?", "HR"), ("My VPN drops.", "IT")], "Where is the defibrillator?"),
    lambda i, s, q: few_shot_prompt(i, s, q).split("\n\n"),  # a list of blocks
], ids=["one-newline", "label", "no-shots", "no-open-label", "lookup", "list"])
def test_few_shot_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_few_shot_prompt, few_shot_prompt) is True
    assert passes(ex.check_few_shot_prompt, wrong) is False


def parse_json_reply(text, keys):
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and all(key in value for key in keys) else None


def keyed(parse):
    def parse_json_reply(text, keys):
        try:
            value = parse(text)
        except (ValueError, AttributeError, TypeError):
            return None
        return value if isinstance(value, dict) and all(key in value for key in keys) else None

    return parse_json_reply


@pytest.mark.parametrize("wrong", [
    keyed(lambda text: json.loads(text[text.find("{"): text.rfind("}") + 1])),  # D6: first { to last }
    keyed(lambda text: json.loads(re.search(r"\{[^{}]*\}", text).group())),  # D6: flat regex
    keyed(json.loads),  # the whole reply
    keyed(lambda text: json.JSONDecoder().raw_decode(text[text.rfind("{"):])[0]),  # the last object
    lambda text, keys: parse_json_reply(text, []),  # never checks the keys
    lambda text, keys: json.dumps(parse_json_reply(text, keys)),  # a string
], ids=["D6-find-rfind", "D6-regex", "whole-reply", "last-object", "no-key-check", "string"])
def test_parse_json_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_parse_json_reply, parse_json_reply) is True
    assert passes(ex.check_parse_json_reply, wrong) is False


@pytest.fixture(scope="module")
def tiny_ift_model(chat_tokenizer):
    from course_utils.models import TinyGPTConfig, build_tiny_gpt

    torch.manual_seed(0)
    return build_tiny_gpt(TinyGPTConfig(vocab_size=len(chat_tokenizer), n_layer=1, n_embd=32, n_head=2, context_length=512), chat_tokenizer)


def test_ift_prompt_checker_rejects_plausible_mistakes_without_raising(tiny_ift_model, chat_tokenizer):
    wrong = [
        lambda passage: passage * 40,  # longer than the window: crashed the old checker
        lambda passage: "Novel or documentation?",  # no passage
        lambda passage: [passage],
        lambda passage: f"Novel or documentation?\n{passage}\nAnswer:",  # an untrained model scores below half
    ]
    for answer in wrong:
        assert passes(ex.check_ift_prompt, answer, tiny_ift_model, chat_tokenizer, n=4) is False


def test_ift_prompt_checker_passes_a_prompt_the_model_answers(tiny_ift_model, chat_tokenizer, monkeypatch):
    from course_utils import prompt_eval, prompting
    from course_utils.prompting import Generation

    def model_that_always_knows(model, tokenizer, prompts, max_new_tokens=32, batch_size=8):
        task = prompt_eval.source_task(n=4, split="validation")
        answers = {example.input: example.target for example in task.examples}
        return [Generation(text=next((a for p, a in answers.items() if p in prompt), "?"), prompt_tokens=1, new_tokens=1, seconds=0.0)
                for prompt in prompts]

    monkeypatch.setattr(prompting, "generate_batch", model_that_always_knows)
    monkeypatch.setattr(prompt_eval, "evaluate_variant", lambda *args, **kwargs: type("R", (), {"score": 0.0})())
    right = lambda passage: f"<|user|>\nNovel or documentation?\n{passage}\n<|assistant|>\n"
    assert passes(ex.check_ift_prompt, right, tiny_ift_model, chat_tokenizer, n=4) is True
    # A raw prompt without the turn markers scored 0.8 with the real IFT model, but the exercise asks for the markers.
    assert passes(ex.check_ift_prompt, lambda passage: f"Novel or documentation?\n{passage}\n", tiny_ift_model, chat_tokenizer, n=4) is False


# --- 07 ---------------------------------------------------------------------------------------


def pick_best(table, column, higher_is_better=True):
    sign = 1 if higher_is_better else -1
    return max(table, key=lambda name: sign * table[name][column])


@pytest.mark.parametrize("wrong", [
    lambda t, c, h=True: max(reversed(list(t)), key=lambda n: (1 if h else -1) * t[n][c]),  # last on ties
    lambda t, c, h=True: max(t, key=lambda n: t[n][c]),  # ignores higher_is_better
    lambda t, c, h=True: max(t, key=lambda n: abs(t[n][c]) * (1 if h else -1)),  # magnitudes
    lambda t, c, h=True: t[pick_best(t, c, h)][c],  # the value, not the name
    lambda t, c, h=True: {"accuracy": "RAG", "seconds per answer": "IFT", "compute FLOPs": "IFT" if h else "prompt only"}.get(c, "RAG"),  # lookup
], ids=["last-on-ties", "ignores-flag", "abs", "value", "lookup"])
def test_pick_best_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_pick_best, pick_best) is True
    assert passes(ex.check_pick_best, wrong) is False


def knn_route(similarities, labels, k, tie="nearest"):
    from collections import Counter

    nearest = sorted(range(len(labels)), key=lambda i: -similarities[i])[:k]
    votes = Counter(labels[i] for i in nearest)
    top = max(votes.values())
    if tie == "alphabetical":
        return min(label for label, count in votes.items() if count == top)
    return next(labels[i] for i in nearest if votes[labels[i]] == top)


@pytest.mark.parametrize("wrong", [
    lambda s, l, k: knn_route(s, l, k, tie="alphabetical"),
    lambda s, l, k: knn_route(s, l, len(l)),  # ignores k
    lambda s, l, k: knn_route(list(range(len(l), 0, -1)), l, k),  # the first k by position
    lambda s, l, k: knn_route(s, l, 1),  # the nearest example alone
    lambda s, l, k: [knn_route(s, l, k)],
], ids=["alphabetical-ties", "ignores-k", "by-position", "nearest-only", "list"])
def test_knn_route_checker_rejects_plausible_mistakes(wrong):
    assert passes(ex.check_knn_route, knn_route) is True
    assert passes(ex.check_knn_route, wrong) is False


def copy_of(vector_index):
    """A separate copy of an index, so that a learner's in-place edit cannot reach the shared fixture."""
    return index_from_vectors(list(vector_index.doc_ids), vector_index.index.reconstruct_n(0, len(vector_index)), vector_index.embedder_name)


def add_document(vector_index, embedder, doc_id, text):
    stored = vector_index.index.reconstruct_n(0, len(vector_index))
    return index_from_vectors([*vector_index.doc_ids, doc_id], np.vstack([stored, embed_texts(embedder, [text])]), vector_index.embedder_name)


def test_add_document_checker_rejects_plausible_mistakes(handbook_index, embedder):
    def in_place(vector_index, embedder, doc_id, text):
        vector_index.index.add(embed_texts(embedder, [text]))
        vector_index.doc_ids.append(doc_id)
        return vector_index

    def embeds_the_id(vector_index, embedder, doc_id, text):
        return add_document(vector_index, embedder, doc_id, doc_id)

    def new_vectors_for_old_documents(vector_index, embedder, doc_id, text):
        stored = vector_index.index.reconstruct_n(0, len(vector_index))
        noisy = stored + np.random.default_rng(0).normal(0, 0.05, stored.shape).astype(stored.dtype)
        return index_from_vectors([*vector_index.doc_ids, doc_id], np.vstack([noisy, embed_texts(embedder, [text])]), vector_index.embedder_name)

    def renamed(vector_index, embedder, doc_id, text):
        new = add_document(vector_index, embedder, doc_id, text)
        new.embedder_name = "another embedder"
        return new

    def ndarray_ids(vector_index, embedder, doc_id, text):  # crashed the old checker; works, so it passes
        new = add_document(vector_index, embedder, doc_id, text)
        new.doc_ids = np.array(new.doc_ids)
        return new

    index = copy_of(handbook_index)
    assert passes(ex.check_add_document, add_document, index, embedder) is True
    assert passes(ex.check_add_document, ndarray_ids, index, embedder) is True
    for wrong in (embeds_the_id, new_vectors_for_old_documents, renamed, lambda v, e, d, t: v.index):
        assert passes(ex.check_add_document, wrong, index, embedder) is False
    assert passes(ex.check_add_document, in_place, copy_of(handbook_index), embedder) is False


def test_training_days_hint_does_not_print_a_passing_value(capsys):
    expected = 6 * 8e9 * 15e12 / (1024 * 989e12 * 0.40) / 86400  # the first visible case, by hand
    ex.check_training_days(lambda n, d, g, p, u: training_days(n, d, g, p, u) * 2)
    out = capsys.readouterr().out
    assert "[NOT YET]" in out and f"{expected:.1f}" not in out and f"{expected:.4g}" not in out


def test_in_batch_loss_hint_does_not_print_a_passing_value(capsys):
    from course_utils.embedder_finetuning import in_batch_negatives_loss

    rng = np.random.default_rng(0)  # the checker's second visible case: random vectors, scale 20
    expected = in_batch_negatives_loss(rng.standard_normal((4, 8)), rng.standard_normal((4, 8)), 20.0)
    ex.check_in_batch_loss(lambda q, d, s=20.0: in_batch_loss(q, d, s) * (1.0 if np.allclose(q, np.eye(3)) else 1.01))
    out = capsys.readouterr().out
    assert "[NOT YET]" in out and f"{expected:.4f}" not in out
