# %% [markdown]
# # 07 · Choosing and combining approaches: one assistant, every approach, one table
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/notebooks/07_choosing_and_combining.ipynb)
#
# The guide ends with a table of pros and cons and a piece of advice: no single approach fits every problem, most real
# systems combine several, and the place to start is an existing chat model with prompt engineering and RAG. This
# notebook turns that table into measurements. One use case, the guide's own: a private assistant that answers
# employees' questions about the company handbook (SYNTHETIC, with access levels). Every approach of the course answers
# the same held-out questions, scored the same way, and each row of the table is filled with numbers: answer quality,
# the compute it took (recorded by the notebooks that trained it), the labelled data it needed, seconds per answer,
# whether it can answer about a document written after training, and whether its answers can be traced to a source.
# Then we build the assistant the guide describes, an agent with an HR tool and an IT tool, and derive the closing
# "when to use which" from the table instead of asserting it.
#
# **Objectives**: after this notebook you can:
# - run several adaptation approaches on one held-out question set with one scorer, and read the result as the guide's
#   pros/cons table in numbers;
# - account for what each approach costs before its first answer (training seconds and FLOPs, labelled examples) and
#   per answer (seconds, prompt tokens);
# - measure freshness (a document added after training) and traceability (answers with a checkable source);
# - build an agent with two RAG tools that routes each question, filters by the user's role before ranking, and cites
#   its sources, and measure its routing;
# - derive which approach to use for which need from measurements.
#
# **Prerequisites:** the artifacts of notebooks 01-06. Each is loaded from the cache or rebuilt with its notebook's code
# and seed: the tiny CPT and IFT models (`ensure_cpt`, `ensure_ift`), the answer-from-sources LoRA adapter for SmolLM2
# (`answering.ensure_answer_adapter`, prepared by `make setup` with notebook 03's recipe), notebook 05's fine-tuned embedder (`ensure_finetuned_embedder`) and the
# handbook indexes. It also reads numbers that notebooks 01, 03, 05 and 06 recorded (a cost estimate, training times,
# the prompt variant notebook 06 chose); an artifact can be rebuilt, a recorded number cannot, so if one is missing the
# notebook stops at once and names the notebooks to run.
#
# **Expected runtime:** the README's [measured runtime table](../README.md#measured-runtime) gives this notebook's wall
# time and peak memory on a 2-core CPU with the earlier artifacts cached, and a measured cold start from an empty cache. No GPU time has been measured.

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
results = NotebookResults("07_choosing_and_combining")

# %% [markdown]
# ## 1. One use case, one question set, one scorer
# The held-out set is every single-answer question of the handbook's *test* split, plus those of its *validation* split
# except the few notebook 06 chose its prompts on: over a hundred questions, so that one answer moves an accuracy by
# less than 0.01. No approach has seen these questions or their answers in training; training questions come from the
# train split only. Each question is asked with its asker's
# access rights. One scorer for all: an answer is correct when it contains the reference answer (number words and digits
# count as the same).

# %%
from collections import Counter
from course_utils import answering, assistant, data, rag
from course_utils.evaluation import answer_matches
from course_utils.models import count_parameters
from course_utils.prompting import context_window
from course_utils.results import recorded_value

questions = assistant.evaluation_questions()  # the test split, plus validation questions no earlier choice was made on
handbook = data.load_handbook(data.UNFILTERED)  # every document; retrieval filters each question by its asker's role
results.report("n_questions", len(questions), "held-out questions every approach answers (SYNTHETIC handbook, test and validation splits)")
print(dict(Counter(q["category"] for q in questions)))
print("e.g.", repr(questions[0]["question"]), "->", repr(questions[0]["answer"]))
print("scorer:", answer_matches("Staff get thirty working days.", "30 working days"), answer_matches("About a month.", "30 working days"))

# %% [markdown]
# ## 2. What every earlier notebook built
# Four models and two embedders: the tiny GPT after continued pre-training (notebook 02) and after instruction
# fine-tuning (notebook 03), the shipped SmolLM2-135M-Instruct (notebook 00), the same model with notebook 03's
# answer-from-sources LoRA adapter merged in (trained to copy a short answer out of retrieved sentences, or to say they
# do not hold it, on examples built from *training* questions only), and the base and fine-tuned embedders with their handbook indexes (notebooks 04 and 05).

