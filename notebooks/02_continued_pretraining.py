# %% [markdown]
# # 02 · Continued pre-training: new knowledge, and what it costs the old
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/notebooks/02_continued_pretraining.ipynb)
#
# Continued pre-training (CPT) keeps training an existing model on new, unlabelled text, here technical
# documentation (SQLite's manual and the Python FAQ), to extend what it knows. It needs no labels and is far cheaper than
# pre-training, but the guide warns of two costs: the model may lose some of what it knew, and the result still only
# *completes text*; it does not answer. This notebook measures both, and one standard mitigation: replaying some of the
# original data during CPT.
#
# **Objectives** — after this notebook you can:
# - continue pre-training a model on a domain corpus concatenated with an end-of-document separator;
# - measure domain and general perplexity before, during and after, and read the forgetting trade-off;
# - use replay (mixing general text into the CPT data) and choose a mixing ratio from a measured trade-off curve;
# - explain why a CPT model completes a question instead of answering it, and what that implies (notebook 03);
# - measure the cost of a tokenizer that was trained on other text.
#
# **Prerequisites:** notebook 01's checkpoint. If it is not in the cache, the first code cell rebuilds it with notebook
# 01's exact recipe (notebook 01's training run again).
#
# **Expected runtime:** the README's [measured runtime table](../README.md#measured-runtime) gives this notebook's wall
# time and peak memory on a 2-core CPU. No GPU time has been measured.
# Saves the CPT model to the cache for notebook 03.

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
results = NotebookResults("02_continued_pretraining")

# %% [markdown]
# ## 1. The starting point: notebook 01's model

# %%
from course_utils.recipes import CPT, PRETRAIN, ensure_pretrained, is_cached

print("notebook 01 checkpoint cached:", is_cached("01_pretrained"), "(otherwise it is rebuilt now)")
base_model, tokenizer = ensure_pretrained()
print(CPT)

# %% [markdown]
# ## 2. The domain corpus, and the tokenizer's blind spot
# The domain corpus is documentation: `SELECT`, `PRAGMA`, `__init__`, code and error codes, none of which Austen wrote.
# Our tokenizer's merges were learned on her novels, so it cuts technical words into many small pieces.

# %%
from course_utils.models import tokens_per_word
from course_utils.recipes import domain_texts, general_texts

domain_train, domain_val = domain_texts(CPT)
general_train, general_val = general_texts(PRETRAIN)
print(domain_train[0][:400])
print("\ntokens:", tokenizer.convert_ids_to_tokens(tokenizer("CREATE INDEX idx_users ON users(email) WHERE deleted IS NULL;")["input_ids"]))

# %%
tpw_general, tpw_domain = tokens_per_word(tokenizer, general_val), tokens_per_word(tokenizer, domain_val)
results.report("tokens_per_word_general", tpw_general, "tokens per word, Austen validation text")
results.report("tokens_per_word_domain", tpw_domain, "tokens per word, documentation validation text")
results.report("tokenizer_overhead", tpw_domain / tpw_general - 1, "extra tokens per word on the domain (fraction)")
print(f"A {PRETRAIN.model.context_length}-token context holds about {PRETRAIN.model.context_length / tpw_general:.0f} words of Austen "
      f"but only {PRETRAIN.model.context_length / tpw_domain:.0f} words of documentation.")

# %% [markdown]
# Every extra token per word is paid three times: CPT processes more tokens for the same text (compute ∝ tokens), the
# context window holds fewer words, and generation is slower per word. The vocabulary cannot be changed cheaply
# (notebook 01), which is why real domain models sometimes extend the tokenizer *before* CPT and pay for new embeddings.
#
# ## 3. Documents become one stream
# As the guide describes, CPT training files are concatenated with a separator token between documents, then cut into
# fixed-length blocks. The model learns that `<|endoftext|>` means "a new, unrelated document starts here".

# %%
from course_utils.recipes import to_blocks

domain_train_blocks, domain_val_blocks = to_blocks(tokenizer, domain_train, domain_val, PRETRAIN.model.context_length, CPT.n_eval_blocks)
general_train_blocks, general_val_blocks = to_blocks(tokenizer, general_train, general_val, PRETRAIN.model.context_length, PRETRAIN.n_eval_blocks)
stream = domain_train_blocks.flatten()
boundary = int((stream == tokenizer.eos_token_id).nonzero()[0])
print(repr(tokenizer.decode(stream[boundary - 12 : boundary + 12])))
print(f"{len(domain_train_blocks):,} domain training blocks; CPT reads {CPT.num_steps * CPT.batch_size:,} of them")

# %% [markdown]
# ## 4. Before CPT
# Perplexity on held-out documentation and on held-out Austen, the two numbers this notebook is about.

