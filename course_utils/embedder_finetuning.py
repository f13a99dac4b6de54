"""Fine-tuning the embedder: (query, document) pairs from the data, mined hard negatives, training and evaluation.

Taught in notebook 05; notebook 07 calls `ensure_finetuned_embedder()` for the same model (trained with
notebook 05's recipe if it is not in the cache) and `rag.ensure_handbook_index(embedder)` for its index.

Training queries come from the data, never from a held-out set: real FAQ questions (train split), SQLite
section headings as queries for their sections (training pages only), and the SYNTHETIC handbook's training
questions. `check_disjoint` proves no held-out query reaches training. Hard negatives are mined with
sentence-transformers' `mine_hard_negatives`; training is `SentenceTransformerTrainer` with
`MultipleNegativesRankingLoss`; evaluation is its `InformationRetrievalEvaluator`. A fine-tuned model gets a
name of its own (the base name plus a digest of its weights), so an index built by one model refuses queries
embedded by another (`retrieval.EmbedderMismatchError`) and cached embeddings never mix two models. Notebook 05's
drift sweep (`ensure_drift_sweep`, prepared by `make setup`) trains the same recipe longer and measures, against how far
the vectors moved, what an index that was not rebuilt is still worth.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .access import UNFILTERED
from .data import Record, load_domain_corpus, load_domain_qa, load_handbook, load_handbook_questions, texts_of
from .models import weights_digest
from .paths import artifact_path, atomic_path, cache_lock, ensure_artifact

FINETUNED_FOLDER = "05_finetuned_embedder"
NAME_FILE = "course_name.txt"
FAQ_PAGE = "faq.html"  # the SQLite FAQ: its headings are FAQ questions, some of them held out
METRICS = ("recall@1", "recall@5", "MRR@10", "nDCG@10")


class LeakageError(ValueError):
    """A held-out query (or its id) is also among the training queries."""


@dataclass(frozen=True)
class EmbedderRecipe:
    """Notebook 05: fine-tune all-MiniLM-L6-v2 on labelled pairs with in-batch and mined hard negatives, in CPU seconds."""

    num_epochs: int = 1
    batch_size: int = 32  # MNRL: every other document in the batch is a negative for each query
    lr: float = 1.5e-4  # measured: 1e-4 and batch 16 gain less on the held-out headings in one pass
    warmup_steps: int = 2  # then a constant learning rate, so every prefix of the run is a run of its own
    train_max_seq_length: int = 64  # tokens per text while mining and training: each document's start, for speed
    max_seq_length: int = 256  # tokens per text the trained model embeds, as the base model does
    num_negatives: int = 1  # mined hard negatives per pair
    scale: float = 20.0  # MNRL's inverse temperature
    n_heading_pairs: int = 300  # heading queries sampled from the training pages (measured: 600 gains no more)
    held_out_page_fraction: float = 0.2  # whole SQLite pages whose headings are only ever test queries
    seed: int = 0


EMBEDDER_RECIPE = EmbedderRecipe()


# --- Queries from the data --------------------------------------------------------------------


def faq_queries(split: str) -> list[Record]:
    """Real FAQ questions (Python and SQLite FAQs) of one split, each with the section that answers it."""
    return [
        {"qid": qa["qa_id"], "query": qa["question"], "gold_doc_ids": list(qa["gold_doc_ids"]), "source": "faq", "page": qa["gold_doc_ids"][0]}
        for qa in load_domain_qa(split)
    ]


def handbook_queries(split: str) -> list[Record]:
    """The SYNTHETIC handbook's single-answer questions of one split, each with its one gold document."""
    return [
        {"qid": q["qid"], "query": q["question"], "gold_doc_ids": list(q["gold_doc_ids"]), "source": "handbook (SYNTHETIC)", "page": q["gold_doc_ids"][0]}
        for q in load_handbook_questions(split)
        if q["type"] == "single"
    ]


def heading_query(record: Record) -> str:
    """The query a SQLite section's heading makes: "Page title: section heading" (without a "(part N)" suffix)."""
    heading = re.sub(r"\s*\(part \d+\)$", "", record["section"])
    return record["title"] if heading == record["title"] else f"{record['title']}: {heading}"


