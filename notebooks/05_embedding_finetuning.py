# %% [markdown]
# # 05 · Fine-tuning embeddings: pulling near-identical documents apart
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/notebooks/05_embedding_finetuning.ipynb)
#
# Notebook 04 ended on a limit of RAG: a general embedder places documents that share most of their words (the same
# policy for five countries, the sections of one manual written in one style) almost on top of each other, so the right
# one wins by a hair or loses. The guide's remedy is to fine-tune the embedding model on labelled (query, document)
# pairs so that the vectors of different documents move apart. This notebook does that with `sentence-transformers` on
# pairs built from the course's data, and measures what the guide claims and warns: the gain on queries never seen in
# training, against the base model and against keyword search; what the labelled pairs and CPU seconds buy; the picture
# of variants pulled apart; the index that must be rebuilt when the model changes; and what the gain is worth at the end
# of notebook 04's RAG pipeline.
#
# **Objectives**: after this notebook you can:
# - build (query, document) training pairs from your own data, keep a held-out query set out of training, and prove it;
# - mine hard negatives with `sentence_transformers.util.mine_hard_negatives` and fine-tune with
#   `SentenceTransformerTrainer` and `MultipleNegativesRankingLoss`;
# - evaluate retrievers with `InformationRetrievalEvaluator` (recall@1, recall@5, MRR@10, nDCG@10) against the base model
#   and BM25, and read a learning curve (recall against labelled pairs and training seconds);
# - explain, and measure, why an index must be re-embedded when its embedder changes.
#
# **Prerequisites:** notebook 04's handbook index and cached embeddings (rebuilt with notebook 04's code if missing: the
# first run then embeds the documentation once) and notebook 00's converted chat model (converted here once if you
# skipped it).
#
# **Expected runtime:** the README's [measured runtime table](../README.md#measured-runtime) gives this notebook's wall
# time and peak memory on a 2-core CPU. No GPU time has been measured.
# Saves the fine-tuned embedder and its handbook index for notebook 07.

# %%
# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    # !test -d /content/course || git clone --depth 1 https://github.com/pretraining-to-prompting/course.git /content/course
    # !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    # %cd /content/course/notebooks

# %%
from course_utils.runtime import banner, seed_everything
from course_utils.results import NotebookResults

print(banner())
seed_everything(0)
results = NotebookResults("05_embedding_finetuning")

# %% [markdown]
# ## 1. The problem, measured: variants the base embedder cannot tell apart
# The SYNTHETIC handbook has clusters of near-identical documents: one vacation policy per country, one VPN guide per
# operating system. With notebook 04's handbook index (built by the base all-MiniLM-L6-v2) we measure, on held-out
# questions about clustered documents, how often the top result is a *sibling* variant instead of the right one, and
# how close the variants sit (mean cosine between documents of the same cluster; 1 would be identical vectors).

# %%
from course_utils import data, rag
from course_utils.evaluation import answer_matches
from course_utils import embedder_finetuning as ef
from course_utils.pretrained import load_embedder

base = load_embedder()
handbook = data.load_handbook(data.UNFILTERED)  # every document: embeddings are measured here, no user is served
clusters = [d["cluster"] for d in handbook]
base_handbook_index = rag.ensure_handbook_index(base)  # notebook 04's index, from the cache
base_handbook_vectors = ef.corpus_vectors(base, handbook, rag.HANDBOOK_INDEX)
train_queries, held_out = ef.default_queries()
results.report("base_sibling_top1_rate", ef.sibling_confusion(base_handbook_index, base, handbook, held_out["handbook"]),
               "base model: top-1 is a sibling variant (held-out handbook questions about clustered documents)")
results.report("base_sibling_cosine", ef.within_cluster_cosine(base_handbook_vectors, clusters), "base model: mean cosine between variants of one cluster")

# %% [markdown]
# The right variant usually still wins, so the handbook alone leaves a fine-tuned model little to gain at recall@5. A fair
# test of fine-tuning needs a task where the base model is genuinely weak, with real queries and documents in one uniform
# language. The SQLite documentation is such a corpus: each page is split into sections, and each section has a heading
# written by the documentation's authors. We use "page title: heading" as the query and the section as its answer (for
# a long section split into parts, every part counts). We hold out *whole pages*: their headings are never training
# queries, and their sections are what the held-out queries search, like a manual added after the model was trained. The
# real FAQ questions and the handbook questions keep their own held-out splits.
#
# ## 2. Before training: the base model against BM25 on held-out queries
# `InformationRetrievalEvaluator` from `sentence-transformers` embeds the queries and scores them against the documents'
# vectors (here read from notebook 04's cache). BM25 runs on the same queries and documents.

# %%
import pandas as pd