# %%
from course_utils.evaluation import perplexity

eval_sets = {"domain": domain_val_blocks, "general": general_val_blocks}
before = {name: perplexity(base_model, blocks) for name, blocks in eval_sets.items()}
results.report("domain_ppl_before", before["domain"], "domain perplexity before CPT")
results.report("general_ppl_before", before["general"], "general perplexity before CPT")

# %% [markdown]
# ## 5. Continued pre-training
# Same model, same loss, same `Trainer`; only the data changes. We train a copy on domain blocks alone and evaluate both
# sets every 50 steps.

# %%
import copy
from course_utils.recipes import continue_pretraining

cpt_model = copy.deepcopy(base_model)
history = continue_pretraining(cpt_model, domain_train_blocks, eval_sets, CPT, run_name="02_cpt")
after = {name: perplexity(cpt_model, blocks) for name, blocks in eval_sets.items()}
results.report("domain_ppl_after", after["domain"], "domain perplexity after CPT")
results.report("general_ppl_after", after["general"], "general perplexity after CPT (no replay)")
results.report("domain_ppl_drop", 1 - after["domain"] / before["domain"], "domain perplexity drop (fraction)")
results.report("general_ppl_rise", after["general"] / before["general"] - 1, "general perplexity rise (fraction)")
results.report("cpt_seconds", history.seconds, "CPT training time", unit="s")

# %% [markdown]
# Are these changes bigger than the noise? Each held-out block of 128 tokens is scored before and after CPT, so the
# comparison is *paired*: the effect is the mean change in loss (nats per token) over the same blocks, with a bootstrap
# 95% confidence interval, and the verdict is computed from that interval (`course_utils.stats`). Blocks cut from the
# same document are not independent, so read the interval as a lower bound on the true uncertainty.

# %%
from course_utils import stats
from course_utils.evaluation import block_losses

losses_before = {name: block_losses(base_model, blocks) for name, blocks in eval_sets.items()}
losses_after = {name: block_losses(cpt_model, blocks) for name, blocks in eval_sets.items()}
domain_claim = results.claim("cpt_lowers_domain_loss", stats.paired_difference(losses_after["domain"], losses_before["domain"], "after CPT", "before CPT"),
                             "CPT lowers the loss on held-out documentation (nats/token, after - before)", expected="lower")
general_claim = results.claim("cpt_raises_general_loss", stats.paired_difference(losses_after["general"], losses_before["general"], "after CPT", "before CPT"),
                              "CPT raises the loss on held-out Austen, i.e. forgetting (nats/token, after - before)", expected="higher")

# %%
import math
from course_utils.plots import plot_lines

title = "CPT: " + domain_claim.sentence("domain perplexity falls", "domain perplexity rises", "no clear change in domain perplexity") + "; " + \
        general_claim.sentence("general perplexity rises", "general perplexity falls", "no clear change in general perplexity")
curves = {f"{name} validation": (history.eval_steps, [math.exp(loss) for loss in losses]) for name, losses in history.eval_loss.items()}
plot_lines(curves, title=title, xlabel="CPT step", ylabel="perplexity (log scale)", logy=True);
print(general_claim.sentence(
    "Forgetting, measured: the model learned the domain and lost some of its grip on Austen at the same time.",
    "No forgetting here: general loss fell during CPT, the opposite of the usual finding.",
    "Forgetting is not measurable at this sample size."))

# %% [markdown]
# When general loss rises, this is **catastrophic forgetting**: nothing in the loss asks the model to keep predicting
# Austen well, so the weights move wherever the new data pulls them. The verdicts above say whether this run shows it.
#
# ## 6. A CPT model completes; it does not answer
# The guide's example: after CPT, the prompt "Tell me three principles important to Responsible AI" gets a likely
# *continuation*, not an answer. The same happens here. Decoding is greedy, so the output is repeatable, with repeated
# 3-grams banned, because a model this small otherwise loops on one phrase:

# %%
from course_utils.prompting import generate

for prompt in ("Tell me three principles important to Responsible AI.", "What is a primary key?"):
    print(f"PROMPT: {prompt}")
    print(f"  before CPT: {generate(base_model, tokenizer, prompt, max_new_tokens=30, no_repeat_ngram_size=3).text!r}")
    print(f"  after CPT:  {generate(cpt_model, tokenizer, prompt, max_new_tokens=30, no_repeat_ngram_size=3).text!r}")

