"""The machine a notebook runs on: device choice, precision, seeding, the banner and the offline guard.

Used by every notebook (00-07): the first code cell calls `banner()`, so a screenshot of a failure
shows versions, device and cores. Device order is CUDA -> MPS -> CPU; training stays in fp32 on CPU
(bf16 on the course's 2-core CPU was measured about 20x slower).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import random
import socket
import threading
import time

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

BLOCK_NETWORK_ENV_VAR = "COURSE_BLOCK_NETWORK"
BANNER_PACKAGES = ("torch", "transformers", "peft", "trl", "sentence-transformers", "faiss-cpu")


def log(message: str) -> None:
    """Print a progress message from course_utils (the package's only print besides `results.report`)."""
    print(f"[course_utils] {message}", flush=True)


def pick_device(preferred: str | None = None) -> str:
    """Return "cuda", "mps" or "cpu": the first available, or `preferred` (also `COURSE_DEVICE`)."""
    import torch

    preferred = preferred or os.environ.get("COURSE_DEVICE")
    available = ["cpu"]
    if torch.backends.mps.is_available():
        available.insert(0, "mps")
    if torch.cuda.is_available():
        available.insert(0, "cuda")
    if preferred is None:
        return available[0]
    if preferred not in ("cuda", "mps", "cpu"):
        raise ValueError(f"Unknown device {preferred!r}: use 'cuda', 'mps' or 'cpu'.")
    if preferred not in available:
        raise RuntimeError(f"Device {preferred!r} is not available here; available: {available}. Unset COURSE_DEVICE.")
    return preferred


def supports_bf16(device: str) -> bool:
    """True where the GPU computes bf16 natively (Ampere or newer: A100, L4, H100); elsewhere the course stays in fp32.

    torch's `is_bf16_supported()` also counts bf16 that older GPUs (a T4, Colab's free GPU) only emulate, slowly.
    Never on CPU: bf16 on the course's 2-core CPU was measured about 20x slower.
    """
    import torch

    return device == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy and torch (CPU and GPU) so a run is repeatable; return the seed."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    return seed


def package_version(name: str) -> str:
    """Return an installed package's version, or "not installed"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment_summary() -> dict[str, str]:
    """Return versions, device and core count as a dict (what `banner` prints)."""
    summary = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    summary.update({name: package_version(name) for name in BANNER_PACKAGES})
    summary["device"] = pick_device()
    summary["cpu cores"] = str(os.cpu_count())
    summary["offline (HF_HUB_OFFLINE)"] = os.environ.get("HF_HUB_OFFLINE", "0")
    return summary


def banner() -> str:
    """Return the environment summary as aligned text: the first output of every notebook."""
    summary = environment_summary()
    width = max(len(key) for key in summary)
    return "\n".join(f"{key:<{width}} : {value}" for key, value in summary.items())


@contextlib.contextmanager
def quiet_model_loading() -> Iterator[None]:
    """Hide transformers' per-tensor loading progress bars (noise in a lesson); training bars stay."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class NetworkBlockedError(ConnectionError):
    """Raised when course code tries to reach a non-loopback address while the guard is on."""


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # unix sockets and the like
    host = str(address[0])
    return host in ("localhost", "::1") or host.startswith("127.")


def block_network() -> None:
    """Make every outbound non-loopback socket connection fail loudly (used by the tests)."""
    if getattr(socket.socket, "_course_guarded", False):
        return
    original_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: object) -> object:
        """Connect only to loopback addresses."""
        if not _is_loopback(address):
            raise NetworkBlockedError(
                f"Network access to {address!r} is blocked ({BLOCK_NETWORK_ENV_VAR}=1): the course must run "
                "offline. Load models through course_utils.pretrained, which reads installed packages."
            )
        return original_connect(sock, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket._course_guarded = True  # type: ignore[attr-defined]


def maybe_block_network() -> None:
    """Call `block_network` when the environment variable `COURSE_BLOCK_NETWORK=1` is set."""
    if os.environ.get(BLOCK_NETWORK_ENV_VAR) == "1":
        block_network()


def best_of(function: Callable[[], Any], repeats: int = 5) -> float:
    """Fastest wall time (s) of `repeats` calls: the least disturbed by other jobs on a shared machine."""
    if repeats < 1:
        raise ValueError(f"best_of needs repeats >= 1, got {repeats}: time the call at least once.")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def current_rss_bytes() -> int:
    """Resident memory of this process now, in bytes."""
    import psutil

    return psutil.Process().memory_info().rss


class PeakRssSampler:
    """Context manager that samples this process's RSS in a background thread; `.growth_bytes` is peak minus start.

    CPU has no `torch.cuda.max_memory_allocated`, so memory a step needs is read from the operating system: the peak
    resident size while the block ran, minus the size when it started (memory the allocator reuses is not counted).
    """

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.start_bytes = self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def growth_bytes(self) -> int:
        """Peak RSS during the block minus RSS when it started (never negative)."""
        return max(0, self.peak_bytes - self.start_bytes)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, current_rss_bytes())
            time.sleep(self.interval_s)

    def __enter__(self) -> "PeakRssSampler":
        self.start_bytes = self.peak_bytes = current_rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_bytes = max(self.peak_bytes, current_rss_bytes())
