"""One-time preparation that `make setup` runs: everything slow that later notebooks read from the cache.

Converts the shipped chat model's GGUF file (notebook 00 would otherwise do it, ~25 s) and notebook 06's base model,
Gemma 3 270M (~1.5 min), to safetensors, and embeds
the domain corpus and the handbook with the shipped embedder into notebook 04's indexes (~80 s on 2 cores), so that
the first run of notebook 04 fits its budget, and trains the answer-from-sources adapter that notebooks 03-07 use
(`answering.ensure_answer_adapter`, several minutes on 2 cores; notebook 03 shows a short live run of its recipe), trains
notebook 03's tiny instruction-tuned GPT and its general-mix twin for the full recipe (`recipes.ensure_ift`,
`recipes.ensure_ift_general_mix`, one to two minutes each on 2 cores; the notebook shows a short live run), and
runs notebook 05's embedder drift sweep (`embedder_finetuning.ensure_drift_sweep`, ten epochs of its recipe, minutes on
2 cores; notebook 05 trains one epoch live). Every step is cached and skipped when already done; a notebook run
without this step builds the same artifacts itself, only slower the first time.
"""

from __future__ import annotations

import time


def prepare() -> dict[str, float]:
    """Build the cached models and indexes the notebooks share; return the seconds each step took."""
    from . import answering, doc_retrieval, embedder_finetuning, rag, recipes
    from .pretrained import MINILM, base_model_folder, chat_model_folder, shipped_model_path
    from .runtime import log

    seconds: dict[str, float] = {}
    steps = {
        f"embedder {MINILM.name}": lambda: shipped_model_path(MINILM),
        "chat model, GGUF -> safetensors": chat_model_folder,
        "base model (Gemma 3 270M), GGUF -> safetensors": base_model_folder,
        "handbook index": rag.ensure_handbook_index,
        "domain corpus index": rag.ensure_domain_index,
        "domain corpus chunk embeddings (windows, window-sized sections)": doc_retrieval.prepare_chunk_embeddings,
        "instruction-tuned tiny GPT (notebook 03's recipe)": recipes.ensure_ift,
        "instruction-tuned tiny GPT with general text mixed in": recipes.ensure_ift_general_mix,
        "answer-from-sources adapter (LoRA on SmolLM2)": answering.ensure_answer_adapter,
        "embedder drift sweep (notebook 05's recipe, 1-10 epochs)": embedder_finetuning.ensure_drift_sweep,
    }
    for name, step in steps.items():
        started = time.perf_counter()
        step()
        seconds[name] = time.perf_counter() - started
        log(f"ready: {name} ({seconds[name]:.1f} s)")
    return seconds


if __name__ == "__main__":
    prepare()