eval_sets = ef.evaluation_sets(held_out)
evaluators = {name: ef.ir_evaluator(queries, documents, name=name.split()[0].lower()) for name, (queries, documents) in eval_sets.items()}
scores = {}
for name, (queries, documents) in eval_sets.items():
    scores[(name, "BM25")] = ef.bm25_scores(queries, documents)
    scores[(name, "base")] = ef.retrieval_scores(evaluators[name], base, ef.corpus_vectors(base, documents, name))
for name, (queries, documents) in eval_sets.items():
    print(f"{name:<22} {len(queries):4} held-out queries over {len(documents):5,} documents")
pd.DataFrame(scores).T.round(3)

# %%
for name, key in zip(eval_sets, ("headings", "faq", "handbook")):
    results.report(f"{key}_base_recall_at_5", scores[(name, "base")]["recall@5"], f"{name}, base model: recall@5")
    results.report(f"{key}_bm25_recall_at_5", scores[(name, "BM25")]["recall@5"], f"{name}, BM25: recall@5")

# %% [markdown]
# On the headings the base model is weak, about as good as keyword matching: headings use the documentation's own terms
# ("WAL-Index Format", "Boundary value error in the secondary journals"), which a general embedder has rarely seen, and
# every section of the manual is written in the same register. That is the task fine-tuning must improve; the FAQ and the
# handbook check that it does not break what already worked.
#
# ## 3. Training pairs from the data, and proof that no held-out query is among them
# Three sources, each labelled by where it comes from: real FAQ questions from the train split with the section that
# answers them; headings of the training pages with their sections (a sample, to fit a CPU budget); and the handbook's
# SYNTHETIC training questions with their documents. No pair was written by a language model. `check_disjoint` raises an
# error if any held-out query (same id, or the same text up to case and spacing) is a training query.

# %%
from collections import Counter

documents = ef.default_documents()
pairs = ef.training_pairs(train_queries, documents)
print("training queries by source:", dict(Counter(q["source"] for q in train_queries)), f"-> {len(pairs)} (query, document) pairs")
for source in ("faq", "heading", "handbook (SYNTHETIC)"):
    example = next(q for q in train_queries if q["source"] == source)
    print(f"  {source:<21} {example['query']!r} -> {example['gold_doc_ids'][0]}")
checked = sum(ef.check_disjoint(train_queries, queries) for queries in held_out.values())
results.report("held_out_queries_checked", checked, "held-out queries checked: none is a training query")
results.report("training_pairs", len(pairs), "labelled (query, document) training pairs")

# %% [markdown]
# ## 4. Hard negatives
# `MultipleNegativesRankingLoss` treats every other document in a batch as a negative for each query. Random documents
# are easy to tell apart; what the model must learn is the *near miss*. `mine_hard_negatives` embeds the queries and the
# candidate documents with the base model and adds, for each pair, the highest-ranked document that is not the answer.
# For a question about one variant of a handbook policy, that is most often a sibling variant.

# %%
import time

model = ef.fresh_embedder()  # a second copy of the base model: training changes it in place
started = time.perf_counter()
triplets = ef.mine_negatives(model, pairs, corpus=data.texts_of(handbook))
results.report("mining_seconds", time.perf_counter() - started, "time to mine one hard negative per pair", unit="s")
cluster_of = {d["text"]: d["cluster"] for d in handbook if rag.sibling_ids(handbook, d["doc_id"])}  # clustered documents only
clustered_rows = [row for row in triplets if row["positive"] in cluster_of]
results.report("sibling_negative_share", sum(cluster_of.get(r["negative"]) == cluster_of[r["positive"]] for r in clustered_rows) / len(clustered_rows),
               f"pairs about a clustered handbook document whose mined negative is a sibling variant (of {len(clustered_rows)})")
row = next(r for r in clustered_rows if cluster_of.get(r["negative"]) == cluster_of[r["positive"]])
print(f"query:    {row['anchor']}\npositive: {row['positive'][:110]}...\nnegative: {row['negative'][:110]}...")

# %% [markdown]
# ## 5. Fine-tuning with `SentenceTransformerTrainer`
# One pass over the triplets, batches of 32 (no text twice in a batch, or it would be its own negative), a constant
# learning rate after a short warm-up, fp32 on the CPU. To fit a CPU budget the model reads only the start of each text
# while training (`train_max_seq_length` tokens), and embeds `max_seq_length` tokens per document afterwards. The trainer
# runs the headings evaluator after a few steps and at the end: with one pass and a constant learning rate, the model
# after n pairs is what training on those n pairs alone would give, so this one run also draws the learning curve of
# section 8.

