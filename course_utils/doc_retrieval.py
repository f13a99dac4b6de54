"""Retrieval for questions whose answers sit inside real documentation: hit by answer containment, chunkings, re-ranking.

Notebook 04 uses it (chunking and retrieval measured on `doc_questions.jsonl` next to the FAQ questions, a re-ranking
second stage, abstention by retrieval score); `benchmarks/bench_doc_retrieval.py` measures every configuration.
A retrieved chunk is a hit when it comes from the question's page AND contains the answer (case, punctuation and
spacing ignored), which scores any chunking fairly: a window that holds the answer counts even if it does not start
where the section does. Second stages: `rerank_by_sentence` (question words gathered in one sentence, nothing to train)
and an EXPERIMENTAL cross-encoder fine-tuned from the shipped MiniLM (`ensure_reranker`, cached): its training did not
finish within the time budget on 2 shared cores, so no measurement backs it yet and nothing calls it by default.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .access import UNFILTERED
from .data import Record, load_doc_questions, load_domain_corpus, load_domain_qa
from .paths import artifact_path, atomic_path, cache_lock, ensure_artifact
from .rag import (
    DOMAIN_INDEX,
    Chunk,
    Page,
    pages_from_sections,
    section_chunks,
    window_chunks,
)
from .retrieval import (
    Hit,
    bm25_search,
    build_bm25_index,
    cached_embeddings,
    embed_texts,
    embedder_name_of,
    index_from_vectors,
    reciprocal_rank_fusion,
    search_vectors,
    token_window_spans,
)

ANSWER_PREFIX_CHARS = 100  # FAQ answers are whole sentences: a chunk must hold their opening, as chunks_holding_start asks
CANDIDATES = 20  # how many first-stage chunks the re-ranker sees
RERANKER_FOLDER = "doc-reranker-minilm"
RERANKER_CHUNKING = "sections split to 256"  # with FIRST_STAGE: the best first stage on doc VALIDATION hit@5 (benchmark)
FIRST_STAGE = "hybrid (RRF)"


# --- Hit by answer containment ------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower-case `text`, turn every run of non-alphanumeric characters into one space, strip the ends."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def contains_answer(text: str, answer: str, prefix_chars: int = ANSWER_PREFIX_CHARS) -> bool:
    """True if `text` holds `answer` (its whole words within the first `prefix_chars` normalised characters), ignoring case, punctuation and spacing."""
    words = normalise(answer).split()
    kept = [word for position, word in enumerate(words) if len(" ".join(words[: position + 1])) <= prefix_chars] or words[:1]
    wanted = " ".join(kept)
    if not wanted:
        raise ValueError(f"The answer {answer!r} has no letter or digit to look for.")
    return f" {wanted} " in f" {normalise(text)} "


def gold_doc_id(question: Record) -> str:
    """The section a question is about: `doc_id` (doc questions) or the first of `gold_doc_ids` (FAQ questions)."""
    if "doc_id" in question:
        return question["doc_id"]
    if question.get("gold_doc_ids"):
        return question["gold_doc_ids"][0]
    raise KeyError(f"Question {question.get('dq_id') or question.get('qa_id')!r} has neither doc_id nor gold_doc_ids.")


def question_page(question: Record, url_of: dict[str, str]) -> str:
    """The page (source file url) of a question's gold section; `url_of` maps section doc_id -> url."""
    doc_id = gold_doc_id(question)
    if doc_id not in url_of:
        raise KeyError(f"Gold section {doc_id!r} is not in the corpus: pass url_of built from the corpus the question is about.")
    return url_of[doc_id]


def is_hit(chunk: Chunk, page_id: str, answer: str) -> bool:
    """The containment rule: the chunk comes from the question's page and holds its answer."""
    return chunk.page_id == page_id and contains_answer(chunk.text, answer)


def hits_at_k(rankings: Sequence[Sequence[str]], chunks: Sequence[Chunk], questions: Sequence[Record], url_of: dict[str, str], k: int) -> list[int]:
    """1 per question whose top-k ranked chunk ids hold a hit, else 0 (a list, for `stats.mean_ci`)."""
    if len(rankings) != len(questions):
        raise ValueError(f"Need one ranking per question; got {len(rankings)} rankings for {len(questions)} questions.")
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}.")
    by_id = {chunk.chunk_id: chunk for chunk in chunks}
    return [
        int(any(is_hit(by_id[chunk_id], question_page(q, url_of), q["answer"]) for chunk_id in ranking[:k]))
        for ranking, q in zip(rankings, questions)
    ]


