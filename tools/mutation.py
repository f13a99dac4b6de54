"""Mutation testing by planted bugs: does the unit suite catch the bugs a reviewer would plant?

    python -m tools.mutation                      # every mutant; report on stdout
    python -m tools.mutation --only ndcg rrf      # mutants whose name contains one of these words
    python -m tools.mutation --write benchmarks/MUTATION.md --jobs 3
    make mutation                                 # the same, outside CI (20-30 minutes on 2 busy cores, 3 jobs)

Each mutant is one realistic bug (an off-by-one in k, sets instead of multisets, a changed default, a missing
re-check under a lock, no shuffle, a filter applied after ranking...) written as an exact snippet of a core module
and its replacement. The tool copies the working tree (tracked and untracked, not ignored files) to a temporary
folder (one copy per job), then for each mutant writes the mutated file, runs the unit tests that should catch it there
(`python -m pytest -x -q`), and restores the file. A mutant is *killed* if those tests fail, *survived* if they pass.
The repository itself is never modified. Before the mutants, each test selection runs once unmutated: tests that
already fail there (e.g. while someone edits a module) are deselected for its mutants and listed; a selection that
cannot run at all cannot judge its mutants (reported as "baseline fails", not counted).

A snippet that no longer occurs exactly once in its file is reported as "stale": the code changed, update the mutant.
Mutants that survive on purpose carry `accepted=` with the reason; they count as survivors in the score. The last
group of mutants was written after the tests were strengthened, without looking for a test first: an honest sample.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

TEST_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "COURSE_BLOCK_NETWORK": "1",
    "MPLBACKEND": "Agg",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONHASHSEED": "0",
}
TIMEOUT_S = 600  # per mutant: a mutant that makes a test loop forever counts as killed (the suite would hang)

EVALUATION = ("tests/unit/test_evaluation.py",)
RETRIEVAL = ("tests/unit/test_retrieval.py",)
RAG = ("tests/unit/test_rag.py", "-k", "not answer_prompts_keep")  # everything but the one test that loads the chat model
DATA = ("tests/unit/test_data.py",)
PATHS = ("tests/unit/test_paths.py",)
FINETUNING = ("tests/unit/test_finetuning.py", "-k", "not instruction_tuning_teaches")  # no training run per mutant
COSTS = ("tests/unit/test_costs.py",)
EXERCISES = ("tests/unit/test_exercises.py",)


@dataclass(frozen=True)
class Mutant:
    """One planted bug: in `file`, `original` (occurring exactly once) becomes `mutated`; `tests` should catch it."""

    name: str
    file: str
    original: str
    mutated: str
    tests: tuple[str, ...]
    accepted: str = ""  # why a survivor is acceptable (an equivalent mutant, or a claim no unit test can reach)


M = Mutant
MUTANTS: tuple[Mutant, ...] = (
    # --- evaluation ---------------------------------------------------------------------------
    M("ndcg ideal DCG over all gold, not the top k", "course_utils/evaluation.py",
      "range(1, min(len(gold), k) + 1)", "range(1, len(gold) + 1)", EVALUATION),
    M("ndcg gain counts ranks beyond k", "course_utils/evaluation.py",
      "enumerate(ranked_ids[:k], start=1) if doc_id in gold)", "enumerate(ranked_ids, start=1) if doc_id in gold)", EVALUATION),
    M("ndcg discount log2(rank + 2)", "course_utils/evaluation.py",
      "gain = sum(1.0 / math.log2(rank + 1)", "gain = sum(1.0 / math.log2(rank + 2)", EVALUATION),
    M("token_f1 overlap with sets, not multisets", "course_utils/evaluation.py",
      "overlap = sum((Counter(predicted) & Counter(expected)).values())", "overlap = len(set(predicted) & set(expected))", EVALUATION),
    M("token_f1 recall divides by the prediction length", "course_utils/evaluation.py",
      "overlap / len(predicted), overlap / len(expected)", "overlap / len(predicted), overlap / len(predicted)", EVALUATION),
    M("recall@k looks at k + 1 ids", "course_utils/evaluation.py",
      "len(set(ranked_ids[:k]) & set(gold_ids))", "len(set(ranked_ids[: k + 1]) & set(gold_ids))", EVALUATION),
    M("reciprocal rank off by one", "course_utils/evaluation.py",
      "            return 1.0 / rank\n", "            return 1.0 / (rank + 1)\n", EVALUATION),
    M("hit rate ignores k", "course_utils/evaluation.py",
      "sum(bool(set(ranking[:k]) & set(gold))", "sum(bool(set(ranking) & set(gold))", EVALUATION),
    M("normalisation keeps the article 'a'", "course_utils/evaluation.py",
      r'r"\b(a|an|the)\b"', r'r"\b(an|the)\b"', EVALUATION),
    M("contains_answer tests the wrong direction", "course_utils/evaluation.py",
      "float(normalize_answer(reference) in normalize_answer(prediction))",
      "float(normalize_answer(prediction) in normalize_answer(reference))", EVALUATION),
    M("number words only in lower case", "course_utils/evaluation.py",
      'r")\\b", re.IGNORECASE)', 'r")\\b")', EVALUATION),
    M("answer_matches converts only the prediction's number words", "course_utils/evaluation.py",
      "contains_answer(numbers_as_digits(prediction), numbers_as_digits(reference))",
      "contains_answer(numbers_as_digits(prediction), reference)", EVALUATION),
    M("mean_loss averages batch means", "course_utils/evaluation.py",
      "            total += loss.item() * n_predicted\n            count += n_predicted\n",
      "            total += loss.item()\n            count += 1\n", EVALUATION),
    M("mean metrics use nDCG@5 under the name nDCG@10", "course_utils/evaluation.py",
      'metrics["nDCG@10"] = sum(ndcg_at_k(r, g, 10)', 'metrics["nDCG@10"] = sum(ndcg_at_k(r, g, 5)', EVALUATION),
    M("the general task's other choice is the true continuation itself", "course_utils/evaluation.py",
      '"other": true[torch.randperm(continuation_tokens, generator=generator)]', '"other": true', EVALUATION),
    # --- retrieval ----------------------------------------------------------------------------
    M("RRF default k 6 instead of 60", "course_utils/retrieval.py",
      "k: int = 60, top_n: int | None = None", "k: int = 6, top_n: int | None = None", RETRIEVAL),
    M("RRF ranks start at 0", "course_utils/retrieval.py",
      "for rank, doc_id in enumerate(ranking, start=1):", "for rank, doc_id in enumerate(ranking, start=0):", RETRIEVAL),
    M("RRF ties keep insertion order", "course_utils/retrieval.py",
      "key=lambda item: (-item[1], item[0])", "key=lambda item: -item[1]", RETRIEVAL),
    M("RRF counts a document once only", "course_utils/retrieval.py",
      "scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)", "scores[doc_id] = max(scores.get(doc_id, 0.0), 1.0 / (k + rank))", RETRIEVAL),
    M("search_above stops after one page", "course_utils/retrieval.py",
      "or hits[-1][1] < min_score or k >= limit:", "or hits[-1][1] < min_score or k >= page_size:", RETRIEVAL),
    M("vector filter applied after ranking", "course_utils/retrieval.py",
      "scores, found = vector_index.index.search(query_vectors, min(k, len(vector_index)), params=params)\n"
      "    return [[(vector_index.doc_ids[p], float(s)) for s, p in zip(row_s, row_p) if p >= 0] for row_s, row_p in zip(scores, found)]",
      "scores, found = vector_index.index.search(query_vectors, min(k, len(vector_index)))\n"
      "    keep = set(vector_index.doc_ids) if allowed is None else set(allowed)\n"
      "    return [[(vector_index.doc_ids[p], float(s)) for s, p in zip(row_s, row_p) if p >= 0 and vector_index.doc_ids[p] in keep] for row_s, row_p in zip(scores, found)]",
      RETRIEVAL),
    M("faiss's -1 padding kept as a hit", "course_utils/retrieval.py",
      "for s, p in zip(row_s, row_p) if p >= 0]", "for s, p in zip(row_s, row_p)]", RETRIEVAL),
    M("BM25 filter dropped", "course_utils/retrieval.py",
      "n_threads=1, weight_mask=mask", "n_threads=1, weight_mask=None", RETRIEVAL),
    M("BM25 keeps documents sharing no word", "course_utils/retrieval.py",
      "for p, s in zip(found[0], scores[0]) if s > 0]", "for p, s in zip(found[0], scores[0]) if s >= 0]", RETRIEVAL),
    M("chunk windows do not overlap", "course_utils/retrieval.py",
      "    step = chunk_size - overlap\n    starts = range(0, max(len(ids) - overlap, 1), step)",
      "    step = chunk_size\n    starts = range(0, max(len(ids) - overlap, 1), step)", RETRIEVAL),
    M("token window one token too long", "course_utils/retrieval.py",
      "offsets[min(start + chunk_size, len(offsets)) - 1][1]", "offsets[min(start + chunk_size, len(offsets) - 1)][1]", RETRIEVAL),
    M("cached embeddings recomputed every time", "course_utils/retrieval.py",
      "        if not path.exists():\n            log(f\"embedding", "        if True:\n            log(f\"embedding", RETRIEVAL),
    M("embedding cache key ignores the embedder", "course_utils/retrieval.py",
      "json.dumps([embedder_name, list(texts)])", "json.dumps(list(texts))", RETRIEVAL),
    M("cosine similarity forgets the norms", "course_utils/retrieval.py",
      "return float(a @ b / norms)", "return float(a @ b)", RETRIEVAL),
    M("subset_index takes the first rows", "course_utils/retrieval.py",
      "vectors = vectors_of(vector_index)[[position[doc_id] for doc_id in doc_ids]]",
      "vectors = vectors_of(vector_index)[: len(doc_ids)]", RETRIEVAL),
    M("query embedder check disabled", "course_utils/retrieval.py",
      "    if embedder_name_of(embedder) != vector_index.embedder_name:\n        raise EmbedderMismatchError(",
      "    if False:\n        raise EmbedderMismatchError(", RETRIEVAL),
    # --- rag ----------------------------------------------------------------------------------
    M("page spans forget the separator", "course_utils/rag.py",
      "cursor += len(section[\"text\"]) + len(SECTION_SEPARATOR)", "cursor += len(section[\"text\"])", RAG),
    M("citations read as 0-based", "course_utils/rag.py",
      "position = int(number) - 1", "position = int(number)", RAG),
    M("citations not deduplicated", "course_utils/rag.py",
      "if 0 <= position < len(source_ids) and source_ids[position] not in cited:", "if 0 <= position < len(source_ids):", RAG),
    M("place_at inserts one slot late", "course_utils/rag.py",
      "[*distractors[: position - 1], gold, *distractors[position - 1 :]]", "[*distractors[:position], gold, *distractors[position:]]", RAG),
    M("chunk needs only the section's first character", "course_utils/rag.py",
      "c.start <= start and c.end >= needed_end", "c.start <= start and c.end > start", RAG),
    M("hybrid fuses dense with itself", "course_utils/rag.py",
      "reciprocal_rank_fusion([d, b], top_n=k)", "reciprocal_rank_fusion([d, d], top_n=k)", RAG),
    M("stale index never rebuilt", "course_utils/rag.py",
      'if cached.doc_ids == texts_of(records, "doc_id"):', "if cached.doc_ids:", RAG),
    M("best sentences worst first", "course_utils/rag.py",
      "scores.argsort()[::-1][:n]", "scores.argsort()[:n]", RAG),
    M("sentences split only at full stops", "course_utils/rag.py",
      r're.split(r"(?<=[.!?])\s+", text)', r're.split(r"(?<=[.])\s+", text)', RAG),
    M("RAG context puts the closest sentence first", "course_utils/rag.py",
      "best_sentences(embedder, question, [top], n=n_sentences)][::-1]", "best_sentences(embedder, question, [top], n=n_sentences)]", RAG),
    M("sibling ids include the document itself", "course_utils/rag.py",
      'if document["cluster"] == cluster and document["doc_id"] != doc_id]', 'if document["cluster"] == cluster]', RAG),
    # --- data ---------------------------------------------------------------------------------
    M("split without shuffle", "course_utils/data.py",
      "    random.Random(seed).shuffle(order)\n", "", DATA),
    M("split ignores its seed", "course_utils/data.py",
      "random.Random(seed).shuffle(order)", "random.Random(0).shuffle(order)", DATA),
    M("validation size truncated, not rounded", "course_utils/data.py",
      "max(1, round(len(records) * validation_fraction))", "max(1, int(len(records) * validation_fraction))", DATA),
    M("fields checked on the first record only", "course_utils/data.py",
      "missing = [name for name in required_fields if name not in record]",
      "missing = [name for name in required_fields if name not in record] if line_number == 1 else []", DATA),
    M("blank lines not skipped", "course_utils/data.py",
      "            if not line.strip():\n                continue\n", "", DATA),
    M("split filter accepts unknown splits", "course_utils/data.py",
      "    if split not in SPLITS:\n        raise ValueError", "    if False:\n        raise ValueError", DATA),
    M("task filter ignored", "course_utils/data.py",
      '    return [record for record in records if record["task"] == task]\n', "    return records\n", DATA),
    # --- paths --------------------------------------------------------------------------------
    M("write_text_atomic writes in place", "course_utils/paths.py",
      '    with atomic_path(path) as tmp:\n        tmp.write_text(text, encoding="utf-8")\n',
      '    Path(path).parent.mkdir(parents=True, exist_ok=True)\n    Path(path).write_text(text, encoding="utf-8")\n', PATHS),
    M("ensure_artifact without the re-check under the lock", "course_utils/paths.py",
      "        if path.exists():  # another process built it while we waited for the lock\n            return path\n", "", PATHS),
    M("ensure_artifact builds in place", "course_utils/paths.py",
      "        with atomic_path(path) as tmp:\n            build(tmp)", "        build(path)", PATHS),
    M("atomic_path leaves its temporary folder on failure", "course_utils/paths.py",
      "        shutil.rmtree(tmp_dir, ignore_errors=True)", "        pass", PATHS),
    M("atomic_path cannot replace a folder", "course_utils/paths.py",
      "        if final_path.is_dir():\n            shutil.rmtree(final_path)\n", "", PATHS),
    M("cache claims a foreign folder", "course_utils/paths.py",
      "    if folder.is_dir() and any(folder.iterdir()) and not course_owned:\n        return  # someone else's folder: used, never claimed\n",
      "", PATHS),
    M("artifact_path lets '..' escape", "course_utils/paths.py",
      'or ".." in Path(part).parts:', "or False:", PATHS),
    # --- finetuning ---------------------------------------------------------------------------
    M("prompt tokens not masked", "course_utils/finetuning.py",
      "labels = ([IGNORE_INDEX] * len(prompt) if mask_prompt else list(prompt)) + output_ids", "labels = list(prompt) + output_ids", FINETUNING),
    M("no end-of-text token after the answer", "course_utils/finetuning.py",
      'output_ids = tokenizer(record["output"])["input_ids"] + [tokenizer.eos_token_id]', 'output_ids = tokenizer(record["output"])["input_ids"]', FINETUNING),
    M("padded labels scored (pad id instead of -100)", "course_utils/finetuning.py",
      "label_pad_token_id=IGNORE_INDEX", "label_pad_token_id=tokenizer.pad_token_id", FINETUNING),
    M("over-long prompt kept", "course_utils/finetuning.py",
      "    return prompt if len(prompt) + reserved <= max_length else None", "    return prompt", FINETUNING),
    M("tokens seen count one epoch of a longer run", "course_utils/finetuning.py",
      "return full_epochs * sum(", "return 0 * sum(", FINETUNING),
    M("handbook answers scored by exact match", "course_utils/finetuning.py",
      '"handbook_answer": "contains"', '"handbook_answer": "exact"', FINETUNING),
    M("training state 8 bytes per parameter", "course_utils/finetuning.py",
      "return 12 * n_trainable", "return 8 * n_trainable", FINETUNING),
    M("handbook records keep multi-document questions", "course_utils/finetuning.py",
      '        if question["type"] == "single"\n', "", FINETUNING),
    # --- costs --------------------------------------------------------------------------------
    M("days not divided by the GPU count", "course_utils/costs.py",
      "days=gpu_seconds / cluster.n_gpus / SECONDS_PER_DAY", "days=gpu_seconds / SECONDS_PER_DAY", COSTS),
    M("utilisation ignored", "course_utils/costs.py",
      "flops / (cluster.peak_flops_per_gpu * cluster.utilisation)", "flops / cluster.peak_flops_per_gpu", COSTS),
    M("inference FLOPs use the training factor 6", "course_utils/costs.py",
      "return 2.0 * n_parameters * n_tokens", "return 6.0 * n_parameters * n_tokens", COSTS),
    M("zero tokens accepted for training", "course_utils/costs.py",
      "if n_parameters <= 0 or n_tokens <= 0:", "if n_parameters <= 0:", COSTS),
    M("IFT examples not capped by the training split", "course_utils/costs.py",
      'return min(IFT.num_steps * IFT.batch_size, len(load_instructions("train")))', "return IFT.num_steps * IFT.batch_size", COSTS),
    M("indexing FLOPs ignore the embedder's window", "course_utils/costs.py",
      "n_tokens = sum(min(len(ids), embedder.max_seq_length) for ids", "n_tokens = sum(len(ids) for ids", COSTS),
    # --- exercises (helpers that outlive the checkers' rewrite) ----------------------------------
    M("learner's floats compared exactly", "course_utils/exercises.py",
      "return math.isclose(answer, expected, rel_tol=rel, abs_tol=abs_)", "return answer == expected", EXERCISES,
      accepted="exercises.py and its tests are being rewritten elsewhere; test_exercises.py does not compare a float32 answer"),
    M("a float accepted where a whole number is asked", "course_utils/exercises.py",
      "if isinstance(value, bool) or not isinstance(value, int):", "if isinstance(value, bool) or not isinstance(value, (int, float)):", EXERCISES),
    M("a non-finite number accepted", "course_utils/exercises.py",
      "    if not math.isfinite(value):\n        raise _NotYet", "    if False:\n        raise _NotYet", EXERCISES),

    # --- written after the tests above were strengthened, without looking for a test first: an honest sample ---------
    M("exact match without normalisation", "course_utils/evaluation.py",
      "float(normalize_answer(prediction) == normalize_answer(reference))", "float(prediction.strip().lower() == reference.strip().lower())", EVALUATION),
    M("punctuation kept by the normalisation", "course_utils/evaluation.py",
      '    text = "".join(ch for ch in text if ch not in string.punctuation)\n', "", EVALUATION),
    M("recall divides by the gold list with duplicates", "course_utils/evaluation.py",
      "& set(gold_ids)) / len(set(gold_ids))", "& set(gold_ids)) / len(gold_ids)", EVALUATION),
    M("search_above keeps only scores strictly above the threshold", "course_utils/retrieval.py",
      "for doc_id, score in hits if score >= min_score]", "for doc_id, score in hits if score > min_score]", RETRIEVAL),
    M("IVF searches one cluster", "course_utils/retrieval.py",
      "index.nprobe = min(nprobe, nlist)", "index.nprobe = 1", RETRIEVAL),
    M("embeddings not normalised", "course_utils/retrieval.py",
      "normalize_embeddings=True", "normalize_embeddings=False", RETRIEVAL,
      accepted="equivalent for the course's embedders: all-MiniLM-L6-v2 (and its fine-tuned copies) end in a Normalize layer"),
    M("BM25 returns one result too few", "course_utils/retrieval.py",
      "    return hits[:k]\n", "    return hits[: k - 1]\n", RETRIEVAL),
    M("citations of two digits ignored", "course_utils/rag.py",
      r're.findall(r"\[(\d+)\]", text)', r're.findall(r"\[(\d)\]", text)', RAG),
    M("injection marker matched case-sensitively", "course_utils/rag.py",
      "return marker.lower() in answer.lower()", "return marker in answer", RAG),
    M("page sections kept in corpus order, not by id", "course_utils/rag.py",
      'for section in sorted(sections, key=lambda r: r["doc_id"]):', "for section in sections:", RAG,
      accepted="equivalent on the shipped corpus: in all 126 pages the doc ids already run in file order"),
    M("user turn shows an empty input line", "course_utils/finetuning.py",
      "f\"{record['instruction']}\\n{record['input']}\" if record.get(\"input\") else record[\"instruction\"]",
      "f\"{record['instruction']}\\n{record.get('input', '')}\"", FINETUNING),
    M("LoRA formula counts one side twice", "course_utils/finetuning.py",
      "total += r * (d_a + d_b)", "total += r * 2 * d_a", FINETUNING),
    M("achieved FLOP/s use the forward-pass factor", "course_utils/costs.py",
      "return training_flops(n_parameters, 1) * tokens_per_second", "return inference_flops(n_parameters, 1) * tokens_per_second", COSTS),
    M("absolute paths accepted in the cache", "course_utils/paths.py",
      "if Path(part).is_absolute() or", "if False or", PATHS),
    M("unknown domain source returns nothing", "course_utils/data.py",
      "    if not kept:\n        raise ValueError(f\"No domain documents", "    if False:\n        raise ValueError(f\"No domain documents", DATA),
)


@dataclass
class Outcome:
    """What happened to one mutant."""

    mutant: Mutant
    status: str  # killed, survived, stale, baseline fails
    seconds: float = 0.0


def repository_files(root: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files of the working tree (what a fresh clone plus local edits holds)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=root, capture_output=True, check=True)
    return sorted({name for name in listed.stdout.decode().split("\0") if name and (root / name).is_file()})


def copy_repository(root: Path, destination: Path) -> None:
    """Copy the working tree's files to `destination`; share the converted models of the cache (read only) to save minutes."""
    for name in repository_files(root):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    models = root / ".cache" / "models"
    if models.is_dir():
        (destination / ".cache").mkdir(exist_ok=True)
        (destination / ".cache" / "models").symlink_to(models)