# %%
from course_utils.embedder_finetuning import ensure_finetuned_embedder
from course_utils.pretrained import load_chat_model, load_embedder
from course_utils.recipes import ensure_cpt, ensure_ift

assistant.check_recorded_inputs()  # numbers notebooks 01, 05 and 06 recorded: fail now, before any rebuild, if one is missing
cpt_model, cpt_tokenizer = ensure_cpt()
ift_model, ift_tokenizer = ensure_ift()
chat_model, chat_tokenizer = load_chat_model()
lora_model, lora_tokenizer = answering.load_answer_model()  # prepared by `make setup` with notebook 03's recipe
base_embedder, tuned_embedder = load_embedder(), ensure_finetuned_embedder()
indexes = {embedder.course_name: rag.ensure_handbook_index(embedder) for embedder in (base_embedder, tuned_embedder)}
for name, model in {"CPT (tiny GPT)": cpt_model, "IFT (tiny GPT)": ift_model, "SmolLM2-135M-Instruct": chat_model, "SmolLM2 + answer adapter": lora_model}.items():
    print(f"{name:<22} {count_parameters(model) / 1e6:6.1f}M parameters, context window {context_window(model):>5} tokens")
print("embedders:", list(indexes))

# %% [markdown]
# ## 3. What each approach paid before its first answer
# Training costs come from the runs that made each artifact: the seconds and tokens each tiny-model checkpoint saved
# beside it, the prepared LoRA adapter's metadata, and the numbers notebook 05 recorded for the embedder; FLOPs follow the 6·N·D
# rule of notebook 01 (an upper bound for the embedder, whose short queries were padded less than counted; 2·N·D for
# embedding, a forward pass only). Building a RAG index means embedding the handbook once; we time it now. Labelled examples are those an approach learned from. The chat model's own
# pre-training, paid by its publisher, is not counted: the guide's starting point is a model someone else pre-trained.

# %%
import dataclasses
import pandas as pd
from course_utils.costs import answer_adapter_cost, checkpoint_cost, embedder_cost, ift_examples_seen, indexing_cost

n_tiny, n_chat = count_parameters(cpt_model), count_parameters(chat_model)
costs = {
    "pre-training": checkpoint_cost("01_pretrained", "pre-train the tiny GPT (notebook 01)", n_tiny),
    "CPT": checkpoint_cost("02_cpt", "continued pre-training (notebook 02)", n_tiny),
    "IFT": checkpoint_cost("03_ift", "instruction fine-tuning (notebook 03)", n_tiny, ift_examples_seen()),
    "LoRA": answer_adapter_cost(n_chat),
    "embedder fine-tuning": embedder_cost(tuned_embedder),
    "base index": indexing_cost(base_embedder, data.texts_of(handbook), "embed the handbook, base embedder", sample_every=3),
    "tuned index": indexing_cost(tuned_embedder, data.texts_of(handbook), "embed the handbook, tuned embedder", sample_every=3),
}
at_scale = recorded_value("01_pretraining", "big_flops"), recorded_value("01_pretraining", "big_dollars")
print(f"for scale, notebook 01's estimate for a real pre-training run: {at_scale[0]:.1e} FLOPs, about ${at_scale[1]:,.0f}")
pd.DataFrame([dataclasses.asdict(cost) for cost in costs.values()], index=list(costs)).round(2)

# %% [markdown]
# ## 4. Seven approaches, written as data
# An `Approach` is a model, a function that builds its prompt from a question and (for RAG) retrieved passages, an
# optional retriever, and its costs. Prompts are not new: each model gets the handbook-answer variant notebook 06 chose
# for it on *validation* questions; the CPT model, which has no chat format, gets the plain-text zero-shot variant; the
# LoRA model gets the prompt its adapter was trained on (`answering.answer_prompt`). Every RAG approach shows the model notebook 04's context: the top
# document the asker may see, reduced to its two sentences closest to the question.
#
# | approach | model | retrieval | built in |
# |---|---|---|---|
# | CPT only | tiny GPT after continued pre-training | none | 01-02 |
# | IFT | tiny GPT after instruction fine-tuning | none | 01-03 |
# | prompt only | SmolLM2-135M-Instruct, notebook 06's prompt | none | 06 |
# | RAG | SmolLM2, same prompt | base embedder | 04 |
# | RAG + tuned embedder | SmolLM2, same prompt | fine-tuned embedder | 05 |
# | IFT + RAG | tiny IFT GPT, its prompt | fine-tuned embedder | 03, 05 |
# | LoRA + RAG | SmolLM2 with notebook 03's answer adapter | fine-tuned embedder | 03, 05 |

