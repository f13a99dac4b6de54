"""Re-run the course's cheap training claims with several seeds and record each claim's effect per seed (`make seeds`).

Notebooks 02, 03 and 05 train once, with seed 0, and judge their claims on that one run: the confidence interval
there covers the held-out items, not the training run. A claim about a recipe should hold for the recipe, not for a
lucky seed, so this script repeats the same recipes (the same functions the notebooks call) with several seeds and
writes the per-seed effects to benchmarks/seed_spread.json (seeds 0-2 by default; 03 and 05 are recorded with 0-4,
added with `--seeds 3 4 --only 03 05`, because three seeds gave intervals too wide to decide). The notebooks print the
spread across seeds with `results.print_seed_spread` (a Student t interval over the seeds, `stats.across_seeds`).

What a seed changes:
  02  which documentation sections are held out, the order of CPT's training blocks, and which Austen blocks the
      50% replay mixes in (notebook 01's model and its Austen split stay the same)
  03  the order of IFT's training examples (the prepared recipe, all its steps), and of the quarter CPT run after it
  05  which SQLite pages are held out, which headings become training pairs, and the training order

Time, measured 2026-12-06 with one torch thread (OMP_NUM_THREADS=1) while the test suite ran beside it: seeds 0-2 of
all three notebooks took 8 minutes, seeds 3-4 of 03 and 05 another 11. Notebook 03's recipe then changed (five judgement
tasks, trained for 1,200 steps): its seeds 0-4 were measured again the same day with 2 threads, 9.5 minutes in all.
The tiny GPT then lost its biases (`tiny_gpt`) and pre-training its decay to zero (`training.PRETRAINING_SCHEDULE`):
02's seeds 0-2 and 03's seeds 0-4 were measured again the same day, 2 threads, nothing else running, 10 minutes.

Usage: python -m tools.seed_spread [--seeds 0 1 2] [--only 02 03 05]   (new seeds are added to the recorded ones)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from course_utils.paths import write_text_atomic
from course_utils.results import SEED_SPREAD_FILE, seed_spread_path


def _mean_difference(a: Sequence[float], b: Sequence[float]) -> float:
    """Mean of per-item a - b (the paired effect the notebooks' claims report)."""
    return statistics.fmean(x - y for x, y in zip(a, b, strict=True))


def cpt_effects(seed: int) -> dict[str, float]:
    """Notebook 02's four claims for one seed: CPT's domain and general loss changes, and what 50% replay changes."""
    from course_utils.evaluation import block_losses
    from course_utils.models import load_checkpoint
    from course_utils.recipes import (
        CPT,
        PRETRAIN,
        continue_pretraining,
        domain_texts,
        ensure_pretrained,
        general_texts,
        mix_replay,
        to_blocks,
    )

    recipe = dataclasses.replace(CPT, seed=seed)
    base, tokenizer = ensure_pretrained()
    block = PRETRAIN.model.context_length
    domain_train, domain_val = to_blocks(tokenizer, *domain_texts(recipe), block, recipe.n_eval_blocks)
    general_train, general_val = to_blocks(tokenizer, *general_texts(PRETRAIN), block, PRETRAIN.n_eval_blocks)
    eval_sets = {"domain": domain_val, "general": general_val}
    before = {name: block_losses(base, blocks) for name, blocks in eval_sets.items()}
    continue_pretraining(base, domain_train, eval_sets, recipe, run_name="seed_spread_cpt", disable_tqdm=True)
    after = {name: block_losses(base, blocks) for name, blocks in eval_sets.items()}
    replay_model, _ = load_checkpoint("01_pretrained")
    most = max(recipe.replay_fractions)
    mixed = mix_replay(domain_train, general_train, most, seed=recipe.seed)
    continue_pretraining(replay_model, mixed, eval_sets, recipe, run_name="seed_spread_replay", disable_tqdm=True)
    replay = {name: block_losses(replay_model, blocks) for name, blocks in eval_sets.items()}
    return {
        "cpt_lowers_domain_loss": _mean_difference(after["domain"], before["domain"]),
        "cpt_raises_general_loss": _mean_difference(after["general"], before["general"]),
        "replay_reduces_forgetting": _mean_difference(replay["general"], after["general"]),
        "replay_costs_domain_loss": _mean_difference(replay["domain"], after["domain"]),
    }


def ift_effects(seed: int) -> dict[str, float]:
    """Notebook 03's IFT claims for one seed: the prepared recipe against the CPT model, and CPT-then-IFT against IFT-then-CPT.

    As in the notebook, the order effect is measured on the task families this seed's run learned above chance.
    """
    import copy

    from course_utils import stats
    from course_utils.finetuning import add_chat_template, instruction_score
    from course_utils.recipes import (
        CPT,
        IFT,
        PRETRAIN,
        continue_pretraining,
        domain_texts,
        ensure_cpt,
        ift_examples,
        instruction_eval_set,
        run_ift,
        to_blocks,
    )

    recipe = dataclasses.replace(IFT, seed=seed)
    cpt_model, tokenizer = ensure_cpt()
    add_chat_template(tokenizer)
    eval_set = instruction_eval_set()
    before = instruction_score(cpt_model, tokenizer, eval_set, recipe.max_new_tokens)
    ift_model = copy.deepcopy(cpt_model)
    run_ift(ift_model, tokenizer, ift_examples(tokenizer, recipe), recipe, run_name="seed_spread_ift", disable_tqdm=True)
    after = instruction_score(ift_model, tokenizer, eval_set, recipe.max_new_tokens)
    tasks = list(dict.fromkeys(record["task"] for record in eval_set))
    learned = [task for task in tasks
               if stats.verdict(stats.mean_ci([v for r, v in zip(eval_set, after.item_scores) if r["task"] == task]), "higher", 0.5) == "supported"] or tasks
    domain_train, domain_val = to_blocks(tokenizer, *domain_texts(CPT), PRETRAIN.model.context_length, CPT.n_eval_blocks)
    short_cpt = dataclasses.replace(CPT, num_steps=CPT.num_steps // 4, seed=seed)  # notebook 03, section 7
    continue_pretraining(ift_model, domain_train, {"domain": domain_val}, short_cpt, run_name="seed_spread_then_cpt", disable_tqdm=True)
    reversed_order = instruction_score(ift_model, tokenizer, eval_set, recipe.max_new_tokens)
    on_learned = [i for i, record in enumerate(eval_set) if record["task"] in learned]
    return {
        "ift_raises_instruction_score": _mean_difference(after.item_scores, before.item_scores),
        "cpt_then_ift_beats_ift_then_cpt": _mean_difference([after.item_scores[i] for i in on_learned], [reversed_order.item_scores[i] for i in on_learned]),
    }


def embedder_effects(seed: int) -> dict[str, float]:
    """Notebook 05's headings claims for one seed: fine-tuning's recall@5 gain, and the stale index's loss."""
    from course_utils import embedder_finetuning as ef

    sweep = ef.drift_sweep(epochs=(ef.EMBEDDER_RECIPE.num_epochs,), recipe=dataclasses.replace(ef.EMBEDDER_RECIPE, seed=seed))
    point = sweep["points"][0]
    return {
        "finetuning_headings_r5": _mean_difference(point["fresh@5"], sweep["base"]["base@5"]),
        "stale_index_loses_recall": _mean_difference(point["stale@5"], point["fresh@5"]),
    }


# notebook -> (the function measuring its claims for one seed, {claim: (expected direction, statement)})
EXPERIMENTS: dict[str, tuple[Callable[[int], dict[str, float]], dict[str, tuple[str, str]]]] = {
    "02_continued_pretraining": (cpt_effects, {
        "cpt_lowers_domain_loss": ("lower", "CPT lowers held-out documentation loss (nats/token, after - before)"),
        "cpt_raises_general_loss": ("higher", "CPT raises held-out Austen loss (nats/token, after - before)"),
        "replay_reduces_forgetting": ("lower", "50% replay lowers general loss against CPT without replay (nats/token)"),
        "replay_costs_domain_loss": ("higher", "50% replay raises domain loss against CPT without replay (nats/token)"),
    }),
    "03_instruction_finetuning": (ift_effects, {
        "ift_raises_instruction_score": ("higher", "IFT raises the instruction score over the CPT model"),
        "cpt_then_ift_beats_ift_then_cpt": ("higher", "CPT then IFT scores above IFT then a quarter CPT run (learned families)"),
    }),
    "05_embedding_finetuning": (embedder_effects, {
        "finetuning_headings_r5": ("higher", "Fine-tuning raises held-out SQLite headings recall@5"),
        "stale_index_loses_recall": ("lower", "The new model on the OLD index finds fewer held-out headings (recall@5) than on a re-embedded one"),
    }),
}


def measure(notebook: str, seeds: Sequence[int]) -> dict[str, Any]:
    """Run one notebook's experiment once per seed; return its JSON-ready entry {claim: {..., "seeds", "effects"}}."""
    measure_one, claims = EXPERIMENTS[notebook]
    per_seed = {}
    for seed in seeds:
        per_seed[seed] = measure_one(seed)
        print(f"{notebook} seed {seed}: {per_seed[seed]}", flush=True)
    return {
        claim: {"expected": expected, "statement": statement, "seeds": list(seeds), "effects": [per_seed[seed][claim] for seed in seeds]}
        for claim, (expected, statement) in claims.items()
    }


def merge_seeds(recorded: dict[str, Any], measured: dict[str, Any]) -> dict[str, Any]:
    """Add newly measured seeds to a notebook's recorded ones; a seed measured again replaces its old effect."""
    merged = {}
    for claim, entry in measured.items():
        effects = dict(zip(recorded.get(claim, {}).get("seeds", []), recorded.get(claim, {}).get("effects", [])))
        effects.update(zip(entry["seeds"], entry["effects"]))
        seeds = sorted(effects)
        merged[claim] = {**entry, "seeds": seeds, "effects": [effects[seed] for seed in seeds]}
    return merged


def main(argv: Sequence[str] | None = None) -> None:
    """Measure, merge into the committed record (other notebooks' entries are kept) and write it atomically."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", default=list(EXPERIMENTS), help="notebook numbers or names, e.g. 02 05")
    args = parser.parse_args(argv)
    if len(args.seeds) < 2:
        parser.error("a spread needs at least 2 seeds")
    notebooks = [name for name in EXPERIMENTS if any(name.startswith(prefix) for prefix in args.only)]
    if not notebooks:
        parser.error(f"--only matched none of {list(EXPERIMENTS)}")
    path = seed_spread_path()
    for notebook in notebooks:  # written after each notebook, so a later failure keeps the earlier runs
        record = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        record[notebook] = merge_seeds(record.get(notebook, {}), measure(notebook, args.seeds))
        record.setdefault("_measured", {"made_by": "python -m tools.seed_spread"})[notebook] = datetime.date.today().isoformat()
        write_text_atomic(path, json.dumps(record, indent=1) + "\n")
        print(f"wrote {notebook}'s runs to {SEED_SPREAD_FILE}", flush=True)


if __name__ == "__main__":
    main()