def _pytest(copy: Path, arguments: Sequence[str]) -> subprocess.CompletedProcess | None:
    """Run pytest with `arguments` inside the copy (offline, importing the copy's packages); None on a time-out."""
    env = {**os.environ, **TEST_ENV, "PYTHONPATH": str(copy)}
    env.pop("COURSE_CACHE_DIR", None)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header", *arguments]
    try:
        return subprocess.run(command, check=False, cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None


def failing_tests(copy: Path, tests: Sequence[str]) -> list[str] | None:
    """Node ids of the tests in `tests` that fail without any mutant (to deselect); None if the selection cannot run at all."""
    result = _pytest(copy, [*tests, "-rfE"])
    if result is None or result.returncode not in (0, 1):
        return None
    prefixes = ("FAILED ", "ERROR ")
    failing = [line.split(" ", 1)[1].split(" - ")[0] for line in result.stdout.splitlines() if line.startswith(prefixes)]
    # without them the selection must pass, or every mutant would look killed
    return failing if not failing or run_tests(copy, tests, failing) else None


def run_tests(copy: Path, tests: Sequence[str], deselected: Sequence[str] = ()) -> bool:
    """Run pytest on `tests` inside the copy, stopping at the first failure; True if they pass."""
    result = _pytest(copy, ["-x", *tests, *(f"--deselect={node}" for node in deselected)])
    return result is not None and result.returncode == 0


def try_mutant(copy: Path, mutant: Mutant, deselected: Sequence[str] = ()) -> Outcome:
    """Plant one mutant in the copy, run its tests, restore the file."""
    path = copy / mutant.file
    source = path.read_text(encoding="utf-8")
    if source.count(mutant.original) != 1:
        return Outcome(mutant, "stale")
    started = time.perf_counter()
    path.write_text(source.replace(mutant.original, mutant.mutated), encoding="utf-8")
    try:
        passed = run_tests(copy, mutant.tests, deselected)
    finally:
        path.write_text(source, encoding="utf-8")
    return Outcome(mutant, "survived" if passed else "killed", time.perf_counter() - started)


def _in_parallel(copies: Sequence[Path], tasks: Sequence[Callable[[Path], T]]) -> list[T]:
    """Run each task with a copy of the repository to itself (one task per copy at a time); results in task order."""
    free: queue.Queue[Path] = queue.Queue()
    for copy in copies:
        free.put(copy)

    def with_a_copy(task: Callable[[Path], T]) -> T:
        """Borrow a free copy for one task."""
        copy = free.get()
        try:
            return task(copy)
        finally:
            free.put(copy)

    with ThreadPoolExecutor(max_workers=len(copies)) as pool:
        return list(pool.map(with_a_copy, tasks))


def run_mutants(root: Path, mutants: Sequence[Mutant], jobs: int = 1, log: bool = True) -> list[Outcome]:
    """Copy the repository (once per job), find the tests that fail unmutated, then try every mutant."""
    with tempfile.TemporaryDirectory(prefix="course-mutation-") as folder:
        copies = [Path(folder) / f"repo-{job}" for job in range(max(1, jobs))]
        for copy in copies:
            copy_repository(root, copy)
        selections = list(dict.fromkeys(m.tests for m in mutants))
        failing = dict(zip(selections, _in_parallel(copies, [partial(failing_tests, tests=tests) for tests in selections])))
        for tests, failed in failing.items():
            if log and failed is None:
                print(f"baseline cannot run, its mutants are not judged: {' '.join(tests)}", flush=True)
            elif log and failed:
                print(f"baseline: {len(failed)} test(s) fail unmutated and are deselected: {', '.join(failed)}", flush=True)

        def judge(mutant: Mutant, copy: Path) -> Outcome:
            """Try one mutant in `copy` (unless its selection cannot run) and log the outcome."""
            failed = failing[mutant.tests]
            outcome = Outcome(mutant, "baseline fails") if failed is None else try_mutant(copy, mutant, failed)
            if log:
                print(f"{outcome.status:<14} {outcome.seconds:5.0f} s  {mutant.file}: {mutant.name}", flush=True)
            return outcome

        return _in_parallel(copies, [partial(judge, mutant) for mutant in mutants])


def score(outcomes: Sequence[Outcome]) -> tuple[int, int]:
    """(killed, judged): stale and baseline-failing mutants are not judged."""
    judged = [o for o in outcomes if o.status in ("killed", "survived")]
    return sum(o.status == "killed" for o in judged), len(judged)


def report(outcomes: Sequence[Outcome]) -> str:
    """A Markdown report: the score, then every mutant that was not killed."""
    killed, judged = score(outcomes)
    percent = 100 * killed / judged if judged else 0.0
    lines = [
        "## Mutation score (`make mutation`)",
        "",
        f"{killed} of {judged} planted bugs killed by the unit tests ({percent:.0f}%); target: at least 90%.",
        "",
    ]
    others = [o for o in outcomes if o.status != "killed"]
    if others:
        lines += ["| mutant | module | status | why accepted |", "|---|---|---|---|"]
        lines += [f"| {o.mutant.name} | `{o.mutant.file}` | {o.status} | {o.mutant.accepted or '-'} |" for o in others]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mutants (all, or those named by --only), print the report, optionally write it; exit 1 below 90%."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=[], help="run only mutants whose name or file contains one of these words")
    parser.add_argument("--write", type=Path, help="also write the Markdown report to this file")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tried at once, each in its own copy (default 2)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or any(w.lower() in f"{m.name} {m.file}".lower() for w in args.only)]
    if args.list:
        print("\n".join(f"{m.file}: {m.name}" for m in chosen))
        return 0
    root = Path(__file__).resolve().parent.parent
    outcomes = run_mutants(root, chosen, jobs=args.jobs)
    text = report(outcomes)
    print("\n" + text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    killed, judged = score(outcomes)
    return 0 if judged and killed >= 0.9 * judged else 1


if __name__ == "__main__":
    sys.exit(main())
