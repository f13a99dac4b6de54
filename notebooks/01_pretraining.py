# %% [markdown]
# # 01 · Pre-training: a GPT from scratch, and what it costs
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pretraining-to-prompting/course/blob/main/notebooks/01_pretraining.ipynb)
#
# Pre-training is where every language model starts: define an architecture, curate a large corpus, and train the
# model to predict the next token. The guide calls it the most foundational and by far the most expensive approach,
# worth it only when nothing cheaper works. Here you do all of it on a laptop: train a tokenizer and a ~1M-parameter
# GPT on Jane Austen's six novels, watch text emerge, and then scale the arithmetic of your own run up to a real model to
# see where "millions of dollars and weeks" comes from.
#
# **Objectives** — after this notebook you can:
# - train a byte-level BPE tokenizer and explain why its vocabulary is fixed once pre-training starts;
# - break a GPT's parameter count into embeddings, attention and MLP;
# - write one training step by hand (forward, next-token cross-entropy, backward, optimizer step), then train with HF `Trainer`;
# - read train/validation loss and perplexity curves, and sample from a model greedily and with temperature;
# - estimate a pre-training run's compute with FLOPs ≈ 6 × parameters × tokens, and its cost on a GPU cluster.
#
# **Prerequisites:** notebook 00 (set-up). Uses only the committed `datasets/general_corpus.jsonl`.
#
# **Expected runtime:** the README's [measured runtime table](../README.md#measured-runtime) gives this notebook's wall
# time and peak memory on a 2-core CPU. No GPU time has been measured.
# Saves the tokenizer and model to the cache for notebooks 02 and 03.

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
results = NotebookResults("01_pretraining")

# %% [markdown]
# ## 1. The data
# The general corpus is Jane Austen's six novels, one record per chapter (public domain). Whole chapters go to either
# the training or the validation split, so validation text is genuinely unseen. All settings of this notebook live in one
# recipe, `PRETRAIN`, which later notebooks reuse to rebuild this model if you skip ahead.

# %%
from course_utils.recipes import PRETRAIN, general_texts

train_texts, val_texts = general_texts(PRETRAIN)
print(PRETRAIN)
results.report("train_words", sum(len(t.split()) for t in train_texts), f"training words ({len(train_texts)} chapters)")
results.report("val_words", sum(len(t.split()) for t in val_texts), f"validation words ({len(val_texts)} chapters)")

# %% [markdown]
# ## 2. Tokenization
# A model reads integers, not letters. A **byte-level BPE** tokenizer starts from the 256 byte values and repeatedly
# merges the most frequent adjacent pair into a new token until the vocabulary is full, so common words become one token
# and rare words split into pieces. We reserve four special tokens up front: `<|endoftext|>` separates documents, `<|pad|>`
# fills batches, and `<|user|>` / `<|assistant|>` will mark chat turns in notebook 03.

# %%
from course_utils.models import SPECIAL_TOKENS
from course_utils.recipes import train_tokenizer

tokenizer = train_tokenizer(PRETRAIN)
sentence = "The cat sat on the mat. Elizabeth smiled."
ids = tokenizer(sentence)["input_ids"]
print("tokens:", tokenizer.convert_ids_to_tokens(ids))
print("ids:   ", ids)
print("special tokens:", {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS})

# %% [markdown]
# (`Ġ` is how byte-level BPE displays a leading space.) How big should the vocabulary be? A larger one packs more text
# into each token, so a context window holds more words, but every extra token is another row in the embedding matrix to
# learn. Below, tokenizers of several sizes are trained on the same chapters and measured on validation text.

# %%
from course_utils.models import train_bpe_tokenizer, tokens_per_word
from course_utils.plots import plot_lines

vocab_sizes = [300, 1024, 4096, 16384]
sweep = {size: tokens_per_word(train_bpe_tokenizer(train_texts[:80], size), val_texts) for size in vocab_sizes}
for size, tpw in sweep.items():
    print(f"vocabulary {size:>6,}: {tpw:.2f} tokens per word")
results.report("tokens_per_word", tokens_per_word(tokenizer, val_texts), f"tokens per word with the course tokenizer ({len(tokenizer):,} tokens)")
plot_lines({"Austen validation text": (vocab_sizes, list(sweep.values()))},
           title="Bigger vocabularies need fewer tokens per word", xlabel="vocabulary size (tokens)", ylabel="tokens per word", logx=True);

# %% [markdown]
# **Why the vocabulary is fixed at pre-training time.** The model learns one embedding row per token id, and every
# weight downstream is tuned to those rows. Adding a token later means an untrained row the rest of the network has
# never seen, and changing the merges re-cuts every text into different ids, which makes all learned rows meaningless.
# That is why special tokens are reserved now, and why notebook 02 measures what this tokenizer costs on technical text
# it was never trained on.

