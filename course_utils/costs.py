"""What training costs: FLOPs from the 6·N·D rule, and the same arithmetic scaled to a real model.

Notebook 01 measures its own run and scales it up to reproduce "millions of dollars, weeks" for a real model;
notebooks 02, 03 and 07 use `training_flops` to put every approach's compute on one axis, and notebook 07 reads
what each approach paid before its first answer (`Cost`) from the runs earlier notebooks recorded.

The rule: training a dense transformer with N parameters on D tokens costs about 6·N·D floating-point
operations (2·N·D for the forward pass, 4·N·D for the backward pass), ignoring attention's smaller term.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .models import checkpoint_metadata, count_parameters
from .recipes import IFT
from .results import recorded_value

SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86_400


def training_flops(n_parameters: float, n_tokens: float) -> float:
    """Approximate training compute: 6 x parameters x tokens (FLOPs)."""
    if n_parameters <= 0 or n_tokens <= 0:
        raise ValueError(f"Parameters and tokens must be positive, got {n_parameters} and {n_tokens}.")
    return 6.0 * n_parameters * n_tokens


@dataclass(frozen=True)
class ClusterAssumptions:
    """Everything a cost estimate assumes, stated (defaults: an H100-class GPU cluster rented in 2024-25)."""

    peak_flops_per_gpu: float = 989e12  # H100 SXM dense bf16 peak, FLOP/s (vendor datasheet)
    utilisation: float = 0.40  # model FLOPs utilisation; large runs report roughly 35-45%
    n_gpus: int = 4096
    dollars_per_gpu_hour: float = 2.50  # cloud rental order of magnitude


@dataclass(frozen=True)
class CostEstimate:
    """The result of scaling a training run to a cluster."""

    flops: float
    gpu_hours: float
    days: float
    dollars: float


def estimate_training_cost(n_parameters: float, n_tokens: float, cluster: ClusterAssumptions = ClusterAssumptions()) -> CostEstimate:
    """Return FLOPs, GPU-hours, wall-clock days and dollars to train N parameters on D tokens."""
    if not 0 < cluster.utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {cluster.utilisation}.")
    flops = training_flops(n_parameters, n_tokens)
    gpu_seconds = flops / (cluster.peak_flops_per_gpu * cluster.utilisation)
    gpu_hours = gpu_seconds / SECONDS_PER_HOUR
    return CostEstimate(
        flops=flops,
        gpu_hours=gpu_hours,
        days=gpu_seconds / cluster.n_gpus / SECONDS_PER_DAY,
        dollars=gpu_hours * cluster.dollars_per_gpu_hour,
    )


def achieved_flops_per_second(n_parameters: float, tokens_per_second: float) -> float:
    """Training FLOP/s a run achieved, from its measured throughput (6 x N x tokens/s)."""
    return training_flops(n_parameters, 1) * tokens_per_second


# --- What each approach of notebook 07 paid before its first answer, read from the runs that recorded it -------


@dataclass(frozen=True)
class Cost:
    """One step an approach paid for before answering: measured seconds, FLOPs, labelled examples, and where it was recorded."""

    step: str
    seconds: float
    flops: float
    labelled_examples: int = 0
    source: str = ""


def checkpoint_cost(name: str, step: str, n_parameters: int, labelled_examples: int = 0) -> Cost:
    """The cost of a tiny-model checkpoint from the metadata its training run saved (seconds, tokens -> 6ND FLOPs)."""
    metadata = checkpoint_metadata(name)
    return Cost(step, float(metadata["seconds"]), training_flops(n_parameters, metadata["tokens_seen"]), labelled_examples, f"checkpoints/{name}/metadata.json")


def ift_examples_seen() -> int:
    """Labelled instructions notebook 03's IFT run learned from: steps x batch size, at most the whole training split."""
    from .data import load_instructions

    return min(IFT.num_steps * IFT.batch_size, len(load_instructions("train")))


def embedder_cost(embedder: Any) -> Cost:
    """Notebook 05's fine-tuning: its recorded seconds and labelled pairs, and an upper bound on its FLOPs.

    FLOPs = 6 x parameters x tokens, counting every text of every (query, positive, hard negative) triplet at the
    recipe's full training window of `train_max_seq_length` tokens (short queries are padded less: the true count is lower).
    """
    from .embedder_finetuning import EMBEDDER_RECIPE as recipe

    seconds = float(recorded_value("05_embedding_finetuning", "training_seconds"))
    n_pairs = int(recorded_value("05_embedding_finetuning", "training_pairs"))
    n_tokens = recipe.num_epochs * n_pairs * (2 + recipe.num_negatives) * recipe.train_max_seq_length
    return Cost("fine-tune the embedder (notebook 05)", seconds, training_flops(count_parameters(embedder), n_tokens), n_pairs, "notebook 05's results")


def inference_flops(n_parameters: float, n_tokens: float) -> float:
    """Forward-pass compute: about 2 x parameters x tokens (FLOPs)."""
    if n_parameters <= 0 or n_tokens < 0:
        raise ValueError(f"Need positive parameters and non-negative tokens, got {n_parameters} and {n_tokens}.")
    return 2.0 * n_parameters * n_tokens


def indexing_cost(embedder: Any, texts: Sequence[str], step: str = "embed the handbook (index)", sample_every: int = 1) -> Cost:
    """What embedding `texts` costs: seconds measured now on every `sample_every`-th text and scaled to all of them,
    and 2ND FLOPs over every token the embedder reads (its window caps each text)."""
    from .retrieval import embed_texts

    if sample_every <= 0 or not texts:
        raise ValueError(f"Need texts and a positive sample_every, got {len(texts)} texts and {sample_every}.")
    sample = list(texts)[::sample_every]
    started = time.perf_counter()
    embed_texts(embedder, sample)
    seconds = (time.perf_counter() - started) * len(texts) / len(sample)
    n_tokens = sum(min(len(ids), embedder.max_seq_length) for ids in embedder.tokenizer(list(texts), verbose=False)["input_ids"])
    source = "measured now" if sample_every == 1 else f"measured now on 1 text in {sample_every}, scaled"
    return Cost(step, seconds, inference_flops(count_parameters(embedder), n_tokens), 0, source)


def answer_adapter_cost(n_parameters: int) -> Cost:
    """The answer-from-sources adapter's training cost, as its prepared run recorded it: seconds, 6ND FLOPs, examples."""
    from .answering import adapter_metadata, answer_adapter_path

    metadata = adapter_metadata()
    source = f"{answer_adapter_path().parent.name}/{answer_adapter_path().name}/metadata.json"
    flops = training_flops(n_parameters, metadata["tokens_seen"])
    return Cost("LoRA answer adapter on SmolLM2 (make setup, notebook 03's recipe)", float(metadata["seconds"]), flops, int(metadata["examples"]), source)