# %%
from course_utils import prompt_eval as pe

task = pe.handbook_answer_task()  # notebook 06's instruction, role and few-shot pool (its own examples are not used here)
smol_variant, ift_variant = pe.recorded_best_variant(pe.COMPARED_MODELS[0]), pe.recorded_best_variant(pe.COMPARED_MODELS[1])
raw_variant = pe.standard_variants(task)[0]  # plain text, zero-shot: the CPT model has no chat format
prompt = lambda variant, tokenizer: assistant.variant_prompt_fn(task, variant, tokenizer)
base_rag, tuned_rag = (rag.Retriever(e, indexes[e.course_name], handbook) for e in (base_embedder, tuned_embedder))
tiny, c, A = [costs["pre-training"], costs["CPT"]], costs, assistant.Approach
approaches = [
    A("CPT only", cpt_model, cpt_tokenizer, prompt(raw_variant, cpt_tokenizer), None, tiny),
    A("IFT", ift_model, ift_tokenizer, prompt(ift_variant, ift_tokenizer), None, tiny + [c["IFT"]], ift_variant.k),
    A("prompt only", chat_model, chat_tokenizer, prompt(smol_variant, chat_tokenizer), None, [], smol_variant.k),
    A("RAG", chat_model, chat_tokenizer, prompt(smol_variant, chat_tokenizer), base_rag, [c["base index"]], smol_variant.k),
    A("RAG + tuned embedder", chat_model, chat_tokenizer, prompt(smol_variant, chat_tokenizer), tuned_rag, [c["embedder fine-tuning"], c["tuned index"]], smol_variant.k),
    A("IFT + RAG", ift_model, ift_tokenizer, prompt(ift_variant, ift_tokenizer), tuned_rag, tiny + [c["IFT"], c["embedder fine-tuning"], c["tuned index"]], ift_variant.k),
    A("LoRA + RAG", lora_model, lora_tokenizer, answering.answer_prompt, tuned_rag, [c["LoRA"], c["embedder fine-tuning"], c["tuned index"]]),
]
KEYS = dict(zip([a.name for a in approaches], ("cpt", "ift", "prompt", "rag", "rag_tuned", "ift_rag", "lora_rag")))
print(f"notebook 06's prompt for SmolLM2: {smol_variant.name!r}; for the tiny IFT model: {ift_variant.name!r}")

# %% [markdown]
# The same question, as three of the approaches put it to their model:

# %%
from course_utils.prompting import prompt_text

question = questions[0]
for approach in (approaches[2], approaches[4], approaches[6]):
    context = approach.retriever.context(question["question"], question["asker_visibility"]) if approach.retriever else rag.Context()
    print(f"--- {approach.name} (sources: {context.source_ids or 'none'}):\n{prompt_text(approach.prompt_fn(question['question'], context.passages))}\n")

# %% [markdown]
# ## 5. Every approach on the held-out questions
# Greedy decoding, prompts batched; replies may run to the longest reference answer's length in tokens plus slack
# (`answering.reply_token_budget`), so no right reply is cut. Seconds per answer are retrieval plus each answer's share of
# its batch's generation time. A prompt that does not fit a model's context window is not run and scores zero.

# %%
reply_budget = answering.reply_token_budget(chat_tokenizer, [q["answer"] for q in questions])  # a right reply is never cut
runs = {a.name: assistant.answer_questions(a, questions, max_new_tokens=reply_budget) for a in approaches}
for a in approaches:
    results.report(f"accuracy_{KEYS[a.name]}", runs[a.name].accuracy, f"{a.name}: correct answers ({len(questions)} held-out questions)")
results.report("ift_rag_too_long", runs["IFT + RAG"].too_long, f"IFT + RAG: prompts longer than the tiny model's {context_window(ift_model)}-token window (of {len(questions)})")

# %% [markdown]
# The accuracies above are point estimates. Three comparisons carry the course's main claims; each is paired over the
# same questions, with a bootstrap 95% interval, and its verdict is computed (`course_utils.stats`):

