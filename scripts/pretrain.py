"""Pre-train the course's tiny GPT with notebook 01's recipe, on one process or several.

    python scripts/pretrain.py                                   # notebook 01's recipe, one process
    torchrun --nproc_per_node=2 scripts/pretrain.py              # the same global batch over 2 processes (DDP)
    accelerate launch --num_processes=4 scripts/pretrain.py      # 4 GPUs through accelerate
    python scripts/pretrain.py --n-layer 8 --n-embd 256 --num-steps 3000   # a bigger model, e.g. on a GPU

Trains a byte-level BPE tokenizer on the Austen training chapters, then a GPT-2 of the given size with the HF
`Trainer` (which handles DDP under torchrun / accelerate). Saves `<cache>/checkpoints/<--save-as>` (default
scripts_01_pretrained, so notebook 01's own checkpoint is never overwritten) and `<--output-dir>/history.json`.
"""

from __future__ import annotations

import argparse
import dataclasses

import distributed  # scripts/distributed.py, beside this script
from course_utils.models import TinyGPTConfig, build_tiny_gpt, count_parameters, train_bpe_tokenizer
from course_utils.recipes import PRETRAIN, general_texts, pretrain, to_blocks
from course_utils.runtime import pick_device, seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; defaults are notebook 01's recipe."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    distributed.add_training_arguments(
        parser, num_steps=PRETRAIN.num_steps, batch_size=PRETRAIN.batch_size, lr=PRETRAIN.lr, eval_every=PRETRAIN.eval_every,
        save_as="scripts_01_pretrained",
    )
    model = PRETRAIN.model
    parser.add_argument("--vocab-size", type=int, default=PRETRAIN.vocab_size, help="BPE vocabulary size")
    parser.add_argument("--context-length", type=int, default=model.context_length, help="tokens per training block")
    parser.add_argument("--n-layer", type=int, default=model.n_layer)
    parser.add_argument("--n-head", type=int, default=model.n_head)
    parser.add_argument("--n-embd", type=int, default=model.n_embd)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Train the tokenizer and the model, save them, return the run's summary."""
    args = parse_args(argv)
    device = pick_device()
    recipe = dataclasses.replace(
        PRETRAIN, num_steps=args.num_steps, lr=args.lr, eval_every=args.eval_every, seed=args.seed,
        batch_size=distributed.per_device_batch_size(args.batch_size),  # the recipe's batch is per process
    )
    train_texts, validation_texts = general_texts(recipe)
    if args.max_texts:
        train_texts, validation_texts = train_texts[: args.max_texts], validation_texts[: args.max_texts]
    tokenizer = train_bpe_tokenizer(train_texts, vocab_size=args.vocab_size)  # deterministic: every process gets the same one
    config = TinyGPTConfig(
        vocab_size=len(tokenizer), context_length=args.context_length, n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd
    )
    train_blocks, validation_blocks = to_blocks(tokenizer, train_texts, validation_texts, config.context_length, recipe.n_eval_blocks)
    seed_everything(args.seed)
    model = build_tiny_gpt(config, tokenizer)
    history = pretrain(model, train_blocks, validation_blocks, recipe, **distributed.trainer_overrides(args, device))
    return distributed.finish_run(
        model, tokenizer, args, history, device=device, tokens_seen=args.num_steps * args.batch_size * config.context_length,
        metadata={"script": "pretrain", "config": dataclasses.asdict(config), "n_parameters": count_parameters(model)},
    )


if __name__ == "__main__":
    main()
