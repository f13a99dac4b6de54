"""The recipes of notebooks 01 (pre-training), 02 (continued pre-training) and 03 (instruction tuning).

Each notebook teaches its recipe one visible step at a time with these same functions and settings;
`ensure_pretrained()`, `ensure_cpt()` and `ensure_ift()` replay the steps non-interactively, so a later notebook run
first (or a test) gets the same checkpoint, from the same code and seed, without opening the lesson.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .data import load_domain_corpus, load_general_corpus, split_records, texts_of
from .finetuning import tokenize_examples
from .models import CPT_CHECKPOINT, IFT_CHECKPOINT, IFT_MIXED_CHECKPOINT, PRETRAINED_CHECKPOINT, TinyGPTConfig, build_tiny_gpt, checkpoint_path, ensure_checkpoint, load_checkpoint, train_bpe_tokenizer
from .runtime import seed_everything
from .training import TrainingHistory, pack_blocks, tokenize_documents, train_causal_lm


@dataclass(frozen=True)
class PretrainRecipe:
    """Notebook 01: a byte-level BPE tokenizer and a tiny GPT trained on Jane Austen, within ~2 CPU minutes."""

    vocab_size: int = 4096
    model: TinyGPTConfig = field(default_factory=TinyGPTConfig)
    num_steps: int = 600  # x batch 8 x 128 tokens = 614k tokens, under 1.5 CPU minutes
    batch_size: int = 8  # measured: more, smaller steps beat fewer large ones at this token budget
    lr: float = 1.5e-3  # measured: 3e-3 and above plateau near the unigram loss
    validation_fraction: float = 0.05
    n_eval_blocks: int = 64
    eval_every: int = 100
    seed: int = 0


@dataclass(frozen=True)
class CptRecipe:
    """Notebook 02: continue training the notebook-01 model on technical documentation."""

    num_steps: int = 200  # x batch 8 x 128 = 205k tokens, about 30 CPU seconds per run
    batch_size: int = 8
    lr: float = 1e-3
    validation_fraction: float = 0.1
    n_eval_blocks: int = 48
    eval_every: int = 50
    replay_fractions: tuple[float, ...] = (0.0, 0.25, 0.5)  # share of general text mixed into the CPT data
    seed: int = 0


PRETRAIN = PretrainRecipe()
CPT = CptRecipe()


def general_texts(recipe: PretrainRecipe = PRETRAIN) -> tuple[list[str], list[str]]:
    """Return (train, validation) Austen chapters as texts, split by whole chapter."""
    train, validation = split_records(load_general_corpus(), recipe.validation_fraction, seed=recipe.seed)
    return texts_of(train), texts_of(validation)


def domain_texts(recipe: CptRecipe = CPT) -> tuple[list[str], list[str]]:
    """Return (train, validation) documentation sections as texts, split by whole section."""
    train, validation = split_records(load_domain_corpus(), recipe.validation_fraction, seed=recipe.seed)
    return texts_of(train), texts_of(validation)


def to_blocks(tokenizer: Any, train: list[str], validation: list[str], block_size: int, n_eval_blocks: int) -> tuple[Any, Any]:
    """Tokenize train and validation texts into blocks; keep the first `n_eval_blocks` for validation."""
    train_blocks = pack_blocks(tokenize_documents(tokenizer, train), block_size)
    validation_blocks = pack_blocks(tokenize_documents(tokenizer, validation), block_size)[:n_eval_blocks]
    return train_blocks, validation_blocks


def train_tokenizer(recipe: PretrainRecipe = PRETRAIN) -> Any:
    """Train notebook 01's tokenizer on the training chapters."""
    return train_bpe_tokenizer(general_texts(recipe)[0], vocab_size=recipe.vocab_size)


def fresh_model(tokenizer: Any, recipe: PretrainRecipe = PRETRAIN) -> Any:
    """Return notebook 01's untrained GPT, initialised from the recipe's seed."""
    seed_everything(recipe.seed)
    return build_tiny_gpt(recipe.model, tokenizer)


def pretrain(model: Any, train_blocks: Any, validation_blocks: Any, recipe: PretrainRecipe = PRETRAIN, **kwargs: Any) -> TrainingHistory:
    """Run notebook 01's training (HF Trainer, the recipe's steps, batch size and learning rate)."""
    return train_causal_lm(
        model, train_blocks, validation_blocks, num_steps=recipe.num_steps, run_name="01_pretraining",
        eval_every=recipe.eval_every, per_device_train_batch_size=recipe.batch_size, learning_rate=recipe.lr,
        seed=recipe.seed, **kwargs,
    )


def _build_pretrained() -> tuple[Any, Any, dict[str, Any]]:
    tokenizer = train_tokenizer(PRETRAIN)
    train_blocks, validation_blocks = to_blocks(tokenizer, *general_texts(PRETRAIN), PRETRAIN.model.context_length, PRETRAIN.n_eval_blocks)
    model = fresh_model(tokenizer, PRETRAIN)
    history = pretrain(model, train_blocks, validation_blocks, PRETRAIN, disable_tqdm=True)
    return model, tokenizer, {"recipe": repr(PRETRAIN), "seconds": history.seconds, "tokens_seen": history.tokens_seen}


