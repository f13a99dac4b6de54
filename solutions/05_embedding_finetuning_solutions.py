# %% [markdown]
# # 05 · Fine-tuning embeddings — exercise solutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/solutions/05_embedding_finetuning_solutions.ipynb)
#
# Worked solutions to the exercises of `notebooks/05_embedding_finetuning.ipynb`. Try them yourself first. The exercises
# need no model: the checkers build their own small cases, and this notebook `assert`s every check, so CI proves each
# exercise is solvable.

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/solutions

# %% [markdown]
# **Exercise 1 (easy).** Normalise both sides the same way (lower case, white space squeezed), then keep the held-out
# queries whose normalised text is among the training texts, in held-out order.

# %%
from course_utils.exercises import check_leaked_queries


def leaked_queries(train: list[dict], held_out: list[dict]) -> list[str]:
    normalise = lambda text: " ".join(text.lower().split())
    seen = {normalise(q["query"]) for q in train}
    return [q["qid"] for q in held_out if normalise(q["query"]) in seen]


assert check_leaked_queries(leaked_queries)

# %% [markdown]
# **Exercise 2 (medium).** Normalise the rows, scale the cosine matrix, and take the mean over queries of
# log-sum-exp of the row minus the row's own positive (column i). Subtracting the row maximum keeps `exp` from overflowing.

# %%
import numpy as np

from course_utils.exercises import check_in_batch_loss


def in_batch_loss(query_vectors: np.ndarray, doc_vectors: np.ndarray, scale: float = 20.0) -> float:
    queries = query_vectors / np.linalg.norm(query_vectors, axis=1, keepdims=True)
    docs = doc_vectors / np.linalg.norm(doc_vectors, axis=1, keepdims=True)
    logits = scale * queries @ docs.T
    top = logits.max(axis=1)
    log_z = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
    n = len(queries)
    return float(np.mean(log_z - logits[np.arange(n), np.arange(n)]))


assert check_in_batch_loss(in_batch_loss)

# %% [markdown]
# **Exercise 3 (stretch).** Centre, take the SVD, project onto the first two right singular vectors.

# %%
from course_utils.exercises import check_project_2d


def project_2d(vectors: np.ndarray) -> np.ndarray:
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T


assert check_project_2d(project_2d)

# %% [markdown]
# **Exercise 4 (experiment).** Section 5's model comes from the cache (`ensure_finetuned_embedder()`, retrained with the
# recipe if missing); the experiment mines the same triplets and trains a fresh copy of the base model on them reading
# a quarter as many tokens of each text (which makes the run cheaper), everything else unchanged.
#
# *Prediction:* I expect hit@1 to go **down**: the model learns from a quarter of each text, so it should learn less of
# what sets one document apart from another. Whether that holds for the handbook, whose variants name their region or
# country in their opening words, is what the checker measures.

# %%
import dataclasses

from course_utils import data
from course_utils import embedder_finetuning as ef
from course_utils.exercises import check_embedder_experiment

model = ef.ensure_finetuned_embedder()
train_queries, held_out = ef.default_queries()
handbook_queries, handbook = ef.evaluation_sets(held_out)["handbook (SYNTHETIC)"]
pairs = ef.training_pairs(train_queries, ef.default_documents())
triplets = ef.mine_negatives(ef.fresh_embedder(), pairs, corpus=data.texts_of(handbook))

PREDICTION = "down"
my_recipe = dataclasses.replace(ef.EMBEDDER_RECIPE, train_max_seq_length=ef.EMBEDDER_RECIPE.train_max_seq_length // 4)
my_model = ef.fresh_embedder(my_recipe)
my_history, _ = ef.train_embedder(my_model, triplets, my_recipe, run_name="05_exercise")

assert check_embedder_experiment(PREDICTION, my_recipe, my_history, my_model, model, handbook_queries, handbook)
