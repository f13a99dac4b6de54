"""What the machine is and how busy it was: for the course runner's report and the benchmarks (maintainers only).

The load average cannot tell a job's own threads from someone else's, so `CpuShareMeter` measures the cores *other*
programs used, and the cores a virtual machine's host stole, while a block ran.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import NamedTuple

from course_utils.runtime import package_version


def load_average() -> float | None:
    """The 1-minute load average of the machine (how busy the CPU was), or None where the OS has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def machine_description() -> dict[str, str]:
    """CPU model, core count, memory, OS, Python and torch versions of this machine (torch is not imported)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    description = {"cpu": cpu, "cores": str(os.cpu_count()), "os": platform.platform(terse=True), "python": platform.python_version()}
    try:
        import psutil

        description["memory"] = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        pass
    description["torch"] = package_version("torch")
    description["transformers"] = package_version("transformers")
    return description


class CpuSnapshot(NamedTuple):
    """Seconds on the clock, the machine's busy CPU seconds, ours (with finished children), and stolen CPU seconds."""

    wall: float
    machine_busy: float
    own: float
    steal: float


def cpu_snapshot() -> CpuSnapshot:
    """Read the clock and the CPU-time counters now."""
    import psutil

    machine = psutil.cpu_times()
    busy = sum(getattr(machine, field, 0.0) for field in ("user", "nice", "system", "irq", "softirq"))
    own = sum(os.times()[:4])  # user and system time of this process and of its children that have finished
    return CpuSnapshot(time.perf_counter(), busy, own, getattr(machine, "steal", 0.0))


def cores_between(start: CpuSnapshot, end: CpuSnapshot) -> tuple[float, float]:
    """(cores other programs kept busy, cores the hypervisor stole) between two snapshots."""
    wall = max(end.wall - start.wall, 1e-9)
    others = max(0.0, (end.machine_busy - start.machine_busy) - (end.own - start.own))
    return round(others / wall, 2), round(max(0.0, end.steal - start.steal) / wall, 2)


class CpuShareMeter:
    """Context manager: how many cores *other* programs kept busy while the block ran, and how many the hypervisor stole.

    The load average cannot tell a job's own threads from someone else's; this subtracts the CPU time of this process
    and its finished children (a notebook's kernel, a benchmark script) from the whole machine's busy time.
    `other_cores` near 0 means the machine was ours alone; `steal_cores` > 0 means a virtual machine's host was
    giving our cores to its other guests, which slows every run without showing up in the load average.
    """

    def __init__(self) -> None:
        self.other_cores = self.steal_cores = 0.0

    def __enter__(self) -> "CpuShareMeter":
        self._start = cpu_snapshot()
        return self

    def __exit__(self, *exc: object) -> None:
        self.other_cores, self.steal_cores = cores_between(self._start, cpu_snapshot())