def ensure_pretrained(device: str = "cpu") -> tuple[Any, Any]:
    """Return notebook 01's (model, tokenizer), training them with notebook 01's recipe if not cached (~2 min)."""
    ensure_checkpoint(PRETRAINED_CHECKPOINT, _build_pretrained)
    return load_checkpoint(PRETRAINED_CHECKPOINT, device)


def mix_replay(domain_blocks: Any, general_blocks: Any, replay_fraction: float, seed: int = 0) -> Any:
    """Return domain blocks with general blocks mixed in: `replay_fraction` of the result is general text."""
    import torch

    if not 0 <= replay_fraction < 1:
        raise ValueError(f"replay_fraction must be in [0, 1), got {replay_fraction}.")
    n_general = round(len(domain_blocks) * replay_fraction / (1 - replay_fraction))
    if n_general > len(general_blocks):
        raise ValueError(f"Need {n_general} general blocks for {replay_fraction:.0%} replay but only {len(general_blocks)} exist.")
    generator = torch.Generator().manual_seed(seed)
    mixed = torch.cat([domain_blocks, general_blocks[:n_general]])
    return mixed[torch.randperm(len(mixed), generator=generator)]


def continue_pretraining(model: Any, train_blocks: Any, eval_sets: dict[str, Any], recipe: CptRecipe = CPT, run_name: str = "02_cpt", **kwargs: Any) -> TrainingHistory:
    """Run notebook 02's continued pre-training, evaluating every set in `eval_sets` along the way."""
    return train_causal_lm(
        model, train_blocks, eval_sets, num_steps=recipe.num_steps, run_name=run_name, eval_every=recipe.eval_every,
        per_device_train_batch_size=recipe.batch_size, learning_rate=recipe.lr, warmup_steps=5, seed=recipe.seed, **kwargs,
    )


def _build_cpt() -> tuple[Any, Any, dict[str, Any]]:
    model, tokenizer = ensure_pretrained()
    block_size = PRETRAIN.model.context_length
    domain_train, domain_validation = to_blocks(tokenizer, *domain_texts(CPT), block_size, CPT.n_eval_blocks)
    history = continue_pretraining(model, domain_train, {"domain": domain_validation}, CPT, disable_tqdm=True)
    return model, tokenizer, {"recipe": repr(CPT), "replay_fraction": 0.0, "seconds": history.seconds, "tokens_seen": history.tokens_seen}


def ensure_cpt(device: str = "cpu") -> tuple[Any, Any]:
    """Return notebook 02's CPT (model, tokenizer), building it (and notebook 01's model) if not cached."""
    ensure_checkpoint(CPT_CHECKPOINT, _build_cpt)
    return load_checkpoint(CPT_CHECKPOINT, device)


def is_cached(name: str) -> bool:
    """True if a named checkpoint is already in the cache."""
    return (checkpoint_path(name) / "config.json").exists()


@dataclass(frozen=True)
class IftRecipe:
    """Notebook 03: instruction-tune the CPT model on datasets/instructions.jsonl (chat format, masked loss).

    `make setup` runs the recipe once for `num_steps` (the prepared model, `ensure_ift()`); the notebook shows a short
    live run of the same recipe (`live_num_steps`) and the comparisons that need several runs (masking, LoRA, TRL).
    """

    num_steps: int = 1200  # x batch 8 = 9,600 examples, ~6 passes over the 1,500 training ones; 1-1.5 min on 2 cores (measured)
    live_num_steps: int = 120  # the notebook's live runs: about 8 s each on 2 cores
    batch_size: int = 8
    lr: float = 2e-3
    max_length: int = 128  # the tiny GPT's context; long inputs are cut from their end
    max_new_tokens: int = 8  # every reference answer is one word
    lora_r: int = 8
    # LoRA's own settings, chosen on the 200 validation instructions (2026-12-06, r 8, against full fine-tuning's live run
    # at 0.755; measured with the earlier GPT-2 with biases): full fine-tuning's lr for its 120 steps scored 0.30; for 480 steps 0.82; 2x the lr for 480 steps 0.80;
    # 2x, 3x and 5x the lr for 240 steps 0.50, 0.60 and 0.30; 5x for 480 steps 0.40. LoRA needs more steps, not a higher rate.
    lora_lr_factor: float = 1.0
    lora_steps_factor: int = 4
    general_mix_fraction: float = 0.25  # share of plain Austen blocks mixed into the IFT data
    seed: int = 0


IFT = IftRecipe()


def ift_examples(tokenizer: Any, recipe: IftRecipe = IFT, mask_prompt: bool = True) -> list[dict[str, list[int]]]:
    """Tokenized training instructions in the chat format (prompt tokens masked unless `mask_prompt=False`)."""
    from .data import load_instructions

    return tokenize_examples(tokenizer, load_instructions("train"), recipe.max_length, mask_prompt=mask_prompt)


