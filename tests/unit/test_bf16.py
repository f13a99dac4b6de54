"""`runtime.supports_bf16`: bf16 only where the GPU computes it natively, never where torch merely emulates it.

No GPU is needed: torch's CUDA queries are replaced by what a T4 (compute capability 7.5, bf16 emulated) and an
A100 (8.0, native) report.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from course_utils import runtime


def pretend_gpu(monkeypatch, major: int, minor: int) -> None:
    """Make torch report one CUDA GPU of compute capability major.minor on which bf16 tensors can be created."""
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: SimpleNamespace(major=major, minor=minor))
    monkeypatch.setattr(torch.cuda, "_check_bf16_tensor_supported", lambda device: True)  # emulation works on a T4


def test_t4_does_not_train_in_emulated_bf16(monkeypatch):
    pretend_gpu(monkeypatch, 7, 5)
    assert torch.cuda.is_bf16_supported() is True  # torch's default counts the emulation: the trap
    assert runtime.supports_bf16("cuda") is False


@pytest.mark.parametrize("major, minor", [(8, 0), (8, 9), (9, 0)])  # A100, L4, H100
def test_ampere_and_newer_gpus_train_in_bf16(monkeypatch, major, minor):
    pretend_gpu(monkeypatch, major, minor)
    assert runtime.supports_bf16("cuda") is True


@pytest.mark.parametrize("device", ["cpu", "mps"])
def test_cpu_and_mps_never_train_in_bf16_even_beside_a_capable_gpu(monkeypatch, device):
    pretend_gpu(monkeypatch, 9, 0)
    assert runtime.supports_bf16(device) is False


def test_cuda_asked_for_without_a_gpu_means_no_bf16(monkeypatch):
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runtime.supports_bf16("cuda") is False
