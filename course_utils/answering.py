"""The reader step of RAG: a small chat model that answers from retrieved sentences, or says that they do not answer.

Retrieval finds the right document for most questions; the shipped SmolLM2 then often loses the answer ("The answer to
this question is:" and the reply is cut). This module holds the fix the course uses from notebook 03 on: a LoRA adapter
trained to copy the short answer out of the sources, and to reply `NOT_IN_SOURCES` when they do not hold it.

- `answer_prompt` is the prompt contract: the same system line, numbered sources and question in training and use.
- `reader_examples` builds the training examples mechanically from *training* splits only (handbook training questions,
  documentation FAQ and documentation questions), and only from documents every role may see: an adapter trained on
  confidential text could repeat it to anyone, a leak no check on the prompt can catch.
- `ensure_answer_adapter` trains the adapter once (`make setup` runs it) and caches it with its metadata; notebook 03
  shows a short live run of the same recipe (`train_answer_adapter`), then loads the prepared one. Notebooks 04, 06 and
  07 use it through `load_answer_model`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .access import PUBLIC, UNFILTERED, is_visible_to
from .data import (
    Record,
    load_domain_corpus,
    load_domain_qa,
    load_handbook,
    load_handbook_questions,
)
from .evaluation import answer_matches, normalize_answer, numbers_as_digits
from .paths import artifact_path, ensure_artifact
from .prompting import Message, numbered_sources, user_message

NOT_IN_SOURCES = "Not in the sources."
ANSWER_SYSTEM = (
    "Answer the question with the exact words from the sources, nothing else. "
    f"If the sources do not answer it, reply: {NOT_IN_SOURCES}"
)
ADAPTER_NAME = "03_answer_from_sources"
EXAMPLES_FILE = "examples.jsonl"
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def answer_prompt(question: str, passages: Sequence[str]) -> list[Message]:
    """The adapter's prompt: a system line that names the abstention reply, numbered sources, the question last."""
    if isinstance(passages, str) or not passages:
        raise ValueError("answer_prompt needs a list of one or more passages; with none, there is nothing to answer from.")
    return user_message(f"Sources:\n{numbered_sources(passages)}\n\nQuestion: {question}", system=ANSWER_SYSTEM)


def is_abstention(reply: str) -> bool:
    """True if a reply says the sources do not answer (the adapter's fixed reply, in any case or punctuation)."""
    return normalize_answer(NOT_IN_SOURCES) in normalize_answer(reply)


def reply_score(reply: str, answer: str) -> float:
    """1.0 for a right reply: the reference inside it (number words as digits), or an abstention where none was expected."""
    if answer == NOT_IN_SOURCES:
        return float(is_abstention(reply))
    return 0.0 if is_abstention(reply) else answer_matches(reply, answer)


def titled_sentences(document: Record) -> list[str]:
    """A document's sentences as "Title: sentence", the passage shape `rag.rag_context` puts in prompts."""
    from .rag import split_sentences

    return [f"{document['title']}: {sentence}" for sentence in split_sentences(document["text"])]


def answer_passage(document: Record, answer: str) -> str | None:
    """The first titled sentence of `document` that holds `answer` (number words as digits), or None."""
    return next((passage for passage in titled_sentences(document) if answer_matches(passage, answer)), None)


@dataclass(frozen=True)
class AnswerAdapterRecipe:
    """LoRA on SmolLM2 (fp32, CPU) for answer-from-sources; `make setup` runs it once, notebook 03 a few live steps."""

    r: int = 16
    alpha: int = 32
    target_modules: tuple[str, ...] = ALL_LINEAR
    num_steps: int = 150
    batch_size: int = 8
    micro_batch_size: int = 4  # examples per forward pass (gradients accumulate to batch_size): halves the peak memory
    lr: float = 1e-3
    abstain_fraction: float = 0.2  # share of questions that also get an example whose sources do not answer
    max_answer_words: int = 12  # longer references (whole FAQ sentences) are not the short-span task
    max_length: int = 512  # tokens of prompt + reply; every example built here fits (documentation sentences run long)
    live_steps: int = 8  # notebook 03's live run of the same recipe
    seed: int = 0


ANSWER_ADAPTER = AnswerAdapterRecipe()


@dataclass(frozen=True)
class Question:
    """A training question with its reference answer and the documents it may be asked over."""

    qid: str
    source: str  # "handbook", "faq" or "docs"
    question: str
    answer: str
    gold_doc_id: str