def answerable(questions: Sequence[Record], corpus: Sequence[Record]) -> list[Record]:
    """The questions whose gold section holds their answer: the only ones the containment rule can ever score as found."""
    text_of = {record["doc_id"]: record["text"] for record in corpus}
    return [q for q in questions if contains_answer(text_of[gold_doc_id(q)], q["answer"])]


# --- Chunkings ------------------------------------------------------------------------------------------------------


def heading_of(record: Record) -> str:
    """A section's heading: its page title, and its section name when that differs ("Title — Section")."""
    title, section = record.get("title", "").strip(), record.get("section", "").strip()
    return title if not section or section == title else f"{title} — {section}" if title else section


def split_to_window(record: Record, page: Page, tokenizer: Any, max_tokens: int, overlap: int = 32) -> list[Chunk]:
    """Cut one section into pieces that fit `max_tokens` together with its heading, which starts every piece."""
    heading = heading_of(record)
    heading_tokens = len(tokenizer(heading, add_special_tokens=False)["input_ids"]) + 1 if heading else 0
    budget = max_tokens - 2 - heading_tokens  # 2: the [CLS] and [SEP] tokens the embedder adds
    if budget <= overlap:
        raise ValueError(f"The heading {heading!r} leaves {budget} tokens of a {max_tokens}-token window: use a bigger window or a smaller overlap.")
    start, end = page.spans[record["doc_id"]]
    chunks = []
    for number, (piece_start, piece_end) in enumerate(token_window_spans(page.text[start:end], tokenizer, budget, overlap)):
        body = page.text[start + piece_start : start + piece_end]
        text = f"{heading}\n{body}" if heading else body
        chunks.append(Chunk(chunk_id=f"{record['doc_id']}#p{number}", page_id=page.page_id, start=start + piece_start, end=start + piece_end, text=text))
    return chunks


def window_sized_chunks(records: Sequence[Record], pages: Sequence[Page], tokenizer: Any, max_tokens: int, overlap: int = 32) -> list[Chunk]:
    """Every section split to the embedder's window (`split_to_window`), in corpus order."""
    page_of = {doc_id: page for page in pages for doc_id in page.spans}
    missing = [r["doc_id"] for r in records if r["doc_id"] not in page_of]
    if missing:
        raise KeyError(f"Sections not on any page: {missing[:5]}; build the pages from the same records.")
    return [chunk for record in records for chunk in split_to_window(record, page_of[record["doc_id"]], tokenizer, max_tokens, overlap)]


def domain_chunkings(embedder: Any, records: Sequence[Record] | None = None) -> dict[str, list[Chunk]]:
    """The three chunkings of the domain corpus compared in notebook 04: sections, 128-token windows, window-sized sections."""
    records = list(records) if records is not None else load_domain_corpus()
    pages = pages_from_sections(records)
    return {
        "sections": section_chunks(pages),
        "windows 128/32": window_chunks(pages, embedder.tokenizer, chunk_size=128, overlap=32),
        "sections split to 256": window_sized_chunks(records, pages, embedder.tokenizer, embedder.max_seq_length),
    }