# %%
recipe = ef.EMBEDDER_RECIPE
print(recipe)
history, curve = ef.train_embedder(model, triplets, recipe, evaluator=evaluators["SQLite headings"], eval_steps=(4, 8))
results.report("training_seconds", curve[-1].seconds, f"training time, {len(triplets)} triplets, {history.steps[-1]} steps", unit="s")
results.report("loss_first_step", history.train_loss[0], "MNRL loss at the first step (nats)")
results.report("loss_last_step", history.train_loss[-1], "MNRL loss at the last step (nats)")
print("the fine-tuned model's name, recorded by every index it builds:", model.course_name)

# %% [markdown]
# ## 6. After training: the same held-out queries, three retrievers
# The trainer's last evaluation already scored the fine-tuned model on the headings; for the FAQ and the handbook the
# model re-embeds the documents (cached under its own name), and the same evaluators score it.

# %%
from course_utils.plots import plot_grouped_bars

scores[("SQLite headings", "fine-tuned")] = curve[-1].scores  # the trainer's evaluation after the last step
for name in ("FAQ questions", "handbook (SYNTHETIC)"):
    scores[(name, "fine-tuned")] = ef.retrieval_scores(evaluators[name], model, ef.corpus_vectors(model, eval_sets[name][1], name))
for name, key in zip(eval_sets, ("headings", "faq", "handbook")):
    results.report(f"{key}_finetuned_recall_at_5", scores[(name, "fine-tuned")]["recall@5"], f"{name}, fine-tuned: recall@5")
    results.report(f"{key}_finetuned_recall_at_1", scores[(name, "fine-tuned")]["recall@1"], f"{name}, fine-tuned: recall@1")
results.report("headings_gain_recall_at_5", scores[("SQLite headings", "fine-tuned")]["recall@5"] - scores[("SQLite headings", "base")]["recall@5"],
               "SQLite headings: recall@5 gained over the base model")
short = {"SQLite headings": "headings", "handbook (SYNTHETIC)": "handbook"}
groups = {f"{short[name]}\n{metric}": {retriever: scores[(name, retriever)][metric] for retriever in ("BM25", "base", "fine-tuned")}
          for name in short for metric in ("recall@1", "recall@5", "MRR@10")}
headline = {retriever: scores[("SQLite headings", retriever)]["recall@5"] for retriever in ("BM25", "base", "fine-tuned")}
plot_grouped_bars(groups, title=f"Held-out headings, recall@5: base {headline['base']:.2f}, BM25 {headline['BM25']:.2f}, fine-tuned {headline['fine-tuned']:.2f}",
                  ylabel="score (1 = perfect)");

# %%
pd.DataFrame(scores).T.sort_index().round(3)

# %% [markdown]
# Gains and losses, query by query: each held-out query is a hit or a miss for the base and for the fine-tuned model, so
# the comparison is paired, with a bootstrap 95% interval and a computed verdict (`course_utils.stats`).

# %%
from course_utils import stats

finetuning_claims = {}
for name, key, k, expected in (("SQLite headings", "headings_r5", 5, "higher"), ("FAQ questions", "faq_r1", 1, "lower"), ("handbook (SYNTHETIC)", "handbook_r1", 1, "higher")):
    queries, documents = eval_sets[name]
    hits = {label: ef.hits_at_k(embedder, queries, documents, ef.corpus_vectors(embedder, documents, name), k) for label, embedder in (("fine-tuned", model), ("base", base))}
    verb = "raises" if expected == "higher" else "lowers"
    finetuning_claims[key] = results.claim(f"finetuning_{key}", stats.paired_difference(hits["fine-tuned"], hits["base"], "fine-tuned", "base"),
                                           f"Fine-tuning {verb} {name} recall@{k}", expected=expected)

# %% [markdown]
# Read the three verdicts together. The headings are the task the model trained for, on pages it never saw: a gain there
# is the documentation's vocabulary and the shape of a heading-to-section match, not a list of answers. The FAQ is a
# task the base model already did well: fine-tuning is claimed to *cost* something there, and its verdict says whether
# this run shows that price. The handbook shows one short pass over the *start* of each document at work: the right
# variant can win more often at the top, while a question whose answer sits late in a document can drop out.
#
# ## 7. The picture: variants pulled apart
# A plain 2-D projection of the handbook shows mostly what separates *clusters* (vacation from VPN), which was never the
# problem. To see the variants, we first subtract from each clustered document its cluster's mean vector, so that only
# the differences between variants of one policy remain, then project onto the first two principal components (PCA),
# fitted once on both models' vectors so that both panels share the same axes. Each colour is one cluster; each label is
# a variant.

# %%
import numpy as np
from course_utils.plots import plot_projections

