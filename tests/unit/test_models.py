import pytest
import torch

from course_utils import models
from course_utils.evaluation import perplexity
from course_utils.training import pack_blocks, tokenize_documents

TEXTS = ["The cat sat on the mat. " * 20, "It is a truth universally acknowledged. " * 20, "SELECT * FROM t WHERE x = 1; " * 20]


@pytest.fixture(scope="module")
def tokenizer():
    return models.train_bpe_tokenizer(TEXTS, vocab_size=300)


def test_tokenizer_round_trips_text(tokenizer):
    text = "The cat sat on the mat."
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text


def test_special_tokens_are_single_reserved_ids(tokenizer):
    for token in models.SPECIAL_TOKENS:
        assert len(tokenizer(token)["input_ids"]) == 1
    assert tokenizer.eos_token == models.END_OF_TEXT and tokenizer.pad_token == models.PAD


def test_tokenizer_rejects_a_vocabulary_smaller_than_the_byte_alphabet():
    with pytest.raises(ValueError, match="at least"):
        models.train_bpe_tokenizer(TEXTS, vocab_size=100)


def test_a_bigger_vocabulary_needs_fewer_tokens_per_word():
    small = models.train_bpe_tokenizer(TEXTS, vocab_size=270)
    large = models.train_bpe_tokenizer(TEXTS, vocab_size=400)
    assert models.tokens_per_word(large, TEXTS) < models.tokens_per_word(small, TEXTS)


def test_config_rejects_heads_that_do_not_divide_the_width():
    with pytest.raises(ValueError, match="divisible"):
        models.TinyGPTConfig(n_embd=100, n_head=3)


def test_build_rejects_a_config_that_disagrees_with_the_tokenizer(tokenizer):
    with pytest.raises(ValueError, match="vocab_size"):
        models.build_tiny_gpt(models.TinyGPTConfig(vocab_size=len(tokenizer) + 1), tokenizer)


def test_parameter_breakdown_adds_up_to_the_total_and_ties_the_head(tokenizer):
    config = models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=2, n_embd=64, n_head=4, context_length=32)
    model = models.build_tiny_gpt(config, tokenizer)
    parts = models.parameter_breakdown(model)
    assert sum(parts.values()) == models.count_parameters(model)
    assert parts["token embeddings"] == len(tokenizer) * 64
    assert parts["LM head (untied)"] == 0  # tied to the token embeddings
    # the course's GPT-2 has no biases: attention 4*d^2, MLP 8*d^2, a scale per layer norm
    assert parts["attention"] == 2 * 4 * 64 * 64
    assert parts["MLP"] == 2 * 8 * 64 * 64
    assert parts["layer norms"] == (2 * 2 + 1) * 64


def test_tiny_gpt_mlp_uses_the_exact_gelu(tokenizer):
    # GELU(x) = x * Phi(x), Phi the standard normal CDF: Phi(1) = 0.841345, Phi(2) = 0.977250 (tables)
    model = models.build_tiny_gpt(models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=32, n_head=2), tokenizer)
    activation = model.transformer.h[0].mlp.act
    values = activation(torch.tensor([-1.0, 0.0, 1.0, 2.0])).tolist()
    assert values == pytest.approx([-0.158655, 0.0, 0.841345, 1.954500], abs=1e-6)


def test_checkpoint_round_trip_keeps_the_model_identical(tmp_cache, tokenizer):
    config = models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=32, n_head=2, context_length=32)
    torch.manual_seed(0)
    model = models.build_tiny_gpt(config, tokenizer)
    blocks = pack_blocks(tokenize_documents(tokenizer, TEXTS), 32)
    models.save_checkpoint(model, tokenizer, "99_test", {"seed": 0})
    loaded, loaded_tokenizer = models.load_checkpoint("99_test")
    assert perplexity(loaded, blocks) == pytest.approx(perplexity(model, blocks), rel=1e-5)
    assert loaded_tokenizer("mat")["input_ids"] == tokenizer("mat")["input_ids"]
    assert models.checkpoint_metadata("99_test") == {"seed": 0}


def test_missing_checkpoint_names_the_notebook_to_run(tmp_cache):
    with pytest.raises(FileNotFoundError, match="01_pretraining.ipynb"):
        models.load_checkpoint("01_pretrained")


def test_ensure_checkpoint_builds_only_when_missing(tmp_cache, tokenizer):
    builds = []

    def build():
        builds.append(1)
        config = models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=32, n_head=2, context_length=32)
        return models.build_tiny_gpt(config, tokenizer), tokenizer, {"built": True}

    first = models.ensure_checkpoint("99_ensure", build)
    second = models.ensure_checkpoint("99_ensure", build)
    assert first == second and len(builds) == 1
    assert models.checkpoint_metadata("99_ensure") == {"built": True}


def test_tiny_gpt_has_no_bias_vectors_and_gpt2s_scaled_init(tokenizer):
    config = models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=4, n_embd=64, n_head=4, context_length=32)
    torch.manual_seed(0)
    model = models.build_tiny_gpt(config, tokenizer)
    assert not [name for name, _ in model.named_parameters() if name.endswith("bias")]
    assert isinstance(model.transformer.h[0].attn.c_attn, torch.nn.Linear)
    full, residual = model.transformer.h[0].mlp.c_fc.weight, model.transformer.h[0].mlp.c_proj.weight
    assert full.std().item() == pytest.approx(0.02, rel=0.05)
    assert residual.std().item() == pytest.approx(0.02 / (2 * 4) ** 0.5, rel=0.05)  # GPT-2: 1/sqrt(2 x layers)


def test_a_checkpoint_from_the_older_gpt2_with_biases_is_refused_then_rebuilt(tmp_cache, tokenizer):
    import json

    config = models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=32, n_head=2, context_length=32)
    models.save_checkpoint(models.build_tiny_gpt(config, tokenizer), tokenizer, "99_old", {})
    config_file = models.checkpoint_path("99_old") / "config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "model_type": "gpt2"}))
    with pytest.raises(ValueError, match="older version of the course"):
        models.load_checkpoint("99_old")
    models.ensure_checkpoint("99_old", lambda: (models.build_tiny_gpt(config, tokenizer), tokenizer, {"rebuilt": True}))
    assert models.checkpoint_metadata("99_old") == {"rebuilt": True}
    assert type(models.load_checkpoint("99_old")[0]).__name__ == "TinyGPT2ForCausalLM"