def training_questions(recipe: AnswerAdapterRecipe = ANSWER_ADAPTER) -> list[Question]:
    """Training-split questions with a short answer about a public document: handbook, FAQ and documentation questions."""
    public_handbook = {document["doc_id"] for document in load_handbook(PUBLIC)}
    handbook = [
        Question(q["qid"], "handbook", q["question"], q["answer"], q["gold_doc_ids"][0])
        for q in load_handbook_questions("train")
        if q["type"] == "single" and q["gold_doc_ids"][0] in public_handbook
    ]
    faq = [
        Question(q["qa_id"], "faq", q["question"], q["answer"], q["gold_doc_ids"][0])
        for q in load_domain_qa("train")
        if len(q["answer"].split()) <= recipe.max_answer_words
    ]
    return handbook + faq + _documentation_questions()


def _documentation_questions() -> list[Question]:
    from . import data

    if not hasattr(data, "load_doc_questions"):
        return []
    return [Question(q["dq_id"], "docs", q["question"], q["answer"], q["doc_id"]) for q in data.load_doc_questions("train")]


class _Corpora:
    """The public documents of every source, their indexes, and their sentences, embedded once for all questions."""

    def __init__(self, embedder: Any) -> None:
        from .rag import ensure_domain_index, ensure_handbook_index

        self.embedder = embedder
        handbook = [document for document in load_handbook(UNFILTERED) if is_visible_to(document, PUBLIC)]
        domain = load_domain_corpus()
        self.documents = {document["doc_id"]: document for document in handbook + domain}
        self.indexes = {"handbook": ensure_handbook_index(embedder), "domain": ensure_domain_index(embedder)}
        self.members = {"handbook": [d["doc_id"] for d in handbook], "domain": [d["doc_id"] for d in domain]}
        self._normalised = {doc_id: normalize_answer(numbers_as_digits(d["text"])) for doc_id, d in self.documents.items()}
        self._sentences: dict[str, tuple[list[str], Any]] = {}

    def corpus_of(self, question: Question) -> str:
        """The index a question is asked over."""
        return "handbook" if question.source == "handbook" else "domain"

    def nearest_without_answer(self, question: Question, question_vector: Any, n_candidates: int = 20) -> Record:
        """The best-ranked document of the question's corpus that does not hold its answer: what retrieval shows when the corpus lacks it."""
        from .retrieval import search_vectors

        needle = normalize_answer(numbers_as_digits(question.answer))
        corpus = self.corpus_of(question)
        members = set(self.members[corpus])
        for doc_id, _ in search_vectors(self.indexes[corpus], question_vector, k=n_candidates, allowed_ids=UNFILTERED)[0]:
            if doc_id in members and needle not in self._normalised[doc_id]:
                return self.documents[doc_id]
        allowed = [doc_id for doc_id in self.members[corpus] if needle not in self._normalised[doc_id]]  # rare: all top candidates hold it
        return self.documents[search_vectors(self.indexes[corpus], question_vector, k=1, allowed_ids=allowed)[0][0][0]]

    def embed_sentences(self, documents: Sequence[Record]) -> None:
        """Embed the titled sentences of every document not embedded yet, in one batch."""
        from .retrieval import embed_texts

        missing = [d for d in {d["doc_id"]: d for d in documents}.values() if d["doc_id"] not in self._sentences]
        passages = [titled_sentences(document) for document in missing]
        flat = [passage for group in passages for passage in group]
        if not flat:
            return
        vectors, start = embed_texts(self.embedder, flat), 0
        for document, group in zip(missing, passages):
            self._sentences[document["doc_id"]] = (group, vectors[start : start + len(group)])
            start += len(group)

    def best_passages(self, question_vector: Any, document: Record, n: int, excluding: str | None = None) -> list[str]:
        """The `n` titled sentences of `document` closest to the question (skipping `excluding`), best first."""
        self.embed_sentences([document])
        passages, vectors = self._sentences[document["doc_id"]]
        ranked = [passages[i] for i in (vectors @ question_vector).argsort()[::-1]]
        return [passage for passage in ranked if passage != excluding][:n]