def heading_queries(records: Sequence[Record] | None = None) -> list[Record]:
    """One query per SQLite heading, its gold = every section under it (long sections were split into parts).

    The SQLite FAQ page is left out: its headings are FAQ questions, some of which are held-out test questions.
    """
    records = load_domain_corpus("sqlite") if records is None else records
    groups: dict[str, list[Record]] = {}
    for record in records:
        if record["source"] == "sqlite" and record["url"] != FAQ_PAGE:
            groups.setdefault(heading_query(record), []).append(record)
    return [
        {"qid": f"heading:{sections[0]['doc_id']}", "query": query, "gold_doc_ids": [s["doc_id"] for s in sections], "source": "heading", "page": sections[0]["url"]}
        for query, sections in groups.items()
    ]


def split_by_page(queries: Sequence[Record], held_out_fraction: float, seed: int = 0) -> tuple[list[Record], list[Record]]:
    """Split queries into (train, held_out) by whole page: a held-out page contributes no training query."""
    if not 0 < held_out_fraction < 1:
        raise ValueError(f"held_out_fraction must be between 0 and 1, got {held_out_fraction}.")
    pages = sorted({q["page"] for q in queries})
    if len(pages) < 2:
        raise ValueError("Need queries from at least two pages to hold some pages out.")
    random.Random(seed).shuffle(pages)
    held_out_pages = set(pages[: max(1, round(len(pages) * held_out_fraction))])
    return [q for q in queries if q["page"] not in held_out_pages], [q for q in queries if q["page"] in held_out_pages]


def normalize_query(text: str) -> str:
    """Lower-case and squeeze white space: two queries that differ only there are the same query."""
    return " ".join(text.lower().split())


def check_disjoint(train: Sequence[Record], held_out: Sequence[Record]) -> int:
    """Raise `LeakageError` if a held-out query's id or (normalised) text is a training query; return how many were checked."""
    train_ids = {q["qid"] for q in train}
    train_texts = {normalize_query(q["query"]) for q in train}
    leaked = [q["qid"] for q in held_out if q["qid"] in train_ids or normalize_query(q["query"]) in train_texts]
    if leaked:
        raise LeakageError(f"{len(leaked)} held-out queries are also training queries, e.g. {leaked[:3]}: remove them from training.")
    return len(held_out)


def sample_queries(queries: Sequence[Record], n: int | None, seed: int = 0) -> list[Record]:
    """Return `n` queries drawn by a seeded shuffle (all of them, in order, when `n` is None or too large)."""
    if n is None or n >= len(queries):
        return list(queries)
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}.")
    return random.Random(seed).sample(list(queries), n)


# --- Training pairs and hard negatives ----------------------------------------------------------


def training_pairs(queries: Sequence[Record], documents: Sequence[Record]) -> list[dict[str, str]]:
    """Return one {"anchor": query, "positive": document text} pair per (query, gold document)."""
    by_id = {document["doc_id"]: document for document in documents}
    missing = sorted({g for q in queries for g in q["gold_doc_ids"] if g not in by_id})
    if missing:
        raise KeyError(f"Gold documents not in the corpus: {missing[:5]}")
    return [{"anchor": q["query"], "positive": by_id[g]["text"]} for q in queries for g in q["gold_doc_ids"]]


def pairs_dataset(pairs: Sequence[dict[str, str]]) -> Any:
    """Return the pairs as a `datasets.Dataset` with columns anchor, positive (the layout the trainer expects)."""
    from datasets import Dataset

    if not pairs:
        raise ValueError("pairs_dataset needs at least one pair.")
    return Dataset.from_dict({"anchor": [p["anchor"] for p in pairs], "positive": [p["positive"] for p in pairs]})


def mine_negatives(model: Any, pairs: Sequence[dict[str, str]], corpus: Sequence[str] | None = None, recipe: EmbedderRecipe = EMBEDDER_RECIPE) -> Any:
    """Add `recipe.num_negatives` hard negatives per pair with `sentence_transformers.util.mine_hard_negatives`.

    A hard negative is a document the model ranks high for the query that is not its positive (e.g. the France
    variant of a question about Germany). Candidates are `corpus` plus the positives of all pairs.
    """
    from sentence_transformers.util import mine_hard_negatives

    from .progress import quiet_progress_bars

    with quiet_progress_bars():  # it draws its encoding and scoring bars whatever `verbose` says
        return mine_hard_negatives(
            pairs_dataset(pairs),
            model,
            corpus=list(corpus) if corpus is not None else None,
            num_negatives=recipe.num_negatives,
            sampling_strategy="top",
            output_format="triplet" if recipe.num_negatives == 1 else "n-tuple",
            batch_size=64,
            verbose=False,
        )


# --- Training ---------------------------------------------------------------------------------------


