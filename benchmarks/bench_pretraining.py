"""Pre-training throughput (tokens/s) of the tiny GPT under the HF Trainer, and its model FLOPs utilisation (MFU).

MFU = achieved training FLOP/s (6 x parameters x tokens/s, `course_utils.costs`) divided by the peak this machine
reaches on a plain fp32 matrix multiply, measured here with the same torch threads. Throughput is timed between
training steps (after warm-up steps), so Trainer start-up is not counted. Run: `python benchmarks/bench_pretraining.py`.

One row uses nanoGPT's CPU recipe shape (4 layers, 4 heads, 128 wide, block 64, batch 12, ~0.8M parameters,
character-level on the first 1.0M characters of the Austen corpus), so the course's throughput can be set beside
nanoGPT's own `train.py` on the same machine without running nanoGPT's code here. The row after it times the stock
GPT-2 (with biases) at the same shape, the model the course used before `course_utils/tiny_gpt.py`.
"""

from __future__ import annotations

import time

from _common import run_benchmark

from course_utils.costs import achieved_flops_per_second
from course_utils.data import load_general_corpus, texts_of
from course_utils.models import TinyGPTConfig, build_tiny_gpt, count_parameters
from course_utils.recipes import PRETRAIN, general_texts, is_cached, to_blocks, train_tokenizer
from course_utils.runtime import best_of, seed_everything
from course_utils.training import pack_blocks, train_causal_lm

MATMUL_SIZES = (512, 1024, 2048)
CONFIGS = {  # name: (model, global batch, timed steps); vocab_size None = notebook 01's BPE tokenizer
    "course default (notebook 01)": (TinyGPTConfig(), 8, 40),
    "course default, batch 32": (TinyGPTConfig(), 32, 15),
    "4 layers x 256 wide": (TinyGPTConfig(n_embd=256), 8, 20),
}
NANOGPT_SHAPE = "nanoGPT's CPU shape (characters)"
NANOGPT_SHAPE_STOCK = "the same, stock GPT-2 (with biases)"
NANOGPT_CHARACTERS = 1_000_000  # nanoGPT's shakespeare_char recipe, fed the Austen corpus instead
NANOGPT_BATCH, NANOGPT_STEPS = 12, 100
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


def character_blocks(block_size: int) -> tuple[object, int]:
    """The first NANOGPT_CHARACTERS characters of the Austen corpus as character-id blocks, and the vocabulary size.

    Same text and encoding as nanoGPT's shakespeare_char `prepare.py` (chapters joined by blank lines, ids in
    sorted-character order), so a row here is comparable with nanoGPT's `train.py` on the same data.
    """
    text = "\n\n".join(texts_of(load_general_corpus()))[:NANOGPT_CHARACTERS]
    ids = {character: i for i, character in enumerate(sorted(set(text)))}
    return pack_blocks([ids[character] for character in text], block_size), len(ids)


def stock_gpt2(config: TinyGPTConfig):
    """transformers' stock `GPT2LMHeadModel` at `config`'s size, with its biases: what the course's model replaced."""
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(vocab_size=config.vocab_size, n_positions=config.context_length, n_embd=config.n_embd,
                                       n_layer=config.n_layer, n_head=config.n_head, resid_pdrop=0.0, embd_pdrop=0.0,
                                       attn_pdrop=0.0, activation_function="gelu", bos_token_id=None, eos_token_id=None,
                                       pad_token_id=None))
    model.loss_type = "ForCausalLM"  # the class name does not tell transformers which loss to use
    return model


def throughput_row(name: str, model, train_blocks, batch: int, steps: int, lr: float, peak: float) -> dict:
    """Train `model` WARMUP_STEPS + `steps` steps with the HF Trainer; its tokens/s and MFU over the timed steps."""
    timer = step_timer()
    train_causal_lm(model, train_blocks, num_steps=WARMUP_STEPS + steps, run_name="benchmark", callbacks=[timer],
                    per_device_train_batch_size=batch, learning_rate=lr, disable_tqdm=True, logging_steps=1000)
    seconds = timer.times[-1] - timer.times[WARMUP_STEPS - 1]
    context = train_blocks.shape[1]
    tokens_per_second = steps * batch * context / seconds
    n_parameters = count_parameters(model)
    achieved = achieved_flops_per_second(n_parameters, tokens_per_second)
    return {
        "model": name, "parameters": f"{n_parameters / 1e6:.2f}M", "batch x context": f"{batch} x {context}",
        "tokens/s": round(tokens_per_second), "GFLOP/s (6ND)": round(achieved / 1e9, 1), "MFU": f"{achieved / peak:.0%}",
    }


def measure() -> dict:
    """Matmul peak, then tokens/s and MFU for each model configuration and at nanoGPT's CPU shape."""
    peak_rows = matmul_peak_flops()
    peak = max(row["GFLOP/s"] for row in peak_rows) * 1e9
    tok = tokenizer()
    train_blocks, _ = to_blocks(tok, *general_texts(PRETRAIN), PRETRAIN.model.context_length, 1)
    rows = []
    for name, (config, batch, steps) in CONFIGS.items():
        seed_everything(0)
        rows.append(throughput_row(name, build_tiny_gpt(config, tok), train_blocks, batch, steps, PRETRAIN.lr, peak))
    char_blocks, n_characters = character_blocks(64)
    seed_everything(0)
    nanogpt_shape = TinyGPTConfig(vocab_size=n_characters, context_length=64, n_layer=4, n_head=4, n_embd=128)
    rows.append(throughput_row(NANOGPT_SHAPE, build_tiny_gpt(nanogpt_shape), char_blocks, NANOGPT_BATCH, NANOGPT_STEPS, 1e-3, peak))
    seed_everything(0)
    rows.append(throughput_row(NANOGPT_SHAPE_STOCK, stock_gpt2(nanogpt_shape), char_blocks, NANOGPT_BATCH, NANOGPT_STEPS, 1e-3, peak))
    return {
        "tables": {"Measured fp32 matmul throughput (the peak MFU is measured against)": peak_rows,
                   "Tiny-GPT pre-training with the HF Trainer (fp32)": rows},
        "notes": [
            f"Timed over the steps after {WARMUP_STEPS} warm-up steps; Trainer start-up and evaluation are excluded.",
            "FLOPs by the 6·N·D rule with N counting the tied embedding once; attention's own FLOPs are left out, "
            "so MFU is slightly understated at context 128.",
            "The course's model is transformers' GPT-2 without bias vectors (`course_utils/tiny_gpt.py`), as nanoGPT's "
            "default; the last row is the stock GPT-2, biases included, at nanoGPT's shape, timed in the same run.",
            f"The last two rows use nanoGPT's CPU recipe shape (4 layers, 4 heads, 128 wide, block 64, batch {NANOGPT_BATCH}, "
            f"lr 1e-3) on the first {NANOGPT_CHARACTERS:,} characters of the Austen corpus, character-level: run nanoGPT's "
            "`train.py --device=cpu --compile=False` at that shape on the same machine to compare (its log's step times).",
            "MFU is well below 100% even against this CPU's own matmul peak: a tiny model's matrices are small, and "
            "layer norms, softmax, the optimizer and Python overhead do no matmul work. Compare the rows for how width "
            "and batch size change it on this machine.",
        ],
    }


if __name__ == "__main__":
    run_benchmark("pretraining", "Pre-training throughput and MFU", measure)
