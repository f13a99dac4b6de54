# %% [markdown]
# # 00 · Setup and map — exercise solutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/solutions/00_setup_and_map_solutions.ipynb)
#
# Worked solutions to the exercises of `notebooks/00_setup_and_map.ipynb`. Try them yourself first. This notebook loads
# only what the exercises need, through `course_utils`, and `assert`s every check so CI proves each exercise is solvable.

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/solutions

# %%
from course_utils.pretrained import load_chat_model, load_embedder
from course_utils.retrieval import embed_texts

embedder = load_embedder()
_, chat_tokenizer = load_chat_model()

# %% [markdown]
# **Exercise 1 (easy).** The guide's *When* line for each approach decides each scenario.

# %%
from course_utils.exercises import APPROACH_SCENARIOS, check_approach_choices

my_choices = {
    "A model for a language no available model has ever seen": "pretraining",
    "A model that knows the vocabulary of a very specialised legal domain, from unlabelled contracts": "cpt",
    "Answers in the company's tone and format, from a few thousand labelled examples": "ift",
    "Answers from internal documents that change every week, with citations": "rag",
    "Search keeps returning the wrong one of many near-identical regional policies": "embedding_finetuning",
    "A general task that needs no private data, wanted today": "prompting",
}
assert check_approach_choices(my_choices)

# %% [markdown]
# **Exercise 2 (medium).** Embeddings are unit length, so a dot product is the cosine similarity.

# %%
from course_utils.exercises import check_most_similar


def most_similar(query: str, candidates: list[str]) -> str:
    vectors = embed_texts(embedder, [query, *candidates])
    scores = vectors[1:] @ vectors[0]
    return candidates[int(scores.argmax())]


assert check_most_similar(most_similar, embedder)

# %% [markdown]
# **Exercise 3 (stretch).** Apply the chat template, with the generation prompt that opens the assistant's turn, and count.

# %%
from course_utils.exercises import check_prompt_token_count


def count_prompt_tokens(question: str) -> int:
    messages = [{"role": "user", "content": question}]
    encoded = chat_tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
    return len(encoded["input_ids"])


assert check_prompt_token_count(count_prompt_tokens, chat_tokenizer)
print(chat_tokenizer.apply_chat_template([{"role": "user", "content": "What is RAG?"}], add_generation_prompt=True, tokenize=False))
