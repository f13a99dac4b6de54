# %% [markdown]
# # 04 · RAG — exercise solutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/solutions/04_rag_solutions.ipynb)
#
# Worked solutions to the exercises of `notebooks/04_rag.ipynb`. Try them yourself first. This notebook loads only what
# the exercises need through `course_utils` (the handbook index comes from the cache, or is rebuilt as notebook 04 builds
# it) and `assert`s every check, so CI proves each exercise is solvable.

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/solutions

# %%
from course_utils import rag
from course_utils.pretrained import load_embedder
from course_utils.retrieval import UNFILTERED, search

embedder = load_embedder()
handbook_index = rag.ensure_handbook_index(embedder)

# %% [markdown]
# **Exercise 1 (easy).** A document is visible to everyone, or to the one role its `visibility` names.

# %%
from course_utils.exercises import check_visible_ids


def visible_ids(documents: list[dict], role: str) -> list[str]:
    return [document["doc_id"] for document in documents if document["visibility"] in ("all", role)]


assert check_visible_ids(visible_ids)

# %% [markdown]
# **Exercise 2 (medium).** Accumulate 1 / (k + rank) per document over the rankings, then sort by score.

# %%
from course_utils.exercises import check_rrf


def fuse(rankings: list[list[str]], k: int = 60) -> list[str]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda doc_id: -scores[doc_id])


assert check_rrf(fuse)

# %% [markdown]
# **Exercise 3 (stretch).** Grow the page while its last result still clears the threshold (or the index is exhausted),
# then keep the results that clear it.

# %%
from course_utils.exercises import check_search_all_above


def search_all_above(query: str, min_score: float, page_size: int = 10) -> list[str]:
    k = page_size
    while True:
        hits = search(handbook_index, embedder, query, k, allowed_ids=UNFILTERED)
        if hits[-1][1] < min_score or k >= len(handbook_index):
            return [doc_id for doc_id, score in hits if score >= min_score]
        k += page_size


assert check_search_all_above(search_all_above, handbook_index, embedder)

# %% [markdown]
# **Exercise 4 (experiment).** Section 3's 128-token windows come from the embeddings cache (computed again if missing);
# the experiment cuts the same FAQ pages into 64-token windows overlapping by 16.
#
# *Prediction:* I expect hit@1 to go **up**: a shorter window holds less of the neighbouring answers, so its vector is
# closer to the one answer it opens, and the question's answer should come first more often.

# %%
from course_utils import data
from course_utils.exercises import check_chunking_experiment
from course_utils.retrieval import cached_embeddings, embed_texts

faq_pages = rag.pages_from_sections([r for r in data.load_domain_corpus() if r["url"].startswith("faq")])
held_out_qa = data.load_domain_qa("validation") + data.load_domain_qa("test")
windows = rag.window_chunks(faq_pages, embedder.tokenizer, chunk_size=128, overlap=32)
window_vectors = cached_embeddings(embedder, [c.text for c in windows], "faq-windows-128-32")

PREDICTION = "up"
my_windows = rag.window_chunks(faq_pages, embedder.tokenizer, chunk_size=64, overlap=16)
my_vectors = embed_texts(embedder, [c.text for c in my_windows])

assert check_chunking_experiment(PREDICTION, my_windows, my_vectors, windows, window_vectors, embedder, faq_pages, held_out_qa)