# %% [markdown]
# ## 3. The model
# transformers' own GPT-2 (`GPT2LMHeadModel`), only small: a 4,096-token vocabulary, 4 layers, 4 heads, 128 dimensions
# and a 128-token context. The output layer shares its weights with the token embeddings (weight tying), as in GPT-2.
# One change from the stock model, as in nanoGPT: no bias vectors, in the projections or the layer norms
# (`course_utils/tiny_gpt.py`). They add little at this size and cost time on every step; `benchmarks/RESULTS.md`
# measures the course's training speed against nanoGPT's at the same shape.

# %%
import pandas as pd
from course_utils.models import count_parameters, parameter_breakdown
from course_utils.recipes import fresh_model

model = fresh_model(tokenizer, PRETRAIN)
parts = parameter_breakdown(model)
display(pd.Series(parts, name="parameters").to_frame().assign(share=lambda df: (df.parameters / df.parameters.sum()).round(3)))
results.report("n_parameters", count_parameters(model), "parameters in the tiny GPT")

# %% [markdown]
# At this size the embeddings are a large share of the model. In a 70B-parameter model they are around 1%: the
# transformer blocks (attention + MLP, about 12·d² parameters each) dominate.
#
# ## 4. One training step, by hand
# Text becomes training data by concatenating documents (with `<|endoftext|>` between them) and cutting the token
# stream into blocks of 128. At every position the model predicts the next token; the loss is the cross-entropy between
# that prediction and the token that actually follows. We take one step on a *copy* of the model, so the real run below
# starts from the same initial weights as `ensure_pretrained()` would.

# %%
import copy, math
import torch
import torch.nn.functional as F
from course_utils.recipes import to_blocks

train_blocks, val_blocks = to_blocks(tokenizer, train_texts, val_texts, PRETRAIN.model.context_length, PRETRAIN.n_eval_blocks)
print(f"{len(train_blocks):,} training blocks of {train_blocks.shape[1]} tokens; {len(val_blocks)} validation blocks")