def reader_examples(embedder: Any | None = None, recipe: AnswerAdapterRecipe = ANSWER_ADAPTER) -> list[dict[str, Any]]:
    """Answer-from-sources examples: gold sentence among distractors -> short answer; answer-free sources -> NOT_IN_SOURCES.

    Positives show the sentence that holds the answer with 0-2 other sentences (the gold document's next best one, the
    nearest other document's best one) in random order. For a `recipe.abstain_fraction` share of questions, a negative
    shows the two best sentences of the nearest document that does not hold the answer, as retrieval would when the
    corpus lacks it. Everything is seeded, so the same recipe builds the same examples.
    """
    from .pretrained import load_embedder
    from .retrieval import embed_texts

    corpora = _Corpora(embedder if embedder is not None else load_embedder())
    questions = training_questions(recipe)
    question_vectors = embed_texts(corpora.embedder, [question.question for question in questions])
    nearest = [corpora.nearest_without_answer(question, vector) for question, vector in zip(questions, question_vectors)]
    corpora.embed_sentences([corpora.documents[q.gold_doc_id] for q in questions] + nearest)
    rng = random.Random(recipe.seed)
    examples = []
    for question, vector, other in zip(questions, question_vectors, nearest):
        gold = corpora.documents[question.gold_doc_id]
        holding = answer_passage(gold, question.answer)
        if holding is None:  # the reference is not a span of a single sentence
            continue
        distractors = corpora.best_passages(vector, gold, 1, excluding=holding) + corpora.best_passages(vector, other, 1)
        passages = [holding] + rng.sample(distractors, rng.randint(0, len(distractors)))
        rng.shuffle(passages)
        examples.append({"id": question.qid, "source": question.source, "question": question.question, "passages": passages, "answer": question.answer})
        if rng.random() < recipe.abstain_fraction:
            negatives = corpora.best_passages(vector, other, 2)[::-1]
            examples.append({"id": f"{question.qid}-none", "source": question.source, "question": question.question, "passages": negatives, "answer": NOT_IN_SOURCES})
    return examples


def tokenize_reader_example(tokenizer: Any, example: dict[str, Any], max_length: int) -> dict[str, list[int]]:
    """{"input_ids", "labels"} for one example: the chat prompt masked, the reply and its end-of-turn token scored."""
    from .finetuning import IGNORE_INDEX

    prompt = tokenizer.apply_chat_template(answer_prompt(example["question"], example["passages"]), add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    reply = tokenizer(example["answer"])["input_ids"] + [tokenizer.eos_token_id]
    if len(prompt) + len(reply) > max_length:
        raise ValueError(f"Example {example['id']} needs {len(prompt) + len(reply)} tokens, over max_length={max_length}; raise it in the recipe.")
    return {"input_ids": prompt + reply, "labels": [IGNORE_INDEX] * len(prompt) + reply}


def reply_token_budget(tokenizer: Any, answers: Sequence[str]) -> int:
    """`max_new_tokens` that never cuts a right reply: the longest reference (or the abstention) in tokens, plus its end token and slack."""
    return max(len(tokenizer(answer)["input_ids"]) for answer in [*answers, NOT_IN_SOURCES]) + 3


def train_answer_adapter(model: Any, tokenizer: Any, examples: Sequence[dict[str, Any]], recipe: AnswerAdapterRecipe = ANSWER_ADAPTER, num_steps: int | None = None, **kwargs: Any) -> tuple[Any, Any]:
    """Wrap `model` in the recipe's LoRA and train it on `examples` (HF Trainer, reply-only loss); return (peft model, history)."""
    from .finetuning import instruction_tune, lora_model

    if recipe.batch_size % recipe.micro_batch_size:
        raise ValueError(f"batch_size ({recipe.batch_size}) must be a multiple of micro_batch_size ({recipe.micro_batch_size}).")
    lora = lora_model(model, r=recipe.r, alpha=recipe.alpha, target_modules=recipe.target_modules, seed=recipe.seed)
    tokenized = [tokenize_reader_example(tokenizer, example, recipe.max_length) for example in examples]
    steps = num_steps or recipe.num_steps
    history = instruction_tune(
        lora, tokenizer, tokenized, num_steps=steps, run_name="03_answer_adapter", per_device_train_batch_size=recipe.micro_batch_size,
        gradient_accumulation_steps=recipe.batch_size // recipe.micro_batch_size, learning_rate=recipe.lr, warmup_steps=5, weight_decay=0.0,
        train_sampling_strategy="group_by_length", seed=recipe.seed, **kwargs,  # similar lengths together: less padding to compute
    )
    history.batch_size = recipe.batch_size
    mean_tokens = sum(len(example["input_ids"]) for example in tokenized) / len(tokenized)
    history.tokens_seen = round(mean_tokens * steps * recipe.batch_size)  # epochs repeat the examples: count every one seen
    return lora.eval(), history


def answer_adapter_path() -> Path:
    """The cache folder of the prepared answer-from-sources adapter."""
    return artifact_path("adapters", ADAPTER_NAME)


def _train_and_save(folder: Path, recipe: AnswerAdapterRecipe) -> None:
    import time

    from .models import count_parameters
    from .pretrained import load_chat_model

    started = time.perf_counter()
    examples = reader_examples(recipe=recipe)
    building_seconds = time.perf_counter() - started
    model, tokenizer = load_chat_model(device="cpu")
    lora, history = train_answer_adapter(model, tokenizer, examples, recipe, disable_tqdm=True)
    lora.save_pretrained(folder)
    (folder / EXAMPLES_FILE).write_text("".join(json.dumps(example) + "\n" for example in examples))
    metadata = {
        "recipe": asdict(recipe),
        "examples": len(examples),
        "examples_by_source": {source: sum(e["source"] == source for e in examples) for source in sorted({e["source"] for e in examples})},
        "abstention_examples": sum(e["answer"] == NOT_IN_SOURCES for e in examples),
        "building_seconds": building_seconds,
        "steps": history.steps,
        "train_loss": history.train_loss,
        "seconds": history.seconds,
        "tokens_seen": history.tokens_seen,
        "trainable_parameters": count_parameters(lora, trainable_only=True),
    }
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=1))