def name_finetuned(model: Any, base_name: str) -> str:
    """Give a fine-tuned model its own `course_name` ("<base>-ft-<digest>"), the name its indexes record; return it."""
    model.course_name = f"{base_name}-ft-{weights_digest(model, n_chars=8)}"
    return model.course_name


@dataclass
class CurvePoint:
    """Retrieval quality after training on the first `pairs` labelled pairs, and the training seconds it took."""

    pairs: int
    seconds: float
    scores: dict[str, float]


def _learning_curve_callback(batch_size: int, n_pairs: int, train_length: int, points: list[CurvePoint]) -> Any:
    from transformers import TrainerCallback

    class LearningCurve(TrainerCallback):
        """Record each evaluation as a curve point; training seconds exclude the time spent evaluating."""

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            """Start the training clock."""
            self.seconds, self.last = 0.0, time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            """Add the step's time (data, forward, backward, update) to the training clock."""
            now = time.perf_counter()
            self.seconds, self.last = self.seconds + now - self.last, now

        def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None, model: Any = None, **kwargs: Any) -> None:
            """Store the evaluation's scores; training resumes at its own text length, and the clock restarts."""
            model.max_seq_length = train_length
            scores = {metric: float(value) for key, value in (metrics or {}).items() for metric in METRICS if key.endswith(f"_{metric.lower()}")}
            points.append(CurvePoint(pairs=min(state.global_step * batch_size, n_pairs), seconds=self.seconds, scores=scores))
            self.last = time.perf_counter()

    return LearningCurve()


def train_embedder(
    model: Any,
    train_dataset: Any,
    recipe: EmbedderRecipe = EMBEDDER_RECIPE,
    run_name: str = "05_embedder",
    evaluator: Any | None = None,
    eval_steps: Sequence[int] = (),
    callbacks: Sequence[Any] = (),
    **overrides: Any,
) -> tuple[Any, list[CurvePoint]]:
    """Fine-tune `model` in place with `SentenceTransformerTrainer` and `MultipleNegativesRankingLoss`.

    Returns (loss history, learning curve). With `evaluator`, the model is scored after each step in `eval_steps`
    and at the end: one pass over the data at a constant learning rate, so the model after n pairs is the model a
    run on those n pairs alone would give, and one run draws the whole curve. Extra trainer `callbacks` run too
    (e.g. `epoch_snapshots`). The trained model gets a new name (see `name_finetuned`): its vectors live in a new space.
    """
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import PrinterCallback

    from .progress import quiet_progress_bars, training_progress
    from .runtime import seed_everything
    from .training import TrainingHistory, _history_callback, training_arguments

    if len(train_dataset) < recipe.batch_size:
        raise ValueError(f"Need at least one batch of {recipe.batch_size} pairs, got {len(train_dataset)}.")
    base_name = getattr(model, "course_name", None) or "embedder"
    seed_everything(recipe.seed)
    model.max_seq_length = recipe.train_max_seq_length
    args = training_arguments(
        run_name,
        args_class=SentenceTransformerTrainingArguments,
        num_train_epochs=recipe.num_epochs,
        per_device_train_batch_size=recipe.batch_size,
        learning_rate=recipe.lr,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=recipe.warmup_steps,
        weight_decay=0.01,
        batch_sampler=BatchSamplers.NO_DUPLICATES,  # a text twice in one batch would be its own negative
        seed=recipe.seed,
        data_seed=recipe.seed,
        logging_steps=1,
        disable_tqdm=True,
        eval_strategy="no",
        **overrides,
    )
    history, curve = TrainingHistory(batch_size=recipe.batch_size), []
    n_pairs = len(train_dataset) * recipe.num_epochs
    callbacks = [_history_callback(history), _learning_curve_callback(recipe.batch_size, n_pairs, recipe.train_max_seq_length, curve),
                 training_progress(f"training {run_name}"), *callbacks]
    if evaluator is not None:
        callbacks.append(_evaluate_at(eval_steps, recipe.max_seq_length))
    with quiet_progress_bars():  # the trainer's model card draws a "Computing widget examples" bar
        trainer = SentenceTransformerTrainer(
            model=model, args=args, train_dataset=train_dataset, loss=MultipleNegativesRankingLoss(model, scale=recipe.scale),
            evaluator=evaluator, callbacks=callbacks,
        )
    trainer.remove_callback(PrinterCallback)
    started = time.perf_counter()
    trainer.train()
    history.seconds = time.perf_counter() - started
    model.eval()
    model.max_seq_length = recipe.max_seq_length
    name_finetuned(model, base_name.split("-ft-")[0])
    return history, curve