def general_mix_examples(tokenizer: Any, examples: list[dict[str, list[int]]], recipe: IftRecipe = IFT) -> list[dict[str, list[int]]]:
    """The IFT examples with plain Austen training blocks mixed in (`general_mix_fraction` of the result), shuffled by seed."""
    import torch

    general_train_blocks, _ = to_blocks(tokenizer, *general_texts(PRETRAIN), PRETRAIN.model.context_length, PRETRAIN.n_eval_blocks)
    n_general = round(len(examples) * recipe.general_mix_fraction / (1 - recipe.general_mix_fraction))
    general = [{"input_ids": block.tolist(), "labels": block.tolist()} for block in general_train_blocks[:n_general]]  # every token scored
    pool = examples + general
    order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(recipe.seed)).tolist()
    return [pool[i] for i in order]


def instruction_eval_set() -> list[dict[str, str]]:
    """The held-out instructions every notebook-03 model is scored on: every test example of every task family."""
    from .data import load_instructions

    return load_instructions("test")


def live_recipe(recipe: IftRecipe = IFT) -> IftRecipe:
    """The recipe with the notebook's short live step count (the prepared model runs `recipe.num_steps`)."""
    return replace(recipe, num_steps=recipe.live_num_steps)


def lora_recipe(recipe: IftRecipe = IFT) -> IftRecipe:
    """The recipe with LoRA's own learning rate and step count (notebook 03 measured why they differ)."""
    return replace(recipe, lr=recipe.lr * recipe.lora_lr_factor, num_steps=recipe.num_steps * recipe.lora_steps_factor)


def run_ift(model: Any, tokenizer: Any, examples: list[dict[str, list[int]]], recipe: IftRecipe = IFT, run_name: str = "03_ift", **kwargs: Any) -> TrainingHistory:
    """Run notebook 03's instruction tuning (full or LoRA, depending on `model`) with the recipe's settings."""
    from .finetuning import instruction_tune

    return instruction_tune(
        model, tokenizer, examples, num_steps=recipe.num_steps, run_name=run_name, per_device_train_batch_size=recipe.batch_size,
        learning_rate=recipe.lr, warmup_steps=5, seed=recipe.seed, **kwargs,
    )


PREPARED_IFT_FIELDS = ("num_steps", "batch_size", "lr", "max_length", "general_mix_fraction", "seed")  # what the prepared runs depend on


def prepared_ift_settings(recipe: IftRecipe = IFT) -> dict[str, Any]:
    """The recipe's settings that change the prepared models (the live and LoRA settings do not)."""
    return {name: getattr(recipe, name) for name in PREPARED_IFT_FIELDS}


def _ift_metadata(recipe: IftRecipe, history: TrainingHistory, n_examples: int) -> dict[str, Any]:
    from .data import dataset_fingerprint

    return {"recipe": repr(recipe), "settings": prepared_ift_settings(recipe), "instructions": dataset_fingerprint("instructions.jsonl"),
            "n_examples": n_examples, "seconds": history.seconds,
            "tokens_seen": history.tokens_seen, "loss_curve": [[step, loss] for step, loss in zip(history.steps, history.train_loss)]}


def _build_ift(general_mix: bool = False) -> tuple[Any, Any, dict[str, Any]]:
    from .finetuning import add_chat_template

    model, tokenizer = ensure_cpt()
    add_chat_template(tokenizer)
    examples = ift_examples(tokenizer, IFT)
    if general_mix:
        examples = general_mix_examples(tokenizer, examples, IFT)
    history = run_ift(model, tokenizer, examples, IFT, run_name=IFT_MIXED_CHECKPOINT if general_mix else IFT_CHECKPOINT, disable_tqdm=True)
    return model, tokenizer, _ift_metadata(IFT, history, len(examples))


def _ensure_current_ift(name: str, build: Any, device: str) -> tuple[Any, Any]:
    """Load a prepared IFT checkpoint, training it again first if it is missing or was made by another recipe or dataset."""
    import shutil

    from .data import dataset_fingerprint
    from .models import checkpoint_metadata
    from .runtime import log

    folder = checkpoint_path(name)
    if is_cached(name):
        recorded = checkpoint_metadata(name)
        if (recorded.get("settings"), recorded.get("instructions")) != (prepared_ift_settings(IFT), dataset_fingerprint("instructions.jsonl")):
            log(f"{name} in the cache was trained with another recipe or dataset: training it again")
            shutil.rmtree(folder)
    ensure_checkpoint(name, build)
    return load_checkpoint(name, device)


def ensure_ift(device: str = "cpu") -> tuple[Any, Any]:
    """Return notebook 03's prepared instruction-tuned (model, tokenizer), training it (and 01-02's models) if not cached."""
    return _ensure_current_ift(IFT_CHECKPOINT, _build_ift, device)


def ensure_ift_general_mix(device: str = "cpu") -> tuple[Any, Any]:
    """Return the same IFT run with plain Austen text mixed into its data (notebook 03, section 8), training it if not cached."""
    return _ensure_current_ift(IFT_MIXED_CHECKPOINT, lambda: _build_ift(general_mix=True), device)


