"""Turning text into training batches, and training a causal language model with the HF `Trainer`.

Notebook 01 writes one training step out by hand (the lesson is the loop), then trains with
`train_causal_lm`; notebooks 02-03 reuse it for continued pre-training and instruction tuning.
Defaults suit a 2-core CPU: fp32 (bf16 only on a GPU that supports it), no gradient checkpointing,
no checkpoints written mid-run, `report_to="none"`, and no tqdm bar: `fit` shows progress on one line
(`progress.training_progress`), which a saved notebook keeps as a one-line summary.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .paths import artifact_path
from .runtime import PeakRssSampler, pick_device, supports_bf16


# Reading RSS costs a /proc read and holds the GIL: every 5 ms (the sampler's default) took ~2% of a tiny GPT's
# training samples under py-spy. A step holds its activations for tens of ms, so 25 ms still sees the peak.
RSS_SAMPLE_INTERVAL_S = 0.025


def tokenize_documents(tokenizer: Any, texts: Iterable[str]) -> list[int]:
    """Concatenate the token ids of `texts`, with the end-of-text token after each document."""
    if tokenizer.eos_token_id is None:
        raise ValueError("The tokenizer has no eos_token; documents need a separator token between them.")
    ids: list[int] = []
    for text in texts:
        ids.extend(tokenizer(text)["input_ids"])
        ids.append(tokenizer.eos_token_id)
    return ids


def pack_blocks(token_ids: list[int], block_size: int) -> Any:
    """Cut a token stream into a (n_blocks, block_size) LongTensor, dropping the ragged tail."""
    import torch

    if block_size < 2:
        raise ValueError(f"block_size must be at least 2 (an input and its next token), got {block_size}.")
    n_blocks = len(token_ids) // block_size
    if n_blocks == 0:
        raise ValueError(f"Only {len(token_ids)} tokens: fewer than one block of {block_size}. Use more text or a smaller block.")
    return torch.tensor(token_ids[: n_blocks * block_size], dtype=torch.long).view(n_blocks, block_size)


class BlockDataset:
    """A torch-style dataset of fixed-length token blocks; labels equal inputs (the model shifts them)."""

    def __init__(self, blocks: Any) -> None:
        self.blocks = blocks

    def __len__(self) -> int:
        return len(self.blocks)

    def __getitem__(self, index: int) -> dict[str, Any]:
        block = self.blocks[index]
        return {"input_ids": block, "labels": block}


def training_arguments(run_name: str, args_class: Any = None, **overrides: Any) -> Any:
    """Return `TrainingArguments` (or a subclass such as TRL's `SFTConfig`) with the course's CPU-friendly defaults."""
    from transformers import TrainingArguments

    args_class = args_class or TrainingArguments
    device = pick_device()
    defaults: dict[str, Any] = {
        "output_dir": str(artifact_path("runs", run_name)),
        "report_to": "none",
        "bf16": supports_bf16(device),
        "activation_checkpointing": False,  # formerly gradient_checkpointing; slow on CPU
        "save_strategy": "no",
        "logging_strategy": "steps",
        "logging_steps": 10,
        "per_device_train_batch_size": 32,
        "per_device_eval_batch_size": 64,
        "learning_rate": 3e-3,
        "lr_scheduler_type": "cosine",
        "warmup_steps": 10,
        "weight_decay": 0.1,
        "seed": 0,
        "dataloader_num_workers": 0,
        "disable_tqdm": True,  # the course's trainers show `progress.training_progress` instead
        "use_cpu": device == "cpu",
    }
    defaults.update(overrides)
    return args_class(**defaults)


@dataclass
class TrainingHistory:
    """What a training run measured: loss per logged step, loss on each evaluation set, wall time."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: dict[str, list[float]] = field(default_factory=dict)  # {"validation": [...]} or one entry per set
    seconds: float = 0.0
    tokens_seen: int = 0
    batch_size: int = 0
    optimizer_state_bytes: int = 0  # measured: bytes of the optimizer's tensors (AdamW: two moments per trainable parameter)
    peak_rss_growth_bytes: int = 0  # measured: peak process memory while training minus memory before it

    @property
    def tokens_per_second(self) -> float:
        """Training throughput over the whole run."""
        return self.tokens_seen / self.seconds if self.seconds else 0.0


def _history_callback(history: TrainingHistory) -> Any:
    from transformers import TrainerCallback

    class RecordLosses(TrainerCallback):
        """Copy every logged training and evaluation loss into `history`."""

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> None:
            """Record the losses in one log event."""
            logs = logs or {}
            if "loss" in logs:
                history.steps.append(state.global_step)
                history.train_loss.append(float(logs["loss"]))
            eval_losses = {key[5:-5] or "validation": value for key, value in logs.items() if key.startswith("eval_") and key.endswith("loss")}
            if eval_losses:
                if not history.eval_steps or history.eval_steps[-1] != state.global_step:
                    history.eval_steps.append(state.global_step)
                for name, value in eval_losses.items():
                    history.eval_loss.setdefault(name, []).append(float(value))

    return RecordLosses()


def generation_snapshots(tokenizer: Any, prompt: str, at_steps: Iterable[int], max_new_tokens: int = 24) -> Any:
    """Return a Trainer callback that records a greedy continuation of `prompt` at the given steps (in `.samples`)."""
    from transformers import TrainerCallback

    from .prompting import generate

    wanted = set(at_steps)

    class GenerationSnapshots(TrainerCallback):
        """Greedy samples taken during training, as {step: text}."""

        def __init__(self) -> None:
            self.samples: dict[int, str] = {}

        def _sample(self, step: int, model: Any) -> None:
            was_training = model.training
            self.samples[step] = generate(model, tokenizer, prompt, max_new_tokens=max_new_tokens).text
            model.train(was_training)

        def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            """Sample the untrained model (step 0) if asked."""
            if 0 in wanted:
                self._sample(0, model)

        def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            """Sample when the step is one of `at_steps`."""
            if state.global_step in wanted:
                self._sample(state.global_step, model)

    return GenerationSnapshots()


# Pre-training's learning rate follows a cosine from its peak down to a floor of a tenth of it (nanoGPT's and Chinchilla's
# min_lr), not down to zero. Measured 2026-12-06 at nanoGPT's CPU shape (4 layers, 128 wide, block 64, batch 12, lr 1e-3,
# 1,000 steps on the Austen corpus as characters): validation loss 1.847 without the floor, 1.810 with it; nanoGPT's
# own train.py reached 1.826 on the same data.
PRETRAINING_SCHEDULE = {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}


def train_causal_lm(
    model: Any,
    train_blocks: Any,
    eval_blocks: Any | dict[str, Any] | None = None,
    *,
    num_steps: int,
    run_name: str,
    eval_every: int | None = None,
    callbacks: list[Any] | None = None,
    **overrides: Any,
) -> TrainingHistory:
    """Train `model` on token blocks for `num_steps` with HF `Trainer`; return the loss history.

    The learning rate decays to a tenth of its peak (`PRETRAINING_SCHEDULE`) unless `lr_scheduler_type` is overridden.
    `eval_blocks` may be one tensor of blocks or a dict {name: blocks} (e.g. domain and general text);
    each is evaluated every `eval_every` steps and once before training.
    """
    if "lr_scheduler_type" not in overrides:
        overrides = {**PRETRAINING_SCHEDULE, **overrides}
    eval_dataset = None
    if eval_blocks is not None and eval_every:
        eval_dataset = {k: BlockDataset(v) for k, v in eval_blocks.items()} if isinstance(eval_blocks, dict) else BlockDataset(eval_blocks)
    history = fit(model, BlockDataset(train_blocks), eval_dataset, num_steps=num_steps, run_name=run_name, eval_every=eval_every, callbacks=callbacks, **overrides)
    history.tokens_seen = num_steps * history.batch_size * train_blocks.shape[1]
    return history


def fit(
    model: Any,
    train_dataset: Any,
    eval_dataset: Any | None = None,
    *,
    num_steps: int,
    run_name: str,
    eval_every: int | None = None,
    callbacks: list[Any] | None = None,
    data_collator: Any | None = None,
    **overrides: Any,
) -> TrainingHistory:
    """Run HF `Trainer` on any dataset of feature dicts for `num_steps`; return the loss history."""
    from transformers import PrinterCallback

    from .progress import training_progress

    if num_steps <= 0:
        raise ValueError(f"num_steps must be positive, got {num_steps}.")
    evaluating = eval_dataset is not None and bool(eval_every)
    args = training_arguments(
        run_name,
        max_steps=num_steps,
        eval_strategy="steps" if evaluating else "no",
        eval_steps=eval_every if evaluating else None,
        **overrides,
    )
    history = TrainingHistory(batch_size=args.per_device_train_batch_size)
    trainer = _trainer_class()(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset if evaluating else None,
        data_collator=data_collator,
        callbacks=[_history_callback(history), training_progress(f"training {run_name}"), *(callbacks or [])],
    )
    trainer.remove_callback(PrinterCallback)  # with tqdm off it prints every log dict; `history` records them instead
    if evaluating:  # the step-0 point of every validation curve
        trainer.evaluate()
        # evaluate() marks the model as prepared, so train() would skip wrapping it in DDP under torchrun:
        # each process would then train alone on its shard (no gradient averaging, no error). Clear the mark.
        vars(model).pop("_is_accelerate_prepared", None)
    started = time.perf_counter()
    with PeakRssSampler(interval_s=RSS_SAMPLE_INTERVAL_S) as memory, _existing_objects_frozen():
        trainer.train()
    history.seconds = time.perf_counter() - started
    history.peak_rss_growth_bytes = memory.growth_bytes
    history.optimizer_state_bytes = optimizer_state_bytes(trainer.optimizer)
    model.eval()
    return history


@contextmanager
def _existing_objects_frozen() -> Iterator[None]:
    """Keep Python's garbage collector from rescanning, during training, the objects that existed before it.

    After importing transformers a process holds ~370k objects, and each full collection walks them all (~0.15 s):
    `train()` forces one as it starts and the interpreter runs more, ~2% of a 300-step run at nanoGPT's shape. Objects
    made during training are still collected; the frozen ones rejoin the collector afterwards.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@lru_cache(maxsize=1)
def _trainer_class() -> type:
    """HF `Trainer`, counting the model's parameters for its FLOPs estimate once per run instead of on every step."""
    from transformers import Trainer

    class CourseTrainer(Trainer):
        """`Trainer` whose per-step FLOPs estimate (6 x tokens x non-embedding parameters) reuses one parameter count.

        The stock estimate walks every module and parameter each step: about 0.7 ms of a 30 ms step at nanoGPT's shape.
        """

        def floating_point_ops(self, inputs: dict[str, Any]) -> int:
            """6 x input tokens x non-embedding parameters, the count taken on the first step."""
            main_input = getattr(self.model, "main_input_name", "input_ids")
            if main_input not in inputs or not hasattr(self.model, "num_parameters"):
                return 0
            if getattr(self, "_non_embedding_parameters", None) is None:
                self._non_embedding_parameters = self.model.num_parameters(exclude_embeddings=True)
            return 6 * inputs[main_input].numel() * self._non_embedding_parameters

    return CourseTrainer


def optimizer_state_bytes(optimizer: Any) -> int:
    """Bytes held by an optimizer's state tensors (e.g. AdamW's exp_avg and exp_avg_sq), counted tensor by tensor."""
    import torch

    return sum(
        value.numel() * value.element_size()
        for state in optimizer.state.values()
        for value in state.values()
        if isinstance(value, torch.Tensor)
    )