def _random_states() -> tuple[Any, Any, Any]:
    import numpy as np
    import torch

    return random.getstate(), np.random.get_state(), torch.get_rng_state()


def _restore_random_states(states: tuple[Any, Any, Any]) -> None:
    import numpy as np
    import torch

    random.setstate(states[0])
    np.random.set_state(states[1])
    torch.set_rng_state(states[2])


def _evaluate_at(steps: Sequence[int], eval_length: int) -> Any:
    from transformers import TrainerCallback

    wanted = set(steps)

    class EvaluateAt(TrainerCallback):
        """Ask the trainer to run its evaluator after the chosen steps and after the last one."""

        def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> Any:
            """Set the evaluation flag (and the evaluation's text length) when this step is one of the chosen ones."""
            if state.global_step in wanted or state.global_step == state.max_steps:
                control.should_evaluate = True
                model.max_seq_length = eval_length
                self.random_states = _random_states()
            return control

        def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            """Put the random generators back as they were: evaluating must not change how training continues."""
            _restore_random_states(self.random_states)

    return EvaluateAt()


# --- Evaluation --------------------------------------------------------------------------------


def ir_evaluator(queries: Sequence[Record], documents: Sequence[Record], name: str = "") -> Any:
    """Return sentence-transformers' `InformationRetrievalEvaluator` for `queries` over `documents` (recall@1/5, MRR@10, nDCG@10)."""
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    if not queries or not documents:
        raise ValueError("ir_evaluator needs at least one query and one document.")
    doc_ids = {document["doc_id"] for document in documents}
    missing = sorted({g for q in queries for g in q["gold_doc_ids"] if g not in doc_ids})
    if missing:
        raise KeyError(f"Gold documents not in the evaluation corpus: {missing[:5]}")
    return InformationRetrievalEvaluator(
        queries={q["qid"]: q["query"] for q in queries},
        corpus={document["doc_id"]: document["text"] for document in documents},
        relevant_docs={q["qid"]: set(q["gold_doc_ids"]) for q in queries},
        accuracy_at_k=[1, 5, 10], precision_recall_at_k=[1, 5, 10], mrr_at_k=[10], ndcg_at_k=[10], map_at_k=[10],
        batch_size=64, name=name, write_csv=False,
    )


def retrieval_scores(evaluator: Any, model: Any, corpus_vectors: Any | None = None) -> dict[str, float]:
    """Run the evaluator; return recall@1, recall@5, MRR@10 and nDCG@10. Pass `corpus_vectors` (one row per document,
    in the evaluator's corpus order) to score the queries against vectors that are already computed."""
    import torch

    kwargs = {} if corpus_vectors is None else {"corpus_embeddings": torch.as_tensor(corpus_vectors)}
    if corpus_vectors is not None and len(corpus_vectors) != len(evaluator.corpus):
        raise ValueError(f"Got {len(corpus_vectors)} corpus vectors for {len(evaluator.corpus)} documents.")
    scores = evaluator(model, **kwargs)
    prefix = f"{evaluator.name}_" if evaluator.name else ""
    function = model.similarity_fn_name
    return {metric: float(scores[f"{prefix}{function}_{metric.lower()}"]) for metric in METRICS}


def bm25_scores(queries: Sequence[Record], documents: Sequence[Record]) -> dict[str, float]:
    """BM25's recall@1, recall@5, MRR@10 and nDCG@10 on the same queries and documents (the keyword baseline)."""
    from .evaluation import mean_retrieval_metrics
    from .retrieval import bm25_rankings, build_bm25_index

    keyword_index = build_bm25_index(texts_of(documents, "doc_id"), texts_of(documents))
    rankings = bm25_rankings(keyword_index, [q["query"] for q in queries], k=10, allowed_ids=UNFILTERED)
    metrics = mean_retrieval_metrics(rankings, [q["gold_doc_ids"] for q in queries], ks=(1, 5))
    return {"recall@1": metrics["recall@1"], "recall@5": metrics["recall@5"], "MRR@10": metrics["MRR"], "nDCG@10": metrics["nDCG@10"]}