def slug(name: str) -> str:
    """A file-name-safe form of a configuration name: "sections split to 256" -> "sections-split-to-256"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def chunk_vectors(embedder: Any, name: str, chunks: Sequence[Chunk]) -> np.ndarray:
    """The chunks' embeddings, computed once and cached (section chunks share notebook 04's domain-index cache file)."""
    cache_name = DOMAIN_INDEX if name == "sections" else f"domain-{slug(name)}"
    return cached_embeddings(embedder, [chunk.text for chunk in chunks], cache_name)


def prepare_chunk_embeddings() -> None:
    """Embed every chunking of the domain corpus into the cache (a `make setup` step)."""
    from .pretrained import load_embedder

    embedder = load_embedder()
    for name, chunks in domain_chunkings(embedder).items():
        chunk_vectors(embedder, name, chunks)


# --- Retrieval over chunks ------------------------------------------------------------------------------------------


@dataclass
class ChunkSearch:
    """One chunking with its dense (faiss) and BM25 indexes."""

    chunks: list[Chunk]
    vector_index: Any
    keyword_index: Any

    @classmethod
    def build(cls, embedder: Any, chunks: Sequence[Chunk], vectors: np.ndarray) -> ChunkSearch:
        """Index `chunks` both ways, from their already-computed vectors."""
        ids = [chunk.chunk_id for chunk in chunks]
        return cls(list(chunks), index_from_vectors(ids, vectors, embedder_name_of(embedder)), build_bm25_index(ids, [c.text for c in chunks]))

    def rankings(self, embedder: Any, questions: Sequence[str], k: int = CANDIDATES) -> dict[str, list[list[Hit]]]:
        """Top-k (chunk_id, score) per question by BM25, dense and hybrid (RRF score): retrieval measured, not served."""
        dense = search_vectors(self.vector_index, embed_texts(embedder, questions), k, allowed_ids=UNFILTERED)
        bm25 = [bm25_search(self.keyword_index, q, k, allowed_ids=UNFILTERED) for q in questions]
        hybrid = [reciprocal_rank_fusion([[c for c, _ in d], [c for c, _ in b]], top_n=k) for d, b in zip(dense, bm25)]
        return {"BM25": bm25, "dense": dense, "hybrid (RRF)": hybrid}


def ids_of(rankings: Sequence[Sequence[Hit]]) -> list[list[str]]:
    """The chunk ids of (chunk_id, score) rankings, in rank order."""
    return [[chunk_id for chunk_id, _ in ranking] for ranking in rankings]


# --- Re-ranking without training: question words gathered in one sentence ----------------------------------------


def content_words(text: str) -> set[str]:
    """The lower-case words of 2+ characters in `text`, English stop words (bm25s's list) removed."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return {word for word in re.findall(r"[a-z0-9_]{2,}", text.lower()) if word not in STOPWORDS_EN_PLUS}


def word_idf(chunks: Sequence[Chunk]) -> dict[str, float]:
    """log(N / document frequency) of every content word over the chunks: rare words weigh more."""
    frequency: dict[str, int] = {}
    for chunk in chunks:
        for word in content_words(chunk.text):
            frequency[word] = frequency.get(word, 0) + 1
    return {word: float(np.log(len(chunks) / count)) for word, count in frequency.items()}


def best_sentence_score(question: str, text: str, idf: dict[str, float]) -> float:
    """The largest idf-weighted count of question words that one sentence of `text` holds."""
    from .rag import split_sentences

    wanted = content_words(question)
    return max((sum(idf.get(word, 0.0) for word in wanted & content_words(sentence)) for sentence in split_sentences(text)), default=0.0)


def rerank_by_sentence(questions: Sequence[str], candidates: Sequence[Sequence[str]], chunks: Sequence[Chunk], idf: dict[str, float]) -> list[list[Hit]]:
    """Re-order candidates by `best_sentence_score` (ties keep the first-stage order): a re-ranker with nothing to train."""
    by_id = {chunk.chunk_id: chunk for chunk in chunks}
    return [
        sorted(((c, best_sentence_score(q, by_id[c].text, idf)) for c in ids), key=lambda hit: -hit[1])
        for q, ids in zip(questions, candidates)
    ]


# --- Re-ranking with a cross-encoder -------------------------------------------------------------------------------


def reranker_path(chunking: str = RERANKER_CHUNKING) -> Path:
    """The cache folder of the cross-encoder fine-tuned on candidates from `chunking`."""
    return artifact_path("models", f"{RERANKER_FOLDER}-{slug(chunking)}")


def training_pairs(
    questions: Sequence[Record], candidates: Sequence[Sequence[str]], chunks: Sequence[Chunk], url_of: dict[str, str], n_negatives: int = 7
) -> list[tuple[str, str, float]]:
    """(question, chunk text, 1.0/0.0) pairs: every hit among a question's candidates, and its top `n_negatives` non-hits."""
    by_id = {chunk.chunk_id: chunk for chunk in chunks}
    pairs = []
    for question, ranking in zip(questions, candidates):
        page = question_page(question, url_of)
        hits = [c for c in ranking if is_hit(by_id[c], page, question["answer"])]
        misses = [c for c in ranking if c not in hits][:n_negatives]
        pairs += [(question["question"], by_id[c].text, 1.0) for c in hits]
        pairs += [(question["question"], by_id[c].text, 0.0) for c in misses]
    return pairs


def train_reranker(pairs: Sequence[tuple[str, str, float]], epochs: int = 1, batch_size: int = 16, learning_rate: float = 1e-4, seed: int = 0) -> Any:
    """Fine-tune a cross-encoder from the shipped MiniLM on (question, passage, label) pairs with `CrossEncoderTrainer`."""
    from sentence_transformers.cross_encoder import (
        CrossEncoder,
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    from datasets import Dataset

    from .pretrained import MINILM, shipped_model_path
    from .runtime import quiet_model_loading

    if not pairs:
        raise ValueError("train_reranker needs (question, passage, label) pairs; build them with training_pairs.")
    with quiet_model_loading():
        model = CrossEncoder(str(shipped_model_path(MINILM)), num_labels=1, max_length=256, device="cpu")
    dataset = Dataset.from_dict({"query": [p[0] for p in pairs], "passage": [p[1] for p in pairs], "label": [p[2] for p in pairs]})
    args = CrossEncoderTrainingArguments(
        output_dir=str(artifact_path("runs", "doc-reranker")), num_train_epochs=epochs, per_device_train_batch_size=batch_size,
        learning_rate=learning_rate, warmup_steps=0.1, seed=seed, save_strategy="no", report_to=[], logging_steps=20, use_cpu=True, disable_tqdm=True,
    )
    positives = sum(p[2] for p in pairs)
    loss = BinaryCrossEntropyLoss(model, pos_weight=__import__("torch").tensor((len(pairs) - positives) / max(positives, 1)))
    CrossEncoderTrainer(model=model, args=args, train_dataset=dataset, loss=loss).train()
    return model


def reranker_training_data(embedder: Any, search: ChunkSearch, n_negatives: int = 3) -> list[tuple[str, str, float]]:
    """Training pairs from the TRAIN splits (doc questions + FAQ), hard negatives from BM25 and dense candidates."""
    corpus = load_domain_corpus()
    url_of = {r["doc_id"]: r["url"] for r in corpus}
    questions = answerable(load_doc_questions("train") + load_domain_qa("train"), corpus)
    ranked = search.rankings(embedder, [q["question"] for q in questions], k=CANDIDATES)
    dense, bm25 = ids_of(ranked["dense"]), ids_of(ranked["BM25"])
    mixed = [list(dict.fromkeys(c for pair in zip(d, b) for c in pair)) for d, b in zip(dense, bm25)]  # interleaved, deduplicated
    return training_pairs(questions, mixed, search.chunks, url_of, n_negatives)


def ensure_reranker(chunking: str = RERANKER_CHUNKING) -> Any:
    """Return the fine-tuned cross-encoder from the cache, training it first (a few minutes on 2 cores) if missing."""
    from sentence_transformers.cross_encoder import CrossEncoder

    from .pretrained import load_embedder
    from .runtime import quiet_model_loading

    def build(folder: Path) -> None:
        """Train on the train splits' pairs and save the model with a metadata file."""
        embedder = load_embedder()
        chunks = domain_chunkings(embedder)[chunking]
        search = ChunkSearch.build(embedder, chunks, chunk_vectors(embedder, chunking, chunks))
        pairs = reranker_training_data(embedder, search)
        started = time.perf_counter()
        model = train_reranker(pairs)
        model.save(str(folder))
        meta = {"base": "all-MiniLM-L6-v2", "chunking": chunking, "pairs": len(pairs), "positives": int(sum(p[2] for p in pairs)),
                "train_seconds": round(time.perf_counter() - started, 1), "data": "doc_questions train + domain_qa train"}
        (folder / "course_reranker.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")

    path = ensure_artifact(reranker_path(chunking), build, made_by="notebook 04 (doc_retrieval.ensure_reranker)")
    with quiet_model_loading():
        model = CrossEncoder(str(path), device="cpu")
    meta_digest = hashlib.sha256((path / "course_reranker.json").read_bytes()).hexdigest()[:12]
    model.course_name = f"{path.name}-{meta_digest}"  # keys cached scores: a retrained model never reads old ones
    return model


def reranker_metadata(chunking: str = RERANKER_CHUNKING) -> dict[str, Any]:
    """What the cached cross-encoder was trained on (written by `ensure_reranker`)."""
    meta = reranker_path(chunking) / "course_reranker.json"
    if not meta.exists():
        raise FileNotFoundError(f"No re-ranker in {reranker_path(chunking)}; call doc_retrieval.ensure_reranker({chunking!r}) first.")
    return json.loads(meta.read_text(encoding="utf-8"))


def cached_pair_scores(reranker: Any, pairs: Sequence[tuple[str, str]], name: str) -> np.ndarray:
    """The cross-encoder's score of every (question, passage) pair, computed once and then read from the cache."""
    reranker_name = getattr(reranker, "course_name", None)
    if not reranker_name:
        raise ValueError("This cross-encoder has no course_name: load it with doc_retrieval.ensure_reranker().")
    digest = hashlib.sha256(json.dumps([reranker_name, [list(pair) for pair in pairs]]).encode("utf-8")).hexdigest()[:16]
    path = artifact_path("reranker-scores", f"{name}-{digest}.npy")
    with cache_lock(path.name):
        if not path.exists():
            scores = reranker.predict(list(pairs), batch_size=32, show_progress_bar=False, convert_to_numpy=True)
            with atomic_path(path) as tmp, tmp.open("wb") as handle:
                np.save(handle, np.asarray(scores, dtype=np.float32))
    return np.load(path)


def rerank(
    reranker: Any, questions: Sequence[str], candidates: Sequence[Sequence[str]], chunks: Sequence[Chunk], cache_name: str | None = None
) -> list[list[Hit]]:
    """Re-order each question's candidate chunk ids by the cross-encoder's score of (question, chunk text), best first."""
    if len(questions) != len(candidates):
        raise ValueError(f"Need one candidate list per question; got {len(candidates)} for {len(questions)} questions.")
    by_id = {chunk.chunk_id: chunk for chunk in chunks}
    pairs = [(q, by_id[c].text) for q, ids in zip(questions, candidates) for c in ids]
    if not pairs:
        scores = np.array([])
    elif cache_name:
        scores = cached_pair_scores(reranker, pairs, cache_name)
    else:
        scores = reranker.predict(pairs, batch_size=32, show_progress_bar=False, convert_to_numpy=True)
    reranked, cursor = [], 0
    for ids in candidates:
        own = scores[cursor : cursor + len(ids)]
        cursor += len(ids)
        reranked.append(sorted(zip(ids, map(float, own)), key=lambda hit: -hit[1]))
    return reranked


def two_stage(
    embedder: Any, reranker: Any, search: ChunkSearch, questions: Sequence[Record], retriever: str = FIRST_STAGE, cache_name: str | None = None
) -> tuple[list[list[Hit]], list[list[Hit]]]:
    """(first-stage top-20, the same 20 re-ranked by the cross-encoder) for each question."""
    texts = [q["question"] for q in questions]
    first = search.rankings(embedder, texts, CANDIDATES)[retriever]
    return first, rerank(reranker, texts, ids_of(first), search.chunks, cache_name)


# --- Abstention by retrieval score ---------------------------------------------------------------------------------


def top_scores(rankings: Sequence[Sequence[Hit]]) -> list[float]:
    """The best score of each question's ranking (-inf for an empty ranking: nothing was found)."""
    return [ranking[0][1] if ranking else float("-inf") for ranking in rankings]


def choose_threshold(in_corpus_scores: Sequence[float], out_of_corpus_scores: Sequence[float]) -> float:
    """The top-score threshold (answer when score >= it) that gets the most validation questions right (ties: the lowest)."""
    if not in_corpus_scores or not out_of_corpus_scores:
        raise ValueError("choose_threshold needs top scores of both in-corpus and out-of-corpus questions.")
    values = sorted(set(in_corpus_scores) | set(out_of_corpus_scores))
    candidates = [values[0] - 1.0] + [(a + b) / 2 for a, b in itertools.pairwise(values)] + [values[-1] + 1.0]

    def correct(threshold: float) -> int:
        """How many questions the threshold gets right: in-corpus answered, out-of-corpus abstained."""
        return sum(s >= threshold for s in in_corpus_scores) + sum(s < threshold for s in out_of_corpus_scores)

    return max(candidates, key=lambda t: (correct(t), -t))


def abstains(scores: Sequence[float], threshold: float) -> list[int]:
    """1 where the top score is below the threshold (the system says it does not know), else 0."""
    return [int(score < threshold) for score in scores]
