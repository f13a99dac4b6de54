# %% [markdown]
# # 03 · Instruction fine-tuning: teaching a model to answer
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/notebooks/03_instruction_finetuning.ipynb)
#
# Notebook 02 ended with a model that knows the documentation's language but only completes text. Instruction
# fine-tuning (IFT) teaches a task from labelled examples: here, 1,500 instruction/response pairs built from the course's
# real corpora. All five task families read the same kind of passage, the opening of a paragraph from an Austen novel or
# from the SQLite documentation, and only the instruction says what to report: where the passage comes from, whether it
# is short or long, and whether it contains a number in digits, a question or quotation marks. Each answer is one of two
# words, so guessing scores 0.50. These are tasks a model of this size can learn: it learns to *judge* a passage within
# minutes, while copying tasks (repeat the first sentence, give the title) stayed near zero when we tried them. The guide
# calls IFT fast and cheap, but warns that it needs labelled data, that the order of CPT and IFT matters, and that it can
# erode general abilities. Each of those is measured below, first on the course's tiny model, then with the same `peft`
# API on a real pretrained chat model.
#
# **Objectives** — after this notebook you can:
# - format instructions as chats with a template and special tokens, and mask the prompt out of the loss;
# - run full fine-tuning and LoRA (`peft`) and compare trainable parameters, time and score;
# - score instruction following automatically (exact match against chance, stopping on time) with greedy decoding, per task;
# - measure why the guide says CPT first, then IFT, and what IFT costs in general ability (perplexity and a general task) and
#   how to limit it;
# - do the same run with TRL's `SFTTrainer`, and train, load and merge a LoRA adapter that teaches SmolLM2-135M-Instruct to
#   answer from retrieved sources (or say they do not answer), measured on over a hundred held-out questions.
#
# **Prerequisites:** notebook 02's CPT checkpoint (rebuilt with notebooks 01-02's recipes if missing, which adds their
# training runs), and what `make setup` prepares: the tiny model instruction-tuned for the full recipe, its twin with
# general text mixed in, and the answer-from-sources adapter (each is trained here first if it is missing: minutes on a CPU).
#
# **Expected runtime:** the README's [measured runtime table](../README.md#measured-runtime) gives this notebook's wall
# time and peak memory on a 2-core CPU (its budget is 4 minutes: six short training runs). No GPU time has been measured.

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
results = NotebookResults("03_instruction_finetuning")

# %% [markdown]
# ## 1. Instructions as chats
# A chat template turns a conversation into one string with role markers. Our tokenizer reserved `<|user|>` and
# `<|assistant|>` back in notebook 01, so they are single tokens the model can learn; `<|endoftext|>` ends the answer.

# %%
from course_utils import data
from course_utils.finetuning import add_chat_template, user_content
from course_utils.recipes import IFT, ensure_cpt

cpt_model, tokenizer = ensure_cpt()
add_chat_template(tokenizer)
record = data.load_instructions("train", task="source")[0]
chat = [{"role": "user", "content": user_content(record)}, {"role": "assistant", "content": record["output"]}]
print(tokenizer.apply_chat_template(chat, tokenize=False))

# %% [markdown]
# ## 2. Loss masking, token by token
# The model should learn to produce answers, not to predict the user's question. So the labels of the prompt tokens are
# set to -100, which the cross-entropy loss skips; only the assistant's tokens (and the closing `<|endoftext|>`) are scored.

# %%
import pandas as pd
from course_utils.finetuning import tokenize_example

example = tokenize_example(tokenizer, data.load_instructions("train", task="digit")[1], IFT.max_length)
tokens = tokenizer.convert_ids_to_tokens(example["input_ids"])
table = pd.DataFrame({"token": tokens, "label": ["masked" if label == -100 else label for label in example["labels"]]})
display(table.tail(14).T)
print(f"{sum(label != -100 for label in example['labels'])} of {len(tokens)} tokens are scored")

# %% [markdown]
# ## 3. The score before fine-tuning
# Every model in this notebook answers the same held-out test instructions, greedily: all of them, 100 per task family,
# cut from documents that no training example comes from. An answer scores 1 when it is exactly the reference word. The
# overall score is the mean over task families; "stops" is how often the model ends its answer by itself.

# %%
from course_utils.finetuning import instruction_score
from course_utils.recipes import instruction_eval_set

eval_set = instruction_eval_set()
TASKS = list(dict.fromkeys(record["task"] for record in eval_set))
scores = {"CPT model (no IFT)": instruction_score(cpt_model, tokenizer, eval_set, IFT.max_new_tokens)}
results.report("base_score", scores["CPT model (no IFT)"].overall, f"instruction score before IFT ({len(eval_set)} test instructions, {len(TASKS)} task families)")
results.report("base_stops", scores["CPT model (no IFT)"].stops, "answers that stop by themselves, before IFT")

