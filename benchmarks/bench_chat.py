"""Chat-model speed: SmolLM2-135M-Instruct (the shipped model) load time, prompt processing and greedy generation.

Generation tokens/s is new tokens over the whole `generate` call (batch 1, greedy, as the notebooks decode);
prompt processing is measured with one new token after a long prompt. Run: `python benchmarks/bench_chat.py`.
"""

from __future__ import annotations

import time

from _common import run_benchmark

from course_utils.data import UNFILTERED, load_handbook
from course_utils.pretrained import load_chat_model
from course_utils.prompting import generate, user_message

PROMPTS = (
    "What is continued pre-training?",
    "Explain retrieval-augmented generation in two sentences.",
    "Write a short, polite email asking a colleague for a meeting.",
    "List three ways to make a language model answer from company documents.",
)
NEW_TOKENS = (16, 64)


def measure() -> dict:
    """Load time, prefill tokens/s and decode tokens/s."""
    started = time.perf_counter()
    model, tokenizer = load_chat_model(device="cpu")
    load_seconds = time.perf_counter() - started
    generate(model, tokenizer, user_message("Hello"), max_new_tokens=4)  # warm-up
    rows = []
    for max_new in NEW_TOKENS:
        runs = [generate(model, tokenizer, user_message(p), max_new_tokens=max_new) for p in PROMPTS]
        new, seconds = sum(r.new_tokens for r in runs), sum(r.seconds for r in runs)
        rows.append({"measure": f"greedy generation, up to {max_new} new tokens", "tokens": new, "seconds": round(seconds, 2),
                     "tokens/s": round(new / seconds, 1)})
    context = "\n\n".join(doc["text"] for doc in load_handbook(UNFILTERED)[:6])
    prompts = [user_message(f"{context}\n\nSummarise the policies above.")] * 3
    runs = [generate(model, tokenizer, p, max_new_tokens=1) for p in prompts]
    best = min(runs, key=lambda r: r.seconds)
    rows.append({"measure": "prompt processing (1 new token after a long prompt, best of 3)", "tokens": best.prompt_tokens,
                 "seconds": round(best.seconds, 2), "tokens/s": round(best.prompt_tokens / best.seconds, 1)})
    return {
        "tables": {f"SmolLM2-135M-Instruct, fp32 on CPU, batch 1 (loaded in {load_seconds:.1f} s)": rows},
        "notes": ["Generation stops early at the end-of-turn token, so 'tokens' can be fewer than prompts x the limit.",
                  "Load time reads the safetensors copy that `make setup` converts once from the GGUF file."],
    }


if __name__ == "__main__":
    run_benchmark("chat", "Chat-model tokens/s", measure)
