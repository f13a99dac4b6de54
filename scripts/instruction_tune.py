"""Instruction-tune a checkpoint with notebook 03's recipe (chat format, prompt tokens masked), on one process or several.

    python scripts/instruction_tune.py                               # from scripts/continue_pretrain.py's checkpoint
    python scripts/instruction_tune.py --init-from 02_cpt --lora     # notebook 02's checkpoint, LoRA adapters only
    torchrun --nproc_per_node=2 scripts/instruction_tune.py

Full fine-tuning by default; `--lora` trains rank-8 adapters and merges them into the saved weights. Saves
`<cache>/checkpoints/<--save-as>` (default scripts_03_ift) and `<--output-dir>/history.json`.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools

import distributed  # scripts/distributed.py, beside this script
from course_utils.data import load_instructions
from course_utils.finetuning import add_chat_template, lora_model, tokenize_examples
from course_utils.recipes import IFT, ift_examples, run_ift
from course_utils.runtime import pick_device, seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; defaults are notebook 03's recipe."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    distributed.add_training_arguments(parser, num_steps=IFT.num_steps, batch_size=IFT.batch_size, lr=IFT.lr, eval_every=0, save_as="scripts_03_ift")
    parser.add_argument("--init-from", default="scripts_02_cpt", help="checkpoint to tune (e.g. 02_cpt: notebook 02's)")
    parser.add_argument("--lora", action="store_true", help=f"train LoRA adapters (rank {IFT.lora_r}) instead of every weight")
    return parser.parse_args(argv)


def one_task_after_another(records: list[dict]) -> list[dict]:
    """The records reordered so the task families take turns (the file lists each family's records together)."""
    by_task: dict[str, list[dict]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    turns = itertools.zip_longest(*by_task.values())
    return [record for turn in turns for record in turn if record is not None]


def main(argv: list[str] | None = None) -> dict:
    """Load the checkpoint, instruction-tune it, save it, return the run's summary."""
    args = parse_args(argv)
    device = pick_device()
    model, tokenizer = distributed.load_start_checkpoint(args.init_from)
    recipe = dataclasses.replace(
        IFT, num_steps=args.num_steps, lr=args.lr, seed=args.seed, batch_size=distributed.per_device_batch_size(args.batch_size),
        max_length=min(IFT.max_length, model.config.n_positions),  # a smaller model's context caps the examples
    )
    add_chat_template(tokenizer)
    if args.max_texts:  # a smoke test: tokenize only the first records, taken from every task family in turn
        examples = tokenize_examples(tokenizer, one_task_after_another(load_instructions("train"))[: args.max_texts], recipe.max_length)
    else:
        examples = ift_examples(tokenizer, recipe)
    seed_everything(args.seed)
    if args.lora:
        model = lora_model(model, r=recipe.lora_r)
    history = run_ift(model, tokenizer, examples, recipe, run_name=args.save_as, **distributed.trainer_overrides(args, device))
    if args.lora:
        model = model.merge_and_unload()  # plain weights again: the checkpoint loads like any other
    tokens_seen = sum(len(example["input_ids"]) for example in examples) * args.num_steps * args.batch_size // len(examples)
    return distributed.finish_run(
        model, tokenizer, args, history, device=device, tokens_seen=tokens_seen,
        metadata={"script": "instruction_tune", "init_from": args.init_from, "lora": args.lora, "examples": len(examples)},
    )


if __name__ == "__main__":
    main()