# %% [markdown]
# ## 4. Full fine-tuning, prompt masked
# All parameters train. `run_ift` is HF `Trainer` with a collator that pads inputs and pads labels with -100. The live run
# below is a short version of the recipe (`LIVE`: the same data, peak learning rate, batch and seed, a tenth of the
# steps, so its cosine learning-rate schedule decays ten times sooner).

# %%
import copy
from course_utils.finetuning import training_state_bytes
from course_utils.models import count_parameters
from course_utils.recipes import ift_examples, live_recipe, run_ift

LIVE = live_recipe(IFT)
examples = ift_examples(tokenizer, IFT)
ift_model = copy.deepcopy(cpt_model)
runs = {"full, masked": run_ift(ift_model, tokenizer, examples, LIVE, run_name="03_full")}
scores["full, masked"] = instruction_score(ift_model, tokenizer, eval_set, IFT.max_new_tokens)
results.report("live_ift_score", scores["full, masked"].overall, f"instruction score after the live run ({LIVE.num_steps} steps)")
results.report("full_trainable", count_parameters(ift_model, trainable_only=True), "trainable parameters, full fine-tuning")

# %% [markdown]
# A hundred steps are only the start. `make setup` ran the same recipe once for the full `IFT.num_steps` steps
# and cached the model with what the run measured (its seconds and loss curve); `ensure_ift()` loads it, or trains it
# now if it is missing or was made by another recipe or another version of the dataset (the next cell prints how long
# the prepared run took).

# %%
from course_utils.models import checkpoint_metadata
from course_utils.plots import plot_loss_curves
from course_utils.recipes import ensure_ift

prepared_model, _ = ensure_ift()
prepared_ift = checkpoint_metadata("03_ift")
scores["full, prepared"] = instruction_score(prepared_model, tokenizer, eval_set, IFT.max_new_tokens)
results.report("prepared_ift_seconds", prepared_ift["seconds"], f"training time of the prepared run ({IFT.num_steps} steps, measured when make setup ran it)", unit="s")
results.report("ift_score", scores["full, prepared"].overall, f"instruction score after the prepared run ({IFT.num_steps} steps)")
results.report("ift_stops", scores["full, prepared"].stops, "answers that stop by themselves, after the prepared run")
live_curve = (runs["full, masked"].steps, runs["full, masked"].train_loss)
prepared_curve = tuple(zip(*prepared_ift["loss_curve"]))
plot_loss_curves({f"prepared ({IFT.num_steps} steps)": prepared_curve, f"live ({LIVE.num_steps} steps)": live_curve},
                 title="The same recipe for a tenth of the steps, and in full", ylabel="training loss on answer tokens (nats/token)");

# %% [markdown]
# Now the per-task table: the same 100 held-out instructions per family before IFT, after the live run and after the
# prepared run, each with its 95% interval. A family counts as **learned** when the prepared model's interval lies above
# chance (0.50): the CPT model's score of about zero says only that it never answers in the format, so beating it is
# not enough.

# %%
from course_utils import stats

def task_items(score, task):
    """The per-instruction scores of one task family, in eval_set order."""
    return [value for record, value in zip(eval_set, score.item_scores) if record["task"] == task]

per_task, learned = {}, []
for task in TASKS:
    task_claim = results.claim(f"ift_learns_{task}", stats.mean_ci(task_items(scores["full, prepared"], task)),
                               f"The prepared IFT model answers '{task}' above chance (0.50)", expected="higher", threshold=0.5)
    per_task[task] = {"before IFT": str(stats.mean_ci(task_items(scores["CPT model (no IFT)"], task))),
                      f"live run ({LIVE.num_steps} steps)": str(stats.mean_ci(task_items(scores["full, masked"], task))),
                      f"prepared run ({IFT.num_steps} steps)": str(task_claim.effect), "above chance": task_claim.verdict}
    learned += [task] if task_claim.supported else []
results.report("ift_tasks_learned", len(learned), f"task families the prepared run learned above chance (of {len(TASKS)})")
ift_claim = results.claim("ift_raises_instruction_score", stats.paired_difference(scores["full, prepared"].item_scores, scores["CPT model (no IFT)"].item_scores, "IFT", "CPT model"),
                          "IFT raises the instruction score over the CPT model (all tasks)", expected="higher")
pd.DataFrame(per_task).T

