"""What training costs: FLOPs from the 6·N·D rule, and the same arithmetic scaled to a real model.

Notebook 01 measures its own run and scales it up to reproduce the article's "millions of dollars, weeks";
notebooks 02, 03 and 07 use `training_flops` to put every approach's compute on one axis.

The rule: training a dense transformer with N parameters on D tokens costs about 6·N·D floating-point
operations (2·N·D for the forward pass, 4·N·D for the backward pass), ignoring attention's smaller term.
"""

from __future__ import annotations

from dataclasses import dataclass

SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86_400


def training_flops(n_parameters: int | float, n_tokens: int | float) -> float:
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


def achieved_flops_per_second(n_parameters: int | float, tokens_per_second: float) -> float:
    """Training FLOP/s a run achieved, from its measured throughput (6 x N x tokens/s)."""
    return training_flops(n_parameters, 1) * tokens_per_second