# %% [markdown]
# Before CPT the model continues in Austen's voice; after CPT it continues with something shaped like the manuals
# (blank lines, table fragments, identifiers). Neither answers: nothing in next-token training on novels or manuals
# teaches "a question is followed by its answer". That behaviour comes from instruction fine-tuning, notebook
# 03, which is why the guide recommends CPT first and IFT after.
#
# ## 7. Mitigation: replay general text during CPT
# If forgetting happens because nothing asks the model to keep its old skill, mix some of the old data back in. We
# repeat CPT from the same starting model with a share of general blocks in the training mix (same number of steps), and
# plot where each run lands.

# %%
from course_utils.models import load_checkpoint
from course_utils.recipes import mix_replay

tradeoff = {"before CPT": (before["domain"], before["general"]), "0% replay": (after["domain"], after["general"])}
replay_losses = {}
for fraction in CPT.replay_fractions[1:]:
    model, _ = load_checkpoint("01_pretrained")
    mixed_blocks = mix_replay(domain_train_blocks, general_train_blocks, fraction, seed=CPT.seed)
    continue_pretraining(model, mixed_blocks, eval_sets, CPT, run_name=f"02_cpt_replay_{fraction:.2f}", disable_tqdm=True)
    replay_losses[fraction] = {name: block_losses(model, blocks) for name, blocks in eval_sets.items()}
    tradeoff[f"{fraction:.0%} replay"] = tuple(math.exp(sum(replay_losses[fraction][name]) / len(replay_losses[fraction][name])) for name in ("domain", "general"))
    results.report(f"general_ppl_replay_{int(fraction * 100)}", tradeoff[f"{fraction:.0%} replay"][1], f"general perplexity with {fraction:.0%} replay")
    results.report(f"domain_ppl_replay_{int(fraction * 100)}", tradeoff[f"{fraction:.0%} replay"][0], f"domain perplexity with {fraction:.0%} replay")

# %%
from course_utils.plots import plot_tradeoff

plot_tradeoff(tradeoff, title="Where each CPT run lands: domain against general perplexity",
              xlabel="domain perplexity (lower = knows the docs)", ylabel="general perplexity (lower = still knows Austen)",
              reference="before CPT");

# %% [markdown]
# Read the curve from right to left: CPT moves the model to the left (it learns the domain) and, without replay, up (it
# forgets). Replay spends some steps on general text: the two claims below measure what that buys (less forgetting) and
# what it costs (domain loss), block by block against the no-replay run, for the largest replay share.

# %%
most = max(replay_losses)
forgetting_claim = results.claim("replay_reduces_forgetting",
                                 stats.paired_difference(replay_losses[most]["general"], losses_after["general"], f"{most:.0%} replay", "no replay"),
                                 f"{most:.0%} replay lowers general loss against CPT without replay (nats/token)", expected="lower")
cost_claim = results.claim("replay_costs_domain_loss",
                           stats.paired_difference(replay_losses[most]["domain"], losses_after["domain"], f"{most:.0%} replay", "no replay"),
                           f"{most:.0%} replay raises domain loss against CPT without replay (nats/token)", expected="higher")
gain = [b - a for b, a in zip(losses_before["domain"], losses_after["domain"])]
kept = [b - r for b, r in zip(losses_before["domain"], replay_losses[most]["domain"])]
results.report("replay_domain_gain_kept", sum(kept) / sum(gain), f"share of CPT's domain loss reduction kept with {most:.0%} replay")

# %% [markdown]
# ### Do the four claims hold for other seeds?
# Every interval above covers the held-out blocks of *one* training run, seeded 0. A claim about a recipe should also
# survive another seed: another split of the documentation into training and held-out sections, another order of the
# training blocks, other Austen blocks in the replay. `make seeds` re-ran this notebook's CPT and 50% replay with seeds
# 0, 1 and 2 (minutes, so not live) and recorded each claim's effect per seed. The next cell prints them, their mean
# with a 95% t interval across the seeds (three seeds give a wide interval, honestly) and the verdict on that interval.

# %%
from course_utils.results import print_seed_spread

seed_verdicts = print_seed_spread("02_continued_pretraining", this_run=results)

# %% [markdown]
# Which point is right depends on what the model must still do, which is why you build evaluations for *both* the new
# domain and the old abilities.
#
# ## 8. Save for notebook 03
# The no-replay CPT model is the one notebook 03 instruction-tunes (`ensure_cpt()` rebuilds exactly this one).

# %%
from course_utils.models import save_checkpoint

print("saved to", save_checkpoint(cpt_model, tokenizer, "02_cpt", {"recipe": repr(CPT), "replay_fraction": 0.0, "seconds": history.seconds, "tokens_seen": history.tokens_seen}))

# %% [markdown]
# ## 9. Exercises
#
# **Exercise 1 (easy).** Write `words_per_context(tokenizer, texts: list[str], context_length: int) -> float`: how many
# words of these texts fit, on average, in one context window.

