import pytest
import torch

from course_utils import recipes


def test_general_and_domain_splits_do_not_overlap():
    train, validation = recipes.general_texts()
    assert train and validation and not set(train) & set(validation)
    train, validation = recipes.domain_texts()
    assert train and validation and not set(train) & set(validation)


def test_mix_replay_gives_the_requested_share_of_general_blocks():
    domain, general = torch.zeros(30, 4, dtype=torch.long), torch.ones(100, 4, dtype=torch.long)
    mixed = recipes.mix_replay(domain, general, 0.25, seed=0)
    assert len(mixed) == 40 and mixed[:, 0].float().mean().item() == pytest.approx(0.25)
    assert torch.equal(mixed, recipes.mix_replay(domain, general, 0.25, seed=0))  # seeded shuffle
    assert torch.equal(recipes.mix_replay(domain, general, 0.0), domain)


def test_mix_replay_explains_impossible_requests():
    domain, general = torch.zeros(30, 4, dtype=torch.long), torch.ones(5, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="general blocks"):
        recipes.mix_replay(domain, general, 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        recipes.mix_replay(domain, general, 1.0)


def test_fresh_model_is_seeded():
    tokenizer = recipes.train_bpe_tokenizer(["some text to tokenize"] * 20, vocab_size=300)
    recipe = recipes.PretrainRecipe(vocab_size=300, model=recipes.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=32, n_head=2))
    first, second = recipes.fresh_model(tokenizer, recipe), recipes.fresh_model(tokenizer, recipe)
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters()))


def test_is_cached_reports_missing_checkpoints(tmp_cache):
    assert recipes.is_cached("01_pretrained") is False
