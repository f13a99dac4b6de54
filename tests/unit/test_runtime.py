import random
import socket
import time

import numpy as np
import pytest
import torch

from course_utils import runtime


def test_pick_device_returns_an_available_device():
    assert runtime.pick_device() in ("cuda", "mps", "cpu")
    assert runtime.pick_device("cpu") == "cpu"


def test_pick_device_rejects_unknown_and_unavailable_devices(monkeypatch):
    with pytest.raises(ValueError, match="Unknown device"):
        runtime.pick_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="not available"):
        runtime.pick_device("cuda")


def test_bf16_is_never_used_on_cpu():
    assert runtime.supports_bf16("cpu") is False


def test_seed_everything_makes_every_generator_repeat():
    def draw():
        runtime.seed_everything(123)
        return random.random(), np.random.rand(), torch.rand(1).item()

    assert draw() == draw()


def test_banner_lists_versions_device_and_cores():
    text = runtime.banner()
    for key in ("python", "torch", "transformers", "peft", "sentence-transformers", "faiss-cpu", "device", "cpu cores"):
        assert key in text


def test_network_guard_blocks_outbound_but_allows_loopback():
    runtime.block_network()
    with socket.socket() as sock, pytest.raises(runtime.NetworkBlockedError, match="offline"):
        sock.connect(("93.184.216.34", 80))
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with server, socket.socket() as client:
        client.connect(server.getsockname())  # loopback stays allowed (Jupyter kernels use it)


def test_best_of_keeps_the_fastest_call(monkeypatch):
    # a fake clock: the calls take 0.2, 0.05 and 0.1 s (the first one disturbed); no real time is measured
    ticks = iter([0.0, 0.2, 1.0, 1.05, 2.0, 2.1])
    monkeypatch.setattr(runtime.time, "perf_counter", lambda: next(ticks))
    assert runtime.best_of(lambda: None, repeats=3) == pytest.approx(0.05)


def test_best_of_rejects_zero_repeats():
    with pytest.raises(ValueError, match="at least once"):
        runtime.best_of(lambda: None, repeats=0)


def test_peak_rss_sampler_sees_a_temporary_allocation():
    from course_utils.runtime import PeakRssSampler

    with PeakRssSampler() as memory:
        block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched so the pages are resident
        deadline = time.monotonic() + 60  # wait for the sampler's thread however busy the machine is, not a fixed 50 ms
        while memory.growth_bytes <= 150 * 2**20 and time.monotonic() < deadline:
            time.sleep(0.01)
        del block
    assert memory.growth_bytes > 150 * 2**20