finetuned_handbook_vectors = ef.corpus_vectors(model, handbook, rag.HANDBOOK_INDEX)
in_cluster = [i for i, d in enumerate(handbook) if rag.sibling_ids(handbook, d["doc_id"])]
labels = [clusters[i] for i in in_cluster]
centred = [ef.centre_by_cluster(vectors[in_cluster], labels) for vectors in (base_handbook_vectors, finetuned_handbook_vectors)]
points = ef.project_2d(np.vstack(centred))  # one PCA for both models: same axes, same scale
panels = {"base all-MiniLM-L6-v2": points[: len(in_cluster)], "fine-tuned": points[len(in_cluster) :]}
results.report("finetuned_sibling_cosine", ef.within_cluster_cosine(finetuned_handbook_vectors, clusters), "fine-tuned: mean cosine between variants of one cluster")
finetuned_handbook_index = rag.build_corpus_index(model, handbook, rag.HANDBOOK_INDEX)
results.report("finetuned_sibling_top1_rate", ef.sibling_confusion(finetuned_handbook_index, model, handbook, held_out["handbook"]),
               "fine-tuned: top-1 is a sibling variant (same held-out questions)")
cosines = [ef.within_cluster_cosine(v, clusters) for v in (base_handbook_vectors, finetuned_handbook_vectors)]
plot_projections(panels, labels, annotations=[handbook[i]["variant"] for i in in_cluster],
                 title=f"Variants of one policy move apart: mean cosine within a cluster {cosines[0]:.2f} -> {cosines[1]:.2f}");

# %% [markdown]
# With the base model the variants of each policy sit close to their cluster's centre; after fine-tuning they spread
# out: the word that tells them apart (the country, the operating system) now moves the vector. That is the
# guide's "vectors of different documents move further apart", seen and measured.
#
# ## 8. Cost against gain: how many labelled pairs?
# The learning curve recorded during training: recall@5 on the held-out headings after n labelled pairs, and the
# training seconds it took to get there (evaluation time excluded). Labelling is the real cost: each point is pairs
# someone had to write or collect.

# %%
from course_utils.plots import plot_lines

base_r5, bm25_r5 = scores[("SQLite headings", "base")]["recall@5"], scores[("SQLite headings", "BM25")]["recall@5"]
points = [(0, 0.0, base_r5)] + [(p.pairs, p.seconds, p.scores["recall@5"]) for p in curve]
print(pd.DataFrame(points, columns=["labelled pairs", "training seconds", "recall@5"]).round(3).to_string(index=False))
half = next(n for n, _, r5 in points if r5 - base_r5 >= (points[-1][2] - base_r5) / 2)
results.report("pairs_for_half_the_gain", half, "labelled pairs that bought half of the final recall@5 gain (of the points measured)")
n_max = points[-1][0]
plot_lines({"fine-tuned": ([p[0] for p in points], [p[2] for p in points]), "base model": ([0, n_max], [base_r5] * 2), "BM25": ([0, n_max], [bm25_r5] * 2)},
           title=f"Half of the gain came from the first {half} labelled pairs", xlabel="labelled training pairs", ylabel="recall@5, held-out headings");

# %% [markdown]
# The title says how many of the pairs bought half of this run's gain. Each point is one measurement on the held-out
# headings, with its own sampling error of a few hundredths, so read the shape of the curve, not the small steps
# between neighbouring points. On a CPU the training itself is seconds to a minute; collecting and checking the pairs
# is the expensive part, and it must be redone when the documents change enough.
#
# ## 9. The maintenance trap: an old index and a new model
# An index holds vectors made by one model. After fine-tuning, queries are embedded by the new model, and the index
# must be rebuilt with it. `course_utils` records the embedder's name in every index and refuses a mismatch.

# %%
from course_utils.retrieval import UNFILTERED, EmbedderMismatchError, search

try:
    search(base_handbook_index, model, "How many vacation days do I get in France?", allowed_ids=UNFILTERED)
except EmbedderMismatchError as error:
    print("EmbedderMismatchError:", error)

# %% [markdown]
# Without that guard nothing fails loudly: the vectors have the same size, faiss happily compares them, and results
# come back. We measure what they are worth by scoring the fine-tuned model's query vectors against the *old* document
# vectors, then against re-embedded ones.

# %%
stale = {name: ef.retrieval_scores(evaluators[name], model, ef.corpus_vectors(base, eval_sets[name][1], name)) for name in ("SQLite headings", "handbook (SYNTHETIC)")}
for name, key in (("SQLite headings", "headings"), ("handbook (SYNTHETIC)", "handbook")):
    results.report(f"stale_{key}_recall_at_1", stale[name]["recall@1"], f"{name}, new model querying the OLD index: recall@1")
    results.report(f"{key}_base_recall_at_1", scores[(name, "base")]["recall@1"], f"{name}, base model with its own index: recall@1")