# %%
from course_utils import stats

def compare(key, a, b, statement):
    """Record the claim that approach `a` answers more questions than approach `b`, paired over the same questions."""
    return results.claim(key, stats.paired_difference(runs[a].scores, runs[b].scores, a, b), statement, expected="higher")

rag_claim = compare("rag_beats_prompt_only", "RAG", "prompt only", "RAG answers more private-document questions than the same model and prompt without retrieval")
tuned_claim = compare("tuned_embedder_helps_rag", "RAG + tuned embedder", "RAG", "A fine-tuned embedder makes RAG answer more questions")
lora_claim = compare("lora_helps_rag", "LoRA + RAG", "RAG + tuned embedder", "The LoRA adapter on top of RAG answers more questions (IFT + RAG combined)")
for name in ("RAG", "RAG + tuned embedder", "LoRA + RAG"):
    print(f"{name:<22} accuracy {stats.mean_ci(runs[name].scores)}")

# %%
pd.set_option("display.max_colwidth", 40)
pd.DataFrame([{"question": q["question"], "gold": q["answer"], **{name: run.replies[i] for name, run in runs.items()}}
              for i, q in enumerate(questions[:5])])

# %% [markdown]
# Read the answers, not only the scores. The tiny CPT model does not answer (a CPT model completes text rather than
# answering, as the guide says); the tiny IFT model replies in the shape it was trained on, but knows nothing of this
# company. No model learned a fictional company's policies in training, so every approach without retrieval scores at or
# near zero. With retrieval the answers are in the prompt; how well each model copies them out is what separates the RAG
# rows (the verdicts above say which gaps are real), and the tiny IFT model's window is too short to hold the sources.
#
# ## 6. Freshness: a policy published after every model was trained
# A new SYNTHETIC policy (a password manager, written in `assistant.FRESH_DOCUMENT`, in no dataset, model or index) is
# added to a *copy* of each index: one embedding, no training. Three questions only it answers. The approaches that learn
# from training data would need another training run to know it.

# %%
import time

print(assistant.FRESH_DOCUMENT["title"], "(SYNTHETIC):", assistant.FRESH_DOCUMENT["text"][:120], "...")
started = time.perf_counter()
fresh_approaches = assistant.refreshed(approaches, assistant.FRESH_DOCUMENT)
results.report("add_document_seconds", time.perf_counter() - started, "time to add the new policy to both indexes (no training)", unit="s")
fresh_runs = {a.name: assistant.answer_questions(a, assistant.FRESH_QUESTIONS, max_new_tokens=reply_budget) for a in fresh_approaches}
print("new-policy accuracy of the best retrieving approach:", stats.mean_ci(max((fresh_runs[a.name].scores for a in approaches if a.retriever), key=sum)),
      "- three questions show that it can happen, not how often")
for a in approaches:
    results.report(f"fresh_{KEYS[a.name]}", fresh_runs[a.name].accuracy, f"{a.name}: questions about the new policy answered (of {len(assistant.FRESH_QUESTIONS)})")
for name in ("RAG", "RAG + tuned embedder"):
    results.report(f"fresh_retrieved_{KEYS[name]}", fresh_runs[name].traceable, f"{name}: the new policy is the retrieved source")
pd.DataFrame({name: run.replies for name, run in fresh_runs.items()}, index=[q["answer"] for q in assistant.FRESH_QUESTIONS]).T

# %% [markdown]
# Retrieval finds the new policy at once, for both embedders, and the fine-tuned one was not retrained to index it (notebook
# 05 warns that very different new documents may need a retrained embedder; this one did not). Whether the answer comes
# out right is again the model's part of the job.
#
# ## 7. The guide's table, measured
# One row per approach. *Traceable answers* is the share of questions answered (a prompt that did not fit the model's
# window is no answer) with a source id that is a gold document of the question: the pipeline, not the model, attaches
# it, so a reader can check the claim. *Short answers* is the
# share of replies of at most a few words, the handbook's house style. *Compute* adds the one-off costs of section 3.