def ensure_answer_adapter(recipe: AnswerAdapterRecipe = ANSWER_ADAPTER) -> Path:
    """Return the prepared adapter's folder, training it first with the recipe if it is not cached (minutes on a CPU).

    An adapter cached by an older recipe is retrained: every notebook says it uses *this* recipe's adapter.
    """
    import shutil

    from .runtime import log

    path = answer_adapter_path()
    if path.exists() and _recorded_recipe(path) != asdict(recipe):
        log(f"{path.name} in the cache was trained with another recipe: training it again")
        shutil.rmtree(path)
    return ensure_artifact(path, lambda folder: _train_and_save(folder, recipe), made_by="make setup (the recipe of notebook 03, section 10)")


def _recorded_recipe(folder: Path) -> dict[str, Any] | None:
    metadata = folder / "metadata.json"
    if not metadata.exists():
        return None
    recorded = json.loads(metadata.read_text()).get("recipe", {})
    return {key: tuple(value) if isinstance(value, list) else value for key, value in recorded.items()}


def adapter_metadata(folder: Path | str | None = None) -> dict[str, Any]:
    """What the prepared run recorded: examples, steps, loss curve, seconds, tokens seen (FLOPs: `costs.answer_adapter_cost`)."""
    folder = Path(folder) if folder is not None else ensure_answer_adapter()
    return json.loads((folder / "metadata.json").read_text())


def prepared_examples(folder: Path | str | None = None) -> list[dict[str, Any]]:
    """The examples the prepared adapter was trained on (as `reader_examples` built them)."""
    folder = Path(folder) if folder is not None else ensure_answer_adapter()
    return [json.loads(line) for line in (folder / EXAMPLES_FILE).read_text().splitlines()]


def load_adapted_chat_model(adapter_folder: Path | str, device: str | None = None) -> tuple[Any, Any]:
    """A fresh SmolLM2 with an adapter merged into its weights (same answers as the adapter, plain-model speed)."""
    from peft import PeftModel

    from .finetuning import ignore_peft_deprecation_warning
    from .pretrained import load_chat_model

    ignore_peft_deprecation_warning()
    model, tokenizer = load_chat_model(device=device)
    merged = PeftModel.from_pretrained(model, str(adapter_folder)).merge_and_unload()
    return merged.eval(), tokenizer


def load_answer_model(device: str | None = None) -> tuple[Any, Any]:
    """SmolLM2 with the prepared answer-from-sources adapter merged in (trained first if missing)."""
    return load_adapted_chat_model(ensure_answer_adapter(), device)


def read_replies(model: Any, tokenizer: Any, questions: Sequence[str], passages: Sequence[Sequence[str]], max_new_tokens: int, batch_size: int = 16) -> list[str]:
    """Greedy replies to `answer_prompt` for each (question, passages) pair, in batches."""
    from .prompting import generate_batch

    if len(questions) != len(passages):
        raise ValueError(f"Need one list of passages per question; got {len(questions)} questions and {len(passages)} lists.")
    prompts = [answer_prompt(question, sources) for question, sources in zip(questions, passages)]
    return [generation.text for generation in generate_batch(model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size)]


def sentence_given_set(splits: Sequence[str] = ("validation", "test")) -> list[tuple[Record, str]]:
    """Held-out handbook questions with the sentence that holds the answer: (question, passage) pairs, every role's documents."""
    documents = {document["doc_id"]: document for document in load_handbook(UNFILTERED)}
    pairs = []
    for split in splits:
        for question in load_handbook_questions(split):
            if question["type"] == "single":
                passage = answer_passage(documents[question["gold_doc_ids"][0]], question["answer"])
                if passage is not None:
                    pairs.append((question, passage))
    return pairs