results.report("stale_headings_recall_at_5", stale["SQLite headings"]["recall@5"], "SQLite headings, new model querying the OLD index: recall@5")
results.report("document_drift_cosine", float(np.mean(np.sum(base_handbook_vectors * finetuned_handbook_vectors, axis=1))), "mean cosine between a handbook document's old and new vector")
rows = {(name, label): row for name in stale for label, row in (("base model, base index", scores[(name, "base")]), ("NEW model, OLD index (stale)", stale[name]),
                                                                  ("new model, re-embedded index", scores[(name, "fine-tuned")]))}
pd.DataFrame(rows).T[["recall@1", "recall@5", "MRR@10"]].round(3)

# %%
queries, documents = eval_sets["SQLite headings"]
stale_hits = ef.hits_at_k(model, queries, documents, ef.corpus_vectors(base, documents, "SQLite headings"), 5)
fresh_hits = ef.hits_at_k(model, queries, documents, ef.corpus_vectors(model, documents, "SQLite headings"), 5)
stale_claim = results.claim("stale_index_loses_recall", stats.paired_difference(stale_hits, fresh_hits, "old index", "re-embedded index"),
                            "The new model on the OLD index finds fewer held-out headings (recall@5) than on a re-embedded index", expected="lower")

# %% [markdown]
# A stale index gives numbers that belong to neither model: the queries come from the new space, the documents from the
# old one. The verdict above says whether, after section 5's one short pass, the old index falls measurably short of the
# re-embedded one; the table above also shows where it sits against the base model. One short pass moved the vectors
# only part of the way. What happens when training moves them further, and does the stale index ever become worse than
# not fine-tuning at all? Nothing raises an error either way, so we measure it.
#
# ### When does a stale index break? The same recipe, trained longer
# Section 5's recipe, data and seed, trained for ten epochs instead of one, with the weights kept after epochs 1, 3 and
# 10 (at a constant learning rate, epoch e of the long run is the model an e-epoch run gives, as for the learning
# curve). For each amount of training we measure how far the model moved the held-out pages' sections (the mean cosine
# between a section's old and new vector; 1 = not moved) and, per held-out heading, whether the new model's query finds
# its section in the top 5 of the OLD index, of a re-embedded index, and with the base model. Ten epochs take minutes
# on 2 cores, so `make setup` prepared the sweep (`ef.ensure_drift_sweep()` runs it here if it is missing); the first
# row is this notebook's own one-epoch model, measured live.

# %%
heading_vectors = {name: ef.corpus_vectors(embedder, documents, "SQLite headings") for name, embedder in (("base", base), ("live", model))}
if not ef.drift_sweep_path().exists():
    print(f"No drift sweep in the cache: training section 5's recipe for {max(ef.DRIFT_EPOCHS)} epochs now (minutes on 2 cores)...")
sweep = ef.ensure_drift_sweep()
assert sweep["qids"] == [q["qid"] for q in queries], "the sweep was scored on other held-out headings: delete it from the cache"
print(f"prepared sweep: {sweep['made_by']}; lr {sweep['recipe']['lr']}, seed {sweep['seed']}, {sweep['seconds']:.0f} s when it was built")
base_hits = sweep["base"]["base@5"]
runs = {"1 epoch (live)": {"epochs": 1, "key": "live", "mean_cosine": ef.mean_cosine(heading_vectors["base"], heading_vectors["live"]), "stale@5": stale_hits, "fresh@5": fresh_hits}}
runs |= {f"{p['epochs']} epoch(s) (prepared)": {"key": f"epochs_{p['epochs']}", **p} for p in sweep["points"]}
gaps = {run: stats.paired_difference(p["stale@5"], p["fresh@5"], "old index", "re-embedded index") for run, p in runs.items()}
vs_base = {run: stats.paired_difference(p["stale@5"], base_hits, "old index", "base model") for run, p in runs.items()}
pd.DataFrame({run: {"mean cosine, old vs new": round(p["mean_cosine"], 3), "base recall@5": round(np.mean(base_hits), 3), "stale recall@5": round(np.mean(p["stale@5"]), 3),
                    "fresh recall@5": round(np.mean(p["fresh@5"]), 3), "stale - fresh (95% CI)": str(gaps[run]), "stale < fresh?": stats.verdict(gaps[run], "lower"),
                    "stale - base (95% CI)": str(vs_base[run]), "stale < base?": stats.verdict(vs_base[run], "lower")} for run, p in runs.items()}).T

# %%
last = sweep["points"][-1]
results.report("drift_base_recall_at_5", float(np.mean(base_hits)), "base model with its own index: held-out headings with a gold section in the top 5")
for run, point in runs.items():
    results.report(f"drift_cosine_{point['key']}", point["mean_cosine"], f"{run}: mean cosine between a held-out section's old and new vector")
    results.report(f"stale_recall_at_5_{point['key']}", float(np.mean(point["stale@5"])), f"{run}: new model on the OLD index, headings recall@5")
    results.report(f"fresh_recall_at_5_{point['key']}", float(np.mean(point["fresh@5"])), f"{run}: new model on a re-embedded index, headings recall@5")
