import json

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


def _fake_prepared_ift(metadata):
    """A cached 03_ift folder holding only what the staleness check reads."""
    folder = recipes.checkpoint_path(recipes.IFT_CHECKPOINT)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "metadata.json").write_text(json.dumps(metadata))
    return folder


@pytest.mark.parametrize("stale", ["settings", "instructions"])
def test_a_prepared_ift_model_made_by_another_recipe_or_dataset_is_trained_again(tmp_cache, monkeypatch, stale):
    from course_utils.data import dataset_fingerprint

    current = {"settings": recipes.prepared_ift_settings(), "instructions": dataset_fingerprint("instructions.jsonl")}
    folder = _fake_prepared_ift({**current, stale: "something older"})
    built = []
    monkeypatch.setattr(recipes, "ensure_checkpoint", lambda name, build: built.append((name, folder.exists())))
    monkeypatch.setattr(recipes, "load_checkpoint", lambda name, device: ("model", "tokenizer"))
    assert recipes.ensure_ift() == ("model", "tokenizer")
    assert built == [(recipes.IFT_CHECKPOINT, False)]  # removed before ensure_checkpoint, which then trains it


def test_a_current_prepared_ift_model_is_kept(tmp_cache, monkeypatch):
    from course_utils.data import dataset_fingerprint

    folder = _fake_prepared_ift({"recipe": "IftRecipe(lora_steps_factor=9)", "settings": recipes.prepared_ift_settings(),
                                 "instructions": dataset_fingerprint("instructions.jsonl")})  # live and LoRA settings do not count
    monkeypatch.setattr(recipes, "ensure_checkpoint", lambda name, build: None)
    monkeypatch.setattr(recipes, "load_checkpoint", lambda name, device: ("model", "tokenizer"))
    recipes.ensure_ift()
    assert (folder / "metadata.json").exists()


def test_the_general_mix_holds_its_share_of_austen_blocks_scored_on_every_token():
    from course_utils.finetuning import add_chat_template

    tokenizer = recipes.ensure_pretrained()[1] if recipes.is_cached("01_pretrained") else None
    if tokenizer is None:
        pytest.skip("needs notebook 01's tokenizer in the cache (make setup)")
    add_chat_template(tokenizer)
    examples = [{"input_ids": [1, 2, 3], "labels": [-100, -100, 3]}] * 30
    mixed = recipes.general_mix_examples(tokenizer, examples, recipes.IFT)
    general = [example for example in mixed if -100 not in example["labels"]]
    assert len(general) / len(mixed) == pytest.approx(recipes.IFT.general_mix_fraction, abs=0.02)
    assert all(example["labels"] == example["input_ids"] for example in general)
    assert mixed == recipes.general_mix_examples(tokenizer, examples, recipes.IFT)  # seeded shuffle