def hits_at_k(embedder: Any, queries: Sequence[Record], documents: Sequence[Record], corpus_vectors: Any, k: int) -> list[float]:
    """1.0 for each query whose gold document is among the `k` documents closest to it: per-query scores for paired claims."""
    import numpy as np

    from .retrieval import embed_texts

    if k <= 0 or not queries:
        raise ValueError(f"hits_at_k needs queries and a positive k, got {len(queries)} queries and k = {k}.")
    doc_ids = np.asarray(texts_of(documents, "doc_id"))
    similarities = embed_texts(embedder, [q["query"] for q in queries]) @ np.asarray(corpus_vectors).T
    top = np.argsort(-similarities, axis=1, kind="stable")[:, :k]
    return [float(bool(set(doc_ids[row]) & set(q["gold_doc_ids"]))) for row, q in zip(top, queries)]


def sibling_confusion(vector_index: Any, embedder: Any, documents: Sequence[Record], queries: Sequence[Record]) -> float:
    """Share of questions about a clustered document whose top-1 result is one of its near-identical siblings."""
    from .rag import sibling_ids
    from .retrieval import search_many

    clustered = [q for q in queries if sibling_ids(documents, q["gold_doc_ids"][0])]
    if not clustered:
        raise ValueError("None of these questions is about a document with siblings.")
    tops = [hits[0][0] for hits in search_many(vector_index, embedder, [q["query"] for q in clustered], k=1, allowed_ids=UNFILTERED)]
    return sum(top in sibling_ids(documents, q["gold_doc_ids"][0]) for top, q in zip(tops, clustered)) / len(clustered)


def within_cluster_cosine(vectors: Any, clusters: Sequence[str]) -> float:
    """Mean cosine between different documents of the same cluster (rows of `vectors` are unit vectors)."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float64)
    if len(vectors) != len(clusters):
        raise ValueError(f"Got {len(vectors)} vectors for {len(clusters)} cluster labels.")
    labels = np.asarray(clusters)
    same = (labels[:, None] == labels[None, :]) & ~np.eye(len(labels), dtype=bool)
    if not same.any():
        raise ValueError("No cluster has two documents.")
    return float((vectors @ vectors.T)[same].mean())


def rag_answers(chat_model: Any, tokenizer: Any, embedder: Any, vector_index: Any, documents: Sequence[Record], questions: Sequence[Record], max_new_tokens: int = 20) -> tuple[list[str], list[Any]]:
    """Notebook 04's extractive RAG pipeline with a given embedder; return (top document ids, answers).

    For each question: `rag.rag_context` (the top document visible to the asker's role, its two sentences closest to
    the question, the closest last), an extractive prompt, a greedy answer.
    """
    from .prompting import extractive_rag_prompt
    from .rag import answer_prompts, rag_context

    contexts = [rag_context(embedder, vector_index, documents, q["question"], q["asker_visibility"]) for q in questions]
    prompts = [extractive_rag_prompt(q["question"], context.passages) for q, context in zip(questions, contexts)]
    sources = [context.source_ids for context in contexts]
    answers = answer_prompts(chat_model, tokenizer, [q["question"] for q in questions], prompts, sources, max_new_tokens=max_new_tokens, batch_size=len(questions))
    return [context.source_ids[0] for context in contexts], answers


def centre_by_cluster(vectors: Any, clusters: Sequence[str]) -> Any:
    """Subtract from each vector the mean of its cluster: what is left is how the variants of one cluster differ."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float64)
    if len(vectors) != len(clusters):
        raise ValueError(f"Got {len(vectors)} vectors for {len(clusters)} cluster labels.")
    labels = np.asarray(clusters)
    centred = vectors.copy()
    for label in set(clusters):
        centred[labels == label] -= vectors[labels == label].mean(axis=0)
    return centred