drift_claim = results.claim("stale_index_breaks_with_drift", stats.paired_difference(last["stale@5"], base_hits, "old index", "base model"),
                            f"After {last['epochs']} epochs the new model on the OLD index finds fewer held-out headings (recall@5) than the base model it replaced",
                            expected="lower")
fell_short = [run for run, gap in gaps.items() if stats.verdict(gap, "lower") == "supported"]
print(f"The stale index fell measurably short of a re-embedded one after: {', '.join(fell_short) or 'none of the runs'}. After {last['epochs']} epochs it was "
      + drift_claim.sentence("measurably worse than the base model: it broke.", "still measurably better than the base model: it did not break.",
                             "not measurably different from the base model."))

# %% [markdown]
# The headings gain (section 6) and the stale index's loss (above) were each measured on one training run, seeded 0.
# `make seeds` re-ran the one-epoch recipe with other seeds: each seed holds out other SQLite pages, samples other
# heading pairs and shuffles them differently. Each claim's effect per seed, how many seeds point the claimed way, the
# mean with a 95% t interval across the seeds and its verdict:

# %%
from course_utils.results import print_seed_spread

seed_verdicts = print_seed_spread("05_embedding_finetuning", this_run=results)

# %% [markdown]
# Where this run's verdict and the verdict across seeds differ, believe the one across seeds: one run can land on either
# side of the line by chance, and the drift sweep above is one seed too.

# %%
prepared = [run for run in runs if run.endswith("(prepared)")]  # the live run is the prepared first epoch again
xs = [1.0] + [runs[run]["mean_cosine"] for run in prepared]  # start from the untrained model: not moved, nothing lost
with_start = lambda effects: np.hstack([[[0.0], [0.0]], stats.error_bars([effects[run] for run in prepared])])  # the start has no interval
figure = plot_lines({"old index - re-embedded index": (xs, [0.0] + [gaps[run].difference for run in prepared]),
                     "old index - base model": (xs, [0.0] + [vs_base[run].difference for run in prepared])},
                    errors={"old index - re-embedded index": with_start(gaps), "old index - base model": with_start(vs_base)},
                    title=drift_claim.sentence(f"After {last['epochs']} epochs a stale index is worse than no fine-tuning at all",
                                               f"Even after {last['epochs']} epochs a stale index beats the base model",
                                               f"After {last['epochs']} epochs a stale index is not measurably worse than the base model"),
                    xlabel="mean cosine, a section's old vs new vector (1 = not moved)", ylabel=f"recall@5 difference, {len(queries)} held-out headings")
figure.axes[0].axhline(0.0, color="grey", linewidth=0.8)
figure.axes[0].invert_xaxis();  # further right = the model moved further

# %% [markdown]
# Read the plot from left to right: each point is one amount of training, placed by how far it moved the sections'
# vectors, with a 95% interval on each difference. The curve "old index - re-embedded index" is what not rebuilding
# costs against rebuilding; "old index - base model" asks whether the stale index is still better than never having
# fine-tuned. The table's verdicts say, row by row, which of these differences the held-out headings can measure, and the
# line printed under the claim says whether and where the stale index broke in this range. The cosine measures how far
# the vectors moved, not what retrieval loses: only scoring the old and the re-embedded index on held-out queries tells
# you that, and a result for one amount of training is no promise for the next model. Rebuild every index a new embedder
# serves, and keep the embedder's name with the index, as `course_utils` does.
#
# Fine-tuning may also cost something outside the stale index, on tasks the base model already did well. The next cell
# prints section 6's measured gain next to those tasks, each with its direction and verdict (section 10 does the same
# for the answers of the RAG pipeline).

# %%
for key, name in (("headings_r5", "SQLite headings recall@5 (the task it trained for)"), ("faq_r1", "FAQ recall@1 (real questions, already well served)"),
                  ("handbook_r1", "handbook recall@1 (SYNTHETIC)")):
    effect = finetuning_claims[key].effect
    direction = "higher" if effect.difference > 0 else "lower" if effect.difference < 0 else "unchanged"
    print(f"{name}: base {effect.mean_b:.3f} -> fine-tuned {effect.mean_a:.3f} ({direction}); difference {effect}: {finetuning_claims[key].verdict}")

# %% [markdown]
# ## 10. End to end: notebook 04's RAG pipeline with the fine-tuned embedder
# Notebook 04's extractive pipeline: retrieve the top document for the asker's role, take its two sentences closest to
# the question (with the same embedder), and let SmolLM2-135M-Instruct answer greedily. We ask the held-out handbook
# questions about clustered documents, where the embedder matters most, once per embedder.

# %%
from course_utils.pretrained import load_chat_model