scratch = copy.deepcopy(model).train()
optimizer = torch.optim.AdamW(scratch.parameters(), lr=PRETRAIN.lr)
batch = train_blocks[:PRETRAIN.batch_size]
logits = scratch(input_ids=batch).logits                     # (batch, 128, vocab): a score for every next token
loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))  # position t predicts t+1
loss.backward()                                               # gradients of the loss for every parameter
optimizer.step(); optimizer.zero_grad()                       # move each parameter a little downhill
with torch.no_grad():
    loss_after = F.cross_entropy(scratch(input_ids=batch).logits[:, :-1].reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
print(f"loss before the step: {loss.item():.3f} (uniform guessing over {len(tokenizer):,} tokens would give ln(V) = {math.log(len(tokenizer)):.3f})")
print(f"loss after one step on the same batch: {loss_after.item():.3f}")

# %% [markdown]
# That is the whole algorithm. `Trainer` repeats it over shuffled batches, with a learning-rate schedule (warm-up, then
# cosine decay), weight decay, gradient clipping, evaluation and logging, which is why we use it for the real run.
#
# ## 5. The full run
# Training is the longest step of this notebook (the cell prints its seconds). Every 100 steps the model is evaluated on the validation
# blocks, and at a few steps it writes a greedy continuation of the same prompt, so we can watch text emerge.

# %%
from course_utils import stats
from course_utils.evaluation import block_losses
from course_utils.recipes import pretrain
from course_utils.training import generation_snapshots

losses_before = block_losses(model, val_blocks)  # one loss per validation block, to pair with the same blocks after
results.report("initial_val_loss", sum(losses_before) / len(losses_before), "validation loss before training", unit="nats/token")
snapshots = generation_snapshots(tokenizer, "It is a truth universally", at_steps=[0, 50, 200, PRETRAIN.num_steps])
history = pretrain(model, train_blocks, val_blocks, PRETRAIN, callbacks=[snapshots])
results.report("final_val_loss", history.eval_loss["validation"][-1], "validation loss after training", unit="nats/token")
results.claim("pretraining_lowers_validation_loss",
              stats.paired_difference(block_losses(model, val_blocks), losses_before, "after", "before"),
              "Pre-training the tiny GPT lowers its loss on held-out chapters (nats/token, after - before)", expected="lower")
results.report("val_perplexity", math.exp(history.eval_loss["validation"][-1]), "validation perplexity after training")
results.report("tokens_per_second", history.tokens_per_second, "training throughput", unit="tokens/s")
results.report("train_seconds", history.seconds, "training time", unit="s")

# %%
from course_utils.plots import plot_loss_curves

val = history.eval_loss["validation"]
plot_loss_curves({"train": (history.steps, history.train_loss), "validation": (history.eval_steps, val)},
                 title=f"Validation loss fell from {val[0]:.2f} to {val[-1]:.2f} nats/token in {PRETRAIN.num_steps} steps");

# %% [markdown]
# Perplexity is `exp(loss)`: roughly, how many tokens the model is still choosing between at each step. An untrained
# model is as unsure as the vocabulary is large; every halving of perplexity is a model that has learned a lot more
# about the language. Train and validation curves stay close because the model has seen each training block at most
# once: it cannot have memorised anything yet.
#
# ## 6. Watching text emerge
# The same prompt, continued greedily (always the most likely token) at several points of training:

# %%
for step, text in sorted(snapshots.samples.items()):
    print(f"step {step:>4}: It is a truth universally{text!r}")

# %% [markdown]
# Greedy decoding repeats itself; sampling with a temperature trades that for variety (and for mistakes):

# %%
from course_utils.prompting import generate

prompt = "Mr. Darcy"
print("greedy:         ", generate(model, tokenizer, prompt, max_new_tokens=30).text)
for temperature in (0.7, 1.2):
    print(f"temperature {temperature}:", generate(model, tokenizer, prompt, max_new_tokens=30, temperature=temperature, seed=1).text)

# %% [markdown]
# The guide's example of next-token prediction: after "the cat sat on the", a model trained on enough text predicts
# "mat". Ours has read only Austen, so it predicts what *her* sentences make likely. A model knows what its training data
# contains, and nothing else.

# %%
from course_utils.evaluation import next_token_distribution
from course_utils.plots import plot_bars

top = next_token_distribution(model, tokenizer, "The cat sat on the", top_k=10)
results.report("cat_top_token", top[0][0].strip(), "most likely token after 'The cat sat on the'")
results.report("cat_top_probability", top[0][1], "its probability")
plot_bars({repr(token): p for token, p in top}, title=f"After 'The cat sat on the', Austen-GPT expects {top[0][0].strip()!r}", ylabel="probability");

# %% [markdown]
# ## 7. What did that cost, and what would a real model cost?
# Training a dense transformer with N parameters on D tokens takes about **6·N·D** floating-point operations: 2·N·D for
# the forward pass and 4·N·D for the backward pass. We apply it to our run, then to a 70B-parameter model trained on
# 15 trillion tokens (the scale of Llama-3-70B), on rented H100-class GPUs. Every assumption is printed; change them and re-run.

# %%
from course_utils.costs import ClusterAssumptions, achieved_flops_per_second, estimate_training_cost, training_flops

our_flops = training_flops(results.metrics["n_parameters"]["value"], history.tokens_seen)
our_flops_per_s = achieved_flops_per_second(results.metrics["n_parameters"]["value"], history.tokens_per_second)
results.report("run_flops", our_flops, f"compute of our run ({history.tokens_seen:,} tokens)", unit="FLOPs")
results.report("cpu_gflops", our_flops_per_s / 1e9, "training FLOP/s achieved on this machine", unit="GFLOP/s")

cluster = ClusterAssumptions()
print(cluster)
big = estimate_training_cost(70e9, 15e12, cluster)
results.report("big_flops", big.flops, "a 70B model on 15T tokens", unit="FLOPs")
results.report("big_gpu_hours", big.gpu_hours, "GPU-hours at that utilisation", unit="GPU-hours")
results.report("big_days", big.days, f"wall-clock days on {cluster.n_gpus:,} GPUs", unit="days")
results.report("big_dollars", big.dollars, f"rental cost at ${cluster.dollars_per_gpu_hour}/GPU-hour", unit="USD")
results.report("big_on_this_cpu_years", big.flops / our_flops_per_s / (365 * 86400), "the same run on this machine", unit="years")

# %% [markdown]
# The arithmetic reproduces the guide's claim: millions of dollars and weeks of a large cluster, before counting
# failed runs, data curation, evaluation and the people involved. This is why the guide reserves pre-training for when
# nothing cheaper works, such as a language no available model has seen, and why the rest of the course adapts models
# that someone else has already pre-trained.
#
# ## 8. Save for the next notebooks
# Notebook 02 continues training this model on technical documentation; notebook 03 teaches it to follow instructions.

# %%
from course_utils.models import save_checkpoint

path = save_checkpoint(model, tokenizer, "01_pretrained", {"recipe": repr(PRETRAIN), "seconds": history.seconds, "tokens_seen": history.tokens_seen})
print("saved to", path)

# %% [markdown]
# ## 9. Exercises
#
# **Exercise 1 (easy).** Write `gpt2_parameters(vocab_size: int, context_length: int, n_layer: int, n_embd: int) -> int`
# that returns the number of parameters of the course's GPT (tied head, no biases) from the formula alone (no model
# building). Use the breakdown in section 3 to check your terms.

# %%
from course_utils.exercises import check_parameter_formula


def gpt2_parameters(vocab_size: int, context_length: int, n_layer: int, n_embd: int) -> int:
    raise NotImplementedError  # <- your formula here


check_parameter_formula(gpt2_parameters);

# %% [markdown]
# **Exercise 2 (medium).** Write `next_token_loss(logits: torch.Tensor, input_ids: torch.Tensor) -> float`: the mean
# cross-entropy of predicting each next token, for `logits` of shape (batch, T, vocab) and `input_ids` of shape (batch, T).

# %%
from course_utils.exercises import check_next_token_loss


def next_token_loss(logits: torch.Tensor, input_ids: torch.Tensor) -> float:
    raise NotImplementedError  # <- your code here


check_next_token_loss(next_token_loss);

# %% [markdown]
# **Exercise 3 (stretch).** Write `training_days(n_parameters: float, n_tokens: float, n_gpus: int, peak_flops_per_gpu: float,
# utilisation: float) -> float`: the wall-clock days to pre-train on a cluster. Then use it: how many days would a 405B model
# on 15.6T tokens take on 16,384 GPUs at the default peak and utilisation?

# %%
from course_utils.exercises import check_training_days


def training_days(n_parameters: float, n_tokens: float, n_gpus: int, peak_flops_per_gpu: float, utilisation: float) -> float:
    raise NotImplementedError  # <- your code here


check_training_days(training_days);

# %% [markdown]
# **Exercise 4 (experiment).** Change one knob of section 5's run and predict its effect before you run it. Train a
# fresh model (`fresh_model(tokenizer, recipe)`) with `pretrain(...)` on the same blocks, changing only the number of
# steps: `recipe = dataclasses.replace(PRETRAIN, num_steps=...)`, a multiple of `PRETRAIN.eval_every` (100 steps is a
# short run). First set `PREDICTION` to `"up"` or `"down"`, the way you expect the validation loss of your model to move
# against section 5's model, and write your reason in the cell below. The checker scores both models on the same
# validation blocks and prints the difference with its 95% interval; a wrong prediction still passes.
#
# *My prediction:* I expect the validation loss to go ... because ...

# %%
import dataclasses
from course_utils.exercises import check_pretraining_experiment

PREDICTION = None  # "up" or "down": your model's validation loss against section 5's model
steps_history, steps_model = None, None  # <- your run: the TrainingHistory pretrain(...) returns, and the model it trained

check_pretraining_experiment(PREDICTION, steps_history, steps_model, model, val_blocks);

# %% [markdown]
# ## 10. Summary
# What this run measured (saved to the cache for the tests and the README):

# %%
from IPython.display import Markdown

Markdown(results.table())

# %% [markdown]
# **What to remember**
# - A tokenizer is trained first and then frozen; its vocabulary size trades tokens per word against embedding size.
# - Pre-training is one loop — forward, next-token cross-entropy, backward, step — repeated over billions of tokens.
# - Validation perplexity is the honest measure of how well a language model has learned its data.
# - Compute ≈ 6·N·D: our run was a few TFLOPs; a frontier-scale run is ~10²⁴ FLOPs, millions of dollars and weeks.
#
# ## Troubleshooting
# - **Training is much slower than the runtime above:** check the banner says `device : cpu` with 2+ cores and that no
#   other notebook kernel is busy; `torch.get_num_threads()` should equal your core count.
# - **Loss is `nan` or stalls near 6 nats:** the learning rate is too high for this model; the recipe's `1.5e-3` was chosen by a small sweep (3e-3 and above plateaued).
# - **Out of memory:** lower `per_device_train_batch_size` (pass `PRETRAIN` a smaller `batch_size` via `dataclasses.replace`).
# - **Different numbers from the committed outputs:** expected within a few percent across CPUs and library versions;
#   the tests assert ranges, not exact values.
#
# ## Further reading
# - Karpathy, *nanoGPT* (`model.py`), and *Let's build GPT* — the same model, written out.
# - Raschka, *Build a Large Language Model (From Scratch)*, chapters 2-5 — tokenization and pre-training in detail.
# - Kaplan et al., *Scaling Laws for Neural Language Models* (2020), and Hoffmann et al., *Training Compute-Optimal LLMs* (2022) — where 6·N·D and tokens-per-parameter come from.
# - Sennrich et al., *Neural Machine Translation of Rare Words with Subword Units* (2016) — BPE.
# - Next: **02 · Continued pre-training**, where this model learns technical documentation and forgets some Austen.