# %%
table = {a.name: assistant.approach_row(a, runs[a.name], fresh_runs[a.name]) for a in approaches}
for a in approaches:
    row, key = table[a.name], KEYS[a.name]
    results.report(f"traceable_{key}", row["traceable answers"], f"{a.name}: answers traceable to a correct source")
    results.report(f"seconds_per_answer_{key}", row["seconds per answer"], f"{a.name}: seconds per answer", unit="s")
    results.report(f"compute_flops_{key}", row["compute FLOPs"], f"{a.name}: compute before the first answer", unit="FLOPs")
    results.report(f"labelled_{key}", row["labelled examples"], f"{a.name}: labelled examples learned from or shown")
    results.report(f"short_answers_{key}", row["short answers"], f"{a.name}: replies of at most {assistant.SHORT_ANSWER_WORDS} words")
decision_table = pd.DataFrame(table).T
best_traceable = max((a.name for a in approaches if a.retriever), key=lambda name: table[name]["traceable answers"])
results.claim("rag_answers_are_traceable", stats.mean_ci(runs[best_traceable].traceable_items),
              f"Most answers of {best_traceable} come with a correct source (share of questions, above one half)", threshold=0.5)
decision_table.style.format("{:.3g}")

# %%
from course_utils.plots import plot_quality_vs_cost

retrieving = {a.name for a in approaches if a.retriever}
best = assistant.best_for(table, assistant.NEEDS[0])[0]  # the guide's rule: most accurate; ties to less compute
closed_book_best = max(row["accuracy"] for name, row in table.items() if name not in retrieving)
panels = {"compute before the first answer (FLOPs, symlog)": {n: (r["compute FLOPs"], r["accuracy"]) for n, r in table.items()},
          "seconds per answer": {n: (r["seconds per answer"], r["accuracy"]) for n, r in table.items()}}
runner_up = assistant.best_for(table, assistant.NEEDS[0])[1]
leader = stats.winner(stats.paired_difference(runs[best].scores, runs[runner_up].scores, best, runner_up))
headline = f"Most accurate: {leader}" if leader else f"{best} and {runner_up} are not measurably apart"
plot_quality_vs_cost(panels, title=f"{headline}; the best approach without retrieval scores {closed_book_best:.2f}",
                     ylabel=f"accuracy ({len(questions)} held-out questions)", symlog_x=[next(iter(panels))]);

# %% [markdown]
# The picture separates two kinds of cost. Compute spent before the first answer (training, indexing) buys no private
# facts by itself: only the rows that retrieve answer at all. The seconds per answer are set by the model's size and the
# length of its prompt, which is what retrieval lengthens. The title names a winner only when the interval of its lead
# over the runner-up excludes zero; otherwise the two are a tie at this number of questions.
#
# ## 8. An agent with two RAG tools
# The guide's example of an internal help agent: an HR tool and an IT tool run the same RAG pipeline over different
# document sets. Each tool holds its category's documents at every visibility; a user's role filters them *inside* the
# search, before ranking, whichever tool is called. A router picks the tool per question, or "other" when neither fits.
# The agent answers with the approach the table ranked most accurate among those that retrieve.

# %%
by_name = {a.name: a for a in approaches}
agent_approach = next(by_name[name] for name in assistant.best_for(table, assistant.NEEDS[0]) if by_name[name].retriever)
agent_embedder = agent_approach.retriever.embedder
tools = assistant.build_tools(agent_embedder, agent_approach.retriever.index, handbook)
for name, tool in tools.items():
    print(f"{name} tool: {len(tool.retriever.documents)} documents, visibility {dict(Counter(d['visibility'] for d in tool.retriever.documents))}")
    print(f"   description: {tool.description}")
print(f"answers written by: {agent_approach.name} (the most accurate approach that retrieves, by the guide's rule)")

# %% [markdown]
# Two routers that need no model call. One compares the question with each route's one-sentence description (no labelled
# data); the other lets the five most similar *training* questions vote, their labels coming from the category of their
# gold document (labelled data, but cheap: the questions exist anyway). Both route every held-out single-document
# question: we choose on the validation questions and compare the two, paired, on the test questions. Notebook 06
# measured the chat model itself as a router, with its best prompt.