def project_2d(vectors: Any) -> Any:
    """Project vectors onto their first two principal components (PCA by SVD of the centred matrix): an (n, 2) array."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) < 2:
        raise ValueError(f"Need a 2-D matrix with at least two rows, got shape {vectors.shape}.")
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T


# --- The recipe end to end, and the cached model for notebook 07 ---------------------------------


def default_queries(recipe: EmbedderRecipe = EMBEDDER_RECIPE) -> tuple[list[Record], dict[str, list[Record]]]:
    """Return (training queries, {held-out set name: queries}) exactly as notebook 05 builds them."""
    train_headings, held_out_headings = split_by_page(heading_queries(), recipe.held_out_page_fraction, recipe.seed)
    train = faq_queries("train") + sample_queries(train_headings, recipe.n_heading_pairs, recipe.seed) + handbook_queries("train")
    held_out = {
        "headings": held_out_headings,
        "faq": faq_queries("validation") + faq_queries("test"),
        "handbook": handbook_queries("test"),
    }
    for queries in held_out.values():
        check_disjoint(train, queries)
    return train, held_out


def evaluation_sets(held_out: dict[str, list[Record]]) -> dict[str, tuple[list[Record], list[Record]]]:
    """Return {name: (held-out queries, the documents searched)} for notebook 05's three held-out tasks.

    Heading queries search the sections of the held-out pages (a manual the model never trained on); FAQ questions
    search every FAQ answer (Python and SQLite); handbook questions search the whole SYNTHETIC handbook.
    """
    domain = load_domain_corpus()
    pages = {q["page"] for q in held_out["headings"]}
    return {
        "SQLite headings": (held_out["headings"], [d for d in domain if d["url"] in pages]),
        "FAQ questions": (held_out["faq"], [d for d in domain if d["source"] == "python-faq" or d["url"] == FAQ_PAGE]),
        "handbook (SYNTHETIC)": (held_out["handbook"], load_handbook(UNFILTERED)),
    }


def corpus_vectors(embedder: Any, documents: Sequence[Record], name: str) -> Any:
    """Embeddings of `documents` by `embedder`: rows of notebook 04's cached corpus embeddings when they exist, else
    computed once and cached under `name` (see `retrieval.cached_embeddings`)."""
    from .rag import DOMAIN_INDEX, HANDBOOK_INDEX
    from .retrieval import cached_embeddings, embedder_name_of, embeddings_path

    for corpus_name, corpus in ((DOMAIN_INDEX, load_domain_corpus()), (HANDBOOK_INDEX, load_handbook(UNFILTERED))):
        if texts_of(documents, "doc_id") == texts_of(corpus, "doc_id"):  # the whole corpus: its own cache entry
            return cached_embeddings(embedder, texts_of(corpus), corpus_name)
        row = {document["doc_id"]: i for i, document in enumerate(corpus)}
        if all(d["doc_id"] in row for d in documents) and embeddings_path(corpus_name, embedder_name_of(embedder), texts_of(corpus)).exists():
            return cached_embeddings(embedder, texts_of(corpus), corpus_name)[[row[d["doc_id"]] for d in documents]]
    return cached_embeddings(embedder, texts_of(documents), re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))


def default_documents() -> list[Record]:
    """Every document a training query may point to: the domain corpus and the SYNTHETIC handbook."""
    return load_domain_corpus() + load_handbook(UNFILTERED)


def fresh_embedder(recipe: EmbedderRecipe = EMBEDDER_RECIPE, device: str | None = None) -> Any:
    """Return a new copy of the base embedder to train (training changes it in place), reading `recipe.train_max_seq_length` tokens."""
    from .pretrained import load_embedder

    model = load_embedder(device=device)
    model.max_seq_length = recipe.train_max_seq_length
    return model


def finetune_embedder(recipe: EmbedderRecipe = EMBEDDER_RECIPE, device: str | None = None) -> tuple[Any, Any]:
    """Run notebook 05's recipe from the base model: pairs, mined negatives, training; return (model, history)."""
    train, _ = default_queries(recipe)
    pairs = training_pairs(train, default_documents())
    model = fresh_embedder(recipe, device)
    triplets = mine_negatives(model, pairs, corpus=texts_of(load_handbook(UNFILTERED)), recipe=recipe)
    history, _ = train_embedder(model, triplets, recipe)
    return model, history


def finetuned_embedder_path() -> Path:
    """Return the cache folder of notebook 05's fine-tuned embedder."""
    return artifact_path("models", FINETUNED_FOLDER)


def _write_embedder(model: Any, folder: Path) -> None:
    from .retrieval import embedder_name_of
    from .runtime import quiet_model_loading

    with quiet_model_loading():  # no "Writing model shards" progress bar
        model.save(str(folder))
    (folder / NAME_FILE).write_text(embedder_name_of(model), encoding="utf-8")


def save_finetuned_embedder(model: Any) -> Path:
    """Save a fine-tuned embedder (and its course name) as notebook 05's model, atomically, replacing any older one."""
    path = finetuned_embedder_path()
    with cache_lock(path.name), atomic_path(path) as tmp:
        _write_embedder(model, tmp)
    return path


