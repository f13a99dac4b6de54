"""Pre-training throughput (tokens/s) of the tiny GPT under the HF Trainer, and its model FLOPs utilisation (MFU).

MFU = achieved training FLOP/s (6 x parameters x tokens/s, `course_utils.costs`) divided by the peak this machine
reaches on a plain fp32 matrix multiply, measured here with the same torch threads. Throughput is timed between
training steps (after warm-up steps), so Trainer start-up is not counted. Run: `python benchmarks/bench_pretraining.py`.
"""

from __future__ import annotations

import time

from _common import run_benchmark

from course_utils.costs import achieved_flops_per_second
from course_utils.models import TinyGPTConfig, build_tiny_gpt, count_parameters
from course_utils.recipes import PRETRAIN, general_texts, is_cached, to_blocks, train_tokenizer
from course_utils.runtime import best_of, seed_everything
from course_utils.training import train_causal_lm

MATMUL_SIZES = (512, 1024, 2048)
CONFIGS = {  # name: (model, global batch, timed steps)
    "course default (notebook 01)": (TinyGPTConfig(), 8, 40),
    "course default, batch 32": (TinyGPTConfig(), 32, 15),
    "4 layers x 256 wide": (TinyGPTConfig(n_embd=256), 8, 20),
}
WARMUP_STEPS = 3


def matmul_peak_flops() -> list[dict]:
    """fp32 matrix-multiply FLOP/s at a few sizes (best of 5 after a warm-up); the largest is the machine's peak."""
    import torch

    rows = []
    for n in MATMUL_SIZES:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        seconds = best_of(lambda: a @ b, repeats=5)
        rows.append({"matrix": f"{n}x{n} fp32", "GFLOP/s": round(2 * n**3 / seconds / 1e9, 1)})
    return rows


def step_timer():
    """A Trainer callback that records the wall-clock time at the end of every step."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        """Wall-clock time at each step end."""

        def __init__(self) -> None:
            self.times: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):  # noqa: D401 - Trainer hook
            """Record the time."""
            self.times.append(time.perf_counter())

    return StepTimer()


def tokenizer():
    """Notebook 01's tokenizer from its checkpoint if cached, else trained with the same recipe."""
    if is_cached("01_pretrained"):
        from course_utils.models import load_checkpoint

        return load_checkpoint("01_pretrained")[1]
    return train_tokenizer(PRETRAIN)


def measure() -> dict:
    """Matmul peak, then tokens/s and MFU for each model configuration."""
    peak_rows = matmul_peak_flops()
    peak = max(row["GFLOP/s"] for row in peak_rows) * 1e9
    tok = tokenizer()
    train_blocks, _ = to_blocks(tok, *general_texts(PRETRAIN), PRETRAIN.model.context_length, 1)
    rows = []
    for name, (config, batch, steps) in CONFIGS.items():
        seed_everything(0)
        model = build_tiny_gpt(config, tok)
        timer = step_timer()
        train_causal_lm(model, train_blocks, num_steps=WARMUP_STEPS + steps, run_name="benchmark", callbacks=[timer],
                        per_device_train_batch_size=batch, learning_rate=PRETRAIN.lr, disable_tqdm=True, logging_steps=1000)
        seconds = timer.times[-1] - timer.times[WARMUP_STEPS - 1]
        tokens_per_second = steps * batch * config.context_length / seconds
        n_parameters = count_parameters(model)
        achieved = achieved_flops_per_second(n_parameters, tokens_per_second)
        rows.append({
            "model": name, "parameters": f"{n_parameters / 1e6:.2f}M", "batch x context": f"{batch} x {config.context_length}",
            "tokens/s": round(tokens_per_second), "GFLOP/s (6ND)": round(achieved / 1e9, 1), "MFU": f"{achieved / peak:.0%}",
        })
    return {
        "tables": {"Measured fp32 matmul throughput (the peak MFU is measured against)": peak_rows,
                   "Tiny-GPT pre-training with the HF Trainer (fp32)": rows},
        "notes": [
            f"Timed over the steps after {WARMUP_STEPS} warm-up steps; Trainer start-up and evaluation are excluded.",
            "FLOPs by the 6·N·D rule with N counting the tied embedding once; attention's own FLOPs are left out, "
            "so MFU is slightly understated at context 128.",
            "MFU is well below 100% even against this CPU's own matmul peak: a tiny model's matrices are small, and "
            "layer norms, softmax, the optimizer and Python overhead do no matmul work. Compare the rows for how width "
            "and batch size change it on this machine.",
        ],
    }


if __name__ == "__main__":
    run_benchmark("pretraining", "Pre-training throughput and MFU", measure)