# %%
train_singles = [q for q in data.load_handbook_questions("train") if q["type"] == "single"]
routers = {
    "tool descriptions": assistant.DescriptionRouter(agent_embedder, assistant.TOOL_DESCRIPTIONS),
    "5 nearest labelled questions": assistant.ExampleRouter(agent_embedder, [q["question"] for q in train_singles], [assistant.route_of(q) for q in train_singles], k=5),
}
routing_sets = {split: [q for q in data.load_handbook_questions(split) if q["type"] == "single"] for split in ("validation", "test")}
routing = {(name, split): assistant.routing_hits(router, routing_sets[split]) for name, router in routers.items() for split in routing_sets}
router_name = max(routers, key=lambda name: sum(routing[(name, "validation")]))
for name, key in zip(routers, ("descriptions", "examples")):
    results.report(f"routing_{key}", sum(routing[(name, "test")]) / len(routing_sets["test"]), f"router '{name}': routing accuracy ({len(routing_sets['test'])} test questions)")
results.report("routing_ms_per_question", assistant.routing_accuracy(routers[router_name], routing_sets["test"])[1],
               f"router '{router_name}' (chosen on validation): time per question", unit="ms")
results.report("routing_chat_model_nb06", recorded_value("06_prompt_engineering", "route_best_smol"), "for comparison, notebook 06: SmolLM2 routing with its best prompt (its own test questions)")
router_claim = results.claim("example_router_beats_description_router",
                             stats.paired_difference(routing[("5 nearest labelled questions", "test")], routing[("tool descriptions", "test")], "5 nearest labelled", "descriptions"),
                             "Routing by the 5 nearest labelled questions beats routing by the tools' descriptions")
pd.DataFrame({name: {f"{split} accuracy ({len(routing_sets[split])})": sum(hits) / len(hits) for (n, split), hits in routing.items() if n == name} for name in routers}).T.round(3)

# %%
from course_utils.prompting import generate

def answer_fn(prompt):
    return generate(agent_approach.model, agent_approach.tokenizer, prompt, max_new_tokens=reply_budget).text

agent = assistant.Agent(routers[router_name], tools, answer_fn, agent_approach.prompt_fn)
print(agent.ask("My VPN keeps disconnecting when I work from home. What should I do?", "all").text)

# %% [markdown]
# ## 9. A user without HR rights never gets HR-only content
# Routing is a convenience, not a security boundary: a router can send an IT engineer's question to the HR tool. What
# keeps HR-only documents away from that user is the filter inside the search. We call the HR tool directly, as an IT
# user, for every test question (the worst case: the router always picks HR), and count HR-only documents among the top
# three. As an HR user, the same calls do reach HR-only documents: the filter follows the role, it does not just block HR.
# An HR user may see every document in the HR tool, so the HR user's results are also what an *unfiltered* search would
# have shown the IT user; the claim compares the two, question by question.

# %%
from course_utils.retrieval import ranked_ids

test_questions = data.load_handbook_questions("test")
hr_only = {d["doc_id"] for d in handbook if d["visibility"] == "hr"}
it_user = [ranked_ids(tools["HR"].retriever.search(q["question"], "it", k=3)) for q in test_questions]
hr_user = [ranked_ids(tools["HR"].retriever.search(q["question"], "hr", k=3)) for q in test_questions]
results.report("hr_only_to_it_user", sum(bool(assistant.hidden_ids(ids, handbook, "it")) for ids in it_user), f"IT-user calls of the HR tool that returned an HR-only document (of {len(test_questions)})")
results.report("hr_only_to_hr_user", sum(bool(set(ids) & hr_only) for ids in hr_user), f"HR-user calls of the HR tool that returned an HR-only document (of {len(test_questions)})")
results.claim("role_filter_blocks_hr_only_documents",
              stats.paired_difference([float(bool(assistant.hidden_ids(ids, handbook, "it"))) for ids in it_user],
                                      [float(bool(set(ids) & hr_only)) for ids in hr_user], "filtered by role", "unfiltered"),
              "Filtering by the asker's role before ranking removes the HR-only documents an unfiltered search shows an IT user", expected="lower")
secret = next(q for q in test_questions if q["asker_visibility"] == "hr" and q["type"] == "single")
for role in ("hr", "it"):
    print(f"--- asked by a user with role {role!r}, routed to HR:\n{agent.ask(secret['question'], role, route='HR').text}\n")

# %% [markdown]
# ## 10. The agent end to end
# Every held-out question that belongs to a tool, each asked by its own asker, one at a time as a user would: route,
# retrieve with the user's role, answer, cite. The time is the whole loop for one question.

# %%
import statistics