chat_model, chat_tokenizer = load_chat_model()
questions = [q for q in data.load_handbook_questions("test") if q["type"] == "single" and rag.sibling_ids(handbook, q["gold_doc_ids"][0])]
rag_runs = {"base": ef.rag_answers(chat_model, chat_tokenizer, base, base_handbook_index, handbook, questions),
            "fine-tuned": ef.rag_answers(chat_model, chat_tokenizer, model, finetuned_handbook_index, handbook, questions)}
for name, (top_doc, answers) in rag_runs.items():
    key = name.replace("-", "")
    results.report(f"rag_top1_correct_{key}", sum(d in q["gold_doc_ids"] for d, q in zip(top_doc, questions)) / len(questions), f"RAG with the {name} embedder: top document is the gold one")
    results.report(f"rag_accuracy_{key}", sum(answer_matches(a.text, q["answer"]) for a, q in zip(answers, questions)) / len(questions), f"RAG with the {name} embedder: answer accuracy")
correct = {name: [answer_matches(a.text, q["answer"]) for a, q in zip(run[1], questions)] for name, run in rag_runs.items()}
rag_claim = results.claim("tuned_embedder_raises_rag_accuracy", stats.paired_difference(correct["fine-tuned"], correct["base"], "fine-tuned", "base"),
                          "RAG answers more questions about clustered documents with the fine-tuned embedder")
print(f"RAG answer accuracy: base embedder {rag_claim.effect.mean_b:.3f} -> fine-tuned {rag_claim.effect.mean_a:.3f} "
      f"({'higher' if rag_claim.effect.difference > 0 else 'lower' if rag_claim.effect.difference < 0 else 'unchanged'}): {rag_claim.verdict}")

# %%
changed = [i for i, (b, f) in enumerate(zip(rag_runs["base"][0], rag_runs["fine-tuned"][0])) if b != f]
rows = [{"question": questions[i]["question"], "gold": questions[i]["answer"], **{f"{name}: source": run[0][i] for name, run in rag_runs.items()},
         **{f"{name}: answer": run[1][i].text[:60] for name, run in rag_runs.items()}} for i in changed]
pd.set_option("display.max_colwidth", 70)
pd.DataFrame(rows)

# %% [markdown]
# Better retrieval is necessary, not sufficient: with the right document in the prompt, the 135M-parameter model still
# has to copy the right fact, and it often does not. The rows above are the questions whose top document changed. With
# a couple of dozen questions one answer moves an accuracy by several hundredths: the line printed above gives the
# direction of the change, which can be a loss even though the top document improved, and its verdict says whether the
# two embedders' accuracies differ measurably. Count it, with section 6's FAQ recall@1, among what fine-tuning may cost. The guide's advice holds: measure the whole system, and fix the weakest link
# next (notebook 06 works on the prompt).
#
# ## 11. Saving the fine-tuned embedder and its index for notebook 07
# The model goes to the cache with its name; `rag.ensure_handbook_index(model)` saves its handbook index (the vectors are
# already cached). Notebook 07 calls `ef.ensure_finetuned_embedder()`, which loads this model, or trains it with this
# notebook's recipe if you skipped this notebook; `rag.ensure_domain_index(model)` builds its documentation index when
# first asked.

# %%
path = ef.save_finetuned_embedder(model)
saved_index = rag.ensure_handbook_index(model)
print(f"model -> {path.relative_to(path.parents[2])}, index: {len(saved_index)} vectors by {saved_index.embedder_name}")
reloaded = ef.load_finetuned_embedder()
assert reloaded.course_name == model.course_name == saved_index.embedder_name

# %% [markdown]
# ## 12. Exercises
# Each exercise states its signature. Replace the placeholder, run the cell, and read the checker's verdict.
#
# **Exercise 1 (easy).** Write `leaked_queries(train: list[dict], held_out: list[dict]) -> list[str]` returning, in
# held-out order, the `qid` of every held-out query whose `query` text is also a training query once both are lower-cased
# and their white space squeezed.

# %%
from course_utils.exercises import check_leaked_queries


def leaked_queries(train: list[dict], held_out: list[dict]) -> list[str]:
    raise NotImplementedError  # <- your code here


check_leaked_queries(leaked_queries);

# %% [markdown]
# **Exercise 2 (medium).** Write `in_batch_loss(query_vectors: np.ndarray, doc_vectors: np.ndarray, scale: float = 20.0) -> float`,
# the loss `MultipleNegativesRankingLoss` computes: row i of `doc_vectors` is query i's positive, every other row is a
# negative (rows beyond the number of queries are hard negatives). Take cosine similarities, multiply by `scale`, and
# return the mean over queries of the cross-entropy whose target is the query's own positive.

# %%
from course_utils.exercises import check_in_batch_loss