# %%
for record, answer in list(zip(eval_set, scores["full, prepared"].answers))[:: len(eval_set) // len(TASKS)]:
    print(f"[{record['task']}] {record['input'][:60]!r}...\n{'':>{len(record['task']) + 3}}reference: {record['output']!r}   model: {answer!r}")

# %% [markdown]
# Read the table row by row: which families the live run already answers, which ones only the longer run learned, and
# whether any stays at chance. IFT shapes *how* a model answers (format, task, stopping); it does not add facts, which
# is what CPT (notebook 02) or retrieval (notebook 04) are for.
#
# ## 5. Does masking matter?
# The same live run with labels on every token, prompt included:

# %%
unmasked_model = copy.deepcopy(cpt_model)
runs["full, unmasked"] = run_ift(unmasked_model, tokenizer, ift_examples(tokenizer, IFT, mask_prompt=False), LIVE, run_name="03_unmasked", disable_tqdm=True)
scores["full, unmasked"] = instruction_score(unmasked_model, tokenizer, eval_set, IFT.max_new_tokens)
results.report("unmasked_score", scores["full, unmasked"].overall, f"instruction score, prompt not masked ({LIVE.num_steps} steps)")
masking_claim = results.claim("masking_helps", stats.paired_difference(scores["full, masked"].item_scores, scores["full, unmasked"].item_scores, "masked", "unmasked"),
                              f"Masking the prompt raises the instruction score (same {LIVE.num_steps} steps)", expected="higher")

# %% [markdown]
# Without masking, most of each example's loss comes from the prompt (a 40-word passage against a one-word answer), so
# the same number of steps spends most of its gradient on predicting inputs rather than answers. The verdict above says
# whether that cost answers *here*, on 500 paired instructions.
#
# ## 6. LoRA: train under 5% of the parameters
# LoRA freezes the model and learns, for each chosen weight matrix W (d_in × d_out), a low-rank update B·A with
# A: r × d_in and B: d_out × r, so each adapted matrix adds r × (d_in + d_out) trainable parameters.

# %%
from course_utils.finetuning import lora_model, lora_parameter_formula

targets = ("c_attn", "c_proj", "c_fc")
lora = lora_model(copy.deepcopy(cpt_model), r=IFT.lora_r, target_modules=targets)
formula = lora_parameter_formula(cpt_model, targets, IFT.lora_r)
results.report("lora_trainable", count_parameters(lora, trainable_only=True), "trainable parameters, LoRA")
print(f"formula r x (d_in + d_out) over the adapted matrices: {formula:,}")
results.report("lora_fraction", count_parameters(lora, trainable_only=True) / count_parameters(lora), "LoRA's share of all parameters")

# %% [markdown]
# The adapters start at zero (B = 0) and move the model through a low-rank bottleneck, so a LoRA run needs its own
# settings: often a higher learning rate, here more steps. `lora_recipe(LIVE)` multiplies the live run's rate by
# `IFT.lora_lr_factor` and its steps by `IFT.lora_steps_factor`; both were chosen on the *validation* instructions (the
# comment in `course_utils/recipes.py` lists what was tried: higher rates scored lower here). Exercise 3 measures what
# LoRA does at full fine-tuning's own settings:

# %%
from course_utils.recipes import lora_recipe

LORA = lora_recipe(LIVE)
runs["LoRA, own recipe"] = run_ift(lora, tokenizer, examples, LORA, run_name="03_lora_tuned", disable_tqdm=True)
scores["LoRA, own recipe"] = instruction_score(lora, tokenizer, eval_set, IFT.max_new_tokens)
results.report("lora_score", scores["LoRA, own recipe"].overall, f"instruction score, LoRA at lr {LORA.lr:g} for {LORA.num_steps} steps")
lora_claim = results.claim("lora_close_to_full", stats.paired_difference(scores["LoRA, own recipe"].item_scores, scores["full, masked"].item_scores, "LoRA", "full"),
                           "LoRA with its own recipe scores the same as the live full fine-tuning run (within 0.1)", expected="equivalent", margin=0.1)


# %%
def side_by_side(name, recipe):
    """One column of the full-vs-LoRA table: parameters, memory by formula and measured, steps, time, score."""
    run = runs[name]
    n_trainable = count_parameters(ift_model if name.startswith("full") else lora, trainable_only=True)
    return {"trainable parameters": f"{n_trainable:,}", "training state by formula (MB)": round(training_state_bytes(n_trainable) / 1e6, 2),
            "optimizer state measured (MB)": round(run.optimizer_state_bytes / 1e6, 2), "peak RSS growth measured (MB)": round(run.peak_rss_growth_bytes / 1e6, 1),
            "steps": recipe.num_steps, "wall time (s)": round(run.seconds, 1), "instruction score": round(scores[name].overall, 3)}

# dtype=object keeps each row's own type: counts stay integers instead of becoming 1334016.00
comparison = pd.DataFrame({"full, masked": side_by_side("full, masked", LIVE), "LoRA, own recipe": side_by_side("LoRA, own recipe", LORA)}, dtype=object)
results.report("full_optimizer_state_mb", runs["full, masked"].optimizer_state_bytes / 1e6, "AdamW state measured, full fine-tuning", unit="MB")
results.report("lora_optimizer_state_mb", runs["LoRA, own recipe"].optimizer_state_bytes / 1e6, "AdamW state measured, LoRA", unit="MB")
comparison

# %% [markdown]
# The formula column counts fp32 gradients plus AdamW's two moments (12 bytes per trainable parameter); the measured
# optimizer state is the bytes AdamW actually holds after training (its two moments: 8 bytes per trainable parameter),
# and the RSS growth is what the process needed on top of the memory it already had while the run trained (activations
# included, so it is noisier). The weights are the same for both. On a tiny model LoRA does not save time: the frozen
# forward and backward passes still run, and the tuned LoRA run takes more steps (the next line prints the measured
# ratio). On a 7B model the optimizer-state difference is what lets fine-tuning fit on one GPU.

# %%
print(f"LoRA's wall time: {runs['LoRA, own recipe'].seconds / runs['full, masked'].seconds:.1f}x full fine-tuning's, "
      f"for {LORA.num_steps / LIVE.num_steps:.0f}x the steps")

# %% [markdown]
# ## 7. The order matters: CPT then IFT, or IFT then CPT?
# The guide recommends CPT first, then IFT, and warns that the reverse order may make the model forget its
# instructions. A real pipeline meets the reverse order when new documents arrive after a model was instruction-tuned
# and the obvious move is to continue pre-training on them. We test it: take the prepared model (CPT, then IFT),
# continue pre-training it on notebook 02's domain documents for a quarter of notebook 02's steps, and score it again on
# the task families it had learned (section 4), since a family it never learned cannot be forgotten.

# %%
import dataclasses
from course_utils.recipes import CPT, PRETRAIN, continue_pretraining, domain_texts, to_blocks

order_tasks = learned or TASKS  # if nothing was learned, every family (the verdict will say there is nothing to lose)

def on_tasks(score, tasks):
    """The per-instruction scores of the given task families, in eval_set order."""
    return [value for record, value in zip(eval_set, score.item_scores) if record["task"] in tasks]

cpt_after_ift_model = copy.deepcopy(prepared_model)
domain_train_blocks, domain_val_blocks = to_blocks(tokenizer, *domain_texts(CPT), PRETRAIN.model.context_length, CPT.n_eval_blocks)
short_cpt = dataclasses.replace(CPT, num_steps=CPT.num_steps // 4)  # a quarter is already enough to forget, and saves time
continue_pretraining(cpt_after_ift_model, domain_train_blocks, {"domain": domain_val_blocks}, short_cpt, run_name="03_then_cpt", disable_tqdm=True)
scores["IFT, then CPT"] = instruction_score(cpt_after_ift_model, tokenizer, eval_set, IFT.max_new_tokens)
print(f"scored on the learned task families: {order_tasks} ({len(on_tasks(scores['IFT, then CPT'], order_tasks))} instructions)")
cpt_then_ift = results.estimate("cpt_then_ift_score", on_tasks(scores["full, prepared"], order_tasks), "instruction score on the learned families, CPT then IFT (prepared)")
ift_then_cpt = results.estimate("ift_then_cpt_score", on_tasks(scores["IFT, then CPT"], order_tasks), "instruction score on the learned families, after a quarter CPT run")
results.report("ift_then_cpt_stops", scores["IFT, then CPT"].stops, "answers that stop by themselves, after that CPT run")
order_claim = results.claim("cpt_then_ift_beats_ift_then_cpt",
                            stats.paired_difference(on_tasks(scores["full, prepared"], order_tasks), on_tasks(scores["IFT, then CPT"], order_tasks), "CPT, then IFT", "IFT, then CPT"),
                            "IFT last keeps the instruction score that CPT after IFT loses (learned families)", expected="higher")

# %%
from course_utils.plots import plot_bars

order = {"CPT model (no IFT)": stats.mean_ci(on_tasks(scores["CPT model (no IFT)"], order_tasks)).value, "CPT, then IFT": cpt_then_ift.value, "CPT, IFT, then CPT again": ift_then_cpt.value}
plot_bars(order, title=order_claim.sentence("IFT last keeps the instructions; CPT after IFT erases them", "CPT after IFT scores higher", "No measurable order effect"),
          ylabel="score on the learned families (0-1)", highlight="CPT, then IFT" if order_claim.supported else None);

# %% [markdown]
# CPT is plain next-token training on documents that contain no `<|assistant|>` turns, so nothing keeps the answering
# behaviour alive: it is overwritten like Austen was in notebook 02. The "stops" line above shows the first thing to go,
# the habit of ending the answer.
#
# The two IFT claims, "IFT raises the score" (section 4) and "CPT after IFT loses it" (this section), rest on one run
# of each recipe, seeded 0. `make seeds` re-ran the prepared recipe and this section's quarter CPT run with other seeds
# (the order of the training examples changes; the model they start from and the held-out instructions do not) and
# recorded each claim's effect per seed. The next cell prints them, how many seeds point the claimed way, the mean with
# a 95% t interval across the seeds, and the verdict on that interval: a recipe whose effect swings from seed to seed
# needs more seeds before "it works" is a property of the recipe rather than of one run.

# %%
from course_utils.results import print_seed_spread

seed_verdicts = print_seed_spread("03_instruction_finetuning", this_run=results)

# %% [markdown]
# ## 8. IFT's cost to general ability, and the fix
# The guide: IFT may reduce general capabilities, so include general examples in training and evaluation. We measure
# general ability two ways, before and after IFT: Austen **perplexity** on held-out chapters, and a general **task**, where
# the model reads the opening of a held-out Austen passage and must find its true continuation more probable than the
# same words in shuffled order (`evaluation.continuation_choices`; chance 0.50). The task asks only whether the model
# still knows how English goes, not how well it predicts every token. Then the fix: `make setup` also ran the prepared recipe with plain Austen
# blocks making up `IFT.general_mix_fraction` of the data (`ensure_ift_general_mix()`), scored on every token, while the
# instructions keep their masked prompts. The same number of steps now spends part of its gradient on Austen, so the mix
# may cost instruction score: the trade-off is measured in both directions.

# %%
from course_utils.evaluation import block_losses, continuation_choice_scores, continuation_choices, perplexity
from course_utils.recipes import ensure_ift_general_mix, general_texts

mixed_model, _ = ensure_ift_general_mix()
scores["prepared, with general mix"] = instruction_score(mixed_model, tokenizer, eval_set, IFT.max_new_tokens)
_, general_val_blocks = to_blocks(tokenizer, *general_texts(PRETRAIN), PRETRAIN.model.context_length, PRETRAIN.n_eval_blocks)
general_task = continuation_choices(general_val_blocks)
general = {}
for name, model in (("CPT model", cpt_model), ("IFT", prepared_model), ("IFT + general mix", mixed_model)):
    general[name] = {"losses": block_losses(model, general_val_blocks), "task": continuation_choice_scores(model, general_task), "ppl": perplexity(model, general_val_blocks)}
results.report("general_ppl_before_ift", general["CPT model"]["ppl"], "general perplexity of the CPT model")
results.report("general_ppl_after_ift", general["IFT"]["ppl"], "general perplexity after IFT")
results.report("general_ppl_mixed_ift", general["IFT + general mix"]["ppl"], f"general perplexity after IFT with {IFT.general_mix_fraction:.0%} general text")
for name, key in (("CPT model", "before_ift"), ("IFT", "after_ift"), ("IFT + general mix", "mixed_ift")):
    results.estimate(f"general_task_{key}", general[name]["task"], f"general task (true word order preferred to shuffled), {name}")
mixed_score = results.estimate("mixed_score", scores["prepared, with general mix"].item_scores, "instruction score with the general mix (all test instructions)")

# %%
results.claim("ift_raises_general_loss", stats.paired_difference(general["IFT"]["losses"], general["CPT model"]["losses"], "IFT", "CPT model"),
              "IFT raises general (Austen) loss, i.e. costs general ability (nats/token)", expected="higher")
results.claim("ift_lowers_general_task_score", stats.paired_difference(general["IFT"]["task"], general["CPT model"]["task"], "IFT", "CPT model"),
              "IFT lowers the general task score", expected="lower")
results.claim("general_mix_lowers_general_loss", stats.paired_difference(general["IFT + general mix"]["losses"], general["IFT"]["losses"], "with mix", "without"),
              "Mixing general text into IFT lowers general loss (nats/token)", expected="lower")
results.claim("general_mix_raises_general_task_score", stats.paired_difference(general["IFT + general mix"]["task"], general["IFT"]["task"], "with mix", "without"),
              "Mixing general text into IFT raises the general task score", expected="higher")
mix_cost = results.claim("general_mix_costs_instruction_score",
                         stats.paired_difference(scores["prepared, with general mix"].item_scores, scores["full, prepared"].item_scores, "with mix", "without"),
                         "Mixing general text into IFT lowers the instruction score (same steps)", expected="lower")

# %% [markdown]
# Read the five verdicts together. The first two say whether IFT cost general ability here, by perplexity and by the
# task; the next two what the mix bought back; the last what it cost on instructions. Perplexity and the task need not
# agree: perplexity averages every token, while the task asks only whether the true order is more probable than a
# shuffled one, so a model can lose much perplexity and still choose well, and only a deeper loss shows in the task.
# Our IFT data holds novel passages only as masked inputs: nothing in a long IFT run asks the model to keep predicting
# Austen, and the mixed-in blocks are the only part of the data that does.

# %% [markdown]
# ## 9. The production path: TRL's `SFTTrainer`
# Everything in sections 2-4 (chat formatting, masking the prompt, padding, the training loop) is what TRL's
# `SFTTrainer` does for a prompt/completion dataset with `completion_only_loss=True`. Same data, same steps, same model as
# section 4's live run:

# %%
from course_utils.finetuning import trl_sft

trl_model = copy.deepcopy(cpt_model)
trl_sft(trl_model, tokenizer, data.load_instructions("train"), num_steps=LIVE.num_steps, run_name="03_trl", max_length=IFT.max_length,
        per_device_train_batch_size=IFT.batch_size, learning_rate=IFT.lr, warmup_steps=5, seed=IFT.seed, disable_tqdm=True)
scores["TRL SFTTrainer"] = instruction_score(trl_model, tokenizer, eval_set, IFT.max_new_tokens)
results.report("trl_score", scores["TRL SFTTrainer"].overall, "instruction score, TRL SFTTrainer")
trl_claim = results.claim("trl_matches_hand_assembled", stats.paired_difference(scores["TRL SFTTrainer"].item_scores, scores["full, masked"].item_scores, "TRL", "hand-assembled"),
                          "TRL's SFTTrainer scores the same as the hand-assembled live run (within 0.1)", expected="equivalent", margin=0.1)

# %% [markdown]
# `trl_sft` builds an `SFTConfig` with the course defaults. On a CPU, set `bf16=False` and leave gradient checkpointing
# off explicitly: SFTConfig turns both on by default, and on a CPU without native bf16 the
# arithmetic is emulated, so bf16 training runs much slower than fp32 (try it: pass `bf16=True` to `trl_sft`).
#
# ## 10. The same `peft` API on a real model: an answer-from-sources adapter for SmolLM2
# Notebooks 04-07 all pass through one step: a chat model reads the sentences retrieval found and answers from them.
# The shipped SmolLM2-135M-Instruct often loses the answer there ("The answer to this question is:" and the reply stops),
# so we teach it the step with LoRA. The recipe (`course_utils.answering`) builds its examples mechanically from
# *training* splits only, and only from documents every role may see (an adapter trained on confidential text could
# repeat it to anyone): each training question of the handbook, the documentation FAQ and the documentation questions
# becomes the sentence that holds its answer among 0-2 distracting sentences, with the short reference answer as the
# reply; for some questions, a second example shows only sentences of the nearest document that does *not* hold the
# answer, and the reply is the fixed "Not in the sources." LoRA rank 16 on every linear layer, loss on the reply only.
#
# The full run takes minutes on a CPU, so the one-time preparation (`make setup`) ran it and cached the adapter with
# what it measured. Here we run the same code for a few steps, then load the prepared adapter.

# %%
from course_utils import answering
from course_utils.costs import training_flops
from course_utils.plots import plot_lines
from course_utils.pretrained import load_chat_model

print(answering.ANSWER_ADAPTER)
prepared_dir = answering.ensure_answer_adapter()  # made by `make setup`; trained here with the same recipe if missing (minutes)
prepared = answering.adapter_metadata(prepared_dir)
reader_examples = answering.prepared_examples(prepared_dir)
print(f"{prepared['examples']} examples {prepared['examples_by_source']}, {prepared['abstention_examples']} of them 'Not in the sources.'")
for example in (reader_examples[0], next(e for e in reader_examples if e["answer"] == answering.NOT_IN_SOURCES)):
    print(f"\nQ: {example['question']}\nsources: {example['passages']}\nreply: {example['answer']!r}")

# %%
smol, smol_tokenizer = load_chat_model(device="cpu")
n_smol = count_parameters(smol)  # before LoRA wraps it
# The same recipe, one example per forward pass: gradients still add up to batches of 8, and the peak memory fits this
# notebook's budget (the prepared run used 4 per pass).
adapter_live = dataclasses.replace(answering.ANSWER_ADAPTER, micro_batch_size=1)
live_lora, live_run = answering.train_answer_adapter(smol, smol_tokenizer, reader_examples, adapter_live, num_steps=adapter_live.live_steps)
live_seconds_per_step = live_run.seconds / adapter_live.live_steps
prepared_seconds_per_step = prepared["seconds"] / prepared["recipe"]["num_steps"]
results.report("answer_adapter_live_seconds_per_step", live_seconds_per_step, "answer adapter, seconds per step in this live run", unit="s")
results.report("answer_adapter_prepared_seconds", prepared["seconds"], f"answer adapter, the prepared run ({prepared['recipe']['num_steps']} steps)", unit="s")
results.report("answer_adapter_prepared_flops", training_flops(n_smol, prepared["tokens_seen"]), "answer adapter, the prepared run's compute (6ND)", unit="FLOPs")
print(f"live: {live_seconds_per_step:.1f} s per step; the prepared run: {prepared_seconds_per_step:.1f} s per step")
plot_lines({"prepared run (make setup)": (prepared["steps"], prepared["train_loss"]), "this live run": (live_run.steps, live_run.train_loss)},
           title="The answer adapter's training loss (reply tokens only)", xlabel="step", ylabel="loss");

# %% [markdown]
# The live run is the first few steps of the same loop (the same examples, seed and settings). Now the prepared adapter
# against the model without it, on every held-out handbook question whose answer sits in one sentence (validation and
# test), with that sentence given as the only source: this isolates the reading step from retrieval. Both models get the
# same prompt; replies may run to the longest reference answer's length plus slack, so a right reply is never cut.

# %%
from course_utils import stats

answer_model, answer_tokenizer = answering.load_answer_model(device="cpu")
base_model, _ = load_chat_model(device="cpu")
given = answering.sentence_given_set()
budget = answering.reply_token_budget(smol_tokenizer, [q["answer"] for q, _ in given])
sentence_replies = {
    name: answering.read_replies(model, smol_tokenizer, [q["question"] for q, _ in given], [[passage] for _, passage in given], budget)
    for name, model in {"SmolLM2": base_model, "SmolLM2 + answer adapter": answer_model}.items()
}
sentence_scores = {name: [answering.reply_score(r, q["answer"]) for r, (q, _) in zip(replies, given)] for name, replies in sentence_replies.items()}
results.estimate("sentence_given_base", sentence_scores["SmolLM2"], "SmolLM2 without adapter, answer sentence given")
adapter_accuracy = results.estimate("sentence_given_adapter", sentence_scores["SmolLM2 + answer adapter"], "SmolLM2 + answer adapter, answer sentence given")
adapter_claim = results.claim("answer_adapter_beats_base", stats.paired_difference(sentence_scores["SmolLM2 + answer adapter"], sentence_scores["SmolLM2"], "adapter", "base"),
                              "The answer adapter answers more held-out questions from the given sentence than SmolLM2 without it")
target_claim = results.claim("answer_adapter_reaches_target", adapter_accuracy, "With the answer sentence given, the adapter answers at least 80% of held-out questions",
                             expected="higher", threshold=0.8)
print(target_claim.sentence("The adapter reaches the 0.80 target.", "The adapter falls short of the 0.80 target.", "This sample cannot tell whether the adapter reaches 0.80."))
for (question, passage), old, new in list(zip(given, *sentence_replies.values()))[:3]:
    print(f"\n{question['question']}  (reference: {question['answer']!r})\n  without adapter: {old!r}\n  with adapter:    {new!r}")

# %% [markdown]
# The verdicts say where this recipe stops. `benchmarks/ANSWER_ADAPTER.md` records what else was tried: it trains each
# recipe (this one, twice the steps, half the abstention examples) on this kind of CPU, times it, and scores it on the
# *validation* questions only, so choosing among recipes never reads the test questions. Read its table before changing
# the recipe, and measure a new one the same way (`python benchmarks/bench_answer_adapter.py`).

# %% [markdown]
# An adapter is a few megabytes beside a model of hundreds: ship it separately, or merge it into the weights for deployment
# (`load_answer_model` merges it; a merged model answers exactly as the adapter does, at the plain model's speed).

# %%
print(f"adapter size: {sum(f.stat().st_size for f in prepared_dir.glob('adapter_*')) / 1e6:.1f} MB; trainable parameters: "
      f"{prepared['trainable_parameters'] / 1e6:.2f}M of {n_smol / 1e6:.0f}M")

# %% [markdown]
# ## 11. What notebooks 06-07 use
# The prepared model of section 4 (`ensure_ift()` loads it, or trains it with the recipe if the cache lacks it). Every
# model this notebook scored, on the same held-out instructions:

# %%
pd.DataFrame({name: {"score": round(s.overall, 3), "stops": round(s.stops, 2)} for name, s in scores.items()}).T

# %% [markdown]
# ## 12. Exercises
#
# **Exercise 1 (easy).** Write `mask_prompt_labels(input_ids: list[int], n_prompt_tokens: int) -> list[int]` returning the
# labels for one example: -100 for the prompt tokens, the token id everywhere else.

# %%
from course_utils.exercises import check_prompt_mask


def mask_prompt_labels(input_ids: list[int], n_prompt_tokens: int) -> list[int]:
    raise NotImplementedError  # <- your code here


check_prompt_mask(mask_prompt_labels);

# %% [markdown]
# **Exercise 2 (medium).** Write `lora_parameters(shapes: list[tuple[int, int]], r: int) -> int`: the trainable parameters
# LoRA adds for weight matrices of the given (d_in, d_out) shapes at rank r.

# %%
from course_utils.exercises import check_lora_parameters


def lora_parameters(shapes: list[tuple[int, int]], r: int) -> int:
    raise NotImplementedError  # <- your code here


check_lora_parameters(lora_parameters);

# %% [markdown]
# **Exercise 3 (medium).** Section 6 gave LoRA a higher learning rate and more steps. Measure why: write
# `lora_at_full_ft_settings()` that wraps a fresh copy of `cpt_model` with `lora_model` (rank `IFT.lora_r`, the same
# `targets`), trains it with `run_ift` and the live full fine-tuning run's own recipe `LIVE`, and returns it. Predict its
# score first. The check scores it against section 4's live full fine-tuning run (one more short training run).

# %%
from course_utils.exercises import check_lora_at_full_ft_settings


def lora_at_full_ft_settings():
    raise NotImplementedError  # <- your code here


check_lora_at_full_ft_settings(lora_at_full_ft_settings, tokenizer, eval_set, full_ft_score=scores["full, masked"].overall);

# %% [markdown]
# **Exercise 4 (stretch).** Write `format_chat(user_content: str, answer: str) -> str` that produces, by hand, exactly the
# string the tiny model's chat template makes for a one-turn conversation (user, then assistant).

# %%
from course_utils.exercises import check_chat_format


def format_chat(user_content: str, answer: str) -> str:
    raise NotImplementedError  # <- your code here


check_chat_format(format_chat, tokenizer);

# %% [markdown]
# **Exercise 5 (experiment).** Change one setting of section 4's full fine-tuning and predict its effect before you run
# it: the learning rate, for example (`recipe = dataclasses.replace(LIVE, lr=...)`), or another setting `run_ift` uses.
# Train a fresh copy of `cpt_model` with `run_ift(model, tokenizer, ift_examples(tokenizer, recipe), recipe, run_name="03_exercise")`
# and score it with `instruction_score(model, tokenizer, eval_set, IFT.max_new_tokens)`. First set `PREDICTION` to `"up"`
# or `"down"`, the way you expect the instruction score to move against section 4's run, and write your reason in the
# cell below. The checker re-scores both runs' answers on the same held-out instructions and prints the difference with
# its 95% interval; a wrong prediction still passes.
#
# *My prediction:* I expect the instruction score to go ... because ...

# %%
from course_utils.exercises import check_ift_experiment

PREDICTION = None  # "up" or "down": your run's instruction score against section 4's live run
ift_recipe = None  # <- dataclasses.replace(LIVE, <one setting>=...)
ift_history, ift_score = None, None  # <- your run: run_ift(...)'s TrainingHistory, and instruction_score(...) of the model it trained

check_ift_experiment(PREDICTION, ift_recipe, ift_history, ift_score, scores["full, masked"], eval_set);

# %% [markdown]
# ## 13. Summary
# What this run measured:

# %%
from IPython.display import Markdown

Markdown(results.table())

# %% [markdown]
# **What to remember**
# - IFT can teach behaviour (format, task, when to stop) from labelled examples, and it does not add knowledge. Choose tasks
#   the model can learn, train the recipe to convergence (prepare the long run once), and judge it per task against chance:
#   section 4's table says which families the tiny model learned.
# - Mask the prompt: the loss should reward answers, not predicting the question.
# - LoRA trains a small fraction of the parameters; it needs its own settings, chosen on validation data (here more steps
#   than full fine-tuning; Exercise 3), and section 6's verdict says how close it came. Its savings are memory, and they
#   grow with the model.
# - Order: the guide says CPT first, IFT last. Section 7 measured what a short CPT run after IFT does to the learned
#   families: read its verdict for seed 0 and its spread across seeds before relying on it.
# - Measure general ability before and after IFT, by perplexity and by a task: section 8's verdicts say what IFT cost
#   here, what mixing general text in bought back, and what the mix cost on instructions.
# - In practice, use TRL's `SFTTrainer` (with `bf16=False` on CPU) and `peft`; save adapters, merge them to deploy.
# - A LoRA adapter trained for minutes on examples built mechanically from your own training questions can teach a real
#   model one step of a pipeline (section 10: answer from sources, or say they do not answer); measure it on held-out
#   questions, and train it only on what every user may see.
#
# ## Troubleshooting
# - **The first cell takes minutes:** notebooks 01-02's checkpoints were missing and are being rebuilt (once).
# - **`IndexError: index out of range` in generation:** a prompt plus new tokens exceeded the tiny model's 128-token
#   context; `instruction_score` cuts inputs to fit, so call it rather than `model.generate` directly.
# - **SFTTrainer is extremely slow on CPU:** `bf16=True` or gradient checkpointing is on; `trl_sft` turns both off.
# - **"03_ift in the cache was trained with another recipe or dataset: training it again":** the recipe or
#   `datasets/instructions.jsonl` changed since `make setup`; the prepared model is retrained once, with the recipe.
# - **Scores differ slightly from the committed outputs:** training on another CPU can round differently; with 100 test
#   instructions per family one answer moves a family's score by 0.01, and the tests check directions and wide ranges.
#
# ## Further reading
# - Ouyang et al., *Training language models to follow instructions with human feedback* (2022) — IFT at scale.
# - Hu et al., *LoRA: Low-Rank Adaptation of Large Language Models* (2021), and the `peft` documentation.
# - Hugging Face *smol-course*, instruction tuning module — `SFTTrainer` on SmolLM2.
# - Luo et al., *An Empirical Study of Catastrophic Forgetting in LLMs During Continual Fine-tuning* (2023).
# - Next: **04 · RAG**, which gives a model knowledge at question time instead of training time.
