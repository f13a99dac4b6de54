"""The training scripts run unchanged on one process and under `torchrun` (DDP, gloo on CPU) with the same result.

A tiny GPT (1 layer, 32-wide, 64-token blocks, a 400-token vocabulary trained on 12 chapters) trains for 6
steps with a global batch of 8: once as `python scripts/pretrain.py`, once as `torchrun --nproc_per_node=2`
(each process computes 4 blocks, DDP averages the two gradients). Each process uses one thread. Then, from that
checkpoint, continued pre-training runs under torchrun and instruction tuning (LoRA) under `accelerate launch`, on
2 processes for 2 steps each. Everything runs on the CPU and writes to a temporary cache.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.paths import repo_root

TINY = [
    "--num-steps", "6", "--batch-size", "8", "--lr", "1e-2", "--max-texts", "12", "--vocab-size", "400", "--context-length", "64",
    "--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--eval-every", "3", "--logging-steps", "1", "--quiet",
]
# Both runs see the same 8 blocks at every step (accelerate's seeded sampler; the global batch is split in two
# halves) and every block has the same number of predicted tokens, so the mean of the two processes' gradients
# equals the one-process gradient. What remains is float32 summation order: about 1e-6 nats here. 1e-3 nats is far
# above that and far below what a wrong set-up does: twice the batch moved the curve by about 0.03 nats, and
# processes training without averaging their gradients (a bug this test found) by about 0.01.
LOSS_TOLERANCE = 1e-3
LAUNCH_ATTEMPTS = 3  # the rendezvous port is picked free, but another process may bind it before the launcher does
PORT_CLASH = ("EADDRINUSE", "address already in use", "Address already in use")


def free_port() -> int:
    """A loopback port nothing listens on, for torchrun's rendezvous (other jobs may use the default 29500)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def script_env(cache: Path) -> dict[str, str]:
    """The environment of a script run: CPU only (gloo), a private cache, one thread per process, offline."""
    return dict(
        os.environ, COURSE_CACHE_DIR=str(cache), COURSE_DEVICE="cpu", CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1",
        OMP_WAIT_POLICY="PASSIVE", TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
        COURSE_BLOCK_NETWORK="1", PYTHONHASHSEED="0",
    )


def launch_command(path: str, processes: int, launcher: str) -> list[str]:
    """The command that runs `path` on one process, or on `processes` under torchrun or accelerate launch (a fresh port)."""
    if processes == 1:
        return [sys.executable, path]
    if launcher == "torchrun":
        return [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}", "--nnodes=1",
                "--master_addr=127.0.0.1", f"--master_port={free_port()}", path]
    # accelerate launch; --multi_gpu selects its torchrun-based launcher, which the Trainer runs on gloo here
    return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", f"--num_processes={processes}",
            "--num_machines=1", "--mixed_precision=no", "--dynamo_backend=no", f"--main_process_port={free_port()}", path]


def run_script(script: str, args: list[str], cache: Path, processes: int = 1, launcher: str = "torchrun") -> dict:
    """Run scripts/<script> on one process or under a launcher (again on a new port if the port was taken); return its history.json."""
    output = cache.parent / f"{script}-{processes}-{launcher}"
    path = str(repo_root() / "scripts" / script)
    for _ in range(LAUNCH_ATTEMPTS):
        command = launch_command(path, processes, launcher)
        done = subprocess.run(command + args + ["--output-dir", str(output)], check=False, cwd=repo_root(), env=script_env(cache),
                              capture_output=True, text=True, timeout=300)
        if done.returncode == 0 or processes == 1 or not any(clash in done.stdout + done.stderr for clash in PORT_CLASH):
            break
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return json.loads((output / "history.json").read_text())


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One temporary cache for the module's runs (the scripts save checkpoints into it)."""
    return tmp_path_factory.mktemp("scale_out") / "cache"


@pytest.fixture(scope="module")
def single(cache) -> dict:
    """The one-process pre-training run; it also saves the checkpoint the other scripts start from."""
    return run_script("pretrain.py", TINY, cache)


def test_pretraining_on_two_processes_matches_one_process(single, cache):
    ddp = run_script("pretrain.py", TINY + ["--no-save"], cache, processes=2)
    assert ddp["world_size"] == 2 and single["world_size"] == 1
    assert ddp["steps"] == single["steps"] == [1, 2, 3, 4, 5, 6]
    assert single["train_loss"][-1] < single["train_loss"][0] - 0.1  # it learned something, so the comparison means something
    assert ddp["train_loss"] == pytest.approx(single["train_loss"], abs=LOSS_TOLERANCE)
    assert ddp["eval_loss"]["validation"] == pytest.approx(single["eval_loss"]["validation"], abs=LOSS_TOLERANCE)
    assert ddp["tokens_seen"] == single["tokens_seen"] == 6 * 8 * 64


def test_a_run_with_twice_the_batch_falls_outside_the_tolerance(single, cache):
    # the classic DDP mistake: each of 2 processes takes the whole batch, so the run trains on 16 blocks a step
    doubled = run_script("pretrain.py", [*TINY, "--no-save", "--batch-size", "16"], cache)
    assert max(abs(a - b) for a, b in zip(doubled["train_loss"], single["train_loss"])) > 10 * LOSS_TOLERANCE


def test_continued_pretraining_and_instruction_tuning_run_under_torchrun_and_accelerate_launch(single, cache):
    cpt = run_script("continue_pretrain.py", ["--num-steps", "2", "--batch-size", "4", "--max-texts", "8", "--eval-every", "2",
                                              "--logging-steps", "1", "--quiet"], cache, processes=2)
    assert cpt["world_size"] == 2 and set(cpt["eval_loss"]) == {"domain", "general"}
    assert (cache / "checkpoints" / "scripts_02_cpt" / "config.json").exists()
    ift = run_script("instruction_tune.py", ["--num-steps", "2", "--batch-size", "4", "--max-texts", "64", "--lora", "--logging-steps", "1",
                                             "--quiet"], cache, processes=2, launcher="accelerate")
    assert ift["world_size"] == 2 and ift["lora"] and len(ift["train_loss"]) == 2
    assert all(0 < loss < 20 for loss in ift["train_loss"])
    assert (cache / "checkpoints" / "scripts_03_ift" / "model.safetensors").exists()