asked = [q for q in questions if assistant.route_of(q) != "other"]
replies = [agent.ask(q["question"], q["asker_visibility"]) for q in asked]
for reply in replies[:3]:
    print(f"Q: {reply.question}\nA: {reply.text}\n")
routed = [float(r.route == assistant.route_of(q)) for r, q in zip(replies, asked)]
results.estimate("agent_routed_correctly", routed, "agent: questions routed to their tool")
results.estimate("agent_cites_gold", [float(bool(set(r.source_ids) & set(q["gold_doc_ids"]))) for r, q in zip(replies, asked)], "agent: answers citing a gold document")
results.estimate("agent_correct", [float(answer_matches(r.reply, q["answer"])) for r, q in zip(replies, asked)], "agent: correct answers")
results.claim("agent_routes_to_the_right_tool", stats.mean_ci(routed),
              "The agent sends at least 80% of held-out HR and IT questions to the right tool", expected="higher", threshold=0.8)
results.report("agent_seconds_per_question", statistics.median(r.seconds for r in replies), "agent: median seconds per question, one at a time", unit="s")

# %% [markdown]
# ## 11. When to use which, derived from the table
# Each need is decided by one column of the table above: the approach ranked first on it, with its number and the
# runner-up's; a tie goes to the more accurate approach, then to the one that needed less compute. Needs that only make
# sense for an approach that answers at all (labels, speed, compute, style) only rank approaches that answered some
# questions. The code below writes the guide; nothing in it is typed by hand.

# %%
guide = assistant.when_to_use(table)
for row in guide:
    results.report(f"guide_{row['key']}", row["use"], f"if you need {row['if you need']}, use")
pd.set_option("display.max_colwidth", 80)
pd.DataFrame(guide).drop(columns="key")

# %% [markdown]
# Read the guide against the guide. Retrieval is what answers private and fresh questions and what makes answers
# traceable, and it needs little or no labelled data. Training changes behaviour rather than knowledge: the LoRA adapter
# learned no policy (its examples came from training questions, and the fresh policy is new to it), it learned to read
# retrieved sentences and copy the answer out, which only matters once retrieval has put the facts in the prompt; section
# 5's `lora_helps_rag` verdict says whether that bought measurably more right answers here. Pre-training and continued pre-training answer nothing
# about a company's own documents by themselves; they look affordable here only because the course's GPT is tiny
# (section 3 printed notebook 01's estimate for a real model). The guide ranks by point estimates; where section 5's
# verdicts say two approaches are not measurably apart, the table does not tell them apart: measure on more questions,
# or on your own, before choosing.
#
# ## 12. Exercises
# Each exercise states its signature. Replace the placeholder, run the cell, and read the checker's verdict.
#
# **Exercise 1 (easy).** Write `pick_best(table: dict[str, dict[str, float]], column: str, higher_is_better: bool = True) -> str`
# returning the name of the approach whose value in `column` is best (highest, or lowest when `higher_is_better` is
# False); on a tie, the approach that comes first in the table.

# %%
from course_utils.exercises import check_pick_best


def pick_best(table: dict[str, dict[str, float]], column: str, higher_is_better: bool = True) -> str:
    raise NotImplementedError  # <- your code here


check_pick_best(pick_best);

# %% [markdown]
# **Exercise 2 (medium).** Write the vote of the example router: `knn_route(similarities: list[float], labels: list[str], k: int) -> str`
# returns the most frequent label among the `k` examples with the highest similarity; when several labels tie, the one
# among them whose example is the most similar.

# %%
from course_utils.exercises import check_knn_route


def knn_route(similarities: list[float], labels: list[str], k: int) -> str:
    raise NotImplementedError  # <- your code here


check_knn_route(knn_route);

# %% [markdown]
# **Exercise 3 (stretch).** Freshness without retraining: write `add_document(vector_index, embedder, doc_id: str, text: str)`
# returning a *new* `VectorIndex` that holds every document of `vector_index` plus the new one, embedded with `embedder`,
# and leaves `vector_index` unchanged. Hints: `course_utils.retrieval.embed_texts` and `index_from_vectors`; a flat faiss
# index gives its stored vectors back with `vector_index.index.reconstruct_n(0, len(vector_index))`.

# %%
from course_utils.exercises import check_add_document


def add_document(vector_index, embedder, doc_id: str, text: str):
    raise NotImplementedError  # <- your code here