def load_finetuned_embedder(device: str | None = None) -> Any:
    """Load notebook 05's fine-tuned embedder from the cache, with the name it was saved under."""
    from .pretrained import load_embedder

    path = finetuned_embedder_path()
    if not (path / NAME_FILE).exists():
        raise FileNotFoundError(f"No fine-tuned embedder in {path}; run notebooks/05_embedding_finetuning.ipynb or call ensure_finetuned_embedder().")
    model = load_embedder(str(path), device=device)
    model.course_name = (path / NAME_FILE).read_text(encoding="utf-8").strip()
    return model


def ensure_finetuned_embedder(recipe: EmbedderRecipe = EMBEDDER_RECIPE, device: str | None = None) -> Any:
    """Return notebook 05's fine-tuned embedder, training it with notebook 05's recipe first if it is not cached."""

    def build(folder: Path) -> None:
        """Train with the recipe and write the model into the temporary folder."""
        model, _ = finetune_embedder(recipe, device)
        _write_embedder(model, folder)

    ensure_artifact(finetuned_embedder_path(), build, made_by="notebook 05")
    return load_finetuned_embedder(device)


def in_batch_negatives_loss(query_vectors: Any, doc_vectors: Any, scale: float = 20.0) -> float:
    """MultipleNegativesRankingLoss by hand: cross-entropy of each query's scaled cosines over the batch's documents.

    Row i of `doc_vectors` is query i's positive; every other row is one of its negatives (rows past the number
    of queries are extra hard negatives).
    """
    import numpy as np

    queries, docs = np.asarray(query_vectors, dtype=np.float64), np.asarray(doc_vectors, dtype=np.float64)
    if queries.ndim != 2 or docs.ndim != 2 or len(docs) < len(queries) or queries.shape[1] != docs.shape[1]:
        raise ValueError(f"Need (n, d) query vectors and (m >= n, d) document vectors, got {queries.shape} and {docs.shape}.")
    queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    docs = docs / np.linalg.norm(docs, axis=1, keepdims=True)
    logits = scale * queries @ docs.T
    top = logits.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    return float(np.mean(log_z - logits[np.arange(len(queries)), np.arange(len(queries))]))


# --- Drift: how far training moved the embedder, and what an index it did not rebuild is worth ---------------

DRIFT_EPOCHS = (1, 3, 10)  # amounts of training the sweep measures (epochs of notebook 05's recipe)
DRIFT_FOLDER = "sweeps"


def mean_cosine(old_vectors: Any, new_vectors: Any) -> float:
    """Mean cosine between row i of `old_vectors` and row i of `new_vectors`: how far a new embedder moved the same documents."""
    import numpy as np

    old, new = np.asarray(old_vectors, dtype=np.float64), np.asarray(new_vectors, dtype=np.float64)
    if old.ndim != 2 or old.shape != new.shape or len(old) == 0:
        raise ValueError(f"Need two (n, d) matrices of the same shape, one row per document, got {old.shape} and {new.shape}.")
    norms = np.linalg.norm(old, axis=1) * np.linalg.norm(new, axis=1)
    if np.any(norms == 0):
        raise ValueError("A zero vector has no direction: every document needs a non-zero embedding.")
    return float(np.mean(np.sum(old * new, axis=1) / norms))


@dataclass
class Snapshot:
    """The weights after `epochs` epochs of training, the step they were taken at, and the training seconds until then."""

    epochs: int
    step: int
    seconds: float
    state: dict[str, Any]


def epoch_snapshots(epochs: Sequence[int], snapshots: list[Snapshot]) -> Any:
    """A trainer callback that appends a copy of the model's weights to `snapshots` at the end of each chosen epoch.

    With a constant learning rate after warm-up, the weights after epoch e of a long run are those a run of e epochs
    alone would give, so one run of `max(epochs)` epochs measures every amount of training.
    """
    from transformers import TrainerCallback

    wanted = set(epochs)
    if not wanted or min(wanted) < 1:
        raise ValueError(f"epochs must be whole numbers of epochs, at least 1, got {sorted(wanted)}.")

    class EpochSnapshots(TrainerCallback):
        """Copy the weights at the chosen epochs; the clock counts training steps only."""

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            """Start the training clock."""
            self.seconds, self.last = 0.0, time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            """Add the step's time to the training clock."""
            now = time.perf_counter()
            self.seconds, self.last = self.seconds + now - self.last, now

        def on_epoch_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            """Keep a CPU copy of the weights when this epoch is one of the chosen ones."""
            epoch = round(state.epoch)
            if epoch in wanted:
                weights = {name: tensor.detach().to("cpu", copy=True) for name, tensor in model.state_dict().items()}
                snapshots.append(Snapshot(epoch, state.global_step, self.seconds, weights))
            self.last = time.perf_counter()

    return EpochSnapshots()