# %%
from course_utils.exercises import check_words_per_context


def words_per_context(tokenizer, texts: list[str], context_length: int) -> float:
    raise NotImplementedError  # <- your code here


check_words_per_context(words_per_context, tokenizer);

# %% [markdown]
# **Exercise 2 (medium).** Write `replay_blocks_needed(n_domain_blocks: int, replay_fraction: float) -> int`: how many
# general blocks to add so that `replay_fraction` of the *mixed* training data is general text (round to the nearest integer).

# %%
from course_utils.exercises import check_replay_blocks


def replay_blocks_needed(n_domain_blocks: int, replay_fraction: float) -> int:
    raise NotImplementedError  # <- your code here


check_replay_blocks(replay_blocks_needed);

# %% [markdown]
# **Exercise 3 (stretch).** Write `pack_with_separator(tokenizer, texts: list[str], block_size: int) -> torch.Tensor`:
# tokenize each document, put the end-of-text token after each one, concatenate, and cut into a `(n_blocks, block_size)`
# LongTensor, dropping the incomplete last block. (This is what `to_blocks` does for you above.)

# %%
import torch
from course_utils.exercises import check_packing


def pack_with_separator(tokenizer, texts: list[str], block_size: int) -> torch.Tensor:
    raise NotImplementedError  # <- your code here


check_packing(pack_with_separator, tokenizer);

# %% [markdown]
# **Exercise 4 (experiment).** Change one knob of section 7 and predict its effect before you run it: the replay share.
# Start from notebook 01's model again (`load_checkpoint("01_pretrained")`), mix general blocks into the domain blocks at
# a share of your choice (`mix_replay(domain_train_blocks, general_train_blocks, REPLAY_FRACTION, seed=CPT.seed)`; a
# small one such as 0.1 asks whether a little replay already helps; `mix_replay` says when the general blocks run out),
# and train it with `continue_pretraining(model, mixed_blocks, eval_sets, CPT, run_name="02_cpt_exercise")`, the recipe
# unchanged. First set `PREDICTION` to `"up"` or `"down"`, the way you expect the *general* (Austen) loss to move against
# section 5's CPT model without replay, and write your reason in the cell below. The checker scores both models on the
# same general validation blocks and prints the difference with its 95% interval; a wrong prediction still passes.
#
# *My prediction:* I expect the general loss to go ... because ...

# %%
from course_utils.exercises import check_replay_experiment

PREDICTION = None  # "up" or "down": your model's general (Austen) loss against CPT without replay
REPLAY_FRACTION = None  # <- the share of general text in your training mix, between 0 and 1
replay_history, replay_model = None, None  # <- your run: the TrainingHistory continue_pretraining(...) returns, and the model

check_replay_experiment(PREDICTION, REPLAY_FRACTION, replay_history, replay_model, cpt_model, general_val_blocks);

# %% [markdown]
# ## 10. Summary
# What this run measured:

# %%
from IPython.display import Markdown

Markdown(results.table())

# %% [markdown]
# **What to remember**
# - CPT is ordinary next-token training on new unlabelled text: cheap relative to pre-training, no labels needed.
# - It works (domain perplexity falls steeply) and it costs (general perplexity rises): measure both, always.
# - Replaying a share of the original data is a simple, effective brake on forgetting, at some cost in domain gain.
# - A tokenizer trained on other text makes the domain more expensive per word.
# - A CPT model still only completes text; to make it answer, instruction-tune it next (notebook 03).
#
# ## Troubleshooting
# - **"notebook 01 checkpoint cached: False" and a long first cell:** expected when you skipped notebook 01; the model is
#   rebuilt once with notebook 01's recipe and cached.
# - **Perplexities differ a little from the committed outputs:** CPU models and library versions change the last digits;
#   the tests check ranges and directions, not exact values.
# - **Out of memory:** close other kernels; this notebook needs well under 2 GB.
# - **Want to see more forgetting or less?** Change `CPT.num_steps` or `CPT.lr` with `dataclasses.replace(CPT, ...)` and
#   re-run sections 5-7; more steps and higher learning rates forget more.
#
# ## Further reading
# - Gururangan et al., *Don't Stop Pretraining: Adapt Language Models to Domains and Tasks* (2020).
# - Ibrahim et al., *Simple and Scalable Strategies to Continually Pre-train Large Language Models* (2024) — replay and learning-rate re-warming.
# - Kirkpatrick et al., *Overcoming catastrophic forgetting in neural networks* (2017).
# - Next: **03 · Instruction fine-tuning**, where the CPT model learns to answer.
