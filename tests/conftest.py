"""Shared fixtures. The whole suite runs offline: no hub access, no outbound sockets."""

from __future__ import annotations

import os

# Set before course_utils (or transformers) is imported anywhere in the test session.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("COURSE_BLOCK_NETWORK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

from course_utils import runtime  # noqa: E402

runtime.block_network()


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """Point the artifact cache at an empty temporary folder for one test."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def embedder():
    """The shipped all-MiniLM-L6-v2, loaded once per test session."""
    from course_utils.pretrained import load_embedder

    return load_embedder(device="cpu")


@pytest.fixture(scope="session")
def chat_model():
    """(model, tokenizer) of the shipped SmolLM2-135M-Instruct, loaded once (converted on first use)."""
    from course_utils.pretrained import load_chat_model

    return load_chat_model(device="cpu")


@pytest.fixture(scope="module")
def handbook():
    """The SYNTHETIC company handbook."""
    from course_utils import data

    return data.load_handbook(data.UNFILTERED)


@pytest.fixture(scope="module")
def handbook_index(embedder, handbook):
    """An exact index of the handbook, built in memory so tests neither read nor write the course's cache."""
    from course_utils import data, retrieval

    return retrieval.build_vector_index(embedder, data.texts_of(handbook, "doc_id"), data.texts_of(handbook))
