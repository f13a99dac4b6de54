# %% [markdown]
# # 07 · Choosing and combining approaches — exercise solutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/solutions/07_choosing_and_combining_solutions.ipynb)
#
# Worked solutions to the exercises of `notebooks/07_choosing_and_combining.ipynb`. Try them yourself first. This notebook
# loads only what the exercises need through `course_utils` (the base embedder and notebook 04's handbook index, from the
# cache or rebuilt in seconds) and `assert`s every check, so CI proves each exercise is solvable.

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

embedder = load_embedder()
handbook_index = rag.ensure_handbook_index(embedder)

# %% [markdown]
# **Exercise 1 (easy).** `max` keeps the first of equal values, so turning "lower is better" into a negated key keeps the tie rule.

# %%
from course_utils.exercises import check_pick_best


def pick_best(table: dict[str, dict[str, float]], column: str, higher_is_better: bool = True) -> str:
    sign = 1 if higher_is_better else -1
    return max(table, key=lambda name: sign * table[name][column])


assert check_pick_best(pick_best)

# %% [markdown]
# **Exercise 2 (medium).** Sort by similarity, count the labels of the first k, and walk the nearest examples to break a tie.

# %%
from collections import Counter

from course_utils.exercises import check_knn_route


def knn_route(similarities: list[float], labels: list[str], k: int) -> str:
    nearest = sorted(range(len(labels)), key=lambda i: -similarities[i])[:k]
    votes = Counter(labels[i] for i in nearest)
    top = max(votes.values())
    return next(labels[i] for i in nearest if votes[labels[i]] == top)


assert check_knn_route(knn_route)

# %% [markdown]
# **Exercise 3 (stretch).** Read the stored vectors back, append the new document's vector (same embedder), and wrap them
# in a new index that records the same embedder name. The original index is never written to.

# %%
import numpy as np

from course_utils.exercises import check_add_document
from course_utils.retrieval import embed_texts, index_from_vectors


def add_document(vector_index, embedder, doc_id: str, text: str):
    stored = vector_index.index.reconstruct_n(0, len(vector_index))
    vectors = np.vstack([stored, embed_texts(embedder, [text])])
    return index_from_vectors([*vector_index.doc_ids, doc_id], vectors, vector_index.embedder_name)


assert check_add_document(add_document, handbook_index, embedder)

# %% [markdown]
# **Exercise 4 (experiment).** Notebook 07's "RAG + tuned embedder" approach, rebuilt from the cache (SmolLM2 with notebook
# 06's prompt, the fine-tuned embedder and its handbook index), answers the first 30 held-out questions twice: as built,
# and with four sentences of context instead of two.
#
# *Prediction:* I expect the accuracy to go **up**: when the answer sits in the top document but not in its two sentences
# closest to the question, two more sentences give the model a second chance to copy it out.

# %%
import dataclasses

from course_utils import answering, assistant, data
from course_utils import prompt_eval as pe
from course_utils.embedder_finetuning import ensure_finetuned_embedder
from course_utils.exercises import check_rag_experiment
from course_utils.pretrained import load_chat_model

all_questions = assistant.evaluation_questions()
questions = all_questions[:30]
chat_model, chat_tokenizer = load_chat_model()
reply_budget = answering.reply_token_budget(chat_tokenizer, [q["answer"] for q in all_questions])  # section 5's reply length
tuned_embedder = ensure_finetuned_embedder()
prompt_fn = assistant.variant_prompt_fn(pe.handbook_answer_task(), pe.recorded_best_variant(pe.COMPARED_MODELS[0]), chat_tokenizer)
tuned_rag = rag.Retriever(tuned_embedder, rag.ensure_handbook_index(tuned_embedder), data.load_handbook(data.UNFILTERED))
rag_tuned = assistant.Approach("RAG + tuned embedder", chat_model, chat_tokenizer, prompt_fn, tuned_rag)
baseline_run = assistant.answer_questions(rag_tuned, questions, max_new_tokens=reply_budget)

PREDICTION = "up"
my_approach = dataclasses.replace(rag_tuned, name="RAG + tuned embedder, 4 sentences", retriever=dataclasses.replace(tuned_rag, n_sentences=4))
my_run = assistant.answer_questions(my_approach, questions, max_new_tokens=reply_budget)

assert check_rag_experiment(PREDICTION, my_run, baseline_run)
