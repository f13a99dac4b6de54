"""Scale-out: running the training recipes of notebooks 01-03 as scripts on several processes.

`scripts/pretrain.py`, `scripts/continue_pretrain.py` and `scripts/instruction_tune.py` call the same
recipes as the notebooks; these helpers let one script run unchanged as `python scripts/x.py`,
`torchrun --nproc_per_node=N scripts/x.py` or `accelerate launch ... scripts/x.py`. The launcher sets
`RANK`/`WORLD_SIZE`; the HF `Trainer` wraps the model in DistributedDataParallel (gloo on CPU, NCCL on
CUDA), shards each batch across the processes and averages the gradients. Scripts take the *global*
batch size, so N processes train on the same examples per step as one process (faster when each has its own GPU).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from course_utils.models import weights_digest
from course_utils.paths import write_text_atomic


def world_size() -> int:
    """Number of training processes the launcher started (1 without a launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    """This process's global rank (0 without a launcher)."""
    return int(os.environ.get("RANK", "0"))


def is_main_process() -> bool:
    """True on the process that writes files and prints the summary (rank 0)."""
    return rank() == 0


def per_device_batch_size(global_batch_size: int, processes: int | None = None) -> int:
    """Split a global batch evenly over the processes; refuse a split that would change the batch."""
    processes = processes or world_size()
    if global_batch_size <= 0 or processes <= 0:
        raise ValueError(f"Need a positive batch size and process count, got {global_batch_size} and {processes}.")
    if global_batch_size % processes:
        raise ValueError(
            f"A global batch of {global_batch_size} does not split evenly over {processes} processes; "
            f"use a multiple of {processes} (e.g. {processes * max(1, global_batch_size // processes)})."
        )
    return global_batch_size // processes


def ddp_overrides(device: str) -> dict[str, Any]:
    """TrainingArguments for a distributed launch: the DDP backend (gloo on CPU, NCCL on CUDA); empty for one process."""
    if world_size() == 1:
        return {}
    return {
        "ddp_backend": "gloo" if device == "cpu" else "nccl" if device == "cuda" else None,
        "ddp_find_unused_parameters": False,  # every weight of the tiny GPT (or every LoRA adapter) gets a gradient
    }


def add_training_arguments(parser: Any, *, num_steps: int, batch_size: int, lr: float, eval_every: int, save_as: str) -> Any:
    """Add the options every training script shares (defaults: the notebook's recipe) to an argparse parser."""
    parser.add_argument("--num-steps", type=int, default=num_steps, help=f"optimizer steps (default {num_steps}, the notebook's recipe)")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"GLOBAL batch size, split over the processes (default {batch_size})")
    parser.add_argument("--lr", type=float, default=lr, help=f"peak learning rate (default {lr})")
    parser.add_argument("--eval-every", type=int, default=eval_every, help="evaluate every N steps; 0 = never")
    parser.add_argument("--logging-steps", type=int, default=10, help="record the training loss every N steps")
    parser.add_argument("--max-texts", type=int, default=0, help="use only the first N training texts (smoke tests); 0 = all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", type=Path, default=None, help="Trainer folder and history.json (default <cache>/runs/<save-as>)")
    parser.add_argument("--save-as", default=save_as, help=f"checkpoint name in <cache>/checkpoints (default {save_as})")
    parser.add_argument("--no-save", action="store_true", help="do not save the checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def run_folder(args: Any) -> Path:
    """The folder a script's Trainer and history.json use: `--output-dir`, or `<cache>/runs/<save-as>`."""
    from course_utils.paths import artifact_path

    return Path(args.output_dir) if args.output_dir else artifact_path("runs", args.save_as)


def keep_ddp_after_evaluation() -> Any:
    """A Trainer callback that lets `train()` wrap the model in DDP after an `evaluate()` call (see below).

    `training.fit` evaluates once before training (the step-0 point of every validation curve). With accelerate
    1.15 and transformers 5.24 that evaluation marks the model as already prepared, so `train()` then skips the
    DistributedDataParallel wrapper: every process trains alone on its share of the batch, silently. Found by
    tests/scale_out/test_ddp.py; removing the mark after each evaluation restores the wrapper.
    """
    from transformers import TrainerCallback

    class KeepDdpAfterEvaluation(TrainerCallback):
        """Clear accelerate's "prepared" mark from the model after every evaluation."""

        def on_evaluate(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            """Remove the mark so a later `train()` wraps the model in DDP."""
            if model is not None and "_is_accelerate_prepared" in vars(model):
                del model._is_accelerate_prepared

    return KeepDdpAfterEvaluation()


def trainer_overrides(args: Any, device: str) -> dict[str, Any]:
    """Everything a script passes to the recipe's training call besides the recipe: folders, logging, DDP."""
    overrides = {"output_dir": str(run_folder(args)), "logging_steps": args.logging_steps, "disable_tqdm": args.quiet, **ddp_overrides(device)}
    if world_size() > 1:
        overrides["callbacks"] = [keep_ddp_after_evaluation()]
    return overrides


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A short hash of a tokenizer's vocabulary (equal on every process, or the processes disagree on token ids)."""
    vocabulary = json.dumps(sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(vocabulary.encode("utf-8")).hexdigest()[:16]


def same_on_every_process(value: str) -> bool:
    """True if every process of the run holds the same `value` (always True for one process)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return True
    values: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(values, value)
    return len(set(values)) == 1


def write_history(folder: Path | str, history: Any, **extra: Any) -> Path | None:
    """Write a run's losses and timings to `folder/history.json` (main process only); return the path."""
    if not is_main_process():
        return None
    record = {
        "steps": history.steps, "train_loss": history.train_loss, "eval_steps": history.eval_steps,
        "eval_loss": history.eval_loss, "seconds": history.seconds, "world_size": world_size(), **extra,
    }
    path = Path(folder) / "history.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, json.dumps(record, indent=2))


def load_start_checkpoint(name: str, device: str = "cpu") -> tuple[Any, Any]:
    """Load the checkpoint a script continues from, or say which script or notebook makes it."""
    from course_utils.models import CHECKPOINT_MAKERS, load_checkpoint
    from course_utils.recipes import is_cached

    if not is_cached(name):
        makers = {**CHECKPOINT_MAKERS, "scripts_01_pretrained": "scripts/pretrain.py", "scripts_02_cpt": "scripts/continue_pretrain.py"}
        raise SystemExit(f"Checkpoint {name!r} is not in the cache. Run {makers.get(name, 'the script that saves it')} first, or pass --init-from.")
    return load_checkpoint(name, device)


def finish_run(model: Any, tokenizer: Any, args: Any, history: Any, *, tokens_seen: int, device: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """Check the processes agree, save checkpoint + history.json (main process), print a one-line summary; return it."""
    if not same_on_every_process(tokenizer_fingerprint(tokenizer)):
        raise RuntimeError("The processes trained with different tokenizers; their token ids disagree. Train the tokenizer once and load it.")
    if not same_on_every_process(weights_digest(model)):
        raise RuntimeError("The processes ended with different weights: their gradients were not averaged (the model was not wrapped in DDP).")
    summary = {
        "num_steps": args.num_steps, "global_batch_size": args.batch_size, "world_size": world_size(), "device": device,
        "seconds": round(history.seconds, 2), "tokens_seen": tokens_seen,
        "tokens_per_second": round(tokens_seen / history.seconds, 1) if history.seconds else 0.0,
        "final_train_loss": history.train_loss[-1] if history.train_loss else None,
        "final_eval_loss": {name: losses[-1] for name, losses in history.eval_loss.items()}, **metadata,
    }
    if is_main_process():
        if not args.no_save:
            from course_utils.models import save_checkpoint

            summary["checkpoint"] = str(save_checkpoint(model, tokenizer, args.save_as, summary))
        write_history(run_folder(args), history, **summary)
        print(json.dumps(summary), flush=True)
    finish()
    return summary


def finish() -> None:
    """Wait for every process, then close the process group (no-op for a single process)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