check_add_document(add_document, indexes[base_embedder.course_name], base_embedder);

# %% [markdown]
# **Exercise 4 (experiment).** Change one parameter of the "RAG + tuned embedder" approach and predict its effect before
# you run it: the number of sentences its retriever puts in the prompt, for example (`dataclasses.replace(tuned_rag,
# n_sentences=...)`, then `dataclasses.replace(approaches[4], name=..., retriever=...)`). Answer a slice of the held-out
# questions as section 5 does: `assistant.answer_questions(my_approach, questions[:30], max_new_tokens=reply_budget)`;
# the checker compares them with the same questions of section 5's run. First set `PREDICTION` to `"up"` or `"down"`,
# the way you expect the accuracy to move, and write your reason in the cell below. The checker prints the difference
# with its 95% interval and the prompt length of each; a wrong prediction still passes.
#
# *My prediction:* I expect the accuracy to go ... because ...

# %%
from course_utils.exercises import check_rag_experiment

PREDICTION = None  # "up" or "down": your approach's accuracy against "RAG + tuned embedder"
my_run = None  # <- assistant.answer_questions(my_approach, questions[:30], max_new_tokens=reply_budget)

check_rag_experiment(PREDICTION, my_run, runs["RAG + tuned embedder"]);

# %% [markdown]
# ## 13. Summary
# The numbers this run measured (also saved to the cache, where the tests and the README read them):

# %%
from IPython.display import Markdown

Markdown(results.table())

# %% [markdown]
# **What to remember**
# - Compare approaches the way this notebook does: one held-out question set, one scorer, and the costs next to the
#   scores. A table of measured pros and cons beats a table of adjectives.
# - Private and fresh facts come from retrieval, not from training: every approach that does not retrieve fails on them,
#   and adding a document to an index is one embedding, not a training run. Retrieval also makes answers traceable.
# - Fine-tuning (of the model or of the embedder) can only change *how* the system retrieves or answers, on top of
#   retrieval, and it needs labelled examples; section 5's verdicts say which of the two paid off here. Pre-training and continued pre-training are the most expensive rows and
#   answer nothing about your documents by themselves.
# - A prompt is chosen per model and on validation data (notebook 06), then kept fixed for the test.
# - An agent's router is a convenience; access control lives inside each tool's search, before ranking.
# - Start from a chat model with a good prompt and RAG; add an adapter or a tuned embedder where the table shows a need.
#
# ## Troubleshooting
# - **`FileNotFoundError: This notebook reads numbers recorded by earlier notebooks`:** notebooks 01, 05 and 06 record
#   numbers this one reads (a cost estimate, training seconds, the chosen prompts); an artifact can be rebuilt, a recorded
#   number cannot. Run the notebooks the message names, then rerun this one.
# - **The first cell of section 2 takes minutes:** an earlier artifact was missing and is being rebuilt with its
#   notebook's recipe (the log line says which). It is cached afterwards.
# - **`EmbedderMismatchError`:** an index was queried with another embedder than the one that built it; rebuild it with
#   `rag.ensure_handbook_index(embedder)`.
# - **Answers differ a little from the committed outputs:** CPU kernels and library versions change the last digits of
#   the logits; with a few dozen questions one changed answer moves an accuracy visibly. The tests check ranges.
# - **Out of memory:** two copies of SmolLM2 (plain and with the adapter) are loaded; close other notebooks' kernels.
# - **Very slow generation while something else runs:** set `OMP_WAIT_POLICY=PASSIVE` before starting Jupyter, or
#   close the other program.
#
# ## Further reading
# - The course's guide to the six approaches, [APPROACHES.md](../APPROACHES.md): its pros and cons, and its outlook.
# - Ovadia et al., *Fine-Tuning or Retrieval? Comparing Knowledge Injection in LLMs* (2023).
# - Zhang et al., *RAFT: Adapting Language Model to Domain Specific RAG* (2024): fine-tuning a model to answer from retrieved documents.
# - Balaguer et al., *RAG vs Fine-tuning: Pipelines, Tradeoffs, and a Case Study on Agriculture* (2024).
# - Yao et al., *ReAct: Synergizing Reasoning and Acting in Language Models* (2023), and Schick et al., *Toolformer* (2023), on tool-using agents.
# - The OWASP Top 10 for LLM applications, on access control and untrusted retrieved text.