def in_batch_loss(query_vectors: np.ndarray, doc_vectors: np.ndarray, scale: float = 20.0) -> float:
    raise NotImplementedError  # <- your code here


check_in_batch_loss(in_batch_loss);

# %% [markdown]
# **Exercise 3 (stretch).** Write `project_2d(vectors: np.ndarray) -> np.ndarray` returning the `(n, 2)` coordinates of the
# rows on their first two principal components, as in section 7's picture, using only NumPy (signs of the axes may differ).

# %%
from course_utils.exercises import check_project_2d


def project_2d(vectors: np.ndarray) -> np.ndarray:
    raise NotImplementedError  # <- your code here


check_project_2d(project_2d);

# %% [markdown]
# **Exercise 4 (experiment).** Change one setting of section 5's recipe and predict its effect before you run it: train
# without the mined hard negatives, for example (`my_recipe = dataclasses.replace(recipe, num_negatives=0)`, on
# `triplets.remove_columns("negative")`), or with a shorter `train_max_seq_length`, which also makes the run cheaper.
# Train a fresh copy of the base model with `ef.train_embedder(my_model, dataset, my_recipe, run_name="05_exercise")`.
# First set `PREDICTION` to `"up"` or `"down"`, the way you expect hit@1 on the held-out handbook questions (the right
# variant of a policy ranked first) to move against section 5's model, and write your reason in the cell below. The
# checker embeds the handbook with both models, searches with the same questions and prints the difference with its
# 95% interval; a wrong prediction still passes.
#
# *My prediction:* I expect hit@1 to go ... because ...

# %%
import dataclasses
from course_utils.exercises import check_embedder_experiment

PREDICTION = None  # "up" or "down": hit@1 of your model against section 5's, on the held-out handbook questions
my_recipe = None  # <- dataclasses.replace(recipe, <one setting>=...)
my_history, my_model = None, None  # <- your run: ef.train_embedder(...)'s history, and the model it trained (ef.fresh_embedder(my_recipe))

check_embedder_experiment(PREDICTION, my_recipe, my_history, my_model, model, *eval_sets["handbook (SYNTHETIC)"]);

# %% [markdown]
# ## 13. Summary
# The numbers this run measured (also saved to the cache, where the tests and the README read them):

# %%
from IPython.display import Markdown

Markdown(results.table())

# %% [markdown]
# **What to remember**
# - Fine-tune an embedder when retrieval fails because documents are too alike or the vocabulary is specialised; measure
#   first: the base model and BM25 on held-out queries tell you whether there is anything to gain.
# - Pairs come from your data (real questions, headings, labelled questions); hold queries out *before* building pairs,
#   and check the split in code.
# - `MultipleNegativesRankingLoss` learns from in-batch and mined hard negatives; the near misses teach the most.
# - The first labelled pairs buy most of the gain; the labels, not the CPU seconds, are the cost.
# - A new embedder means a new index: record which model built an index, refuse mismatched queries, re-embed. How much
#   a stale index loses is measured, not read from how far the vectors moved (section 9's sweep); nothing raises an error.
# - Check the tasks you did not train for: FAQ recall@1 (section 6) and RAG accuracy (section 10) print the direction
#   and verdict of what fine-tuning did to them.
# - Better retrieval is not better answers by itself: measure the whole pipeline.
# - One training run is one seed: the spread across seeds (section 9) shows how much of a gain belongs to the recipe
#   and how much to the run.
#
# ## Troubleshooting
# - **Training is very slow:** another program is using the cores, or `OMP_WAIT_POLICY` is not `PASSIVE` while two
#   notebooks run; close other kernels.
# - **Out of memory:** lower `batch_size` or `max_seq_length` in `ef.EmbedderRecipe` (activation memory grows with both).
# - **`EmbedderMismatchError`:** an index built by one model was queried with another; rebuild it with
#   `rag.ensure_handbook_index(model)` or `rag.ensure_domain_index(model)`.
# - **`LeakageError`:** a held-out query is among the training queries; remove it from training, never from the test set.
# - **Numbers differ slightly from the committed outputs:** CPU kernels and thread counts change the last digits of the
#   weights; with a few dozen questions one changed answer moves a rate visibly. The tests check ranges.
#
# ## Further reading
# - Reimers & Gurevych, *Sentence-BERT* (2019), and the sentence-transformers training overview and `mine_hard_negatives` docs.
# - Henderson et al., *Efficient Natural Language Response Suggestion for Smart Reply* (2017): in-batch negatives.
# - Moreira et al., *NV-Retriever: Improving text embedding models with effective hard-negative mining* (2024).
# - Thakur et al., *BEIR: A Heterogeneous Benchmark for Zero-shot Evaluation of Information Retrieval Models* (2021).
# - Next: **06 · Prompt engineering**, and **07**, which plugs this embedder into one assistant.
