"""Continue pre-training a checkpoint on technical documentation with notebook 02's recipe, on one process or several.

    python scripts/continue_pretrain.py                              # from scripts/pretrain.py's checkpoint
    python scripts/continue_pretrain.py --init-from 01_pretrained    # from notebook 01's checkpoint
    torchrun --nproc_per_node=2 scripts/continue_pretrain.py --replay-fraction 0.25

Evaluates domain and general validation loss along the way (the trade-off notebook 02 measures). Saves
`<cache>/checkpoints/<--save-as>` (default scripts_02_cpt) and `<--output-dir>/history.json`.
"""

from __future__ import annotations

import argparse
import dataclasses

import distributed  # scripts/distributed.py, beside this script
from course_utils.recipes import CPT, PRETRAIN, continue_pretraining, domain_texts, general_texts, mix_replay, to_blocks
from course_utils.runtime import pick_device, seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; defaults are notebook 02's recipe."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    distributed.add_training_arguments(
        parser, num_steps=CPT.num_steps, batch_size=CPT.batch_size, lr=CPT.lr, eval_every=CPT.eval_every, save_as="scripts_02_cpt"
    )
    parser.add_argument("--init-from", default="scripts_01_pretrained", help="checkpoint to continue (e.g. 01_pretrained: notebook 01's)")
    parser.add_argument("--replay-fraction", type=float, default=0.0, help="share of general (Austen) text mixed into the CPT data")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Load the checkpoint, continue pre-training it, save it, return the run's summary."""
    args = parse_args(argv)
    device = pick_device()
    recipe = dataclasses.replace(
        CPT, num_steps=args.num_steps, lr=args.lr, eval_every=args.eval_every, seed=args.seed,
        batch_size=distributed.per_device_batch_size(args.batch_size),
    )
    model, tokenizer = distributed.load_start_checkpoint(args.init_from)
    block_size = model.config.n_positions
    domain_train, domain_validation = domain_texts(recipe)
    general_train, general_validation = general_texts(PRETRAIN)
    if args.max_texts:
        domain_train, domain_validation = domain_train[: args.max_texts], domain_validation[: args.max_texts]
        general_train, general_validation = general_train[: args.max_texts], general_validation[: args.max_texts]
    train_blocks, domain_eval = to_blocks(tokenizer, domain_train, domain_validation, block_size, recipe.n_eval_blocks)
    general_blocks, general_eval = to_blocks(tokenizer, general_train, general_validation, block_size, recipe.n_eval_blocks)
    if args.replay_fraction:
        train_blocks = mix_replay(train_blocks, general_blocks, args.replay_fraction, seed=args.seed)
    seed_everything(args.seed)
    history = continue_pretraining(
        model, train_blocks, {"domain": domain_eval, "general": general_eval}, recipe, run_name=args.save_as,
        **distributed.trainer_overrides(args, device),
    )
    return distributed.finish_run(
        model, tokenizer, args, history, device=device, tokens_seen=args.num_steps * args.batch_size * block_size,
        metadata={"script": "continue_pretrain", "init_from": args.init_from, "replay_fraction": args.replay_fraction},
    )


if __name__ == "__main__":
    main()