def stale_and_fresh_hits(model: Any, queries: Sequence[Record], documents: Sequence[Record], old_vectors: Any, ks: Sequence[int] = (1, 5)) -> dict[str, Any]:
    """Score `model`'s queries against the OLD document vectors (stale) and against its own (fresh), per query.

    Returns {"mean_cosine": old-vs-new cosine of the documents, "stale@k" / "fresh@k": 0/1 per query for each k}.
    """
    from .retrieval import embed_texts

    new_vectors = embed_texts(model, texts_of(documents))
    point: dict[str, Any] = {"mean_cosine": mean_cosine(old_vectors, new_vectors)}
    for k in ks:
        point[f"stale@{k}"] = hits_at_k(model, queries, documents, old_vectors, k)
        point[f"fresh@{k}"] = hits_at_k(model, queries, documents, new_vectors, k)
    return point


def drift_sweep(epochs: Sequence[int] = DRIFT_EPOCHS, recipe: EmbedderRecipe = EMBEDDER_RECIPE) -> dict[str, Any]:
    """Train notebook 05's recipe for `max(epochs)` epochs; after each of `epochs`, score stale and fresh indexes.

    Measured on the held-out SQLite headings: for each amount of training, the mean cosine between a document's
    base-model and new-model vectors, and per-query hits@1 and @5 of the new model against the base model's
    vectors (stale) and its own (fresh); the base model's own hits come once. Returns a JSON-ready dict.
    """
    import dataclasses

    from .pretrained import load_embedder

    started = time.perf_counter()
    train, held_out = default_queries(recipe)
    queries, documents = evaluation_sets(held_out)["SQLite headings"]
    base = load_embedder()
    old_vectors = corpus_vectors(base, documents, "SQLite headings")
    model = fresh_embedder(recipe)
    triplets = mine_negatives(model, training_pairs(train, default_documents()), corpus=texts_of(load_handbook(UNFILTERED)), recipe=recipe)
    snapshots: list[Snapshot] = []
    long_recipe = dataclasses.replace(recipe, num_epochs=max(epochs))
    train_embedder(model, triplets, long_recipe, run_name="05_drift_sweep", callbacks=[epoch_snapshots(epochs, snapshots)])
    points = []
    for snapshot in snapshots:
        model.load_state_dict(snapshot.state)
        model.eval()
        model.max_seq_length = recipe.max_seq_length
        point = stale_and_fresh_hits(model, queries, documents, old_vectors)
        points.append({"epochs": snapshot.epochs, "steps": snapshot.step, "training_seconds": snapshot.seconds, **point})
    return {
        "made_by": "course_utils.embedder_finetuning.drift_sweep (notebook 05's recipe, one run, weights kept at each epoch)",
        "recipe": dataclasses.asdict(recipe),
        "epochs": sorted(set(epochs)),
        "seed": recipe.seed,
        "qids": [q["qid"] for q in queries],
        "base": {f"base@{k}": hits_at_k(base, queries, documents, old_vectors, k) for k in (1, 5)},
        "points": points,
        "seconds": time.perf_counter() - started,
    }


def drift_sweep_path(epochs: Sequence[int] = DRIFT_EPOCHS, recipe: EmbedderRecipe = EMBEDDER_RECIPE) -> Path:
    """Return the cache file of the drift sweep for these epochs and this recipe (a digest of both is in its name)."""
    import dataclasses
    import hashlib
    import json

    key = json.dumps({"epochs": sorted(set(epochs)), "recipe": dataclasses.asdict(recipe)}, sort_keys=True)
    return artifact_path(DRIFT_FOLDER, f"05_embedder_drift-{hashlib.sha256(key.encode()).hexdigest()[:12]}.json")


def ensure_drift_sweep(epochs: Sequence[int] = DRIFT_EPOCHS, recipe: EmbedderRecipe = EMBEDDER_RECIPE) -> dict[str, Any]:
    """Return the drift sweep from the cache, running `drift_sweep` first (minutes on 2 cores) if it is not there."""
    import json

    def build(tmp: Path) -> None:
        """Run the sweep and write it as JSON into the temporary file."""
        tmp.write_text(json.dumps(drift_sweep(epochs, recipe), indent=1), encoding="utf-8")

    path = ensure_artifact(drift_sweep_path(epochs, recipe), build, made_by="notebook 05's recipe (drift sweep)")
    return json.loads(path.read_text(encoding="utf-8"))
